#![allow(non_snake_case)]
//! The hard launch, executed as wasm: launch-mode and measurement votes, backup
//! services attested with development attestations and with the REAL sample
//! TDX quote (run through the verifier wasm, its answer fed to the MPC
//! contract's callback), and Hard-mode gating of share transfers.

use contract_tests::scenario::*;
use contract_tests::tdx::{verifier_at, verify, Sample, VERIFIER_ACCOUNT};
use contract_tests::wasm::contract_wasm;
use contract_tests::{ContractCall as Call, ExecutionOutcome, MockAction, PromiseResult};
use mpc_interface::attestation::{HexArray, TcbStatus, VerifiedQuote, VERIFY_QUOTE, VERIFY_QUOTE_GAS};
use mpc_interface::launch::{
    report_data_v1, AttestationKind, AttestationStatus, BackupAttestationView, DevAttestation, LaunchMode,
    Measurements, PendingAttestation, DEV_ATTESTATION_TTL_SECONDS,
};
use mpc_interface::methods::*;
use mpc_interface::recovery::{Session, SessionKind};
use serde_json::{json, Value};

const N: usize = 4;
const THRESHOLD: usize = 3;
/// The account whose backup service is attested in these tests.
const OPERATOR: usize = 1;

fn operator() -> String {
    account(OPERATOR)
}

/// Keygen done, with the launch settings `init` got.
fn network(tee_verifier: bool, allow_dev_attestation: bool) -> TestNetwork {
    let mut net = TestNetwork::deploy(contract_wasm());
    let mut args = json!({"parameters": parameters(N), "domains": domains()});
    if tee_verifier {
        args["tee_verifier"] = json!(VERIFIER_ACCOUNT);
    }
    if allow_dev_attestation {
        args["allow_dev_attestation"] = json!(true);
    }
    net.contract_call(INIT, args).expect_ok();
    net.complete_keygen(N);
    net
}

fn image(seed: u8) -> Measurements {
    Measurements::from_bytes(&[seed; 240])
}

/// `count` participants' nodes cast the same vote; returns the last outcome.
fn votes(net: &mut TestNetwork, count: usize, method: &str, args: Value) -> ExecutionOutcome {
    let mut last = None;
    for i in 0..count {
        last = Some(net.node_call(&account(i), method, args.clone()));
        last.as_ref().unwrap().expect_ok();
    }
    last.expect("at least one vote")
}

fn allow(net: &mut TestNetwork, measurements: Measurements) {
    votes(net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"AllowMeasurements": measurements}}));
}

fn go_hard(net: &mut TestNetwork) {
    votes(net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"Mode": LaunchMode::Hard}}));
}

/// A development attestation of `account`'s backup service, as its image `measurements`.
fn dev_attestation(account: &str, measurements: Measurements) -> Value {
    let report_data = report_data_v1(&backup_identity(account), &backup_key(account));
    json!({"Dev": DevAttestation { measurements, report_data }})
}

fn register(net: &mut TestNetwork, account: &str, attestation: Option<Value>) -> ExecutionOutcome {
    let mut args = json!({"info": backup_info(account)});
    if let Some(attestation) = attestation {
        args["attestation"] = attestation;
    }
    net.operator_call(account, REGISTER_BACKUP_SERVICE, args)
}

fn attestation_view(net: &TestNetwork, account: &str) -> BackupAttestationView {
    net.harness().view(BACKUP_ATTESTATION, json!({"account_id": account})).json()
}

fn status(net: &TestNetwork, account: &str) -> AttestationStatus {
    attestation_view(net, account).status
}

/// The backup service of `account` publishes a key for a backup session.
fn publish(net: &mut TestNetwork, account: &str, nonce: u64) -> ExecutionOutcome {
    let session = Session { kind: SessionKind::Backup, epoch_id: mpc_interface::primitives::EpochId(0), nonce };
    let key = mpc_interface::keys::X25519PublicKey([nonce as u8; 32]);
    let args = json!({"session": session, "public_key": key});
    net.signed_call(account, &backup_key(account), 0, PUBLISH_BACKUP_EPHEMERAL_KEY, args)
}

