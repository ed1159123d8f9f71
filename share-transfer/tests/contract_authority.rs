#![allow(non_snake_case)]
//! The contract-backed authorities against the real contract wasm, run
//! in-process: registrations, recoveries and published keys are made with
//! real contract calls, and the authorities see them on their next query.

use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, MpcContractApi, Signer};
use contract_tests::in_process::InProcessContract;
use contract_tests::scenario::{
    account, backup_identity, backup_info, backup_key, info, keyset, new_node_key, node_key, operator_key, tls_key,
    OutcomeExt, TestNetwork,
};
use contract_tests::wasm::contract_wasm;
use mpc_interface::constants::Gas;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use mpc_interface::methods::{Role, SUBMIT_PARTICIPANT_INFO};
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{BackupServiceInfo, RecoveryStatus};
use mpc_interface::AccountId;
use serde_json::json;
use share_transfer::contract::{ContractDirectory, NodeForBackup, RecoveringNode, RegisteredBackupService};
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint, MtlsError};
use share_transfer::{
    AuthorityError, DomainShare, EphemeralKeyDirectory, Identity, Party, PeerAuthority, SecretShare, Session,
    SessionKind, SharesPayload,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const LOST: usize = 1;

struct Setup {
    contract: InProcessContract,
}

impl Setup {
    /// Running with 4 participants, each node's key recorded by a refresh.
    fn new() -> Self {
        let mut net = TestNetwork::running(contract_wasm(), 4);
        for i in 0..4 {
            net.node_call(&account(i), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(i), 0)})).expect_ok();
        }
        Self { contract: net.into_contract() }
    }

    fn client(&self, i: usize, key: AccessPublicKey) -> Arc<dyn ContractClient> {
        Arc::new(self.contract.client(&account(i), key))
    }

    fn node(&self, i: usize) -> Arc<dyn ContractClient> {
        self.client(i, node_key(&account(i)))
    }
    fn new_node(&self, i: usize) -> Arc<dyn ContractClient> {
        self.client(i, new_node_key(&account(i)))
    }
    fn operator(&self, i: usize) -> Arc<dyn ContractClient> {
        self.client(i, operator_key(&account(i)))
    }
    fn backup(&self, i: usize) -> Arc<dyn ContractClient> {
        self.client(i, backup_key(&account(i)))
    }

    async fn register(&self, i: usize, info: BackupServiceInfo) {
        self.operator(i).register_backup_service(&info, None).await.unwrap();
    }

    /// The lost node's new machine enters Recovery with its node key (pending approval).
    async fn enter_recovery(&self) {
        self.new_node(LOST).submit_participant_recovery_info(Role::Node, &info(&account(LOST), 1), None).await.unwrap();
    }

    async fn approve(&self) {
        self.operator(LOST).approve_recovery(&tls_key(&account(LOST), 1)).await.unwrap();
    }

    async fn status(&self) -> Option<RecoveryStatus> {
        self.node(0).recovery().await.unwrap().map(|r| r.status)
    }
}

fn id(i: usize) -> AccountId {
    account(i).parse().unwrap()
}

fn session(nonce: u64) -> Session {
    Session { kind: SessionKind::Backup, epoch_id: EpochId(0), nonce }
}

#[tokio::test]
async fn registered_backup_service__should_follow_the_operators_registration() {
    let setup = Setup::new();
    let authority = RegisteredBackupService::new(setup.node(LOST), id(LOST));
    assert_eq!(authority.expected_peer_key().await.unwrap(), None, "nothing registered yet");

    setup.register(LOST, backup_info(&account(LOST))).await;
    assert_eq!(authority.expected_peer_key().await.unwrap(), Some(backup_identity(&account(LOST))));

    // A new registration replaces the old one, and the node sees it at once.
    let rotated =
        BackupServiceInfo { public_key: Ed25519PublicKey([0x5a; 32]), signer_public_key: backup_key(&account(LOST)) };
    setup.register(LOST, rotated).await;
    assert_eq!(authority.expected_peer_key().await.unwrap(), Some(Ed25519PublicKey([0x5a; 32])));

    // Another operator's registration is not this node's backup service.
    setup.register(2, backup_info(&account(2))).await;
    assert_eq!(authority.expected_peer_key().await.unwrap(), Some(Ed25519PublicKey([0x5a; 32])));
    let unregistered = RegisteredBackupService::new(setup.node(0), id(3));
    assert_eq!(unregistered.expected_peer_key().await.unwrap(), None);
}

