//! The driver end to end against the contract wasm run in-process, with real
//! share transfer over loopback: backups, onboarding, and a node that loses
//! its machine and comes back through Recovery while the old machine (still
//! running) shuts itself down.
#![allow(non_snake_case)]

mod support;

use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, MpcContract, Signer};
use contract_tests::in_process::InProcessContract;
use mpc_interface::constants::Gas;
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::{EpochId, ParticipantInfo};
use mpc_interface::recovery::{RecoveryStatus, Session, SessionKind};
use mpc_interface::state::ProtocolStateView;
use node_hooks::driver::{DriverError, Exit};
use node_hooks::store::{FileShareStore, ShareStore};
use node_hooks::transfer::Transport;
use node_hooks::{Decision, ShutDownCause};
use serde_json::json;
use share_transfer::test_doubles::shares_for;
use share_transfer::Expected;
use share_transfer::Identity;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::running::*;
use support::*;

/// Everything logged in this test process (all levels), to check that no
/// secret ever reaches a log.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .init();
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails if any share's secret bytes appear in the logs, as hex, base58 or a
/// Debug-printed byte list.
fn assert_no_secret_logged(logs: &Arc<Mutex<Vec<u8>>>, shares: &share_transfer::SharesPayload) {
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(text.contains("recovery concluded"), "the logs were captured");
    for share in &shares.shares {
        let secret = share.secret_share.expose();
        let forms = [
            secret.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            bs58::encode(secret).into_string(),
            format!("{:?}", &secret[..8]).trim_end_matches(']').to_owned(),
        ];
        for form in forms {
            assert!(!text.contains(&form), "a secret share was logged as {form}");
        }
    }
}

async fn state(contract: &InProcessContract) -> ProtocolStateView {
    old_node_client(contract).state().await.unwrap()
}

/// Backup, loss of the machine, recovery onto a new one, conclusion; the old
/// machine (still running) shuts itself down.
/// A seated node running with `shares` in its store, its operator's backup service registered.
struct Seated {
    contract: InProcessContract,
    backup_id: Arc<Identity>,
    addr: std::net::SocketAddr,
    home: tempfile::TempDir,
    node: RunningDriver,
}

async fn seated(transport: Transport, shares: &share_transfer::SharesPayload) -> Seated {
    let id = Identity::generate();
    let (listener, addr, url) = listener().await;
    let contract = network(id.public_key(), &url);
    let backup_id = Arc::new(Identity::generate());
    register_backup_service(&contract, &backup_id).await;
    let home = tempfile::tempdir().unwrap();
    FileShareStore::in_home(home.path()).import(shares, &Expected::from(&keyset())).unwrap();
    let mut node = start(old_node_client(&contract), id, &url, listener, home.path(), config(transport));
    node.decision(Decision::Refresh).await;
    Seated { contract, backup_id, addr, home, node }
}

