//! Request authentication for the web transport.
//!
//! Every request carries an Ed25519 signature by the backup service's
//! registered identity key over: a domain tag, method, path, session, a
//! timestamp, the ephemeral X25519 key the request uses, and the SHA-256 of
//! the body. The node verifies it against the key the contract registers at
//! request time, refuses timestamps outside a window, signatures it has seen
//! before, and session nonces that are not newer than the last accepted one.

use super::WebError;
use crate::identity::{verify_ed25519, Identity};
use crate::session::{kind_name, Session, SessionKind};
use axum::http::HeaderMap;
use borsh::BorshSerialize;
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};
use mpc_interface::primitives::EpochId;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SESSION_HEADER: &str = "x-mpc-session";
pub const TIMESTAMP_HEADER: &str = "x-mpc-timestamp";
pub const EPHEMERAL_KEY_HEADER: &str = "x-mpc-ephemeral-key";
pub const IDENTITY_HEADER: &str = "x-mpc-identity";
pub const SIGNATURE_HEADER: &str = "x-mpc-signature";

/// The authentication a request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestAuth {
    pub session: Session,
    pub timestamp_ms: u64,
    /// The backup service's ephemeral key this request's crypto uses.
    pub ephemeral_key: X25519PublicKey,
    /// Who the caller says it is. Only used in error messages: the signature
    /// is checked against the contract's registration, never against this.
    pub identity: Ed25519PublicKey,
    pub signature: [u8; 64],
}

/// Exactly what is signed; borsh makes the encoding unambiguous.
#[derive(BorshSerialize)]
struct SignedFields<'a> {
    tag: &'a [u8],
    method: &'a str,
    path: &'a str,
    session: &'a Session,
    timestamp_ms: u64,
    ephemeral_key: &'a X25519PublicKey,
    body_sha256: [u8; 32],
}

fn signed_bytes(
    method: &str,
    path: &str,
    session: &Session,
    timestamp_ms: u64,
    ephemeral_key: &X25519PublicKey,
    body: &[u8],
) -> Vec<u8> {
    borsh::to_vec(&SignedFields {
        tag: b"mpc-share-transfer/web/v1/request",
        method,
        path,
        session,
        timestamp_ms,
        ephemeral_key,
        body_sha256: Sha256::digest(body).into(),
    })
    .expect("borsh to a Vec cannot fail")
}

impl RequestAuth {
    pub fn sign(
        identity: &Identity,
        method: &str,
        path: &str,
        session: Session,
        ephemeral_key: X25519PublicKey,
        timestamp_ms: u64,
        body: &[u8],
    ) -> Self {
        let message = signed_bytes(method, path, &session, timestamp_ms, &ephemeral_key, body);
        Self {
            session,
            timestamp_ms,
            ephemeral_key,
            identity: identity.public_key(),
            signature: identity.sign(&message),
        }
    }

    /// True if the signature is `key`'s over this method, path and body.
    pub fn verify(&self, key: &Ed25519PublicKey, method: &str, path: &str, body: &[u8]) -> bool {
        let message = signed_bytes(method, path, &self.session, self.timestamp_ms, &self.ephemeral_key, body);
        verify_ed25519(key, &message, &self.signature)
    }

    pub fn to_headers(&self) -> [(&'static str, String); 5] {
        [
            (SESSION_HEADER, encode_session(&self.session)),
            (TIMESTAMP_HEADER, self.timestamp_ms.to_string()),
            (EPHEMERAL_KEY_HEADER, self.ephemeral_key.to_string()),
            (IDENTITY_HEADER, self.identity.to_string()),
            (SIGNATURE_HEADER, bs58::encode(self.signature).into_string()),
        ]
    }

    pub fn from_headers(headers: &HeaderMap) -> Result<Self, WebError> {
        let get = |name: &'static str| -> Result<&str, WebError> {
            headers
                .get(name)
                .ok_or_else(|| WebError::Malformed(format!("missing header {name}")))?
                .to_str()
                .map_err(|_| WebError::Malformed(format!("header {name} is not ASCII")))
        };
        let bad = |name: &'static str, why: String| WebError::Malformed(format!("header {name}: {why}"));
        let signature = bs58::decode(get(SIGNATURE_HEADER)?)
            .into_vec()
            .ok()
            .and_then(|v| <[u8; 64]>::try_from(v).ok())
            .ok_or_else(|| bad(SIGNATURE_HEADER, "expected base58 of 64 bytes".into()))?;
        Ok(Self {
            session: decode_session(get(SESSION_HEADER)?)
                .ok_or_else(|| bad(SESSION_HEADER, "expected <backup|recovery>.<epoch>.<nonce>".into()))?,
            timestamp_ms: get(TIMESTAMP_HEADER)?
                .parse()
                .map_err(|_| bad(TIMESTAMP_HEADER, "expected milliseconds since 1970".into()))?,
            ephemeral_key: get(EPHEMERAL_KEY_HEADER)?.parse().map_err(|e| bad(EPHEMERAL_KEY_HEADER, format!("{e}")))?,
            identity: get(IDENTITY_HEADER)?.parse().map_err(|e| bad(IDENTITY_HEADER, format!("{e}")))?,
            signature,
        })
    }
}