fn set_clock(net: &mut TestNetwork, unix_secs: u64) {
    let now = net.harness().block_timestamp();
    net.harness_mut().advance_time_ns(unix_secs * 1_000_000_000 - now);
}

fn now_secs(net: &TestNetwork) -> u64 {
    net.harness().block_timestamp() / 1_000_000_000
}

#[test]
fn vote_launch__should_switch_the_mode_to_hard_at_the_threshold_with_an_event() {
    let mut net = network(false, true);
    assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Soft"));
    for i in 0..THRESHOLD - 1 {
        let out = net.node_call(&account(i), VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}));
        assert!(out.expect_ok().events().is_empty());
        assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Soft"), "{} votes switch nothing", i + 1);
    }
    let out = net.node_call(&account(THRESHOLD - 1), VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}));
    let events = out.expect_ok().events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["standard"], "mpc");
    assert_eq!(events[0]["event"], "launch_mode_changed");
    assert_eq!(events[0]["data"]["mode"], "Hard");
    assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Hard"));
    refused(&mut net, "InvalidArgument", "the launch mode is Hard already", |net| {
        net.node_call(&account(0), VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}))
    });
    // And back to Soft, by a new threshold of votes.
    votes(&mut net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"Mode": "Soft"}}));
    assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Soft"));
}

#[test]
fn vote_launch__should_refuse_mode_hard_without_a_verifier_or_dev_attestations() {
    let mut net = network(false, false);
    refused(&mut net, "WrongState", "Hard mode needs a TEE verifier", |net| {
        net.node_call(&account(0), VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}))
    });
    let mut with_verifier = network(true, false);
    votes(&mut with_verifier, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}));
    assert_eq!(with_verifier.view_json(LAUNCH_MODE, json!({})), json!("Hard"));
}

#[test]
fn launch_votes__should_refuse_non_participants_and_the_wrong_key() {
    let mut net = network(true, false);
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |net| {
        net.node_call("stranger.near", VOTE_LAUNCH, json!({"vote": {"Mode": "Hard"}}))
    });
    // Once a node recorded its key, its votes must be signed with it.
    net.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)})).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by its node key", |net| {
        let args = json!({"vote": {"AllowMeasurements": image(1)}});
        net.signed_call(&account(0), &new_node_key(&account(0)), 0, VOTE_LAUNCH, args)
    });
    // The backup service's key cannot even reach the method: its key's method list has no vote.
    refused_by_chain(&mut net, "may not call `vote_launch`", |net| {
        let args = json!({"vote": {"AllowMeasurements": image(1)}});
        net.signed_call(&account(0), &backup_key(&account(0)), 0, VOTE_LAUNCH, args)
    });
}

