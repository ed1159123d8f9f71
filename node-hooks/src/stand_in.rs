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
                DomainShare { domain_id: d.domain_id, public_key: d.public_key, secret_share: SecretShare::new(secret) }
            })
            .collect(),
    }
}
