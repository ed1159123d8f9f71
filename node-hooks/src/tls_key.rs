//! The machine's TLS identity: an Ed25519 key in `<home>/tls_key`, generated
//! on first run and never replaced (a new key means a new machine, which the
//! contract handles through recovery). Stored as NEAR key files store secrets,
//! `ed25519:<base58 of the 32-byte seed followed by the 32-byte public key>`,
//! mode 0600; the public half is checked against the seed on every load.

use ed25519_dalek::SigningKey;
use mpc_interface::keys::Ed25519PublicKey;
use rand_core::{OsRng, RngCore};
use secret_file::SecretFileError;
use share_transfer::Identity;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The key file's name in the node's home directory.
pub const TLS_KEY_FILE: &str = "tls_key";
const PREFIX: &str = "ed25519:";

#[derive(Debug, thiserror::Error)]
pub enum TlsKeyError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("{} is not an Ed25519 secret key: {reason}", path.display())]
    Malformed { path: PathBuf, reason: &'static str },
    #[error("{} is corrupt: its public half is {stored}, but its seed derives {derived}", path.display())]
    Corrupt { path: PathBuf, stored: Ed25519PublicKey, derived: Ed25519PublicKey },
}

/// Loads `<home>/tls_key`, creating it (0600) with a fresh key if absent.
/// Returns the identity and whether it was just generated.
pub fn load_or_generate(home: &Path) -> Result<(Identity, bool), TlsKeyError> {
    let path = home.join(TLS_KEY_FILE);
    if let Some(identity) = load(&path)? {
        return Ok((identity, false));
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(seed.as_mut());
    let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut keypair = Zeroizing::new([0u8; 64]);
    keypair[..32].copy_from_slice(seed.as_ref());
    keypair[32..].copy_from_slice(&public);
    let text = Zeroizing::new(format!("{PREFIX}{}\n", bs58::encode(keypair.as_ref()).into_string()));
    // Created, never overwritten: two agents starting at once cannot end up
    // with different keys; the loser reads the winner's.
    match secret_file::create_atomically(&path, text.as_bytes()) {
        Ok(()) => Ok((Identity::from_seed(&seed), true)),
        Err(e) => match load(&path)? {
            Some(identity) => Ok((identity, false)),
            None => Err(e.into()),
        },
    }
}

/// Loads the key at `path`, if there is one.
pub fn load(path: &Path) -> Result<Option<Identity>, TlsKeyError> {
    let Some(bytes) = secret_file::read(path)? else {
        return Ok(None);
    };
    let malformed = |reason| TlsKeyError::Malformed { path: path.to_owned(), reason };
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed("not UTF-8 text"))?;
    let body = text.trim().strip_prefix(PREFIX).ok_or_else(|| malformed("it does not start with `ed25519:`"))?;
    let mut keypair = Zeroizing::new([0u8; 64]);
    let len = bs58::decode(body).onto(keypair.as_mut_slice()).map_err(|_| malformed("not base58 of 64 bytes"))?;
    if len != 64 {
        return Err(malformed("not base58 of 64 bytes"));
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&keypair[..32]);
    let identity = Identity::from_seed(&seed);
    let stored = Ed25519PublicKey(keypair[32..].try_into().expect("32 bytes"));
    if identity.public_key() != stored {
        return Err(TlsKeyError::Corrupt { path: path.to_owned(), stored, derived: identity.public_key() });
    }
    Ok(Some(identity))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn load_or_generate__should_create_a_0600_key_once_and_reload_it() {
        let home = tempfile::tempdir().unwrap();
        let (first, created) = load_or_generate(home.path()).unwrap();
        assert!(created);
        let path = home.path().join(TLS_KEY_FILE);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let (again, created) = load_or_generate(home.path()).unwrap();
        assert!(!created);
        assert_eq!(again.public_key(), first.public_key());
    }

    #[test]
    fn load__should_refuse_open_permissions_and_corrupt_keys() {
        let home = tempfile::tempdir().unwrap();
        let (identity, _) = load_or_generate(home.path()).unwrap();
        let path = home.path().join(TLS_KEY_FILE);

        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(load(&path), Err(TlsKeyError::File(SecretFileError::TooOpen { .. }))));

        // Same seed, wrong public half.
        let text = fs::read_to_string(&path).unwrap();
        let mut bytes = bs58::decode(text.trim().strip_prefix(PREFIX).unwrap()).into_vec().unwrap();
        bytes[40] ^= 1;
        fs::remove_file(&path).unwrap();
        secret_file::write_atomically(&path, format!("{PREFIX}{}", bs58::encode(&bytes).into_string()).as_bytes())
            .unwrap();
        match load(&path) {
            Err(TlsKeyError::Corrupt { derived, .. }) => assert_eq!(derived, identity.public_key()),
            other => panic!("expected a corrupt key, got {other:?}"),
        }

        secret_file::write_atomically(&path, b"ed25519:not-base58-0OIl").unwrap();
        assert!(matches!(load(&path), Err(TlsKeyError::Malformed { .. })));
    }
}
