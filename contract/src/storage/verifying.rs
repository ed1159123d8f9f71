//! Verifying shares of the keysets, outside the state record: one entry per
//! (epoch, domain) holding every participant's verifying share as the votes
//! agreed them, a plain list in increasing participant id. `state()` never reads them; `verifying_shares(account)`
//! reads one entry per domain. Stored are the keyset in force and, during a
//! resharing, the keyset being agreed; nothing older.
//!
//! Plain storage calls rather than a `LookupMap`: one write per agreed domain
//! needs no cache, and the wasm stays smaller.

use crate::storage_keys::StorageKey;
use mpc_interface::primitives::{DomainId, DomainPublicKey, EpochId};
use near_sdk::env;

/// A handle on the stored entries. It holds no data (only knows the storage
/// prefix), so it is not part of the state record either.
#[derive(Default)]
pub struct VerifyingShareStore;

fn key(epoch_id: EpochId, domain_id: DomainId) -> Vec<u8> {
    borsh::to_vec(&(StorageKey::VerifyingShares, epoch_id, domain_id)).expect("borsh of a key")
}

impl VerifyingShareStore {
    /// Records the agreed verifying shares of `domain_id` at `epoch_id`.
    pub fn record(&mut self, epoch_id: EpochId, domain_id: DomainId, shares: &[DomainPublicKey]) {
        env::storage_write(&key(epoch_id, domain_id), &borsh::to_vec(shares).expect("borsh of shares"));
    }

    /// Deletes the entries of `epoch_id` for `domains`.
    pub fn remove(&mut self, epoch_id: EpochId, domains: impl IntoIterator<Item = DomainId>) {
        for domain_id in domains {
            env::storage_remove(&key(epoch_id, domain_id));
        }
    }

    /// The verifying share of `domain_id` at `epoch_id` of the participant
    /// with the `rank`-th lowest id of the set.
    pub fn get(&self, epoch_id: EpochId, domain_id: DomainId, rank: usize) -> Option<DomainPublicKey> {
        let bytes = env::storage_read(&key(epoch_id, domain_id))?;
        let shares: Vec<DomainPublicKey> = borsh::from_slice(&bytes).ok()?;
        shares.get(rank).copied()
    }
}