#[test]
fn measurement_votes__should_allow_and_retire_by_threshold_with_events() {
    let mut net = network(true, false);
    let (a, b) = (image(1), image(2));
    let out = votes(&mut net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"AllowMeasurements": a}}));
    let event = &out.events()[0];
    assert_eq!(event["event"], "measurements_allowed");
    assert_eq!(event["data"]["measurements"], a.to_string());
    allow(&mut net, b);
    let allowed: Vec<Measurements> = net.harness().view(ALLOWED_MEASUREMENTS, json!({})).json();
    assert_eq!(allowed, vec![a, b]);
    refused(&mut net, "InvalidArgument", "are allowed already", |net| {
        net.node_call(&account(0), VOTE_LAUNCH, json!({"vote": {"AllowMeasurements": a}}))
    });

    // A retirement below the threshold retires nothing; adding and retiring never share a tally.
    for i in 0..THRESHOLD - 1 {
        net.node_call(&account(i), VOTE_LAUNCH, json!({"vote": {"RetireMeasurements": a}})).expect_ok();
    }
    let allowed: Vec<Measurements> = net.harness().view(ALLOWED_MEASUREMENTS, json!({})).json();
    assert_eq!(allowed, vec![a, b]);
    let out = net.node_call(&account(THRESHOLD - 1), VOTE_LAUNCH, json!({"vote": {"RetireMeasurements": a}}));
    assert_eq!(out.expect_ok().events()[0]["event"], "measurements_retired");
    let allowed: Vec<Measurements> = net.harness().view(ALLOWED_MEASUREMENTS, json!({})).json();
    assert_eq!(allowed, vec![b]);
    refused(&mut net, "InvalidArgument", "are not among the allowed ones", |net| {
        net.node_call(&account(0), VOTE_LAUNCH, json!({"vote": {"RetireMeasurements": a}}))
    });
    let before = net.observable();
    let short = net.node_call(&account(0), VOTE_LAUNCH, json!({"vote": {"AllowMeasurements": "00ff"}}));
    assert!(short.unwrap_err().contains("must be 240 bytes, not 2"), "{}", short.unwrap_err());
    assert!(net.observable() == before);
}

#[test]
fn vote_launch__should_refuse_an_unknown_kind_of_vote_and_change_nothing() {
    let mut net = network(true, false);
    let before = net.observable();
    for vote in [json!({"Other": "Hard"}), json!({"Mode": "Hard", "AllowMeasurements": image(1)}), json!("Hard")] {
        let out = net.node_call(&account(0), VOTE_LAUNCH, json!({ "vote": vote }));
        let err = out.unwrap_err();
        assert!(err.contains("Failed to deserialize input from JSON"), "{vote}: {err}");
    }
    assert!(net.observable() == before);
}

#[test]
fn dev_attestation__should_be_refused_without_the_init_flag() {
    let mut net = network(true, false);
    allow(&mut net, image(1));
    refused(&mut net, "AttestationRejected", "not initialised with `allow_dev_attestation`", |net| {
        register(net, &operator(), Some(dev_attestation(&operator(), image(1))))
    });
}

#[test]
fn dev_attestation__should_register_an_attested_service_with_the_flag() {
    let mut net = network(false, true);
    allow(&mut net, image(1));
    go_hard(&mut net);
    assert_eq!(status(&net, &operator()), AttestationStatus::NoBackupService);
    refused(&mut net, "InvalidArgument", "in Hard mode `register_backup_service` needs an `attestation`", |net| {
        register(net, &operator(), None)
    });
    let out = register(&mut net, &operator(), Some(dev_attestation(&operator(), image(1))));
    let events = out.expect_ok().events();
    assert_eq!(events[0]["event"], "backup_service_registered");
    assert_eq!(events[1]["event"], "backup_service_attested");
    let expires_at = now_secs(&net) + DEV_ATTESTATION_TTL_SECONDS;
    assert_eq!(events[1]["data"]["expires_at"], expires_at);
    let view = attestation_view(&net, &operator());
    assert_eq!(view.mode, LaunchMode::Hard);
    assert_eq!(view.status, AttestationStatus::Valid { expires_at });
    let record = view.attestation.unwrap();
    assert_eq!((record.kind, record.measurements, record.tcb_status), (AttestationKind::Dev, image(1), None));
    publish(&mut net, &operator(), 1).expect_ok();
}

#[test]
fn dev_attestation__should_pass_the_same_measurement_and_binding_checks() {
    let mut net = network(false, true);
    allow(&mut net, image(1));
    refused(&mut net, "AttestationRejected", "are not among those participants allowed", |net| {
        register(net, &operator(), Some(dev_attestation(&operator(), image(2))))
    });
    // An attestation binding another operator's service keys.
    refused(&mut net, "AttestationRejected", "does not bind this backup service's keys", |net| {
        register(net, &operator(), Some(dev_attestation(&account(2), image(1))))
    });
}

