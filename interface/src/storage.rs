//! Storage management (NEP-145): accounts that are not participants pay for
//! the bytes the contract keeps for them. The JSON shapes are the standard's
//! (`U128` amounts as decimal strings).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most entries a paginated view (`candidates`, `backup_services`)
/// returns per call; a larger `limit` is refused.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// An account's storage balance: everything it deposited, and the part not
/// needed for the bytes the contract keeps for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageBalance {
    #[serde(with = "u128_string")]
    #[schemars(with = "String")]
    pub total: u128,
    #[serde(with = "u128_string")]
    #[schemars(with = "String")]
    pub available: u128,
}

/// The least a registration takes, and no upper bound (`max: null`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageBalanceBounds {
    #[serde(with = "u128_string")]
    #[schemars(with = "String")]
    pub min: u128,
    #[serde(with = "option_u128_string")]
    #[schemars(with = "Option<String>")]
    pub max: Option<u128>,
}

/// yoctoNEAR as a decimal string, as NEAR's `U128` writes it.
pub mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        s.parse().map_err(|_| serde::de::Error::custom(format!("`{s}` is not a yoctoNEAR amount (decimal string)")))
    }
}

/// An optional [`u128_string`].
pub mod option_u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<u128>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u128>, D::Error> {
        match <Option<String> as Deserialize>::deserialize(d)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a yoctoNEAR amount (decimal string)"))),
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn storage_balance__should_write_amounts_as_strings_and_refuse_unknown_fields() {
        let b = StorageBalance { total: 10u128.pow(24), available: 5 };
        let json = serde_json::to_value(b).unwrap();
        assert_eq!(json, serde_json::json!({"total": "1000000000000000000000000", "available": "5"}));
        assert_eq!(serde_json::from_value::<StorageBalance>(json).unwrap(), b);
        let extra = serde_json::json!({"total": "1", "available": "1", "x": 1});
        assert!(serde_json::from_value::<StorageBalance>(extra).is_err());
        let bounds = StorageBalanceBounds { min: 7, max: None };
        assert_eq!(serde_json::to_value(bounds).unwrap(), serde_json::json!({"min": "7", "max": null}));
    }
}
