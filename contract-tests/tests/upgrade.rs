#![allow(non_snake_case)]
//! The recovery release as an in-place upgrade of the pre-recovery contract:
//! the archived wasm runs to epoch 1 with candidates, the code is swapped
//! keeping storage, `migrate` rewrites the state, and nothing is lost.

use contract_tests::scenario::*;
use contract_tests::wasm::{contract_wasm, pre_hard_launch_wasm, pre_recovery_wasm};
use local_chain::ContractCall;
use mpc_interface::methods::*;
use mpc_interface::primitives::{EpochId, Participant, ParticipantId, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
use serde_json::{json, Value};

const N: usize = 4;

/// The pre-recovery contract at epoch 1 with participants 0..=N and a candidate.
fn old_network_at_epoch_1() -> TestNetwork {
    let mut net = TestNetwork::running(pre_recovery_wasm(), N);
    let newcomer = account(N);
    net.archived_node_call(&newcomer, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&newcomer, 0)})).expect_ok();
    let mut proposal = parameters(N);
    proposal.participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(N as u32),
        info: info(&newcomer, 0),
    });
    proposal.threshold = ThresholdParameters::min_threshold(N as u64 + 1);
    for i in 0..=N {
        net.archived_node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}))
            .expect_ok();
    }
    for domain in 0..2 {
        for i in 0..=N {
            let args = net.vote_reshared_args(1, domain);
            net.archived_node_call(&account(i), VOTE_RESHARED, args).expect_ok();
        }
    }
    let late = "late.near";
    net.archived_node_call(late, SUBMIT_PARTICIPANT_INFO, json!({"info": info(late, 0)})).expect_ok();
    net
}

fn views(net: &TestNetwork) -> [Value; 3] {
    [STATE, PARTICIPANTS, CANDIDATES].map(|m| net.view_json(m, json!({})))
}

#[test]
fn migrate__should_keep_every_view_of_the_pre_recovery_contract() {
    let mut net = old_network_at_epoch_1();
    let before = views(&net);
    assert!(matches!(net.state(), ProtocolStateView::Running(ref r) if r.keyset.epoch_id == EpochId(1)));
    assert_eq!(net.view_json(VERSION, json!({})), json!("0.1.0"));

    net.harness_mut().replace_code(contract_wasm());
    let migrated = net.contract_call(MIGRATE, json!({}));
    migrated.expect_ok();
    assert_eq!(views(&net), before, "migrate lost or changed state");
    assert_eq!(net.view_json(VERSION, json!({})), json!("0.2.0"));
    assert_eq!(net.view_json(BACKUP_SERVICES, json!({})), json!([]));
    assert_eq!(net.recovery(), None);

    // A second migrate is harmless.
    net.contract_call(MIGRATE, json!({})).expect_ok();
    assert_eq!(views(&net), before);
}

#[test]
fn migrate__should_be_private_and_refuse_unknown_state() {
    let mut net = old_network_at_epoch_1();
    net.harness_mut().replace_code(contract_wasm());
    // The new code cannot read the old state before `migrate` (that is why the
    // upgrade deploys and migrates in one transaction), so compare raw storage.
    let before = net.harness().raw_storage();
    let out = net.signed_call(&account(0), &operator_key(&account(0)), 0, MIGRATE, json!({}));
    assert!(out.unwrap_err().contains("Method migrate is private"), "{:?}", out.result);
    assert_eq!(net.harness().raw_storage(), before);
    net.harness().view(STATE, json!({})).assert_err_contains("Cannot deserialize the contract state");

    // A contract account holding some other contract's state.
    let mut foreign = TestNetwork::deploy(contract_wasm());
    foreign.harness_mut().set_raw_storage(b"STATE".to_vec(), b"not an MPC contract".to_vec());
    foreign
        .contract_call(MIGRATE, json!({}))
        .expect_error("Storage", "neither the pre-recovery layout nor the current one");
    let mut empty = TestNetwork::deploy(contract_wasm());
    empty.contract_call(MIGRATE, json!({})).expect_error("Storage", "there is no contract state to migrate");
}

