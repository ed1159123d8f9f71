use super::guards::{no_arguments, node_voter, participant, proposal_participant};
use crate::errors::Error;
use crate::state::ProtocolState;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::{VOTE_CANCEL_RESHARING, VOTE_NEW_PARAMETERS, VOTE_RESHARED};
use mpc_interface::primitives::{DomainPublicKey, EpochId, KeyEventId, ThresholdParameters};
use near_sdk::near;

#[near]
impl MpcContract {
    /// A vote to reshare the keys to `proposal`, which becomes epoch `epoch_id`
    /// (the `next_epoch_id` of the Running view).
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn vote_new_parameters(&mut self, epoch_id: EpochId, proposal: ThresholdParameters) -> Result<(), Error> {
        let voter = node_voter(&self.registry, VOTE_NEW_PARAMETERS)?;
        let step = match &mut self.protocol {
            ProtocolState::Running(s) => s.vote_new_parameters(&mut self.registry, &voter, epoch_id, proposal)?,
            ProtocolState::Recovery(s) => {
                s.vote_new_parameters(&mut self.registry, &mut self.services, &voter, epoch_id, proposal)?
            }
            other => return Err(other.wrong(VOTE_NEW_PARAMETERS, "Running or Recovery")),
        };
        self.apply(step);
        Ok(())
    }

    /// A new participant's confirmation that it holds its share for
    /// `key_event_id`, with every new participant's verifying share of it (a
    /// plain list in increasing participant id of the new set).
    #[payable]
    #[handle_result]
    pub fn vote_reshared(
        &mut self,
        #[serializer(borsh)] key_event_id: KeyEventId,
        #[serializer(borsh)] verifying_shares: Vec<DomainPublicKey>,
    ) -> Result<(), Error> {
        let voter = node_voter(&self.registry, VOTE_RESHARED)?;
        let step = match &mut self.protocol {
            ProtocolState::Resharing(s) => {
                let proposal = proposal_participant(&self.registry, &voter)?;
                s.vote_reshared(&mut self.registry, &voter, proposal, key_event_id, verifying_shares)?
            }
            other => return Err(other.wrong(VOTE_RESHARED, "Resharing")),
        };
        self.apply(step);
        Ok(())
    }

    /// An old participant's vote to abandon the running resharing.
    #[payable]
    #[handle_result]
    pub fn vote_cancel_resharing(&mut self) -> Result<(), Error> {
        no_arguments(VOTE_CANCEL_RESHARING)?;
        let voter = node_voter(&self.registry, VOTE_CANCEL_RESHARING)?;
        let step = match &mut self.protocol {
            ProtocolState::Resharing(s) => {
                participant(&self.registry, &voter)?;
                s.vote_cancel(&mut self.registry, &voter)?
            }
            other => return Err(other.wrong(VOTE_CANCEL_RESHARING, "Resharing")),
        };
        self.apply(step);
        Ok(())
    }
}
