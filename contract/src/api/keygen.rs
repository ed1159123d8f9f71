use super::guards::{node_voter, participant};
use crate::errors::Error;
use crate::state::ProtocolState;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::VOTE_PK;
use mpc_interface::primitives::{DomainPublicKey, KeyEventId};
use near_sdk::near;

#[near]
impl MpcContract {
    /// A participant's vote for the public key generated in `key_event_id`
    /// and every participant's verifying share of it: a plain list, one per
    /// participant of the set in increasing participant id.
    #[payable]
    #[handle_result]
    pub fn vote_pk(
        &mut self,
        #[serializer(borsh)] key_event_id: KeyEventId,
        #[serializer(borsh)] public_key: DomainPublicKey,
        #[serializer(borsh)] verifying_shares: Vec<DomainPublicKey>,
    ) -> Result<(), Error> {
        let voter = node_voter(&self.registry, VOTE_PK)?;
        let step = match &mut self.protocol {
            ProtocolState::Initializing(s) => {
                participant(&self.registry, &voter)?;
                s.vote_pk(&mut self.registry, &voter, key_event_id, public_key, verifying_shares)?
            }
            other => return Err(other.wrong(VOTE_PK, "Initializing")),
        };
        self.apply(step);
        Ok(())
    }
}
