//! Stand-in shares for drills and operators' tests, where no MPC protocol
//! runs: random secrets labelled with the contract's public keys, so the
//! backup and recovery paths have something real to move. A production node
//! gets its shares from key generation or resharing and never enables this.

use mpc_interface::primitives::Keyset;
use rand_core::{OsRng, RngCore};
use share_transfer::{DomainShare, SecretShare, SharesPayload};

/// Bytes of one stand-in share: the size of a secp256k1 or Ed25519 scalar.
const SHARE_LEN: usize = 32;

/// Fresh random shares for every domain of `keyset`.
pub fn shares_for(keyset: &Keyset) -> SharesPayload {
    SharesPayload {
        epoch_id: keyset.epoch_id,
        shares: keyset
            .domains
            .iter()
            .map(|d| {
                let mut secret = vec![0u8; SHARE_LEN];
                OsRng.fill_bytes(&mut secret);
                // Below 2^252 in either byte order: a valid scalar of both
                // curves (secp256k1 big-endian, Ed25519 little-endian, canonical).
                secret[0] &= 0x0f;
                secret[SHARE_LEN - 1] &= 0x0f;
                DomainShare { domain_id: d.domain_id, public_key: d.public_key, secret_share: SecretShare::new(secret) }
            })
            .collect(),
    }
}
