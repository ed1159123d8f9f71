//! Session keys and sealing for the web transport.
//!
//! Key agreement is libsodium's `crypto_kx`, computed by RustCrypto's
//! `crypto_kx` crate: X25519, then BLAKE2b-512(q ‖ client_pk ‖ server_pk)
//! split into two 32-byte keys. The crate computes the same bytes as libsodium
//! but labels `rx`/`tx` the other way round, so we relabel them (see
//! `client_keys`); a known-answer test pins libsodium's layout. The **backup service is the client role and
//! the node the server role**, in both directions of transfer, so a libsodium
//! implementation of either side interoperates as long as it keeps those roles.
//!
//! Payloads are sealed with XChaCha20-Poly1305 under the sender's `tx` key
//! with a random 24-byte nonce; the associated data binds the session (kind,
//! epoch, nonce) and the direction, so a ciphertext cannot be moved to
//! another session or reflected back to its sender.

use crate::session::{Party, Session};
use borsh::{BorshDeserialize, BorshSerialize};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use crypto_kx::{Keypair, PublicKey};
use curve25519_dalek::montgomery::MontgomeryPoint;
use mpc_interface::keys::X25519PublicKey;
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the peer's ephemeral key {0} is a low-order point (libsodium refuses it too)")]
    WeakPeerKey(X25519PublicKey),
    #[error("ciphertext failed authentication: it was tampered with, or sealed for another session or key")]
    Tampered,
    #[error("could not seal the payload")]
    Seal,
}

/// A fresh X25519 key pair for one session; dropped (and forgotten) after it.
pub struct EphemeralKeyPair(Keypair);

impl EphemeralKeyPair {
    pub fn generate() -> Self {
        Self(Keypair::generate(&mut OsRng))
    }

    pub fn public_key(&self) -> X25519PublicKey {
        X25519PublicKey(*self.0.public().as_ref())
    }

    // NOTE: the `crypto_kx` crate (0.2.1) labels the two halves the other
    // way round from libsodium: its client `tx` is libsodium's client `rx`
    // (the first 32 bytes of the hash), and likewise on the server. The keys
    // are the same bytes, so we swap the labels back here; the known-answer
    // test below pins libsodium's layout, so a fix upstream would show up.

    /// Keys for the backup service (libsodium `crypto_kx_client_session_keys`).
    pub fn client_keys(&self, node: &X25519PublicKey) -> Result<SessionKeys, CryptoError> {
        self.refuse_low_order(node)?;
        let keys = self.0.session_keys_to(&PublicKey::from(node.0));
        let (libsodium_rx, libsodium_tx) = (keys.tx, keys.rx);
        Ok(SessionKeys::new(Party::BackupService, libsodium_tx.as_ref(), libsodium_rx.as_ref()))
    }

    /// Keys for the node (libsodium `crypto_kx_server_session_keys`).
    pub fn server_keys(&self, backup_service: &X25519PublicKey) -> Result<SessionKeys, CryptoError> {
        self.refuse_low_order(backup_service)?;
        let keys = self.0.session_keys_from(&PublicKey::from(backup_service.0));
        let (libsodium_rx, libsodium_tx) = (keys.tx, keys.rx);
        Ok(SessionKeys::new(Party::Node, libsodium_tx.as_ref(), libsodium_rx.as_ref()))
    }

    /// libsodium's `crypto_kx` fails when the X25519 result is all zeros (a
    /// low-order peer key, which would make the session keys predictable);
    /// the Rust crate does not check, so we do.
    fn refuse_low_order(&self, peer: &X25519PublicKey) -> Result<(), CryptoError> {
        let secret = Zeroizing::new(self.0.secret().to_bytes());
        let shared = Zeroizing::new(MontgomeryPoint(peer.0).mul_clamped(*secret).to_bytes());
        if shared.iter().all(|&b| b == 0) {
            return Err(CryptoError::WeakPeerKey(*peer));
        }
        Ok(())
    }
}

/// One side's pair of session keys. `tx` seals what this side sends, `rx`
/// opens what the peer sends (the client's `rx` is the server's `tx`).
pub struct SessionKeys {
    me: Party,
    tx: Zeroizing<[u8; 32]>,
    rx: Zeroizing<[u8; 32]>,
}

impl SessionKeys {
    fn new(me: Party, tx: &[u8; 32], rx: &[u8; 32]) -> Self {
        Self { me, tx: Zeroizing::new(*tx), rx: Zeroizing::new(*rx) }
    }

    pub fn tx(&self) -> &[u8; 32] {
        &self.tx
    }

    pub fn rx(&self) -> &[u8; 32] {
        &self.rx
    }

