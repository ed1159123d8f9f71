#![allow(non_snake_case)]
//! Hard launch mode on the node's side, against the contract wasm in-process:
//! the node serves a backup, or accepts a delivery, only from a backup service
//! whose attestation the contract shows valid right now, over either
//! transport; Soft mode is unchanged.

mod support;

use contract_client::{AttestationContract, ContractClient, MpcContractApi};
use contract_tests::hard_mode::{dev_attestation, dev_attesting_network, switch_to_hard, MEASUREMENTS};
use contract_tests::in_process::InProcessContract;
use contract_tests::scenario::{account, backup_key, node_key, operator_key};
use mpc_interface::launch::DEV_ATTESTATION_TTL_SECONDS;
use mpc_interface::recovery::BackupServiceInfo;
use mpc_interface::AccountId;
use share_transfer::contract::RegisteredBackupService;
use share_transfer::mtls::{MtlsEndpoint, MtlsError};
use share_transfer::web::{BackupServiceClient, WebConfig, WebError, WebNode};
use share_transfer::{AuthorityError, Identity, InMemoryAuthority, InMemoryDirectory, Party, PeerAuthority};
use share_transfer::{Session, SessionKind};
use std::sync::Arc;
use std::time::Duration;
use support::{fast_mtls, listener, shares_for};

const LOST: usize = 1;

/// A running contract that accepts development attestations, with `LOST`'s
/// backup service (identity `service`) registered in Soft mode.
struct Hard {
    contract: InProcessContract,
    service: Arc<Identity>,
}

impl Hard {
    async fn new() -> Self {
        let net = dev_attesting_network(4);
        let hard = Self { contract: net.into_contract(), service: Arc::new(Identity::generate()) };
        // Soft mode: registered without an attestation.
        let operator = hard.client(operator_key(&account(LOST)));
        operator.register_backup_service(&hard.info(), None).await.unwrap();
        hard
    }

    fn client(&self, key: mpc_interface::keys::AccessPublicKey) -> Arc<dyn ContractClient> {
        Arc::new(self.contract.client(&account(LOST), key))
    }

    /// Participant `i`'s node.
    fn node(&self, i: usize) -> Arc<dyn ContractClient> {
        Arc::new(self.contract.client(&account(i), node_key(&account(i))))
    }

    fn info(&self) -> BackupServiceInfo {
        BackupServiceInfo { public_key: self.service.public_key(), signer_public_key: backup_key(&account(LOST)) }
    }

    /// The node's view of its backup service: the one authority both transports ask.
    fn node_authority(&self) -> RegisteredBackupService {
        RegisteredBackupService::new(self.client(node_key(&account(LOST))), account(LOST).parse().unwrap())
    }

    fn switch_to_hard(&self) {
        self.contract.with_harness(|h| switch_to_hard(h, 4));
    }

    /// The service re-attests (its own key) with a development attestation of its keys.
    async fn reattest(&self) {
        let attestation = dev_attestation(&self.info());
        self.client(backup_key(&account(LOST))).reattest_backup_service(&attestation).await.unwrap();
    }

    fn expire(&self) {
        self.contract.with_harness(|h| h.advance_time_ns((DEV_ATTESTATION_TTL_SECONDS + 1) * 1_000_000_000));
    }
}

fn not_attested(result: Result<Option<mpc_interface::keys::Ed25519PublicKey>, AuthorityError>) -> String {
    match result {
        Err(AuthorityError::NotAttested { account, reason }) => {
            assert_eq!(account, account_id());
            reason
        }
        other => panic!("expected the node to refuse an unattested service, got {other:?}"),
    }
}

fn account_id() -> AccountId {
    account(LOST).parse().unwrap()
}

