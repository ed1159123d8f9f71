//! Real threshold key material for the drill: each domain's secret key is
//! Shamir-shared among the participants (degree `t - 1`), and its public key
//! (what the contract's keyset holds) is the secret times the generator. The
//! drill's verdict then rests on mathematics, not on byte equality alone: any
//! `t` shares, the recovered machine's among them, must interpolate to the
//! secret whose public key the contract names.

use ff::{Field, PrimeField};
use mpc_interface::primitives::{DomainConfig, DomainPublicKey, ParticipantId, SignatureScheme};
use mpc_interface::verifying::VerifyingShare;
use rand_core::{OsRng, RngCore};
use share_transfer::verifying::{lagrange_at, verifying_share, x_of};

/// Shares of a secret: `shares[i]` is the value at x = i + 1 (participant id i).
pub fn split<F: PrimeField>(secret: F, threshold: usize, n: usize) -> Vec<F> {
    let coefficients: Vec<F> = std::iter::once(secret).chain((1..threshold).map(|_| F::random(&mut OsRng))).collect();
    (1..=n as u64)
        .map(|x| {
            let x = F::from(x);
            coefficients.iter().rev().fold(F::ZERO, |acc, c| acc * x + c)
        })
        .collect()
}

/// The secret from `(participant id, share)` pairs (Lagrange at zero).
pub fn interpolate<F: PrimeField>(points: &[(u64, F)]) -> F {
    let xs: Vec<F> = points.iter().map(|&(id, _)| x_of(ParticipantId(id as u32))).collect();
    lagrange_at(&xs, F::ZERO).iter().zip(points).fold(F::ZERO, |acc, (l, (_, y))| acc + *l * y)
}

/// One domain's key, shared.
pub struct SharedKey {
    pub public_key: DomainPublicKey,
    /// Share bytes per participant id (scalar encoding of the curve).
    pub shares: Vec<Vec<u8>>,
}

impl SharedKey {
    /// Every participant's verifying share (participant id = index); `None`
    /// if a share is not a scalar of `scheme`'s curve.
    pub fn verifying_shares(&self, scheme: SignatureScheme) -> Option<Vec<VerifyingShare>> {
        let share = |(i, s): (usize, &Vec<u8>)| {
            Some(VerifyingShare {
                participant_id: ParticipantId(i as u32),
                verifying_share: verifying_share(scheme, s)?,
            })
        };
        self.shares.iter().enumerate().map(share).collect()
    }
}

pub fn deal(domain: &DomainConfig, threshold: usize, n: usize) -> SharedKey {
    let (secret, shares): (Vec<u8>, Vec<Vec<u8>>) = match domain.scheme {
        SignatureScheme::Ed25519 => {
            let mut wide = [0u8; 64];
            OsRng.fill_bytes(&mut wide);
            let secret = curve25519_dalek::Scalar::from_bytes_mod_order_wide(&wide);
            (secret.to_bytes().to_vec(), split(secret, threshold, n).iter().map(|s| s.to_bytes().to_vec()).collect())
        }
        SignatureScheme::Secp256k1 => {
            let secret = k256::Scalar::random(&mut OsRng);
            (secret.to_bytes().to_vec(), split(secret, threshold, n).iter().map(|s| s.to_bytes().to_vec()).collect())
        }
    };
    // The public key is the secret's "verifying share": secret x G.
    let public_key = verifying_share(domain.scheme, &secret).expect("a dealt scalar");
    SharedKey { public_key, shares }
}

/// The public key that `(participant id, share bytes)` pairs interpolate to,
/// or `None` if a share is not a valid scalar of the domain's curve.
pub fn reconstruct_public_key(scheme: SignatureScheme, points: &[(u64, &[u8])]) -> Option<DomainPublicKey> {
    let secret = match scheme {
        SignatureScheme::Ed25519 => {
            let scalars: Option<Vec<(u64, curve25519_dalek::Scalar)>> = points
                .iter()
                .map(|(id, bytes)| {
                    let array: [u8; 32] = (*bytes).try_into().ok()?;
                    Option::from(curve25519_dalek::Scalar::from_canonical_bytes(array)).map(|s| (*id, s))
                })
                .collect();
            interpolate(&scalars?).to_bytes().to_vec()
        }
        SignatureScheme::Secp256k1 => {
            let scalars: Option<Vec<(u64, k256::Scalar)>> = points
                .iter()
                .map(|(id, bytes)| {
                    let array: [u8; 32] = (*bytes).try_into().ok()?;
                    Option::from(k256::Scalar::from_repr(array.into())).map(|s| (*id, s))
                })
                .collect();
            interpolate(&scalars?).to_bytes().to_vec()
        }
    };
    verifying_share(scheme, &secret)
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::primitives::DomainId;

    fn domains() -> [DomainConfig; 2] {
        [
            DomainConfig { id: DomainId(0), scheme: SignatureScheme::Secp256k1 },
            DomainConfig { id: DomainId(1), scheme: SignatureScheme::Ed25519 },
        ]
    }

    #[test]
    fn deal__should_let_any_threshold_of_shares_rebuild_the_public_key() {
        for domain in domains() {
            let key = deal(&domain, 3, 5);
            for ids in [[0u64, 1, 2], [1, 3, 4], [4, 2, 0]] {
                let points: Vec<(u64, &[u8])> = ids.iter().map(|&i| (i, key.shares[i as usize].as_slice())).collect();
                assert_eq!(reconstruct_public_key(domain.scheme, &points), Some(key.public_key), "{ids:?}");
            }
        }
    }

    #[test]
    fn deal__should_not_rebuild_from_fewer_shares_or_a_wrong_one() {
        for domain in domains() {
            let key = deal(&domain, 3, 5);
            let two: Vec<(u64, &[u8])> = (0..2).map(|i| (i, key.shares[i as usize].as_slice())).collect();
            assert_ne!(reconstruct_public_key(domain.scheme, &two), Some(key.public_key));
            let other = deal(&domain, 3, 5);
            let mixed = [(0, key.shares[0].as_slice()), (1, key.shares[1].as_slice()), (2, other.shares[2].as_slice())];
            assert_ne!(reconstruct_public_key(domain.scheme, &mixed), Some(key.public_key));
        }
    }
}
