#![allow(non_snake_case)]

use super::*;
use crate::state::test_support::{id, info, key, next, node, operator, p, participant as participant_of, running};

#[test]
fn recovery_entrant__should_approve_at_entry_only_an_operator_naming_the_new_node_key() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    let entrant = recovery_entrant(&registry, &operator(&p(0), 0), Some(key(41))).unwrap();
    assert_eq!((entrant.new_signer, entrant.approved), (key(41), true));
    assert_eq!(entrant.tls_public_key, info(0).tls_public_key);
    let unnamed = recovery_entrant(&registry, &operator(&p(0), 0), None).unwrap_err();
    assert!(matches!(unnamed, Error::Recovery(RecoveryError::NodeKeyRequired)));
}

#[test]
fn recovery_entrant__should_make_the_entering_nodes_own_key_the_new_node_key_pending_approval() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    for named in [None, Some(key(41))] {
        let entrant = recovery_entrant(&registry, &node(&p(0), 41), named).unwrap();
        assert_eq!((entrant.new_signer, entrant.approved), (key(41), false));
    }
    let other = recovery_entrant(&registry, &node(&p(0), 41), Some(key(42))).unwrap_err();
    assert!(matches!(other, Error::Recovery(RecoveryError::NodeKeyNotSigner { .. })));
    let stranger = recovery_entrant(&registry, &operator(&id("s.near"), 9), Some(key(41))).unwrap_err();
    assert!(matches!(stranger, Error::Caller(CallerError::NotParticipant { .. })));
}

#[test]
fn recovery_canceller__should_want_the_recovering_accounts_deposit_and_the_others_node_keys() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    let recovering = p(0);
    let node_key = recovery_canceller(&registry, &node(&p(0), 41), &recovering).unwrap_err();
    assert!(matches!(node_key, Error::Caller(CallerError::DepositRequired { method: CANCEL_RECOVERY })));
    assert_eq!(recovery_canceller(&registry, &operator(&p(0), 0), &recovering).unwrap(), Canceller::Operator);
    assert_eq!(recovery_canceller(&registry, &node(&p(1), 1), &recovering).unwrap(), Canceller::Voter(p(1)));
    let wrong_key = recovery_canceller(&registry, &node(&p(1), 2), &recovering).unwrap_err();
    assert!(matches!(wrong_key, Error::Caller(CallerError::WrongNodeKey { .. })));
    let stranger = recovery_canceller(&registry, &operator(&id("s.near"), 9), &recovering).unwrap_err();
    assert!(matches!(stranger, Error::Caller(CallerError::NotParticipant { .. })));
}

/// p0 of 3 recovering to the machine `info(40)` whose node key is `key(41)`.
fn recovering(registry: &mut Registry) -> RecoveryState {
    let running = running(registry, 3);
    let entrant = recovery_entrant(registry, &node(&p(0), 41), None).unwrap();
    match next(crate::state::recovery::enter(&running, registry, entrant, info(40)).unwrap()) {
        crate::state::ProtocolState::Recovery(r) => r,
        other => panic!("expected Recovery, got {}", other.name()),
    }
}

#[test]
fn recovery_approver__should_be_the_recovering_account_only() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry);
    recovery_approver(&recovery, &operator(&p(0), 0)).expect("the recovering operator");
    let other = recovery_approver(&recovery, &operator(&p(1), 1)).unwrap_err();
    assert!(matches!(other, Error::Recovery(RecoveryError::NotRecoveringAccount { action: "approve", .. })));
}

#[test]
fn recovery_backup_service__should_be_the_recovering_accounts_registered_service_key() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry);
    let mut services = ServiceRegistry::new();
    let none = recovery_backup_service(&recovery, &services, &node(&p(0), 61)).unwrap_err();
    assert!(matches!(none, Error::Recovery(RecoveryError::NoBackupService { .. })));
    let service =
        mpc_interface::recovery::BackupServiceInfo { public_key: info(60).tls_public_key, signer_public_key: key(61) };
    services.backup_services.insert(p(0), service);
    services.backup_services.insert(p(1), service);
    recovery_backup_service(&recovery, &services, &node(&p(0), 61)).expect("the registered key");
    let node_key = recovery_backup_service(&recovery, &services, &node(&p(0), 0)).unwrap_err();
    assert!(matches!(node_key, Error::Recovery(RecoveryError::NotBackupService { .. })));
    let other = recovery_backup_service(&recovery, &services, &node(&p(1), 61)).unwrap_err();
    assert!(matches!(other, Error::Recovery(RecoveryError::NotRecoveringAccount { .. })));
}

