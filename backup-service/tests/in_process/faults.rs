//! Bad input and faults: an unreachable or garbage-answering RPC, impostor
//! nodes, tampered and replayed payloads, shares of the wrong epoch.

use crate::proxy::{Mode, Proxy};
use crate::support::*;
use async_trait::async_trait;
use backup_service::{RoundOutcome, Transport};
use contract_client::{CallOutcome, ClientError, ContractClient, Signer};
use contract_tests::scenario::node_key;
use mpc_interface::constants::Gas;
use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::primitives::{DomainPublicKey, EpochId};
use mpc_interface::recovery::RecoveryStatus;
use share_transfer::Identity;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How a [`FaultyRpc`] fails its first calls.
#[derive(Clone, Copy)]
enum Fault {
    /// The endpoint cannot be reached.
    Down,
    /// The endpoint answers something that is not the contract's JSON.
    Garbage,
    /// Views work, but transactions cannot be sent.
    CallsDown,
}

/// Fails the first `failures` calls, then passes them to the real contract.
struct FaultyRpc {
    inner: Arc<dyn ContractClient>,
    fault: Fault,
    failures: u32,
    calls: AtomicU32,
}

impl FaultyRpc {
    fn failing(&self) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst) < self.failures
    }
}

#[async_trait]
impl ContractClient for FaultyRpc {
    fn signer(&self) -> &Signer {
        self.inner.signer()
    }

    async fn view_raw(&self, method: &str, args: serde_json::Value) -> Result<Vec<u8>, ClientError> {
        match self.fault {
            Fault::Down if self.failing() => Err(ClientError::Transport {
                endpoint: "http://127.0.0.1:9".into(),
                reason: "connection refused".into(),
            }),
            Fault::Garbage if self.failing() => Ok(b"<html>502 Bad Gateway</html>".to_vec()),
            _ => self.inner.view_raw(method, args).await,
        }
    }

    async fn call_raw(
        &self,
        method: &str,
        args: serde_json::Value,
        deposit: u128,
        gas: Gas,
    ) -> Result<CallOutcome, ClientError> {
        match self.fault {
            Fault::CallsDown if self.failing() => {
                Err(ClientError::Transport { endpoint: "http://127.0.0.1:9".into(), reason: "connection reset".into() })
            }
            _ => self.inner.call_raw(method, args, deposit, gas).await,
        }
    }
}

async fn keeps_running_through(fault: Fault, kind: &str) -> String {
    let logs = Logs::default();
    let writer = logs.clone();
    // DEBUG like quiet.rs: tracing's global level hint is shared by the tests
    // of this binary, and a lower one here hides quiet.rs's DEBUG lines.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let shares = world.shares.clone();
    tokio::spawn(async move { node.serve_backup(&listener, &shares).await });
    let client = Arc::new(FaultyRpc { inner: world.service_client(), fault, failures: 4, calls: AtomicU32::new(0) });
    let service = Arc::new(world.service_with(world.config(Transport::Mtls), client));
    let cancel = CancellationToken::new();
    let running = tokio::spawn({
        let (service, cancel) = (service.clone(), cancel.clone());
        async move { service.run(cancel).await }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while service.metrics().last_backup_epoch().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "no backup after the endpoint recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!running.is_finished(), "the service stopped");
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops when cancelled").unwrap();
    assert_eq!(service.metrics().errors(kind), 4);
    assert_eq!(service.storage().load(EpochId(0)).unwrap(), world.shares);
    let text = logs.text();
    assert_eq!(text.matches("poll failed; retrying with backoff").count(), 4, "{text}");
    assert!(text.contains("backup service stopped"), "{text}");
    text
}

#[tokio::test]
async fn service__should_keep_running_and_retry_with_backoff_while_the_rpc_is_down() {
    let logs = keeps_running_through(Fault::Down, "rpc").await;
    assert!(logs.contains("connection refused"), "{logs}");
    // The waits grow: 10 ms, 20 ms, 40 ms, then the 50 ms cap.
    for wait in ["retry_in_ms=10", "retry_in_ms=20", "retry_in_ms=40", "retry_in_ms=50"] {
        assert!(logs.contains(wait), "{wait} missing in {logs}");
    }
}

#[tokio::test]
async fn service__should_keep_running_while_the_rpc_answers_garbage() {
    let logs = keeps_running_through(Fault::Garbage, "decode").await;
    assert!(logs.contains("does not decode"), "{logs}");
}

#[tokio::test]
async fn mtls_backup__should_refuse_a_node_presenting_a_key_that_is_not_its_registered_one() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let impostor = world.node_mtls(&Identity::generate());
    let service = world.service(Transport::Mtls);
    let (_, outcome) = tokio::join!(impostor.serve_backup(&listener, &world.shares), service.run_once());
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), "transfer");
    assert!(err.to_string().contains(&world.node_identity.public_key().to_string()), "names the registered key: {err}");
    assert!(service.storage().epochs().unwrap().is_empty(), "stored shares from an impostor");
}

