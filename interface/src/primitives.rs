//! Identifiers and the participant / keyset records every part exchanges.

use crate::keys::{Ed25519PublicKey, Secp256k1PublicKey};
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use near_account_id::AccountId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
        #[derive(BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_newtype!(
    /// Counts keysets: 0 after key generation, +1 after every completed resharing.
    EpochId(u64)
);
id_newtype!(
    /// A participant's index in the threshold scheme; kept for the account's lifetime.
    ParticipantId(u32)
);
id_newtype!(
    /// One signature domain (one key per domain per epoch).
    DomainId(u64)
);

impl EpochId {
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}

/// How a node can be reached, and the key it proves its identity with over TLS.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ParticipantInfo {
    pub url: String,
    pub tls_public_key: Ed25519PublicKey,
}

pub use crate::url::MAX_URL_LEN;

/// One participant: who operates it, its id in the threshold scheme, and its node.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub account_id: AccountId,
    pub id: ParticipantId,
    pub info: ParticipantInfo,
}

/// A participant set and the number of them needed to sign.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ThresholdParameters {
    pub participants: Vec<Participant>,
    pub threshold: u64,
}

impl ThresholdParameters {
    /// The smallest threshold the network accepts for `n` participants:
    /// 60% rounded up, and never below 2.
    pub fn min_threshold(n: u64) -> u64 {
        (n * 3).div_ceil(5).max(2)
    }

    pub fn participant(&self, account_id: &AccountId) -> Option<&Participant> {
        self.participants.iter().find(|p| &p.account_id == account_id)
    }
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
pub enum SignatureScheme {
    Secp256k1,
    Ed25519,
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct DomainConfig {
    pub id: DomainId,
    pub scheme: SignatureScheme,
}

/// Names one key-generation or resharing step: the epoch and the domain.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct KeyEventId {
    pub epoch_id: EpochId,
    pub domain_id: DomainId,
}

/// A domain's public key; its curve must match the domain's scheme.
/// In JSON it is the key's `curve:base58` string; the curve prefix tells the variant.
#[derive(Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema)]
pub enum DomainPublicKey {
    Secp256k1(Secp256k1PublicKey),
    Ed25519(Ed25519PublicKey),
}

impl DomainPublicKey {
    pub fn scheme(&self) -> SignatureScheme {
        match self {
            Self::Secp256k1(_) => SignatureScheme::Secp256k1,
            Self::Ed25519(_) => SignatureScheme::Ed25519,
        }
    }
}

impl std::str::FromStr for DomainPublicKey {
    type Err = crate::keys::KeyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("secp256k1:") {
            s.parse().map(Self::Secp256k1)
        } else {
            s.parse().map(Self::Ed25519)
        }
    }
}

// Hand-written rather than `#[serde(untagged)]`: untagged enums buffer their
// input generically, which pulls float parsing and formatting into the wasm
// and reports a vague error. The prefix decides, and the error names the key.
impl Serialize for DomainPublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DomainPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for DomainPublicKey {
    fn schema_name() -> String {
        "DomainPublicKey".to_owned()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        crate::keys::string_schema("`secp256k1:<base58 of 64 bytes>` or `ed25519:<base58 of 32 bytes>`")
    }
}

impl fmt::Display for DomainPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secp256k1(k) => k.fmt(f),
            Self::Ed25519(k) => k.fmt(f),
        }
    }
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct KeyForDomain {
    pub domain_id: DomainId,
    pub public_key: DomainPublicKey,
}

/// The public keys of one epoch, one per domain, in domain order.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Keyset {
    pub epoch_id: EpochId,
    pub domains: Vec<KeyForDomain>,
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn min_threshold__should_be_sixty_percent_rounded_up_and_at_least_two() {
        let cases = [(2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (10, 6), (16, 10), (64, 39), (100, 60)];
        for (n, t) in cases {
            assert_eq!(ThresholdParameters::min_threshold(n), t, "n = {n}");
        }
    }

    #[test]
    fn domain_public_key__should_parse_by_prefix() {
        let ed: DomainPublicKey =
            serde_json::from_value(serde_json::json!(Ed25519PublicKey([1; 32]).to_string())).unwrap();
        assert_eq!(ed.scheme(), SignatureScheme::Ed25519);
        let secp: DomainPublicKey =
            serde_json::from_value(serde_json::json!(Secp256k1PublicKey([2; 64]).to_string())).unwrap();
        assert_eq!(secp.scheme(), SignatureScheme::Secp256k1);
        assert!(serde_json::from_value::<DomainPublicKey>(serde_json::json!("x25519:abc")).is_err());
    }
}
