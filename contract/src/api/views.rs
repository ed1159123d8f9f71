use super::guards::{no_arguments, page_limit};
use crate::errors::Error;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::{PARTICIPANTS, STATE, VERSION};
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// The protocol state, with the participant set in charge.
    #[handle_result]
    pub fn state(&self) -> Result<ProtocolStateView, Error> {
        no_arguments(STATE)?;
        Ok(self.protocol.view(self.registry.participants.to_parameters(), &self.registry))
    }

    /// The participant set in charge (the old one while resharing).
    #[handle_result]
    pub fn participants(&self) -> Result<ThresholdParameters, Error> {
        no_arguments(PARTICIPANTS)?;
        Ok(self.registry.participants.to_parameters())
    }

    /// Nodes waiting to be included by a resharing, in submission order:
    /// `limit` (at most `MAX_PAGE_LIMIT`, the default) from `from_index`.
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn candidates(
        &self,
        from_index: Option<u32>,
        limit: Option<u32>,
    ) -> Result<Vec<(AccountId, ParticipantInfo)>, Error> {
        let limit = page_limit(limit)?;
        let page = self.registry.candidates.iter().skip(from_index.unwrap_or(0) as usize).take(limit);
        Ok(page.map(|(a, i)| (a.clone(), i.clone())).collect())
    }

    /// `account_id`'s candidacy, if it is a candidate.
    #[deny_unknown_arguments]
    pub fn candidate(&self, account_id: AccountId) -> Option<ParticipantInfo> {
        self.registry.candidates.get(&account_id).cloned()
    }

    /// The contract's release.
    #[handle_result]
    pub fn version(&self) -> Result<String, Error> {
        no_arguments(VERSION)?;
        Ok(env!("CARGO_PKG_VERSION").to_owned())
    }
}