#[tokio::test]
async fn mtls_recovery__should_refuse_a_machine_that_is_not_the_recoverys_and_not_confirm() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let (new_identity, new_listener, _) = world.enter_recovery().await;
    world.approve_recovery(&new_identity).await;
    let keyset = world.keyset().await;
    // Someone else answers at the new machine's address, with the old machine's key.
    let impostor = world.node_mtls(&world.node_identity);
    let (received, outcome) = tokio::join!(impostor.receive_recovery(&new_listener, &keyset), service.run_once());
    assert!(received.is_err());
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), "transfer");
    let expected = format!("the contract registers {}", new_identity.public_key());
    assert!(err.to_string().contains(&expected), "{err}");
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Approved), "confirmed a failed delivery");
    assert_eq!(service.metrics().deliveries(), 0);
}

#[tokio::test]
async fn mtls_backup__should_refuse_shares_that_do_not_match_the_keyset() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let mut tampered = world.shares.clone();
    tampered.shares[0].public_key = DomainPublicKey::Secp256k1(Secp256k1PublicKey([9; 64]));
    tampered.shares[1].public_key = DomainPublicKey::Ed25519(Ed25519PublicKey([9; 32]));
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &tampered), service.run_once());
    let err = outcome.unwrap_err();
    assert!(err.to_string().contains("differs from the contract's"), "{err}");
    assert!(service.storage().epochs().unwrap().is_empty());
}

/// The node offers shares of `offered` while the contract is at epoch 1.
async fn mtls_node_offering(offered: u64) -> (Result<RoundOutcome, backup_service::ServiceError>, usize) {
    let mut world = World::new(1).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let mut other = world.shares.clone();
    other.epoch_id = EpochId(offered);
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &other), service.run_once());
    (outcome, service.storage().epochs().unwrap().len())
}

#[tokio::test]
async fn mtls_backup__should_refuse_and_wait_for_a_node_still_serving_an_older_epoch() {
    // Not an error: the node has not taken up the contract's keyset yet.
    let (outcome, stored) = mtls_node_offering(0).await;
    assert_eq!(outcome.unwrap(), RoundOutcome::NodeNotServingYet { epoch: EpochId(1) });
    assert_eq!(stored, 0, "nothing stored");
}

#[tokio::test]
async fn mtls_backup__should_refuse_a_node_offering_shares_of_a_newer_epoch() {
    let (outcome, stored) = mtls_node_offering(2).await;
    let err = outcome.unwrap_err();
    assert!(err.to_string().contains("wrong epoch: payload has 2, contract has 1"), "{err}");
    assert_eq!(stored, 0, "nothing stored");
}

#[tokio::test]
async fn web_backup__should_refuse_and_wait_for_a_node_still_holding_an_older_epoch() {
    let mut world = World::new(1).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    let mut stale = world.shares.clone();
    stale.epoch_id = EpochId(0);
    node.set_backup_shares(Some(stale));
    tokio::spawn(async move { node.serve(listener).await });
    let service = world.service(Transport::Web);
    // The node refuses the session ("holds shares of epoch 0"): not serving epoch 1 yet.
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::NodeNotServingYet { epoch: EpochId(1) });
    assert_eq!(service.metrics().total_errors(), 0);
    assert!(service.storage().epochs().unwrap().is_empty());
}

