#![allow(non_snake_case)]

use super::*;
use crate::errors::{ParametersError, ParticipantsError};
use crate::state::test_support::*;
use mpc_interface::primitives::ParticipantId;
use proptest::prelude::*;

/// The current set `p0..p{n-1}` plus the new participants `p{n}..p{n+joining-1}`.
fn grown(n: u8, joining: u8) -> ThresholdParameters {
    let total = n + joining;
    ThresholdParameters {
        participants: (0..total).map(participant).collect(),
        threshold: ThresholdParameters::min_threshold(total.into()),
    }
}

fn vote(
    state: &mut RunningState,
    registry: &mut Registry,
    voter: u8,
    proposal: &ThresholdParameters,
) -> Result<Step, Error> {
    state.vote_new_parameters(registry, &p(voter), EpochId(1), proposal.clone())
}

#[test]
fn vote_new_parameters__should_reshare_once_the_whole_proposal_and_a_threshold_of_current_participants_voted() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    let proposal = grown(3, 1);
    for voter in [0, 1, 3] {
        let step = vote(&mut state, &mut registry, voter, &proposal).unwrap();
        assert!(step.next.is_none() && step.events.is_empty(), "vote of p{voter} is not the last");
    }
    let step = vote(&mut state, &mut registry, 2, &proposal).unwrap();
    let Event::ResharingStarted { epoch_id, participants, threshold, .. } = only_event(&step).clone() else {
        panic!("expected ResharingStarted")
    };
    assert_eq!((epoch_id, participants, threshold), (EpochId(1), 4, 3));
    let ProtocolState::Resharing(resharing) = next(step) else { panic!("not Resharing") };
    assert_eq!(resharing.epoch_id, EpochId(1));
    assert_eq!(resharing.previous.keyset, keyset(EpochId(0)));
    assert_eq!(registry.pending_parameters.get(&()), Some(proposal));
    assert_eq!(registry.participants.len(), 3, "the set changes only when the resharing completes");
}

#[test]
fn vote_new_parameters__should_refuse_a_new_participant_before_a_threshold_of_current_ones() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    let proposal = grown(3, 1);
    vote(&mut state, &mut registry, 0, &proposal).unwrap();
    let early = refused(vote(&mut state, &mut registry, 3, &proposal));
    assert!(matches!(early, Error::Caller(CallerError::NewParticipantTooEarly { threshold: 2, votes: 1, .. })));
    vote(&mut state, &mut registry, 1, &proposal).unwrap();
    vote(&mut state, &mut registry, 3, &proposal).expect("after a threshold of current participants");
}

#[test]
fn vote_new_parameters__should_refuse_another_epoch_and_a_voter_outside_both_sets() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    let proposal = grown(3, 0);
    let stale = state.vote_new_parameters(&mut registry, &p(0), EpochId(0), proposal.clone());
    assert!(matches!(refused(stale), Error::State(StateError::WrongEpoch { given: EpochId(0), expected: EpochId(1) })));
    let outsider = refused(vote(&mut state, &mut registry, 9, &proposal));
    assert!(matches!(outsider, Error::Caller(CallerError::NotVoter { .. })));
}

#[test]
fn vote_new_parameters__should_refuse_proposals_that_break_the_rules_of_a_resharing() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    let mut changed_id = grown(3, 0);
    changed_id.participants[2].id = ParticipantId(7);
    let err = refused(vote(&mut state, &mut registry, 0, &changed_id));
    assert!(matches!(err, Error::Parameters(ParametersError::IdChanged { .. })));
    let mut newcomer = participant(3);
    newcomer.id = ParticipantId(2);
    let reused_id = ThresholdParameters { participants: vec![participant(0), participant(1), newcomer], threshold: 2 };
    let err = refused(vote(&mut state, &mut registry, 0, &reused_id));
    assert!(matches!(err, Error::Parameters(ParametersError::IdReused { proposed: ParticipantId(2), .. })));
    let too_few =
        ThresholdParameters { participants: vec![participant(0), participant(3), participant(4)], threshold: 2 };
    let err = refused(vote(&mut state, &mut registry, 0, &too_few));
    assert!(matches!(err, Error::Parameters(ParametersError::TooFewKept { kept: 1, threshold: 2 })));
    let low_threshold = ThresholdParameters { threshold: 1, ..grown(3, 0) };
    let err = refused(vote(&mut state, &mut registry, 0, &low_threshold));
    assert!(matches!(err, Error::Parameters(ParametersError::Threshold { .. })));
}

#[test]
fn vote_new_parameters__should_refuse_a_tls_key_that_a_candidate_holds() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    registry.tls_owners.insert(info(3).tls_public_key, id("candidate.near"));
    let err = refused(vote(&mut state, &mut registry, 0, &grown(3, 1)));
    assert!(matches!(err, Error::Participants(ParticipantsError::TlsKeyInUse { .. })));
}

#[test]
fn vote_new_parameters__should_check_the_proposal_again_when_it_wins() {
    let mut registry = Registry::new();
    let mut state = running(&mut registry, 3);
    let proposal = grown(3, 1);
    for voter in [0, 1, 3] {
        vote(&mut state, &mut registry, voter, &proposal).unwrap();
    }
    // Meanwhile someone else took the newcomer's TLS key.
    registry.tls_owners.insert(info(3).tls_public_key, id("candidate.near"));
    let err = refused(vote(&mut state, &mut registry, 2, &proposal));
    assert!(matches!(err, Error::Participants(ParticipantsError::TlsKeyInUse { .. })));
    assert_eq!(registry.pending_parameters.get(&()), None, "no resharing opened");
}

#[test]
fn view__should_show_the_keyset_and_the_next_epoch() {
    let mut registry = Registry::new();
    let state = running(&mut registry, 3);
    let view = state.view(parameters(3));
    assert_eq!((view.keyset, view.next_epoch_id, view.domains), (keyset(EpochId(0)), EpochId(1), domains()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any order of votes from 4 current participants (threshold 3) and one
    /// newcomer: the newcomer's vote counts only after 3 current ones, and
    /// the network reshares exactly when all 5 have been counted.
    #[test]
    fn vote_new_parameters__should_reshare_exactly_when_the_rule_is_met(
        order in Just(vec![0u8, 1, 2, 3, 4, 4, 0]).prop_shuffle(),
        len in 1usize..=7,
    ) {
        fresh_storage();
        let mut registry = Registry::new();
        let mut state = running(&mut registry, 4);
        let proposal = grown(4, 1);
        let mut counted = std::collections::BTreeSet::new();
        for &voter in &order[..len] {
            let current_votes = counted.iter().filter(|&&v| v < 4).count();
            match vote(&mut state, &mut registry, voter, &proposal) {
                Err(Error::Caller(CallerError::NewParticipantTooEarly { .. })) => {
                    prop_assert!(voter == 4 && current_votes < 3);
                }
                Ok(step) => {
                    prop_assert!(voter < 4 || current_votes >= 3);
                    counted.insert(voter);
                    let reshares = matches!(step.next, Some(ProtocolState::Resharing(_)));
                    prop_assert_eq!(reshares, counted.len() == 5);
                    if reshares {
                        break;
                    }
                }
                Err(other) => prop_assert!(false, "unexpected refusal: {other}"),
            }
        }
    }
}
