//! What moves between a node and its backup service: one secret share per
//! signature domain for one epoch, plus the public key each share belongs to.
//!
//! The public keys travel with the shares so the receiver can check them
//! against the contract's keyset *before* it accepts anything: a share for the
//! wrong epoch or the wrong key would be useless at best, and at worst would
//! overwrite good shares on a replacement machine.

pub use crate::expected::Expected;
use borsh::{BorshDeserialize, BorshSerialize};
use mpc_interface::primitives::{DomainId, DomainPublicKey, EpochId, Keyset, ParticipantId};
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
    #[error("the contract's verifying shares are of epoch {verifying}, its keyset of epoch {keyset}")]
    VerifyingEpoch { verifying: EpochId, keyset: EpochId },
    #[error("domain {domain}: the contract records no verifying share of participant {participant}")]
    NoVerifyingShare { domain: DomainId, participant: ParticipantId },
    #[error("domain {domain}: the secret share is not a scalar of the domain's curve")]
    MalformedShare { domain: DomainId },
    #[error(
        "domain {domain}: the secret share does not match participant {participant}'s verifying share on the contract"
    )]
    ShareMismatch { domain: DomainId, participant: ParticipantId },
}

impl PayloadError {
    /// The share itself is wrong (not merely for another keyset): it must
    /// never be stored, served, imported or used.
    pub fn is_wrong_share(&self) -> bool {
        matches!(self, Self::MalformedShare { .. } | Self::ShareMismatch { .. })
    }
}

impl SharesPayload {
    /// The one check every hand-off (serve, store, import, conclude, start-up)
    /// makes: these shares are exactly the ones the contract asks for: same
    /// epoch, every domain once and in order, the same public keys, and each
    /// share times the curve's generator equals the holder's verifying share
    /// on the contract. Set-level problems (duplicates, missing, extra
    /// domains) are reported before order, so the message names the real
    /// problem rather than its symptom.
    ///
    /// With no verifying shares (a keyset agreed before the contract recorded
    /// them; the next resharing records them) only the public keys can be
    /// checked; callers log that they could not check more.
    pub fn check_against(&self, expected: &Expected) -> Result<(), PayloadError> {
        self.check_keys(&expected.keyset)?;
        let Some(verifying) = &expected.verifying else { return Ok(()) };
        if verifying.epoch_id != expected.keyset.epoch_id {
            return Err(PayloadError::VerifyingEpoch {
                verifying: verifying.epoch_id,
                keyset: expected.keyset.epoch_id,
            });
        }
        let participant = verifying.participant_id;
        for share in &self.shares {
            let domain = share.domain_id;
            let recorded = verifying.of(domain).ok_or(PayloadError::NoVerifyingShare { domain, participant })?;
            let computed = crate::verifying::verifying_share(share.public_key.scheme(), share.secret_share.expose())
                .ok_or(PayloadError::MalformedShare { domain })?;
            if computed != recorded {
                return Err(PayloadError::ShareMismatch { domain, participant });
            }
        }
        Ok(())
    }