/// A web world whose service reaches the node through a proxy.
async fn web_through_proxy(mode: Mode) -> (World, Proxy, share_transfer::web::WebNode) {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    node.set_backup_shares(Some(world.shares.clone()));
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let proxy = Proxy::start(world.node_addr, mode).await;
    (world, proxy, node)
}

#[tokio::test]
async fn web_backup__should_refuse_a_tampered_response() {
    let (world, proxy, _node) = web_through_proxy(Mode::Tamper).await;
    let mut config = world.config(Transport::Web);
    config.node_address = Some(proxy.addr.to_string());
    let service = world.service_with(config, world.service_client());
    let err = service.run_once().await.unwrap_err();
    assert_eq!(err.kind(), "transfer", "{err}");
    assert!(err.to_string().contains("ciphertext failed authentication"), "{err}");
    assert!(service.storage().epochs().unwrap().is_empty());

    proxy.set_mode(Mode::Record);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
}

#[tokio::test]
async fn web_backup__should_refuse_a_response_replayed_from_an_earlier_session() {
    let (mut world, proxy, node) = web_through_proxy(Mode::Record).await;
    let mut config = world.config(Transport::Web);
    config.node_address = Some(proxy.addr.to_string());
    let service = world.service_with(config, world.service_client());
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });

    // The network moves on; an attacker answers the next backup with the old answer.
    world.reshare().await;
    node.set_backup_shares(Some(world.shares.clone()));
    proxy.set_mode(Mode::Replay);
    let err = service.run_once().await.unwrap_err();
    assert_eq!(err.kind(), "transfer", "{err}");
    assert!(err.to_string().contains("the node's published key for the backup session (epoch 1"), "{err}");
    assert_eq!(service.storage().epochs().unwrap(), vec![EpochId(0)], "accepted a replayed answer");

    proxy.set_mode(Mode::Record);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(1) });
    assert_eq!(service.storage().load(EpochId(1)).unwrap(), world.shares);
}

#[tokio::test]
async fn mtls_recovery__should_confirm_after_a_restart_without_delivering_again() {
    let (world, _backed_up) = backed_up(0, Transport::Mtls).await;
    let (new_identity, new_listener, _) = world.enter_recovery().await;
    world.approve_recovery(&new_identity).await;
    let keyset = world.keyset().await;

    // The shares arrive, but the confirmation cannot be sent (every retry fails).
    let down = Arc::new(FaultyRpc {
        inner: world.service_client(),
        fault: Fault::CallsDown,
        failures: u32::MAX,
        calls: AtomicU32::new(0),
    });
    let cut_off = world.service_with(world.config(Transport::Mtls), down);
    let new_node = world.node_mtls(&new_identity);
    let (received, outcome) = tokio::join!(new_node.receive_recovery(&new_listener, &keyset), cut_off.run_once());
    assert_eq!(received.unwrap(), world.shares);
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), "confirm", "{err}");
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Approved));
    drop(cut_off);

    // Restarted: it confirms without sending the shares again.
    let restarted = world.service(Transport::Mtls);
    assert_eq!(restarted.run_once().await.unwrap(), RoundOutcome::Delivered { epoch: EpochId(0) });
    assert_eq!(restarted.metrics().deliveries(), 0);
    let contacted = tokio::time::timeout(Duration::from_millis(200), new_listener.accept()).await;
    assert!(contacted.is_err(), "delivered twice");
    world.conclude_recovery(&keyset).await.unwrap();
    assert_eq!(restarted.run_once().await.unwrap(), RoundOutcome::UpToDate { epoch: EpochId(0) });
    assert!(
        !world.home.path().join(backup_service::handoff::HANDOFF_FILE).exists(),
        "the record outlived the recovery"
    );
}
