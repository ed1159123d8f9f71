//! Shares against verifying shares, on the domain's curve (secp256k1 or
//! Ed25519). A share is a scalar (secp256k1: 32 bytes big-endian below the
//! group order; Ed25519: 32 bytes little-endian, canonical) held by
//! participant id `i` as the value of the key's polynomial at `x = i + 1`.
//!
//! - [`verifying_share`]: `share x G`, what the contract records per
//!   participant and domain, so a holder can check its share alone;
//! - [`check_before_voting`]: what a node checks before it votes verifying
//!   shares: one per participant of the set in increasing id, and (with
//!   [`check_consistency`]) all on one polynomial of degree `threshold - 1`
//!   whose value at zero is the public key, so any threshold subset
//!   interpolates (Lagrange in the exponent) to the public key. The contract
//!   does not check their shape: it takes them only when every voter agrees.

use k256::elliptic_curve::ff::{Field, PrimeField};
use k256::elliptic_curve::group::Group;
use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::primitives::{DomainPublicKey, ParticipantId, SignatureScheme};
use mpc_interface::verifying::VerifyingShare;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    #[error("{count} verifying shares cannot fix a polynomial of degree {degree} (threshold {threshold})")]
    TooFew { count: usize, threshold: usize, degree: usize },
    #[error("the verifying shares are of participant ids {given:?}; the set, in increasing id, is {set:?}")]
    NotTheSet { given: Vec<ParticipantId>, set: Vec<ParticipantId> },
    #[error("participant id {id} appears more than once")]
    DuplicateId { id: ParticipantId },
    #[error("the verifying share of participant {id} is not a point of the domain's curve ({scheme:?})")]
    NotAPoint { id: ParticipantId, scheme: SignatureScheme },
    #[error("the public key is not a point of the domain's curve ({scheme:?})")]
    PublicKeyNotAPoint { scheme: SignatureScheme },
    #[error("the first {threshold} verifying shares interpolate to another public key than the domain's")]
    WrongPublicKey { threshold: usize },
    #[error("the verifying share of participant {id} is not on the polynomial the others define")]
    OffPolynomial { id: ParticipantId },
}

/// `share x G` on `scheme`'s curve; `None` if the bytes are not a scalar of it.
pub fn verifying_share(scheme: SignatureScheme, share: &[u8]) -> Option<DomainPublicKey> {
    match scheme {
        SignatureScheme::Secp256k1 => {
            Secp::scalar(share).map(|s| Secp::encode(&(k256::ProjectivePoint::GENERATOR * s)))
        }
        SignatureScheme::Ed25519 => {
            Ed::scalar(share).map(|s| Ed::encode(&(curve25519_dalek::EdwardsPoint::generator() * s)))
        }
    }
}

/// Checks that `shares` (every participant's verifying share of one domain)
/// and `public_key` lie on one polynomial of degree `threshold - 1`.
pub fn check_consistency(
    public_key: &DomainPublicKey,
    threshold: usize,
    shares: &[VerifyingShare],
) -> Result<(), ConsistencyError> {
    match public_key.scheme() {
        SignatureScheme::Secp256k1 => consistent::<Secp>(public_key, threshold, shares),
        SignatureScheme::Ed25519 => consistent::<Ed>(public_key, threshold, shares),
    }
}

/// What a voter checks before it votes `shares` (with `public_key` for
/// `vote_pk`, or the unchanged key for `vote_reshared`): exactly one per
/// participant id of `set`, in increasing id, consistent with the key.
pub fn check_before_voting(
    public_key: &DomainPublicKey,
    set: &[ParticipantId],
    threshold: usize,
    shares: &[VerifyingShare],
) -> Result<(), ConsistencyError> {
    let given: Vec<ParticipantId> = shares.iter().map(|s| s.participant_id).collect();
    let mut sorted = set.to_vec();
    sorted.sort();
    if given != sorted {
        return Err(ConsistencyError::NotTheSet { given, set: sorted });
    }
    check_consistency(public_key, threshold, shares)
}

/// The Lagrange coefficients at `x` for the interpolation points `xs`.
pub fn lagrange_at<F: PrimeField>(xs: &[F], x: F) -> Vec<F> {
    xs.iter()
        .enumerate()
        .map(|(i, xi)| {
            xs.iter().enumerate().filter(|(j, _)| *j != i).fold(F::ONE, |acc, (_, xj)| {
                acc * (x - xj) * (*xi - xj).invert().expect("distinct interpolation points")
            })
        })
        .collect()
}

/// The x coordinate of participant `id`'s share.
pub fn x_of<F: PrimeField>(id: ParticipantId) -> F {
    F::from(u64::from(id.0) + 1)
}

trait Curve {
    const SCHEME: SignatureScheme;
    type Point: Group<Scalar = Self::Scalar>;
    type Scalar: PrimeField;
    fn scalar(bytes: &[u8]) -> Option<Self::Scalar>;
    fn decode(key: &DomainPublicKey) -> Option<Self::Point>;
    fn encode(point: &Self::Point) -> DomainPublicKey;
}

