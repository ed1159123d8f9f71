#![allow(non_snake_case)]

use super::*;
use crate::errors::{ParametersError, ParticipantsError};
use crate::state::test_support::*;
use mpc_interface::primitives::ParticipantId;
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys, PublishedKey, Session, SessionKind};
use proptest::prelude::*;

/// The new machine's TLS key is `info(NEW).tls_public_key`; its node key `key(NEW_NODE)`.
const NEW: u8 = 40;
const NEW_NODE: u8 = 41;
/// p0's backup service signs with `key(SERVICE)`.
const SERVICE: u8 = 61;

fn entrant(approved: bool) -> Entrant {
    Entrant { account_id: p(0), tls_public_key: info(0).tls_public_key, new_signer: key(NEW_NODE), approved }
}

/// p0 of 3 recovers to a new machine, entered by its node (pending) or its operator (approved).
fn recovering(registry: &mut Registry, approved: bool) -> RecoveryState {
    let running = running(registry, 3);
    match next(enter(&running, registry, entrant(approved), info(NEW)).unwrap()) {
        ProtocolState::Recovery(r) => r,
        other => panic!("expected Recovery, got {}", other.name()),
    }
}

fn with_backup_service(account_id: &AccountId) -> ServiceRegistry {
    let mut services = ServiceRegistry::new();
    let info = BackupServiceInfo { public_key: Ed25519PublicKey([60; 32]), signer_public_key: key(SERVICE) };
    services.backup_services.insert(account_id.clone(), info);
    let session = Session { kind: SessionKind::Recovery, epoch_id: EpochId(0), nonce: 1 };
    let published = Some(PublishedKey { session, public_key: mpc_interface::keys::X25519PublicKey([1; 32]) });
    services.ephemeral_keys.insert(account_id.clone(), EphemeralKeys { node: published, backup_service: None });
    services
}

/// A recovery of p0 whose backup service confirmed the delivery.
fn delivered(registry: &mut Registry) -> RecoveryState {
    let mut recovery = recovering(registry, true);
    recovery.confirm_delivery(&keyset(EpochId(0))).unwrap();
    recovery
}

#[test]
fn enter__should_wait_for_approval_when_the_node_entered_and_reserve_the_new_key() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry, false);
    assert_eq!(recovery.status, RecoveryStatus::PendingApproval);
    assert_eq!((recovery.new_info.clone(), recovery.new_signer), (info(NEW), key(NEW_NODE)));
    assert_eq!(registry.tls_owners.get(&info(NEW).tls_public_key), Some(p(0)));
    assert_eq!(registry.participants.get(&p(0)).unwrap().info, info(0), "the set is unchanged until conclusion");
}

#[test]
fn enter__should_be_approved_at_once_when_the_operator_entered() {
    let mut registry = Registry::new();
    let running = running(&mut registry, 3);
    let step = enter(&running, &mut registry, entrant(true), info(NEW)).unwrap();
    let started =
        Event::RecoveryStarted { account_id: p(0), new_tls_public_key: info(NEW).tls_public_key, approved: true };
    assert_eq!(only_event(&step), &started);
    let ProtocolState::Recovery(recovery) = next(step) else { panic!("not Recovery") };
    assert_eq!(recovery.status, RecoveryStatus::Approved);
    assert_eq!(recovery.previous, running);
}

#[test]
fn enter__should_refuse_the_same_key_a_bad_url_and_a_key_someone_else_holds() {
    let mut registry = Registry::new();
    let running = running(&mut registry, 3);
    let same = enter(&running, &mut registry, entrant(false), info(0));
    assert!(matches!(refused(same), Error::Recovery(RecoveryError::SameTlsKey { .. })));
    let bad_url = ParticipantInfo { url: "ftp://n.near:21".into(), ..info(NEW) };
    let bad = enter(&running, &mut registry, entrant(false), bad_url);
    assert!(matches!(refused(bad), Error::Parameters(ParametersError::BadUrl { .. })));
    let taken = enter(&running, &mut registry, entrant(false), info(1));
    assert!(matches!(refused(taken), Error::Participants(ParticipantsError::TlsKeyInUse { .. })));
    assert_eq!(registry.tls_owners.get(&info(NEW).tls_public_key), None, "nothing reserved");
}

