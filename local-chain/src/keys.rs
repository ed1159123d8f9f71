//! Public keys as NEAR lays them out, and the access keys an account holds.

use std::fmt;

use mpc_interface::keys::AccessPublicKey;
use sha2::{Digest, Sha256};

/// A signer public key in NEAR's borsh layout: one curve byte (0 = ed25519, 1 = secp256k1)
/// followed by the key bytes. `Display` gives the usual `ed25519:<base58>` form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignerPk(Vec<u8>);

impl SignerPk {
    /// A deterministic ed25519-style key: the 32 key bytes are `sha256(seed)`. It is not the
    /// public half of any known secret key; it only has to look like a key to the contract.
    pub fn ed25519_from_seed(seed: &str) -> SignerPk {
        SignerPk::ed25519(Sha256::digest(seed.as_bytes()).into())
    }

    /// An ed25519 key from its 32 raw bytes.
    pub fn ed25519(key: [u8; 32]) -> SignerPk {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&key);
        SignerPk(bytes)
    }

    /// Any key already in borsh layout (curve byte + key data).
    pub fn from_borsh(bytes: Vec<u8>) -> SignerPk {
        SignerPk(bytes)
    }

    /// The borsh bytes (curve byte + key data), as `env::signer_account_pk` returns them.
    pub fn borsh(&self) -> &[u8] {
        &self.0
    }

    /// The key data without the curve byte.
    pub fn key_data(&self) -> &[u8] {
        &self.0[1..]
    }
}

impl AsRef<[u8]> for SignerPk {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<SignerPk> for Vec<u8> {
    fn from(pk: SignerPk) -> Vec<u8> {
        pk.0
    }
}

impl From<&AccessPublicKey> for SignerPk {
    fn from(key: &AccessPublicKey) -> SignerPk {
        SignerPk(borsh::to_vec(key).expect("borsh of a key"))
    }
}

impl From<AccessPublicKey> for SignerPk {
    fn from(key: AccessPublicKey) -> SignerPk {
        SignerPk::from(&key)
    }
}

impl fmt::Display for SignerPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let curve = match self.0.first() {
            Some(0) => "ed25519",
            Some(1) => "secp256k1",
            _ => return write!(f, "<invalid key {}>", hex::encode(&self.0)),
        };
        write!(f, "{curve}:{}", mpc_interface::base58::encode(self.key_data()))
    }
}

impl fmt::Debug for SignerPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerPk({self})")
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::Ed25519PublicKey;

    #[test]
    fn signer_pk__should_have_near_borsh_layout() {
        let pk = SignerPk::ed25519_from_seed("alice.near");
        assert_eq!(pk.borsh().len(), 33);
        assert_eq!(pk.borsh()[0], 0);
        assert_eq!(pk, SignerPk::ed25519_from_seed("alice.near"));
        assert_ne!(pk, SignerPk::ed25519_from_seed("bob.near"));
        assert!(pk.to_string().starts_with("ed25519:"));
        // The all-zero ed25519 key NEAR prints as 111...1 (32 ones).
        assert_eq!(SignerPk::ed25519([0; 32]).to_string(), format!("ed25519:{}", "1".repeat(32)));
    }

    #[test]
    fn signer_pk__should_match_the_interface_key_it_was_made_from() {
        let key = AccessPublicKey::Ed25519(Ed25519PublicKey([9; 32]));
        let pk = SignerPk::from(&key);
        assert_eq!(pk, SignerPk::ed25519([9; 32]));
        assert_eq!(pk.to_string(), key.to_string());
    }
}
