//! Every change method's argument type serialises to exactly the parameter
//! names of the contract's `#[near]` function (read from contract/src/api, the
//! truth), and refuses a field the contract does not take. A borsh method's
//! fields are also in the order of the parameters (a borsh tuple has no names).

#![allow(non_snake_case)]

use mpc_interface::args::*;
use mpc_interface::attestation::HexArray;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use mpc_interface::launch::{Attestation, DevAttestation, LaunchMode, LaunchVote, Measurements};
use mpc_interface::methods::{self, Args, Kind, Method};
use mpc_interface::primitives::*;
use mpc_interface::recovery::{BackupServiceInfo, Session, SessionKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Method name -> parameter names in declaration order, for every `pub fn` in
/// contract/src/api/*.rs (the receiver `self` left out).
fn contract_parameters() -> BTreeMap<String, Vec<String>> {
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract/src/api");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&api).expect("contract/src/api is next to interface/") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue; // e.g. api/tests/: the entry points are the files of api/ itself
        }
        let source = std::fs::read_to_string(path).unwrap();
        for (_, rest) in source.match_indices("pub fn ").map(|(i, _)| source.split_at(i + "pub fn ".len())) {
            let (name, rest) = rest.split_once('(').expect("a parameter list");
            found.insert(name.trim().to_owned(), parameter_names(rest));
        }
    }
    found
}

/// The names in a parameter list that starts right after its `(`, in order
/// (an attribute such as `#[serializer(borsh)]` left out).
fn parameter_names(list: &str) -> Vec<String> {
    let (mut depth, mut current, mut params) = (0, String::new(), Vec::new());
    for c in list.chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' if depth == 0 => break,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => {
                params.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    params.push(current);
    params
        .iter()
        .filter_map(|p| p.split_once(':').map(|(name, _)| name.split_whitespace().last().unwrap_or("").to_owned()))
        .filter(|name| !name.is_empty())
        .collect()
}

fn key_event() -> KeyEventId {
    KeyEventId { epoch_id: EpochId(3), domain_id: DomainId(1) }
}

fn info() -> ParticipantInfo {
    ParticipantInfo { url: "https://node.example:443".into(), tls_public_key: Ed25519PublicKey([1; 32]) }
}

fn parameters() -> ThresholdParameters {
    let participant = Participant { account_id: "a.near".parse().unwrap(), id: ParticipantId(0), info: info() };
    ThresholdParameters { participants: vec![participant], threshold: 2 }
}

fn keyset() -> Keyset {
    let public_key = DomainPublicKey::Ed25519(Ed25519PublicKey([2; 32]));
    Keyset { epoch_id: EpochId(3), domains: vec![KeyForDomain { domain_id: DomainId(0), public_key }] }
}

fn measurements() -> Measurements {
    let m = HexArray([9; 48]);
    Measurements { mrtd: m, rtmr0: m, rtmr1: m, rtmr2: m, rtmr3: m }
}

fn dev_attestation() -> Attestation {
    Attestation::Dev(DevAttestation { measurements: measurements(), report_data: HexArray([3; 64]) })
}

fn sample<A: ChangeArgs>(args: A) -> (&'static str, Value) {
    (A::METHOD, serde_json::to_value(args).unwrap())
}

