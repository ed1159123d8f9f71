#![allow(non_snake_case)]

use super::*;
use crate::errors::StateError;
use crate::state::recovery::{enter, Entrant};
use crate::state::test_support::*;
use crate::state::InitializingState;
use crate::storage::registry::Registry;
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{EphemeralKeys, SessionKind};

/// p0's backup service signs with `key(SERVICE)`.
const SERVICE: u8 = 61;

fn service_info(seed: u8) -> BackupServiceInfo {
    BackupServiceInfo { public_key: Ed25519PublicKey([seed; 32]), signer_public_key: key(SERVICE) }
}

fn session(kind: SessionKind, nonce: u64) -> Session {
    Session { kind, epoch_id: EpochId(0), nonce }
}

fn x25519(seed: u8) -> X25519PublicKey {
    X25519PublicKey([seed; 32])
}

/// A running network of 3 whose p0 registered its backup service.
fn network(registry: &mut Registry, services: &mut ServiceRegistry) -> ProtocolState {
    let running = running(registry, 3);
    register(services, &operator(&p(0), 0), service_info(60)).unwrap();
    ProtocolState::Running(running)
}

fn keys_of(services: &ServiceRegistry) -> EphemeralKeys {
    services.ephemeral_keys.get(&p(0)).unwrap_or_default()
}

#[test]
fn register__should_record_a_service_and_replace_an_old_one() {
    let mut registry = Registry::new();
    let mut services = ServiceRegistry::new();
    network(&mut registry, &mut services);
    let step = register(&mut services, &operator(&p(0), 0), service_info(62)).unwrap();
    let registered = Event::BackupServiceRegistered { account_id: p(0), public_key: Ed25519PublicKey([62; 32]) };
    assert_eq!(only_event(&step), &registered);
    assert_eq!(services.backup_services.get(&p(0)), Some(service_info(62)));
    assert_eq!(services.backup_services.len(), 1);
}

#[test]
fn publish__should_keep_the_node_and_the_service_keys_apart_and_accept_only_newer_sessions() {
    let mut services = ServiceRegistry::new();
    let backup = session(SessionKind::Backup, 1);
    let by_node = publish(&mut services, &p(0), backup, x25519(1), false).unwrap();
    assert_eq!(
        only_event(&by_node),
        &Event::EphemeralKeyPublished { account_id: p(0), session: backup, by_backup_service: false }
    );
    publish(&mut services, &p(0), backup, x25519(2), true).unwrap();
    let keys = keys_of(&services);
    assert_eq!(keys.node.map(|k| k.public_key), Some(x25519(1)));
    assert_eq!(keys.backup_service.map(|k| k.public_key), Some(x25519(2)));
    let replay = publish(&mut services, &p(0), backup, x25519(3), false);
    assert!(matches!(refused(replay), Error::Recovery(RecoveryError::StaleSession { .. })));
    let recovery = session(SessionKind::Recovery, 1);
    publish(&mut services, &p(0), recovery, x25519(4), false).expect("another kind of session");
    publish(&mut services, &p(0), session(SessionKind::Recovery, 2), x25519(5), false).unwrap();
    assert_eq!(keys_of(&services).node.map(|k| k.public_key), Some(x25519(5)));
    assert_eq!(keys_of(&services).backup_service.map(|k| k.public_key), Some(x25519(2)));
}

#[test]
fn session_scope__should_want_the_keyset_in_use_and_a_running_or_recovering_network() {
    let mut registry = Registry::new();
    let mut services = ServiceRegistry::new();
    let state = network(&mut registry, &mut services);
    let backup = session(SessionKind::Backup, 1);
    assert!(session_scope(&state, &p(0), &backup).unwrap().is_none());
    let later = Session { epoch_id: EpochId(1), ..backup };
    let epoch = session_scope(&state, &p(0), &later);
    assert!(matches!(refused(epoch), Error::Recovery(RecoveryError::SessionEpoch { .. })));
    let keygen = next(InitializingState::start(&mut Registry::new(), &parameters(3), domains()).unwrap());
    let early = session_scope(&keygen, &p(0), &backup);
    assert!(matches!(refused(early), Error::State(StateError::WrongState { .. })));
}

#[test]
fn session_scope__should_open_a_recovery_session_only_for_the_accounts_approved_recovery() {
    let mut registry = Registry::new();
    let mut services = ServiceRegistry::new();
    let ProtocolState::Running(running) = network(&mut registry, &mut services) else { unreachable!() };
    let recovery_session = session(SessionKind::Recovery, 1);
    let still_running = ProtocolState::Running(running.clone());
    let in_running = session_scope(&still_running, &p(0), &recovery_session);
    assert!(matches!(refused(in_running), Error::Recovery(RecoveryError::NoApprovedRecovery { .. })));
    let entrant =
        Entrant { account_id: p(0), tls_public_key: info(0).tls_public_key, new_signer: key(41), approved: false };
    let mut state = next(enter(&running, &mut registry, entrant, info(40)).unwrap());
    let pending = session_scope(&state, &p(0), &recovery_session);
    assert!(matches!(refused(pending), Error::Recovery(RecoveryError::NoApprovedRecovery { .. })));
    let ProtocolState::Recovery(recovery) = &mut state else { unreachable!() };
    recovery.status = RecoveryStatus::Approved;
    let other = session_scope(&state, &p(1), &recovery_session);
    assert!(matches!(refused(other), Error::Recovery(RecoveryError::NoApprovedRecovery { .. })));
    let scope = session_scope(&state, &p(0), &recovery_session).unwrap();
    assert_eq!(scope.map(|r| r.new_signer), Some(key(41)));
    assert!(session_scope(&state, &p(1), &session(SessionKind::Backup, 1)).unwrap().is_none());
}
