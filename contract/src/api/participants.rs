use super::guards::node_signer;
use crate::errors::Error;
use crate::state::{candidates, ProtocolState};
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::SUBMIT_PARTICIPANT_INFO;
use mpc_interface::primitives::ParticipantInfo;
use near_sdk::near;

#[near]
impl MpcContract {
    /// A node announces itself: a candidate for the next resharing, or a
    /// participant confirming it still runs with its registered TLS key.
    #[payable]
    #[handle_result]
    pub fn submit_participant_info(&mut self, info: ParticipantInfo) -> Result<(), Error> {
        let signer = node_signer(SUBMIT_PARTICIPANT_INFO)?;
        if let ProtocolState::NotInitialized = self.protocol {
            return Err(self.protocol.wrong(SUBMIT_PARTICIPANT_INFO, "an initialized contract"));
        }
        let step = candidates::submit_participant_info(&mut self.registry, &signer, info)?;
        self.apply(step);
        Ok(())
    }
}
