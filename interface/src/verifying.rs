//! Public verifying shares: per participant and domain, the participant's
//! secret share times the generator of the domain's curve (secp256k1 or
//! Ed25519, in the same `curve:base58` form as the domain's public key).
//!
//! They are agreed in the votes that agree on the keys (`vote_pk`,
//! `vote_reshared`), so anyone holding a share can check it against the
//! contract without knowing any other share, and any threshold of them
//! interpolates (in the exponent) to the domain's public key.

use crate::primitives::{DomainId, DomainPublicKey, EpochId, ParticipantId};
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One participant's verifying share of one domain, named by id (a vote
/// carries only the keys, as a plain list in increasing participant id).
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct VerifyingShare {
    pub participant_id: ParticipantId,
    pub verifying_share: DomainPublicKey,
}

/// Every participant's verifying share of one domain, in increasing
/// participant id (`init_running` takes one per domain).
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DomainVerifyingShares {
    pub domain_id: DomainId,
    pub shares: Vec<VerifyingShare>,
}

/// One domain's verifying share of one participant.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DomainVerifyingShare {
    pub domain_id: DomainId,
    pub verifying_share: DomainPublicKey,
}

/// What `verifying_shares(account_id)` returns: the participant's verifying
/// shares of the current keyset, one per domain in domain order.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ParticipantVerifyingShares {
    pub epoch_id: EpochId,
    pub participant_id: ParticipantId,
    pub domains: Vec<DomainVerifyingShare>,
}

impl ParticipantVerifyingShares {
    /// The verifying share of `domain_id`, if the keyset has that domain.
    pub fn of(&self, domain_id: DomainId) -> Option<DomainPublicKey> {
        self.domains.iter().find(|d| d.domain_id == domain_id).map(|d| d.verifying_share)
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::keys::Ed25519PublicKey;

    #[test]
    fn verifying_share__should_refuse_unknown_fields() {
        let good = serde_json::json!({"participant_id": 3, "verifying_share": Ed25519PublicKey([1; 32]).to_string()});
        let share: VerifyingShare = serde_json::from_value(good.clone()).unwrap();
        assert_eq!(share.participant_id, ParticipantId(3));
        let mut bad = good;
        bad["extra"] = serde_json::json!(1);
        let err = serde_json::from_value::<VerifyingShare>(bad).unwrap_err().to_string();
        assert!(err.contains("unknown field `extra`"), "{err}");
    }
}
