#![allow(non_snake_case)]
//! The Recovery state, executed as wasm: every path, every refusal, with the
//! `state()` and `recovery()` views snapshotted after each step.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use mpc_interface::primitives::{Participant, ParticipantId, ThresholdParameters};
use mpc_interface::recovery::{RecoveryStatus, Session, SessionKind};
use mpc_interface::state::ProtocolStateView;
// Snapshots sort JSON maps: near-sdk turns on serde_json's `preserve_order`
// in workspace builds, so unsorted key order would depend on what else is built.
use serde_json::{json, Value};

const N: usize = 4;
const LOST: usize = 1;

fn lost() -> String {
    account(LOST)
}

/// Participant accounts, ids and threshold: what Recovery must never change.
fn identities(net: &TestNetwork) -> Vec<(String, u32, u64)> {
    let p: ThresholdParameters = net.harness().view(PARTICIPANTS, json!({})).json();
    p.participants.iter().map(|x| (x.account_id.to_string(), x.id.0, p.threshold)).collect()
}

fn snapshot(net: &TestNetwork, name: &str) {
    insta::with_settings!({sort_maps => true}, { insta::assert_json_snapshot!(name, json!({"state": net.state(), "recovery": net.recovery()})); });
}

/// Running with N participants, each with a registered backup service.
fn network() -> TestNetwork {
    let mut net = TestNetwork::running(contract_wasm(), N);
    for i in 0..N {
        net.operator_call(&account(i), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(i))})).expect_ok();
    }
    net
}

fn enter_with_node_key(net: &mut TestNetwork) -> ExecutionOutcome {
    net.signed_call(
        &lost(),
        &new_node_key(&lost()),
        0,
        SUBMIT_PARTICIPANT_RECOVERY_INFO,
        json!({"info": info(&lost(), 1)}),
    )
}

/// `approve_recovery`'s arguments: the new machine's TLS key.
fn approval() -> Value {
    json!({"tls_public_key": tls_key(&lost(), 1)})
}

fn approve(net: &mut TestNetwork) -> ExecutionOutcome {
    net.operator_call(&lost(), APPROVE_RECOVERY, approval())
}

fn confirm(net: &mut TestNetwork, keyset: Value) -> ExecutionOutcome {
    net.signed_call(&lost(), &backup_key(&lost()), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset}))
}

fn conclude(net: &mut TestNetwork, keyset: Value) -> ExecutionOutcome {
    net.signed_call(&lost(), &new_node_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset}))
}

fn status(net: &TestNetwork) -> RecoveryStatus {
    net.recovery().expect("a recovery is open").status
}

#[test]
fn recovery__should_move_a_participant_to_its_new_machine() {
    let mut net = network();
    let ids = identities(&net);
    snapshot(&net, "happy_0_running");

    let entered = enter_with_node_key(&mut net);
    assert_eq!(entered.expect_ok().events()[0]["event"], "recovery_started");
    assert_eq!(entered.events()[0]["data"]["approved"], false);
    assert_eq!(status(&net), RecoveryStatus::PendingApproval);
    assert_eq!(identities(&net), ids);
    snapshot(&net, "happy_1_pending_approval");

    refused(&mut net, "WrongState", "awaits its operator's approval", |n| confirm(n, json!(keyset(0))));
    refused(&mut net, "WrongState", "awaits its operator's approval", |n| conclude(n, json!(keyset(0))));

    let approved = approve(&mut net);
    assert_eq!(approved.expect_ok().events()[0]["event"], "recovery_approved");
    assert_eq!(status(&net), RecoveryStatus::Approved);
    snapshot(&net, "happy_2_approved");

    refused(&mut net, "WrongState", "has not confirmed delivery yet", |n| conclude(n, json!(keyset(0))));

    let delivered = confirm(&mut net, json!(keyset(0)));
    assert_eq!(delivered.expect_ok().events()[0]["event"], "recovery_delivered");
    assert_eq!(status(&net), RecoveryStatus::Delivered);
    assert_eq!(identities(&net), ids);
    snapshot(&net, "happy_3_delivered");

    let concluded = conclude(&mut net, json!(keyset(0)));
    assert_eq!(concluded.expect_ok().events()[0]["event"], "recovery_concluded");
    let state = net.state();
    let ProtocolStateView::Running(running) = &state else { panic!("expected Running, got {}", state.name()) };
    assert_eq!(running.keyset, keyset(0));
    let moved = running.parameters.participant(&lost().parse().unwrap()).unwrap();
    assert_eq!(moved.info, info(&lost(), 1), "the participant now runs on its new machine");
    assert_eq!(moved.id, ParticipantId(LOST as u32));
    assert_eq!(identities(&net), ids);
    assert_eq!(net.recovery(), None);
    snapshot(&net, "happy_4_running_again");

    // The old machine's key is free again; the new one is taken.
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call(
        "newbie.near",
        SUBMIT_PARTICIPANT_INFO,
        json!({"info": {"url": "https://n.near:1", "tls_public_key": tls_key(&lost(), 0)}}),
    )
    .expect_ok();
    refused(&mut net, "Conflict", "already belongs to node1.near", |n| {
        n.node_call(
            "other.near",
            SUBMIT_PARTICIPANT_INFO,
            json!({"info": {"url": "https://o.near:1", "tls_public_key": tls_key(&lost(), 1)}}),
        )
    });
}