/// Hard mode, the operator's service attested with a dev attestation of image 1.
fn attested_network() -> TestNetwork {
    let mut net = network(false, true);
    allow(&mut net, image(1));
    register(&mut net, &operator(), Some(dev_attestation(&operator(), image(1)))).expect_ok();
    go_hard(&mut net);
    net
}

#[test]
fn publish__should_be_refused_once_the_measurements_are_retired_and_the_view_says_why() {
    let mut net = attested_network();
    publish(&mut net, &operator(), 1).expect_ok();
    votes(&mut net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"RetireMeasurements": image(1)}}));
    assert_eq!(status(&net, &operator()), AttestationStatus::MeasurementsRetired);
    refused(&mut net, "Unauthorized", "needs a valid attestation; its status is MeasurementsRetired", |net| {
        publish(net, &operator(), 2)
    });
    // The node's own key is not the service's: it still publishes.
    net.node_call(&operator(), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&operator(), 0)})).expect_ok();
    let node_session = json!({"kind": "Backup", "epoch_id": 0, "nonce": 2});
    let key = mpc_interface::keys::X25519PublicKey([9; 32]);
    let args = json!({"session": node_session, "public_key": key});
    net.node_call(&operator(), PUBLISH_BACKUP_EPHEMERAL_KEY, args).expect_ok();
}

#[test]
fn publish__should_be_refused_after_expiry_until_the_service_reattests() {
    let mut net = attested_network();
    let expires_at = now_secs(&net) + DEV_ATTESTATION_TTL_SECONDS;
    set_clock(&mut net, expires_at);
    assert_eq!(status(&net, &operator()), AttestationStatus::Expired { at: expires_at });
    refused(&mut net, "Unauthorized", &format!("its status is Expired {{ at: {expires_at} }}"), |net| {
        publish(net, &operator(), 1)
    });
    // Another key of the account cannot re-attest for the service.
    refused(&mut net, "Unauthorized", "is not the registered backup service key", |net| {
        let args = json!({"attestation": dev_attestation(&operator(), image(1))});
        net.signed_call(&operator(), &operator_key(&operator()), 0, REATTEST_BACKUP_SERVICE, args)
    });
    let args = json!({"attestation": dev_attestation(&operator(), image(1))});
    let out = net.signed_call(&operator(), &backup_key(&operator()), 0, REATTEST_BACKUP_SERVICE, args);
    assert_eq!(out.expect_ok().events()[0]["event"], "backup_service_attested");
    assert_eq!(
        status(&net, &operator()),
        AttestationStatus::Valid { expires_at: expires_at + DEV_ATTESTATION_TTL_SECONDS }
    );
    publish(&mut net, &operator(), 1).expect_ok();
}

#[test]
fn confirm_recovery_delivery__should_be_refused_without_a_valid_attestation() {
    let mut net = attested_network();
    let lost = operator();
    let entered = json!({"info": info(&lost, 1)});
    net.signed_call(&lost, &new_node_key(&lost), 0, SUBMIT_PARTICIPANT_RECOVERY_INFO, entered).expect_ok();
    net.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})).expect_ok();
    votes(&mut net, THRESHOLD, VOTE_LAUNCH, json!({"vote": {"RetireMeasurements": image(1)}}));
    let confirm = |net: &mut TestNetwork| {
        let args = json!({"keyset": keyset(0)});
        net.signed_call(&lost, &backup_key(&lost), 0, CONFIRM_RECOVERY_DELIVERY, args)
    };
    refused(&mut net, "Unauthorized", "its status is MeasurementsRetired", confirm);
    allow(&mut net, image(1));
    confirm(&mut net).expect_ok();
}

