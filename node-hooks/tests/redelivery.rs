//! Delivery is at-least-once and the import idempotent: a recovering node
//! accepts a redelivery of the same shares until the delivery is confirmed
//! (the acknowledgement may have been lost), acknowledges only shares it
//! stored, and picks up where it stopped after a restart. Both transports,
//! against the contract wasm in-process over loopback.
#![allow(non_snake_case)]

mod support;

use contract_client::MpcContract;
use contract_tests::in_process::InProcessContract;
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::Keyset;
use mpc_interface::recovery::{Session, SessionKind};
use mpc_interface::state::ProtocolStateView;
use node_hooks::store::{FileShareStore, ShareStore, StoreError};
use node_hooks::transfer::Transport;
use node_hooks::{Decision, Exit, NodeDeliveryState};
use serde_json::json;
use share_transfer::test_doubles::shares_for;
use share_transfer::{Identity, SharesPayload};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use support::running::*;
use support::*;
use zeroize::Zeroizing;

/// A share file whose first `failures` writes fail, as a full disk would.
struct FlakyStore {
    inner: FileShareStore,
    failures: AtomicU32,
}

impl ShareStore for FlakyStore {
    fn load(&self) -> Result<Option<SharesPayload>, StoreError> {
        self.inner.load()
    }
    fn write(&self, shares: &SharesPayload) -> Result<(), StoreError> {
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(StoreError::Corrupted { path: self.inner.path().to_owned(), reason: "disk full".to_owned() });
        }
        self.inner.write(shares)
    }
    fn destroy(&self) -> Result<(), StoreError> {
        self.inner.destroy()
    }
}

/// node0 seated on a lost machine; a registered backup service; the new
/// machine's identity, address and URL.
struct Recovery {
    contract: InProcessContract,
    backup_id: Arc<Identity>,
    seed: Zeroizing<[u8; 32]>,
    addr: SocketAddr,
    url: String,
    home: tempfile::TempDir,
}

async fn setup() -> (Recovery, tokio::net::TcpListener) {
    let (_, _, old_url) = listener().await;
    let contract = network(Identity::generate().public_key(), &old_url);
    let backup_id = Arc::new(Identity::generate());
    register_backup_service(&contract, &backup_id).await;
    let (listener, addr, url) = listener().await;
    let seed = Zeroizing::new(rand_seed());
    let home = tempfile::tempdir().unwrap();
    (Recovery { contract, backup_id, seed, addr, url, home }, listener)
}

fn rand_seed() -> [u8; 32] {
    use rand_core::RngCore;
    let mut seed = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut seed);
    seed
}

impl Recovery {
    fn start(
        &self,
        transport: Transport,
        listener: tokio::net::TcpListener,
        store: Arc<dyn ShareStore>,
    ) -> RunningDriver {
        start_with_store(
            new_node_client(&self.contract),
            Identity::from_seed(&self.seed),
            &self.url,
            listener,
            store,
            config(transport),
        )
    }

    fn file(&self) -> FileShareStore {
        FileShareStore::in_home(self.home.path())
    }

    /// The backup service's side of one delivery; for the web, on a recovery
    /// session newer than `after`. Returns the session used.
    async fn deliver(
        &self,
        transport: Transport,
        shares: &SharesPayload,
        after: Option<Session>,
    ) -> (Option<Session>, Result<(), String>) {
        match transport {
            Transport::Mtls => {
                let outcome = recovery_mtls(&self.contract, &self.backup_id).deliver_recovery(self.addr, shares).await;
                (None, outcome.map(|_| ()).map_err(|e| e.to_string()))
            }
            Transport::Web => {
                let session = eventually("a new recovery session of the node", 20, || async {
                    let keys = backup_client(&self.contract).ephemeral_keys(&account()).await.unwrap();
                    keys.node
                        .map(|k| k.session)
                        .filter(|s| s.kind == SessionKind::Recovery && after.is_none_or(|a| s.nonce > a.nonce))
                })
                .await;
                let client = backup_web(&self.contract, &self.backup_id, self.addr);
                (Some(session), client.deliver_recovery(session, shares).await.map(|_| ()).map_err(|e| e.to_string()))
            }
        }
    }

