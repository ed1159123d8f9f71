//! The service's key material in its home directory (0700), every file 0600:
//!
//! | file | what |
//! |---|---|
//! | `identity.json` | the Ed25519 identity (TLS and web request signatures), registered as `public_key` |
//! | `access_key.json` | the NEAR access key the service signs its own calls with, registered as `signer_public_key`; near-cli credentials format (`account_id` included when `--operator` was given) |
//! | `storage.key` | 32 random bytes, hex: the key backups are sealed with; `BACKUP_SERVICE_STORAGE_KEY` (hex) overrides it |

use contract_client::rpc::{CredentialsError, KeyFile};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::AccountId;
use near_crypto::SecretKey;
use rand_core::{OsRng, RngCore};
use secret_file::SecretFileError;
use share_transfer::Identity;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

pub const IDENTITY_FILE: &str = "identity.json";
pub const ACCESS_KEY_FILE: &str = "access_key.json";
pub const STORAGE_KEY_FILE: &str = "storage.key";
pub const STORAGE_KEY_ENV: &str = "BACKUP_SERVICE_STORAGE_KEY";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("{path}: {source}")]
    Malformed { path: PathBuf, source: CredentialsError },
    #[error("{origin}: the storage key must be 64 hex digits (32 bytes)")]
    BadStorageKey { origin: String },
}

/// Where the key files live inside `--home`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPaths {
    pub identity: PathBuf,
    pub access_key: PathBuf,
    pub storage_key: PathBuf,
}

impl KeyPaths {
    pub fn in_home(home: &Path) -> Self {
        Self {
            identity: home.join(IDENTITY_FILE),
            access_key: home.join(ACCESS_KEY_FILE),
            storage_key: home.join(STORAGE_KEY_FILE),
        }
    }

    fn all(&self) -> [&Path; 3] {
        [&self.identity, &self.access_key, &self.storage_key]
    }
}

/// The 32-byte key backups are sealed with; wiped on drop, never printed.
#[derive(Clone)]
pub struct BackupEncryptionKey(Zeroizing<[u8; 32]>);

impl BackupEncryptionKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *key);
        Self(key)
    }

    pub fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored); `origin` names the source in errors.
    pub fn from_hex(text: &str, origin: &str) -> Result<Self, KeyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), &mut *key).map_err(|_| KeyError::BadStorageKey { origin: origin.into() })?;
        Ok(Self(key))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.0))
    }

    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for BackupEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupEncryptionKey(<redacted>)")
    }
}

/// The public halves written by `generate-keys`, for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedKeys {
    pub identity: Ed25519PublicKey,
    pub access_key: AccessPublicKey,
    pub paths: KeyPaths,
}

/// Creates `home` (0700) and the three key files (0600). Refuses if any of
/// them exists, before writing anything, naming the file.
pub fn generate(home: &Path, operator: Option<&AccountId>) -> Result<GeneratedKeys, KeyError> {
    let paths = KeyPaths::in_home(home);
    if let Some(existing) = paths.all().into_iter().find(|p| p.exists()) {
        return Err(SecretFileError::AlreadyExists { path: existing.to_owned() }.into());
    }
    secret_file::create_private_dir(home)?;
    let identity = KeyFile::generate(None);
    let access = KeyFile::generate(operator.cloned());
    let storage = BackupEncryptionKey::generate();
    secret_file::create_atomically(&paths.identity, identity.to_json().as_bytes())?;
    secret_file::create_atomically(&paths.access_key, access.to_json().as_bytes())?;
    let mut storage_text = storage.to_hex();
    storage_text.push('\n');
    secret_file::create_atomically(&paths.storage_key, storage_text.as_bytes())?;
    Ok(GeneratedKeys {
        identity: Identity::from_seed(&identity.ed25519_seed()).public_key(),
        access_key: access.public_key(),
        paths,
    })
}

/// A NEAR key file (near-crypto's key types; see `contract_client::rpc::KeyFile`).
fn load_key_file(path: &Path) -> Result<KeyFile, KeyError> {
    let bytes = secret_file::read_existing(path)?;
    KeyFile::from_json(&bytes).map_err(|source| KeyError::Malformed { path: path.to_owned(), source })
}

