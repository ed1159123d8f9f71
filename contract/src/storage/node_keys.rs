//! Which NEAR access key acts as each participant's node: recorded from a
//! candidate's `submit_participant_info` (or a seated participant's first
//! refresh) and moved to the new machine's key at `conclude_recovery`.
//!
//! The map lives under its own prefix and is not part of the state record
//! (`Registry` skips it in borsh), so adding it changed no stored layout.
//! Entries are `StorageKey::NodeKeys` followed by the account id.

use crate::errors::{CallerError, Error};
use crate::storage_keys::StorageKey;
use mpc_interface::keys::AccessPublicKey;
use near_sdk::{env, AccountId};

/// Read and written straight through (no cache): a call touches one entry at
/// most twice, and plain host calls keep the wasm smaller than a `LookupMap`.
#[derive(Default)]
pub struct NodeKeys;

fn key(account_id: &AccountId) -> Vec<u8> {
    let mut key = borsh::to_vec(&StorageKey::NodeKeys).expect("borsh of a storage key");
    key.extend_from_slice(account_id.as_bytes());
    key
}

impl NodeKeys {
    pub fn get(&self, account_id: &AccountId) -> Option<AccessPublicKey> {
        env::storage_read(&key(account_id)).map(|bytes| borsh::from_slice(&bytes).expect("a stored node key"))
    }

    pub fn set(&mut self, account_id: &AccountId, node_key: AccessPublicKey) {
        env::storage_write(&key(account_id), &borsh::to_vec(&node_key).expect("borsh of a key"));
    }

    pub fn remove(&mut self, account_id: &AccountId) {
        env::storage_remove(&key(account_id));
    }

    /// Fails if a node key is recorded for `account_id` and `key` is another.
    pub fn ensure(&self, method: &'static str, account_id: &AccountId, key: &AccessPublicKey) -> Result<(), Error> {
        match self.get(account_id) {
            Some(expected) if expected != *key => {
                Err(CallerError::WrongNodeKey { method, account_id: account_id.clone(), expected, actual: *key }.into())
            }
            _ => Ok(()),
        }
    }

    /// Fails unless `key` is the node key recorded for `account_id`.
    pub fn require(&self, method: &'static str, account_id: &AccountId, key: &AccessPublicKey) -> Result<(), Error> {
        if self.get(account_id).is_none() {
            return Err(CallerError::NoNodeKey { method, account_id: account_id.clone() }.into());
        }
        self.ensure(method, account_id, key)
    }
}