    async fn confirm_and_conclude(&self, node: &mut RunningDriver, keyset: &Keyset) {
        backup_client(&self.contract)
            .call_as(Role::BackupService, methods::CONFIRM_RECOVERY_DELIVERY, json!({ "keyset": keyset }))
            .await
            .unwrap();
        let status = node.decision(Decision::Refresh).await;
        assert_eq!(status.delivery_state, Some(NodeDeliveryState::Concluded));
        assert!(matches!(old_node_client(&self.contract).state().await.unwrap(), ProtocolStateView::Running(_)));
    }
}

async fn approve(contract: &InProcessContract, node: &mut RunningDriver) {
    node.decision(Decision::AwaitShares { approved: false }).await;
    let entered = operator(contract).recovery().await.unwrap().expect("a recovery to approve");
    operator(contract).approve_recovery(&entered.new_info.tls_public_key).await.unwrap();
    node.decision(Decision::AwaitShares { approved: true }).await;
}

async fn relisten(addr: SocketAddr) -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind(addr).await.unwrap()
}

fn home_store(home: &Path) -> Arc<dyn ShareStore> {
    Arc::new(FileShareStore::in_home(home))
}

/// A recovery approved, and the shares delivered once and stored: the node
/// awaits the confirmation. Returns the web session used, if any.
async fn delivered_once(transport: Transport) -> (Recovery, RunningDriver, Option<Session>, SharesPayload) {
    let (r, listener) = setup().await;
    let shares = shares_for(&keyset());
    let mut node = r.start(transport, listener, home_store(r.home.path()));
    approve(&r.contract, &mut node).await;
    let (first, outcome) = r.deliver(transport, &shares, None).await;
    outcome.unwrap();
    let status = node.decision(Decision::AwaitDeliveryConfirmation).await;
    assert_eq!(status.delivery_state, Some(NodeDeliveryState::AwaitingConfirmation));
    (r, node, first, shares)
}

