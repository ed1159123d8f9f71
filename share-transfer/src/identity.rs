//! A party's long-lived Ed25519 identity: the node's TLS key or the backup
//! service's registered key. The contract holds the public half; this holds
//! the secret half, which ed25519-dalek wipes on drop.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use mpc_interface::keys::Ed25519PublicKey;
use rand_core::OsRng;
use std::fmt;
use zeroize::Zeroizing;

pub struct Identity {
    key: SigningKey,
}

impl Identity {
    pub fn generate() -> Self {
        Self { key: SigningKey::generate(&mut OsRng) }
    }

    /// From a 32-byte Ed25519 seed (the secret half as NEAR key files store it).
    pub fn from_seed(seed: &Zeroizing<[u8; 32]>) -> Self {
        Self { key: SigningKey::from_bytes(seed) }
    }

    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// The seed as an unencrypted PKCS#8 v1 document (RFC 8410), the form
    /// rcgen and rustls' ring provider load Ed25519 keys from.
    pub(crate) fn pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }
        const PREFIX: [u8; 16] =
            [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        let mut der = Zeroizing::new(Vec::with_capacity(PREFIX.len() + 32));
        der.extend_from_slice(&PREFIX);
        der.extend_from_slice(self.key.as_bytes());
        der
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.public_key())
    }
}

/// Strict Ed25519 verification (rejects small-order keys and malleable
/// signatures), so one message has exactly one valid signature per key; the
/// web transport's replay check relies on that.
pub fn verify_ed25519(key: &Ed25519PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(key.as_bytes()) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature)).is_ok()
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn identity__should_sign_verifiably_and_not_print_its_secret() {
        let id = Identity::from_seed(&Zeroizing::new([7; 32]));
        let sig = id.sign(b"hello");
        assert!(verify_ed25519(&id.public_key(), b"hello", &sig));
        assert!(!verify_ed25519(&id.public_key(), b"hellO", &sig));
        assert!(!verify_ed25519(&Identity::generate().public_key(), b"hello", &sig));
        assert_eq!(format!("{id:?}"), format!("Identity({})", id.public_key()));
        assert_eq!(&id.pkcs8_der()[16..], &[7; 32]);
    }
}
