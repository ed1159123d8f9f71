//! Ed25519 key files in the format NEAR tooling uses: JSON with
//! `public_key` (`ed25519:<base58 of 32 bytes>`) and `private_key`
//! (`ed25519:<base58 of seed ‖ public key>`, 64 bytes), plus `account_id` in
//! near-cli's credentials files (`~/.near-credentials/<network>/<account>.json`).
//!
//! Parsing borrows from the (zeroizing) file buffer, so the secret is never
//! copied into an unwiped `String`; a file whose public key does not match its
//! private key is refused.

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::AccountId;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use share_transfer::Identity;
use zeroize::Zeroizing;

const PREFIX: &str = "ed25519:";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NearKeyError {
    #[error("not a NEAR key file: {0}")]
    NotJson(String),
    #[error("`public_key`: {0}")]
    BadPublicKey(mpc_interface::keys::KeyParseError),
    #[error("`private_key` must be `ed25519:<base58 of 64 bytes>`: {0}")]
    BadPrivateKey(&'static str),
    #[error("`public_key` {listed} does not match the private key, whose public key is {derived}")]
    Mismatch { listed: Ed25519PublicKey, derived: Ed25519PublicKey },
}

/// A NEAR Ed25519 key pair; the seed is wiped on drop and never printed.
pub struct NearKeyPair {
    seed: Zeroizing<[u8; 32]>,
    public_key: Ed25519PublicKey,
}

impl std::fmt::Debug for NearKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NearKeyPair({})", self.public_key)
    }
}

#[derive(Deserialize)]
struct KeyFileJson<'a> {
    #[serde(default)]
    account_id: Option<AccountId>,
    public_key: &'a str,
    private_key: &'a str,
}

impl NearKeyPair {
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *seed);
        Self::from_seed(seed)
    }

    pub fn from_seed(seed: Zeroizing<[u8; 32]>) -> Self {
        let public_key = Identity::from_seed(&seed).public_key();
        Self { seed, public_key }
    }

    pub fn public_key(&self) -> Ed25519PublicKey {
        self.public_key
    }

    /// The same key as a share-transfer identity (TLS and request signatures).
    pub fn to_identity(&self) -> Identity {
        Identity::from_seed(&self.seed)
    }

    /// The key for signing NEAR transactions (wiped on drop by ed25519-dalek).
    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.seed)
    }

    /// The key file's JSON; `account_id` is included when known.
    pub fn to_json(&self, account_id: Option<&AccountId>) -> Zeroizing<String> {
        let mut full = Zeroizing::new([0u8; 64]);
        full[..32].copy_from_slice(&*self.seed);
        full[32..].copy_from_slice(self.public_key.as_bytes());
        let private = Zeroizing::new(bs58::encode(&*full).into_string());
        let account = account_id.map(|a| format!("\"account_id\":{},", serde_json::json!(a))).unwrap_or_default();
        Zeroizing::new(format!(
            "{{{account}\"public_key\":\"{}\",\"private_key\":\"{PREFIX}{}\"}}\n",
            self.public_key,
            private.as_str()
        ))
    }

    /// Parses a key file; returns the key pair and the account, if listed.
    pub fn from_json(bytes: &[u8]) -> Result<(Self, Option<AccountId>), NearKeyError> {
        // serde's message may quote the offending value, which could be the
        // secret: report only where and what kind of problem it was.
        let file: KeyFileJson<'_> = serde_json::from_slice(bytes).map_err(|e| {
            NearKeyError::NotJson(format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()))
        })?;
        let listed: Ed25519PublicKey = file.public_key.parse().map_err(NearKeyError::BadPublicKey)?;
        let body = file.private_key.strip_prefix(PREFIX).ok_or(NearKeyError::BadPrivateKey("wrong curve prefix"))?;
        let decoded =
            Zeroizing::new(bs58::decode(body).into_vec().map_err(|_| NearKeyError::BadPrivateKey("not valid base58"))?);
        if decoded.len() != 64 {
            return Err(NearKeyError::BadPrivateKey("wrong length"));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&decoded[..32]);
        let pair = Self::from_seed(seed);
        let embedded = Ed25519PublicKey(decoded[32..].try_into().expect("32 bytes"));
        for listed in [listed, embedded] {
            if listed != pair.public_key {
                return Err(NearKeyError::Mismatch { listed, derived: pair.public_key });
            }
        }
        Ok((pair, file.account_id))
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn key_file__should_round_trip_with_and_without_account() {
        let pair = NearKeyPair::generate();
        let account: AccountId = "node0.near".parse().unwrap();
        let (back, listed) = NearKeyPair::from_json(pair.to_json(Some(&account)).as_bytes()).unwrap();
        assert_eq!((back.public_key(), listed), (pair.public_key(), Some(account)));
        let (back, listed) = NearKeyPair::from_json(pair.to_json(None).as_bytes()).unwrap();
        assert_eq!((back.public_key(), listed), (pair.public_key(), None));
        assert_eq!(back.to_identity().public_key(), pair.public_key());
    }

    #[test]
    fn key_file__should_match_near_cli_layout() {
        let pair = NearKeyPair::from_seed(Zeroizing::new([1; 32]));
        let json: serde_json::Value = serde_json::from_str(&pair.to_json(Some(&"op.near".parse().unwrap()))).unwrap();
        assert_eq!(json["account_id"], "op.near");
        assert_eq!(json["public_key"], pair.public_key().to_string());
        let private = json["private_key"].as_str().unwrap().strip_prefix("ed25519:").unwrap();
        let bytes = bs58::decode(private).into_vec().unwrap();
        assert_eq!(&bytes[..32], &[1; 32]);
        assert_eq!(&bytes[32..], pair.public_key().as_bytes());
    }

    #[test]
    fn key_file__should_refuse_mismatched_or_malformed_keys_and_not_print_secrets() {
        let pair = NearKeyPair::generate();
        let other = NearKeyPair::generate();
        let text = pair.to_json(None).replace(&pair.public_key().to_string(), &other.public_key().to_string());
        assert!(matches!(NearKeyPair::from_json(text.as_bytes()), Err(NearKeyError::Mismatch { .. })));
        let bad = br#"{"public_key":"ed25519:11111111111111111111111111111111","private_key":"secp256k1:abc"}"#;
        assert_eq!(NearKeyPair::from_json(bad).unwrap_err(), NearKeyError::BadPrivateKey("wrong curve prefix"));
        assert!(matches!(NearKeyPair::from_json(b"garbage"), Err(NearKeyError::NotJson(_))));
        assert_eq!(format!("{pair:?}"), format!("NearKeyPair({})", pair.public_key()));
    }
}
