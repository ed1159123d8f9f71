//! The signing key, read from a near-cli credentials file
//! (`~/.near-credentials/<network>/<account>.json`):
//!
//! ```json
//! {"account_id": "alice.testnet",
//!  "public_key": "ed25519:<base58 of 32 bytes>",
//!  "private_key": "ed25519:<base58 of 64 bytes: 32 secret + 32 public>"}
//! ```
//!
//! (`secret_key` is accepted for `private_key`, as neard's key files name it.)
//! The file must not be readable by group or others, the public key must be
//! the private key's, and the secret stays in zeroizing memory: `Debug` shows
//! only the account and the public key.

use crate::ClientError;
use ed25519_dalek::SigningKey;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::AccountId;
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read the credentials file {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "the credentials file {} is accessible by group or others (mode {mode:04o}); \
         it holds a private key: run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the credentials are not a near-cli credentials JSON object: {0}")]
    NotJson(String),
    #[error("the credentials have no `{0}` field")]
    MissingField(&'static str),
    #[error("`account_id` {account_id:?} is not a valid NEAR account id: {reason}")]
    BadAccountId { account_id: String, reason: String },
    #[error("`public_key` is malformed: {0}")]
    BadPublicKey(String),
    #[error("the private key is malformed: {0}")]
    BadPrivateKey(String),
    #[error("the private key's own public half is {embedded}, but it derives {derived}: the key is corrupt")]
    CorruptPrivateKey { embedded: Ed25519PublicKey, derived: Ed25519PublicKey },
    #[error("`public_key` is {declared}, but the private key belongs to {actual}")]
    KeyMismatch { declared: AccessPublicKey, actual: Ed25519PublicKey },
}

impl From<CredentialsError> for ClientError {
    fn from(e: CredentialsError) -> Self {
        ClientError::Key(e.to_string())
    }
}

/// An account and one of its Ed25519 access keys.
pub struct Credentials {
    account_id: AccountId,
    key: SigningKey,
    public_key: AccessPublicKey,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("public_key", &self.public_key)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// A string that is wiped when dropped.
struct Secret(Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Secret(Zeroizing::new(s)))
    }
}

#[derive(Deserialize)]
struct CredentialsFile {
    account_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<Secret>,
    secret_key: Option<Secret>,
}

impl Credentials {
    /// Wraps a key already in memory.
    pub fn new(account_id: AccountId, key: SigningKey) -> Self {
        let public_key = AccessPublicKey::Ed25519(Ed25519PublicKey(key.verifying_key().to_bytes()));
        Self { account_id, key, public_key }
    }