#[tokio::test]
async fn node_for_backup__should_expect_the_participant_key_and_none_while_the_account_recovers() {
    let setup = Setup::new();
    let lost = NodeForBackup::new(setup.backup(LOST), id(LOST));
    let other = NodeForBackup::new(setup.backup(2), id(2));
    assert_eq!(lost.expected_peer_key().await.unwrap(), Some(tls_key(&account(LOST), 0)));
    let stranger = NodeForBackup::new(setup.node(0), "stranger.near".parse().unwrap());
    assert_eq!(stranger.expected_peer_key().await.unwrap(), None, "not a participant");

    setup.enter_recovery().await;
    assert_eq!(lost.expected_peer_key().await.unwrap(), None, "the account is moving machines");
    assert_eq!(other.expected_peer_key().await.unwrap(), Some(tls_key(&account(2), 0)), "others are unaffected");
    setup.approve().await;
    assert_eq!(lost.expected_peer_key().await.unwrap(), None, "backups do not go to the recovering machine either");
}

#[tokio::test]
async fn recovering_node__should_expect_the_new_key_only_once_the_recovery_is_approved() {
    let setup = Setup::new();
    setup.register(LOST, backup_info(&account(LOST))).await;
    let recovering = RecoveringNode::new(setup.backup(LOST), id(LOST));
    let other = RecoveringNode::new(setup.backup(2), id(2));
    assert_eq!(recovering.expected_peer_key().await.unwrap(), None, "no recovery open");

    setup.enter_recovery().await;
    assert_eq!(setup.status().await, Some(RecoveryStatus::PendingApproval));
    assert_eq!(recovering.expected_peer_key().await.unwrap(), None, "no share moves before approval");

    setup.approve().await;
    assert_eq!(setup.status().await, Some(RecoveryStatus::Approved));
    assert_eq!(recovering.expected_peer_key().await.unwrap(), Some(tls_key(&account(LOST), 1)));
    assert_eq!(other.expected_peer_key().await.unwrap(), None, "another account's recovery");

    setup.backup(LOST).confirm_recovery_delivery(&keyset(0)).await.unwrap();
    assert_eq!(setup.status().await, Some(RecoveryStatus::Delivered));
    assert_eq!(recovering.expected_peer_key().await.unwrap(), Some(tls_key(&account(LOST), 1)), "a retried delivery");

    setup.new_node(LOST).conclude_recovery(&keyset(0)).await.unwrap();
    assert_eq!(recovering.expected_peer_key().await.unwrap(), None, "the recovery is over");
    let backup = NodeForBackup::new(setup.backup(LOST), id(LOST));
    assert_eq!(
        backup.expected_peer_key().await.unwrap(),
        Some(tls_key(&account(LOST), 1)),
        "the new machine is the participant"
    );
}

#[tokio::test]
async fn contract_directory__should_publish_on_chain_and_read_the_peers_key_for_that_session_only() {
    let setup = Setup::new();
    setup.register(LOST, backup_info(&account(LOST))).await;
    let node = ContractDirectory::new(setup.node(LOST), Party::Node);
    let service = ContractDirectory::new(setup.backup(LOST), Party::BackupService);
    assert_eq!(node.account(), &id(LOST));

    node.publish_my_key(session(1), X25519PublicKey([1; 32])).await.unwrap();
    assert_eq!(service.peer_key(session(1)).await.unwrap(), Some(X25519PublicKey([1; 32])));
    assert_eq!(node.peer_key(session(1)).await.unwrap(), None, "the backup service has not published yet");

    service.publish_my_key(session(1), X25519PublicKey([2; 32])).await.unwrap();
    assert_eq!(node.peer_key(session(1)).await.unwrap(), Some(X25519PublicKey([2; 32])));
    let on_chain = setup.node(0).ephemeral_keys(&id(LOST)).await.unwrap();
    assert_eq!(on_chain.node.unwrap().public_key, X25519PublicKey([1; 32]));
    assert_eq!(on_chain.backup_service.unwrap().public_key, X25519PublicKey([2; 32]));

    // A key published for one session is never handed out for another.
    assert_eq!(node.peer_key(session(2)).await.unwrap(), None);
    assert_eq!(service.peer_key(Session { kind: SessionKind::Recovery, ..session(1) }).await.unwrap(), None);
    node.publish_my_key(session(2), X25519PublicKey([3; 32])).await.unwrap();
    assert_eq!(service.peer_key(session(1)).await.unwrap(), None, "replaced by the newer session");
    assert_eq!(service.peer_key(session(2)).await.unwrap(), Some(X25519PublicKey([3; 32])));
}

