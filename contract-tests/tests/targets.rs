#![allow(non_snake_case)]
//! The benchmark's targets as assertions: gas is deterministic under the VM,
//! so a change that misses one fails here instead of drifting unnoticed.
//! `scripts/bench.sh` prints the same figures as a table.

use contract_tests::scenario::*;
use contract_tests::targets::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use serde_json::json;

fn tgas(outcome: &ExecutionOutcome) -> f64 {
    outcome.expect_ok();
    outcome.gas_burnt as f64 / 1e12
}

/// Gas of each recovery step and of `state()` in Running and Recovery at `n`.
struct Recovery {
    steps: [f64; 3],
    state_running: f64,
    state_recovery: f64,
}

fn recovery_at(n: usize) -> Recovery {
    let mut net = TestNetwork::running(contract_wasm(), n);
    let lost = account(n / 2);
    let state_running = tgas(&net.harness().view(STATE, json!({})));
    let register = tgas(&net.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&lost)})));
    let enter = tgas(&net.signed_call(
        &lost,
        &new_node_key(&lost),
        0,
        SUBMIT_PARTICIPANT_RECOVERY_INFO,
        json!({"info": info(&lost, 1)}),
    ));
    net.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})).expect_ok();
    net.signed_call(&lost, &backup_key(&lost), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)})).expect_ok();
    let state_recovery = tgas(&net.harness().view(STATE, json!({})));
    let conclude =
        tgas(&net.signed_call(&lost, &new_node_key(&lost), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)})));
    Recovery { steps: [register, enter, conclude], state_running, state_recovery }
}

#[test]
fn recovery_methods__should_burn_at_most_half_of_production_and_grow_at_most_ten_percent() {
    let measured: Vec<Recovery> = SIZES.iter().map(|&n| recovery_at(n)).collect();
    for (m, method) in RECOVERY_METHODS.iter().enumerate() {
        let limit = production(method).unwrap();
        for (col, n) in SIZES.iter().enumerate() {
            let gas = measured[col].steps[m];
            assert!(gas <= limit[col] / 2.0, "{method} at n={n}: {gas:.3} Tgas, above half of {:.3}", limit[col]);
        }
        let growth = measured[2].steps[m] / measured[0].steps[m] - 1.0;
        assert!(growth <= MAX_RECOVERY_GROWTH, "{method} grows {:.1}% from n=4 to n=64", growth * 100.0);
    }
    let at_64 = &measured[2];
    assert!(at_64.state_running <= MAX_STATE_TGAS_AT_64, "state() in Running: {:.3} Tgas", at_64.state_running);
    assert!(at_64.state_recovery <= MAX_STATE_TGAS_AT_64, "state() in Recovery: {:.3} Tgas", at_64.state_recovery);
}

#[test]
fn vote_new_parameters__should_average_at_most_8_tgas_at_64_with_constant_storage_per_vote() {
    let n = 64;
    let mut net = TestNetwork::running(contract_wasm(), n);
    net.candidate(n).expect_ok();
    let proposal = parameters_with_newcomer(n);
    let (mut total, mut added) = (0.0, Vec::new());
    for i in 0..=n {
        let before = net.harness().storage_usage();
        total += tgas(&net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})));
        if (1..n).contains(&i) {
            // The ballot's key holds the voter's account id; the rest is constant.
            added.push(net.harness().storage_usage() - before - account(i).len() as u64);
        }
    }
    let mean = total / (n + 1) as f64;
    assert!(mean <= MAX_VOTE_TGAS_AT_64, "vote_new_parameters averages {mean:.3} Tgas at n=64");
    assert!(added.iter().all(|&b| b == added[0]), "a vote's storage varies: {added:?}");
    assert!(added[0] < 100, "a vote stores {} bytes: a copy of the proposal?", added[0]);
}

#[test]
fn contract_wasm__should_be_at_most_300_kb() {
    let size = contract_wasm().len();
    assert!(size <= MAX_WASM_BYTES, "the contract wasm is {size} bytes, over {MAX_WASM_BYTES}");
}
