//! Resharing: the new participants confirm, domain by domain, that they hold
//! shares of the unchanged keys; a threshold of the old ones may cancel.

use super::{ProtocolState, RunningState, Step};
use crate::errors::{Error, StateError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::votes::{BallotKind, VoteBook, Weight};
use mpc_interface::primitives::{DomainPublicKey, EpochId, KeyEventId, Keyset, ThresholdParameters};
use mpc_interface::state::ResharingView;
use near_sdk::{near, AccountId};

/// What `vote_cancel_resharing` votes for; the round makes each choice unique.
const CANCEL: &[u8] = b"cancel";

#[near(serializers = [borsh])]
#[derive(Debug, Clone, PartialEq)]
pub struct ResharingState {
    /// The running state to return to if the resharing is cancelled.
    pub previous: RunningState,
    /// The epoch the network enters when resharing completes.
    pub epoch_id: EpochId,
    /// Domains done, in order; the next is `previous.domains[reshared]`.
    pub reshared: u32,
    pub event_round: u64,
    pub cancel_round: u64,
}

impl ResharingState {
    /// Opens a resharing to `proposal` (already voted through and validated).
    pub fn start(
        previous: RunningState,
        epoch_id: EpochId,
        proposal: ThresholdParameters,
        registry: &mut Registry,
    ) -> Self {
        registry.pending_parameters.insert((), proposal);
        Self {
            previous,
            epoch_id,
            reshared: 0,
            event_round: registry.votes.new_round(),
            cancel_round: registry.votes.new_round(),
        }
    }

    pub fn current_event(&self) -> KeyEventId {
        KeyEventId { epoch_id: self.epoch_id, domain_id: self.previous.domains[self.reshared as usize].id }
    }

    /// `vote_reshared`: a participant of `proposal`, the set being reshared
    /// to (`api/guards.rs` checks it and reads the set), confirms the current domain.
    pub fn vote_reshared(
        &mut self,
        registry: &mut Registry,
        voter: &AccountId,
        proposal: ThresholdParameters,
        key_event_id: KeyEventId,
        verifying_shares: Vec<DomainPublicKey>,
    ) -> Result<Step, Error> {
        let current = self.current_event();
        if key_event_id != current {
            return Err(StateError::WrongKeyEvent { given: key_event_id, current }.into());
        }
        // As in key generation: the shares are part of the choice, and their
        // shape is checked off-chain by every (unanimous) voter.
        let content = borsh::to_vec(&(&key_event_id, &verifying_shares)).expect("borsh of an id");
        let choice = VoteBook::choice(self.event_round, &content);
        let cast = registry.votes.cast(BallotKind::KeyEvent, voter, self.event_round, choice, Weight::PARTICIPANT);
        if cast.tally.target as usize != proposal.participants.len() {
            return Ok(Step::stay(Vec::new()));
        }
        registry.verifying.record(self.epoch_id, key_event_id.domain_id, &verifying_shares);
        self.reshared += 1;
        self.event_round = registry.votes.close_round(BallotKind::KeyEvent);
        let mut events = vec![Event::DomainReshared { key_event_id }];
        if (self.reshared as usize) < self.previous.domains.len() {
            return Ok(Step::stay(events));
        }
        registry.votes.close_round(BallotKind::Cancel);
        registry.pending_parameters.remove(&());
        registry.install_participants(&proposal);
        // The old keyset's verifying shares go with it.
        registry.verifying.remove(self.previous.keyset.epoch_id, self.previous.domains.iter().map(|d| d.id));
        let keyset = Keyset { epoch_id: self.epoch_id, domains: self.previous.keyset.domains.clone() };
        let running = RunningState::new(self.previous.domains.clone(), keyset, &mut registry.votes);
        events.push(Event::Running { epoch_id: self.epoch_id });
        Ok(Step::to(ProtocolState::Running(running), events))
    }

    /// `vote_cancel_resharing`: an old participant's (checked by
    /// `api/guards.rs`) vote to abandon the resharing; at the old threshold
    /// the network runs on as before.
    pub fn vote_cancel(&mut self, registry: &mut Registry, voter: &AccountId) -> Result<Step, Error> {
        let choice = VoteBook::choice(self.cancel_round, CANCEL);
        let cast = registry.votes.cast(BallotKind::Cancel, voter, self.cancel_round, choice, Weight::PARTICIPANT);
        if u64::from(cast.tally.current) < registry.participants.threshold() {
            return Ok(Step::stay(Vec::new()));
        }
        registry.votes.close_round(BallotKind::Cancel);
        registry.votes.close_round(BallotKind::KeyEvent);
        registry.pending_parameters.remove(&());
        let agreed = self.previous.domains[..self.reshared as usize].iter().map(|d| d.id);
        registry.verifying.remove(self.epoch_id, agreed);
        let mut running = self.previous.clone();
        running.next_epoch_id = self.epoch_id.next();
        running.round = registry.votes.new_round();
        Ok(Step::to(ProtocolState::Running(running), vec![Event::ResharingCancelled { epoch_id: self.epoch_id }]))
    }

    pub fn view(&self, current: ThresholdParameters, registry: &Registry) -> ResharingView {
        ResharingView {
            previous: self.previous.view(current),
            proposal: registry.pending_parameters.get(&()).expect("resharing keeps its proposal"),
            epoch_id: self.epoch_id,
            reshared: self.previous.domains[..self.reshared as usize].iter().map(|d| d.id).collect(),
            current_event: self.current_event(),
        }
    }
}

#[cfg(test)]
#[path = "tests/resharing.rs"]
mod tests;
