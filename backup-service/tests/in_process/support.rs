//! A network run by the contract wasm in-process, whose participant
//! `node0.near` has a real TLS identity and a loopback URL, its backup
//! service registered with a real identity; and the node's side of share
//! transfer, played with share-transfer's node functions over contract-backed
//! authorities.

use async_trait::async_trait;
use backup_service::{BackupEncryptionKey, BackupService, RoundOutcome, ServiceConfig, ServiceKeys, Transport};
use contract_client::{Backoff, ContractClient, MpcContractApi};
use contract_tests::in_process::{InProcessClient, InProcessContract};
use contract_tests::scenario::{self, backup_key, new_node_key, node_key, operator_key, OutcomeExt, TestNetwork};
use contract_tests::wasm::contract_wasm;
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::{EpochId, KeyEventId, Keyset, ParticipantId, ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::{BackupServiceInfo, Session, SessionKind};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use rand_core::{OsRng, RngCore};
use serde_json::json;
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint};
pub use share_transfer::test_doubles::shares_for;
use share_transfer::verifying::verifying_share;
use share_transfer::web::{WebConfig, WebNode};
use share_transfer::{AuthorityError, EphemeralKeyDirectory, Identity, Party, PeerAuthority, SharesPayload};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

pub const N: usize = 4;
pub const ACCOUNT: &str = "node0.near";

pub fn account() -> AccountId {
    ACCOUNT.parse().unwrap()
}

pub fn url(addr: SocketAddr) -> String {
    format!("https://{addr}")
}

/// Loopback listener on a free port.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

pub struct World {
    pub contract: InProcessContract,
    /// node0's current machine.
    pub node_identity: Arc<Identity>,
    pub node_addr: SocketAddr,
    /// Bound at node0's participant URL; take it to play the node.
    pub node_listener: Option<TcpListener>,
    pub service_identity: Arc<Identity>,
    pub storage_key: BackupEncryptionKey,
    pub home: tempfile::TempDir,
    /// The node's shares of the current keyset (what a backup must copy).
    pub shares: SharesPayload,
}

impl World {
    /// Running at `epoch` with N participants; node0 has a real identity and a
    /// loopback URL; its backup service is registered with a real identity.
    pub async fn new(epoch: u64) -> Self {
        Self::with_registration(epoch, true).await
    }

    /// As [`World::new`], but the operator has not registered the backup service yet.
    pub async fn unregistered(epoch: u64) -> Self {
        Self::with_registration(epoch, false).await
    }

    async fn with_registration(epoch: u64, registered: bool) -> Self {
        let node_identity = Arc::new(Identity::generate());
        let (node_listener, node_addr) = listener().await;
        let mut parameters = scenario::parameters(N);
        let seat = ParticipantInfo { url: url(node_addr), tls_public_key: node_identity.public_key() };
        parameters.participants[0].info = seat.clone();
        let keyset = scenario::keyset(epoch);
        let mut net = TestNetwork::deploy(contract_wasm());
        net.contract_call(
            methods::INIT_RUNNING,
            json!({"parameters": parameters, "domains": scenario::domains(), "keyset": keyset}),
        )
        .expect_ok();
        // The node's first refresh records its node key.
        net.node_call(ACCOUNT, methods::SUBMIT_PARTICIPANT_INFO, json!({ "info": seat })).expect_ok();
        let service_identity = Arc::new(Identity::generate());
        let info =
            BackupServiceInfo { public_key: service_identity.public_key(), signer_public_key: backup_key(ACCOUNT) };
        if registered {
            net.operator_call(ACCOUNT, methods::REGISTER_BACKUP_SERVICE, json!({ "info": info })).expect_ok();
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *seed);
        Self {
            contract: net.into_contract(),
            node_identity,
            node_addr,
            node_listener: Some(node_listener),
            service_identity,
            storage_key: BackupEncryptionKey::from_bytes(seed),
            home: tempfile::tempdir().unwrap(),
            shares: shares_for(&keyset),
        }
    }

    pub fn client(&self, key: mpc_interface::keys::AccessPublicKey) -> InProcessClient {
        self.contract.client(ACCOUNT, key)
    }

    /// The service's client: the operator account, the registered access key.
    pub fn service_client(&self) -> Arc<dyn ContractClient> {
        Arc::new(self.client(backup_key(ACCOUNT)))
    }

    pub fn keys(&self) -> ServiceKeys {
        ServiceKeys { identity: self.service_identity.clone(), storage_key: self.storage_key.clone() }
    }

    pub fn config(&self, transport: Transport) -> ServiceConfig {
        let mut config = ServiceConfig::new(self.home.path(), transport);
        config.poll_interval = Duration::from_millis(20);
        config.backoff = Backoff { first: Duration::from_millis(10), max: Duration::from_millis(50), attempts: 4 };
        config.mtls = quick_mtls();
        config.web = quick_web();
        config
    }

    pub fn service(&self, transport: Transport) -> BackupService {
        self.service_with(self.config(transport), self.service_client())
    }

    pub fn service_with(&self, config: ServiceConfig, client: Arc<dyn ContractClient>) -> BackupService {
        BackupService::new(config, client, self.keys()).unwrap()
    }

    pub async fn state(&self) -> ProtocolStateView {
        self.client(node_key(ACCOUNT)).state().await.unwrap()
    }

    /// The keyset nodes hold now.
    pub async fn keyset(&self) -> Keyset {
        match self.state().await {
            ProtocolStateView::Running(r) => r.keyset,
            ProtocolStateView::Recovery(r) => r.previous.keyset,
            other => panic!("no current keyset in {}", other.name()),
        }
    }

    pub fn take_node_listener(&mut self) -> TcpListener {
        self.node_listener.take().expect("node listener already taken")
    }

