//! NEAR key files, read and written with near-crypto's key types: a
//! near-cli credentials file (`~/.near-credentials/<network>/<account>.json`)
//! or a neard key file:
//!
//! ```json
//! {"account_id": "alice.testnet",
//!  "public_key": "ed25519:<base58 of 32 bytes>",
//!  "private_key": "ed25519:<base58 of 64 bytes: 32 secret + 32 public>"}
//! ```
//!
//! (`secret_key` is accepted for `private_key`, as near-crypto's `KeyFile`
//! does.) This module adds what `near_crypto::KeyFile::from_file` does not
//! check: the file must not be readable by group or others, `account_id` may
//! be missing (the backup service's identity file has none), and the public
//! half inside an Ed25519 private key must be the one its seed derives (a
//! corrupt key would otherwise make signing panic). `Debug` shows only the
//! account and the public key.

use crate::ClientError;
use mpc_interface::keys::{AccessPublicKey, KeyParseError};
use mpc_interface::AccountId;
use near_crypto::{InMemorySigner, PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
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
    /// Not a key file; the message names the position, never the content.
    #[error("not a NEAR key file: {0}")]
    NotJson(String),
    #[error("the credentials have no `{0}` field")]
    MissingField(&'static str),
    #[error("the credentials have no `account_id` field")]
    NoAccount,
    #[error("`public_key` is malformed: {0}")]
    BadPublicKey(String),
    #[error("the private key is malformed: {0}")]
    BadPrivateKey(String),
    #[error("the private key is not an Ed25519 key (`{0}`); only Ed25519 keys are supported")]
    NotEd25519(String),
    #[error("the private key's own public half is {embedded}, but its seed derives {derived}: the key is corrupt")]
    CorruptPrivateKey { embedded: String, derived: String },
    #[error("`public_key` is {declared}, but the private key belongs to {actual}")]
    KeyMismatch { declared: String, actual: String },
}

impl From<CredentialsError> for ClientError {
    fn from(e: CredentialsError) -> Self {
        ClientError::Key(e.to_string())
    }
}

/// The JSON of a key file as written: near-crypto's types.
#[derive(Serialize)]
struct KeyFileJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a AccountId>,
    public_key: PublicKey,
    private_key: &'a SecretKey,
}

/// The JSON of a key file as read: the keys are parsed by near-crypto after
/// serde, so a malformed key is named, and the secret stays in wiped memory.
#[derive(Deserialize)]
struct KeyFileText {
    #[serde(default)]
    account_id: Option<AccountId>,
    public_key: Option<String>,
    #[serde(alias = "secret_key")]
    private_key: Option<Secret>,
}

/// A string that is wiped when dropped.
struct Secret(Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Secret(Zeroizing::new(s)))
    }
}

/// An Ed25519 secret key read from a key file, with the account it names.
pub struct KeyFile {
    pub account_id: Option<AccountId>,
    pub secret_key: SecretKey,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("account_id", &self.account_id)
            .field("public_key", &self.secret_key.public_key())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl KeyFile {
    /// A fresh random Ed25519 key.
    pub fn generate(account_id: Option<AccountId>) -> Self {
        Self { account_id, secret_key: SecretKey::from_random(near_crypto::KeyType::ED25519) }
    }

    /// Parses a key file's contents (no file checks).
    pub fn from_json(json: &[u8]) -> Result<Self, CredentialsError> {
        let file: KeyFileText = serde_json::from_slice(json).map_err(|e| {
            // serde's message may quote the offending value, which could be the secret.
            CredentialsError::NotJson(format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()))
        })?;
        let declared: PublicKey = file
            .public_key
            .ok_or(CredentialsError::MissingField("public_key"))?
            .parse()
            .map_err(|e: near_crypto::ParseKeyError| CredentialsError::BadPublicKey(e.to_string()))?;
        let secret = file.private_key.ok_or(CredentialsError::MissingField("private_key"))?;
        // near-crypto's messages name the curve or the length, never the key.
        let secret_key: SecretKey =
            secret.0.parse().map_err(|e: near_crypto::ParseKeyError| CredentialsError::BadPrivateKey(e.to_string()))?;
        let SecretKey::ED25519(pair) = &secret_key else {
            return Err(CredentialsError::NotEd25519(secret_key.key_type().to_string()));
        };
        // near-crypto takes the public half as written; check it against the seed.
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(pair.0[..32].try_into().expect("32 bytes"));
        let derived = SecretKey::ED25519(near_crypto::ED25519SecretKey(
            ed25519_dalek::SigningKey::from_bytes(&seed).to_keypair_bytes(),
        ))
        .public_key();
        let embedded = secret_key.public_key();
        if embedded != derived {
            return Err(CredentialsError::CorruptPrivateKey {
                embedded: embedded.to_string(),
                derived: derived.to_string(),
            });
        }
        if declared != derived {
            return Err(CredentialsError::KeyMismatch { declared: declared.to_string(), actual: derived.to_string() });
        }
        Ok(Self { account_id: file.account_id, secret_key })
    }

    /// Reads a key file. Refuses a file that group or others may read or
    /// write (on unix), a malformed key, and a `public_key` that is not the
    /// private key's.
    pub fn read(path: &Path) -> Result<Self, CredentialsError> {
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
        let mut bytes = Zeroizing::new(Vec::new());
        file.read_to_end(&mut bytes).map_err(unreadable)?;
        Self::from_json(&bytes)
    }

    /// The file's JSON (`account_id` included when known), near-cli's layout.
    pub fn to_json(&self) -> Zeroizing<String> {
        let file = KeyFileJson {
            account_id: self.account_id.as_ref(),
            public_key: self.secret_key.public_key(),
            private_key: &self.secret_key,
        };
        let mut text = Zeroizing::new(serde_json::to_string(&file).expect("JSON of a key file"));
        text.push('\n');
        text
    }

