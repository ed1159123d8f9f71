#![allow(non_snake_case)]
//! Every refusal of the core protocol, executed as wasm: the error names what
//! was wrong, and nothing observable changes (views and raw storage).

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::{ContractCall, ExecutionOutcome};
use mpc_interface::methods::*;
use mpc_interface::primitives::{Participant, ParticipantId, ThresholdParameters};
use serde_json::{json, Value};

const N: usize = 4;

/// Runs `call`, asserts it failed with `code` and `fragment`, and that the
/// contract looks exactly as before.
fn refused(net: &mut TestNetwork, code: &str, fragment: &str, call: impl FnOnce(&mut TestNetwork) -> ExecutionOutcome) {
    let before = net.observable();
    call(net).expect_error(code, fragment);
    assert!(net.observable() == before, "a refused call changed the contract");
}

fn vote_params(net: &mut TestNetwork, who: &str, epoch: u64, proposal: &ThresholdParameters) -> ExecutionOutcome {
    net.node_call(who, VOTE_NEW_PARAMETERS, json!({"epoch_id": epoch, "proposal": proposal}))
}

fn with_newcomer(threshold: u64) -> ThresholdParameters {
    let mut p = parameters(N);
    let newcomer = account(N);
    p.participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(N as u32),
        info: info(&newcomer, 0),
    });
    p.threshold = threshold;
    p
}

#[test]
fn init__should_reject_bad_parameters() {
    let mut net = TestNetwork::deploy(contract_wasm());
    let mut low = parameters(N);
    low.threshold = 2;
    refused(&mut net, "InvalidArgument", "threshold 2 is outside [3, 4]", |n| {
        n.contract_call(INIT, json!({"parameters": low, "domains": domains()}))
    });
    let mut high = parameters(N);
    high.threshold = 5;
    refused(&mut net, "InvalidArgument", "threshold 5 is outside", |n| {
        n.contract_call(INIT, json!({"parameters": high, "domains": domains()}))
    });
    let one = ThresholdParameters { participants: vec![participant(0)], threshold: 2 };
    refused(&mut net, "InvalidArgument", "between 2 and 128 participants, not 1", |n| {
        n.contract_call(INIT, json!({"parameters": one, "domains": domains()}))
    });
    let mut dup_account = parameters(N);
    dup_account.participants[1].account_id = dup_account.participants[0].account_id.clone();
    refused(&mut net, "InvalidArgument", "node0.near appears more than once", |n| {
        n.contract_call(INIT, json!({"parameters": dup_account, "domains": domains()}))
    });
    let mut dup_id = parameters(N);
    dup_id.participants[1].id = ParticipantId(0);
    refused(&mut net, "InvalidArgument", "participant id 0 is used more than once", |n| {
        n.contract_call(INIT, json!({"parameters": dup_id, "domains": domains()}))
    });
    let mut dup_tls = parameters(N);
    dup_tls.participants[1].info.tls_public_key = dup_tls.participants[0].info.tls_public_key;
    refused(&mut net, "InvalidArgument", "is used by more than one participant", |n| {
        n.contract_call(INIT, json!({"parameters": dup_tls, "domains": domains()}))
    });
    refused(&mut net, "InvalidArgument", "between 1 and 16 domains, not 0", |n| {
        n.contract_call(INIT, json!({"parameters": parameters(N), "domains": []}))
    });
    let mut unordered = domains();
    unordered.reverse();
    refused(&mut net, "InvalidArgument", "strictly increasing", |n| {
        n.contract_call(INIT, json!({"parameters": parameters(N), "domains": unordered}))
    });
}

#[test]
fn init__should_be_callable_only_by_the_contract_account_and_once() {
    let mut net = TestNetwork::deploy(contract_wasm());
    let before = net.observable();
    // The operator's full-access key gets past the chain; the contract refuses.
    let out = net.signed_call(
        &account(0),
        &operator_key(&account(0)),
        0,
        INIT,
        json!({"parameters": parameters(N), "domains": domains()}),
    );
    assert!(out.unwrap_err().contains("Method init is private"), "{:?}", out.result);
    assert!(net.observable() == before);
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    let before = net.observable();
    let again = net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()}));
    assert!(again.unwrap_err().contains("already been initialized"), "{:?}", again.result);
    assert!(net.observable() == before);
}