/// Each argument type's method and its fields in declaration order.
fn fields<A: ChangeArgs>(_: A) -> (&'static str, &'static [&'static str]) {
    (A::METHOD, A::FIELDS)
}

/// One filled-in value of every argument type, with its method.
fn samples() -> Vec<(&'static str, Value)> {
    let domains = vec![DomainConfig { id: DomainId(0), scheme: SignatureScheme::Ed25519 }];
    let key = DomainPublicKey::Ed25519(Ed25519PublicKey([4; 32]));
    let access = AccessPublicKey::Ed25519(Ed25519PublicKey([5; 32]));
    let session = Session { kind: SessionKind::Recovery, epoch_id: EpochId(3), nonce: 7 };
    vec![
        sample(InitArgs {
            parameters: parameters(),
            domains: domains.clone(),
            tee_verifier: Some("verifier.near".parse().unwrap()),
            allow_dev_attestation: Some(true),
        }),
        sample(InitRunningArgs { parameters: parameters(), domains, keyset: keyset() }),
        sample(MigrateArgs { tee_verifier: Some("verifier.near".parse().unwrap()) }),
        sample(VotePkArgs { key_event_id: key_event(), public_key: key, verifying_shares: vec![key] }),
        sample(VoteNewParametersArgs { epoch_id: EpochId(4), proposal: parameters() }),
        sample(VoteResharedArgs { key_event_id: key_event(), verifying_shares: vec![key] }),
        sample(VoteCancelResharingArgs {}),
        sample(SubmitParticipantInfoArgs { info: info() }),
        sample(SubmitParticipantRecoveryInfoArgs { info: info(), node_public_key: Some(access) }),
        sample(ApproveRecoveryArgs { tls_public_key: Ed25519PublicKey([6; 32]) }),
        sample(RegisterBackupServiceArgs {
            info: BackupServiceInfo { public_key: Ed25519PublicKey([7; 32]), signer_public_key: access },
            attestation: Some(dev_attestation()),
        }),
        sample(ReattestBackupServiceArgs { attestation: dev_attestation() }),
        sample(VoteLaunchArgs { vote: LaunchVote::Mode(LaunchMode::Hard) }),
        sample(PublishBackupEphemeralKeyArgs { session, public_key: X25519PublicKey([8; 32]) }),
        sample(ConfirmRecoveryDeliveryArgs { keyset: keyset() }),
        sample(ConcludeRecoveryArgs { keyset: keyset() }),
        sample(CancelRecoveryArgs {}),
        sample(WithdrawCandidateInfoArgs {}),
        sample(StorageDepositArgs { account_id: Some("b.near".parse().unwrap()), registration_only: Some(true) }),
        sample(StorageWithdrawArgs { amount: Some(10u128.pow(24)) }),
        sample(StorageUnregisterArgs { force: Some(false) }),
    ]
}

/// The table's methods that `keep` keeps, but the verifier's callback: the
/// contract calls it itself (with borsh), never a client.
fn client_methods(keep: impl Fn(&Method) -> bool) -> BTreeSet<&'static str> {
    methods::ALL.iter().filter(|m| m.name != methods::ON_ATTESTATION_VERIFIED && keep(m)).map(|m| m.name).collect()
}

#[test]
fn parameter_names__should_read_a_signature_with_generics_and_a_receiver() {
    let names = parameter_names("&mut self, b: Vec<(u8, u8)>, #[serializer(borsh)] a: Option<[u8; 2]>) -> R {");
    assert_eq!(names, vec!["b".to_owned(), "a".to_owned()]);
    assert!(parameter_names(") -> R {").is_empty());
}

#[test]
fn change_args__should_exist_once_for_every_change_method() {
    let typed: Vec<_> = samples().into_iter().map(|(method, _)| method).collect();
    let unique: BTreeSet<_> = typed.iter().copied().collect();
    assert_eq!(unique.len(), typed.len(), "a method has two argument types");
    let changes = client_methods(|m| m.kind == Kind::Change);
    assert_eq!(unique, changes, "every change method of the table needs one argument type in args.rs");
}

#[test]
fn change_args__should_serialise_to_exactly_the_contracts_parameter_names() {
    let contract = contract_parameters();
    for (method, json) in samples() {
        let expected = contract.get(method).unwrap_or_else(|| panic!("the contract has no `pub fn {method}`"));
        let expected: BTreeSet<String> = expected.iter().cloned().collect();
        let sent: BTreeSet<String> = json.as_object().expect("an object").keys().cloned().collect();
        assert_eq!(sent, expected, "{method}: the JSON a client sends against the contract's parameters");
    }
}

#[test]
fn borsh_change_args__should_declare_their_fields_in_the_contracts_parameter_order() {
    let contract = contract_parameters();
    let key = DomainPublicKey::Ed25519(Ed25519PublicKey([4; 32]));
    let session = Session { kind: SessionKind::Recovery, epoch_id: EpochId(3), nonce: 7 };
    let borsh = [
        fields(VotePkArgs { key_event_id: key_event(), public_key: key, verifying_shares: vec![] }),
        fields(VoteResharedArgs { key_event_id: key_event(), verifying_shares: vec![] }),
        fields(SubmitParticipantInfoArgs { info: info() }),
        fields(PublishBackupEphemeralKeyArgs { session, public_key: X25519PublicKey([8; 32]) }),
        fields(ConfirmRecoveryDeliveryArgs { keyset: keyset() }),
        fields(ConcludeRecoveryArgs { keyset: keyset() }),
    ];
    let listed: BTreeSet<_> = borsh.iter().map(|(method, _)| *method).collect();
    let table = client_methods(|m| m.args == Args::Borsh);
    assert_eq!(listed, table, "list here every method the table gives borsh arguments");
    for (method, fields) in borsh {
        let expected = contract.get(method).unwrap_or_else(|| panic!("the contract has no `pub fn {method}`"));
        assert_eq!(fields, expected.as_slice(), "{method}: a borsh tuple is read in the contract's parameter order");
    }
}

