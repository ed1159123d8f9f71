//! The backups: one sealed file per keyset epoch in `<home>/backups/`.
//!
//! A file is a header — magic, format version, epoch, a random 24-byte
//! nonce — followed by `borsh(SharesPayload)` sealed with XChaCha20-Poly1305
//! under the storage key. The magic, version and epoch are the associated
//! data, so a file renamed to another epoch, a changed version, a flipped bit
//! or a different storage key all fail authentication: such a file is
//! reported and never used. Files are replaced atomically, and a keyset is
//! never replaced by an older one.

use crate::failpoint;
use crate::keys::BackupEncryptionKey;
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use mpc_interface::primitives::EpochId;
use rand_core::{OsRng, RngCore};
use secret_file::SecretFileError;
use share_transfer::SharesPayload;
use std::fs;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"MPCSHBAK";
pub const FORMAT_VERSION: u16 = 1;
const AAD_LEN: usize = MAGIC.len() + 2 + 8;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = AAD_LEN + NONCE_LEN;
const PREFIX: &str = "keyset-";
const SUFFIX: &str = ".sealed";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("refusing to store the keyset of epoch {offered}: the newer keyset of epoch {stored} is already stored")]
    OlderThanStored { offered: EpochId, stored: EpochId },
    #[error("no backup is stored for epoch {epoch}")]
    NotFound { epoch: EpochId },
    #[error(
        "{path} fails authentication: it is corrupted, was tampered with, or was sealed under another storage key; it \
         will not be used"
    )]
    Tampered { path: PathBuf },
    #[error("{path} is not a backup file: {reason}; it will not be used")]
    Corrupted { path: PathBuf, reason: String },
    #[error("{path} has format version {version}; this build reads version {FORMAT_VERSION}")]
    UnsupportedVersion { path: PathBuf, version: u16 },
}

impl StorageError {
    /// True if the stored file itself is bad (as opposed to a refusal or an I/O problem).
    pub fn is_corruption(&self) -> bool {
        matches!(self, Self::Tampered { .. } | Self::Corrupted { .. } | Self::UnsupportedVersion { .. })
    }
}

pub struct Storage {
    dir: PathBuf,
    cipher: XChaCha20Poly1305,
}

impl Storage {
    /// Opens (creating, 0700) the backup directory, and removes temp files a
    /// crash may have left behind: they were never renamed into place, so the
    /// previous copy is the valid one.
    pub fn open(dir: &Path, key: &BackupEncryptionKey) -> Result<Self, StorageError> {
        secret_file::create_private_dir(dir)?;
        for leftover in secret_file::remove_leftover_temp_files(dir)? {
            tracing::warn!(file = %leftover.display(), "removed an incomplete backup write left by a crash");
        }
        Ok(Self { dir: dir.to_owned(), cipher: XChaCha20Poly1305::new(key.expose().into()) })
    }

    /// Reads an existing backup directory without changing anything (for
    /// `status`): no directory is created, no leftover removed.
    pub fn inspect(dir: &Path, key: &BackupEncryptionKey) -> Self {
        Self { dir: dir.to_owned(), cipher: XChaCha20Poly1305::new(key.expose().into()) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_for(&self, epoch: EpochId) -> PathBuf {
        self.dir.join(format!("{PREFIX}{:020}{SUFFIX}", epoch.0))
    }

    fn entries(&self) -> Result<Vec<fs::DirEntry>, StorageError> {
        let io = |source| SecretFileError::Io { action: "list", path: self.dir.clone(), source };
        let dir = match fs::read_dir(&self.dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other.map_err(io)?,
        };
        dir.collect::<Result<Vec<_>, _>>().map_err(|e| io(e).into())
    }

    /// The epochs that have a backup file, oldest first (files are not opened).
    pub fn epochs(&self) -> Result<Vec<EpochId>, StorageError> {
        let mut epochs: Vec<EpochId> = self
            .entries()?
            .iter()
            .filter_map(|e| {
                let name = e.file_name();
                let name = name.to_str()?;
                name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?.parse().ok().map(EpochId)
            })
            .collect();
        epochs.sort();
        Ok(epochs)
    }

    pub fn latest_epoch(&self) -> Result<Option<EpochId>, StorageError> {
        Ok(self.epochs()?.last().copied())
    }

    /// Seals and stores `payload`, atomically replacing a copy of the same
    /// epoch; refuses if a newer epoch is stored. Older copies are removed
    /// afterwards: their shares are no use once the network reshared, and
    /// keeping them only keeps secrets around.
    pub fn store(&self, payload: &SharesPayload) -> Result<PathBuf, StorageError> {
        let epoch = payload.epoch_id;
        if let Some(stored) = self.latest_epoch()?.filter(|stored| *stored > epoch) {
            return Err(StorageError::OlderThanStored { offered: epoch, stored });
        }
        let path = self.path_for(epoch);
        let sealed = self.seal(payload);
        secret_file::write_atomically_with_hook(&path, &sealed, || failpoint::hit(failpoint::AFTER_TEMP_WRITE))?;
        for older in self.epochs()?.into_iter().filter(|e| *e < epoch) {
            let old = self.path_for(older);
            secret_file::remove_if_present(&old)?;
            tracing::info!(epoch = %older, "removed the backup of a superseded keyset");
        }
        secret_file::sync_dir(&self.dir)?;
        Ok(path)
    }

    /// Opens the backup of `epoch`, refusing a file that fails any check.
    pub fn load(&self, epoch: EpochId) -> Result<SharesPayload, StorageError> {
        let path = self.path_for(epoch);
        let bytes = match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StorageError::NotFound { epoch }),
            other => other.map_err(|source| SecretFileError::Io { action: "read", path: path.clone(), source })?,
        };
        self.open_sealed(&path, epoch, &bytes)
    }

