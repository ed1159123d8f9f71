//! The node's share-transfer endpoint over real loopback sockets, with both
//! transports, against the contract wasm run in-process: identities and
//! ephemeral keys come from the contract exactly as in production.
#![allow(non_snake_case)]

mod support;

use contract_client::{ContractClient, MpcContract};
use contract_tests::in_process::InProcessContract;
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::methods::Role;
use mpc_interface::primitives::{DomainPublicKey, EpochId, Keyset, ParticipantInfo};
use mpc_interface::recovery::{Session, SessionKind};
use node_hooks::store::{FileShareStore, ShareStore};
use node_hooks::transfer::{EndpointParts, Mode, TransferEndpoint, TransferEvent, Transport};
use share_transfer::mtls::{Frame, MtlsConfig, MtlsError};
use share_transfer::test_doubles::shares_for;
use share_transfer::web::{WebConfig, WebError};
use share_transfer::{Identity, SharesPayload};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Node {
    endpoint: TransferEndpoint,
    events: mpsc::UnboundedReceiver<TransferEvent>,
    addr: SocketAddr,
    store: Arc<FileShareStore>,
    _home: tempfile::TempDir,
    cancel: CancellationToken,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Node {
    async fn next_event(&mut self) -> TransferEvent {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("an endpoint event within 10 s")
            .expect("the endpoint is running")
    }

    fn stored(&self) -> Option<SharesPayload> {
        self.store.load().unwrap()
    }
}

async fn start_node(
    transport: Transport,
    identity: Identity,
    client: Arc<dyn ContractClient>,
    listener: tokio::net::TcpListener,
) -> Node {
    let home = tempfile::tempdir().unwrap();
    let store = Arc::new(FileShareStore::in_home(home.path()));
    let addr = listener.local_addr().unwrap();
    let (tx, events) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let parts = EndpointParts {
        transport,
        identity: Arc::new(identity),
        client,
        store: store.clone(),
        mtls: MtlsConfig::default(),
        web: WebConfig::default(),
        session_renewal: Duration::from_secs(30),
    };
    let (endpoint, _task) = TransferEndpoint::start(parts, listener, tx, cancel.clone()).unwrap();
    Node { endpoint, events, addr, store, _home: home, cancel }
}

/// node0 seated on a fresh machine, serving backups; a registered backup service.
async fn serving(transport: Transport) -> (InProcessContract, Node, Arc<Identity>, SharesPayload) {
    let node_id = Identity::generate();
    let (listener, _, url) = listener().await;
    let contract = network(node_id.public_key(), &url);
    let backup_id = Arc::new(Identity::generate());
    register_backup_service(&contract, &backup_id).await;
    let mut node = start_node(transport, node_id, old_node_client(&contract), listener).await;
    let shares = shares_for(&keyset());
    node.store.write(&shares).unwrap();
    node.endpoint.apply(Mode::ServeBackups { epoch_id: shares.epoch_id }).await;
    (contract, node, backup_id, shares)
}

/// The node's shares as the registered backup service fetches them.
async fn fetch(
    transport: Transport,
    contract: &InProcessContract,
    node: &Node,
    backup_id: &Arc<Identity>,
    nonce: u64,
) -> Result<SharesPayload, String> {
    match transport {
        Transport::Mtls => {
            backup_mtls(contract, backup_id).fetch_backup(node.addr, &keyset()).await.map_err(|e| e.to_string())
        }
        Transport::Web => backup_web(contract, backup_id, node.addr)
            .fetch_backup(backup_session(nonce), &keyset())
            .await
            .map_err(|e| e.to_string()),
    }
}

fn backup_session(nonce: u64) -> Session {
    Session { kind: SessionKind::Backup, epoch_id: EpochId(0), nonce }
}

/// node0 recovering (approved) onto a fresh machine that waits for shares.
async fn recovering(transport: Transport) -> (InProcessContract, Node, Arc<Identity>) {
    let (_, _, old_url) = listener().await;
    recovering_on(transport, network(Identity::generate().public_key(), &old_url)).await
}

/// As [`recovering`], on a contract that records `shares`' verifying shares.
async fn recovering_verified(transport: Transport, shares: &SharesPayload) -> (InProcessContract, Node, Arc<Identity>) {
    let (_, _, old_url) = listener().await;
    recovering_on(transport, network_verifying(Identity::generate().public_key(), &old_url, shares)).await
}

async fn recovering_on(transport: Transport, contract: InProcessContract) -> (InProcessContract, Node, Arc<Identity>) {
    let backup_id = Arc::new(Identity::generate());
    register_backup_service(&contract, &backup_id).await;
    let new_id = Identity::generate();
    let (listener, _, url) = listener().await;
    let info = ParticipantInfo { url, tls_public_key: new_id.public_key() };
    let new_client = new_node_client(&contract);
    new_client.submit_participant_recovery_info(Role::Node, &info, None).await.unwrap();
    operator(&contract).approve_recovery(&new_id.public_key()).await.unwrap();
    let mut node = start_node(transport, new_id, new_client, listener).await;
    node.endpoint.apply(Mode::ReceiveRecovery(expected(&contract).await)).await;
    (contract, node, backup_id)
}

/// The recovery session the node published on the contract.
async fn node_recovery_session(contract: &InProcessContract) -> Session {
    let keys = backup_client(contract).ephemeral_keys(&account()).await.unwrap();
    let session = keys.node.expect("the node published its key").session;
    assert_eq!(session.kind, SessionKind::Recovery);
    session
}

/// Delivers `shares` as the backup service; the error text if refused.
async fn deliver(
    transport: Transport,
    contract: &InProcessContract,
    node: &Node,
    backup_id: &Arc<Identity>,
    shares: &SharesPayload,
) -> Result<(), String> {
    match transport {
        Transport::Mtls => recovery_mtls(contract, backup_id)
            .deliver_recovery(node.addr, shares)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Transport::Web => {
            let session = node_recovery_session(contract).await;
            backup_web(contract, backup_id, node.addr)
                .deliver_recovery(session, shares)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

fn failed(event: TransferEvent) -> (&'static str, String) {
    match event {
        TransferEvent::Failed { what, error } => (what, error),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn other_epoch(keyset: &Keyset) -> Keyset {
    Keyset { epoch_id: EpochId(keyset.epoch_id.0 + 1), domains: keyset.domains.clone() }
}

fn wrong_key(keyset: &Keyset) -> Keyset {
    let mut wrong = keyset.clone();
    wrong.domains[1].public_key = DomainPublicKey::Ed25519(Ed25519PublicKey([0x42; 32]));
    wrong
}

// --- backups ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_backup__should_reach_the_registered_backup_service() {
    let (contract, mut node, backup_id, shares) = serving(Transport::Mtls).await;

    let copy = backup_mtls(&contract, &backup_id).fetch_backup(node.addr, &keyset()).await.unwrap();

    assert_eq!(copy, shares);
    assert_eq!(node.next_event().await, TransferEvent::BackupServed { epoch_id: EpochId(0), domains: 2 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_backup__should_reach_the_registered_backup_service() {
    let (contract, node, backup_id, shares) = serving(Transport::Web).await;

    let copy = backup_web(&contract, &backup_id, node.addr).fetch_backup(backup_session(1), &keyset()).await.unwrap();

    assert_eq!(copy, shares);
    // The node published its own fresh key for the session, signed by its node key.
    let keys = backup_client(&contract).ephemeral_keys(&account()).await.unwrap();
    assert_eq!(keys.node.unwrap().session, backup_session(1));
    assert_eq!(keys.backup_service.unwrap().session, backup_session(1));
}

/// The shares handed out are read from the store when the request comes:
/// shares the node writes while it serves (its own new output) are the ones
/// backed up, never a copy made at an earlier poll.
async fn backup_serves_what_the_store_holds_now(transport: Transport) {
    let (contract, node, backup_id, first) = serving(transport).await;
    assert_eq!(fetch(transport, &contract, &node, &backup_id, 1).await.unwrap(), first);

    let rewritten = shares_for(&keyset());
    node.store.write(&rewritten).unwrap();

    assert_eq!(fetch(transport, &contract, &node, &backup_id, 2).await.unwrap(), rewritten);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_backup__should_hand_out_the_shares_the_store_holds_when_the_request_comes() {
    backup_serves_what_the_store_holds_now(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_backup__should_hand_out_the_shares_the_store_holds_when_the_request_comes() {
    backup_serves_what_the_store_holds_now(Transport::Web).await;
}

/// Shares that vanished from the store, or are of another epoch, are not
/// served; the node says why (over mTLS in its events, as the connection is
/// just closed; over the web in the refusal).
async fn backup_refuses_without_stored_shares(transport: Transport) {
    let (contract, mut node, backup_id, _) = serving(transport).await;
    node.store.destroy().unwrap();
    let none = fetch(transport, &contract, &node, &backup_id, 1).await.unwrap_err();
    node.store.write(&shares_for(&other_epoch(&keyset()))).unwrap();
    let other = fetch(transport, &contract, &node, &backup_id, 2).await.unwrap_err();
    match transport {
        Transport::Mtls => {
            let (what, error) = failed(node.next_event().await);
            assert_eq!((what, error.as_str()), ("backup", "no shares are stored"));
            let (_, error) = failed(node.next_event().await);
            assert!(error.contains("shares are of epoch 1, but the node serves backups of epoch 0"), "{error}");
        }
        Transport::Web => {
            assert!(none.contains("no shares to back up"), "{none}");
            assert!(other.contains("epoch 1"), "{other}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_backup__should_refuse_when_the_store_holds_no_shares_of_the_epoch() {
    backup_refuses_without_stored_shares(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_backup__should_refuse_when_the_store_holds_no_shares_of_the_epoch() {
    backup_refuses_without_stored_shares(Transport::Web).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_backup__should_refuse_a_backup_service_with_an_unregistered_key() {
    let (contract, mut node, backup_id, _) = serving(Transport::Mtls).await;
    let impostor = Identity::generate();

    let err = backup_mtls(&contract, &impostor).fetch_backup(node.addr, &keyset()).await.unwrap_err();

    assert!(matches!(err, MtlsError::RefusedByPeer { .. }), "{err}");
    let (what, error) = failed(node.next_event().await);
    assert_eq!(what, "backup");
    assert_eq!(
        error,
        format!(
            "the backup service presented {}, but the contract registers {}",
            impostor.public_key(),
            backup_id.public_key()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_backup__should_refuse_a_backup_service_with_an_unregistered_key() {
    let (contract, node, backup_id, _) = serving(Transport::Web).await;
    let impostor = Arc::new(Identity::generate());

    let err = backup_web(&contract, &impostor, node.addr).fetch_backup(backup_session(1), &keyset()).await.unwrap_err();

    match err {
        WebError::Refused { status, message } => {
            assert_eq!(status, 401);
            assert!(message.contains(&backup_id.public_key().to_string()), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_backup__should_drop_the_connection_when_the_registration_changes_mid_connection() {
    let (contract, mut node, backup_id, _) = serving(Transport::Mtls).await;
    let mut channel = backup_mtls(&contract, &backup_id).connect(node.addr).await.unwrap();

    // The operator registers another backup service while the connection is open.
    let rotated = Identity::generate();
    register_backup_service(&contract, &rotated).await;

    let (what, error) = failed(node.next_event().await);
    assert_eq!(what, "backup");
    assert!(error.contains("registration changed during the connection"), "{error}");
    assert!(error.contains(&rotated.public_key().to_string()), "{error}");
    // Nothing more passes on that connection.
    let _ = channel.send(&Frame::Hello { kind: SessionKind::Backup }).await;
    assert!(channel.recv().await.is_err(), "the node dropped the connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_refuse_a_request_signed_before_the_registration_changed() {
    let (contract, mut node, backup_id) = recovering(Transport::Web).await;
    let session = node_recovery_session(&contract).await;
    let client = backup_web(&contract, &backup_id, node.addr);
    let request = client.prepare_recovery(session, &shares_for(&keyset())).await.unwrap();

    register_backup_service(&contract, &Identity::generate()).await;
    let response = client.send(&request).await.unwrap();

    assert_eq!(response.0.as_u16(), 401);
    assert!(tokio::time::timeout(Duration::from_millis(300), node.events.recv()).await.is_err(), "nothing accepted");
    assert!(node.stored().is_none(), "nothing written");
}

// --- recovery --------------------------------------------------------------

async fn recovery_imports_matching_shares(transport: Transport) {
    let (contract, mut node, backup_id) = recovering(transport).await;
    let shares = shares_for(&keyset());

    deliver(transport, &contract, &node, &backup_id, &shares).await.unwrap();

    assert_eq!(node.next_event().await, TransferEvent::SharesImported { epoch_id: EpochId(0) });
    assert_eq!(node.stored(), Some(shares));
}

async fn recovery_refuses(transport: Transport, bad: SharesPayload, expected: &str) {
    let (contract, mut node, backup_id) = recovering(transport).await;

    let err = deliver(transport, &contract, &node, &backup_id, &bad).await.unwrap_err();

    assert!(err.contains(expected), "backup service saw: {err}");
    let (what, error) = failed(node.next_event().await);
    assert_eq!(what, "recovery");
    assert!(error.contains(expected), "node saw: {error}");
    assert!(node.stored().is_none(), "nothing written");
    assert!(!node.store.path().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_import_shares_that_match_the_keyset() {
    recovery_imports_matching_shares(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_import_shares_that_match_the_keyset() {
    recovery_imports_matching_shares(Transport::Web).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_refuse_shares_of_the_wrong_epoch_and_write_nothing() {
    recovery_refuses(
        Transport::Mtls,
        shares_for(&other_epoch(&keyset())),
        "wrong epoch: payload has 1, contract has 0",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_refuse_shares_of_the_wrong_epoch_and_write_nothing() {
    recovery_refuses(Transport::Web, shares_for(&other_epoch(&keyset())), "wrong epoch: payload has 1, contract has 0")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_refuse_shares_with_a_wrong_public_key_and_write_nothing() {
    recovery_refuses(Transport::Mtls, shares_for(&wrong_key(&keyset())), "domain 1: public key").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_refuse_shares_with_a_wrong_public_key_and_write_nothing() {
    recovery_refuses(Transport::Web, shares_for(&wrong_key(&keyset())), "domain 1: public key").await;
}

/// The defect: a backup service hands over a share with one bit flipped but
/// the right public keys (AEAD intact). The node refuses it before anything
/// is written, and a good redelivery is then imported.
async fn recovery_refuses_a_flipped_bit_then_takes_a_good_redelivery(transport: Transport) {
    let good = shares_for(&keyset());
    let (contract, mut node, backup_id) = recovering_verified(transport, &good).await;

    let err = deliver(transport, &contract, &node, &backup_id, &one_bit_flipped(&good)).await.unwrap_err();

    let expected_error = "domain 0: the secret share does not match participant 0's verifying share on the contract";
    assert!(err.contains(expected_error), "backup service saw: {err}");
    let (what, error) = failed(node.next_event().await);
    assert_eq!(what, "recovery");
    assert!(error.contains(expected_error), "node saw: {error}");
    assert!(!node.store.path().exists(), "nothing written");

    // The recovery stays open: at the next poll the node waits for shares
    // again (web: in a new session, once the refused one has ended), and a
    // redelivery of the good shares is imported.
    for _ in 0..250 {
        node.endpoint.apply(Mode::ReceiveRecovery(expected(&contract).await)).await;
        if transport == Transport::Mtls || node_recovery_session(&contract).await.nonce > 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    deliver(transport, &contract, &node, &backup_id, &good).await.unwrap();
    assert_eq!(node.next_event().await, TransferEvent::SharesImported { epoch_id: EpochId(0) });
    assert_eq!(node.stored(), Some(good));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_refuse_a_share_with_one_bit_flipped_and_take_a_good_redelivery() {
    recovery_refuses_a_flipped_bit_then_takes_a_good_redelivery(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_refuse_a_share_with_one_bit_flipped_and_take_a_good_redelivery() {
    recovery_refuses_a_flipped_bit_then_takes_a_good_redelivery(Transport::Web).await;
}

// --- junk connections ------------------------------------------------------

/// 64 idle connections and 64 that sent a few bytes of garbage (the start of
/// a TLS record, or of HTTP headers, that never completes), all held open.
async fn junk_connections(addr: SocketAddr) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut held = Vec::new();
    for i in 0..128 {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        if i % 2 == 1 {
            let garbage: &[u8] =
                if i % 4 == 1 { &[0x16, 0x03, 0x01, 0x40, 0x00, 0x01] } else { b"POST /shares_recover HTTP/1.1\r\nHo" };
            tcp.write_all(garbage).await.unwrap();
        }
        held.push(tcp);
    }
    held
}

async fn delivers_through_junk_connections(transport: Transport) {
    let (contract, mut node, backup_id) = recovering(transport).await;
    let shares = shares_for(&keyset());
    let junk = junk_connections(node.addr).await;

    let two_polls = 2 * node_hooks::DriverConfig::new(transport).poll_interval;
    let delivered = tokio::time::timeout(two_polls, deliver(transport, &contract, &node, &backup_id, &shares)).await;

    delivered.expect("a delivery within two poll intervals despite the junk connections").unwrap();
    // The junk connections' failures are reported too; then the import.
    let imported = loop {
        match node.next_event().await {
            TransferEvent::Failed { .. } => continue,
            other => break other,
        }
    };
    assert_eq!(imported, TransferEvent::SharesImported { epoch_id: EpochId(0) });
    assert_eq!(node.stored(), Some(shares));
    drop(junk);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_complete_while_idle_and_garbage_connections_are_held_open() {
    delivers_through_junk_connections(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_complete_while_idle_and_garbage_connections_are_held_open() {
    delivers_through_junk_connections(Transport::Web).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_endpoint__should_close_a_connection_that_sends_no_request_in_time() {
    use tokio::io::AsyncReadExt;
    let (_contract, node, _backup_id) = recovering(Transport::Web).await;
    let mut idle = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    let deadline = WebConfig::default().header_timeout + Duration::from_secs(1);

    let closed = tokio::time::timeout(deadline, idle.read(&mut [0u8; 64])).await;

    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the node kept an idle connection open past its header deadline");
}