#[test]
fn soft_mode__should_need_no_attestation_and_drop_one_for_replaced_keys() {
    let mut net = network(false, true);
    allow(&mut net, image(1));
    register(&mut net, &operator(), Some(dev_attestation(&operator(), image(1)))).expect_ok();
    assert_eq!(status(&net, &operator()), AttestationStatus::NotRequired);
    assert!(attestation_view(&net, &operator()).attestation.is_some());
    // New keys without an attestation: the old one vouched for the old keys.
    let mut args = json!({"info": backup_info(&account(2))});
    args["info"]["signer_public_key"] = json!(backup_key(&operator()));
    net.operator_call(&operator(), REGISTER_BACKUP_SERVICE, args).expect_ok();
    assert!(attestation_view(&net, &operator()).attestation.is_none());
}

// ---- TDX: the verifier's answer to the REAL sample quote, fed to the callback ----

/// The verifier wasm's answer to the sample quote, at a time inside its window:
/// the borsh of a `VerifiedQuote`.
fn sample_answer(sample: &Sample) -> (Vec<u8>, VerifiedQuote) {
    let out = verify(&mut verifier_at(sample.valid_at), sample.args_json());
    (out.unwrap().to_vec(), out.borsh())
}

fn callback(net: &mut TestNetwork, pending: &PendingAttestation, result: PromiseResult) -> ExecutionOutcome {
    let call = Call::new(ON_ATTESTATION_VERIFIED).args_borsh(pending).by(CONTRACT).promise_results(vec![result]);
    net.harness_mut().call(call.gas(ATTESTATION_CALLBACK_GAS))
}

const ATTESTATION_CALLBACK_GAS: u64 = mpc_interface::launch::ATTESTATION_CALLBACK_TGAS * 1_000_000_000_000;

fn pending(account: &str) -> PendingAttestation {
    PendingAttestation { account_id: account.parse().unwrap(), service: backup_info(account), registers: true }
}

/// Hard mode with a verifier, clock inside the sample's window.
fn tdx_network(sample: &Sample) -> TestNetwork {
    let mut net = network(true, false);
    go_hard(&mut net);
    set_clock(&mut net, sample.valid_at);
    net
}

#[test]
fn callback__should_refuse_the_real_sample_quote_whose_measurements_are_not_allowed() {
    let sample = Sample::up_to_date();
    let (answer, report) = sample_answer(&sample);
    assert_eq!(report.tcb_status, TcbStatus::UpToDate);
    let mut net = tdx_network(&sample);
    refused(
        &mut net,
        "AttestationRejected",
        &format!("(MRTD {}) are not among those participants allowed", report.mrtd),
        |net| callback(net, &pending(&operator()), PromiseResult::Successful(answer.clone())),
    );
}

#[test]
fn callback__should_refuse_the_real_sample_quote_that_does_not_bind_the_service_keys() {
    let sample = Sample::up_to_date();
    let (answer, report) = sample_answer(&sample);
    let mut net = tdx_network(&sample);
    allow(&mut net, Measurements::of(&report));
    // The measurements pass now: only the binding refuses it.
    let expected = report_data_v1(&backup_identity(&operator()), &backup_key(&operator()));
    let message = format!("the report data {} does not bind this backup service's keys", report.report_data);
    refused(&mut net, "AttestationRejected", &message, |net| {
        callback(net, &pending(&operator()), PromiseResult::Successful(answer.clone()))
    });
    assert_ne!(report.report_data, expected);
    assert_eq!(status(&net, &operator()), AttestationStatus::NoBackupService);
}