#[test]
fn approve__should_let_the_shares_go_only_to_the_named_machine_once() {
    let mut registry = Registry::new();
    let mut recovery = recovering(&mut registry, false);
    let other_machine = recovery.approve(&info(NEW + 1).tls_public_key);
    assert!(matches!(refused(other_machine), Error::Recovery(RecoveryError::OtherMachine { .. })));
    assert_eq!(recovery.status, RecoveryStatus::PendingApproval);
    let step = recovery.approve(&info(NEW).tls_public_key).unwrap();
    assert_eq!(only_event(&step), &Event::RecoveryApproved { account_id: p(0) });
    assert_eq!(recovery.status, RecoveryStatus::Approved);
    let again = recovery.approve(&info(NEW).tls_public_key);
    assert!(matches!(refused(again), Error::Recovery(RecoveryError::AlreadyApproved { .. })));
}

#[test]
fn confirm_delivery__should_need_an_approved_recovery_of_this_keyset() {
    let mut registry = Registry::new();
    let mut recovery = recovering(&mut registry, false);
    let current = keyset(EpochId(0));
    let err = refused(recovery.confirm_delivery(&current));
    assert!(matches!(err, Error::Recovery(RecoveryError::NotApproved { .. })));
    recovery.status = RecoveryStatus::Approved;
    let err = refused(recovery.confirm_delivery(&keyset(EpochId(3))));
    assert!(matches!(err, Error::Recovery(RecoveryError::StaleKeyset { current: EpochId(0) })));
    assert_eq!(recovery.status, RecoveryStatus::Approved);
    let step = recovery.confirm_delivery(&current).unwrap();
    assert_eq!(only_event(&step), &Event::RecoveryDelivered { account_id: p(0), epoch_id: EpochId(0) });
    assert_eq!(recovery.status, RecoveryStatus::Delivered);
}

#[test]
fn conclude__should_refuse_before_delivery_and_another_keyset() {
    let mut registry = Registry::new();
    let mut services = with_backup_service(&p(0));
    let mut recovery = recovering(&mut registry, false);
    let current = keyset(EpochId(0));
    let err = refused(recovery.conclude(&mut registry, &mut services, &current));
    assert!(matches!(err, Error::Recovery(RecoveryError::NotApproved { .. })));
    recovery.status = RecoveryStatus::Approved;
    let err = refused(recovery.conclude(&mut registry, &mut services, &current));
    assert!(matches!(err, Error::Recovery(RecoveryError::NotDelivered { .. })));
    recovery.status = RecoveryStatus::Delivered;
    let err = refused(recovery.conclude(&mut registry, &mut services, &keyset(EpochId(1))));
    assert!(matches!(err, Error::Recovery(RecoveryError::StaleKeyset { .. })));
    assert_eq!(registry.participants.get(&p(0)).unwrap().info, info(0));
}

#[test]
fn conclude__should_put_the_new_machine_in_place_with_its_node_key() {
    let mut registry = Registry::new();
    let mut services = with_backup_service(&p(0));
    let mut recovery = delivered(&mut registry);
    let step = recovery.conclude(&mut registry, &mut services, &keyset(EpochId(0))).unwrap();
    let concluded = Event::RecoveryConcluded { account_id: p(0), tls_public_key: info(NEW).tls_public_key };
    assert_eq!(only_event(&step), &concluded);
    assert_eq!(next(step), ProtocolState::Running(recovery.previous.clone()));
    let participant = registry.participants.get(&p(0)).unwrap();
    assert_eq!((participant.id, participant.info), (ParticipantId(0), info(NEW)));
    assert_eq!(registry.tls_owners.get(&info(0).tls_public_key), None, "the old machine's key is free");
    assert_eq!(registry.node_keys.get(&p(0)), Some(key(NEW_NODE)), "the old node key stops acting");
    assert_eq!(services.ephemeral_keys.get(&p(0)), None, "the recovery's sessions end");
    assert!(services.backup_services.get(&p(0)).is_some());
}

#[test]
fn cancel__should_end_at_once_for_the_operator_and_free_the_new_key() {
    let mut registry = Registry::new();
    let mut services = with_backup_service(&p(0));
    let mut recovery = recovering(&mut registry, true);
    let step = recovery.cancel(&mut registry, &mut services, Canceller::Operator).unwrap();
    let cancelled = Event::RecoveryCancelled { account_id: p(0), by: RecoveryCancelledBy::Operator };
    assert_eq!(only_event(&step), &cancelled);
    assert_eq!(next(step), ProtocolState::Running(recovery.previous.clone()));
    assert_eq!(registry.tls_owners.get(&info(NEW).tls_public_key), None);
    assert_eq!(registry.tls_owners.get(&info(0).tls_public_key), Some(p(0)));
    assert_eq!(registry.participants.get(&p(0)).unwrap().info, info(0));
    assert_eq!(services.ephemeral_keys.get(&p(0)), None);
}