    /// The Ed25519 seed (the first half of near-crypto's key pair bytes).
    pub fn ed25519_seed(&self) -> Zeroizing<[u8; 32]> {
        let SecretKey::ED25519(pair) = &self.secret_key else { unreachable!("checked when read or generated") };
        Zeroizing::new(pair.0[..32].try_into().expect("32 bytes"))
    }

    pub fn public_key(&self) -> AccessPublicKey {
        to_access_key(&self.secret_key.public_key())
    }
}

pub(crate) fn to_access_key(key: &PublicKey) -> AccessPublicKey {
    key.to_string().parse().unwrap_or_else(|e: KeyParseError| unreachable!("near-crypto prints keys as parsed: {e}"))
}

/// An account and one of its access keys, as near-crypto's in-memory signer.
#[derive(Clone)]
pub struct Credentials {
    signer: near_crypto::Signer,
    account_id: AccountId,
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

impl Credentials {
    /// Wraps a key already in memory.
    pub fn new(account_id: AccountId, secret_key: SecretKey) -> Self {
        let public_key = to_access_key(&secret_key.public_key());
        let signer = InMemorySigner::from_secret_key(account_id.clone(), secret_key);
        Self { signer, account_id, public_key }
    }

    /// Reads a near-cli credentials file (see [`KeyFile::read`]); it must name the account.
    pub fn from_near_cli_file(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let file = KeyFile::read(path.as_ref())?;
        let account_id = file.account_id.ok_or(CredentialsError::NoAccount)?;
        Ok(Self::new(account_id, file.secret_key))
    }

    /// Parses the contents of a near-cli credentials file (no file checks).
    pub fn from_near_cli_json(json: &str) -> Result<Self, CredentialsError> {
        let file = KeyFile::from_json(json.as_bytes())?;
        let account_id = file.account_id.ok_or(CredentialsError::NoAccount)?;
        Ok(Self::new(account_id, file.secret_key))
    }

    pub fn account_id(&self) -> &AccountId {
        &self.account_id
    }

    pub fn public_key(&self) -> &AccessPublicKey {
        &self.public_key
    }

    pub(crate) fn signer(&self) -> &near_crypto::Signer {
        &self.signer
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn key_json(seed: u8, declared_seed: u8) -> String {
        let key = SigningKey::from_bytes(&[seed; 32]);
        let declared = SigningKey::from_bytes(&[declared_seed; 32]);
        format!(
            r#"{{"account_id":"alice.testnet","public_key":"ed25519:{}","private_key":"ed25519:{}"}}"#,
            bs58(&declared.verifying_key().to_bytes()),
            bs58(&key.to_keypair_bytes())
        )
    }

    fn bs58(bytes: &[u8]) -> String {
        bs58::encode(bytes).into_string()
    }

    #[test]
    fn from_near_cli_json__should_load_a_consistent_key() {
        let creds = Credentials::from_near_cli_json(&key_json(3, 3)).unwrap();
        assert_eq!(creds.account_id().as_str(), "alice.testnet");
        let expected = SigningKey::from_bytes(&[3; 32]).verifying_key().to_bytes();
        assert_eq!(creds.public_key().to_string(), format!("ed25519:{}", bs58(&expected)));
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
        let secret = bs58(&pair);
        let json = format!(
            r#"{{"account_id":"a.near","public_key":"ed25519:{}","secret_key":"ed25519:{secret}"}}"#,
            bs58(&[0u8; 32])
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
        assert!(matches!(err, CredentialsError::BadPrivateKey(_)), "{err}");
        let err = Credentials::from_near_cli_json(
            r#"{"account_id":"a.near","public_key":"ed25519:11111111111111111111111111111111","private_key":"ed25519:2222"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("length"), "{err}");
        let err = Credentials::from_near_cli_json("not json").unwrap_err();
        assert!(matches!(err, CredentialsError::NotJson(_)));
        let pair = SigningKey::from_bytes(&[3; 32]);
        let no_account = format!(
            r#"{{"public_key":"ed25519:{}","private_key":"ed25519:{}"}}"#,
            bs58(&pair.verifying_key().to_bytes()),
            bs58(&pair.to_keypair_bytes())
        );
        assert!(matches!(Credentials::from_near_cli_json(&no_account), Err(CredentialsError::NoAccount)));
        assert!(KeyFile::from_json(no_account.as_bytes()).unwrap().account_id.is_none());
    }

    #[test]
    fn key_file__should_round_trip_in_near_cli_layout() {
        let file = KeyFile::generate(Some("op.near".parse().unwrap()));
        let json: serde_json::Value = serde_json::from_str(&file.to_json()).unwrap();
        assert_eq!(json["account_id"], "op.near");
        assert_eq!(json["public_key"], file.public_key().to_string());
        assert!(json["private_key"].as_str().unwrap().starts_with("ed25519:"));
        let back = KeyFile::from_json(file.to_json().as_bytes()).unwrap();
        assert_eq!((back.public_key(), back.account_id), (file.public_key(), file.account_id));
        let anonymous = KeyFile::generate(None);
        assert!(!anonymous.to_json().contains("account_id"));
    }

    #[test]
    fn debug__should_redact_the_private_key() {
        let creds = Credentials::from_near_cli_json(&key_json(9, 9)).unwrap();
        let shown = format!("{creds:?}");
        assert!(shown.contains("<redacted>"));
        let secret = bs58(&SigningKey::from_bytes(&[9; 32]).to_bytes());
        assert!(!shown.contains(&secret));
        let file = KeyFile::from_json(key_json(9, 9).as_bytes()).unwrap();
        assert!(!format!("{file:?}").contains(&secret));
    }
}
