#![allow(non_snake_case)]
//! The calls only node and backup-service software sends take borsh arguments
//! (the method table's `Args::Borsh`), executed as wasm: each refuses a JSON
//! body (what a client of the previous release sends) and a borsh body with a
//! byte too many, with near-sdk's borsh error and no change, and takes its
//! borsh arguments.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::keys::{AccessPublicKey, X25519PublicKey};
use mpc_interface::methods::{self, Args, INIT, REGISTER_BACKUP_SERVICE, VOTE_NEW_PARAMETERS};
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{Session, SessionKind};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const N: usize = 4;

/// `method` with `args` sent as JSON text, then as borsh with a trailing
/// byte: both refused, nothing changed; then as borsh, which must succeed.
fn takes_only_borsh(
    net: &mut TestNetwork,
    account: &str,
    key: &AccessPublicKey,
    method: &'static str,
    args: Value,
    tested: &mut BTreeSet<&'static str>,
) -> ExecutionOutcome {
    let json = serde_json::to_vec(&args).unwrap();
    let mut longer = encoded(method, args.clone());
    longer.push(0);
    for (what, body) in [("a JSON body", json), ("a trailing byte", longer)] {
        let before = net.observable();
        let out = net.signed_call_bytes(account, key, 0, method, body);
        let err = out.unwrap_err();
        assert!(err.contains("Failed to deserialize input from Borsh"), "{method} with {what}: {err}");
        assert!(net.observable() == before, "{method}: {what} changed the contract");
    }
    tested.insert(method);
    let out = net.signed_call(account, key, 0, method, args);
    out.expect_ok();
    out
}

/// The borsh methods a client calls (the verifier's callback is the contract's own).
fn borsh_methods() -> BTreeSet<&'static str> {
    methods::ALL
        .iter()
        .filter(|m| m.args == Args::Borsh && m.name != methods::ON_ATTESTATION_VERIFIED)
        .map(|m| m.name)
        .collect()
}

fn x25519(label: u8) -> X25519PublicKey {
    X25519PublicKey([label; 32])
}

#[test]
fn borsh_methods__should_refuse_a_json_body_and_take_borsh() {
    let mut tested = BTreeSet::new();

    // Initializing: vote_pk.
    let mut net = TestNetwork::deploy(contract_wasm());
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    let args = net.vote_pk_args(0, "genesis");
    takes_only_borsh(&mut net, &account(0), &node_key(&account(0)), methods::VOTE_PK, args, &mut tested);

    // Resharing to the first three participants: vote_reshared.
    let mut net = TestNetwork::running(contract_wasm(), N);
    let mut smaller = parameters(N);
    smaller.participants.pop();
    for i in 0..N - 1 {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": smaller})).expect_ok();
    }
    let args = net.vote_reshared_args(1, 0);
    takes_only_borsh(&mut net, &account(0), &node_key(&account(0)), methods::VOTE_RESHARED, args, &mut tested);

    // Running: a participant's refresh, then its node's session key.
    let mut net = TestNetwork::running(contract_wasm(), N);
    let me = account(0);
    let args = json!({"info": info(&me, 0)});
    let out = takes_only_borsh(&mut net, &me, &node_key(&me), methods::SUBMIT_PARTICIPANT_INFO, args, &mut tested);
    assert_eq!(out.events()[0]["event"], "participant_refreshed");
    let session = Session { kind: SessionKind::Backup, epoch_id: EpochId(0), nonce: 5 };
    let args = json!({"session": session, "public_key": x25519(1)});
    takes_only_borsh(&mut net, &me, &node_key(&me), methods::PUBLISH_BACKUP_EPHEMERAL_KEY, args, &mut tested);
    let keys = net.view_json(methods::EPHEMERAL_KEYS, json!({"account_id": me}));
    assert_eq!(keys["node"]["public_key"], json!(x25519(1)));

    // An approved recovery: the backup service confirms, the new node concludes.
    let lost = account(1);
    net.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&lost)})).expect_ok();
    let entry = json!({"info": info(&lost, 1)});
    net.signed_call(&lost, &new_node_key(&lost), 0, methods::SUBMIT_PARTICIPANT_RECOVERY_INFO, entry).expect_ok();
    net.operator_call(&lost, methods::APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})).expect_ok();
    let args = json!({"keyset": keyset(0)});
    let method = methods::CONFIRM_RECOVERY_DELIVERY;
    takes_only_borsh(&mut net, &lost, &backup_key(&lost), method, args.clone(), &mut tested);
    let method = methods::CONCLUDE_RECOVERY;
    takes_only_borsh(&mut net, &lost, &new_node_key(&lost), method, args, &mut tested);
    assert!(net.recovery().is_none(), "the recovery concluded");

    assert_eq!(tested, borsh_methods(), "every borsh method of the table is tried here");
}