#[test]
fn callback__should_refuse_a_verifier_failure_and_a_garbled_answer() {
    let sample = Sample::up_to_date();
    let mut net = tdx_network(&sample);
    refused(&mut net, "AttestationRejected", "the verifier refused the quote", |net| {
        callback(net, &pending(&operator()), PromiseResult::Failed)
    });
    let (answer, report) = sample_answer(&sample);
    let json = serde_json::to_vec(&report).unwrap();
    let mut trailing = answer.clone();
    trailing.push(0);
    // Borsh of a VerifiedQuote starts with the TCB status: 0 to 7.
    let mut unknown_status = answer.clone();
    unknown_status[0] = 8;
    for (garbled, reason) in [
        (json, "JSON, from a verifier older than this contract"),
        (answer[..answer.len() - 1].to_vec(), "not the borsh of a VerifiedQuote"),
        (trailing, "not the borsh of a VerifiedQuote"),
        (unknown_status, "not the borsh of a VerifiedQuote"),
        (Vec::new(), "not the borsh of a VerifiedQuote"),
    ] {
        let message = format!("the verifier's answer is not a verified report: {reason}");
        refused(&mut net, "AttestationRejected", &message, |net| {
            callback(net, &pending(&operator()), PromiseResult::Successful(garbled))
        });
    }
    let before = net.observable();
    let call = Call::new(ON_ATTESTATION_VERIFIED).args_borsh(&pending(&operator())).by(&operator());
    let out = net.harness_mut().call(call.promise_results(vec![PromiseResult::Failed]));
    assert!(out.unwrap_err().contains("is private"), "{}", out.unwrap_err());
    assert!(net.observable() == before);
}

/// A verifier answer for the sample's measurements whose report data binds the
/// operator's service (the one thing the real sample cannot do): the callback's
/// accepting path, with the collateral's expiry stored.
#[test]
fn callback__should_register_the_service_when_every_check_passes() {
    let sample = Sample::up_to_date();
    let (_, mut report) = sample_answer(&sample);
    report.report_data = report_data_v1(&backup_identity(&operator()), &backup_key(&operator()));
    let mut net = tdx_network(&sample);
    allow(&mut net, Measurements::of(&report));
    let answer = borsh::to_vec(&report).unwrap();
    let out = callback(&mut net, &pending(&operator()), PromiseResult::Successful(answer.clone()));
    assert_eq!(out.expect_ok().events()[1]["event"], "backup_service_attested");
    assert!(out.gas_burnt < ATTESTATION_CALLBACK_GAS / 2, "the callback burnt {} gas", out.gas_burnt);
    eprintln!("on_attestation_verified burnt {} Tgas", out.gas_burnt as f64 / 1e12);
    assert_eq!(status(&net, &operator()), AttestationStatus::Valid { expires_at: sample.expires_at });
    let record = attestation_view(&net, &operator()).attestation.unwrap();
    assert_eq!((record.kind, record.tcb_status), (AttestationKind::Tdx, Some(TcbStatus::UpToDate)));
    // A TCB status outside the policy is refused.
    report.tcb_status = TcbStatus::OutOfDate;
    refused(&mut net, "AttestationRejected", "TCB status OutOfDate is refused", |net| {
        callback(net, &pending(&operator()), PromiseResult::Successful(borsh::to_vec(&report).unwrap()))
    });
    // So is a report whose collateral expired by the callback's block.
    set_clock(&mut net, sample.expires_at);
    refused(&mut net, "AttestationRejected", &format!("the attestation expired at {}", sample.expires_at), |net| {
        callback(net, &pending(&operator()), PromiseResult::Successful(answer.clone()))
    });
}