#[test]
fn recovery__should_be_approved_at_once_when_entered_by_the_operator() {
    let mut net = network();
    let entered = net.signed_call(
        &lost(),
        &operator_key(&lost()),
        1,
        SUBMIT_PARTICIPANT_RECOVERY_INFO,
        json!({"info": info(&lost(), 1), "node_public_key": new_node_key(&lost())}),
    );
    assert_eq!(entered.expect_ok().events()[0]["data"]["approved"], true);
    assert_eq!(status(&net), RecoveryStatus::Approved);
    snapshot(&net, "operator_entry_approved");
    refused(&mut net, "WrongState", "is approved already", approve);
    // The operator named the new node's key: that key concludes, not the operator's.
    confirm(&mut net, json!(keyset(0))).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by", |n| {
        n.signed_call(&lost(), &operator_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
    });
    conclude(&mut net, json!(keyset(0))).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
}

#[test]
fn submit_participant_recovery_info__should_refuse_bad_requests() {
    let mut net = network();
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |n| {
        n.signed_call(
            "stranger.near",
            &new_node_key("stranger.near"),
            0,
            SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info("stranger.near", 1)}),
        )
    });
    refused(&mut net, "InvalidArgument", "node1.near already runs with TLS key", |n| {
        n.signed_call(
            &lost(),
            &new_node_key(&lost()),
            0,
            SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info(&lost(), 0)}),
        )
    });
    refused(&mut net, "Conflict", "already belongs to node2.near", |n| {
        n.signed_call(
            &lost(),
            &new_node_key(&lost()),
            0,
            SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info(&account(2), 0)}),
        )
    });
    let out = net.signed_call(
        &lost(),
        &new_node_key(&lost()),
        0,
        SUBMIT_PARTICIPANT_RECOVERY_INFO,
        json!({"info": {"url": "https://x", "tls_public_key": "ed25519:tooshort"}}),
    );
    assert!(out.unwrap_err().contains("Failed to deserialize input from JSON"), "{:?}", out.result);
    enter_with_node_key(&mut net).expect_ok();
    refused(&mut net, "WrongState", "node1.near is recovering already", |n| {
        n.signed_call(
            &account(2),
            &new_node_key(&account(2)),
            0,
            SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info(&account(2), 1)}),
        )
    });
    refused(&mut net, "WrongState", "node1.near is recovering already", |n| {
        n.signed_call(
            &lost(),
            &new_node_key(&lost()),
            0,
            SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info(&lost(), 2)}),
        )
    });
    // Candidates cannot take the reserved key of the recovering machine.
    refused(&mut net, "Conflict", "already belongs to node1.near", |n| {
        n.node_call(
            "newbie.near",
            SUBMIT_PARTICIPANT_INFO,
            json!({"info": {"url": "https://n.near:1", "tls_public_key": tls_key(&lost(), 1)}}),
        )
    });
}