fn encode_session(session: &Session) -> String {
    format!("{}.{}.{}", kind_name(session.kind), session.epoch_id, session.nonce)
}

fn decode_session(text: &str) -> Option<Session> {
    let mut parts = text.split('.');
    let kind = match parts.next()? {
        "backup" => SessionKind::Backup,
        "recovery" => SessionKind::Recovery,
        _ => return None,
    };
    let epoch_id = EpochId(parts.next()?.parse().ok()?);
    let nonce = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some(Session { kind, epoch_id, nonce })
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Remembers what the node has accepted, to refuse replays.
///
/// Signatures only need remembering while their timestamp is inside the
/// accepted window; older ones are refused by the clock check anyway.
#[derive(Default)]
pub(crate) struct ReplayGuard {
    /// The newest session accepted, per kind.
    last: HashMap<SessionKind, Session>,
    seen: HashMap<[u8; 64], u64>,
}

impl ReplayGuard {
    pub(crate) fn check(&self, auth: &RequestAuth) -> Result<(), WebError> {
        if self.seen.contains_key(&auth.signature) {
            return Err(WebError::ReplayedRequest { session: auth.session });
        }
        if let Some(last) = self.last.get(&auth.session.kind) {
            if !auth.session.is_newer_than(last) {
                return Err(WebError::StaleSession { session: auth.session, last: *last });
            }
        }
        Ok(())
    }

    /// Checks and records in one step, so two copies of one request racing
    /// each other cannot both pass.
    pub(crate) fn accept(&mut self, auth: &RequestAuth, forget_before_ms: u64) -> Result<(), WebError> {
        self.check(auth)?;
        self.seen.retain(|_, &mut ts| ts >= forget_before_ms);
        self.seen.insert(auth.signature, auth.timestamp_ms);
        self.last.insert(auth.session.kind, auth.session);
        Ok(())
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn session(nonce: u64) -> Session {
        Session { kind: SessionKind::Backup, epoch_id: EpochId(2), nonce }
    }

    #[test]
    fn request_auth__should_round_trip_headers_and_bind_every_field() {
        let id = Identity::generate();
        let eph = X25519PublicKey([5; 32]);
        let auth = RequestAuth::sign(&id, "POST", "/shares_recover", session(9), eph, 1000, b"body");
        let mut headers = HeaderMap::new();
        for (name, value) in auth.to_headers() {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        let parsed = RequestAuth::from_headers(&headers).unwrap();
        assert_eq!(parsed, auth);
        let key = id.public_key();
        assert!(parsed.verify(&key, "POST", "/shares_recover", b"body"));
        assert!(!parsed.verify(&key, "GET", "/shares_recover", b"body"));
        assert!(!parsed.verify(&key, "POST", "/shares_backup", b"body"));
        assert!(!parsed.verify(&key, "POST", "/shares_recover", b"bodY"));
        let mut other = parsed.clone();
        other.session.nonce += 1;
        assert!(!other.verify(&key, "POST", "/shares_recover", b"body"));
        let mut other = parsed.clone();
        other.ephemeral_key = X25519PublicKey([6; 32]);
        assert!(!other.verify(&key, "POST", "/shares_recover", b"body"));
    }

    #[test]
    fn replay_guard__should_refuse_seen_signatures_and_old_nonces() {
        let id = Identity::generate();
        let eph = X25519PublicKey([5; 32]);
        let mut guard = ReplayGuard::default();
        let first = RequestAuth::sign(&id, "GET", "/p", session(5), eph, 1000, b"");
        guard.accept(&first, 0).unwrap();
        assert!(matches!(guard.accept(&first, 0), Err(WebError::ReplayedRequest { .. })));
        let same_nonce = RequestAuth::sign(&id, "GET", "/p", session(5), eph, 1001, b"");
        assert!(matches!(guard.accept(&same_nonce, 0), Err(WebError::StaleSession { .. })));
        let newer = RequestAuth::sign(&id, "GET", "/p", session(6), eph, 1002, b"");
        guard.accept(&newer, 0).unwrap();
    }
}