async fn lose_and_recover_machine(transport: Transport) {
    let logs = captured_logs();
    let keyset = keyset();
    let shares = shares_for(&keyset);

    // The old machine, seated and holding its shares; a registered backup service.
    let Seated { contract, backup_id, addr: old_addr, home: old_home, node: mut old } =
        seated(transport, &shares).await;

    // The backup service takes its copy.
    let copy = match transport {
        Transport::Mtls => backup_mtls(&contract, &backup_id).fetch_backup(old_addr, &keyset).await.unwrap(),
        Transport::Web => {
            let session = Session { kind: SessionKind::Backup, epoch_id: EpochId(0), nonce: 1 };
            backup_web(&contract, &backup_id, old_addr).fetch_backup(session, &keyset).await.unwrap()
        }
    };
    assert_eq!(copy, shares);

    // The machine is lost: a new home directory, a new TLS key, a new node key.
    let new_id = Identity::generate();
    let new_key = new_id.public_key();
    let (new_listener, new_addr, new_url) = listener().await;
    let new_home = tempfile::tempdir().unwrap();
    let mut new = start(new_node_client(&contract), new_id, &new_url, new_listener, new_home.path(), config(transport));

    // It enters Recovery on its own; no share moves before approval.
    new.decision(Decision::AwaitShares { approved: false }).await;
    let recovery = contract_recovery(&contract).await;
    assert_eq!(recovery.status, RecoveryStatus::PendingApproval);
    assert_eq!(recovery.new_info, ParticipantInfo { url: new_url.clone(), tls_public_key: new_key });

    // The old machine, still running, keeps working and raises the alarm
    // while the recovery only waits for approval.
    let alarmed = old.decision(Decision::AlarmRecoveryPending).await;
    assert!(alarmed.recovery_alarm);

    // The operator approves: the old machine is decommissioned and keeps no
    // copy of the shares; the backup service delivers and confirms.
    operator(&contract).approve_recovery(&new_key).await.unwrap();
    assert_eq!(old.exit().await, Exit::ShutDown(ShutDownCause::RecoveryToAnotherMachine));
    assert!(!FileShareStore::in_home(old_home.path()).path().exists(), "the old machine left its share file");
    new.decision(Decision::AwaitShares { approved: true }).await;
    match transport {
        Transport::Mtls => {
            recovery_mtls(&contract, &backup_id).deliver_recovery(new_addr, &copy).await.unwrap();
        }
        Transport::Web => {
            let session = eventually("the node's recovery session", 10, || async {
                let keys = backup_client(&contract).ephemeral_keys(&account()).await.unwrap();
                keys.node.filter(|k| k.session.kind == SessionKind::Recovery).map(|k| k.session)
            })
            .await;
            backup_web(&contract, &backup_id, new_addr).deliver_recovery(session, &copy).await.unwrap();
        }
    }
    new.decision(Decision::AwaitDeliveryConfirmation).await;
    backup_client(&contract)
        .call_as(Role::BackupService, methods::CONFIRM_RECOVERY_DELIVERY, json!({ "keyset": keyset }))
        .await
        .unwrap();

    // The new machine concludes and takes the seat.
    let status = new.decision(Decision::Refresh).await;
    assert!(matches!(state(&contract).await, ProtocolStateView::Running(_)));
    assert_eq!(seated_key(&contract).await, Some(new_key));
    assert_eq!(
        status.transactions,
        vec![methods::SUBMIT_PARTICIPANT_RECOVERY_INFO, methods::CONCLUDE_RECOVERY, methods::SUBMIT_PARTICIPANT_INFO]
    );
    assert_eq!(FileShareStore::in_home(new_home.path()).load().unwrap(), Some(shares.clone()));
    assert_eq!(new.stop().await, Exit::Cancelled);
    assert_no_secret_logged(&logs, &shares);
}