#[test]
fn recovery_steps__should_refuse_the_wrong_caller_key_deposit_or_keyset() {
    let mut net = network();
    enter_with_node_key(&mut net).expect_ok();
    // The node's key cannot even sign it; a full-access key without the yoctoNEAR reaches the
    // contract, which cannot tell it from a function-call key and refuses.
    refused_by_chain(&mut net, "may not call `approve_recovery`", |n| {
        n.node_call(&lost(), APPROVE_RECOVERY, approval())
    });
    refused(&mut net, "WrongDeposit", "`approve_recovery` needs at least 1 yoctoNEAR", |n| {
        n.signed_call(&lost(), &operator_key(&lost()), 0, APPROVE_RECOVERY, approval())
    });
    refused(&mut net, "Unauthorized", "the open recovery is node1.near's; node2.near cannot approve it", |n| {
        n.operator_call(&account(2), APPROVE_RECOVERY, approval())
    });
    approve(&mut net).expect_ok();
    // The node's key cannot sign it; the operator's full-access key reaches the contract,
    // which takes only the registered backup service key.
    refused_by_chain(&mut net, "may not call `confirm_recovery_delivery`", |n| {
        n.signed_call(&lost(), &node_key(&lost()), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
    });
    refused(&mut net, "Unauthorized", "is not the registered backup service key of node1.near", |n| {
        n.signed_call(&lost(), &operator_key(&lost()), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
    });
    refused(&mut net, "Unauthorized", "node2.near cannot confirm delivery for it", |n| {
        n.signed_call(&account(2), &backup_key(&account(2)), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
    });
    refused_by_chain(&mut net, "cannot attach a deposit", |n| {
        n.signed_call(&lost(), &backup_key(&lost()), 1, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
    });
    refused(&mut net, "WrongDeposit", "`confirm_recovery_delivery` takes no deposit", |n| {
        n.signed_call(&lost(), &operator_key(&lost()), 1, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
    });
    let mut stale = keyset(0);
    stale.epoch_id = mpc_interface::primitives::EpochId(7);
    refused(&mut net, "InvalidArgument", "not the current one (epoch 0)", |n| confirm(n, json!(stale)));
    let mut other_key = keyset(0);
    other_key.domains[1].public_key = domain_key(&domains()[1], "forged");
    refused(&mut net, "InvalidArgument", "not the current one", |n| confirm(n, json!(other_key)));
    confirm(&mut net, json!(keyset(0))).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by", |n| {
        n.signed_call(&lost(), &node_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
    });
    // node2 does not hold node1's new key; with a node key of its own the contract refuses it.
    refused_by_chain(&mut net, "node2.near holds no access key", |n| {
        n.signed_call(&account(2), &new_node_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
    });
    refused(&mut net, "Unauthorized", "node2.near cannot conclude it", |n| {
        n.signed_call(&account(2), &new_node_key(&account(2)), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
    });
    refused(&mut net, "InvalidArgument", "not the current one", |n| conclude(n, json!(stale)));
    refused(&mut net, "Unauthorized", "predecessor relay.near differs from signer node1.near", |n| {
        n.harness_mut().call(
            local_chain::ContractCall::new(CONCLUDE_RECOVERY)
                .args_raw(encoded(CONCLUDE_RECOVERY, json!({"keyset": keyset(0)})))
                .by("relay.near")
                .signer(&lost())
                .signer_pk(key_bytes(&new_node_key(&lost()))),
        )
    });
}

#[test]
fn cancel_recovery__should_take_effect_at_once_from_the_operator() {
    let mut net = network();
    let ids = identities(&net);
    enter_with_node_key(&mut net).expect_ok();
    refused(&mut net, "WrongDeposit", "`cancel_recovery` needs at least 1 yoctoNEAR", |n| {
        n.node_call(&lost(), CANCEL_RECOVERY, json!({}))
    });
    let cancelled = net.operator_call(&lost(), CANCEL_RECOVERY, json!({}));
    assert_eq!(cancelled.expect_ok().events()[0]["event"], "recovery_cancelled");
    assert_eq!(cancelled.events()[0]["data"]["by"], "Operator");
    snapshot(&net, "cancel_by_operator");
    assert_eq!(identities(&net), ids);
    assert_eq!(net.state(), TestNetwork::running(contract_wasm(), N).state(), "Running exactly as before");
    // The reserved key is free again.
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call(
        "newbie.near",
        SUBMIT_PARTICIPANT_INFO,
        json!({"info": {"url": "https://n.near:1", "tls_public_key": tls_key(&lost(), 1)}}),
    )
    .expect_ok();
}

#[test]
fn cancel_recovery__should_take_effect_at_the_threshold_of_other_participants() {
    let mut net = network();
    enter_with_node_key(&mut net).expect_ok();
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |n| {
        n.node_call("stranger.near", CANCEL_RECOVERY, json!({}))
    });
    net.node_call(&account(0), CANCEL_RECOVERY, json!({})).expect_ok();
    net.node_call(&account(0), CANCEL_RECOVERY, json!({})).expect_ok();
    net.node_call(&account(2), CANCEL_RECOVERY, json!({})).expect_ok();
    assert_eq!(net.recovery().unwrap().cancel_votes, 2);
    snapshot(&net, "cancel_by_threshold_0_two_votes");
    let cancelled = net.node_call(&account(3), CANCEL_RECOVERY, json!({}));
    assert_eq!(cancelled.expect_ok().events()[0]["data"]["by"], "ParticipantVote");
    snapshot(&net, "cancel_by_threshold_1_running");
    // A later recovery starts with no cancel votes.
    enter_with_node_key(&mut net).expect_ok();
    assert_eq!(net.recovery().unwrap().cancel_votes, 0);
}

#[test]
fn vote_new_parameters__should_move_recovery_to_resharing() {
    let mut net = network();
    enter_with_node_key(&mut net).expect_ok();
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
    let mut last = None;
    for i in 0..=N {
        last = Some(net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})));
        last.as_ref().unwrap().expect_ok();
    }
    let events: Vec<String> = last.unwrap().events().iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["resharing_started", "recovery_cancelled"]);
    assert!(matches!(net.state(), ProtocolStateView::Resharing(_)));
    assert_eq!(net.recovery(), None);
    snapshot(&net, "resharing_from_recovery");
    // The proposal kept the old machine, so the reserved new key is free again.
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call(
        "newbie.near",
        SUBMIT_PARTICIPANT_INFO,
        json!({"info": {"url": "https://n.near:1", "tls_public_key": tls_key(&lost(), 1)}}),
    )
    .expect_ok();
}

#[test]
fn recovery__should_be_refused_in_every_state_but_running() {
    let mut net = TestNetwork::deploy(contract_wasm());
    refused(
        &mut net,
        "WrongState",
        "is not allowed while the contract is NotInitialized; it needs Running",
        enter_with_node_key,
    );
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    refused(
        &mut net,
        "WrongState",
        "is not allowed while the contract is Initializing; it needs Running",
        enter_with_node_key,
    );
    snapshot(&net, "wrong_state_initializing");
    net.complete_keygen(N);
    let mut smaller = parameters(N);
    smaller.participants.pop();
    for i in 0..N - 1 {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": smaller})).expect_ok();
    }
    refused(
        &mut net,
        "WrongState",
        "is not allowed while the contract is Resharing; it needs Running",
        enter_with_node_key,
    );
    snapshot(&net, "wrong_state_resharing");
    for (method, args) in [(APPROVE_RECOVERY, approval()), (CANCEL_RECOVERY, json!({}))] {
        refused(&mut net, "WrongState", "it needs Recovery", |n| n.operator_call(&lost(), method, args));
    }
    refused(&mut net, "WrongState", "it needs Recovery", |n| conclude(n, json!(keyset(0))));
}

#[test]
fn register_backup_service__should_need_an_operator_of_the_network() {
    let mut net = TestNetwork::running(contract_wasm(), N);
    refused_by_chain(&mut net, "may not call `register_backup_service`", |n| {
        n.node_call(&account(0), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(0))}))
    });
    refused(&mut net, "WrongDeposit", "`register_backup_service` needs at least 1 yoctoNEAR", |n| {
        n.signed_call(
            &account(0),
            &operator_key(&account(0)),
            0,
            REGISTER_BACKUP_SERVICE,
            json!({"info": backup_info(&account(0))}),
        )
    });
    refused(&mut net, "Unauthorized", "stranger.near is neither a participant nor a candidate", |n| {
        n.operator_call("stranger.near", REGISTER_BACKUP_SERVICE, json!({"info": backup_info("stranger.near")}))
    });
    net.storage_deposit("newbie.near", CANDIDATE_DEPOSIT).expect_ok();
    net.node_call("newbie.near", SUBMIT_PARTICIPANT_INFO, json!({"info": info("newbie.near", 0)})).expect_ok();
    net.operator_call("newbie.near", REGISTER_BACKUP_SERVICE, json!({"info": backup_info("newbie.near")})).expect_ok();
    let registered = net.operator_call(&account(0), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(0))}));
    assert_eq!(registered.expect_ok().events()[0]["event"], "backup_service_registered");
    // A new registration replaces the old one.
    let mut replaced = backup_info(&account(0));
    replaced.public_key = backup_identity("replacement");
    net.operator_call(&account(0), REGISTER_BACKUP_SERVICE, json!({"info": replaced})).expect_ok();
    assert_eq!(net.view_json(BACKUP_SERVICE, json!({"account_id": account(0)})), json!(replaced));
    assert_eq!(net.view_json(BACKUP_SERVICES, json!({})).as_array().unwrap().len(), 2);
    assert_eq!(net.view_json(BACKUP_SERVICE, json!({"account_id": account(3)})), Value::Null);
}

