//! Running: the network signs; participants vote resharing proposals.

use super::resharing::ResharingState;
use super::validation::{check_against_current, check_shape};
use super::{ProtocolState, Step};
use crate::errors::{CallerError, Error, StateError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::votes::{BallotKind, VoteBook, Weight};
use mpc_interface::primitives::{DomainConfig, EpochId, Keyset, ThresholdParameters};
use mpc_interface::state::RunningView;
use near_sdk::{near, AccountId};

#[near(serializers = [borsh])]
#[derive(Debug, Clone, PartialEq)]
pub struct RunningState {
    pub domains: Vec<DomainConfig>,
    pub keyset: Keyset,
    /// Epoch ids are never reused, not even those of cancelled resharings.
    pub next_epoch_id: EpochId,
    /// Round of the `vote_new_parameters` ballots.
    pub round: u64,
}

impl RunningState {
    pub fn new(domains: Vec<DomainConfig>, keyset: Keyset, votes: &mut VoteBook) -> Self {
        let next_epoch_id = keyset.epoch_id.next();
        Self { domains, keyset, next_epoch_id, round: votes.new_round() }
    }

    /// `vote_new_parameters`: a vote for a resharing to `proposal` at `epoch_id`.
    ///
    /// The network moves to Resharing when every participant of the proposal
    /// voted for it and at least the current threshold of current participants
    /// did. Participants new to the network may vote only once the current
    /// threshold has, so outsiders cannot steer a proposal.
    pub fn vote_new_parameters(
        &mut self,
        registry: &mut Registry,
        voter: &AccountId,
        epoch_id: EpochId,
        proposal: ThresholdParameters,
    ) -> Result<Step, Error> {
        if epoch_id != self.next_epoch_id {
            return Err(StateError::WrongEpoch { given: epoch_id, expected: self.next_epoch_id }.into());
        }
        check_shape(&proposal)?;
        let weight =
            Weight { current: registry.participants.contains(voter), target: proposal.participant(voter).is_some() };
        if !weight.current && !weight.target {
            return Err(CallerError::NotVoter { account_id: voter.clone() }.into());
        }
        let proposal_bytes = borsh::to_vec(&(epoch_id, &proposal)).expect("borsh of a proposal");
        let choice = VoteBook::choice(self.round, &proposal_bytes);
        let before = registry.votes.tally(&choice);
        if before == Default::default() {
            check_against_current(registry, &proposal)?;
        }
        let threshold = registry.participants.threshold();
        if !weight.current && u64::from(before.current) < threshold {
            return Err(CallerError::NewParticipantTooEarly {
                account_id: voter.clone(),
                threshold,
                votes: before.current,
            }
            .into());
        }
        let cast = registry.votes.cast(BallotKind::Parameters, voter, self.round, choice, weight);
        let everyone_in = cast.tally.target as usize == proposal.participants.len();
        if !everyone_in || u64::from(cast.tally.current) < threshold {
            return Ok(Step::stay(Vec::new()));
        }
        // The set may have changed since the proposal was first seen.
        check_against_current(registry, &proposal)?;
        registry.votes.close_round(BallotKind::Parameters);
        let event = Event::ResharingStarted {
            epoch_id,
            proposal_hash: hex_of(&VoteBook::digest(&proposal_bytes)),
            participants: proposal.participants.len() as u32,
            threshold: proposal.threshold,
        };
        let resharing = ResharingState::start(self.clone(), epoch_id, proposal, registry);
        Ok(Step::to(ProtocolState::Resharing(resharing), vec![event]))
    }

    pub fn view(&self, parameters: ThresholdParameters) -> RunningView {
        RunningView {
            parameters,
            domains: self.domains.clone(),
            keyset: self.keyset.clone(),
            next_epoch_id: self.next_epoch_id,
        }
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[path = "tests/running.rs"]
mod tests;