#[tokio::test]
async fn contract_directory__should_report_the_contracts_refusal_of_a_stale_session() {
    let setup = Setup::new();
    let node = ContractDirectory::new(setup.node(LOST), Party::Node);
    node.publish_my_key(session(5), X25519PublicKey([1; 32])).await.unwrap();
    let err = node.publish_my_key(session(4), X25519PublicKey([2; 32])).await.unwrap_err();
    match err {
        AuthorityError::PublishFailed { session: s, reason } => {
            assert_eq!(s, session(4));
            assert!(reason.contains("publish_backup_ephemeral_key"), "{reason}");
        }
        other => panic!("expected PublishFailed, got {other:?}"),
    }
    assert_eq!(
        ContractDirectory::new(setup.backup(LOST), Party::BackupService).peer_key(session(5)).await.unwrap(),
        Some(X25519PublicKey([1; 32]))
    );
}

#[tokio::test]
async fn contract_directory__should_refuse_to_publish_as_a_party_its_key_does_not_make_it() {
    let setup = Setup::new();
    // No backup service registered: nobody can publish as one.
    let unregistered = ContractDirectory::new(setup.backup(LOST), Party::BackupService);
    let err = unregistered.publish_my_key(session(1), X25519PublicKey([1; 32])).await.unwrap_err();
    assert!(err.to_string().contains("no registered backup service"), "{err}");

    setup.register(LOST, backup_info(&account(LOST))).await;
    // The node's key would be filed as the node's, not the backup service's.
    let impostor = ContractDirectory::new(setup.node(LOST), Party::BackupService);
    let err = impostor.publish_my_key(session(1), X25519PublicKey([1; 32])).await.unwrap_err();
    assert!(err.to_string().contains("registered backup service signs with"), "{err}");
    // And the backup service's key would be filed as the backup service's.
    let confused = ContractDirectory::new(setup.backup(LOST), Party::Node);
    let err = confused.publish_my_key(session(1), X25519PublicKey([1; 32])).await.unwrap_err();
    assert!(err.to_string().contains("would file the key as the backup service's"), "{err}");

    let keys = setup.node(0).ephemeral_keys(&id(LOST)).await.unwrap();
    assert_eq!((keys.node, keys.backup_service), (None, None), "nothing was published");
}

#[tokio::test]
async fn contract_directory__should_refuse_to_publish_as_the_node_from_a_key_that_is_not_the_node_key() {
    let setup = Setup::new();
    setup.register(LOST, backup_info(&account(LOST))).await;
    // Another key of the account (the replacement machine's, before a recovery names it) is not the node.
    let replacement = ContractDirectory::new(setup.new_node(LOST), Party::Node);
    let err = replacement.publish_my_key(session(1), X25519PublicKey([1; 32])).await.unwrap_err();
    let expected = format!("only from {}", node_key(&account(LOST)));
    assert!(err.to_string().contains(&expected), "{err}");
    let keys = setup.node(0).ephemeral_keys(&id(LOST)).await.unwrap();
    assert_eq!(keys.node, None, "nothing was published");

    // A recovery session's node side is the recovery's new node key only.
    setup.enter_recovery().await;
    setup.approve().await;
    let recovery = Session { kind: SessionKind::Recovery, ..session(1) };
    let err = ContractDirectory::new(setup.node(LOST), Party::Node)
        .publish_my_key(recovery, X25519PublicKey([2; 32]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&format!("only from {}", new_node_key(&account(LOST)))), "{err}");
    replacement.publish_my_key(recovery, X25519PublicKey([3; 32])).await.unwrap();
    let keys = setup.node(0).ephemeral_keys(&id(LOST)).await.unwrap();
    assert_eq!(keys.node.map(|k| k.public_key), Some(X25519PublicKey([3; 32])));
}

/// A contract that cannot be reached.
struct Unreachable(Signer);

