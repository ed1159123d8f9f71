//! Cross-contract receipts on the local chain: a call's promise runs on another contract with
//! its own gas and deposit, and the `.then` callback gets the real result of the first.
#![allow(non_snake_case)]

use local_chain::{ActionError, Harness, LocalChain, PromiseResult, SignerPk, Transaction, ONE_NEAR, TGAS};

const RELAY: &str = "relay.near";
const APP: &str = "app.near";
const ALICE: &str = "alice.near";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn alice() -> SignerPk {
    SignerPk::ed25519_from_seed("alice/full")
}

fn chain() -> LocalChain {
    let mut chain = LocalChain::new();
    chain.add_contract(Harness::new(fixture("relay"), RELAY));
    chain.add_contract(Harness::new(fixture("selftest"), APP));
    chain.create_account(ALICE, 10 * ONE_NEAR, alice());
    chain
}

/// `relay`'s argument: call `account.method(args)` with `gas` and `deposit`.
fn relay_args(account: &str, method: &str, gas: u64, deposit: u128, args: &[u8]) -> Vec<u8> {
    let mut out = vec![account.len() as u8, method.len() as u8];
    out.extend_from_slice(&gas.to_le_bytes());
    out.extend_from_slice(&deposit.to_le_bytes());
    out.extend_from_slice(account.as_bytes());
    out.extend_from_slice(method.as_bytes());
    out.extend_from_slice(args);
    out
}

fn relay(chain: &mut LocalChain, args: Vec<u8>, deposit: u128) -> local_chain::TransactionOutcome {
    let tx = Transaction::new(ALICE, alice(), RELAY).action(local_chain::Action::FunctionCall {
        method: "relay".into(),
        args,
        gas: 200 * TGAS,
        deposit,
    });
    chain.send(tx).unwrap()
}

#[test]
fn promise__should_run_on_the_other_contract_and_hand_its_value_to_the_callback() {
    let mut chain = chain();
    let out = relay(&mut chain, relay_args(APP, "echo", 30 * TGAS, 0, b"hello"), 0);
    let methods: Vec<_> = out.receipts.iter().map(|r| (r.receiver_id.as_str(), r.method().unwrap())).collect();
    assert_eq!(methods, [(RELAY, "relay"), (APP, "echo"), (RELAY, "on_result")]);
    let echo = out.receipt("echo").unwrap();
    assert_eq!(echo.predecessor_id, RELAY);
    assert_eq!(echo.result(), Ok(b"hello".to_vec()));
    let callback = out.receipt("on_result").unwrap();
    assert_eq!(callback.promise_results, [PromiseResult::Successful(b"hello".to_vec())]);
    assert_eq!(callback.logs(), ["promise succeeded"]);
    // The transaction's value follows the promise `relay` returned: the callback's value.
    assert_eq!(out.status, Ok(b"hello".to_vec()));
    assert!(out.receipts.iter().all(|r| r.gas_burnt() > 0));
    assert_eq!(out.gas_burnt(), out.receipts.iter().map(|r| r.gas_burnt()).sum::<u64>());
}

#[test]
fn promise__should_write_to_the_other_contract_with_the_relay_as_predecessor_and_alice_as_signer() {
    let mut chain = chain();
    let out = relay(&mut chain, relay_args(APP, "whoami", 10 * TGAS, 0, b""), 0);
    assert_eq!(out.status, Ok(RELAY.as_bytes().to_vec()));
    let out = relay(&mut chain, relay_args(APP, "signer", 10 * TGAS, 0, b""), 0);
    assert_eq!(out.status, Ok(ALICE.as_bytes().to_vec()));
    relay(&mut chain, relay_args(APP, "put", 10 * TGAS, 0, b"from relay"), 0);
    assert_eq!(chain.contract(APP).storage_get(b"k").as_deref(), Some(&b"from relay"[..]));
}

#[test]
fn callback__should_get_a_failure_when_the_promise_fails_and_the_failed_call_changes_nothing() {
    let mut chain = chain();
    let out = relay(&mut chain, relay_args(APP, "put_then_panic", 30 * TGAS, 0, b"lost"), 0);
    let failed = out.receipt("put_then_panic").unwrap();
    assert_eq!(failed.error, Some(ActionError::FunctionCall("boom: rolled back".into())));
    let callback = out.receipt("on_result").unwrap();
    assert_eq!(callback.promise_results, [PromiseResult::Failed]);
    assert_eq!(callback.logs(), ["promise failed"]);
    assert_eq!(out.status, Ok(b"failed".to_vec()));
    assert_eq!(chain.contract(APP).storage_get(b"k"), None);
}

#[test]
fn promise__should_run_with_its_own_gas_and_fail_when_it_runs_out() {
    let mut chain = chain();
    let out = relay(&mut chain, relay_args(APP, "put_then_burn", 5 * TGAS, 0, b"x"), 0);
    let burnt = out.receipt("put_then_burn").unwrap();
    assert!(matches!(&burnt.error, Some(ActionError::FunctionCall(m)) if m.starts_with("GasExceeded")), "{burnt:?}");
    assert!(burnt.gas_burnt() <= 5 * TGAS);
    assert_eq!(out.status, Ok(b"failed".to_vec()));
}

#[test]
fn promise__should_carry_its_deposit_to_the_other_contract_and_refund_it_when_it_fails() {
    let mut chain = chain();
    let (relay_balance, app_balance) = (chain.balance(RELAY).unwrap(), chain.balance(APP).unwrap());
    let out = relay(&mut chain, relay_args(APP, "deposit", 10 * TGAS, 1_000, b""), 1_000);
    assert_eq!(out.status, Ok(1_000u128.to_le_bytes().to_vec()));
    assert_eq!(chain.balance(RELAY).unwrap(), relay_balance);
    assert_eq!(chain.balance(APP).unwrap(), app_balance + 1_000);
    // The callee fails: the deposit comes back to the relay (its predecessor).
    let out = relay(&mut chain, relay_args(APP, "put_then_panic", 10 * TGAS, 500, b""), 500);
    assert_eq!(out.status, Ok(b"failed".to_vec()));
    assert_eq!(chain.balance(RELAY).unwrap(), relay_balance + 500);
    assert_eq!(chain.balance(APP).unwrap(), app_balance + 1_000);
}

#[test]
fn promise__to_an_account_that_does_not_exist_should_fail_into_the_callback() {
    let mut chain = chain();
    let out = relay(&mut chain, relay_args("ghost.near", "echo", 10 * TGAS, 0, b""), 0);
    let ghost = &out.receipts[1];
    assert_eq!(ghost.error, Some(ActionError::AccountDoesNotExist("ghost.near".into())));
    assert_eq!(out.receipt("on_result").unwrap().promise_results, [PromiseResult::Failed]);
}

#[test]
fn transaction__that_fails_should_report_the_contract_message_as_its_status() {
    let mut chain = chain();
    let tx = Transaction::new(ALICE, alice(), APP).call("put_then_panic", &serde_json::json!({}), 30 * TGAS, 0);
    let out = chain.send(tx).unwrap();
    assert_eq!(out.status, Err("boom: rolled back".to_string()));
    assert_eq!(out.receipts.len(), 1);
}
