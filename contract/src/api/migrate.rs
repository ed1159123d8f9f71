use crate::errors::{Error, StorageError};
use crate::state::ProtocolState;
use crate::storage::ledger::StorageLedger;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use crate::{MpcContract, MpcContractExt};
use near_sdk::{env, near};

/// The state record of the release before recovery existed. Its protocol enum
/// is the current one: the recovery release only appended a variant, so every
/// stored tag reads the same.
#[near(serializers = [borsh])]
struct PreRecoveryContract {
    protocol: ProtocolState,
    registry: Registry,
}

#[near]
impl MpcContract {
    /// Upgrades the stored state in place after the code is replaced: the
    /// pre-recovery layout gains an empty backup-service registry. A state in
    /// the current layout is kept as it is, so a repeated call is harmless.
    #[private]
    #[init(ignore_state)]
    #[handle_result]
    pub fn migrate() -> Result<Self, Error> {
        let bytes = env::storage_read(b"STATE").ok_or(StorageError::NoState)?;
        if let Ok(current) = borsh::from_slice::<MpcContract>(&bytes) {
            return Ok(current);
        }
        let mut previous = borsh::from_slice::<PreRecoveryContract>(&bytes)
            .map_err(|e| StorageError::UnknownLayout { reason: e.to_string() })?;
        previous.registry.participants.upgrade_legacy_chunks();
        Ok(MpcContract {
            protocol: previous.protocol,
            registry: previous.registry,
            services: ServiceRegistry::new(),
            ledger: StorageLedger::new(),
        })
    }
}