fn x25519(label: &str) -> String {
    mpc_interface::keys::X25519PublicKey(sha(label)).to_string()
}

fn sha(label: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(label.as_bytes()).into()
}

fn session(kind: SessionKind, nonce: u64) -> Session {
    Session { kind, epoch_id: mpc_interface::primitives::EpochId(0), nonce }
}

#[test]
fn publish_backup_ephemeral_key__should_keep_one_fresh_key_per_side() {
    let mut net = network();
    let me = account(0);
    net.node_call(&me, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&me, 0)})).expect_ok();
    let publish = |n: &mut TestNetwork, key: &mpc_interface::keys::AccessPublicKey, s: Session, label: &str| {
        n.signed_call(&me, key, 0, PUBLISH_BACKUP_EPHEMERAL_KEY, json!({"session": s, "public_key": x25519(label)}))
    };
    publish(&mut net, &node_key(&me), session(SessionKind::Backup, 5), "node-5").expect_ok();
    let out = publish(&mut net, &backup_key(&me), session(SessionKind::Backup, 5), "svc-5");
    assert_eq!(out.expect_ok().events()[0]["data"]["by_backup_service"], true);
    let keys = net.view_json(EPHEMERAL_KEYS, json!({"account_id": me}));
    assert_eq!(keys["node"]["public_key"], x25519("node-5"));
    assert_eq!(keys["backup_service"]["public_key"], x25519("svc-5"));
    refused(&mut net, "InvalidArgument", "is not newer than the published", |n| {
        publish(n, &node_key(&me), session(SessionKind::Backup, 5), "replay")
    });
    refused(&mut net, "InvalidArgument", "is not newer than the published", |n| {
        publish(n, &node_key(&me), session(SessionKind::Backup, 4), "old")
    });
    publish(&mut net, &node_key(&me), session(SessionKind::Backup, 6), "node-6").expect_ok();
    let mut future = session(SessionKind::Backup, 7);
    future.epoch_id = mpc_interface::primitives::EpochId(3);
    refused(&mut net, "InvalidArgument", "session epoch 3 is not the current epoch 0", |n| {
        publish(n, &node_key(&me), future, "x")
    });
    refused(&mut net, "WrongState", "needs an approved recovery of node0.near", |n| {
        publish(n, &backup_key(&me), session(SessionKind::Recovery, 1), "x")
    });
    refused(&mut net, "Unauthorized", "stranger.near is not a participant", |n| {
        n.signed_call(
            "stranger.near",
            &node_key("stranger.near"),
            0,
            PUBLISH_BACKUP_EPHEMERAL_KEY,
            json!({"session": session(SessionKind::Backup, 1), "public_key": x25519("s")}),
        )
    });
    refused(&mut net, "WrongDeposit", "takes no deposit", |n| {
        n.signed_call(
            &me,
            &operator_key(&me),
            1,
            PUBLISH_BACKUP_EPHEMERAL_KEY,
            json!({"session": session(SessionKind::Backup, 9), "public_key": x25519("s")}),
        )
    });
}

