use super::guards::{no_arguments, node_caller, node_or_operator_caller, refreshing_participant};
use crate::errors::Error;
use crate::state::candidates;
use crate::state::validation::check_info;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::{SUBMIT_PARTICIPANT_INFO, WITHDRAW_CANDIDATE_INFO};
use mpc_interface::primitives::ParticipantInfo;
use near_sdk::near;

#[near]
impl MpcContract {
    /// A node announces itself: a candidate for the next resharing (the bytes
    /// are paid from its account's storage balance, NEP-145), or a participant
    /// confirming it still runs with its registered TLS key (free).
    #[payable]
    #[handle_result]
    pub fn submit_participant_info(&mut self, #[serializer(borsh)] info: ParticipantInfo) -> Result<(), Error> {
        let caller = node_caller(SUBMIT_PARTICIPANT_INFO)?;
        let epoch = self
            .protocol
            .epoch()
            .ok_or_else(|| self.protocol.wrong(SUBMIT_PARTICIPANT_INFO, "an initialized contract"))?;
        check_info(&caller.account_id, &info)?;
        let participant = refreshing_participant(&self.registry, &caller)?;
        let meter = super::guards::StorageMeter::start();
        let step = candidates::submit_participant_info(&mut self.registry, &caller, participant, info)?;
        self.charge_storage(&caller.account_id, &meter, Some(epoch))?;
        self.apply(step);
        Ok(())
    }

    /// A candidate stops being one: its candidacy, TLS key, node key and
    /// backup service are deleted and its storage balance is free to withdraw.
    #[payable]
    #[handle_result]
    pub fn withdraw_candidate_info(&mut self) -> Result<(), Error> {
        no_arguments(WITHDRAW_CANDIDATE_INFO)?;
        let caller = node_or_operator_caller()?;
        let step = candidates::withdraw(&mut self.registry, &mut self.services, &caller)?;
        self.ledger.release(&caller);
        self.apply(step);
        Ok(())
    }
}