    /// Reads a near-cli credentials file. Refuses a file that group or others
    /// may read or write (on unix), a malformed key, and a `public_key` that
    /// is not the private key's.
    pub fn from_near_cli_file(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref();
        let unreadable =
            |e: std::io::Error| CredentialsError::Unreadable { path: path.to_owned(), reason: e.to_string() };
        let mut file = std::fs::File::open(path).map_err(unreadable)?;
        // The mode of the file we opened, not of whatever the path names later.
        let meta = file.metadata().map_err(unreadable)?;
        if !meta.is_file() {
            return Err(CredentialsError::Unreadable { path: path.to_owned(), reason: "not a regular file".into() });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(CredentialsError::TooOpen { path: path.to_owned(), mode });
            }
        }
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text).map_err(unreadable)?;
        Self::from_near_cli_json(&text)
    }

    /// Parses the contents of a near-cli credentials file (no file checks).
    pub fn from_near_cli_json(json: &str) -> Result<Self, CredentialsError> {
        let file: CredentialsFile = serde_json::from_str(json)
            // serde_json's message names the position, never the content.
            .map_err(|e| CredentialsError::NotJson(e.to_string()))?;
        let account_text = file.account_id.ok_or(CredentialsError::MissingField("account_id"))?;
        let account_id = account_text
            .parse::<AccountId>()
            .map_err(|e| CredentialsError::BadAccountId { account_id: account_text.clone(), reason: e.to_string() })?;
        let declared: AccessPublicKey = file
            .public_key
            .ok_or(CredentialsError::MissingField("public_key"))?
            .parse()
            .map_err(|e: mpc_interface::keys::KeyParseError| CredentialsError::BadPublicKey(e.to_string()))?;
        let secret = file.private_key.or(file.secret_key).ok_or(CredentialsError::MissingField("private_key"))?;
        let key = parse_ed25519_secret(&secret.0)?;
        let actual = Ed25519PublicKey(key.verifying_key().to_bytes());
        if declared != AccessPublicKey::Ed25519(actual) {
            return Err(CredentialsError::KeyMismatch { declared, actual });
        }
        Ok(Self::new(account_id, key))
    }

    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }

    pub fn public_key(&self) -> &AccessPublicKey {
        &self.public_key
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// `ed25519:<base58 of secret (32) + public (32)>`; the public half must be
/// the one the secret derives. Error messages never include the key.
fn parse_ed25519_secret(text: &str) -> Result<SigningKey, CredentialsError> {
    let body = text.strip_prefix("ed25519:").ok_or_else(|| {
        let curve = text.split_once(':').map(|(c, _)| c).unwrap_or("none");
        CredentialsError::BadPrivateKey(format!("expected `ed25519:<base58>`, got curve prefix `{curve}`"))
    })?;
    let mut bytes = Zeroizing::new([0u8; 64]);
    let len = bs58::decode(body).onto(&mut bytes[..]).map_err(|e| match e {
        bs58::decode::Error::BufferTooSmall => {
            CredentialsError::BadPrivateKey("decodes to more than 64 bytes; expected 64 (secret + public)".into())
        }
        _ => CredentialsError::BadPrivateKey("not valid base58".into()),
    })?;
    if len != 64 {
        return Err(CredentialsError::BadPrivateKey(format!(
            "decodes to {len} bytes; expected 64 (32 secret + 32 public)"
        )));
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&bytes[..32]);
    let key = SigningKey::from_bytes(&seed);
    let derived = Ed25519PublicKey(key.verifying_key().to_bytes());
    let mut embedded = [0u8; 32];
    embedded.copy_from_slice(&bytes[32..]);
    if derived.0 != embedded {
        return Err(CredentialsError::CorruptPrivateKey { embedded: Ed25519PublicKey(embedded), derived });
    }
    Ok(key)
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    fn key_json(seed: u8, declared_seed: u8) -> String {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let declared = SigningKey::from_bytes(&[declared_seed; 32]);
        format!(
            r#"{{"account_id":"alice.testnet","public_key":"ed25519:{}","private_key":"ed25519:{}"}}"#,
            bs58::encode(declared.verifying_key().to_bytes()).into_string(),
            bs58::encode(key.to_keypair_bytes()).into_string()
        )
    }

    #[test]
    fn from_near_cli_json__should_load_a_consistent_key() {
        let creds = Credentials::from_near_cli_json(&key_json(3, 3)).unwrap();
        assert_eq!(creds.account_id().as_str(), "alice.testnet");
        let expected = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        assert_eq!(creds.public_key(), &AccessPublicKey::Ed25519(Ed25519PublicKey(expected)));
    }

    #[test]
    fn from_near_cli_json__should_refuse_a_public_key_that_is_not_the_private_keys() {
        let err = Credentials::from_near_cli_json(&key_json(3, 4)).unwrap_err();
        assert!(matches!(err, CredentialsError::KeyMismatch { .. }), "{err}");
    }

    #[test]
    fn from_near_cli_json__should_refuse_a_corrupt_keypair_and_never_print_the_secret() {
        let mut pair = SigningKey::from_bytes(&[3; 32]).to_keypair_bytes();
        pair[40] ^= 1;
        let secret = bs58::encode(pair).into_string();
        let json = format!(
            r#"{{"account_id":"a.near","public_key":"ed25519:{}","secret_key":"ed25519:{secret}"}}"#,
            bs58::encode([0u8; 32]).into_string()
        );
        let err = Credentials::from_near_cli_json(&json).unwrap_err();
        assert!(matches!(err, CredentialsError::CorruptPrivateKey { .. }), "{err}");
        assert!(!err.to_string().contains(&secret));
    }

    #[test]
    fn from_near_cli_json__should_name_the_missing_or_malformed_part() {
        let err = Credentials::from_near_cli_json(
            r#"{"account_id":"a.near","public_key":"ed25519:11111111111111111111111111111111"}"#,
        )
        .unwrap_err();
        assert!(matches!(err, CredentialsError::MissingField("private_key")), "{err}");
        let err = Credentials::from_near_cli_json(
            r#"{"account_id":"a.near","public_key":"ed25519:11111111111111111111111111111111","private_key":"secp256k1:abc"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("secp256k1"), "{err}");
        let err = Credentials::from_near_cli_json(
            r#"{"account_id":"a.near","public_key":"ed25519:11111111111111111111111111111111","private_key":"ed25519:2222"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected 64"), "{err}");
        let err = Credentials::from_near_cli_json("not json").unwrap_err();
        assert!(matches!(err, CredentialsError::NotJson(_)));
    }

    #[test]
    fn debug__should_redact_the_private_key() {
        let creds = Credentials::from_near_cli_json(&key_json(9, 9)).unwrap();
        let shown = format!("{creds:?}");
        assert!(shown.contains("<redacted>"));
        let secret = bs58::encode(SigningKey::from_bytes(&[9; 32]).to_bytes()).into_string();
        assert!(!shown.contains(&secret));
        assert!(!shown.contains("SigningKey"));
    }
}