#[test]
fn publish_backup_ephemeral_key__should_bind_recovery_sessions_to_the_approved_new_machine() {
    let mut net = network();
    enter_with_node_key(&mut net).expect_ok();
    let publish = |n: &mut TestNetwork, key: &mpc_interface::keys::AccessPublicKey, label: &str| {
        n.signed_call(
            &lost(),
            key,
            0,
            PUBLISH_BACKUP_EPHEMERAL_KEY,
            json!({"session": session(SessionKind::Recovery, 1), "public_key": x25519(label)}),
        )
    };
    refused(&mut net, "WrongState", "needs an approved recovery", |n| publish(n, &new_node_key(&lost()), "early"));
    approve(&mut net).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by", |n| publish(n, &node_key(&lost()), "old-machine"));
    publish(&mut net, &new_node_key(&lost()), "new-node").expect_ok();
    publish(&mut net, &backup_key(&lost()), "service").expect_ok();
    let keys = net.view_json(EPHEMERAL_KEYS, json!({"account_id": lost()}));
    assert_eq!(keys["node"]["public_key"], x25519("new-node"));
    confirm(&mut net, json!(keyset(0))).expect_ok();
    conclude(&mut net, json!(keyset(0))).expect_ok();
    assert_eq!(
        net.view_json(EPHEMERAL_KEYS, json!({"account_id": lost()})),
        json!({"node": null, "backup_service": null}),
        "cleared when the recovery ends"
    );
}
