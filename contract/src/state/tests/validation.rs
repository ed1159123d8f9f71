#![allow(non_snake_case)]

use super::*;
use crate::state::test_support::*;
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::{DomainId, EpochId, KeyForDomain, ParticipantId};
use proptest::prelude::*;

#[test]
fn check_shape__should_refuse_repeated_accounts_ids_and_tls_keys() {
    let mut twice = parameters(3);
    twice.participants[2].account_id = p(0);
    assert!(matches!(check_shape(&twice), Err(ParametersError::DuplicateAccount { .. })));
    let mut same_id = parameters(3);
    same_id.participants[2].id = ParticipantId(0);
    assert!(matches!(check_shape(&same_id), Err(ParametersError::DuplicateId { id: ParticipantId(0) })));
    let mut same_key = parameters(3);
    same_key.participants[2].info.tls_public_key = info(1).tls_public_key;
    assert!(matches!(check_shape(&same_key), Err(ParametersError::DuplicateTlsKey { .. })));
    let mut bad_url = parameters(3);
    bad_url.participants[1].info.url = "https://".into();
    assert!(matches!(check_shape(&bad_url), Err(ParametersError::BadUrl { .. })));
    check_shape(&parameters(3)).expect("a well-formed set");
}

#[test]
fn check_shape__should_refuse_too_few_or_too_many_participants() {
    assert!(matches!(check_shape(&parameters(1)), Err(ParametersError::ParticipantCount { actual: 1, .. })));
    let over = MAX_PARTICIPANTS + 1;
    let many = ThresholdParameters {
        participants: (0..over)
            .map(|i| Participant {
                account_id: id(&format!("n{i}.near")),
                id: ParticipantId(i as u32),
                info: ParticipantInfo {
                    url: format!("https://n{i}.near:1"),
                    tls_public_key: Ed25519PublicKey([0; 32]),
                },
            })
            .collect(),
        threshold: over as u64,
    };
    assert!(matches!(check_shape(&many), Err(ParametersError::ParticipantCount { .. })));
}

#[test]
fn check_against_current__should_keep_ids_give_fresh_ones_and_keep_a_threshold() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    check_against_current(&registry, &parameters(4)).expect("p3 gets the next id");
    let mut moved = parameters(3);
    moved.participants[1].id = ParticipantId(5);
    let err = check_against_current(&registry, &moved).unwrap_err();
    assert!(matches!(err, Error::Parameters(ParametersError::IdChanged { .. })));
    let mut reused =
        ThresholdParameters { participants: vec![participant(0), participant(1), participant(5)], threshold: 2 };
    reused.participants[2].id = ParticipantId(2);
    let err = check_against_current(&registry, &reused).unwrap_err();
    assert!(matches!(err, Error::Parameters(ParametersError::IdReused { next: ParticipantId(3), .. })));
    let few = ThresholdParameters { participants: vec![participant(0), participant(4), participant(5)], threshold: 2 };
    let err = check_against_current(&registry, &few).unwrap_err();
    assert!(matches!(err, Error::Parameters(ParametersError::TooFewKept { kept: 1, threshold: 2 })));
}

#[test]
fn check_domains__should_want_one_to_max_domains_in_increasing_id() {
    check_domains(&domains()).expect("two ordered domains");
    assert!(matches!(check_domains(&[]), Err(ParametersError::DomainCount { actual: 0, .. })));
    let repeated = [domains()[0], domains()[0]];
    assert!(matches!(check_domains(&repeated), Err(ParametersError::DomainOrder { id: DomainId(0) })));
    let many: Vec<DomainConfig> =
        (0..=MAX_DOMAINS as u64).map(|i| DomainConfig { id: DomainId(i), ..domains()[0] }).collect();
    assert!(matches!(check_domains(&many), Err(ParametersError::DomainCount { .. })));
}

#[test]
fn check_keyset__should_want_one_key_per_domain_in_order_on_its_curve() {
    let domains = domains();
    check_keyset(&domains, &keyset(EpochId(0))).expect("the matching keyset");
    let mut short = keyset(EpochId(0));
    short.domains.pop();
    assert!(matches!(check_keyset(&domains, &short), Err(ParametersError::KeysetDomains)));
    let mut swapped = keyset(EpochId(0));
    swapped.domains.reverse();
    assert!(matches!(check_keyset(&domains, &swapped), Err(ParametersError::KeysetDomains)));
    let mut wrong_curve = keyset(EpochId(0));
    wrong_curve.domains[0] = KeyForDomain { domain_id: DomainId(0), public_key: domain_key(&domains[1], 7) };
    assert!(matches!(check_keyset(&domains, &wrong_curve), Err(ParametersError::SchemeMismatch { .. })));
}

proptest! {
    /// A set of n participants is accepted exactly when its threshold is
    /// from 60% of n (rounded up, at least 2) to n.
    #[test]
    fn check_shape__should_accept_exactly_the_thresholds_from_60_percent_to_n(n in 2u8..=40, threshold in 0u64..=45) {
        let result = check_shape(&ThresholdParameters { threshold, ..parameters(n) });
        let min = (u64::from(n) * 3).div_ceil(5).max(2);
        let accepted = (min..=u64::from(n)).contains(&threshold);
        prop_assert_eq!(result.is_ok(), accepted, "n = {}, threshold = {}: {:?}", n, threshold, result);
        if !accepted {
            let is_threshold_error = matches!(result, Err(ParametersError::Threshold { .. }));
            prop_assert!(is_threshold_error);
        }
    }
}

/// Seven participants that share no account, id or TLS key.
fn distinct_set(n: u8) -> ThresholdParameters {
    let participants = (0..n)
        .map(|i| Participant {
            account_id: format!("node{i}.near").parse().unwrap(),
            id: ParticipantId(i.into()),
            info: ParticipantInfo {
                url: format!("https://node{i}.example:3000"),
                tls_public_key: Ed25519PublicKey([i; 32]),
            },
        })
        .collect();
    ThresholdParameters { participants, threshold: ThresholdParameters::min_threshold(n.into()) }
}

#[test]
fn check_shape__should_accept_distinct_participants() {
    assert!(check_shape(&distinct_set(7)).is_ok());
}

#[test]
fn check_shape__should_name_the_later_of_two_participants_sharing_a_field() {
    let mut p = distinct_set(7);
    p.participants[5].account_id = p.participants[2].account_id.clone();
    let account_id = p.participants[2].account_id.clone();
    assert!(matches!(check_shape(&p), Err(ParametersError::DuplicateAccount { account_id: a }) if a == account_id));

    let mut p = distinct_set(7);
    p.participants[6].id = ParticipantId(0);
    assert!(matches!(check_shape(&p), Err(ParametersError::DuplicateId { id: ParticipantId(0) })));

    let mut p = distinct_set(7);
    p.participants[4].info.tls_public_key = Ed25519PublicKey([1; 32]);
    assert!(
        matches!(check_shape(&p), Err(ParametersError::DuplicateTlsKey { key }) if key == Ed25519PublicKey([1; 32]))
    );
}