#[test]
fn register_with_a_tdx_quote__should_call_the_verifier_then_the_callback_and_store_nothing_yet() {
    let sample = Sample::up_to_date();
    let mut net = tdx_network(&sample);
    let before = net.observable();
    let args = json!({"info": backup_info(&operator()), "attestation": {"Tdx": sample.args_json()}});
    let out = net.harness_mut().call(operator_register(serde_json::to_vec(&args).unwrap()));
    out.expect_ok();
    assert!(net.observable() == before, "nothing is stored before the callback");
    assert_eq!(out.receipts.len(), 2, "{:?}", out.receipts);
    let (verifier, own) = (&out.receipts[0], &out.receipts[1]);
    assert_eq!(verifier.receiver_id, VERIFIER_ACCOUNT);
    assert_eq!(own.receiver_id, CONTRACT);
    assert_eq!(own.depends_on, vec![verifier.index]);
    assert_eq!(out.returned_receipt, Some(own.index), "the call's result is the callback's");
    let call_of = |r: &contract_tests::CreatedReceipt| match &r.actions[..] {
        [MockAction::FunctionCallWeight { method_name, args, prepaid_gas, .. }] => {
            (String::from_utf8(method_name.clone()).unwrap(), args.clone(), prepaid_gas.as_gas())
        }
        other => panic!("expected one function call, got {other:?}"),
    };
    let (method, args, gas) = call_of(verifier);
    assert_eq!((method.as_str(), gas), (VERIFY_QUOTE, VERIFY_QUOTE_GAS.as_gas()));
    let written = serde_json::to_vec(&sample.args_json()).unwrap();
    assert!(args == written, "the quote reaches the verifier as the caller wrote it");
    let (method, args, gas) = call_of(own);
    assert_eq!((method.as_str(), gas), (ON_ATTESTATION_VERIFIED, ATTESTATION_CALLBACK_GAS));
    assert_eq!(borsh::from_slice::<PendingAttestation>(&args).unwrap(), pending(&operator()));
    assert!(out.gas_used <= by_name(REGISTER_BACKUP_SERVICE).unwrap().gas.as_gas());
    eprintln!("register_backup_service with a TDX quote burnt {} Tgas", out.gas_burnt as f64 / 1e12);
}

/// `register_backup_service` from the operator's full-access key, with raw arguments.
fn operator_register(args: Vec<u8>) -> Call {
    Call::new(REGISTER_BACKUP_SERVICE)
        .args_raw(args)
        .by(&operator())
        .signer_pk(key_bytes(&operator_key(&operator())))
        .deposit(OPERATOR_DEPOSIT)
        .gas(by_name(REGISTER_BACKUP_SERVICE).unwrap().gas.as_gas())
}

/// The verifier's argument is the caller's text, byte for byte, however it is
/// laid out; a key spelt with escapes is refused rather than misread.
#[test]
fn register_with_a_tdx_quote__should_forward_the_callers_bytes_of_the_quote() {
    let sample = Sample::up_to_date();
    let mut net = tdx_network(&sample);
    let quote = serde_json::to_string_pretty(&sample.args_json()).unwrap();
    let info = serde_json::to_string(&backup_info(&operator())).unwrap();
    let text = format!("{{ \"info\" : {info},\n \"attestation\" : {{ \"Tdx\" :\t{quote} }} }}");
    let out = net.harness_mut().call(operator_register(text.into_bytes()));
    out.expect_ok();
    let [MockAction::FunctionCallWeight { args, .. }] = &out.receipts[0].actions[..] else {
        panic!("expected the verifier's call, got {:?}", out.receipts[0].actions);
    };
    assert!(args == quote.as_bytes(), "forwarded {}", String::from_utf8_lossy(args));
    let escaped = format!(r#"{{"info": {info}, "attestation": {{"Td\u0078": {quote}}}}}"#);
    refused(&mut net, "InvalidArgument", "the TDX attestation was not found in the arguments", |net| {
        net.harness_mut().call(operator_register(escaped.into_bytes()))
    });
}

#[test]
fn register_with_a_tdx_quote__should_be_refused_without_a_verifier_or_for_a_stranger() {
    let sample = Sample::up_to_date();
    let mut net = network(false, true);
    allow(&mut net, image(1));
    refused(&mut net, "WrongState", "initialised without a `tee_verifier`", |net| {
        register(net, &operator(), Some(json!({"Tdx": sample.args_json()})))
    });
    let mut net = tdx_network(&sample);
    refused(&mut net, "Unauthorized", "stranger.near is neither a participant nor a candidate", |net| {
        let args = json!({"info": backup_info("stranger.near"), "attestation": {"Tdx": sample.args_json()}});
        net.operator_call("stranger.near", REGISTER_BACKUP_SERVICE, args)
    });
}

#[test]
fn measurements__should_match_the_sample_quote_registers_in_json() {
    let sample = Sample::up_to_date();
    let (_, report) = sample_answer(&sample);
    let m = Measurements::of(&report);
    assert!(m.to_string().starts_with("91eb2b44"));
    assert_eq!(m.to_string().parse::<Measurements>().unwrap(), m);
    assert_eq!(HexArray(m.to_bytes()).to_string(), m.to_string());
}

#[test]
fn candidate_attestation__should_be_paid_from_its_storage_balance() {
    let mut net = network(false, true);
    allow(&mut net, image(1));
    let candidate = account(N);
    net.candidate(N).expect_ok();
    let (_, available_before) = net.storage_balance(&candidate).unwrap();
    register(&mut net, &candidate, Some(dev_attestation(&candidate, image(1)))).expect_ok();
    let (_, available_after) = net.storage_balance(&candidate).unwrap();
    let paid_bytes = (available_before - available_after) / BYTE_PRICE;
    let record = borsh::to_vec(&attestation_view(&net, &candidate).attestation.unwrap()).unwrap().len() as u128;
    assert!(paid_bytes > record, "the attestation's {record} bytes are paid for ({paid_bytes} bytes charged)");
    eprintln!("a candidate's attested registration stores {paid_bytes} bytes");
    // A candidate whose balance does not cover it is refused, and nothing is stored.
    let poor = account(N + 1);
    net.storage_deposit(&poor, 600 * BYTE_PRICE).expect_ok();
    net.node_call(&poor, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&poor, 0)})).expect_ok();
    refused(&mut net, "WrongDeposit", "storage balance is", |net| {
        register(net, &poor, Some(dev_attestation(&poor, image(1))))
    });
}

