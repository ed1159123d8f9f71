use crate::errors::{Error, StorageError};
use crate::state::ProtocolState;
use crate::storage::launch::LaunchSettings;
use crate::storage::ledger::StorageLedger;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use crate::{MpcContract, MpcContractExt};
use near_sdk::{env, near, AccountId};

/// The state record of the release before recovery existed. Its protocol enum
/// is the current one: the recovery release only appended a variant, so every
/// stored tag reads the same.
#[near(serializers = [borsh])]
struct PreRecoveryContract {
    protocol: ProtocolState,
    registry: Registry,
}

/// The state record of the release before the hard launch: no launch settings.
#[near(serializers = [borsh])]
struct PreHardLaunchContract {
    protocol: ProtocolState,
    registry: Registry,
    services: ServiceRegistry,
    ledger: StorageLedger,
}

#[near]
impl MpcContract {
    /// Upgrades the stored state in place after the code is replaced: the
    /// pre-recovery layout gains an empty backup-service registry, and every
    /// earlier layout gains launch settings in `Soft` mode with no verifier
    /// and no development attestations. A state in the current layout is kept
    /// as it is, so a repeated call is harmless. `tee_verifier`, when given,
    /// becomes the contract TDX quotes are verified by (the way an upgraded
    /// contract gets one, or moves to a redeployed verifier).
    #[private]
    #[init(ignore_state)]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn migrate(tee_verifier: Option<AccountId>) -> Result<Self, Error> {
        let mut contract = Self::upgraded_state()?;
        if tee_verifier.is_some() {
            contract.launch.tee_verifier = tee_verifier;
        }
        Ok(contract)
    }
}

impl MpcContract {
    fn upgraded_state() -> Result<Self, Error> {
        let bytes = env::storage_read(b"STATE").ok_or(StorageError::NoState)?;
        if let Ok(current) = borsh::from_slice::<MpcContract>(&bytes) {
            return Ok(current);
        }
        if let Ok(previous) = borsh::from_slice::<PreHardLaunchContract>(&bytes) {
            let PreHardLaunchContract { protocol, registry, services, ledger } = previous;
            return Ok(MpcContract { protocol, registry, services, ledger, launch: LaunchSettings::new(None, false) });
        }
        let mut previous = borsh::from_slice::<PreRecoveryContract>(&bytes)
            .map_err(|e| StorageError::UnknownLayout { reason: e.to_string() })?;
        previous.registry.participants.upgrade_legacy_chunks();
        Ok(MpcContract {
            protocol: previous.protocol,
            registry: previous.registry,
            services: ServiceRegistry::new(),
            ledger: StorageLedger::new(),
            launch: LaunchSettings::new(None, false),
        })
    }
}