struct Secp;
struct Ed;

impl Curve for Secp {
    const SCHEME: SignatureScheme = SignatureScheme::Secp256k1;
    type Point = k256::ProjectivePoint;
    type Scalar = k256::Scalar;
    fn scalar(bytes: &[u8]) -> Option<k256::Scalar> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Option::from(k256::Scalar::from_repr(array.into()))
    }
    fn decode(key: &DomainPublicKey) -> Option<Self::Point> {
        use k256::elliptic_curve::sec1::FromEncodedPoint;
        let DomainPublicKey::Secp256k1(key) = key else { return None };
        let mut tagged = [4u8; 65];
        tagged[1..].copy_from_slice(&key.0);
        let encoded = k256::EncodedPoint::from_bytes(tagged).ok()?;
        Option::<k256::AffinePoint>::from(k256::AffinePoint::from_encoded_point(&encoded)).map(Into::into)
    }
    fn encode(point: &Self::Point) -> DomainPublicKey {
        use k256::elliptic_curve::sec1::ToEncodedPoint;
        let encoded = point.to_affine().to_encoded_point(false);
        let mut key = [0u8; 64];
        key.copy_from_slice(&encoded.as_bytes()[1..]);
        DomainPublicKey::Secp256k1(Secp256k1PublicKey(key))
    }
}

impl Curve for Ed {
    const SCHEME: SignatureScheme = SignatureScheme::Ed25519;
    type Point = curve25519_dalek::EdwardsPoint;
    type Scalar = curve25519_dalek::Scalar;
    fn scalar(bytes: &[u8]) -> Option<curve25519_dalek::Scalar> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Option::from(curve25519_dalek::Scalar::from_canonical_bytes(array))
    }
    fn decode(key: &DomainPublicKey) -> Option<Self::Point> {
        let DomainPublicKey::Ed25519(key) = key else { return None };
        curve25519_dalek::edwards::CompressedEdwardsY(key.0).decompress()
    }
    fn encode(point: &Self::Point) -> DomainPublicKey {
        DomainPublicKey::Ed25519(Ed25519PublicKey(point.compress().to_bytes()))
    }
}

