//! Key generation: every participant votes the same public key for each
//! domain in turn; when the last domain has its key the network is Running.

use super::validation::{check_domains, check_shape};
use super::{ProtocolState, RunningState, Step};
use crate::errors::{Error, ParametersError, StateError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::votes::{BallotKind, VoteBook, Weight};
use mpc_interface::primitives::{
    DomainConfig, DomainPublicKey, EpochId, KeyEventId, KeyForDomain, Keyset, ThresholdParameters,
};
use mpc_interface::state::InitializingView;
use near_sdk::{near, AccountId};

#[near(serializers = [borsh])]
#[derive(Debug, Clone, PartialEq)]
pub struct InitializingState {
    pub epoch_id: EpochId,
    pub domains: Vec<DomainConfig>,
    /// Agreed keys, in domain order; the next domain is `domains[generated.len()]`.
    pub generated: Vec<KeyForDomain>,
    pub round: u64,
}

impl InitializingState {
    /// `init`: installs the participants and opens the first key event.
    pub fn start(
        registry: &mut Registry,
        parameters: &ThresholdParameters,
        domains: Vec<DomainConfig>,
    ) -> Result<Step, Error> {
        check_shape(parameters)?;
        check_domains(&domains)?;
        registry.install_participants(parameters);
        let round = registry.votes.new_round();
        let epoch_id = EpochId(0);
        let event = Event::Initialized {
            epoch_id,
            participants: parameters.participants.len() as u32,
            threshold: parameters.threshold,
            domains: domains.len() as u32,
        };
        Ok(Step::to(ProtocolState::Initializing(Self { epoch_id, domains, generated: Vec::new(), round }), vec![event]))
    }

    pub fn current_event(&self) -> KeyEventId {
        KeyEventId { epoch_id: self.epoch_id, domain_id: self.domains[self.generated.len()].id }
    }

    /// `vote_pk`: a participant's (checked by `api/guards.rs`) vote for the
    /// current domain's public key.
    pub fn vote_pk(
        &mut self,
        registry: &mut Registry,
        voter: &AccountId,
        key_event_id: KeyEventId,
        public_key: DomainPublicKey,
        verifying_shares: Vec<DomainPublicKey>,
    ) -> Result<Step, Error> {
        let current = self.current_event();
        if key_event_id != current {
            return Err(StateError::WrongKeyEvent { given: key_event_id, current }.into());
        }
        let domain = self.domains[self.generated.len()];
        if public_key.scheme() != domain.scheme {
            return Err(ParametersError::SchemeMismatch {
                domain_id: domain.id,
                expected: domain.scheme,
                actual: public_key.scheme(),
            }
            .into());
        }
        // The verifying shares are part of the choice: a voter who sees other
        // shares votes for something else. Their shape (one per participant,
        // increasing id, on the domain's curve, interpolating to the key) is
        // checked off-chain by every voter before it votes
        // (`share_transfer::verifying::check_verifying_shares`); agreement is
        // unanimous, so one honest voter keeps a malformed list out.
        let content = borsh::to_vec(&(&public_key, &verifying_shares)).expect("borsh of a key");
        let choice = VoteBook::choice(self.round, &content);
        let cast = registry.votes.cast(BallotKind::KeyEvent, voter, self.round, choice, Weight::PARTICIPANT);
        if u64::from(cast.tally.target) < u64::from(registry.participants.len()) {
            return Ok(Step::stay(Vec::new()));
        }
        registry.verifying.record(self.epoch_id, domain.id, &verifying_shares);
        self.generated.push(KeyForDomain { domain_id: domain.id, public_key });
        self.round = registry.votes.close_round(BallotKind::KeyEvent);
        let mut events = vec![Event::KeyGenerated { key_event_id, public_key }];
        if self.generated.len() < self.domains.len() {
            return Ok(Step::stay(events));
        }
        let keyset = Keyset { epoch_id: self.epoch_id, domains: std::mem::take(&mut self.generated) };
        let running = RunningState::new(std::mem::take(&mut self.domains), keyset, &mut registry.votes);
        events.push(Event::Running { epoch_id: self.epoch_id });
        Ok(Step::to(ProtocolState::Running(running), events))
    }

    pub fn view(&self, parameters: ThresholdParameters) -> InitializingView {
        InitializingView {
            epoch_id: self.epoch_id,
            parameters,
            domains: self.domains.clone(),
            generated: self.generated.clone(),
            current_event: self.current_event(),
        }
    }
}

#[cfg(test)]
#[path = "tests/initializing.rs"]
mod tests;
