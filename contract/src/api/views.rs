use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::verifying::ParticipantVerifyingShares;
use near_sdk::{near, AccountId};

#[near]
impl MpcContract {
    /// The protocol state, with the participant set in charge.
    pub fn state(&self) -> ProtocolStateView {
        self.protocol.view(self.registry.participants.to_parameters(), &self.registry)
    }

    /// The participant set in charge (the old one while resharing).
    pub fn participants(&self) -> ThresholdParameters {
        self.registry.participants.to_parameters()
    }

    /// Nodes waiting to be included by a resharing.
    pub fn candidates(&self) -> Vec<(AccountId, ParticipantInfo)> {
        self.registry.candidates.iter().map(|(a, i)| (a.clone(), i.clone())).collect()
    }

    /// The NEAR access key that acts as `account_id`'s node, if one is recorded.
    pub fn node_key(&self, account_id: AccountId) -> Option<AccessPublicKey> {
        self.registry.node_keys.get(&account_id)
    }

    /// `account_id`'s verifying shares of the keyset in force (one per
    /// domain, in domain order). None if it is not a participant, before key
    /// generation ends, or for a keyset agreed before verifying shares were
    /// recorded (the next resharing records them).
    pub fn verifying_shares(&self, account_id: AccountId) -> Option<ParticipantVerifyingShares> {
        let participant_id = self.registry.participants.get(&account_id)?.id;
        let rank = self.registry.participants.to_parameters().participants.iter().filter(|p| p.id < participant_id).count();
        self.protocol.verifying_shares(participant_id, rank, &self.registry.verifying)
    }

    /// The contract's release.
    pub fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_owned()
    }
}