fn consistent<C: Curve>(
    public_key: &DomainPublicKey,
    threshold: usize,
    shares: &[VerifyingShare],
) -> Result<(), ConsistencyError> {
    let degree = threshold.saturating_sub(1);
    if threshold == 0 || shares.len() < threshold {
        return Err(ConsistencyError::TooFew { count: shares.len(), threshold, degree });
    }
    let mut points = Vec::with_capacity(shares.len());
    for share in shares {
        if points.iter().any(|(id, _)| *id == share.participant_id) {
            return Err(ConsistencyError::DuplicateId { id: share.participant_id });
        }
        let point = C::decode(&share.verifying_share)
            .ok_or(ConsistencyError::NotAPoint { id: share.participant_id, scheme: C::SCHEME })?;
        points.push((share.participant_id, point));
    }
    let key = C::decode(public_key).ok_or(ConsistencyError::PublicKeyNotAPoint { scheme: C::SCHEME })?;
    // The first `threshold` points fix the polynomial; every other point and
    // the public key (its value at zero) must agree with it.
    let (basis, rest) = points.split_at(threshold);
    let xs: Vec<C::Scalar> = basis.iter().map(|(id, _)| x_of(*id)).collect();
    let at = |x: C::Scalar| -> C::Point {
        lagrange_at(&xs, x).iter().zip(basis).map(|(l, (_, p))| *p * l).fold(C::Point::identity(), |a, b| a + b)
    };
    if at(C::Scalar::ZERO) != key {
        return Err(ConsistencyError::WrongPublicKey { threshold });
    }
    for (id, point) in rest {
        if at(x_of(*id)) != *point {
            return Err(ConsistencyError::OffPolynomial { id: *id });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    /// A degree `t - 1` polynomial's values at participant ids `0..n`, and its value at zero.
    fn deal<F: PrimeField>(t: usize, n: u32) -> (F, Vec<(ParticipantId, F)>) {
        let coefficients: Vec<F> = (0..t as u64).map(|i| F::from(1000 + 17 * i)).collect();
        let at = |x: F| coefficients.iter().rev().fold(F::ZERO, |acc, c| acc * x + c);
        (at(F::ZERO), (0..n).map(|i| (ParticipantId(i), at(x_of(ParticipantId(i))))).collect())
    }

    fn shares_of<F: PrimeField>(scheme: SignatureScheme, t: usize, n: u32) -> (DomainPublicKey, Vec<VerifyingShare>) {
        let (secret, points) = deal::<F>(t, n);
        let public = |s: &F| verifying_share(scheme, s.to_repr().as_ref()).unwrap();
        let shares =
            points.iter().map(|(id, s)| VerifyingShare { participant_id: *id, verifying_share: public(s) }).collect();
        (public(&secret), shares)
    }

    fn both(t: usize, n: u32) -> [(DomainPublicKey, Vec<VerifyingShare>); 2] {
        [
            shares_of::<k256::Scalar>(SignatureScheme::Secp256k1, t, n),
            shares_of::<curve25519_dalek::Scalar>(SignatureScheme::Ed25519, t, n),
        ]
    }

    #[test]
    fn check_consistency__should_accept_shares_of_one_polynomial_through_the_key() {
        for (key, shares) in both(3, 5) {
            assert_eq!(check_consistency(&key, 3, &shares), Ok(()));
        }
    }

    #[test]
    fn check_consistency__should_accept_16_participants_at_threshold_10() {
        let started = std::time::Instant::now();
        for (key, shares) in both(10, 16) {
            assert_eq!(check_consistency(&key, 10, &shares), Ok(()));
        }
        // Printed for the record (`-- --nocapture`); a debug build is far slower than release.
        println!("check_consistency, n = 16, t = 10, both curves: {:?}", started.elapsed());
    }

    #[test]
    fn check_consistency__should_find_a_share_off_the_polynomial() {
        for (key, mut shares) in both(3, 5) {
            shares[4].verifying_share = shares[3].verifying_share;
            assert_eq!(
                check_consistency(&key, 3, &shares),
                Err(ConsistencyError::OffPolynomial { id: ParticipantId(4) })
            );
        }
    }

    #[test]
    fn check_consistency__should_refuse_another_key_too_few_shares_and_repeated_ids() {
        for (key, shares) in both(3, 5) {
            let other = shares[0].verifying_share;
            assert_eq!(check_consistency(&other, 3, &shares), Err(ConsistencyError::WrongPublicKey { threshold: 3 }));
            assert!(matches!(check_consistency(&key, 3, &shares[..2]), Err(ConsistencyError::TooFew { count: 2, .. })));
            let mut repeated = shares.clone();
            repeated[2].participant_id = ParticipantId(1);
            assert_eq!(
                check_consistency(&key, 3, &repeated),
                Err(ConsistencyError::DuplicateId { id: ParticipantId(1) })
            );
        }
    }

    #[test]
    fn check_consistency__should_refuse_a_verifying_share_that_is_not_a_point() {
        let (key, mut shares) = shares_of::<curve25519_dalek::Scalar>(SignatureScheme::Ed25519, 2, 3);
        // y = 2 is not the y coordinate of any Ed25519 point.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        shares[1].verifying_share = DomainPublicKey::Ed25519(Ed25519PublicKey(bytes));
        assert_eq!(
            check_consistency(&key, 2, &shares),
            Err(ConsistencyError::NotAPoint { id: ParticipantId(1), scheme: SignatureScheme::Ed25519 })
        );
    }

    #[test]
    fn check_before_voting__should_refuse_shares_that_miss_repeat_misorder_or_add_ids() {
        let set: Vec<ParticipantId> = (0..5).map(ParticipantId).collect();
        for (key, good) in both(3, 5) {
            assert_eq!(check_before_voting(&key, &set, 3, &good), Ok(()));
            let ids = |shares: &[VerifyingShare]| shares.iter().map(|s| s.participant_id).collect::<Vec<_>>();
            let not_the_set =
                |shares: &[VerifyingShare]| ConsistencyError::NotTheSet { given: ids(shares), set: set.clone() };
            let missing = &good[..4];
            assert_eq!(check_before_voting(&key, &set, 3, missing), Err(not_the_set(missing)));
            let mut repeated = good.clone();
            repeated[2] = repeated[1];
            assert_eq!(check_before_voting(&key, &set, 3, &repeated), Err(not_the_set(&repeated)));
            let mut reversed = good.clone();
            reversed.reverse();
            assert_eq!(check_before_voting(&key, &set, 3, &reversed), Err(not_the_set(&reversed)));
            let mut stranger = good.clone();
            stranger[4].participant_id = ParticipantId(9);
            assert_eq!(check_before_voting(&key, &set, 3, &stranger), Err(not_the_set(&stranger)));
        }
    }

    #[test]
    fn check_before_voting__should_refuse_a_share_on_the_other_curve() {
        let [(secp_key, mut secp), (_, ed)] = both(3, 5);
        secp[3].verifying_share = ed[3].verifying_share;
        let set: Vec<ParticipantId> = (0..5).map(ParticipantId).collect();
        assert_eq!(
            check_before_voting(&secp_key, &set, 3, &secp),
            Err(ConsistencyError::NotAPoint { id: ParticipantId(3), scheme: SignatureScheme::Secp256k1 })
        );
    }

    #[test]
    fn verifying_share__should_refuse_bytes_that_are_not_a_scalar() {
        assert_eq!(verifying_share(SignatureScheme::Secp256k1, &[0xff; 32]), None, "above the group order");
        assert_eq!(verifying_share(SignatureScheme::Ed25519, &[0xff; 32]), None, "not canonical");
        assert_eq!(verifying_share(SignatureScheme::Ed25519, &[1; 31]), None, "too short");
        assert!(verifying_share(SignatureScheme::Ed25519, &[1; 32]).is_some());
    }
}
