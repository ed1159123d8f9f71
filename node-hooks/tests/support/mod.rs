//! Shared test fixtures: the contract wasm run in-process, node0 seated on a
//! machine with a real Ed25519 TLS key, and the backup service's side played
//! with share-transfer's client functions and contract-backed authorities.
#![allow(dead_code)]

pub mod running;

use contract_client::{ContractClient, MpcContractApi};
use contract_tests::contract_wasm;
use contract_tests::in_process::InProcessContract;
use contract_tests::scenario::{self, backup_key, new_node_key, node_key, operator_key, OutcomeExt, TestNetwork};
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::methods;
use mpc_interface::primitives::{Keyset, ParticipantId, ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::BackupServiceInfo;
use mpc_interface::AccountId;
use serde_json::json;
use share_transfer::contract::{ContractDirectory, NodeForBackup, RecoveringNode};
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint};
use share_transfer::verifying::verifying_share;
use share_transfer::web::{BackupServiceClient, WebConfig};
use share_transfer::{Expected, Identity, Party, SecretShare, SharesPayload};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub const ACCOUNT: &str = "node0.near";

pub fn account() -> AccountId {
    ACCOUNT.parse().unwrap()
}

pub fn keyset() -> Keyset {
    scenario::keyset(0)
}

/// A loopback listener and the URL a node publishes for it.
pub async fn listener() -> (TcpListener, SocketAddr, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr, format!("https://{addr}"))
}

/// The contract Running at epoch 0 with 4 participants; node0's seat is on
/// the machine with `tls_key`, reachable at `url`, and its node key recorded
/// (as the node's first refresh does).
pub fn network(tls_key: Ed25519PublicKey, url: &str) -> InProcessContract {
    let mut net = TestNetwork::deploy(contract_wasm());
    let seat = ParticipantInfo { url: url.to_owned(), tls_public_key: tls_key };
    net.contract_call(
        methods::INIT_RUNNING,
        json!({"parameters": parameters(tls_key, url), "domains": scenario::domains(), "keyset": keyset()}),
    )
    .expect_ok();
    net.node_call(ACCOUNT, methods::SUBMIT_PARTICIPANT_INFO, json!({ "info": seat })).expect_ok();
    net.into_contract()
}

fn parameters(tls_key: Ed25519PublicKey, url: &str) -> ThresholdParameters {
    let mut parameters = scenario::parameters(4);
    parameters.participants[0].info = ParticipantInfo { url: url.to_owned(), tls_public_key: tls_key };
    parameters
}

/// As [`network`], but through key generation, whose votes agree on
/// verifying shares: node0's are `shares` times the generator, the others'
/// stand-ins.
pub fn network_verifying(tls_key: Ed25519PublicKey, url: &str, shares: &SharesPayload) -> InProcessContract {
    let mut net = TestNetwork::deploy(contract_wasm());
    net.contract_call(methods::INIT, json!({"parameters": parameters(tls_key, url), "domains": scenario::domains()}))
        .expect_ok();
    for (domain, share) in scenario::domains().iter().zip(&shares.shares) {
        let mut verifying = scenario::verifying_shares(domain, 0, (0..4).map(ParticipantId));
        verifying[0] = verifying_share(domain.scheme, share.secret_share.expose()).expect("a scalar");
        let mut args = net.vote_pk_args(domain.id.0, "genesis");
        args["verifying_shares"] = json!(verifying);
        for i in 0..4 {
            net.node_call(&scenario::account(i), methods::VOTE_PK, args.clone()).expect_ok();
        }
    }
    let seat = ParticipantInfo { url: url.to_owned(), tls_public_key: tls_key };
    net.node_call(ACCOUNT, methods::SUBMIT_PARTICIPANT_INFO, json!({ "info": seat })).expect_ok();
    net.into_contract()
}

/// What node0's shares must match, read from the contract.
pub async fn expected(contract: &InProcessContract) -> Expected {
    let verifying = old_node_client(contract).verifying_shares(&account()).await.unwrap();
    Expected::new(keyset(), verifying)
}

/// `shares` with one bit of domain 0's secret flipped: the public keys (and,
/// in transit, the AEAD) are intact, only the share is wrong.
pub fn one_bit_flipped(shares: &SharesPayload) -> SharesPayload {
    let mut flipped = shares.clone();
    let mut bytes = flipped.shares[0].secret_share.expose().to_vec();
    bytes[31] ^= 1;
    flipped.shares[0].secret_share = SecretShare::new(bytes);
    flipped
}

pub fn old_node_client(contract: &InProcessContract) -> Arc<dyn ContractClient> {
    Arc::new(contract.client(ACCOUNT, node_key(ACCOUNT)))
}

pub fn new_node_client(contract: &InProcessContract) -> Arc<dyn ContractClient> {
    Arc::new(contract.client(ACCOUNT, new_node_key(ACCOUNT)))
}

pub fn operator(contract: &InProcessContract) -> Arc<dyn ContractClient> {
    Arc::new(contract.client(ACCOUNT, operator_key(ACCOUNT)))
}

pub fn backup_client(contract: &InProcessContract) -> Arc<dyn ContractClient> {
    Arc::new(contract.client(ACCOUNT, backup_key(ACCOUNT)))
}

/// The operator registers a backup service with `identity` (1 yoctoNEAR).
pub async fn register_backup_service(contract: &InProcessContract, identity: &Identity) {
    let info = BackupServiceInfo { public_key: identity.public_key(), signer_public_key: backup_key(ACCOUNT) };
    operator(contract).register_backup_service(&info).await.unwrap();
}

/// The backup service's mTLS side for taking a backup: it accepts the node's
/// participant TLS key.
pub fn backup_mtls(contract: &InProcessContract, identity: &Identity) -> MtlsEndpoint {
    let authority = Arc::new(NodeForBackup::new(backup_client(contract), account()));
    MtlsEndpoint::new(identity, Party::Node, authority, MtlsConfig::default()).unwrap()
}

/// The backup service's mTLS side for delivering a recovery: it accepts only
/// the new machine of an approved recovery.
pub fn recovery_mtls(contract: &InProcessContract, identity: &Identity) -> MtlsEndpoint {
    let authority = Arc::new(RecoveringNode::new(backup_client(contract), account()));
    MtlsEndpoint::new(identity, Party::Node, authority, MtlsConfig::default()).unwrap()
}

/// The backup service's web side, talking to the node at `node`.
pub fn backup_web(contract: &InProcessContract, identity: &Arc<Identity>, node: SocketAddr) -> BackupServiceClient {
    let directory = Arc::new(ContractDirectory::new(backup_client(contract), Party::BackupService));
    BackupServiceClient::new(node, identity.clone(), directory, WebConfig::default())
}

/// Polls `check` until it yields a value, for at most `seconds`.
pub async fn eventually<T, F, Fut>(what: &str, seconds: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The node0 TLS key the contract has now.
pub async fn seated_key(contract: &InProcessContract) -> Option<Ed25519PublicKey> {
    let params = old_node_client(contract).participants().await.unwrap();
    params.participant(&account()).map(|p| p.info.tls_public_key)
}
