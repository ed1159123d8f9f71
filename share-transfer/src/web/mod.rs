//! Web transport: the node serves `GET /shares_backup` and
//! `POST /shares_recover`; the backup service is the HTTP client.
//!
//! Per session both sides make a fresh X25519 key pair and publish the public
//! half on the contract ([`EphemeralKeyDirectory`](crate::EphemeralKeyDirectory)).
//! The backup service proves itself with a signature by its registered
//! identity key on every request ([`auth`]); the node proves itself by being
//! the only party able to publish the node's ephemeral key, so only it can
//! derive the session keys ([`crypto`]).
//!
//! Backup: the backup service publishes its key and asks; the node checks the
//! request, publishes its own key for the session and answers with the shares
//! sealed to the backup service. The backup service accepts the answer only if
//! the node key in it is the one the node published.
//!
//! Recovery: the (replacement) node starts a session and publishes its key;
//! the backup service publishes its own, seals the shares to the node's and
//! posts them; the node opens them and checks them against the keyset.

pub mod auth;
mod client;
pub mod crypto;
mod node;

pub use client::{decode_ack, BackupServiceClient, PreparedRequest};
pub use node::{BackupShares, Delivery, RecoveryHandle, WebNode};

use crate::authority::AuthorityError;
use crate::payload::PayloadError;
use crate::session::{describe, kind_name, Party, Session, SessionKind};
use axum::http::StatusCode;
use borsh::{BorshDeserialize, BorshSerialize};
use crypto::{CryptoError, Sealed};
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};
use mpc_interface::primitives::EpochId;
use std::time::Duration;

pub const BACKUP_PATH: &str = "/shares_backup";
pub const RECOVER_PATH: &str = "/shares_recover";

#[derive(Clone, Debug)]
pub struct WebConfig {
    /// How far a request's timestamp may be from the node's clock.
    pub max_clock_skew: Duration,
    /// Largest request or response body, in bytes.
    pub max_body_len: usize,
    /// Longest a client waits for one request; also the longest the node
    /// keeps any connection open.
    pub request_timeout: Duration,
    /// Longest the node waits for a request's headers.
    pub header_timeout: Duration,
    /// Most connections the node lets wait for their request at once; past
    /// it the oldest is dropped (see [`crate::gate`]).
    pub max_pending_connections: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_clock_skew: Duration::from_secs(60),
            max_body_len: 1 << 20,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(3),
            max_pending_connections: 32,
        }
    }
}

/// The node's answer to `GET /shares_backup` (borsh).
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub struct BackupResponse {
    pub node_ephemeral_key: X25519PublicKey,
    pub sealed: Sealed,
}

/// The node's answer to a successful `POST /shares_recover` (borsh).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RecoveryAck {
    pub epoch_id: EpochId,
    pub domains: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebError {
    // --- refusals by the node (sent back as the response text) ---
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("request timestamp {timestamp_ms} ms is more than {max_skew_ms} ms from the node's clock ({now_ms} ms)")]
    ClockSkew { timestamp_ms: u64, now_ms: u64, max_skew_ms: u64 },
    #[error("no backup-service key is registered on the contract; the request was signed as {claimed}")]
    NoRegisteredIdentity { claimed: Ed25519PublicKey },
    #[error(
        "signature does not verify under the registered backup-service key {registered} (the request claims {claimed})"
    )]
    BadSignature { registered: Ed25519PublicKey, claimed: Ed25519PublicKey },
    #[error("replayed request: this signature was already accepted for the {}", describe(session))]
    ReplayedRequest { session: Session },
    #[error("stale session: the {} is not newer than the last accepted {}", describe(session), describe(last))]
    StaleSession { session: Session, last: Session },
    #[error(
        "the request uses ephemeral key {used}, but the {party}'s published key for the {} is {}",
        describe(session),
        published.map_or("none".to_owned(), |k| k.to_string())
    )]
    EphemeralKeyMismatch { party: Party, session: Session, used: X25519PublicKey, published: Option<X25519PublicKey> },
    #[error("{path} serves {} sessions, not {}", kind_name(*expected), kind_name(*got))]
    WrongKind { path: &'static str, expected: SessionKind, got: SessionKind },
    #[error("this node has no shares to back up")]
    NoShares,
    #[error("this node cannot read its shares to back them up: {0}")]
    SharesUnreadable(String),
    #[error("the session is for epoch {session_epoch}, but this node holds shares of epoch {held}")]
    EpochMismatch { session_epoch: EpochId, held: EpochId },
    #[error("the shares were verified but could not be stored: {0}")]
    NotStored(String),
    #[error("no recovery is pending on this node")]
    NoRecoveryPending,
    #[error("this node is waiting for the {}, the request is for the {}", describe(pending), describe(requested))]
    SessionMismatch { pending: Session, requested: Session },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("shares refused: {0}")]
    Payload(#[from] PayloadError),
    #[error("{0}")]
    Authority(#[from] AuthorityError),

    // --- seen by the backup service ---
    #[error("the node refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the {party} has not published an ephemeral key for the {}", describe(session))]
    NotPublished { party: Party, session: Session },
    #[error("bad response from the node: {0}")]
    BadResponse(String),
    #[error("HTTP: {0}")]
    Http(String),
    #[error("timed out waiting for the node")]
    Timeout,

    // --- seen by the node's recovery handle ---
    #[error("the recovery session was replaced or the node stopped before shares arrived")]
    RecoveryAbandoned,
}

impl WebError {
    /// The HTTP status the node answers with.
    pub fn status(&self) -> StatusCode {
        use WebError::*;
        match self {
            Malformed(_) | WrongKind { .. } | Crypto(_) => StatusCode::BAD_REQUEST,
            ClockSkew { .. } | NoRegisteredIdentity { .. } | BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ReplayedRequest { .. }
            | StaleSession { .. }
            | EphemeralKeyMismatch { .. }
            | EpochMismatch { .. }
            | NoRecoveryPending
            | SessionMismatch { .. } => StatusCode::CONFLICT,
            Payload(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NoShares | SharesUnreadable(_) | NotStored(_) | Authority(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