    fn aad(epoch: EpochId) -> [u8; AAD_LEN] {
        let mut aad = [0u8; AAD_LEN];
        aad[..8].copy_from_slice(MAGIC);
        aad[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        aad[10..].copy_from_slice(&epoch.0.to_le_bytes());
        aad
    }

    fn seal(&self, payload: &SharesPayload) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = Self::aad(payload.epoch_id);
        let mut buffer = Zeroizing::new(borsh::to_vec(payload).expect("borsh to a Vec cannot fail"));
        self.cipher
            .encrypt_in_place(&XNonce::from(nonce), &aad, &mut *buffer)
            .expect("XChaCha20-Poly1305 seals any in-memory length");
        let mut file = Vec::with_capacity(HEADER_LEN + buffer.len());
        file.extend_from_slice(&aad);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&buffer);
        file
    }

    fn open_sealed(&self, path: &Path, epoch: EpochId, bytes: &[u8]) -> Result<SharesPayload, StorageError> {
        let corrupted = |reason: &str| StorageError::Corrupted { path: path.to_owned(), reason: reason.to_owned() };
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Err(corrupted("no backup header"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version != FORMAT_VERSION {
            return Err(StorageError::UnsupportedVersion { path: path.to_owned(), version });
        }
        // The file name's epoch goes into the associated data: a file copied
        // or renamed to another epoch fails authentication.
        let aad = Self::aad(epoch);
        let nonce: [u8; NONCE_LEN] = bytes[AAD_LEN..HEADER_LEN].try_into().expect("header length checked");
        let mut buffer = Zeroizing::new(bytes[HEADER_LEN..].to_vec());
        if &bytes[..AAD_LEN] != aad.as_slice()
            || self.cipher.decrypt_in_place(&XNonce::from(nonce), &aad, &mut *buffer).is_err()
        {
            return Err(StorageError::Tampered { path: path.to_owned() });
        }
        let payload: SharesPayload =
            borsh::from_slice(&buffer).map_err(|_| corrupted("the sealed shares do not decode"))?;
        if payload.epoch_id != epoch {
            return Err(corrupted("the sealed shares are of another epoch"));
        }
        Ok(payload)
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::Ed25519PublicKey;
    use mpc_interface::primitives::{DomainId, DomainPublicKey};
    use share_transfer::{DomainShare, SecretShare};

    fn payload(epoch: u64, fill: u8) -> SharesPayload {
        SharesPayload {
            epoch_id: EpochId(epoch),
            shares: vec![DomainShare {
                domain_id: DomainId(0),
                public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([1; 32])),
                secret_share: SecretShare::new(vec![fill; 32]),
            }],
        }
    }

    fn storage(dir: &Path) -> Storage {
        Storage::open(&dir.join("backups"), &BackupEncryptionKey::from_bytes(Zeroizing::new([7; 32]))).unwrap()
    }

    #[test]
    fn store__should_round_trip_and_never_hold_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        let path = s.store(&payload(3, 0x5A)).unwrap();
        assert_eq!(s.load(EpochId(3)).unwrap(), payload(3, 0x5A));
        let raw = fs::read(&path).unwrap();
        assert!(!raw.windows(32).any(|w| w == [0x5A; 32]), "the share is on disk in the clear");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(s.epochs().unwrap(), vec![EpochId(3)]);
    }

    #[test]
    fn store__should_refuse_an_older_keyset_and_keep_the_newer() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        s.store(&payload(5, 1)).unwrap();
        let err = s.store(&payload(4, 2)).unwrap_err();
        assert!(matches!(err, StorageError::OlderThanStored { offered: EpochId(4), stored: EpochId(5) }), "{err}");
        assert_eq!(s.load(EpochId(5)).unwrap(), payload(5, 1));
        assert!(matches!(s.load(EpochId(4)), Err(StorageError::NotFound { .. })));
    }

    #[test]
    fn store__should_replace_the_same_epoch_and_remove_older_ones() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        s.store(&payload(1, 1)).unwrap();
        s.store(&payload(2, 2)).unwrap();
        assert_eq!(s.epochs().unwrap(), vec![EpochId(2)]);
        s.store(&payload(2, 3)).unwrap();
        assert_eq!(s.load(EpochId(2)).unwrap(), payload(2, 3));
    }

    #[test]
    fn load__should_detect_flipped_bits_renames_and_a_wrong_key() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        let path = s.store(&payload(2, 9)).unwrap();
        let good = fs::read(&path).unwrap();
        for at in [10, HEADER_LEN - 1, HEADER_LEN + 3, good.len() - 1] {
            let mut bad = good.clone();
            bad[at] ^= 0x01;
            fs::write(&path, &bad).unwrap();
            let err = s.load(EpochId(2)).unwrap_err();
            assert!(matches!(err, StorageError::Tampered { .. }), "byte {at}: {err}");
            assert!(err.is_corruption());
        }
        fs::write(&path, &good).unwrap();
        fs::rename(&path, s.path_for(EpochId(7))).unwrap();
        assert!(matches!(s.load(EpochId(7)), Err(StorageError::Tampered { .. })), "renamed to another epoch");
        fs::rename(s.path_for(EpochId(7)), &path).unwrap();
        let other = Storage::open(s.dir(), &BackupEncryptionKey::from_bytes(Zeroizing::new([8; 32]))).unwrap();
        assert!(matches!(other.load(EpochId(2)), Err(StorageError::Tampered { .. })), "another storage key");
        assert_eq!(s.load(EpochId(2)).unwrap(), payload(2, 9));
    }

    #[test]
    fn load__should_report_truncated_files_and_unknown_versions() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        let path = s.store(&payload(2, 9)).unwrap();
        let good = fs::read(&path).unwrap();
        fs::write(&path, &good[..5]).unwrap();
        assert!(matches!(s.load(EpochId(2)), Err(StorageError::Corrupted { .. })));
        let mut newer = good.clone();
        newer[8] = 2;
        fs::write(&path, &newer).unwrap();
        assert!(matches!(s.load(EpochId(2)), Err(StorageError::UnsupportedVersion { version: 2, .. })));
    }

    #[test]
    fn open__should_remove_a_temp_file_left_by_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let s = storage(dir.path());
        s.store(&payload(1, 1)).unwrap();
        let temp = secret_file::temp_path(&s.path_for(EpochId(2)));
        fs::write(&temp, b"half a backup").unwrap();
        let s = storage(dir.path());
        assert!(!temp.exists());
        assert_eq!(s.epochs().unwrap(), vec![EpochId(1)]);
    }

    #[test]
    fn inspect__should_read_without_creating_or_cleaning_anything() {
        let dir = tempfile::tempdir().unwrap();
        let key = BackupEncryptionKey::from_bytes(Zeroizing::new([7; 32]));
        let missing = Storage::inspect(&dir.path().join("none"), &key);
        assert_eq!(missing.epochs().unwrap(), vec![]);
        assert!(!dir.path().join("none").exists());
        let s = storage(dir.path());
        s.store(&payload(1, 1)).unwrap();
        let temp = secret_file::temp_path(&s.path_for(EpochId(2)));
        fs::write(&temp, b"half a backup").unwrap();
        let inspected = Storage::inspect(s.dir(), &key);
        assert_eq!(inspected.load(EpochId(1)).unwrap(), payload(1, 1));
        assert!(temp.exists());
    }
}
