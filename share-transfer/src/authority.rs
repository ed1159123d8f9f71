//! What the contract says right now. Both transports ask at the moment they
//! need an answer (handshake, request, periodic re-check) instead of caching,
//! so a rotated or revoked registration takes effect on live connections.

use crate::session::{describe, Session};
use async_trait::async_trait;
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    #[error("could not read the contract: {0}")]
    Unavailable(String),
    /// Hard mode: the contract does not show the backup service's attestation valid now.
    #[error("the backup service of {account} is not attested: {reason}")]
    NotAttested { account: mpc_interface::AccountId, reason: String },
    #[error("could not publish the ephemeral key for the {}: {reason}", describe(session))]
    PublishFailed { session: Session, reason: String },
}

/// The identity key the peer must present. For a node this is the backup
/// service's registered key; for a backup service it is the node's
/// `ParticipantInfo.tls_public_key`.
#[async_trait]
pub trait PeerAuthority: Send + Sync {
    /// The Ed25519 key the peer must present right now, or None if none is registered.
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError>;
}

/// Per-session ephemeral X25519 keys published on the contract
/// (`publish_backup_ephemeral_key(session, public_key)`). Each handle acts for
/// one party: it publishes that party's key and reads the other party's.
#[async_trait]
pub trait EphemeralKeyDirectory: Send + Sync {
    /// Publishes (or replaces) my ephemeral key for `session`.
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError>;

    /// The key the peer has published for `session` right now, if any.
    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError>;
}
