#![allow(non_snake_case)]
//! The typed methods of `MpcContractApi` against a client that records what
//! reaches `call_raw`: one typed method per change method of the table, each
//! sending the table's name and gas, the role's deposit and the argument type
//! of `mpc_interface::args`.

use async_trait::async_trait;
use contract_client::AttestationContract;
use contract_client::{CallOutcome, ClientError, ContractClient, MpcContractApi, Signer};
use mpc_interface::args::*;
use mpc_interface::attestation::HexArray;
use mpc_interface::constants::{Gas, ONE_YOCTO};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use mpc_interface::launch::{Attestation, DevAttestation, LaunchMode, LaunchVote, Measurements};
use mpc_interface::methods::{self, Args, Kind, Role};
use mpc_interface::primitives::*;
use mpc_interface::recovery::{BackupServiceInfo, Session, SessionKind};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Mutex;

#[derive(Clone, Debug)]
struct Sent {
    method: String,
    args: Encoded,
    deposit: u128,
    gas: Gas,
}

/// Records every call and view; answers each call with success.
struct Recorder {
    signer: Signer,
    sent: Mutex<Vec<Sent>>,
}

impl Recorder {
    fn new() -> Self {
        let public_key = AccessPublicKey::Ed25519(Ed25519PublicKey([9; 32]));
        Self { signer: Signer { account_id: "op.near".parse().unwrap(), public_key }, sent: Mutex::default() }
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn last(&self) -> Sent {
        self.sent().pop().expect("a call reached the client")
    }
}

#[async_trait]
impl ContractClient for Recorder {
    fn signer(&self) -> &Signer {
        &self.signer
    }
    async fn view_raw(&self, method: &str, _: Value) -> Result<Vec<u8>, ClientError> {
        Err(ClientError::contract(method, "the recorder has no views"))
    }
    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        self.sent.lock().unwrap().push(Sent { method: method.to_owned(), args, deposit, gas });
        Ok(CallOutcome::default())
    }
}

fn info() -> ParticipantInfo {
    ParticipantInfo { url: "https://n.example".into(), tls_public_key: Ed25519PublicKey([1; 32]) }
}

/// The recorder checks no contract rule: empty sets will do.
fn parameters() -> ThresholdParameters {
    ThresholdParameters { participants: vec![], threshold: 2 }
}

fn keyset() -> Keyset {
    Keyset { epoch_id: EpochId(3), domains: vec![] }
}

fn access_key() -> AccessPublicKey {
    AccessPublicKey::Ed25519(Ed25519PublicKey([5; 32]))
}

const STORAGE: u128 = 5 * 10u128.pow(22);

fn measurements() -> Measurements {
    let m = HexArray([9; 48]);
    Measurements { mrtd: m, rtmr0: m, rtmr1: m, rtmr2: m, rtmr3: m }
}

fn dev_attestation() -> Attestation {
    Attestation::Dev(DevAttestation { measurements: measurements(), report_data: HexArray([3; 64]) })
}

/// Calls every typed change method once, each in a role the table allows.
async fn call_every_change_method(c: &Recorder) {
    let domains = [DomainConfig { id: DomainId(0), scheme: SignatureScheme::Ed25519 }];
    let event = KeyEventId { epoch_id: EpochId(0), domain_id: DomainId(0) };
    let key = DomainPublicKey::Ed25519(Ed25519PublicKey([4; 32]));
    let session = Session { kind: SessionKind::Recovery, epoch_id: EpochId(3), nonce: 7 };
    let service = BackupServiceInfo { public_key: Ed25519PublicKey([7; 32]), signer_public_key: access_key() };
    c.init(&parameters(), &domains, Some(&"verifier.near".parse().unwrap()), true).await.unwrap();
    c.init_running(&parameters(), &domains, &keyset()).await.unwrap();
    c.migrate(None).await.unwrap();
    c.vote_pk(event, &key, &[key, key]).await.unwrap();
    c.vote_new_parameters(EpochId(1), &parameters()).await.unwrap();
    c.vote_reshared(event, &[key]).await.unwrap();
    c.vote_cancel_resharing().await.unwrap();
    c.submit_participant_info(&info()).await.unwrap();
    c.submit_participant_recovery_info(Role::Operator, &info(), Some(access_key())).await.unwrap();
    c.approve_recovery(&Ed25519PublicKey([6; 32])).await.unwrap();
    c.register_backup_service(&service, Some(&dev_attestation())).await.unwrap();
    c.reattest_backup_service(&dev_attestation()).await.unwrap();
    c.vote_launch(LaunchVote::Mode(LaunchMode::Hard)).await.unwrap();
    c.publish_backup_ephemeral_key(Role::BackupService, session, X25519PublicKey([8; 32])).await.unwrap();
    c.confirm_recovery_delivery(&keyset()).await.unwrap();
    c.conclude_recovery(&keyset()).await.unwrap();
    c.cancel_recovery(Role::Node).await.unwrap();
    c.withdraw_candidate_info(Role::Operator).await.unwrap();
    c.storage_deposit(None, Some(true), STORAGE).await.unwrap();
    c.storage_withdraw(Some(3)).await.unwrap();
    c.storage_unregister(Some(true)).await.unwrap();
}

