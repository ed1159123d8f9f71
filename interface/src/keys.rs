//! Public keys as NEAR tooling writes them: `<curve>:<base58>` in JSON, raw bytes
//! in borsh. Parsing checks the curve prefix and the exact length, so a
//! malformed key is refused at the boundary with a message that says why.

use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("expected a key of the form `{expected}:<base58>`, got `{got}`")]
    WrongPrefix { expected: &'static str, got: String },
    #[error("key `{key}` is not valid base58")]
    NotBase58 { key: String },
    #[error("key `{key}` must decode to {expected} bytes, not {actual}")]
    WrongLength { key: String, expected: usize, actual: usize },
}

fn decode_fixed<const N: usize>(s: &str, prefix: &'static str) -> Result<[u8; N], KeyParseError> {
    let body = s
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(|| KeyParseError::WrongPrefix { expected: prefix, got: s.to_owned() })?;
    let bytes = bs58::decode(body).into_vec().map_err(|_| KeyParseError::NotBase58 { key: s.to_owned() })?;
    let actual = bytes.len();
    bytes.try_into().map_err(|_| KeyParseError::WrongLength { key: s.to_owned(), expected: N, actual })
}

/// The JSON schema of a key in its text form: a string, described.
pub(crate) fn string_schema(description: &str) -> schemars::schema::Schema {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        metadata: Some(Box::new(schemars::schema::Metadata {
            description: Some(description.to_owned()),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}

/// Declares a fixed-size key newtype with `prefix:base58` text form.
macro_rules! fixed_key {
    ($(#[$doc:meta])* $name:ident, $len:expr, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(BorshSerialize, BorshDeserialize, BorshSchema)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", $prefix, crate::base58::encode(&self.0))
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        impl FromStr for $name {
            type Err = KeyParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                decode_fixed::<$len>(s, $prefix).map(Self)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as Deserialize>::deserialize(d)?;
                <Self as FromStr>::from_str(&s).map_err(serde::de::Error::custom)
            }
        }
        impl JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }
            fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
                string_schema(concat!("`", $prefix, ":` followed by base58 of ", stringify!($len), " bytes"))
            }
        }
    };
}

fixed_key!(
    /// An Ed25519 public key: a node's TLS identity, or a backup service's identity.
    Ed25519PublicKey, 32, "ed25519"
);
fixed_key!(
    /// An X25519 public key, published for one share-transfer session.
    X25519PublicKey, 32, "x25519"
);
fixed_key!(
    /// An uncompressed secp256k1 point without its 0x04 tag (the NEAR convention).
    Secp256k1PublicKey, 64, "secp256k1"
);

/// A NEAR access key's public half, as `env::signer_account_pk()` reports it.
/// The borsh form (curve byte, then the key) is the one the runtime uses, so the
/// contract can compare it byte for byte with the signer's key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, BorshSerialize, BorshDeserialize, BorshSchema)]
pub enum AccessPublicKey {
    Ed25519(Ed25519PublicKey),
    Secp256k1(Secp256k1PublicKey),
}

impl fmt::Display for AccessPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519(k) => k.fmt(f),
            Self::Secp256k1(k) => k.fmt(f),
        }
    }
}

impl FromStr for AccessPublicKey {
    type Err = KeyParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("secp256k1:") {
            s.parse().map(Self::Secp256k1)
        } else {
            s.parse().map(Self::Ed25519)
        }
    }
}

impl AccessPublicKey {
    /// Parses the runtime's borsh form (curve byte + key bytes).
    pub fn from_runtime_bytes(bytes: &[u8]) -> Option<Self> {
        borsh::from_slice(bytes).ok()
    }
}

impl Serialize for AccessPublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for AccessPublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        <Self as FromStr>::from_str(&s).map_err(serde::de::Error::custom)
    }
}
impl JsonSchema for AccessPublicKey {
    fn schema_name() -> String {
        "AccessPublicKey".to_owned()
    }
    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        string_schema("A NEAR access key: `ed25519:<base58>` or `secp256k1:<base58>`")
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_key__should_round_trip_through_json_and_borsh() {
        let key = Ed25519PublicKey([7; 32]);
        let json = serde_json::to_string(&key).unwrap();
        assert!(json.starts_with("\"ed25519:"));
        assert_eq!(serde_json::from_str::<Ed25519PublicKey>(&json).unwrap(), key);
        assert_eq!(borsh::to_vec(&key).unwrap(), vec![7; 32]);
    }

    #[test]
    fn ed25519_key__should_reject_wrong_prefix_length_and_alphabet() {
        let short = format!("ed25519:{}", bs58::encode([1u8; 31]).into_string());
        assert!(matches!(short.parse::<Ed25519PublicKey>(), Err(KeyParseError::WrongLength { actual: 31, .. })));
        let x = X25519PublicKey([1; 32]).to_string();
        assert!(matches!(x.parse::<Ed25519PublicKey>(), Err(KeyParseError::WrongPrefix { .. })));
        assert!(matches!("ed25519:0OIl".parse::<Ed25519PublicKey>(), Err(KeyParseError::NotBase58 { .. })));
    }

    #[test]
    fn json_schema__should_describe_keys_as_strings() {
        let schema = schemars::schema_for!(Ed25519PublicKey);
        let json = serde_json::to_value(&schema).unwrap();
        assert_eq!(json["type"], "string");
        assert!(json["description"].as_str().unwrap().starts_with("`ed25519:`"));
    }

    #[test]
    fn access_key__should_match_runtime_borsh_layout() {
        let key = AccessPublicKey::Ed25519(Ed25519PublicKey([9; 32]));
        let bytes = borsh::to_vec(&key).unwrap();
        assert_eq!(bytes[0], 0, "curve byte 0 is ed25519 in the runtime");
        assert_eq!(bytes.len(), 33);
        assert_eq!(AccessPublicKey::from_runtime_bytes(&bytes), Some(key));
        let secp = AccessPublicKey::Secp256k1(Secp256k1PublicKey([3; 64]));
        assert_eq!(borsh::to_vec(&secp).unwrap()[0], 1);
        assert_eq!(secp.to_string().parse::<AccessPublicKey>().unwrap(), secp);
    }
}
