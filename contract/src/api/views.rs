use super::guards::{no_arguments, page};
use crate::errors::Error;
use crate::storage::participants::ParticipantTable;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{PARTICIPANTS, STATE, VERSION};
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use mpc_interface::verifying::ParticipantVerifyingShares;
use near_sdk::{env, FunctionError};
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// The protocol state: a `ProtocolStateView` in JSON, with the participant
    /// set in charge. Returned through `env::value_return` (see [`print_with_participants`]).
    pub fn state(&self) {
        let table = &self.registry.participants;
        let lean = ThresholdParameters { participants: Vec::new(), threshold: table.threshold() };
        print_with_participants(STATE, &self.protocol.view(lean, &self.registry), table);
    }

    /// The participant set in charge (the old one while resharing): a
    /// `ThresholdParameters` in JSON.
    pub fn participants(&self) {
        let table = &self.registry.participants;
        let lean = ThresholdParameters { participants: Vec::new(), threshold: table.threshold() };
        print_with_participants(PARTICIPANTS, &lean, table);
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
        page(&self.registry.candidates, from_index, limit)
    }

    /// `account_id`'s candidacy, if it is a candidate.
    #[deny_unknown_arguments]
    pub fn candidate(&self, account_id: AccountId) -> Option<ParticipantInfo> {
        self.registry.candidates.get(&account_id)
    }

    /// The NEAR access key that acts as `account_id`'s node, if one is recorded.
    #[deny_unknown_arguments]
    pub fn node_key(&self, account_id: AccountId) -> Option<AccessPublicKey> {
        self.registry.node_keys.get(&account_id)
    }

    /// `account_id`'s verifying shares of the keyset in force (one per
    /// domain, in domain order). None if it is not a participant, before key
    /// generation ends, or for a keyset agreed before verifying shares were
    /// recorded (the next resharing records them).
    #[deny_unknown_arguments]
    pub fn verifying_shares(&self, account_id: AccountId) -> Option<ParticipantVerifyingShares> {
        let participant_id = self.registry.participants.get(&account_id)?.id;
        let rank =
            self.registry.participants.to_parameters().participants.iter().filter(|p| p.id < participant_id).count();
        self.protocol.verifying_shares(participant_id, rank, &self.registry.verifying)
    }

    /// The contract's release.
    #[handle_result]
    pub fn version(&self) -> Result<String, Error> {
        no_arguments(VERSION)?;
        Ok(env!("CARGO_PKG_VERSION").to_owned())
    }
}

/// Returns `lean` (a view serialised with an empty participant list) as JSON
/// with the stored JSON of the participants spliced into its first
/// participant list, which is the set in charge in every view. Serialising 64
/// participants on every call cost more gas than everything else `state()`
/// does; the bytes go straight to `env::value_return` (a typed return would be
/// serialised again by near-sdk).
fn print_with_participants(method: &'static str, lean: &impl serde::Serialize, table: &ParticipantTable) {
    const EMPTY: &str = "\"participants\":[]";
    if let Err(e) = no_arguments(method) {
        e.panic();
    }
    let mut text = serde_json::to_string(lean).expect("JSON of a view");
    if let Some(at) = text.find(EMPTY) {
        text.insert_str(at + EMPTY.len() - 1, &table.json_elements());
    }
    env::value_return(text.as_bytes());
}
