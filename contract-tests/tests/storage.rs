#![allow(non_snake_case)]
//! NEP-145 storage management, executed as wasm: whoever is not a participant
//! pays for the bytes the contract keeps for it, and gets them back when the
//! records go away. Views over open-ended sets are paginated.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use mpc_interface::primitives::ThresholdParameters;
use mpc_interface::storage::{StorageBalanceBounds, MAX_PAGE_LIMIT};
use serde_json::{json, Value};

const N: usize = 4;

fn submit(net: &mut TestNetwork, account: &str, machine: u32) -> ExecutionOutcome {
    net.node_call(account, SUBMIT_PARTICIPANT_INFO, json!({"info": info(account, machine)}))
}

/// The bytes `account`'s balance pays for (beyond its own record).
fn held(net: &TestNetwork, account: &str) -> u128 {
    let (total, available) = net.storage_balance(account).expect("a storage balance");
    total - available
}

fn one_yocto(net: &mut TestNetwork, account: &str, method: &str, args: Value) -> ExecutionOutcome {
    net.signed_call(account, &operator_key(account), 1, method, args)
}

#[test]
fn submit_participant_info__should_refuse_a_stranger_without_a_storage_balance() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let before = net.observable();
    let out = submit(&mut net, "stranger.near", 0);
    out.expect_error("WrongDeposit", "stranger.near has no storage balance");
    assert!(out.unwrap_err().contains("deposit at least"), "{:?}", out.result);
    assert!(net.observable() == before, "a refused candidacy changed the contract");
}

#[test]
fn submit_participant_info__should_charge_the_candidate_exactly_the_bytes_it_stores() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let stranger = account(N);
    net.storage_deposit(&stranger, CANDIDATE_DEPOSIT).expect_ok();
    let record = held(&net, &stranger);
    let (usage, balance) = (net.harness().storage_usage(), net.harness().balance());
    submit(&mut net, &stranger, 0).expect_ok();
    let stored = u128::from(net.harness().storage_usage() - usage);
    assert!(stored > 0);
    assert_eq!(held(&net, &stranger) - record, stored * BYTE_PRICE, "charged exactly the measured bytes");
    assert_eq!(net.harness().balance(), balance, "no yocto moved");
    net.operator_call(&stranger, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&stranger)})).expect_ok();
    let total_stored = u128::from(net.harness().storage_usage() - usage);
    assert_eq!(held(&net, &stranger) - record, total_stored * BYTE_PRICE, "the backup service is paid too");
}

#[test]
fn submit_participant_info__should_refuse_more_bytes_than_the_balance_covers_and_say_how_much() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let stranger = account(N);
    let bounds: StorageBalanceBounds = net.harness().view(STORAGE_BALANCE_BOUNDS, json!({})).json();
    assert_eq!(bounds.max, None);
    net.storage_deposit(&stranger, bounds.min).expect_ok();
    let before = net.observable();
    submit(&mut net, &stranger, 0).expect_error("WrongDeposit", "yoctoNEAR short");
    assert!(net.observable() == before);
    let refused = net.storage_deposit("poor.near", bounds.min / 2);
    refused.expect_error("WrongDeposit", "needs at least");
}

#[test]
fn participants__should_stay_free() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    submit(&mut net, &account(0), 0).expect_ok();
    net.operator_call(&account(1), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(1))})).expect_ok();
    assert_eq!(net.storage_balance(&account(0)), None);
}

#[test]
fn withdraw_candidate_info__should_delete_the_records_and_free_the_balance() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let stranger = account(N);
    let usage = net.harness().storage_usage();
    net.storage_deposit(&stranger, CANDIDATE_DEPOSIT).expect_ok();
    submit(&mut net, &stranger, 0).expect_ok();
    net.operator_call(&stranger, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&stranger)})).expect_ok();
    one_yocto(&mut net, &stranger, STORAGE_UNREGISTER, json!({})).expect_error("Conflict", "withdraw_candidate_info");
    net.node_call(&stranger, WITHDRAW_CANDIDATE_INFO, json!({})).expect_ok();
    assert_eq!(net.view_json(CANDIDATE, json!({"account_id": stranger})), Value::Null);
    assert_eq!(net.view_json(BACKUP_SERVICE, json!({"account_id": stranger})), Value::Null);
    let (total, available) = net.storage_balance(&stranger).unwrap();
    assert_eq!(total - available, u128::from(net.harness().storage_usage() - usage) * BYTE_PRICE, "only the record");
    let out = one_yocto(&mut net, &stranger, STORAGE_UNREGISTER, json!({}));
    assert!(out.json::<bool>());
    assert_eq!(net.harness().storage_usage(), usage, "every byte the stranger stored is gone");
    assert_eq!(net.storage_balance(&stranger), None);
    net.node_call(&stranger, WITHDRAW_CANDIDATE_INFO, json!({})).expect_error("Conflict", "not a candidate");
}