/// End to end on the local chain: the operator's transaction, the verifier wasm
/// verifying the REAL sample quote as a promise, and the MPC contract's callback
/// refusing it because its report data binds no key of this service.
#[test]
fn register_with_the_real_sample_quote__should_run_verifier_and_callback_on_chain_and_store_nothing() {
    let sample = Sample::up_to_date();
    let mut net = tdx_network(&sample);
    net.chain.add_contract(verifier_at(sample.valid_at));
    let (answer, report) = sample_answer(&sample);
    allow(&mut net, Measurements::of(&report));
    let before = net.observable();
    let args = json!({"info": backup_info(&operator()), "attestation": {"Tdx": sample.args_json()}});
    let gas = by_name(REGISTER_BACKUP_SERVICE).unwrap().gas.as_gas();
    let tx = local_chain::Transaction::new(&operator(), operator_key(&operator()), CONTRACT).call(
        REGISTER_BACKUP_SERVICE,
        &args,
        gas,
        OPERATOR_DEPOSIT,
    );
    let out = net.chain.send(tx).expect("the operator's full-access key signs");
    let verify = out.receipt(VERIFY_QUOTE).expect("the verifier was called");
    assert_eq!(verify.receiver_id, VERIFIER_ACCOUNT);
    assert_eq!(verify.result().unwrap(), answer, "the verifier accepted the sample quote");
    let callback = out.receipt(ON_ATTESTATION_VERIFIED).expect("the callback ran");
    assert_eq!(callback.predecessor_id, CONTRACT);
    assert_eq!(callback.promise_results, vec![PromiseResult::Successful(answer)]);
    let status = out.status.clone().unwrap_err();
    assert!(status.contains("[AttestationRejected] the report data"), "{status}");
    assert!(status.contains("does not bind this backup service's keys"), "{status}");
    assert!(net.observable() == before, "a refused attestation stores nothing");
    eprintln!("register → verify_quote → callback burnt {} Tgas in all", out.gas_burnt() as f64 / 1e12);
}