    fn check_keys(&self, keyset: &Keyset) -> Result<(), PayloadError> {
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
    use crate::test_doubles::shares_for;
    use crate::verifying::verifying_share;
    use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
    use mpc_interface::primitives::KeyForDomain;
    use mpc_interface::verifying::{DomainVerifyingShare, ParticipantVerifyingShares};

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

    #[test]
    fn check_against__should_accept_matching_payload() {
        let keyset = keyset();
        assert_eq!(shares_for(&keyset).check_against(&keyset.clone().into()), Ok(()));
    }

    #[test]
    fn check_against__should_name_both_epochs_when_epoch_differs() {
        let keyset = keyset();
        let mut payload = shares_for(&keyset);
        payload.epoch_id = EpochId(3);
        let err = payload.check_against(&keyset.clone().into()).unwrap_err();
        assert_eq!(err.to_string(), "wrong epoch: payload has 3, contract has 4");
    }

    #[test]
    fn check_against__should_name_both_keys_when_public_key_differs() {
        let keyset = keyset();
        let mut payload = shares_for(&keyset);
        let wrong = Ed25519PublicKey([9; 32]);
        payload.shares[1].public_key = DomainPublicKey::Ed25519(wrong);
        let err = payload.check_against(&keyset.clone().into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("domain 1: public key {wrong} differs from the contract's {}", Ed25519PublicKey([2; 32]))
        );
    }

    #[test]
    fn check_against__should_refuse_missing_extra_duplicate_and_reordered_domains() {
        let keyset = keyset();
        let good = shares_for(&keyset);

        let mut missing = good.clone();
        missing.shares.pop();
        assert_eq!(
            missing.check_against(&keyset.clone().into()),
            Err(PayloadError::MissingDomain { domain: DomainId(1) })
        );

        let mut extra = good.clone();
        let mut share = extra.shares[1].clone();
        share.domain_id = DomainId(7);
        extra.shares.push(share);
        assert_eq!(
            extra.check_against(&keyset.clone().into()),
            Err(PayloadError::UnexpectedDomain { domain: DomainId(7) })
        );

        let mut duplicate = good.clone();
        duplicate.shares.push(good.shares[0].clone());
        assert_eq!(
            duplicate.check_against(&keyset.clone().into()),
            Err(PayloadError::DuplicateDomain { domain: DomainId(0) })
        );

        let mut reordered = good.clone();
        reordered.shares.reverse();
        assert!(matches!(
            reordered.check_against(&keyset.clone().into()),
            Err(PayloadError::OutOfOrder { position: 0, .. })
        ));
    }

    #[test]
    fn check_against__should_refuse_empty_share() {
        let keyset = keyset();
        let mut payload = shares_for(&keyset);
        payload.shares[0].secret_share = SecretShare::new(vec![]);
        assert_eq!(
            payload.check_against(&keyset.clone().into()),
            Err(PayloadError::EmptyShare { domain: DomainId(0) })
        );
    }

    /// Shares that are valid scalars of both curves, and the verifying shares
    /// of participant 2 computed from them.
    fn verified(keyset: &Keyset) -> (SharesPayload, Expected) {
        let mut payload = shares_for(keyset);
        for (i, share) in payload.shares.iter_mut().enumerate() {
            share.secret_share = SecretShare::new(vec![i as u8 + 1; 32]);
        }
        let domains = payload
            .shares
            .iter()
            .map(|s| DomainVerifyingShare {
                domain_id: s.domain_id,
                verifying_share: verifying_share(s.public_key.scheme(), s.secret_share.expose()).unwrap(),
            })
            .collect();
        let verifying =
            ParticipantVerifyingShares { epoch_id: keyset.epoch_id, participant_id: ParticipantId(2), domains };
        (payload, Expected::new(keyset.clone(), Some(verifying)))
    }

    #[test]
    fn check_against__should_accept_shares_matching_the_verifying_shares() {
        let (payload, expected) = verified(&keyset());
        assert_eq!(payload.check_against(&expected), Ok(()));
    }

    #[test]
    fn check_against__should_refuse_a_share_with_one_bit_flipped_despite_the_right_public_keys() {
        let (mut payload, expected) = verified(&keyset());
        let mut bytes = payload.shares[1].secret_share.expose().to_vec();
        bytes[0] ^= 1;
        payload.shares[1].secret_share = SecretShare::new(bytes);
        assert!(payload.check_against(&expected.keyset.clone().into()).is_ok(), "the public keys alone cannot tell");
        let err = payload.check_against(&expected).unwrap_err();
        assert_eq!(err, PayloadError::ShareMismatch { domain: DomainId(1), participant: ParticipantId(2) });
        assert!(err.is_wrong_share());
        assert_eq!(
            err.to_string(),
            "domain 1: the secret share does not match participant 2's verifying share on the contract"
        );
    }

    #[test]
    fn check_against__should_refuse_a_share_that_is_no_scalar_and_verifying_shares_of_another_epoch() {
        let (mut payload, mut expected) = verified(&keyset());
        payload.shares[0].secret_share = SecretShare::new(vec![0xff; 32]);
        assert_eq!(payload.check_against(&expected), Err(PayloadError::MalformedShare { domain: DomainId(0) }));
        expected.verifying.as_mut().unwrap().epoch_id = EpochId(3);
        assert_eq!(
            payload.check_against(&expected),
            Err(PayloadError::VerifyingEpoch { verifying: EpochId(3), keyset: EpochId(4) })
        );
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
        let payload = shares_for(&keyset);
        let bytes = borsh::to_vec(&payload).unwrap();
        let back: SharesPayload = borsh::from_slice(&bytes).unwrap();
        assert_eq!(back, payload);
        assert_ne!(SecretShare::new(vec![1, 2, 3]), SecretShare::new(vec![1, 2, 4]));
        assert_ne!(SecretShare::new(vec![1, 2]), SecretShare::new(vec![1, 2, 3]));
    }
}
