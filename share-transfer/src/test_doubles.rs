//! Random shares for tests and drills where no MPC protocol runs: fresh
//! secrets labelled with a keyset's public keys, so the backup and recovery
//! paths have something real to move. Compiled only with the `test-doubles`
//! feature (and in this crate's own tests): production binaries never
//! contain them.

use crate::payload::{DomainShare, SecretShare, SharesPayload};
use mpc_interface::primitives::Keyset;
use rand_core::{OsRng, RngCore};

/// Bytes of one share: the size of a secp256k1 or Ed25519 scalar.
const SHARE_LEN: usize = 32;

/// Fresh random shares for every domain of `keyset`, each a valid scalar of
/// either curve: below 2^252 in both byte orders (secp256k1 big-endian,
/// Ed25519 little-endian, canonical).
pub fn shares_for(keyset: &Keyset) -> SharesPayload {
    random_shares(keyset, SHARE_LEN, true)
}

/// Fresh random bytes of `len` for every domain of `keyset` (not scalars:
/// for tests of sizes and limits).
pub fn shares_of_len(keyset: &Keyset, len: usize) -> SharesPayload {
    random_shares(keyset, len, false)
}

fn random_shares(keyset: &Keyset, len: usize, scalar: bool) -> SharesPayload {
    SharesPayload {
        epoch_id: keyset.epoch_id,
        shares: keyset
            .domains
            .iter()
            .map(|d| {
                let mut secret = vec![0u8; len];
                OsRng.fill_bytes(&mut secret);
                if scalar {
                    secret[0] &= 0x0f;
                    secret[len - 1] &= 0x0f;
                }
                DomainShare { domain_id: d.domain_id, public_key: d.public_key, secret_share: SecretShare::new(secret) }
            })
            .collect(),
    }
}