#[test]
fn migrated_contract__should_run_a_full_recovery() {
    let mut net = old_network_at_epoch_1();
    net.harness_mut().replace_code(contract_wasm());
    net.contract_call(MIGRATE, json!({})).expect_ok();
    let lost = account(2);
    net.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&lost)})).expect_ok();
    net.signed_call(&lost, &new_node_key(&lost), 0, SUBMIT_PARTICIPANT_RECOVERY_INFO, json!({"info": info(&lost, 1)}))
        .expect_ok();
    net.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})).expect_ok();
    let keyset = match net.state() {
        ProtocolStateView::Recovery(r) => r.previous.keyset,
        other => panic!("expected Recovery, got {}", other.name()),
    };
    assert_eq!(keyset.epoch_id, EpochId(1));
    net.signed_call(&lost, &backup_key(&lost), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset})).expect_ok();
    net.harness_mut()
        .call(
            ContractCall::new(CONCLUDE_RECOVERY)
                .args_raw(encoded(CONCLUDE_RECOVERY, json!({"keyset": keyset})))
                .by(&lost)
                .signer_pk(key_bytes(&new_node_key(&lost))),
        )
        .expect_ok();
    let state = net.state();
    let ProtocolStateView::Running(running) = &state else { panic!("expected Running, got {}", state.name()) };
    assert_eq!(running.parameters.participant(&lost.parse().unwrap()).unwrap().info, info(&lost, 1));
    assert_eq!(running.keyset.epoch_id, EpochId(1));
}

/// The sha256 `contract-history/README.md` records for its `nth` archived wasm.
fn recorded_sha256(nth: usize) -> String {
    let note = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../contract-history/README.md")).unwrap();
    let recorded = note.split("sha256: `").nth(nth + 1).and_then(|s| s.split('`').next());
    recorded.expect("the note records a sha256").to_owned()
}

#[test]
fn pre_recovery_wasm__should_be_the_archived_release() {
    use sha2::Digest;
    let actual = hex::encode(sha2::Sha256::digest(pre_recovery_wasm()));
    assert_eq!(
        actual,
        recorded_sha256(0),
        "contract-history/pre_recovery.wasm changed; released wasm is never rebuilt"
    );
}

#[test]
fn pre_hard_launch_wasm__should_be_the_archived_release() {
    use sha2::Digest;
    let actual = hex::encode(sha2::Sha256::digest(pre_hard_launch_wasm()));
    assert_eq!(actual, recorded_sha256(1), "contract-history/pre_hard_launch.wasm changed; it is never rebuilt");
}

#[test]
fn migrate__should_bring_the_pre_hard_launch_contract_to_soft_mode_and_keep_everything() {
    use mpc_interface::launch::{AttestationStatus, BackupAttestationView, LaunchMode};
    let mut net = TestNetwork::running(pre_hard_launch_wasm(), N);
    for i in 0..N {
        net.operator_call(&account(i), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(i))})).expect_ok();
    }
    let services = net.view_json(BACKUP_SERVICES, json!({}));
    let before = views(&net);
    net.harness_mut().replace_code(contract_wasm());
    net.contract_call(MIGRATE, json!({"tee_verifier": "verifier.near"})).expect_ok();
    assert_eq!(views(&net), before, "migrate lost or changed state");
    assert_eq!(net.view_json(BACKUP_SERVICES, json!({})), services);
    assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Soft"));
    assert_eq!(net.view_json(ALLOWED_MEASUREMENTS, json!({})), json!([]));
    let attestation = |net: &TestNetwork| -> BackupAttestationView {
        net.harness().view(BACKUP_ATTESTATION, json!({"account_id": account(0)})).json()
    };
    assert_eq!(attestation(&net).status, AttestationStatus::NotRequired);
    // A second migrate is harmless and keeps the verifier: Hard can be voted.
    net.contract_call(MIGRATE, json!({})).expect_ok();
    for i in 0..ThresholdParameters::min_threshold(N as u64) as usize {
        net.node_call(&account(i), VOTE_LAUNCH, json!({"vote": {"Mode": LaunchMode::Hard}})).expect_ok();
    }
    assert_eq!(net.view_json(LAUNCH_MODE, json!({})), json!("Hard"));
    assert_eq!(attestation(&net).status, AttestationStatus::Missing);
}
