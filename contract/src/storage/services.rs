//! Backup-service registrations and the ephemeral keys of share transfers.

use super::raw::{RawIterableMap, RawMap};
use crate::errors::{Error, RecoveryError};
use crate::state::Caller;
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

    /// Whether the caller signs with its account's registered backup service's key.
    pub fn is_service_key(&self, caller: &Caller) -> bool {
        self.backup_services.get(&caller.account_id).is_some_and(|s| s.signer_public_key == caller.public_key)
    }

    /// The backup service registered for the caller's account, if the caller
    /// signs with that service's key (and not, say, the node's).
    pub fn signed_by(&self, caller: &Caller) -> Result<BackupServiceInfo, Error> {
        let account_id = &caller.account_id;
        let service = self
            .backup_services
            .get(account_id)
            .ok_or_else(|| RecoveryError::NoBackupService { account_id: account_id.clone() })?;
        if service.signer_public_key != caller.public_key {
            return Err(
                RecoveryError::NotBackupService { account_id: account_id.clone(), actual: caller.public_key }.into()
            );
        }
        Ok(service)
    }

    /// Ends every share-transfer session of `account_id`.
    pub fn clear_sessions(&mut self, account_id: &AccountId) {
        self.ephemeral_keys.remove(account_id);
    }
}
