//! Where a node keeps its shares of the current keyset: one file in its home
//! directory, written atomically with mode 0600.
//!
//! File layout (all borsh): magic `MPCSHARE`, format version (u16), the
//! [`SharesPayload`], then the SHA-256 of everything before it. The checksum
//! catches a corrupted share that would still decode (a flipped bit in the
//! secret), which borsh alone cannot.

use borsh::{BorshDeserialize, BorshSerialize};
use secret_file::SecretFileError;
use sha2::{Digest, Sha256};
use share_transfer::{Expected, PayloadError, SharesPayload};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The share file's name in the node's home directory.
pub const SHARES_FILE: &str = "shares.borsh";

const MAGIC: [u8; 8] = *b"MPCSHARE";
const FORMAT_VERSION: u16 = 1;
const CHECKSUM_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("{} is not a share file (it does not start with the share-file magic)", path.display())]
    NotAShareFile { path: PathBuf },
    #[error("{} has share-file format version {found}; this node reads version {FORMAT_VERSION}", path.display())]
    UnsupportedVersion { path: PathBuf, found: u16 },
    #[error("{} is corrupted: {reason}", path.display())]
    Corrupted { path: PathBuf, reason: String },
    #[error("refusing to import shares that do not match the contract: {0}; nothing was written")]
    Mismatch(#[source] PayloadError),
    #[error(
        "refusing a redelivery of epoch {epoch_id}'s shares that differs from the verified shares already stored; \
         nothing was written"
    )]
    DiffersFromStored { epoch_id: mpc_interface::primitives::EpochId },
}

/// A node's shares of the current keyset.
pub trait ShareStore: Send + Sync {
    /// The stored shares, or None if there are none yet.
    fn load(&self) -> Result<Option<SharesPayload>, StoreError>;

    /// Replaces the stored shares, unchecked. For the MPC node's own output;
    /// shares that come from elsewhere go through [`ShareStore::import`].
    fn write(&self, shares: &SharesPayload) -> Result<(), StoreError>;

    /// Stores `shares` only if they are exactly what the contract expects
    /// ([`SharesPayload::check_against`]): same epoch, every domain in order,
    /// each public key, each share matching this node's verifying share. On
    /// a mismatch nothing is written.
    ///
    /// Idempotent, for deliveries that are retried until confirmed: shares
    /// equal to those stored are written again (so they are surely durable);
    /// shares that replace a missing, unreadable or other keyset's file are
    /// written; shares of the same keyset that differ from verified shares
    /// already stored are refused.
    fn import(&self, shares: &SharesPayload, expected: &Expected) -> Result<(), StoreError> {
        shares.check_against(expected).map_err(StoreError::Mismatch)?;
        if let Ok(Some(stored)) = self.load() {
            if stored.check_against(expected).is_ok() && stored != *shares {
                return Err(StoreError::DiffersFromStored { epoch_id: shares.epoch_id });
            }
        }
        self.write(shares)
    }

    /// Overwrites the stored shares and removes them, for a machine that is
    /// decommissioned. Nothing stored is not an error.
    fn destroy(&self) -> Result<(), StoreError>;
}

#[derive(BorshSerialize, BorshDeserialize)]
struct Envelope {
    magic: [u8; 8],
    version: u16,
    payload: SharesPayload,
}

/// The share file in a node's home directory.
#[derive(Clone, Debug)]
pub struct FileShareStore {
    path: PathBuf,
}

impl FileShareStore {
    /// The store at `<home>/shares.borsh`.
    pub fn in_home(home: &Path) -> Self {
        Self::at(home.join(SHARES_FILE))
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn corrupted(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupted { path: self.path.clone(), reason: reason.into() }
    }

    fn decode(&self, bytes: &[u8]) -> Result<SharesPayload, StoreError> {
        if !bytes.starts_with(&MAGIC) {
            return Err(StoreError::NotAShareFile { path: self.path.clone() });
        }
        let Some(body_len) = bytes.len().checked_sub(CHECKSUM_LEN) else {
            return Err(self.corrupted("truncated before its checksum"));
        };
        let (body, checksum) = bytes.split_at(body_len);
        if Sha256::digest(body)[..] != *checksum {
            return Err(self.corrupted("checksum mismatch (the content changed after it was written)"));
        }
        // Read the version before the payload, so a newer format is named as
        // such rather than reported as garbage.
        let version = body
            .get(MAGIC.len()..MAGIC.len() + 2)
            .map(|v| u16::from_le_bytes([v[0], v[1]]))
            .ok_or_else(|| self.corrupted("truncated before its format version"))?;
        if version != FORMAT_VERSION {
            return Err(StoreError::UnsupportedVersion { path: self.path.clone(), found: version });
        }
        let envelope: Envelope =
            borsh::from_slice(body).map_err(|e| self.corrupted(format!("the shares do not decode: {e}")))?;
        Ok(envelope.payload)
    }
}

/// Borsh of the envelope plus its checksum, in a buffer wiped on drop.
fn encode(shares: &SharesPayload) -> Zeroizing<Vec<u8>> {
    let envelope = Envelope { magic: MAGIC, version: FORMAT_VERSION, payload: shares.clone() };
    let len = borsh::object_length(&envelope).expect("in-memory length");
    let mut bytes = Zeroizing::new(Vec::with_capacity(len + CHECKSUM_LEN));
    borsh::to_writer(&mut *bytes, &envelope).expect("borsh to a Vec cannot fail");
    let checksum = Sha256::digest(bytes.as_slice());
    bytes.extend_from_slice(&checksum);
    bytes
}

impl ShareStore for FileShareStore {
    fn load(&self) -> Result<Option<SharesPayload>, StoreError> {
        match secret_file::read(&self.path)? {
            None => Ok(None),
            Some(bytes) => self.decode(&bytes).map(Some),
        }
    }

    fn write(&self, shares: &SharesPayload) -> Result<(), StoreError> {
        secret_file::write_atomically(&self.path, &encode(shares))?;
        tracing::info!(path = %self.path.display(), epoch = %shares.epoch_id, domains = ?shares.domain_ids(), "shares stored");
        Ok(())
    }

    fn destroy(&self) -> Result<(), StoreError> {
        if secret_file::shred(&self.path)? {
            tracing::warn!(path = %self.path.display(), "share file overwritten and removed");
        }
        Ok(())
    }
}