#[test]
fn recovery_new_node__should_be_the_key_the_recovery_named() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry);
    recovery_new_node(&recovery, &node(&p(0), 41)).expect("the new node's key");
    let old_node = recovery_new_node(&recovery, &node(&p(0), 0)).unwrap_err();
    assert!(matches!(old_node, Error::Recovery(RecoveryError::WrongSignerKey { .. })));
    let operator_key = recovery_new_node(&recovery, &operator(&p(0), 0)).unwrap_err();
    assert!(matches!(operator_key, Error::Recovery(RecoveryError::WrongSignerKey { .. })));
    let other = recovery_new_node(&recovery, &node(&p(1), 41)).unwrap_err();
    assert!(matches!(other, Error::Recovery(RecoveryError::NotRecoveringAccount { .. })));
}

#[test]
fn membership_guards__should_refuse_accounts_outside_their_set() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    registry.candidates.insert(id("c.near"), info(9));
    participant(&registry, &p(2)).expect("a participant");
    let candidate = participant(&registry, &id("c.near")).unwrap_err();
    assert!(matches!(candidate, Error::Caller(CallerError::NotParticipant { .. })));
    participant_or_candidate(&registry, &id("c.near")).expect("a candidate");
    participant_or_candidate(&registry, &p(0)).expect("a participant");
    let stranger = participant_or_candidate(&registry, &id("s.near")).unwrap_err();
    assert!(matches!(stranger, Error::Recovery(RecoveryError::NotParticipantOrCandidate { .. })));
}

#[test]
fn proposal_participant__should_return_the_set_being_reshared_to_for_its_members_only() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    let proposal = ThresholdParameters { participants: (1..4).map(participant_of).collect(), threshold: 2 };
    registry.pending_parameters.insert((), proposal.clone());
    assert_eq!(proposal_participant(&registry, &p(3)).unwrap(), proposal);
    let leaving = proposal_participant(&registry, &p(0)).unwrap_err();
    assert!(matches!(leaving, Error::Caller(CallerError::NotInProposal { .. })));
}

#[test]
fn ephemeral_key_publisher__should_tell_the_side_by_the_signing_key_and_refuse_any_other_key() {
    let mut registry = Registry::new();
    let recovery = recovering(&mut registry);
    let mut services = ServiceRegistry::new();
    let service =
        mpc_interface::recovery::BackupServiceInfo { public_key: info(60).tls_public_key, signer_public_key: key(61) };
    services.backup_services.insert(p(0), service);
    let publisher = |caller, recovery| ephemeral_key_publisher(&registry, &services, &caller, recovery);
    assert!(publisher(node(&p(0), 61), None).unwrap(), "the backup service, backup session");
    assert!(publisher(node(&p(0), 61), Some(&recovery)).unwrap(), "the backup service, recovery session");
    assert!(!publisher(node(&p(0), 0), None).unwrap(), "the recorded node key, backup session");
    assert!(!publisher(node(&p(0), 41), Some(&recovery)).unwrap(), "the new node key, recovery session");
    let old_node = publisher(node(&p(0), 0), Some(&recovery)).unwrap_err();
    assert!(matches!(old_node, Error::Recovery(RecoveryError::WrongSignerKey { .. })));
    let new_node_for_backup = publisher(node(&p(0), 41), None).unwrap_err();
    assert!(matches!(new_node_for_backup, Error::Caller(CallerError::WrongNodeKey { .. })));
    let no_node_key = publisher(node(&p(3), 3), None).unwrap_err();
    assert!(matches!(no_node_key, Error::Caller(CallerError::NoNodeKey { .. })));
}

#[test]
fn refreshing_participant__should_want_a_participants_recorded_node_key() {
    let mut registry = Registry::new();
    running(&mut registry, 3);
    assert_eq!(refreshing_participant(&registry, &node(&p(1), 1)).unwrap().map(|p| p.info), Some(info(1)));
    let other_key = refreshing_participant(&registry, &node(&p(1), 5)).unwrap_err();
    assert!(matches!(other_key, Error::Caller(CallerError::WrongNodeKey { .. })));
    assert!(refreshing_participant(&registry, &node(&id("s.near"), 5)).unwrap().is_none(), "a newcomer");
    registry.node_keys.remove(&p(2));
    assert!(refreshing_participant(&registry, &node(&p(2), 5)).unwrap().is_some(), "no key recorded yet");
}
