//! The protocol state machine as plain Rust. A transition takes the stored
//! records it needs and returns a `Step`: the state to move to (if any) and the
//! events to emit. Entry points in `api/` do the rest (caller checks, logging).

pub mod backup;
pub mod candidates;
pub mod initializing;
pub mod launch;
pub mod recovery;
pub mod resharing;
pub mod running;
#[cfg(test)]
pub(crate) mod test_support;
pub mod validation;

use crate::errors::{Error, StateError};
use crate::events::Event;
use crate::storage::verifying::VerifyingShareStore;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::primitives::{EpochId, ParticipantId, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::verifying::{DomainVerifyingShare, ParticipantVerifyingShares};
use near_sdk::{near, AccountId};

pub use initializing::InitializingState;
pub use recovery::RecoveryState;
pub use resharing::ResharingState;
pub use running::RunningState;

#[near(serializers = [borsh])]
#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolState {
    NotInitialized,
    Initializing(InitializingState),
    Running(RunningState),
    Resharing(ResharingState),
    /// Appended after the pre-recovery release: earlier variants keep their tags.
    Recovery(RecoveryState),
}

/// Who makes a call: the account, the access key it signs with, and the
/// deposit (at least 1 yoctoNEAR proves a full-access key). Built and checked
/// by `api/guards.rs`; the state machine reads only the account and the key.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: AccountId,
    pub public_key: AccessPublicKey,
    pub deposit: u128,
}

/// What a transition did.
#[derive(Debug, Default)]
pub struct Step {
    pub next: Option<ProtocolState>,
    pub events: Vec<Event>,
}

impl Step {
    pub fn stay(events: Vec<Event>) -> Self {
        Self { next: None, events }
    }
    pub fn to(next: ProtocolState, events: Vec<Event>) -> Self {
        Self { next: Some(next), events }
    }
}

impl ProtocolState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotInitialized => "NotInitialized",
            Self::Initializing(_) => "Initializing",
            Self::Running(_) => "Running",
            Self::Resharing(_) => "Resharing",
            Self::Recovery(_) => "Recovery",
        }
    }

    /// The epoch of the keyset in use (the one being generated while
    /// Initializing); none before `init`.
    pub fn epoch(&self) -> Option<EpochId> {
        match self {
            Self::NotInitialized => None,
            Self::Initializing(s) => Some(s.epoch_id),
            Self::Running(s) => Some(s.keyset.epoch_id),
            Self::Resharing(s) => Some(s.previous.keyset.epoch_id),
            Self::Recovery(s) => Some(s.previous.keyset.epoch_id),
        }
    }

    /// The error for `method` called in this state when it needs `expected`.
    pub fn wrong(&self, method: &'static str, expected: &'static str) -> Error {
        StateError::WrongState { method, actual: self.name(), expected }.into()
    }

    /// The keyset in force with its domains: none before key generation ends.
    pub fn current_running(&self) -> Option<&RunningState> {
        match self {
            Self::NotInitialized | Self::Initializing(_) => None,
            Self::Running(s) => Some(s),
            Self::Resharing(s) => Some(&s.previous),
            Self::Recovery(s) => Some(&s.previous),
        }
    }

    /// `participant_id`'s verifying shares of the keyset in force, given its
    /// `rank` (how many of the set have a lower id); none before key
    /// generation ends, and none for a keyset agreed before the contract
    /// recorded verifying shares (one from a pre-recovery release).
    pub fn verifying_shares(
        &self,
        participant_id: ParticipantId,
        rank: usize,
        store: &VerifyingShareStore,
    ) -> Option<ParticipantVerifyingShares> {
        let running = self.current_running()?;
        let epoch_id = running.keyset.epoch_id;
        let domains = running
            .domains
            .iter()
            .map(|d| {
                store
                    .get(epoch_id, d.id, rank)
                    .map(|verifying_share| DomainVerifyingShare { domain_id: d.id, verifying_share })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ParticipantVerifyingShares { epoch_id, participant_id, domains })
    }

    /// The view `state()` returns, given the participant set in charge.
    pub fn view(
        &self,
        current: ThresholdParameters,
        registry: &crate::storage::registry::Registry,
    ) -> ProtocolStateView {
        match self {
            Self::NotInitialized => ProtocolStateView::NotInitialized,
            Self::Initializing(s) => ProtocolStateView::Initializing(s.view(current)),
            Self::Running(s) => ProtocolStateView::Running(s.view(current)),
            Self::Resharing(s) => ProtocolStateView::Resharing(s.view(current, registry)),
            Self::Recovery(s) => ProtocolStateView::Recovery(s.view(current, registry)),
        }
    }
}