#[test]
fn init_running__should_reject_a_keyset_that_does_not_fit_the_domains() {
    let mut net = TestNetwork::deploy(contract_wasm());
    let mut swapped = keyset(0);
    swapped.domains.reverse();
    refused(&mut net, "InvalidArgument", "exactly one key per domain", |n| {
        n.contract_call(INIT_RUNNING, json!({"parameters": parameters(N), "domains": domains(), "keyset": swapped}))
    });
    let mut wrong_curve = keyset(0);
    wrong_curve.domains[0].public_key = wrong_curve.domains[1].public_key;
    refused(&mut net, "InvalidArgument", "domain 0 uses Secp256k1; a Ed25519 key does not fit it", |n| {
        n.contract_call(INIT_RUNNING, json!({"parameters": parameters(N), "domains": domains(), "keyset": wrong_curve}))
    });
}

#[test]
fn mutating_methods__should_reject_uninitialized_contract() {
    let mut net = TestNetwork::deploy(contract_wasm());
    refused(
        &mut net,
        "WrongState",
        "`submit_participant_info` is not allowed while the contract is NotInitialized",
        |n| n.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)})),
    );
    refused(&mut net, "WrongState", "`vote_pk` is not allowed while the contract is NotInitialized", |n| {
        n.node_call(&account(0), VOTE_PK, pk_vote(0, domain_key(&domains()[0], "genesis")))
    });
}

#[test]
fn vote_pk__should_reject_bad_votes() {
    let mut net = TestNetwork::deploy(contract_wasm());
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    let key = domain_key(&domains()[0], "genesis");
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |n| {
        n.node_call("stranger.near", VOTE_PK, pk_vote(0, key))
    });
    refused(&mut net, "WrongState", "is not the one being voted on", |n| {
        n.node_call(&account(0), VOTE_PK, pk_vote(1, key))
    });
    refused(&mut net, "InvalidArgument", "does not fit it", |n| {
        n.node_call(&account(0), VOTE_PK, pk_vote(0, domain_key(&domains()[1], "genesis")))
    });
    refused(&mut net, "WrongDeposit", "`vote_pk` takes no deposit, but 1 yoctoNEAR were attached", |n| {
        n.operator_call(&account(0), VOTE_PK, pk_vote(0, key))
    });
    refused(&mut net, "Unauthorized", "predecessor relay.near differs from signer node0.near", |n| {
        let call = ContractCall::new(VOTE_PK).args_raw(encoded(VOTE_PK, pk_vote(0, key)));
        n.harness_mut().call(call.by("relay.near").signer(&account(0)))
    });
    // A malformed vote (a key cut short): the borsh decoder refuses it.
    let before = net.observable();
    let mut short = encoded(VOTE_PK, pk_vote(0, key));
    short.pop();
    let out = net.signed_call_bytes(&account(0), &node_key(&account(0)), 0, VOTE_PK, short);
    assert!(out.unwrap_err().contains("Failed to deserialize input from Borsh"), "{:?}", out.result);
    assert!(net.observable() == before);
    net.complete_keygen(N);
    refused(
        &mut net,
        "WrongState",
        "`vote_pk` is not allowed while the contract is Running; it needs Initializing",
        |n| n.node_call(&account(0), VOTE_PK, pk_vote(0, key)),
    );
}

#[test]
fn vote_new_parameters__should_reject_bad_proposals() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    let newcomer = account(N);
    net.storage_deposit(&newcomer, CANDIDATE_DEPOSIT).expect_ok();
    net.node_call(&newcomer, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&newcomer, 0)})).expect_ok();
    let good = with_newcomer(4);
    refused(&mut net, "WrongState", "proposals now are for epoch 1, not 5", |n| vote_params(n, &account(0), 5, &good));
    refused(&mut net, "Unauthorized", "stranger.near is neither a current participant nor part of the proposal", |n| {
        vote_params(n, "stranger.near", 1, &good)
    });
    refused(
        &mut net,
        "Unauthorized",
        "node4.near is new to the network and may vote only after 3 current participants",
        |n| vote_params(n, &newcomer, 1, &good),
    );
    let mut id_changed = good.clone();
    id_changed.participants[0].id = ParticipantId(7);
    refused(&mut net, "InvalidArgument", "node0.near has participant id 0; a proposal cannot change it to 7", |n| {
        vote_params(n, &account(0), 1, &id_changed)
    });
    let mut reuse_of_departed = parameters(N);
    reuse_of_departed.participants.pop();
    reuse_of_departed.participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(3),
        info: info(&newcomer, 0),
    });
    refused(&mut net, "InvalidArgument", "new participant node4.near must get a fresh id (at least 4), not 3", |n| {
        vote_params(n, &account(0), 1, &reuse_of_departed)
    });
    let few_kept = ThresholdParameters {
        participants: vec![
            participant(0),
            participant(1),
            Participant {
                account_id: newcomer.parse().unwrap(),
                id: ParticipantId(N as u32),
                info: info(&newcomer, 0),
            },
        ],
        threshold: 2,
    };
    refused(
        &mut net,
        "InvalidArgument",
        "keeps 2 current participants; resharing needs at least the current threshold 3",
        |n| vote_params(n, &account(0), 1, &few_kept),
    );
    let mut stolen_key = good.clone();
    stolen_key.participants[0].info.tls_public_key = tls_key(&newcomer, 0);
    stolen_key.participants[N].info.tls_public_key = tls_key("fresh.near", 0);
    refused(&mut net, "Conflict", "already belongs to node4.near", |n| vote_params(n, &account(0), 1, &stolen_key));
    let mut low = good.clone();
    low.threshold = 2;
    refused(&mut net, "InvalidArgument", "threshold 2 is outside [3, 5]", |n| vote_params(n, &account(0), 1, &low));
    refused(&mut net, "WrongDeposit", "takes no deposit", |n| {
        n.operator_call(&account(0), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": good}))
    });
}

