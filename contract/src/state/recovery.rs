//! Recovery: one participant moves to a new machine (a new TLS key) while the
//! participant set, the ids and the threshold stay exactly as they are.
//!
//! Path: `submit_participant_recovery_info` (pending, or approved when the
//! operator's key entered it naming the new node's key) -> `approve_recovery`
//! naming the new machine's TLS key -> the backup service delivers and
//! `confirm_recovery_delivery` -> `conclude_recovery` from the new node's key,
//! which becomes the participant's node key. No share may leave a backup
//! service before approval.

use super::running::RunningState;
use super::{ProtocolState, Step};
use crate::errors::{Error, RecoveryError};
use crate::events::{Event, RecoveryCancelledBy};
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use crate::storage::votes::{BallotKind, VoteBook, Weight};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::primitives::{EpochId, Keyset, ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::{RecoveryStateView, RecoveryStatus, RecoveryView};
use near_sdk::{near, AccountId};

const CANCEL: &[u8] = b"cancel recovery";

#[near(serializers = [borsh])]
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryState {
    /// The running network, resumed unchanged (or with the new machine) after.
    pub previous: RunningState,
    pub account_id: AccountId,
    pub new_info: ParticipantInfo,
    /// The new node's access key: the only key that may publish the node's
    /// recovery session key and conclude; the node key after conclusion.
    pub new_signer: AccessPublicKey,
    pub status: RecoveryStatus,
    pub cancel_round: u64,
}

/// A participant admitted to enter a recovery (`api/guards.rs` checks the
/// caller and its deposit): its TLS key now, the access key that will act for
/// the new machine, and whether its operator entered it (approved at entry).
#[derive(Debug, Clone)]
pub struct Entrant {
    pub account_id: AccountId,
    pub tls_public_key: Ed25519PublicKey,
    pub new_signer: AccessPublicKey,
    pub approved: bool,
}

/// Who cancels a recovery, as `api/guards.rs` admitted it.
#[derive(Debug, Clone, PartialEq)]
pub enum Canceller {
    /// The recovering account's operator: the recovery ends at once.
    Operator,
    /// Another participant's node: a vote.
    Voter(AccountId),
}

/// `submit_participant_recovery_info` from Running: a participant whose
/// machine changed. Entered with a deposit (the operator's full-access key,
/// naming the new node's key) the recovery is approved at once; with a node
/// key it waits for approval.
pub fn enter(
    running: &RunningState,
    registry: &mut Registry,
    entrant: Entrant,
    new_info: ParticipantInfo,
) -> Result<Step, Error> {
    let Entrant { account_id, tls_public_key, new_signer, approved } = entrant;
    if tls_public_key == new_info.tls_public_key {
        return Err(RecoveryError::SameTlsKey { account_id, key: new_info.tls_public_key }.into());
    }
    super::validation::check_info(&account_id, &new_info)?;
    registry.ensure_tls_key_free_for(&new_info.tls_public_key, &account_id)?;
    // Reserve the new key so no one else can claim it while the recovery runs.
    registry.tls_owners.insert(new_info.tls_public_key, account_id.clone());
    let event = Event::RecoveryStarted {
        account_id: account_id.clone(),
        new_tls_public_key: new_info.tls_public_key,
        approved,
    };
    let recovery = RecoveryState {
        previous: running.clone(),
        account_id,
        new_info,
        new_signer,
        status: if approved { RecoveryStatus::Approved } else { RecoveryStatus::PendingApproval },
        cancel_round: registry.votes.new_round(),
    };
    Ok(Step::to(ProtocolState::Recovery(recovery), vec![event]))
}

impl RecoveryState {
    fn ensure_keyset(&self, keyset: &Keyset) -> Result<(), Error> {
        if keyset != &self.previous.keyset {
            return Err(RecoveryError::StaleKeyset { current: self.previous.keyset.epoch_id }.into());
        }
        Ok(())
    }

    /// `approve_recovery`: the operator (`api/guards.rs` checks it is the
    /// recovering account's) lets the shares move to the machine with
    /// `tls_public_key`, which must be the one the recovery is for.
    pub fn approve(&mut self, tls_public_key: &Ed25519PublicKey) -> Result<Step, Error> {
        if *tls_public_key != self.new_info.tls_public_key {
            return Err(RecoveryError::OtherMachine {
                account_id: self.account_id.clone(),
                open: self.new_info.tls_public_key,
                given: *tls_public_key,
            }
            .into());
        }
        if self.status != RecoveryStatus::PendingApproval {
            return Err(RecoveryError::AlreadyApproved { account_id: self.account_id.clone() }.into());
        }
        self.status = RecoveryStatus::Approved;
        Ok(Step::stay(vec![Event::RecoveryApproved { account_id: self.account_id.clone() }]))
    }

    /// `confirm_recovery_delivery`: the operator's backup service (checked
    /// by `api/guards.rs`) handed the shares of exactly `keyset` to the new machine.
    pub fn confirm_delivery(&mut self, keyset: &Keyset) -> Result<Step, Error> {
        if self.status == RecoveryStatus::PendingApproval {
            return Err(RecoveryError::NotApproved { account_id: self.account_id.clone() }.into());
        }
        self.ensure_keyset(keyset)?;
        self.status = RecoveryStatus::Delivered;
        Ok(Step::stay(vec![Event::RecoveryDelivered {
            account_id: self.account_id.clone(),
            epoch_id: keyset.epoch_id,
        }]))
    }

    /// `conclude_recovery`: the new node (signing with the key the recovery
    /// named, checked by `api/guards.rs`), holding its shares, takes its place.
    pub fn conclude(
        &mut self,
        registry: &mut Registry,
        services: &mut ServiceRegistry,
        keyset: &Keyset,
    ) -> Result<Step, Error> {
        match self.status {
            RecoveryStatus::PendingApproval => {
                return Err(RecoveryError::NotApproved { account_id: self.account_id.clone() }.into())
            }
            RecoveryStatus::Approved => {
                return Err(RecoveryError::NotDelivered { account_id: self.account_id.clone() }.into())
            }
            RecoveryStatus::Delivered => {}
        }
        self.ensure_keyset(keyset)?;
        let old = registry
            .participants
            .set_info(&self.account_id, self.new_info.clone())
            .expect("recovering account is a participant");
        if registry.tls_owners.get(&old.tls_public_key).as_ref() == Some(&self.account_id) {
            registry.tls_owners.remove(&old.tls_public_key);
        }
        // The old machine's key stops acting as the node, even while it is still on the account.
        registry.node_keys.set(&self.account_id, self.new_signer);
        self.finish(registry, services);
        let event = Event::RecoveryConcluded {
            account_id: self.account_id.clone(),
            tls_public_key: self.new_info.tls_public_key,
        };
        Ok(Step::to(ProtocolState::Running(self.previous.clone()), vec![event]))
    }

    /// `cancel_recovery`: at once from the recovering operator's full-access
    /// key; from other participants' nodes a vote that takes effect at
    /// min(threshold, n - 1) votes (with threshold = n the others are n - 1).
    /// `api/guards.rs` tells which of the two the caller is.
    pub fn cancel(
        &mut self,
        registry: &mut Registry,
        services: &mut ServiceRegistry,
        canceller: Canceller,
    ) -> Result<Step, Error> {
        let by = match canceller {
            Canceller::Operator => RecoveryCancelledBy::Operator,
            Canceller::Voter(voter) => {
                let choice = VoteBook::choice(self.cancel_round, CANCEL);
                let cast =
                    registry.votes.cast(BallotKind::Cancel, &voter, self.cancel_round, choice, Weight::PARTICIPANT);
                let needed = registry.participants.threshold().min(u64::from(registry.participants.len()) - 1);
                if u64::from(cast.tally.current) < needed {
                    return Ok(Step::stay(Vec::new()));
                }
                RecoveryCancelledBy::ParticipantVote
            }
        };
        self.release_new_key(registry);
        self.finish(registry, services);
        let event = Event::RecoveryCancelled { account_id: self.account_id.clone(), by };
        Ok(Step::to(ProtocolState::Running(self.previous.clone()), vec![event]))
    }

    /// `vote_new_parameters` while recovering: as from Running; a resharing
    /// voted through closes the recovery (the proposal decides the machine).
    pub fn vote_new_parameters(
        &mut self,
        registry: &mut Registry,
        services: &mut ServiceRegistry,
        voter: &AccountId,
        epoch_id: EpochId,
        proposal: ThresholdParameters,
    ) -> Result<Step, Error> {
        let keeps_new_key = proposal
            .participant(&self.account_id)
            .is_some_and(|p| p.info.tls_public_key == self.new_info.tls_public_key);
        let mut step = self.previous.vote_new_parameters(registry, voter, epoch_id, proposal)?;
        if step.next.is_none() {
            return Ok(step);
        }
        if keeps_new_key {
            // The new machine takes part in the resharing: its key is the node's.
            registry.node_keys.set(&self.account_id, self.new_signer);
        } else {
            self.release_new_key(registry);
        }
        self.finish(registry, services);
        step.events
            .push(Event::RecoveryCancelled { account_id: self.account_id.clone(), by: RecoveryCancelledBy::Resharing });
        Ok(step)
    }

    fn release_new_key(&self, registry: &mut Registry) {
        let key = &self.new_info.tls_public_key;
        if registry.tls_owners.get(key).as_ref() == Some(&self.account_id) {
            registry.tls_owners.remove(key);
        }
    }

    /// Ends the recovery's sessions and cancel votes.
    fn finish(&self, registry: &mut Registry, services: &mut ServiceRegistry) {
        registry.votes.close_round(BallotKind::Cancel);
        services.clear_sessions(&self.account_id);
    }

    pub fn recovery_view(&self, registry: &Registry) -> RecoveryView {
        let participant = registry.participants.get(&self.account_id).expect("recovering account is a participant");
        RecoveryView {
            account_id: self.account_id.clone(),
            participant_id: participant.id,
            previous_info: participant.info.clone(),
            new_info: self.new_info.clone(),
            new_signer_public_key: self.new_signer,
            status: self.status,
            cancel_votes: registry.votes.tally(&VoteBook::choice(self.cancel_round, CANCEL)).current,
        }
    }

    pub fn view(&self, current: ThresholdParameters, registry: &Registry) -> RecoveryStateView {
        RecoveryStateView { previous: self.previous.view(current), recovery: self.recovery_view(registry) }
    }
}

#[cfg(test)]
#[path = "tests/recovery.rs"]
mod tests;
