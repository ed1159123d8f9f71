use crate::{MpcContract, MpcContractExt};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
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

    /// The contract's release.
    pub fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_owned()
    }
}
