#![allow(non_snake_case)]
//! Strict input, executed as wasm: an unknown field in any JSON argument
//! object or wire type, an argument to a method that takes none, a URL that is
//! not `http(s)://host:port`, or a key not in `curve:base58` form is refused,
//! and nothing observable changes. (The borsh methods have no field names and
//! no key text: tests/borsh_args.rs covers what they refuse.)

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use serde_json::{json, Value};

const N: usize = 4;

fn refused(net: &mut TestNetwork, fragment: &str, call: impl FnOnce(&mut TestNetwork) -> ExecutionOutcome) {
    let before = net.observable();
    let out = call(net);
    let err = out.unwrap_err().to_owned();
    assert!(err.contains(fragment), "expected {fragment:?} in: {err}");
    assert!(net.observable() == before, "a refused call changed the contract");
}

fn candidate_net() -> TestNetwork {
    let mut net = TestNetwork::running(contract_wasm(), N);
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net
}

fn with_extra(value: impl serde::Serialize) -> Value {
    let mut v = serde_json::to_value(value).unwrap();
    v.as_object_mut().unwrap().insert("extra".into(), json!(1));
    v
}

#[test]
fn recovery_and_backup_methods__should_refuse_unknown_fields() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let lost = account(1);
    refused(&mut net, "unknown field `extra`", |n| {
        n.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": with_extra(backup_info(&lost))}))
    });
    refused(&mut net, "unknown field `extra`", |n| {
        n.node_call(&lost, SUBMIT_PARTICIPANT_RECOVERY_INFO, json!({"info": with_extra(info(&lost, 1))}))
    });
    refused(&mut net, "unknown field `extra`", |n| {
        n.node_call(&lost, SUBMIT_PARTICIPANT_RECOVERY_INFO, json!({"info": info(&lost, 1), "extra": 1}))
    });
    refused(&mut net, "unknown field `extra`", |n| {
        n.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1), "extra": 1}))
    });
    net.harness().view(NODE_KEY, json!({"account_id": lost, "extra": 1})).assert_err_contains("unknown field `extra`");
    let mut proposal = with_extra(parameters(N));
    proposal["participants"][0] = with_extra(participant(0));
    refused(&mut net, "unknown field `extra`", |n| {
        n.node_call(&account(0), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}))
    });
}

#[test]
fn methods_without_arguments__should_refuse_an_argument_object() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    refused(&mut net, "[InvalidArgument] `cancel_recovery` takes no arguments", |n| {
        n.operator_call(&account(1), CANCEL_RECOVERY, json!({"extra": 1}))
    });
    refused(&mut net, "[InvalidArgument] `withdraw_candidate_info` takes no arguments", |n| {
        n.node_call("newbie.near", WITHDRAW_CANDIDATE_INFO, json!({"x": 1}))
    });
    net.harness().view(STATE, json!({"x": 1})).expect_error("InvalidArgument", "`state` takes no arguments");
    net.harness().view(STATE, json!({})).expect_ok();
    net.harness().view(CANDIDATES, json!({"from": 1})).assert_err_contains("unknown field `from`");
}

#[test]
fn submit_participant_info__should_refuse_urls_without_scheme_host_or_port() {
    let mut net = candidate_net();
    let cases = [
        ("ftp://newbie.near:1", "must start with `http://` or `https://`"),
        ("https://newbie.near", "needs an explicit port"),
        ("https://newbie.near:70000", "needs an explicit port"),
        ("https://user@newbie.near:1", "must not carry credentials"),
        ("https://bad_host:1", "has no valid host"),
        ("https://newbie.near:1/a?b=c", "query or fragment"),
    ];
    for (url, fragment) in cases {
        let mut bad = info("newbie.near", 0);
        bad.url = url.to_owned();
        refused(&mut net, fragment, |n| n.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": bad})));
    }
    let long = format!("https://newbie.near:1/{}", "x".repeat(300));
    let mut bad = info("newbie.near", 0);
    bad.url = long;
    refused(&mut net, "[InvalidArgument] url of newbie.near must be 1 to 256 bytes", |n| {
        n.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": bad}))
    });
}

#[test]
fn keys__should_be_accepted_only_in_curve_base58_form() {
    let mut net = candidate_net();
    let key = info("newbie.near", 0).tls_public_key;
    let raw = key.to_string().trim_start_matches("ed25519:").to_owned();
    let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
    for bad in [raw, format!("ed25519:{hex}"), format!("secp256k1:{}", key.to_string()[8..].to_owned())] {
        refused(&mut net, "Failed to deserialize input from JSON", |n| {
            n.operator_call(&account(1), APPROVE_RECOVERY, json!({ "tls_public_key": bad }))
        });
        refused(&mut net, "Failed to deserialize input from JSON", |n| {
            n.node_call(
                "newbie.near",
                SUBMIT_PARTICIPANT_RECOVERY_INFO,
                json!({"info": {"url": "https://newbie.near:1", "tls_public_key": bad}}),
            )
        });
    }
}