#[test]
fn resharing_votes__should_reject_wrong_voters_and_states() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    refused(
        &mut net,
        "WrongState",
        "`vote_reshared` is not allowed while the contract is Running; it needs Resharing",
        |n| n.node_call(&account(0), VOTE_RESHARED, n.vote_reshared_args(1, 0)),
    );
    refused(&mut net, "WrongState", "`vote_cancel_resharing` is not allowed while the contract is Running", |n| {
        n.node_call(&account(0), VOTE_CANCEL_RESHARING, json!({}))
    });
    // Reshare to the first three participants (node3 leaves).
    let mut smaller = parameters(N);
    smaller.participants.pop();
    // Its three participants are also the current threshold: their votes carry it.
    for i in 0..N - 1 {
        vote_params(&mut net, &account(i), 1, &smaller).expect_ok();
    }
    refused(&mut net, "Unauthorized", "node3.near is not part of the participant set being reshared to", |n| {
        n.node_call(&account(3), VOTE_RESHARED, n.vote_reshared_args(1, 0))
    });
    refused(&mut net, "WrongState", "is not the one being voted on", |n| {
        n.node_call(&account(0), VOTE_RESHARED, n.vote_reshared_args(1, 1))
    });
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |n| {
        n.node_call("stranger.near", VOTE_CANCEL_RESHARING, json!({}))
    });
    refused(&mut net, "WrongState", "`vote_new_parameters` is not allowed while the contract is Resharing", |n| {
        vote_params(n, &account(0), 1, &smaller)
    });
    // The departing participant can still vote to cancel: it is in the old set.
    net.node_call(&account(3), VOTE_CANCEL_RESHARING, json!({})).expect_ok();
}

#[test]
fn submit_participant_info__should_refresh_register_and_refuse() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    // The first refresh records the node key; later ones change nothing.
    let refresh = net.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)}));
    assert_eq!(refresh.expect_ok().events()[0]["event"], "participant_refreshed");
    assert_eq!(net.view_json(NODE_KEY, json!({"account_id": account(0)})), json!(node_key(&account(0))));
    let before = net.observable();
    net.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)})).expect_ok();
    assert!(net.observable() == before, "a repeated refresh changes nothing");
    refused(
        &mut net,
        "Conflict",
        "node0.near is a participant with another TLS key; a new machine must call `submit_participant_recovery_info`",
        |n| n.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 1)})),
    );
    refused(&mut net, "Conflict", "already belongs to node1.near", |n| {
        n.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(1), 0)}))
    });
    let mut no_url = info("newbie.near", 0);
    no_url.url.clear();
    refused(&mut net, "InvalidArgument", "url of newbie.near must be 1 to 256 bytes", |n| {
        n.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": no_url}))
    });
    // A candidate may change its key; the old key is released for others.
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": info("newbie.near", 0)})).expect_ok();
    net.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": info("newbie.near", 1)})).expect_ok();
    let mut reuse = info("other.near", 0);
    reuse.tls_public_key = tls_key("newbie.near", 0);
    net.storage_deposit("other.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call("other.near", SUBMIT_PARTICIPANT_INFO, json!({"info": reuse})).expect_ok();
    let candidates: Value = net.view_json(CANDIDATES, json!({}));
    assert_eq!(candidates.as_array().unwrap().len(), 2);
}

/// `vote_pk` arguments for `domain` with `key` and well-formed verifying shares.
fn pk_vote(domain: u64, key: impl serde::Serialize) -> serde_json::Value {
    let d = domains()[domain as usize];
    let shares = verifying_shares(&d, 0, (0..N).map(|i| ParticipantId(i as u32)));
    json!({"key_event_id": key_event(0, domain), "public_key": key, "verifying_shares": shares})
}