/// The service's identity: the same Ed25519 key as a share-transfer identity.
pub fn load_identity(path: &Path) -> Result<Identity, KeyError> {
    Ok(Identity::from_seed(&load_key_file(path)?.ed25519_seed()))
}

/// The service's NEAR access key file: its public key and the account it names, if any.
pub fn load_access_key(path: &Path) -> Result<(AccessPublicKey, Option<AccountId>), KeyError> {
    let file = load_key_file(path)?;
    Ok((file.public_key(), file.account_id))
}

/// The service's NEAR access key, for signing its transactions.
pub fn load_access_secret_key(path: &Path) -> Result<SecretKey, KeyError> {
    Ok(load_key_file(path)?.secret_key)
}

/// The storage key: from `env_value` (the `BACKUP_SERVICE_STORAGE_KEY`
/// variable) when set, otherwise from the file.
pub fn load_storage_key(path: &Path, env_value: Option<&str>) -> Result<BackupEncryptionKey, KeyError> {
    match env_value {
        Some(text) => BackupEncryptionKey::from_hex(text, STORAGE_KEY_ENV),
        None => {
            let bytes = secret_file::read_existing(path)?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| KeyError::BadStorageKey { origin: path.display().to_string() })?;
            BackupEncryptionKey::from_hex(text, &path.display().to_string())
        }
    }
}

/// What the service needs to run: its identity and its storage key.
#[derive(Clone, Debug)]
pub struct ServiceKeys {
    pub identity: Arc<Identity>,
    pub storage_key: BackupEncryptionKey,
}

impl ServiceKeys {
    /// Loads the keys from `home`; the storage key from the environment if set.
    pub fn load(home: &Path) -> Result<Self, KeyError> {
        let paths = KeyPaths::in_home(home);
        let env = std::env::var(STORAGE_KEY_ENV).ok().map(Zeroizing::new);
        Ok(Self {
            identity: Arc::new(load_identity(&paths.identity)?),
            storage_key: load_storage_key(&paths.storage_key, env.as_deref().map(String::as_str))?,
        })
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn generate__should_write_private_files_that_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("svc");
        let operator: AccountId = "node0.near".parse().unwrap();
        let keys = generate(&home, Some(&operator)).unwrap();
        assert_eq!(mode(&home), 0o700);
        for path in keys.paths.all() {
            assert_eq!(mode(path), 0o600, "{}", path.display());
        }
        assert_eq!(load_identity(&keys.paths.identity).unwrap().public_key(), keys.identity);
        assert_eq!(load_access_key(&keys.paths.access_key).unwrap(), (keys.access_key, Some(operator)));
        let loaded = ServiceKeys::load(&home).unwrap();
        assert_eq!(loaded.identity.public_key(), keys.identity);
        assert_ne!(AccessPublicKey::Ed25519(keys.identity), keys.access_key, "two independent keys");
    }

    #[test]
    fn generate__should_refuse_to_overwrite_naming_the_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = generate(dir.path(), None).unwrap();
        let before = fs::read(&first.paths.identity).unwrap();
        let err = generate(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains(IDENTITY_FILE), "{err}");
        assert_eq!(fs::read(&first.paths.identity).unwrap(), before, "nothing overwritten");
        fs::remove_file(&first.paths.identity).unwrap();
        let err = generate(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains(ACCESS_KEY_FILE), "{err}");
        assert!(!first.paths.identity.exists(), "refused before writing anything");
    }

    #[test]
    fn load_storage_key__should_prefer_the_environment_and_refuse_bad_hex() {
        let dir = tempfile::tempdir().unwrap();
        let keys = generate(dir.path(), None).unwrap();
        let from_file = load_storage_key(&keys.paths.storage_key, None).unwrap();
        let env = "ab".repeat(32);
        let from_env = load_storage_key(&keys.paths.storage_key, Some(&env)).unwrap();
        assert_eq!(from_env.expose(), &[0xab; 32]);
        assert_ne!(from_file.expose(), from_env.expose());
        let err = load_storage_key(&keys.paths.storage_key, Some("abc")).unwrap_err();
        assert_eq!(err.to_string(), "BACKUP_SERVICE_STORAGE_KEY: the storage key must be 64 hex digits (32 bytes)");
        assert_eq!(format!("{from_env:?}"), "BackupEncryptionKey(<redacted>)");
    }
}