#[tokio::test]
async fn registered_backup_service__should_require_a_valid_attestation_only_in_hard_mode() {
    let hard = Hard::new().await;
    let node = hard.node_authority();
    assert_eq!(node.expected_peer_key().await.unwrap(), Some(hard.service.public_key()), "Soft mode: unchanged");

    hard.switch_to_hard();
    let reason = not_attested(node.expected_peer_key().await);
    assert!(reason.contains("no accepted attestation"), "{reason}");

    hard.reattest().await;
    assert_eq!(node.expected_peer_key().await.unwrap(), Some(hard.service.public_key()));

    hard.expire();
    let reason = not_attested(node.expected_peer_key().await);
    assert!(reason.contains("expired") && reason.contains("re-attest"), "{reason}");

    hard.reattest().await;
    assert_eq!(node.expected_peer_key().await.unwrap(), Some(hard.service.public_key()));
    for i in 0..4 {
        if hard.node(i).allowed_measurements().await.unwrap().contains(&MEASUREMENTS) {
            hard.node(i).vote_retire_measurements(&MEASUREMENTS).await.unwrap();
        }
    }
    let reason = not_attested(node.expected_peer_key().await);
    assert!(reason.contains("retired"), "{reason}");
}

#[tokio::test]
async fn mtls_backup__should_be_refused_by_the_node_while_the_service_attestation_is_expired() {
    let hard = Hard::new().await;
    hard.switch_to_hard();
    hard.reattest().await;
    hard.expire();
    let node_id = Identity::generate();
    let node = MtlsEndpoint::new(&node_id, Party::BackupService, Arc::new(hard.node_authority()), fast_mtls()).unwrap();
    let service_sees = Arc::new(InMemoryAuthority::new(Some(node_id.public_key())));
    let service = MtlsEndpoint::new(&hard.service, Party::Node, service_sees, fast_mtls()).unwrap();
    let keyset = support::keyset(0);
    let shares = shares_for(&keyset);
    let backup = || async {
        let (listener, addr) = listener().await;
        let both = async { tokio::join!(node.serve_backup(&listener, &shares), service.fetch_backup(addr, &keyset)) };
        tokio::time::timeout(Duration::from_secs(20), both).await.expect("the transfer ends either way")
    };

    let (served, fetched) = backup().await;
    assert!(matches!(&served, Err(MtlsError::Authority(AuthorityError::NotAttested { .. }))), "{served:?}");
    assert!(fetched.is_err(), "the service got nothing");

    hard.reattest().await;
    let (served, fetched) = backup().await;
    assert!(served.is_ok(), "{served:?}");
    assert_eq!(fetched.unwrap(), shares);
}

#[tokio::test]
async fn web_recovery__should_be_refused_by_the_node_while_the_service_is_unattested() {
    let hard = Hard::new().await;
    hard.switch_to_hard();
    // Session keys from an in-memory directory: only the node's view of the
    // service (its authority) reads the contract.
    let keys = InMemoryDirectory::new();
    let (node_keys, service_keys) = (keys.for_party(Party::Node), keys.for_party(Party::BackupService));
    let node = WebNode::new(Arc::new(hard.node_authority()), Arc::new(node_keys), WebConfig::default());
    let (listener, addr) = listener().await;
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let service = BackupServiceClient::new(addr, hard.service.clone(), Arc::new(service_keys), WebConfig::default());
    let keyset = support::keyset(0);
    let shares = shares_for(&keyset);
    let session = Session { kind: SessionKind::Recovery, epoch_id: keyset.epoch_id, nonce: 1 };
    let handle = node.begin_recovery(session, keyset.clone()).await.unwrap();

    match service.deliver_recovery(session, &shares).await {
        Err(WebError::Refused { status, message }) => {
            assert_eq!(status, 403);
            assert!(message.contains("is not attested") && message.contains("no accepted attestation"), "{message}");
        }
        other => panic!("expected the node to refuse, got {other:?}"),
    }

    hard.reattest().await;
    let (ack, received) = tokio::join!(service.deliver_recovery(session, &shares), handle.wait());
    assert_eq!(ack.unwrap().epoch_id, keyset.epoch_id);
    assert_eq!(received.unwrap(), shares);
}