/// The acknowledgement of the first delivery is lost: the backup service
/// delivers again, and the node (still awaiting confirmation) takes it.
async fn accepts_a_redelivery_after_a_lost_acknowledgement(transport: Transport) {
    let (r, mut node, first, shares) = delivered_once(transport).await;

    // The backup service never saw the acknowledgement: it delivers again.
    let (_, again) = r.deliver(transport, &shares, first).await;
    again.expect("a redelivery of the same shares is accepted until the delivery is confirmed");

    r.confirm_and_conclude(&mut node, &keyset()).await;
    assert_eq!(r.file().load().unwrap(), Some(shares));
    assert_eq!(node.stop().await, Exit::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_accept_a_redelivery_after_a_lost_acknowledgement() {
    accepts_a_redelivery_after_a_lost_acknowledgement(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_accept_a_redelivery_after_a_lost_acknowledgement() {
    accepts_a_redelivery_after_a_lost_acknowledgement(Transport::Web).await;
}

/// The node's disk write fails: the backup service is told (never
/// acknowledged), delivers again, and the second write lands.
async fn acknowledges_only_stored_shares(transport: Transport) {
    let (r, listener) = setup().await;
    let shares = shares_for(&keyset());
    let store = Arc::new(FlakyStore { inner: r.file(), failures: AtomicU32::new(1) });
    let mut node = r.start(transport, listener, store);
    approve(&r.contract, &mut node).await;

    let (first, outcome) = r.deliver(transport, &shares, None).await;
    let refused = outcome.expect_err("shares that could not be written must not be acknowledged");
    assert!(refused.contains("could not be stored") && refused.contains("disk full"), "{refused}");
    assert_eq!(r.file().load().unwrap(), None);

    let (_, again) = r.deliver(transport, &shares, first).await;
    again.expect("a redelivery replaces the failed write");
    node.decision(Decision::AwaitDeliveryConfirmation).await;
    assert_eq!(r.file().load().unwrap(), Some(shares));
    r.confirm_and_conclude(&mut node, &keyset()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_acknowledge_only_after_the_shares_are_written() {
    acknowledges_only_stored_shares(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_acknowledge_only_after_the_shares_are_written() {
    acknowledges_only_stored_shares(Transport::Web).await;
}

/// The node restarts after storing the shares, before the confirmation: it
/// resumes awaiting it, and still takes a redelivery.
async fn resumes_after_a_restart(transport: Transport) {
    let (r, node, first, shares) = delivered_once(transport).await;
    assert_eq!(node.stop().await, Exit::Cancelled);

    let mut node = r.start(transport, relisten(r.addr).await, home_store(r.home.path()));
    node.decision(Decision::AwaitDeliveryConfirmation).await;
    let (_, again) = r.deliver(transport, &shares, first).await;
    again.expect("the restarted node takes a redelivery");
    r.confirm_and_conclude(&mut node, &keyset()).await;
    assert_eq!(r.file().load().unwrap(), Some(shares));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_resume_awaiting_confirmation_after_a_node_restart() {
    resumes_after_a_restart(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_resume_awaiting_confirmation_after_a_node_restart() {
    resumes_after_a_restart(Transport::Web).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_recovery__should_refuse_a_redelivery_that_differs_from_the_stored_shares() {
    let (r, _node, _, shares) = delivered_once(Transport::Mtls).await;

    // Same keyset (the public keys match), other secret bytes.
    let other = shares_for(&keyset());
    assert_ne!(other, shares);
    let refused = r.deliver(Transport::Mtls, &other, None).await.1.unwrap_err();
    assert!(refused.contains("differs from the verified shares already stored"), "{refused}");
    assert_eq!(r.file().load().unwrap(), Some(shares));
}

/// A share file whose writes take `delay`, as a slow or loaded disk would.
struct SlowStore {
    inner: FileShareStore,
    delay: std::time::Duration,
}

impl ShareStore for SlowStore {
    fn load(&self) -> Result<Option<SharesPayload>, StoreError> {
        self.inner.load()
    }
    fn write(&self, shares: &SharesPayload) -> Result<(), StoreError> {
        std::thread::sleep(self.delay);
        self.inner.write(shares)
    }
    fn destroy(&self) -> Result<(), StoreError> {
        self.inner.destroy()
    }
}

/// Storing the shares takes longer than the web session-renewal time: the
/// node does not replace the session that is storing them (which would drop
/// the delivery half-stored and refuse it with "the node stopped before
/// storing the shares"); the delivery is stored and acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_recovery__should_not_renew_a_session_while_its_shares_are_being_stored() {
    let (r, listener) = setup().await;
    let shares = shares_for(&keyset());
    let store = Arc::new(SlowStore { inner: r.file(), delay: std::time::Duration::from_millis(1500) });
    let mut slow = config(Transport::Web);
    slow.session_renewal = std::time::Duration::from_millis(300);
    let identity = Identity::from_seed(&r.seed);
    let mut node = start_with_store(new_node_client(&r.contract), identity, &r.url, listener, store, slow);
    approve(&r.contract, &mut node).await;

    // An unused session is still renewed, so a delivery may meet a newer one
    // (409): the backup service then delivers again, as it does in production.
    let mut last = None;
    let outcome = loop {
        let (session, outcome) = r.deliver(Transport::Web, &shares, last).await;
        match outcome {
            Err(e) if e.contains("this node is waiting for the recovery session") => last = session,
            other => break other,
        }
    };

    outcome.expect("shares stored more slowly than the renewal time are still acknowledged");
    assert_eq!(r.file().load().unwrap(), Some(shares));
    assert_eq!(node.stop().await, Exit::Cancelled);
}