#[test]
fn cancel__should_count_each_other_participant_once() {
    let mut registry = Registry::new();
    let mut services = ServiceRegistry::new();
    let mut recovery = recovering(&mut registry, false);
    for _ in 0..2 {
        let step = recovery.cancel(&mut registry, &mut services, Canceller::Voter(p(1))).unwrap();
        assert!(step.next.is_none());
    }
    assert_eq!(recovery.recovery_view(&registry).cancel_votes, 1);
    let step = recovery.cancel(&mut registry, &mut services, Canceller::Voter(p(2))).unwrap();
    let cancelled = Event::RecoveryCancelled { account_id: p(0), by: RecoveryCancelledBy::ParticipantVote };
    assert_eq!(only_event(&step), &cancelled);
    assert!(matches!(next(step), ProtocolState::Running(_)));
}

#[test]
fn vote_new_parameters__should_close_the_recovery_and_keep_the_new_machine_if_the_proposal_does() {
    let mut registry = Registry::new();
    let mut services = with_backup_service(&p(0));
    let mut recovery = recovering(&mut registry, false);
    let mut with_new_machine = parameters(3);
    with_new_machine.participants[0].info = info(NEW);
    let mut last = None;
    for voter in 0..3 {
        let step =
            recovery.vote_new_parameters(&mut registry, &mut services, &p(voter), EpochId(1), with_new_machine.clone());
        last = Some(step.unwrap());
    }
    let step = last.unwrap();
    let by_resharing = Event::RecoveryCancelled { account_id: p(0), by: RecoveryCancelledBy::Resharing };
    assert_eq!(step.events.last(), Some(&by_resharing));
    assert!(matches!(next(step), ProtocolState::Resharing(_)));
    assert_eq!(registry.node_keys.get(&p(0)), Some(key(NEW_NODE)), "the new machine reshares as the node");
    assert_eq!(registry.tls_owners.get(&info(NEW).tls_public_key), Some(p(0)));
}

#[test]
fn vote_new_parameters__should_release_the_new_key_when_the_proposal_keeps_the_old_machine() {
    let mut registry = Registry::new();
    let mut services = ServiceRegistry::new();
    let mut recovery = recovering(&mut registry, false);
    let before = recovery.vote_new_parameters(&mut registry, &mut services, &p(0), EpochId(1), parameters(3));
    assert!(before.unwrap().next.is_none(), "one vote of three keeps the recovery open");
    for voter in 1..3 {
        recovery.vote_new_parameters(&mut registry, &mut services, &p(voter), EpochId(1), parameters(3)).unwrap();
    }
    assert_eq!(registry.tls_owners.get(&info(NEW).tls_public_key), None);
    assert_eq!(registry.node_keys.get(&p(0)), Some(key(0)));
}

#[test]
fn recovery_view__should_show_the_old_and_new_machine() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry, false);
    let view = recovery.recovery_view(&registry);
    assert_eq!((view.previous_info, view.new_info), (info(0), info(NEW)));
    assert_eq!(
        (view.status, view.new_signer_public_key, view.cancel_votes),
        (RecoveryStatus::PendingApproval, key(NEW_NODE), 0)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// With `n` participants and threshold `t`, the others cancel a recovery
    /// with exactly min(t, n - 1) distinct votes.
    #[test]
    fn cancel__should_take_min_threshold_and_n_minus_1_votes(n in 2u8..=7, extra in 0u8..=5) {
        fresh_storage();
        let min = ThresholdParameters::min_threshold(n.into()) as u8;
        let t = (min + extra).min(n);
        let mut registry = Registry::new();
        let set = ThresholdParameters { threshold: t.into(), ..parameters(n) };
        registry.install_participants(&set);
        let previous = RunningState::new(domains(), keyset(EpochId(0)), &mut registry.votes);
        let step = enter(&previous, &mut registry, entrant(false), info(NEW)).unwrap();
        let ProtocolState::Recovery(mut recovery) = next(step) else { panic!("not Recovery") };
        let mut services = ServiceRegistry::new();
        let needed = t.min(n - 1);
        for voter in 1..n {
            let step = recovery.cancel(&mut registry, &mut services, Canceller::Voter(p(voter))).unwrap();
            prop_assert_eq!(step.next.is_some(), voter == needed);
            if step.next.is_some() {
                break;
            }
        }
    }
}