#[test]
fn borsh_change_args__should_read_back_what_they_write() {
    let args = ConfirmRecoveryDeliveryArgs { keyset: keyset() };
    let Encoded::Borsh(bytes) = args.encode() else { panic!("confirm_recovery_delivery is a borsh method") };
    assert_eq!(borsh::from_slice::<ConfirmRecoveryDeliveryArgs>(&bytes).unwrap(), args);
    let json = serde_json::to_value(&args).unwrap();
    assert_eq!(encode_json(methods::CONFIRM_RECOVERY_DELIVERY, json).unwrap(), Encoded::Borsh(bytes));
}

#[test]
fn encode_json__should_pass_json_methods_through_and_refuse_what_a_borsh_type_cannot_hold() {
    let anything = serde_json::json!({"tls_public_key": "not a key", "extra": 1});
    assert_eq!(encode_json(methods::APPROVE_RECOVERY, anything.clone()).unwrap(), Encoded::Json(anything));
    let extra = serde_json::json!({"keyset": keyset(), "extra": 1});
    let err = encode_json(methods::CONCLUDE_RECOVERY, extra).unwrap_err();
    assert!(matches!(err, ArgsError::Json { method: methods::CONCLUDE_RECOVERY, .. }), "{err}");
    assert!(err.to_string().contains("extra"), "{err}");
    assert_eq!(encode_json("nope", Value::Null), Err(ArgsError::UnknownMethod("nope".into())));
}

#[test]
fn call_args__should_print_json_as_text_and_borsh_as_its_length() {
    assert_eq!(Encoded::Json(serde_json::json!({"a": 1})).to_string(), r#"{"a":1}"#);
    assert_eq!(Encoded::Borsh(vec![0; 41]).to_string(), "borsh, 41 bytes");
}

#[test]
fn change_args__should_read_back_what_they_write_and_refuse_an_unknown_field() {
    for (method, json) in samples() {
        let mut extra = json.clone();
        extra.as_object_mut().unwrap().insert("unexpected".into(), Value::Bool(true));
        let (back, refused) = match method {
            methods::VOTE_PK => (round_trip::<VotePkArgs>(&json), refuses::<VotePkArgs>(extra)),
            methods::STORAGE_WITHDRAW => {
                (round_trip::<StorageWithdrawArgs>(&json), refuses::<StorageWithdrawArgs>(extra))
            }
            methods::CANCEL_RECOVERY => (round_trip::<CancelRecoveryArgs>(&json), refuses::<CancelRecoveryArgs>(extra)),
            methods::SUBMIT_PARTICIPANT_RECOVERY_INFO => (
                round_trip::<SubmitParticipantRecoveryInfoArgs>(&json),
                refuses::<SubmitParticipantRecoveryInfoArgs>(extra),
            ),
            _ => continue,
        };
        assert_eq!(back, json, "{method}");
        assert!(refused, "{method} took an unknown field");
    }
}

#[test]
fn launch_vote__should_be_externally_tagged_json() {
    let hex = measurements().to_string();
    let cases = [
        (LaunchVote::Mode(LaunchMode::Hard), serde_json::json!({"Mode": "Hard"})),
        (LaunchVote::AllowMeasurements(measurements()), serde_json::json!({ "AllowMeasurements": hex })),
        (LaunchVote::RetireMeasurements(measurements()), serde_json::json!({ "RetireMeasurements": hex })),
    ];
    for (vote, json) in cases {
        assert_eq!(serde_json::to_value(vote).unwrap(), json);
        assert_eq!(serde_json::from_value::<LaunchVote>(json).unwrap(), vote);
    }
    assert!(serde_json::from_value::<LaunchVote>(serde_json::json!({"Mode": "Hard", "Other": 1})).is_err());
}

#[test]
fn storage_withdraw_args__should_write_the_amount_as_a_decimal_string() {
    let json = serde_json::to_value(StorageWithdrawArgs { amount: Some(10u128.pow(24)) }).unwrap();
    assert_eq!(json, serde_json::json!({ "amount": "1000000000000000000000000" }));
    let all = serde_json::to_value(StorageWithdrawArgs { amount: None }).unwrap();
    assert_eq!(all, serde_json::json!({ "amount": null }));
    assert_eq!(serde_json::from_value::<StorageWithdrawArgs>(serde_json::json!({})).unwrap().amount, None);
}

fn round_trip<A: ChangeArgs + serde::de::DeserializeOwned>(json: &Value) -> Value {
    serde_json::to_value(serde_json::from_value::<A>(json.clone()).unwrap()).unwrap()
}

fn refuses<A: serde::de::DeserializeOwned>(json: Value) -> bool {
    serde_json::from_value::<A>(json).is_err()
}