#[test]
fn storage_withdraw__should_pay_out_only_what_is_available() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let stranger = account(N);
    net.storage_deposit(&stranger, CANDIDATE_DEPOSIT).expect_ok();
    submit(&mut net, &stranger, 0).expect_ok();
    let (total, available) = net.storage_balance(&stranger).unwrap();
    let too_much = json!({"amount": (available + 1).to_string()});
    one_yocto(&mut net, &stranger, STORAGE_WITHDRAW, too_much).expect_error("InvalidArgument", "cannot withdraw");
    net.signed_call(&stranger, &operator_key(&stranger), 0, STORAGE_WITHDRAW, json!({}))
        .expect_error("WrongDeposit", "exactly 1 yoctoNEAR");
    let balance = net.harness().balance();
    let out = one_yocto(&mut net, &stranger, STORAGE_WITHDRAW, json!({}));
    out.expect_ok();
    assert_eq!(net.storage_balance(&stranger), Some((total - available, 0)));
    assert_eq!(net.harness().balance(), balance + 1 - available, "the available part was sent back");
}

fn reshare(net: &mut TestNetwork, proposal: &ThresholdParameters) {
    for p in &proposal.participants {
        net.node_call(p.account_id.as_str(), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}))
            .expect_ok();
    }
    for domain in 0..2 {
        let args = net.vote_reshared_args(1, domain);
        for p in &proposal.participants {
            net.node_call(p.account_id.as_str(), VOTE_RESHARED, args.clone()).expect_ok();
        }
    }
}

#[test]
fn resharing__should_free_the_balance_of_the_candidate_it_takes_and_of_the_one_it_leaves_out() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let (joining, left_out) = (account(N), account(N + 1));
    net.candidate(N).expect_ok();
    net.candidate(N + 1).expect_ok();
    let record = |net: &TestNetwork, a: &str| {
        let (total, available) = net.storage_balance(a).unwrap();
        total - available
    };
    let held_before = record(&net, &left_out);
    reshare(&mut net, &parameters_with_newcomer(N));
    let joined = record(&net, &joining);
    let released = record(&net, &left_out);
    assert!(released < held_before, "the left-out candidacy no longer holds the balance");
    assert_eq!(joined, released, "both hold only their balance record");
    let usage = net.harness().storage_usage();
    one_yocto(&mut net, &left_out, STORAGE_WITHDRAW, json!({})).expect_ok();
    assert!(net.harness().storage_usage() < usage, "the stale candidacy was deleted");
    assert_eq!(net.view_json(CANDIDATE, json!({"account_id": left_out})), Value::Null);
}

#[test]
fn candidates__should_be_paginated_with_a_maximum_limit() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    for i in N..N + 5 {
        net.candidate(i).expect_ok();
    }
    let page: Vec<(String, Value)> = net.harness().view(CANDIDATES, json!({"from_index": 1, "limit": 2})).json();
    let names: Vec<_> = page.iter().map(|(a, _)| a.clone()).collect();
    assert_eq!(names, vec![account(N + 1), account(N + 2)]);
    let all: Vec<Value> = net.harness().view(CANDIDATES, json!({})).json();
    assert_eq!(all.len(), 5);
    let over = net.harness().view(CANDIDATES, json!({"limit": MAX_PAGE_LIMIT + 1}));
    over.expect_error("InvalidArgument", "`limit` must be from 1 to 100");
    net.harness().view(BACKUP_SERVICES, json!({"limit": 0})).expect_error("InvalidArgument", "`limit`");
    let mine = net.view_json(CANDIDATE, json!({"account_id": account(N + 3)}));
    assert_eq!(mine, serde_json::to_value(info(&account(N + 3), 0)).unwrap());
}