async fn contract_recovery(contract: &InProcessContract) -> mpc_interface::recovery::RecoveryView {
    old_node_client(contract).recovery().await.unwrap().expect("a recovery is open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_over_mtls__should_recover_a_lost_machine_and_shut_the_old_one_down_once_approved() {
    lose_and_recover_machine(Transport::Mtls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_over_web__should_recover_a_lost_machine_and_shut_the_old_one_down_once_approved() {
    lose_and_recover_machine(Transport::Web).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_reconnect_after_another_accounts_recovery() {
    let id = Identity::generate();
    let (listener, _, url) = listener().await;
    let contract = network(id.public_key(), &url);
    let home = tempfile::tempdir().unwrap();
    FileShareStore::in_home(home.path()).import(&shares_for(&keyset()), &Expected::from(&keyset())).unwrap();
    let mut node = start(old_node_client(&contract), id, &url, listener, home.path(), config(Transport::Mtls));
    let before = node.decision(Decision::Refresh).await;
    assert_eq!(before.reconnects, 0);

    // node1 moves to a new machine (entered by its operator: approved at once), then cancels.
    let node1 = contract.client("node1.near", contract_tests::scenario::operator_key("node1.near"));
    let info = contract_tests::scenario::info("node1.near", 1);
    let named = contract_tests::scenario::new_node_key("node1.near");
    node1.submit_participant_recovery_info(Role::Operator, &info, Some(named)).await.unwrap();
    node.decision(Decision::WaitForRunning(node_hooks::WaitCause::AnotherAccountRecovering)).await;
    node1.call_as(Role::Operator, methods::CANCEL_RECOVERY, json!({})).await.unwrap();

    let after = node.wait_for("a reconnect", |s| s.decision == Some(Decision::Refresh) && s.reconnects == 1).await;
    assert_eq!(after.participants.unwrap().participants.len(), 4);
    assert_eq!(node.stop().await, Exit::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_announce_a_new_node_as_candidate_once() {
    let (_, _, seat_url) = listener().await;
    let contract = network(Identity::generate().public_key(), &seat_url);
    let id = Identity::generate();
    let (listener, _, url) = listener().await;
    let home = tempfile::tempdir().unwrap();
    // The operator pays for the candidacy's storage first (NEP-145).
    let operator = contract.client("newcomer.near", contract_tests::scenario::operator_key("newcomer.near"));
    let deposit = contract_tests::scenario::CANDIDATE_DEPOSIT;
    operator.call_raw(methods::STORAGE_DEPOSIT, json!({}), deposit, Gas::from_tgas(30)).await.unwrap();
    let client = Arc::new(contract.client("newcomer.near", contract_tests::scenario::node_key("newcomer.near")));
    let mut node = start(client, id, &url, listener, home.path(), config(Transport::Web));

    let status = node.decision(Decision::AwaitResharing).await;

    assert_eq!(status.transactions, vec![methods::SUBMIT_PARTICIPANT_INFO]);
    assert_eq!(node.stop().await, Exit::Cancelled);
}

/// Counts the transactions a client submits.
struct Counting {
    inner: Arc<dyn ContractClient>,
    calls: AtomicU32,
}

#[async_trait]
impl ContractClient for Counting {
    fn signer(&self) -> &Signer {
        self.inner.signer()
    }
    async fn view_raw(&self, method: &str, args: serde_json::Value) -> Result<Vec<u8>, ClientError> {
        self.inner.view_raw(method, args).await
    }
    async fn call_raw(
        &self,
        method: &str,
        args: serde_json::Value,
        deposit: u128,
        gas: Gas,
    ) -> Result<CallOutcome, ClientError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.call_raw(method, args, deposit, gas).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_never_count_a_refused_transaction_nor_resend_it_at_once() {
    let (_, _, seat_url) = listener().await;
    let contract = network(Identity::generate().public_key(), &seat_url);
    let (listener, _, _) = listener().await;
    // Longer than the contract accepts: every announcement is refused on chain.
    let url = format!("https://127.0.0.1:1/{}", "x".repeat(300));
    let home = tempfile::tempdir().unwrap();
    let counting = Arc::new(Counting {
        inner: Arc::new(contract.client("newcomer.near", contract_tests::scenario::node_key("newcomer.near"))),
        calls: AtomicU32::new(0),
    });
    let mut node = start(counting.clone(), Identity::generate(), &url, listener, home.path(), config(Transport::Mtls));

    node.decision(Decision::SubmitCandidateInfo).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // ten polls

    assert_eq!(counting.calls.load(Ordering::SeqCst), 1, "refused once, not resent within the cooldown");
    assert!(node.status.borrow().transactions.is_empty(), "a refused transaction is never reported as done");
    assert_eq!(node.stop().await, Exit::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_make_stand_in_shares_only_when_enabled() {
    let seed = zeroize::Zeroizing::new([7u8; 32]);
    let (listener, _, url) = listener().await;
    let contract = network(Identity::from_seed(&seed).public_key(), &url);
    let home = tempfile::tempdir().unwrap();

    // Off (the default): a seated node without shares stays without.
    let mut node = start(
        old_node_client(&contract),
        Identity::from_seed(&seed),
        &url,
        listener,
        home.path(),
        config(Transport::Mtls),
    );
    node.decision(Decision::Refresh).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(node.status.borrow().shares_epoch, None);
    assert_eq!(node.stop().await, Exit::Cancelled);
    assert!(FileShareStore::in_home(home.path()).load().unwrap().is_none());

    // On: it makes shares for the running keyset.
    let (listener, _, _) = support::listener().await;
    let mut cfg = config(Transport::Mtls);
    cfg.stand_in_shares = true;
    let mut node = start(old_node_client(&contract), Identity::from_seed(&seed), &url, listener, home.path(), cfg);
    node.wait_for("stand-in shares", |s| s.shares_epoch == Some(EpochId(0))).await;
    let stored = FileShareStore::in_home(home.path()).load().unwrap().unwrap();
    assert!(stored.check_against(&keyset().into()).is_ok());
    assert_eq!(node.stop().await, Exit::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_refuse_to_start_on_a_corrupted_share_file() {
    let id = Identity::generate();
    let (listener, _, url) = listener().await;
    let contract = network(id.public_key(), &url);
    let home = tempfile::tempdir().unwrap();
    let store = FileShareStore::in_home(home.path());
    store.import(&shares_for(&keyset()), &Expected::from(&keyset())).unwrap();
    let mut bytes = std::fs::read(store.path()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(store.path(), bytes).unwrap();

    let node = start(old_node_client(&contract), id, &url, listener, home.path(), config(Transport::Mtls));
    let result = tokio::time::timeout(Duration::from_secs(10), node.task).await.unwrap().unwrap();

    let err = result.unwrap_err();
    assert!(err.to_string().contains("is corrupted: checksum mismatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_refuse_to_take_part_with_shares_that_do_not_match_its_verifying_shares() {
    let id = Identity::generate();
    let (listener, _, url) = listener().await;
    let good = shares_for(&keyset());
    let contract = network_verifying(id.public_key(), &url, &good);
    let home = tempfile::tempdir().unwrap();
    // The file is intact (checksum and public keys right); one share bit is wrong.
    FileShareStore::in_home(home.path()).write(&one_bit_flipped(&good)).unwrap();

    let node = start(old_node_client(&contract), id, &url, listener, home.path(), config(Transport::Mtls));
    let result = tokio::time::timeout(Duration::from_secs(10), node.task).await.unwrap().unwrap();

    let err = result.unwrap_err();
    assert!(matches!(err, DriverError::WrongShare(_)), "{err}");
    assert!(err.to_string().contains("do not match the contract"), "{err}");
    let contract_txs = old_node_client(&contract).state().await.unwrap();
    assert!(matches!(contract_txs, ProtocolStateView::Running(_)), "it took no part");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_take_part_with_shares_that_match_its_verifying_shares() {
    let id = Identity::generate();
    let (listener, _, url) = listener().await;
    let good = shares_for(&keyset());
    let contract = network_verifying(id.public_key(), &url, &good);
    let home = tempfile::tempdir().unwrap();
    FileShareStore::in_home(home.path()).import(&good, &expected(&contract).await).unwrap();

    let mut node = start(old_node_client(&contract), id, &url, listener, home.path(), config(Transport::Mtls));
    node.decision(Decision::Refresh).await;
    assert_eq!(node.stop().await, Exit::Cancelled);
}

/// The node's own new output, written to its store while it runs (as the MPC
/// node writes the shares it generates), is what the backup service gets at
/// its next request: the endpoint reads the store then, not a copy made when
/// the driver started or at its last poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver__should_serve_backups_from_what_the_store_holds_when_the_request_comes() {
    let keyset = keyset();
    let first = shares_for(&keyset);
    let Seated { contract, backup_id, addr, home, node } = seated(Transport::Mtls, &first).await;
    let backup = backup_mtls(&contract, &backup_id);
    assert_eq!(backup.fetch_backup(addr, &keyset).await.unwrap(), first);

    let rewritten = shares_for(&keyset);
    FileShareStore::in_home(home.path()).write(&rewritten).unwrap();

    assert_eq!(backup.fetch_backup(addr, &keyset).await.unwrap(), rewritten);
    assert_eq!(node.stop().await, Exit::Cancelled);
}
