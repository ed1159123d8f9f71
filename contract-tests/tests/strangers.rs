#![allow(non_snake_case)]
//! 10,000 strangers, every call through the wasm: they cannot make a
//! participant's call fail, cannot make a view fail, and cannot lock a single
//! yoctoNEAR of the contract's own balance.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use mpc_interface::methods::*;
use serde_json::{json, Value};

const N: usize = 4;
const STRANGERS: usize = 10_000;

/// The contract's balance not needed for its storage.
fn free_balance(net: &TestNetwork) -> u128 {
    net.harness().balance() - u128::from(net.harness().total_storage_usage()) * BYTE_PRICE
}

fn stranger(i: usize) -> String {
    format!("stranger{i}.near")
}

#[test]
fn ten_thousand_strangers__should_not_fail_participants_or_views_nor_lock_contract_balance() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    // One NEAR of headroom for the participants' own records, nothing more.
    let usage = net.harness().total_storage_usage();
    net.harness_mut().set_balance(u128::from(usage) * BYTE_PRICE + contract_tests::ONE_NEAR);
    let free = free_balance(&net);
    let before = net.observable();
    net.node_call(&stranger(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&stranger(0), 0)}))
        .expect_error("WrongDeposit", "has no storage balance");
    assert!(net.observable() == before, "an unpaid candidacy stored something");

    // Each stranger deposits, becomes a candidate (every tenth also registers
    // a backup service), then takes back everything its records do not need.
    // Bulk mode: any refused call panics, including `LackBalanceForState`.
    net.harness_mut().set_rollback(false);
    let mut yocto_received = 0u128;
    for i in 0..STRANGERS {
        let s = stranger(i);
        net.storage_deposit(&s, CANDIDATE_DEPOSIT).expect_ok();
        net.node_call(&s, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&s, 0)})).expect_ok();
        if i % 10 == 0 {
            net.operator_call(&s, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&s)})).expect_ok();
            yocto_received += 1;
        }
        net.signed_call(&s, &operator_key(&s), 1, STORAGE_WITHDRAW, json!({})).expect_ok();
        yocto_received += 1;
    }
    net.harness_mut().set_rollback(true);
    assert_eq!(free_balance(&net), free + yocto_received, "the strangers' bytes are all paid by the strangers");

    // Views still answer within the view gas limit.
    for (method, args) in [
        (STATE, json!({})),
        (PARTICIPANTS, json!({})),
        (CANDIDATES, json!({"from_index": STRANGERS - 50})),
        (BACKUP_SERVICES, json!({"from_index": STRANGERS / 10 - 20})),
        (CANDIDATE, json!({"account_id": stranger(STRANGERS - 1)})),
        (STORAGE_BALANCE_OF, json!({"account_id": stranger(7)})),
        (RECOVERY, json!({})),
    ] {
        let out = net.harness().view(method, args);
        out.expect_ok();
        assert!(out.gas_burnt < 10 * contract_tests::TGAS, "{method} burnt {}", out.gas_burnt);
    }
    let page: Vec<Value> = net.harness().view(CANDIDATES, json!({"from_index": STRANGERS - 50})).json();
    assert_eq!(page.len(), 50);

    // Every participant call still succeeds, paid from the contract's headroom.
    let lost = account(1);
    net.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)})).expect_ok();
    net.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&lost)})).expect_ok();
    net.signed_call(&lost, &new_node_key(&lost), 0, SUBMIT_PARTICIPANT_RECOVERY_INFO, json!({"info": info(&lost, 1)}))
        .expect_ok();
    net.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})).expect_ok();
    net.signed_call(&lost, &backup_key(&lost), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)})).expect_ok();
    net.signed_call(&lost, &new_node_key(&lost), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)})).expect_ok();
    let mut proposal = parameters(N);
    proposal.threshold = N as u64;
    for i in 0..N {
        proposal.participants[i].info = if i == 1 { info(&lost, 1) } else { info(&account(i), 0) };
    }
    for i in 0..N {
        // The recovered participant's node key is now its new machine's.
        let key = if i == 1 { new_node_key(&lost) } else { node_key(&account(i)) };
        let args = json!({"epoch_id": 1, "proposal": proposal});
        net.signed_call(&account(i), &key, 0, VOTE_NEW_PARAMETERS, args).expect_ok();
    }
    assert!(matches!(net.state(), mpc_interface::state::ProtocolStateView::Resharing(_)));
}
