#![allow(non_snake_case)]

use super::*;
use crate::errors::{ParametersError, StateError};
use crate::state::test_support::*;
use mpc_interface::primitives::DomainId;

fn started(registry: &mut Registry, n: u8) -> InitializingState {
    match next(InitializingState::start(registry, &parameters(n), domains()).unwrap()) {
        ProtocolState::Initializing(s) => s,
        other => panic!("expected Initializing, got {}", other.name()),
    }
}

/// Every participant's verifying shares of a domain (one per participant).
fn shares(domain: &DomainConfig, n: u8) -> Vec<DomainPublicKey> {
    (0..n).map(|i| domain_key(domain, 100 + i)).collect()
}

/// Participants `voters` vote the current domain's key (seed 7, as [`keyset`]).
fn vote(state: &mut InitializingState, registry: &mut Registry, voters: std::ops::Range<u8>, n: u8) -> Vec<Step> {
    let domain = state.domains[state.generated.len()];
    let event = state.current_event();
    voters.map(|i| state.vote_pk(registry, &p(i), event, domain_key(&domain, 7), shares(&domain, n)).unwrap()).collect()
}

#[test]
fn start__should_install_the_participants_and_open_the_first_domain() {
    let mut registry = Registry::new();
    let step = InitializingState::start(&mut registry, &parameters(3), domains()).unwrap();
    assert_eq!(
        only_event(&step),
        &Event::Initialized { epoch_id: EpochId(0), participants: 3, threshold: 2, domains: 2 }
    );
    let ProtocolState::Initializing(state) = next(step) else { panic!("not Initializing") };
    assert_eq!(state.current_event(), KeyEventId { epoch_id: EpochId(0), domain_id: DomainId(0) });
    assert!(state.generated.is_empty());
    assert_eq!(registry.participants.to_parameters(), parameters(3));
}

#[test]
fn start__should_refuse_a_bad_set_or_bad_domains_and_install_nothing() {
    let mut registry = Registry::new();
    let one = InitializingState::start(&mut registry, &parameters(1), domains());
    assert!(matches!(refused(one), Error::Parameters(ParametersError::ParticipantCount { actual: 1, .. })));
    let none = InitializingState::start(&mut registry, &parameters(3), Vec::new());
    assert!(matches!(refused(none), Error::Parameters(ParametersError::DomainCount { actual: 0, .. })));
    let mut reversed = domains();
    reversed.reverse();
    let unordered = InitializingState::start(&mut registry, &parameters(3), reversed);
    assert!(matches!(refused(unordered), Error::Parameters(ParametersError::DomainOrder { .. })));
    assert!(registry.participants.is_empty());
}

#[test]
fn vote_pk__should_wait_for_every_participant_before_agreeing_a_domain() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    let steps = vote(&mut state, &mut registry, 0..2, 3);
    assert!(steps.iter().all(|s| s.next.is_none() && s.events.is_empty()), "two of three agree nothing");
    let last = vote(&mut state, &mut registry, 2..3, 3).remove(0);
    assert!(last.next.is_none(), "the second domain is still to generate");
    let first = domains()[0];
    let key_event_id = KeyEventId { epoch_id: EpochId(0), domain_id: first.id };
    assert_eq!(only_event(&last), &Event::KeyGenerated { key_event_id, public_key: domain_key(&first, 7) });
    assert_eq!(state.current_event().domain_id, DomainId(1));
    assert_eq!(registry.verifying.get(EpochId(0), first.id, 2), Some(shares(&first, 3)[2]));
}

#[test]
fn vote_pk__should_run_when_the_last_domain_has_its_key() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    vote(&mut state, &mut registry, 0..3, 3);
    let mut steps = vote(&mut state, &mut registry, 0..3, 3);
    let last = steps.pop().unwrap();
    assert_eq!(last.events.last(), Some(&Event::Running { epoch_id: EpochId(0) }));
    let ProtocolState::Running(running) = next(last) else { panic!("not Running") };
    assert_eq!(running.keyset, keyset(EpochId(0)));
    assert_eq!(running.domains, domains());
    assert_eq!(running.next_epoch_id, EpochId(1));
}

#[test]
fn vote_pk__should_count_a_changed_vote_once_and_split_votes_not_at_all() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    let domain = state.domains[0];
    let event = state.current_event();
    let other_key = domain_key(&domain, 8);
    vote(&mut state, &mut registry, 0..2, 3);
    let split = state.vote_pk(&mut registry, &p(2), event, other_key, shares(&domain, 3)).unwrap();
    assert!(split.events.is_empty(), "two votes for one key, one for another: no agreement");
    let repeated = vote(&mut state, &mut registry, 0..1, 3).remove(0);
    assert!(repeated.events.is_empty(), "a repeated vote counts once");
    let changed = vote(&mut state, &mut registry, 2..3, 3).remove(0);
    assert!(matches!(only_event(&changed), Event::KeyGenerated { .. }), "p2 changed its vote: all three agree");
}

#[test]
fn vote_pk__should_count_other_verifying_shares_as_another_choice() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    let domain = state.domains[0];
    let event = state.current_event();
    vote(&mut state, &mut registry, 0..2, 3);
    let mut other_shares = shares(&domain, 3);
    other_shares.swap(0, 1);
    let step = state.vote_pk(&mut registry, &p(2), event, domain_key(&domain, 7), other_shares).unwrap();
    assert!(step.events.is_empty());
    assert!(state.generated.is_empty());
}

#[test]
fn vote_pk__should_refuse_another_key_event_and_a_key_of_the_wrong_curve() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    let before = state.clone();
    let domain = state.domains[0];
    let event = state.current_event();
    let key = domain_key(&domain, 7);
    let later = KeyEventId { domain_id: DomainId(1), ..event };
    let wrong_event = state.vote_pk(&mut registry, &p(0), later, key, Vec::new());
    assert!(matches!(refused(wrong_event), Error::State(StateError::WrongKeyEvent { .. })));
    let ed25519 = domain_key(&domains()[1], 7);
    let wrong_curve = state.vote_pk(&mut registry, &p(0), event, ed25519, Vec::new());
    assert!(matches!(refused(wrong_curve), Error::Parameters(ParametersError::SchemeMismatch { .. })));
    assert_eq!(state, before);
}

#[test]
fn view__should_show_the_domain_being_generated() {
    let mut registry = Registry::new();
    let mut state = started(&mut registry, 3);
    vote(&mut state, &mut registry, 0..3, 3);
    let view = state.view(parameters(3));
    assert_eq!(view.generated.len(), 1);
    assert_eq!(view.current_event.domain_id, DomainId(1));
    assert_eq!(view.parameters, parameters(3));
}