    /// Node0's mTLS endpoint, accepting only the registered backup service.
    pub fn node_mtls(&self, identity: &Identity) -> MtlsEndpoint {
        MtlsEndpoint::new(identity, Party::BackupService, self.backup_service_key(), quick_mtls()).unwrap()
    }

    pub fn backup_service_key(&self) -> Arc<dyn PeerAuthority> {
        Arc::new(RegisteredBackupService { client: Arc::new(self.client(node_key(ACCOUNT))), account: account() })
    }

    /// Node0's web endpoints; `signing_key` is the node's access key
    /// (`node_key` for the running machine, `new_node_key` for a replacement).
    pub fn web_node(&self, signing_key: mpc_interface::keys::AccessPublicKey) -> WebNode {
        let directory = NodeDirectory { client: Arc::new(self.client(signing_key)), account: account() };
        WebNode::new(self.backup_service_key(), Arc::new(directory), quick_web())
    }

    /// Every participant reshares to the same set: the keyset epoch advances by one.
    pub async fn reshare(&mut self) {
        let ProtocolStateView::Running(running) = self.state().await else { panic!("not running") };
        let next = running.next_epoch_id;
        let proposal: ThresholdParameters = running.parameters.clone();
        for i in 0..N {
            let node = self.contract.client(&scenario::account(i), node_key(&scenario::account(i)));
            node.vote_new_parameters(next, &proposal).await.unwrap();
        }
        // node0's new shares, and the verifying shares every voter agrees on:
        // node0's from them, the others' stand-ins.
        let shares = shares_for(&Keyset { epoch_id: next, domains: running.keyset.domains.clone() });
        for (domain, share) in scenario::domains().iter().zip(&shares.shares) {
            let mut verifying = scenario::verifying_shares(domain, next.0, (0..N as u32).map(ParticipantId));
            verifying[0] = verifying_share(domain.scheme, share.secret_share.expose()).unwrap();
            let event = KeyEventId { epoch_id: next, domain_id: domain.id };
            for i in 0..N {
                let node = self.contract.client(&scenario::account(i), node_key(&scenario::account(i)));
                node.vote_reshared(event, &verifying).await.unwrap();
            }
        }
        let keyset = self.keyset().await;
        assert_eq!(keyset.epoch_id, next);
        self.shares = shares;
    }

    /// A replacement machine for node0 enters recovery with its node key
    /// (pending approval); returns its identity, listener and address.
    pub async fn enter_recovery(&self) -> (Arc<Identity>, TcpListener, SocketAddr) {
        let identity = Arc::new(Identity::generate());
        let (listener, addr) = listener().await;
        let info = ParticipantInfo { url: url(addr), tls_public_key: identity.public_key() };
        self.client(new_node_key(ACCOUNT)).submit_participant_recovery_info(Role::Node, &info, None).await.unwrap();
        (identity, listener, addr)
    }

    /// The operator approves the recovery to the machine with `machine`'s TLS key.
    pub async fn approve_recovery(&self, machine: &Identity) {
        self.client(operator_key(ACCOUNT)).approve_recovery(&machine.public_key()).await.unwrap();
    }

    /// The new machine takes its place: must succeed after a confirmed delivery.
    pub async fn conclude_recovery(&self, keyset: &Keyset) -> Result<(), contract_client::ClientError> {
        self.client(new_node_key(ACCOUNT)).conclude_recovery(keyset).await.map(|_| ())
    }

    pub async fn recovery_status(&self) -> Option<mpc_interface::recovery::RecoveryStatus> {
        self.client(node_key(ACCOUNT)).recovery().await.unwrap().map(|r| r.status)
    }
}

pub fn recovery_session(epoch: EpochId, nonce: u64) -> Session {
    Session { kind: SessionKind::Recovery, epoch_id: epoch, nonce }
}

pub fn quick_mtls() -> MtlsConfig {
    MtlsConfig {
        handshake_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(5),
        ..MtlsConfig::default()
    }
}

pub fn quick_web() -> WebConfig {
    WebConfig { request_timeout: Duration::from_secs(5), ..WebConfig::default() }
}

/// The node's view: the backup service's registered identity key.
struct RegisteredBackupService {
    client: Arc<dyn ContractClient>,
    account: AccountId,
}

#[async_trait]
impl PeerAuthority for RegisteredBackupService {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let info =
            self.client.backup_service(&self.account).await.map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
        Ok(info.map(|i| i.public_key))
    }
}

/// The node's ephemeral keys on the contract, published with its own access key.
struct NodeDirectory {
    client: Arc<dyn ContractClient>,
    account: AccountId,
}

#[async_trait]
impl EphemeralKeyDirectory for NodeDirectory {
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError> {
        self.client
            .publish_backup_ephemeral_key(Role::Node, session, key)
            .await
            .map(|_| ())
            .map_err(|e| AuthorityError::PublishFailed { session, reason: e.to_string() })
    }

    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError> {
        let keys =
            self.client.ephemeral_keys(&self.account).await.map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
        Ok(keys.backup_service.filter(|k| k.session == session).map(|k| k.public_key))
    }
}

/// Captures log lines of the current thread (the tests' runtimes are single-threaded).
#[derive(Clone, Default)]
pub struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A node whose mTLS endpoint is idle: it closes every connection at once.
pub fn idle_node(listener: TcpListener) {
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
}

/// A world at `epoch` whose service already holds a backup (over mTLS).
pub async fn backed_up(epoch: u64, transport: Transport) -> (World, BackupService) {
    let mut world = World::new(epoch).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(transport);
    let backup = world.service(Transport::Mtls);
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), backup.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(epoch) });
    (world, service)
}