#[tokio::test]
async fn typed_calls__should_cover_every_change_method_of_the_table_once() {
    let client = Recorder::new();
    call_every_change_method(&client).await;
    let called: Vec<String> = client.sent().into_iter().map(|s| s.method).collect();
    let unique: BTreeSet<&str> = called.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), called.len(), "one typed method per change method: {called:?}");
    // The verifier's callback is called by the contract itself, never by a client.
    let table: BTreeSet<&str> = methods::ALL
        .iter()
        .filter(|m| m.kind == Kind::Change && m.name != methods::ON_ATTESTATION_VERIFIED)
        .map(|m| m.name)
        .collect();
    assert_eq!(unique, table, "add a typed method to MpcContractApi (and a line above) for each new change method");
}

#[tokio::test]
async fn typed_calls__should_send_the_tables_gas_and_the_roles_deposit() {
    let client = Recorder::new();
    call_every_change_method(&client).await;
    for sent in client.sent() {
        let spec = methods::by_name(&sent.method).unwrap();
        assert_eq!(sent.gas, spec.gas, "{}", sent.method);
        let expected = match sent.method.as_str() {
            methods::STORAGE_DEPOSIT => STORAGE,
            methods::SUBMIT_PARTICIPANT_RECOVERY_INFO | methods::WITHDRAW_CANDIDATE_INFO => ONE_YOCTO,
            _ if spec.roles.contains(&Role::Operator) && spec.roles.len() == 1 => ONE_YOCTO,
            _ => 0,
        };
        assert_eq!(sent.deposit, expected, "{}", sent.method);
    }
}

#[tokio::test]
async fn typed_calls__should_send_the_arguments_as_their_interface_type() {
    let client = Recorder::new();
    let event = KeyEventId { epoch_id: EpochId(2), domain_id: DomainId(1) };
    let key = DomainPublicKey::Ed25519(Ed25519PublicKey([4; 32]));
    client.vote_pk(event, &key, &[key]).await.unwrap();
    let Encoded::Borsh(bytes) = client.last().args else { panic!("vote_pk sends borsh") };
    let sent: VotePkArgs = borsh::from_slice(&bytes).unwrap();
    assert_eq!(sent, VotePkArgs { key_event_id: event, public_key: key, verifying_shares: vec![key] });

    client.submit_participant_recovery_info(Role::Node, &info(), None).await.unwrap();
    let sent = client.last();
    assert_eq!(sent.deposit, 0, "a node's function-call key attaches nothing");
    let Encoded::Json(json) = sent.args else { panic!("submit_participant_recovery_info sends JSON") };
    let sent: SubmitParticipantRecoveryInfoArgs = serde_json::from_value(json).unwrap();
    assert_eq!(sent, SubmitParticipantRecoveryInfoArgs { info: info(), node_public_key: None });

    client.storage_withdraw(None).await.unwrap();
    assert_eq!(client.last().args, Encoded::Json(serde_json::json!({ "amount": null })));
}

#[tokio::test]
async fn typed_calls__should_encode_each_methods_arguments_as_the_table_says() {
    let client = Recorder::new();
    call_every_change_method(&client).await;
    let mut borsh = BTreeSet::new();
    for sent in client.sent() {
        let spec = methods::by_name(&sent.method).unwrap();
        assert_eq!(sent.args.encoding(), spec.args, "{}", sent.method);
        if spec.args == Args::Borsh {
            borsh.insert(sent.method);
        }
    }
    let expected = [
        methods::VOTE_PK,
        methods::VOTE_RESHARED,
        methods::SUBMIT_PARTICIPANT_INFO,
        methods::PUBLISH_BACKUP_EPHEMERAL_KEY,
        methods::CONFIRM_RECOVERY_DELIVERY,
        methods::CONCLUDE_RECOVERY,
    ];
    assert_eq!(borsh, expected.into_iter().map(str::to_owned).collect(), "the calls only software sends");
}

#[tokio::test]
async fn launch_votes__should_each_send_vote_launch_with_their_kind() {
    let client = Recorder::new();
    client.vote_launch_mode(LaunchMode::Hard).await.unwrap();
    client.vote_add_measurements(&measurements()).await.unwrap();
    client.vote_retire_measurements(&measurements()).await.unwrap();
    let hex = measurements().to_string();
    let expected = [
        serde_json::json!({"vote": {"Mode": "Hard"}}),
        serde_json::json!({"vote": {"AllowMeasurements": hex}}),
        serde_json::json!({"vote": {"RetireMeasurements": hex}}),
    ];
    let sent = client.sent();
    assert!(sent.iter().all(|s| s.method == methods::VOTE_LAUNCH && s.deposit == 0));
    let args: Vec<_> = sent.into_iter().map(|s| s.args).collect();
    assert_eq!(args, expected.map(Encoded::Json).to_vec());
}

#[tokio::test]
async fn typed_calls__should_refuse_a_role_the_table_does_not_allow_and_send_nothing() {
    let client = Recorder::new();
    let err = client.cancel_recovery(Role::BackupService).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Role { method, role: Role::BackupService } if method == methods::CANCEL_RECOVERY),
        "{err:?}"
    );
    assert!(err.to_string().contains("cancel_recovery"), "{err}");
    assert!(!err.is_retryable());
    let session = Session { kind: SessionKind::Backup, epoch_id: EpochId(0), nonce: 1 };
    let err = client.publish_backup_ephemeral_key(Role::Operator, session, X25519PublicKey([1; 32])).await;
    assert!(matches!(err, Err(ClientError::Role { role: Role::Operator, .. })), "{err:?}");
    assert!(client.sent().is_empty(), "a refused role must not reach the chain");
}