#[async_trait]
impl ContractClient for Unreachable {
    fn signer(&self) -> &Signer {
        &self.0
    }
    async fn view_raw(&self, _: &str, _: serde_json::Value) -> Result<Vec<u8>, ClientError> {
        Err(ClientError::Rpc { endpoint: "http://127.0.0.1:9".into(), reason: "connection refused".into() })
    }
    async fn call_raw(
        &self,
        _: &str,
        _: mpc_interface::args::Encoded,
        _: u128,
        _: Gas,
    ) -> Result<CallOutcome, ClientError> {
        Err(ClientError::Rpc { endpoint: "http://127.0.0.1:9".into(), reason: "connection refused".into() })
    }
}

#[tokio::test]
async fn authorities__should_report_an_unreachable_contract_as_unavailable_never_as_no_key() {
    let client: Arc<dyn ContractClient> =
        Arc::new(Unreachable(Signer { account_id: id(LOST), public_key: node_key(&account(LOST)) }));
    let authorities: Vec<Box<dyn PeerAuthority>> = vec![
        Box::new(RegisteredBackupService::new(client.clone(), id(LOST))),
        Box::new(NodeForBackup::new(client.clone(), id(LOST))),
        Box::new(RecoveringNode::new(client.clone(), id(LOST))),
    ];
    for authority in authorities {
        let err = authority.expected_peer_key().await.unwrap_err();
        assert!(matches!(&err, AuthorityError::Unavailable(m) if m.contains("connection refused")), "{err:?}");
    }
    let directory = ContractDirectory::new(client, Party::Node);
    assert!(matches!(directory.peer_key(session(1)).await, Err(AuthorityError::Unavailable(_))));
    assert!(matches!(
        directory.publish_my_key(session(1), X25519PublicKey([1; 32])).await,
        Err(AuthorityError::PublishFailed { .. })
    ));
}

/// The whole chain: identities registered by real contract calls, the mTLS
/// transport asking the contract through these authorities.
#[tokio::test]
async fn mtls_recovery_with_contract_authorities__should_deliver_only_after_the_operator_approves() {
    let setup = Setup::new();
    let backup_id = Identity::generate();
    let new_machine = Identity::generate();
    setup
        .register(
            LOST,
            BackupServiceInfo { public_key: backup_id.public_key(), signer_public_key: backup_key(&account(LOST)) },
        )
        .await;
    let mut new_info = info(&account(LOST), 1);
    new_info.tls_public_key = new_machine.public_key();
    setup.new_node(LOST).submit_participant_recovery_info(Role::Node, &new_info, None).await.unwrap();

    let config = MtlsConfig {
        handshake_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(5),
        ..MtlsConfig::default()
    };
    let backup_authority = Arc::new(RecoveringNode::new(setup.backup(LOST), id(LOST)));
    let backup = MtlsEndpoint::new(&backup_id, Party::Node, backup_authority, config.clone()).unwrap();
    let node_authority = Arc::new(RegisteredBackupService::new(setup.new_node(LOST), id(LOST)));
    let node = MtlsEndpoint::new(&new_machine, Party::BackupService, node_authority, config).unwrap();

    let keyset = keyset(0);
    let shares = SharesPayload {
        epoch_id: keyset.epoch_id,
        shares: keyset
            .domains
            .iter()
            .map(|d| DomainShare {
                domain_id: d.domain_id,
                public_key: d.public_key,
                secret_share: SecretShare::new(vec![d.domain_id.0 as u8 + 1; 32]),
            })
            .collect(),
    };
    let deliver = || async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (received, delivered) = tokio::time::timeout(Duration::from_secs(20), async {
            tokio::join!(node.receive_recovery(&listener, &keyset), backup.deliver_recovery(addr, &shares))
        })
        .await
        .expect("the transfer finishes either way");
        (received, delivered)
    };

    // Pending approval: the backup service finds no machine to deliver to.
    let (received, delivered) = deliver().await;
    assert!(matches!(delivered, Err(MtlsError::PeerNotRegistered { peer: Party::Node, .. })), "{delivered:?}");
    assert!(received.is_err());

    setup.operator(LOST).approve_recovery(&new_machine.public_key()).await.unwrap();
    let (received, delivered) = deliver().await;
    assert_eq!(received.unwrap(), shares);
    assert_eq!(delivered.unwrap().peer_key, new_machine.public_key());
}
