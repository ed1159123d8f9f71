//! The MPC signing network's contract: participants, keysets, the protocol
//! state machine and its votes.
//!
//! Layout: `api/` holds the `#[near]` entry points, `state/` the state machine
//! as plain Rust, `storage/` the stored structures, plus errors, events and
//! storage keys.
// Errors are built once per failed call, which then aborts: their size costs
// nothing worth boxing for. Stored structures are made with their prefixes by
// `new`; a `Default` would hide that.
#![allow(clippy::result_large_err, clippy::new_without_default)]

#[cfg(target_arch = "wasm32")]
mod alloc;
pub mod api;
pub mod errors;
pub mod events;
pub mod forwarded;
pub mod state;
pub mod storage;
pub mod storage_keys;

use near_sdk::near;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::Bump = alloc::Bump::new();
use state::{ProtocolState, Step};
use storage::launch::LaunchSettings;
use storage::ledger::StorageLedger;
use storage::registry::Registry;
use storage::services::ServiceRegistry;

#[near(contract_state)]
pub struct MpcContract {
    protocol: ProtocolState,
    registry: Registry,
    /// Added by the recovery release (`migrate` creates it empty).
    services: ServiceRegistry,
    /// NEP-145 storage balances of non-participants (added with storage management).
    ledger: StorageLedger,
    /// The hard launch: launch mode, allowed measurements, attestations (added by the hard launch).
    launch: LaunchSettings,
}

/// An account with no state reads as `NotInitialized`; every mutating method
/// refuses that state, so nothing is ever written before `init`.
impl Default for MpcContract {
    fn default() -> Self {
        Self {
            protocol: ProtocolState::NotInitialized,
            registry: Registry::new(),
            services: ServiceRegistry::new(),
            ledger: StorageLedger::new(),
            launch: LaunchSettings::new(None, false),
        }
    }
}

impl MpcContract {
    fn from_step(registry: Registry, launch: LaunchSettings, step: Step) -> Self {
        let mut contract = Self { registry, launch, ..Self::default() };
        contract.apply(step);
        contract
    }

    /// Emits the step's events and moves to its state.
    fn apply(&mut self, step: Step) {
        for event in step.events {
            event.emit();
        }
        if let Some(next) = step.next {
            self.protocol = next;
        }
    }
}
