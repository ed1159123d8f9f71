//! What moves between a node and its backup service: one secret share per
//! signature domain for one epoch, plus the public key each share belongs to.
//!
//! The public keys travel with the shares so the receiver can check them
//! against the contract's keyset *before* it accepts anything: a share for the
//! wrong epoch or the wrong key would be useless at best, and at worst would
//! overwrite good shares on a replacement machine.

use borsh::{BorshDeserialize, BorshSerialize};
use mpc_interface::primitives::{DomainId, DomainPublicKey, EpochId, Keyset};
use std::collections::HashSet;
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// A node's secret share for one domain. The bytes are wiped when dropped,
/// compared in constant time, and never printed.
#[derive(Clone)]
pub struct SecretShare(Zeroizing<Vec<u8>>);

impl SecretShare {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes. Callers must not log or copy them into unwiped buffers.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// `Zeroizing` wipes the bytes on drop, so the marker promise holds.
impl ZeroizeOnDrop for SecretShare {}

impl PartialEq for SecretShare {
    /// Constant time in the contents (not in the length, which is not secret),
    /// so comparing a guess against a share leaks nothing about where they differ.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}
impl Eq for SecretShare {}

impl fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretShare(<redacted {} bytes>)", self.0.len())
    }
}

impl BorshSerialize for SecretShare {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        self.0.as_slice().serialize(writer)
    }
}

impl BorshDeserialize for SecretShare {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        // The Vec is moved (not copied) into `Zeroizing`, so no unwiped copy remains.
        Ok(Self::new(Vec::<u8>::deserialize_reader(reader)?))
    }
}

/// One domain's share and the public key it is a share of.
#[derive(Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize)]
pub struct DomainShare {
    pub domain_id: DomainId,
    pub public_key: DomainPublicKey,
    pub secret_share: SecretShare,
}

/// All of a node's shares for one epoch, in the contract's domain order.
#[derive(Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize)]
pub struct SharesPayload {
    pub epoch_id: EpochId,
    pub shares: Vec<DomainShare>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("wrong epoch: payload has {payload}, contract has {contract}")]
    WrongEpoch { payload: EpochId, contract: EpochId },
    #[error("domain {domain} appears more than once in the payload")]
    DuplicateDomain { domain: DomainId },
    #[error("domain {domain} is in the contract's keyset but missing from the payload")]
    MissingDomain { domain: DomainId },
    #[error("domain {domain} is in the payload but not in the contract's keyset")]
    UnexpectedDomain { domain: DomainId },
    #[error(
        "domains out of order: position {position} holds domain {payload}, the contract has domain {contract} there"
    )]
    OutOfOrder { position: usize, payload: DomainId, contract: DomainId },
    #[error("domain {domain}: public key {payload} differs from the contract's {contract}")]
    PublicKeyMismatch { domain: DomainId, payload: DomainPublicKey, contract: DomainPublicKey },
    #[error("domain {domain}: the secret share is empty")]
    EmptyShare { domain: DomainId },
}

impl SharesPayload {
    /// Checks that these shares are exactly the ones the contract's keyset asks
    /// for: same epoch, every domain once and in order, and the same public keys.
    /// Set-level problems (duplicates, missing, extra domains) are reported before
    /// order, so the message names the real problem rather than its symptom.
    pub fn check_against(&self, keyset: &Keyset) -> Result<(), PayloadError> {
        if self.epoch_id != keyset.epoch_id {
            return Err(PayloadError::WrongEpoch { payload: self.epoch_id, contract: keyset.epoch_id });
        }
        let mut seen = HashSet::new();
        for share in &self.shares {
            if !seen.insert(share.domain_id) {
                return Err(PayloadError::DuplicateDomain { domain: share.domain_id });
            }
        }
        let contract: HashSet<_> = keyset.domains.iter().map(|d| d.domain_id).collect();
        if let Some(missing) = keyset.domains.iter().find(|d| !seen.contains(&d.domain_id)) {
            return Err(PayloadError::MissingDomain { domain: missing.domain_id });
        }
        if let Some(extra) = self.shares.iter().find(|s| !contract.contains(&s.domain_id)) {
            return Err(PayloadError::UnexpectedDomain { domain: extra.domain_id });
        }
        // Same sets, so the lengths agree and a pairwise walk covers everything.
        for (position, (share, key)) in self.shares.iter().zip(&keyset.domains).enumerate() {
            if share.domain_id != key.domain_id {
                return Err(PayloadError::OutOfOrder { position, payload: share.domain_id, contract: key.domain_id });
            }
            if share.public_key != key.public_key {
                return Err(PayloadError::PublicKeyMismatch {
                    domain: share.domain_id,
                    payload: share.public_key,
                    contract: key.public_key,
                });
            }
            if share.secret_share.is_empty() {
                return Err(PayloadError::EmptyShare { domain: share.domain_id });
            }
        }
        Ok(())
    }

