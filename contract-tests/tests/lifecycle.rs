#![allow(non_snake_case)]
//! The core protocol, executed as wasm: key generation, resharing (completed
//! and cancelled), with the `state()` view snapshotted after every step.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use mpc_interface::methods::*;
use mpc_interface::primitives::{EpochId, Participant, ParticipantId};
use mpc_interface::state::ProtocolStateView;
// Snapshots sort JSON maps: near-sdk turns on serde_json's `preserve_order`
// in workspace builds, so unsorted key order would depend on what else is built.
use serde_json::json;

const N: usize = 4;

fn running(state: &ProtocolStateView) -> &mpc_interface::state::RunningView {
    match state {
        ProtocolStateView::Running(r) => r,
        other => panic!("expected Running, got {}", other.name()),
    }
}

#[test]
fn lifecycle__should_generate_keys_then_run() {
    let mut net = TestNetwork::deploy(contract_wasm());
    assert_eq!(net.state(), ProtocolStateView::NotInitialized);
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("keygen_0_not_initialized", net.state()); });

    let init = net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()}));
    init.expect_ok();
    assert_eq!(init.events()[0]["event"], "initialized");
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("keygen_1_initializing", net.state()); });

    // All but one vote for domain 0: nothing happens yet.
    for i in 0..N - 1 {
        let out = net.node_call(&account(i), VOTE_PK, net.vote_pk_args(0, "genesis"));
        out.expect_ok();
        assert!(out.events().is_empty(), "no transition before every participant voted");
    }
    // A repeated vote is idempotent.
    net.node_call(&account(0), VOTE_PK, net.vote_pk_args(0, "genesis")).expect_ok();
    let last = net.node_call(&account(N - 1), VOTE_PK, net.vote_pk_args(0, "genesis"));
    assert_eq!(last.events()[0]["event"], "key_generated");
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("keygen_2_first_domain_done", net.state()); });

    for i in 0..N {
        net.node_call(&account(i), VOTE_PK, net.vote_pk_args(1, "genesis")).expect_ok();
    }
    let state = net.state();
    let r = running(&state);
    assert_eq!(r.keyset, keyset(0));
    assert_eq!(r.parameters, parameters(N));
    assert_eq!(r.next_epoch_id, EpochId(1));
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("keygen_3_running", state); });
}

#[test]
fn vote_pk__should_let_a_changed_vote_replace_the_earlier_one() {
    let mut net = TestNetwork::deploy(contract_wasm());
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    let good = net.vote_pk_args(0, "genesis");
    let other = net.vote_pk_args(0, "other");
    net.node_call(&account(0), VOTE_PK, other).expect_ok();
    for i in 1..N {
        net.node_call(&account(i), VOTE_PK, good.clone()).expect_ok();
    }
    assert!(
        matches!(net.state(), ProtocolStateView::Initializing(ref s) if s.generated.is_empty()),
        "split vote must not agree"
    );
    let changed = net.node_call(&account(0), VOTE_PK, good);
    assert_eq!(changed.events()[0]["event"], "key_generated");
    match net.state() {
        ProtocolStateView::Initializing(s) => {
            assert_eq!(s.generated[0].public_key, domain_key(&domains()[0], "genesis"))
        }
        other => panic!("expected Initializing, got {}", other.name()),
    }
}

/// Running at epoch 0 with N participants, a candidate `node{N}`, and a
/// proposal that adds it.
fn network_with_candidate() -> (TestNetwork, mpc_interface::primitives::ThresholdParameters) {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let newcomer = account(N);
    net.storage_deposit(&newcomer, CANDIDATE_DEPOSIT).expect_ok();
    net.node_call(&newcomer, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&newcomer, 0)})).expect_ok();
    let mut proposal = parameters(N);
    proposal.participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(N as u32),
        info: info(&newcomer, 0),
    });
    proposal.threshold = 4;
    (net, proposal)
}

#[test]
fn lifecycle__should_reshare_to_a_new_participant_set() {
    let (mut net, proposal) = network_with_candidate();
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!(
        "reshare_0_running_with_candidate",
        (net.state(), net.view_json(CANDIDATES, json!({})))
    ); });

    let threshold = 3;
    for i in 0..threshold {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    }
    net.node_call(&account(N), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Running(_)), "one current participant has not voted yet");
    let started = net.node_call(&account(N - 1), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}));
    assert_eq!(started.events()[0]["event"], "resharing_started");
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("reshare_1_resharing", net.state()); });

    for domain in 0..2 {
        for i in 0..=N {
            let args = net.vote_reshared_args(1, domain);
            net.node_call(&account(i), VOTE_RESHARED, args).expect_ok();
        }
    }
    let state = net.state();
    let r = running(&state);
    assert_eq!(r.keyset.epoch_id, EpochId(1));
    assert_eq!(r.keyset.domains, keyset(0).domains, "resharing keeps the keys");
    assert_eq!(r.parameters, proposal);
    assert_eq!(net.view_json(CANDIDATES, json!({})), json!([]), "the candidate joined");
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("reshare_2_running_epoch_1", state); });
}

#[test]
fn lifecycle__should_return_to_the_old_set_when_resharing_is_cancelled() {
    let (mut net, proposal) = network_with_candidate();
    // Current participants first: the newcomer may vote only after a threshold of them.
    for i in 0..=N {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    }
    assert!(matches!(net.state(), ProtocolStateView::Resharing(_)));
    net.node_call(&account(0), VOTE_CANCEL_RESHARING, json!({})).expect_ok();
    net.node_call(&account(0), VOTE_CANCEL_RESHARING, json!({})).expect_ok();
    net.node_call(&account(1), VOTE_CANCEL_RESHARING, json!({})).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Resharing(_)), "two of threshold three");
    let cancelled = net.node_call(&account(2), VOTE_CANCEL_RESHARING, json!({}));
    assert_eq!(cancelled.events()[0]["event"], "resharing_cancelled");
    let state = net.state();
    let r = running(&state);
    assert_eq!(r.parameters, parameters(N));
    assert_eq!(r.keyset, keyset(0));
    assert_eq!(r.next_epoch_id, EpochId(2), "the cancelled epoch id is never reused");
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!("cancel_0_running_after_cancel", state); });

    // The old ballots do not carry over: a new proposal needs new votes.
    net.node_call(&account(0), VOTE_NEW_PARAMETERS, json!({"epoch_id": 2, "proposal": proposal})).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
}
