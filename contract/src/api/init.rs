use crate::errors::Error;
use crate::events::Event;
use crate::state::validation::{check_domains, check_keyset, check_shape};
use crate::state::{InitializingState, ProtocolState, RunningState};
use crate::storage::launch::LaunchSettings;
use crate::storage::registry::Registry;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::primitives::{DomainConfig, Keyset, ThresholdParameters};
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// Starts key generation for `domains` with `parameters`' participants.
    /// `tee_verifier` is the contract TDX quotes are verified by in Hard mode;
    /// `allow_dev_attestation` (default false) accepts development attestations.
    #[init]
    #[private]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn init(
        parameters: ThresholdParameters,
        domains: Vec<DomainConfig>,
        tee_verifier: Option<AccountId>,
        allow_dev_attestation: Option<bool>,
    ) -> Result<Self, Error> {
        let mut registry = Registry::new();
        let step = InitializingState::start(&mut registry, &parameters, domains)?;
        let launch = LaunchSettings::new(tee_verifier, allow_dev_attestation.unwrap_or(false));
        Ok(Self::from_step(registry, launch, step))
    }

    /// Starts directly in Running with an existing keyset (tests, migrations).
    #[init]
    #[private]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn init_running(
        parameters: ThresholdParameters,
        domains: Vec<DomainConfig>,
        keyset: Keyset,
    ) -> Result<Self, Error> {
        check_shape(&parameters)?;
        check_domains(&domains)?;
        check_keyset(&domains, &keyset)?;
        let mut registry = Registry::new();
        registry.install_participants(&parameters);
        let epoch_id = keyset.epoch_id;
        let running = RunningState::new(domains, keyset, &mut registry.votes);
        let step = crate::state::Step::to(ProtocolState::Running(running), vec![Event::Running { epoch_id }]);
        Ok(Self::from_step(registry, LaunchSettings::new(None, false), step))
    }
}