    /// The domains carried, in order; safe to log.
    pub fn domain_ids(&self) -> Vec<DomainId> {
        self.shares.iter().map(|s| s.domain_id).collect()
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
    use mpc_interface::primitives::KeyForDomain;

    fn keyset() -> Keyset {
        Keyset {
            epoch_id: EpochId(4),
            domains: vec![
                KeyForDomain {
                    domain_id: DomainId(0),
                    public_key: DomainPublicKey::Secp256k1(Secp256k1PublicKey([1; 64])),
                },
                KeyForDomain {
                    domain_id: DomainId(1),
                    public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([2; 32])),
                },
            ],
        }
    }

    fn payload_for(keyset: &Keyset) -> SharesPayload {
        SharesPayload {
            epoch_id: keyset.epoch_id,
            shares: keyset
                .domains
                .iter()
                .map(|d| DomainShare {
                    domain_id: d.domain_id,
                    public_key: d.public_key,
                    secret_share: SecretShare::new(vec![0xAB; 32]),
                })
                .collect(),
        }
    }

    #[test]
    fn check_against__should_accept_matching_payload() {
        let keyset = keyset();
        assert_eq!(payload_for(&keyset).check_against(&keyset), Ok(()));
    }

    #[test]
    fn check_against__should_name_both_epochs_when_epoch_differs() {
        let keyset = keyset();
        let mut payload = payload_for(&keyset);
        payload.epoch_id = EpochId(3);
        let err = payload.check_against(&keyset).unwrap_err();
        assert_eq!(err.to_string(), "wrong epoch: payload has 3, contract has 4");
    }

    #[test]
    fn check_against__should_name_both_keys_when_public_key_differs() {
        let keyset = keyset();
        let mut payload = payload_for(&keyset);
        let wrong = Ed25519PublicKey([9; 32]);
        payload.shares[1].public_key = DomainPublicKey::Ed25519(wrong);
        let err = payload.check_against(&keyset).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("domain 1: public key {wrong} differs from the contract's {}", Ed25519PublicKey([2; 32]))
        );
    }

    #[test]
    fn check_against__should_refuse_missing_extra_duplicate_and_reordered_domains() {
        let keyset = keyset();
        let good = payload_for(&keyset);

        let mut missing = good.clone();
        missing.shares.pop();
        assert_eq!(missing.check_against(&keyset), Err(PayloadError::MissingDomain { domain: DomainId(1) }));

        let mut extra = good.clone();
        let mut share = extra.shares[1].clone();
        share.domain_id = DomainId(7);
        extra.shares.push(share);
        assert_eq!(extra.check_against(&keyset), Err(PayloadError::UnexpectedDomain { domain: DomainId(7) }));

        let mut duplicate = good.clone();
        duplicate.shares.push(good.shares[0].clone());
        assert_eq!(duplicate.check_against(&keyset), Err(PayloadError::DuplicateDomain { domain: DomainId(0) }));

        let mut reordered = good.clone();
        reordered.shares.reverse();
        assert!(matches!(reordered.check_against(&keyset), Err(PayloadError::OutOfOrder { position: 0, .. })));
    }

    #[test]
    fn check_against__should_refuse_empty_share() {
        let keyset = keyset();
        let mut payload = payload_for(&keyset);
        payload.shares[0].secret_share = SecretShare::new(vec![]);
        assert_eq!(payload.check_against(&keyset), Err(PayloadError::EmptyShare { domain: DomainId(0) }));
    }

    #[test]
    fn secret_share_debug__should_not_print_the_secret() {
        let share = SecretShare::new(vec![0x5A; 32]);
        let payload = SharesPayload {
            epoch_id: EpochId(1),
            shares: vec![DomainShare {
                domain_id: DomainId(0),
                public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([1; 32])),
                secret_share: share.clone(),
            }],
        };
        for text in [format!("{share:?}"), format!("{payload:?}"), format!("{payload:#?}")] {
            assert!(text.contains("redacted"), "{text}");
            // How a derived Debug of the bytes would look, decimal or hex.
            assert!(!text.contains("90, 90"), "secret leaked: {text}");
            assert!(!text.to_lowercase().contains("5a5a"), "secret leaked: {text}");
        }
    }

    #[test]
    fn secret_share__should_compare_by_content_and_round_trip_through_borsh() {
        let keyset = keyset();
        let payload = payload_for(&keyset);
        let bytes = borsh::to_vec(&payload).unwrap();
        let back: SharesPayload = borsh::from_slice(&bytes).unwrap();
        assert_eq!(back, payload);
        assert_ne!(SecretShare::new(vec![1, 2, 3]), SecretShare::new(vec![1, 2, 4]));
        assert_ne!(SecretShare::new(vec![1, 2]), SecretShare::new(vec![1, 2, 3]));
    }
}