    /// Seals `plaintext` from this side to the peer.
    pub fn seal(&self, session: &Session, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(session, self.me);
        let ciphertext = XChaCha20Poly1305::new((&*self.tx).into())
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| CryptoError::Seal)?;
        Ok(Sealed { nonce, ciphertext })
    }

    /// Opens what the peer sealed to this side.
    pub fn open(&self, session: &Session, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let aad = associated_data(session, self.me.peer());
        XChaCha20Poly1305::new((&*self.rx).into())
            .decrypt(&XNonce::from(sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Tampered)
    }
}

/// A sealed payload as it travels.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Sealed {
    pub nonce: [u8; 24],
    pub ciphertext: Vec<u8>,
}

/// What the AEAD authenticates besides the plaintext.
fn associated_data(session: &Session, sender: Party) -> Vec<u8> {
    borsh::to_vec(&(b"mpc-share-transfer/web/v1/aead", session, sender)).expect("borsh to a Vec cannot fail")
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::session::SessionKind;
    use blake2::{Blake2b512, Digest};
    use mpc_interface::primitives::EpochId;

    fn session(nonce: u64) -> Session {
        Session { kind: SessionKind::Recovery, epoch_id: EpochId(3), nonce }
    }

    #[test]
    fn crypto_kx__should_derive_symmetric_keys_for_client_and_server() {
        let backup_service = EphemeralKeyPair::generate();
        let node = EphemeralKeyPair::generate();
        let client = backup_service.client_keys(&node.public_key()).unwrap();
        let server = node.server_keys(&backup_service.public_key()).unwrap();
        assert_eq!(client.rx(), server.tx());
        assert_eq!(client.tx(), server.rx());
        assert_ne!(client.tx(), client.rx());
    }

    #[test]
    fn crypto_kx__should_match_libsodium_key_layout() {
        // libsodium crypto_kx.c: h = BLAKE2b-512(X25519(sk, peer_pk) ‖ client_pk ‖ server_pk);
        // client rx = h[..32], client tx = h[32..]; server tx = h[..32], server rx = h[32..].
        let client = EphemeralKeyPair::generate();
        let server = EphemeralKeyPair::generate();
        let (cpk, spk) = (client.public_key(), server.public_key());
        let q = MontgomeryPoint(spk.0).mul_clamped(client.0.secret().to_bytes());
        let h = Blake2b512::new().chain_update(q.as_bytes()).chain_update(cpk.0).chain_update(spk.0).finalize();
        let client_keys = client.client_keys(&spk).unwrap();
        assert_eq!(&client_keys.rx()[..], &h[..32]);
        assert_eq!(&client_keys.tx()[..], &h[32..]);
        let server_keys = server.server_keys(&cpk).unwrap();
        assert_eq!(&server_keys.tx()[..], &h[..32]);
        assert_eq!(&server_keys.rx()[..], &h[32..]);
    }

    #[test]
    fn crypto_kx__should_refuse_low_order_peer_key() {
        let me = EphemeralKeyPair::generate();
        for weak in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            assert!(matches!(me.client_keys(&X25519PublicKey(weak)), Err(CryptoError::WeakPeerKey(_))));
        }
    }

    #[test]
    fn aead__should_round_trip_and_detect_tampering() {
        let backup_service = EphemeralKeyPair::generate();
        let node = EphemeralKeyPair::generate();
        let client = backup_service.client_keys(&node.public_key()).unwrap();
        let server = node.server_keys(&backup_service.public_key()).unwrap();

        let sealed = client.seal(&session(1), b"secret shares").unwrap();
        assert_eq!(&server.open(&session(1), &sealed).unwrap()[..], b"secret shares");

        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(server.open(&session(1), &flipped), Err(CryptoError::Tampered));

        let mut bad_nonce = sealed.clone();
        bad_nonce.nonce[0] ^= 1;
        assert_eq!(server.open(&session(1), &bad_nonce), Err(CryptoError::Tampered));

        // Bound to the session and to the direction.
        assert_eq!(server.open(&session(2), &sealed), Err(CryptoError::Tampered));
        assert_eq!(client.open(&session(1), &sealed), Err(CryptoError::Tampered));
    }

    #[test]
    fn aead__should_use_a_fresh_nonce_per_seal() {
        let a = EphemeralKeyPair::generate();
        let b = EphemeralKeyPair::generate();
        let keys = a.client_keys(&b.public_key()).unwrap();
        let one = keys.seal(&session(1), b"x").unwrap();
        let two = keys.seal(&session(1), b"x").unwrap();
        assert_ne!(one.nonce, two.nonce);
        assert_ne!(one.ciphertext, two.ciphertext);
    }
}
