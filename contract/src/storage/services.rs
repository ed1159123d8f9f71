//! Backup-service registrations and the ephemeral keys of share transfers.

use super::raw::{RawIterableMap, RawMap};
use crate::storage_keys::StorageKey;
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys};
use near_sdk::{near, AccountId};

#[near(serializers = [borsh])]
pub struct ServiceRegistry {
    pub backup_services: RawIterableMap<AccountId, BackupServiceInfo>,
    pub ephemeral_keys: RawMap<AccountId, EphemeralKeys>,
}

impl ServiceRegistry {
    pub fn new() -> Self {
        Self {
            backup_services: RawIterableMap::new(StorageKey::BackupServices),
            ephemeral_keys: RawMap::new(StorageKey::EphemeralKeys),
        }
    }

    /// Ends every share-transfer session of `account_id`.
    pub fn clear_sessions(&mut self, account_id: &AccountId) {
        self.ephemeral_keys.remove(account_id);
    }
}
