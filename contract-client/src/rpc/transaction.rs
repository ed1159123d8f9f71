//! NEAR transactions, encoded in borsh by hand: this client signs and submits
//! function calls without `near-primitives`.
//!
//! The layout, as checked against nearcore (`core/primitives/src/transaction.rs`,
//! `core/primitives/src/action/mod.rs`, `core/crypto/src/signature.rs`):
//!
//! ```text
//! Transaction (V0, no version tag; V1 would start with the byte 1):
//!   signer_id:   String        u32 LE length + UTF-8 bytes
//!   public_key:  PublicKey     u8 curve tag (0 = ed25519, 1 = secp256k1) + 32 / 64 key bytes
//!   nonce:       u64 LE
//!   receiver_id: String
//!   block_hash:  [u8; 32]      raw
//!   actions:     Vec<Action>   u32 LE count + each action
//! Action::FunctionCall (enum tag 2; CreateAccount = 0, DeployContract = 1, Transfer = 3, ...):
//!   method_name: String
//!   args:        Vec<u8>       u32 LE length + bytes
//!   gas:         u64 LE
//!   deposit:     u128 LE
//! SignedTransaction:
//!   transaction: Transaction
//!   signature:   Signature     u8 curve tag (0 = ed25519) + 64 bytes
//! ```
//!
//! The transaction hash (what is signed, and what explorers show in base58)
//! is `sha256(borsh(transaction))`. A signed transaction is submitted as the
//! base64 of `borsh(SignedTransaction)`.
//!
//! nearcore pins this layout with a change-checker test (`test_serialize_transaction`:
//! a V0 transaction with one action of each kind hashes to
//! `4GXvjMFN6wSxnU9jEVT8HbXP5Yk6yELX9faRSKp6n9fX`); this crate's tests rebuild
//! that transaction from the layout above and check they get the same hash.

use ed25519_dalek::{Signer as _, SigningKey};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::AccountId;
use sha2::{Digest, Sha256};

/// The borsh tag of `Action::FunctionCall`.
pub const FUNCTION_CALL_ACTION: u8 = 2;
/// The borsh tag of an Ed25519 key or signature.
pub const ED25519_CURVE: u8 = 0;
/// The borsh tag of a secp256k1 key or signature.
pub const SECP256K1_CURVE: u8 = 1;

/// One `FunctionCall` action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCall {
    pub method_name: String,
    pub args: Vec<u8>,
    pub gas: u64,
    pub deposit: u128,
}

impl FunctionCall {
    /// This action's borsh form, enum tag included.
    pub fn to_borsh(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 4 + self.method_name.len() + 4 + self.args.len() + 8 + 16);
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.push(FUNCTION_CALL_ACTION);
        put_bytes(out, self.method_name.as_bytes());
        put_bytes(out, &self.args);
        out.extend_from_slice(&self.gas.to_le_bytes());
        out.extend_from_slice(&self.deposit.to_le_bytes());
    }
}

/// A V0 transaction whose actions are all function calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub signer_id: AccountId,
    pub public_key: AccessPublicKey,
    pub nonce: u64,
    pub receiver_id: AccountId,
    pub block_hash: [u8; 32],
    pub actions: Vec<FunctionCall>,
}

impl Transaction {
    pub fn to_borsh(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_bytes(&mut out, self.signer_id.as_str().as_bytes());
        put_public_key(&mut out, &self.public_key);
        out.extend_from_slice(&self.nonce.to_le_bytes());
        put_bytes(&mut out, self.receiver_id.as_str().as_bytes());
        out.extend_from_slice(&self.block_hash);
        put_len(&mut out, self.actions.len());
        for action in &self.actions {
            action.write(&mut out);
        }
        out
    }

    /// `sha256(borsh(self))`: the transaction hash, and what is signed.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_borsh()).into()
    }

    /// Signs with an Ed25519 key. The caller makes sure `key` is the one
    /// named in `public_key` (the chain refuses the transaction otherwise).
    pub fn sign(self, key: &SigningKey) -> SignedTransaction {
        let signature = key.sign(&self.hash()).to_bytes();
        SignedTransaction { transaction: self, signature }
    }
}

/// A transaction with its Ed25519 signature over [`Transaction::hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    pub transaction: Transaction,
    pub signature: [u8; 64],
}

impl SignedTransaction {
    pub fn to_borsh(&self) -> Vec<u8> {
        let mut out = self.transaction.to_borsh();
        out.push(ED25519_CURVE);
        out.extend_from_slice(&self.signature);
        out
    }

    pub fn hash(&self) -> [u8; 32] {
        self.transaction.hash()
    }

    /// The hash as NEAR tools print it (base58).
    pub fn hash_base58(&self) -> String {
        bs58::encode(self.hash()).into_string()
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // NEAR refuses transactions over a few MiB, far below what u32 counts.
    let len = u32::try_from(len).expect("a transaction field longer than 4 GiB");
    out.extend_from_slice(&len.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_public_key(out: &mut Vec<u8>, key: &AccessPublicKey) {
    match key {
        AccessPublicKey::Ed25519(k) => {
            out.push(ED25519_CURVE);
            out.extend_from_slice(k.as_bytes());
        }
        AccessPublicKey::Secp256k1(k) => {
            out.push(SECP256K1_CURVE);
            out.extend_from_slice(k.as_bytes());
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::Ed25519PublicKey;

    #[test]
    fn public_key__should_encode_as_the_interface_crate_borsh_does() {
        // The interface crate's AccessPublicKey borsh is the runtime's layout
        // (tested there); the hand encoder must agree with it.
        let key = AccessPublicKey::Ed25519(Ed25519PublicKey([5; 32]));
        let mut out = Vec::new();
        put_public_key(&mut out, &key);
        assert_eq!(out, borsh::to_vec(&key).unwrap());
    }
}
