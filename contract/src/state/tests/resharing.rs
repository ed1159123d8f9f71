#![allow(non_snake_case)]

use super::*;
use crate::state::test_support::*;
use mpc_interface::primitives::{DomainConfig, DomainId};

/// A network of `p0..p2` resharing to `p1..p3` (p0 leaves, p3 joins), epoch 1.
fn resharing(registry: &mut Registry) -> ResharingState {
    let previous = running(registry, 3);
    let proposal = ThresholdParameters { participants: (1..4).map(participant).collect(), threshold: 2 };
    ResharingState::start(previous, EpochId(1), proposal, registry)
}

fn shares(domain: &DomainConfig) -> Vec<DomainPublicKey> {
    (0..3).map(|i| domain_key(domain, 50 + i)).collect()
}

/// The new participants `voters` confirm the current domain.
fn confirm(state: &mut ResharingState, registry: &mut Registry, voters: &[u8]) -> Vec<Step> {
    let event = state.current_event();
    let domain = state.previous.domains[state.reshared as usize];
    let proposal = registry.pending_parameters.get(&()).unwrap();
    voters
        .iter()
        .map(|&v| state.vote_reshared(registry, &p(v), proposal.clone(), event, shares(&domain)).unwrap())
        .collect()
}

#[test]
fn vote_reshared__should_move_to_the_next_domain_when_every_new_participant_confirmed() {
    let mut registry = Registry::new();
    let mut state = resharing(&mut registry);
    let mut steps = confirm(&mut state, &mut registry, &[1, 2, 3]);
    let last = steps.pop().unwrap();
    assert!(steps.iter().all(|s| s.events.is_empty()));
    let key_event_id = KeyEventId { epoch_id: EpochId(1), domain_id: DomainId(0) };
    assert_eq!(only_event(&last), &Event::DomainReshared { key_event_id });
    assert!(last.next.is_none());
    assert_eq!(state.current_event().domain_id, DomainId(1));
    assert_eq!(state.view(parameters(3), &registry).reshared, vec![DomainId(0)]);
}

#[test]
fn vote_reshared__should_run_the_new_set_at_the_new_epoch_after_the_last_domain() {
    let mut registry = Registry::new();
    let mut state = resharing(&mut registry);
    registry.verifying.record(EpochId(0), DomainId(0), &shares(&domains()[0]));
    confirm(&mut state, &mut registry, &[1, 2, 3]);
    let last = confirm(&mut state, &mut registry, &[3, 2, 1]).pop().unwrap();
    assert_eq!(last.events.last(), Some(&Event::Running { epoch_id: EpochId(1) }));
    let ProtocolState::Running(running) = next(last) else { panic!("not Running") };
    assert_eq!(running.keyset.epoch_id, EpochId(1));
    assert_eq!(running.keyset.domains, keyset(EpochId(0)).domains, "a resharing keeps the public keys");
    assert_eq!(running.next_epoch_id, EpochId(2));
    assert!(!registry.participants.contains(&p(0)) && registry.participants.contains(&p(3)));
    assert_eq!(registry.node_keys.get(&p(0)), None, "a departed participant's node key goes");
    assert_eq!(registry.pending_parameters.get(&()), None);
    assert_eq!(registry.verifying.get(EpochId(0), DomainId(0), 0), None, "the old keyset's shares go");
    assert!(registry.verifying.get(EpochId(1), DomainId(1), 2).is_some());
}

#[test]
fn vote_reshared__should_refuse_another_key_event() {
    let mut registry = Registry::new();
    let mut state = resharing(&mut registry);
    let before = state.clone();
    let event = state.current_event();
    let proposal = registry.pending_parameters.get(&()).unwrap();
    let later = KeyEventId { domain_id: DomainId(1), ..event };
    let wrong = state.vote_reshared(&mut registry, &p(1), proposal.clone(), later, Vec::new());
    assert!(matches!(refused(wrong), Error::State(StateError::WrongKeyEvent { .. })));
    let old_epoch = KeyEventId { epoch_id: EpochId(0), ..event };
    let stale = state.vote_reshared(&mut registry, &p(1), proposal, old_epoch, Vec::new());
    assert!(matches!(refused(stale), Error::State(StateError::WrongKeyEvent { .. })));
    assert_eq!(state, before);
}

#[test]
fn vote_cancel__should_return_to_the_old_set_at_the_old_threshold_and_never_reuse_the_epoch() {
    let mut registry = Registry::new();
    let mut state = resharing(&mut registry);
    confirm(&mut state, &mut registry, &[1, 2, 3]);
    let first = state.vote_cancel(&mut registry, &p(0)).unwrap();
    assert!(first.next.is_none() && first.events.is_empty(), "one vote of threshold 2");
    let again = state.vote_cancel(&mut registry, &p(0)).unwrap();
    assert!(again.next.is_none(), "a repeated vote counts once");
    let step = state.vote_cancel(&mut registry, &p(2)).unwrap();
    assert_eq!(only_event(&step), &Event::ResharingCancelled { epoch_id: EpochId(1) });
    let ProtocolState::Running(running) = next(step) else { panic!("not Running") };
    assert_eq!(running.keyset, keyset(EpochId(0)));
    assert_eq!(running.next_epoch_id, EpochId(2));
    assert_eq!(registry.participants.to_parameters(), parameters(3));
    assert_eq!(registry.pending_parameters.get(&()), None);
    assert_eq!(registry.verifying.get(EpochId(1), DomainId(0), 0), None, "the agreed domain's new shares go");
}

#[test]
fn view__should_show_the_proposal_and_the_event_being_voted() {
    let mut registry = Registry::new();
    let state = resharing(&mut registry);
    let view = state.view(parameters(3), &registry);
    assert_eq!(view.proposal.participants.len(), 3);
    assert_eq!(view.epoch_id, EpochId(1));
    assert_eq!(view.current_event, KeyEventId { epoch_id: EpochId(1), domain_id: DomainId(0) });
    assert!(view.reshared.is_empty());
}
