//! What `state()` returns: the protocol state with everything a node needs to act.

use crate::primitives::{DomainConfig, DomainId, EpochId, KeyEventId, KeyForDomain, Keyset, ThresholdParameters};
use crate::recovery::RecoveryStateView;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(
    Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
pub enum ProtocolStateView {
    NotInitialized,
    Initializing(InitializingView),
    Running(RunningView),
    Resharing(ResharingView),
    /// One participant moves to a new machine; everything else stays.
    Recovery(RecoveryStateView),
}

impl ProtocolStateView {
    /// The name of the state, as error messages and logs print it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotInitialized => "NotInitialized",
            Self::Initializing(_) => "Initializing",
            Self::Running(_) => "Running",
            Self::Resharing(_) => "Resharing",
            Self::Recovery(_) => "Recovery",
        }
    }

    /// The keyset shares must match right now: the running keyset (unchanged
    /// during recovery and, until it completes, during resharing).
    pub fn current_keyset(&self) -> Option<&Keyset> {
        match self {
            Self::NotInitialized | Self::Initializing(_) => None,
            Self::Running(s) => Some(&s.keyset),
            Self::Resharing(s) => Some(&s.previous.keyset),
            Self::Recovery(s) => Some(&s.previous.keyset),
        }
    }

    /// The participant set currently in charge (the old one while resharing).
    pub fn current_parameters(&self) -> Option<&ThresholdParameters> {
        match self {
            Self::NotInitialized => None,
            Self::Initializing(s) => Some(&s.parameters),
            Self::Running(s) => Some(&s.parameters),
            Self::Resharing(s) => Some(&s.previous.parameters),
            Self::Recovery(s) => Some(&s.previous.parameters),
        }
    }
}

/// Key generation: participants vote the public key of each domain in turn.
#[derive(
    Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct InitializingView {
    pub epoch_id: EpochId,
    pub parameters: ThresholdParameters,
    pub domains: Vec<DomainConfig>,
    /// Keys agreed so far, in domain order.
    pub generated: Vec<KeyForDomain>,
    /// The key event now being voted on.
    pub current_event: KeyEventId,
}

#[derive(
    Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RunningView {
    pub parameters: ThresholdParameters,
    pub domains: Vec<DomainConfig>,
    pub keyset: Keyset,
    /// The epoch a resharing proposal must name (`vote_new_parameters`). It is
    /// past `keyset.epoch_id + 1` when a resharing to that epoch was cancelled.
    pub next_epoch_id: EpochId,
}

impl RunningView {
    pub fn epoch_id(&self) -> EpochId {
        self.keyset.epoch_id
    }
}

/// Resharing: the new participants confirm, domain by domain, that they hold
/// shares of the unchanged keys.
#[derive(
    Clone, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema, BorshSerialize, BorshDeserialize, BorshSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ResharingView {
    pub previous: RunningView,
    pub proposal: ThresholdParameters,
    /// The epoch the network enters when resharing completes.
    pub epoch_id: EpochId,
    /// Domains whose resharing all new participants confirmed.
    pub reshared: Vec<DomainId>,
    pub current_event: KeyEventId,
}
