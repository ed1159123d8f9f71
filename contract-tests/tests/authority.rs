#![allow(non_snake_case)]
//! Who may act for a participant, executed as wasm: the operator's entry names
//! the new node's key, approval names the machine it approves, the contract
//! records each participant's node key and moves it at `conclude_recovery`,
//! and the other participants can cancel even when the threshold is n.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use local_chain::ExecutionOutcome;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::*;
use mpc_interface::primitives::{Participant, ParticipantId};
use mpc_interface::recovery::{RecoveryStatus, Session, SessionKind};
use mpc_interface::state::ProtocolStateView;
use serde_json::{json, Value};

const N: usize = 4;
const LOST: usize = 1;

fn lost() -> String {
    account(LOST)
}

/// Running with `n` participants at `threshold`, each with a backup service.
fn network_with(n: usize, threshold: u64) -> TestNetwork {
    let mut net = TestNetwork::deploy(contract_wasm());
    let mut p = parameters(n);
    p.threshold = threshold;
    net.contract_call(INIT_RUNNING, json!({"parameters": p, "domains": domains(), "keyset": keyset(0)})).expect_ok();
    for i in 0..n {
        net.operator_call(&account(i), REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&account(i))})).expect_ok();
    }
    net
}

fn network() -> TestNetwork {
    network_with(N, parameters(N).threshold)
}

fn node_key_view(net: &TestNetwork, account: &str) -> Value {
    net.view_json(NODE_KEY, json!({"account_id": account}))
}

fn enter(net: &mut TestNetwork, key: &AccessPublicKey, deposit: u128, args: Value) -> ExecutionOutcome {
    net.signed_call(&lost(), key, deposit, SUBMIT_PARTICIPANT_RECOVERY_INFO, args)
}

fn approve(net: &mut TestNetwork, machine: u32) -> ExecutionOutcome {
    net.operator_call(&lost(), APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost(), machine)}))
}

fn refresh(net: &mut TestNetwork, account: &str, key: &AccessPublicKey) -> ExecutionOutcome {
    net.signed_call(account, key, 0, SUBMIT_PARTICIPANT_INFO, json!({"info": info(account, 0)}))
}

fn publish(
    net: &mut TestNetwork,
    account: &str,
    key: &AccessPublicKey,
    kind: SessionKind,
    nonce: u64,
) -> ExecutionOutcome {
    let session = Session { kind, epoch_id: mpc_interface::primitives::EpochId(0), nonce };
    let public_key = mpc_interface::keys::X25519PublicKey([nonce as u8; 32]);
    net.signed_call(
        account,
        key,
        0,
        PUBLISH_BACKUP_EPHEMERAL_KEY,
        json!({"session": session, "public_key": public_key}),
    )
}

fn deliver_and_conclude(net: &mut TestNetwork, concluder: &AccessPublicKey) -> ExecutionOutcome {
    net.signed_call(&lost(), &backup_key(&lost()), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
        .expect_ok();
    net.signed_call(&lost(), concluder, 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
}

// Item 4: the operator's own path can finish.

#[test]
fn submit_participant_recovery_info__should_need_node_public_key_from_the_operator() {
    let mut net = network();
    refused(&mut net, "InvalidArgument", "must name the new node's access key in `node_public_key`", |n| {
        enter(n, &operator_key(&lost()), 1, json!({"info": info(&lost(), 1)}))
    });
}

#[test]
fn recovery__should_let_the_named_node_key_finish_when_the_operator_entered() {
    let mut net = network();
    let args = json!({"info": info(&lost(), 1), "node_public_key": new_node_key(&lost())});
    enter(&mut net, &operator_key(&lost()), 1, args).expect_ok();
    let recovery = net.recovery().unwrap();
    assert_eq!(recovery.status, RecoveryStatus::Approved);
    assert_eq!(recovery.new_signer_public_key, new_node_key(&lost()));
    // Only the named key acts for the new machine.
    refused(&mut net, "Unauthorized", "must be signed by", |n| {
        publish(n, &lost(), &operator_key(&lost()), SessionKind::Recovery, 1)
    });
    publish(&mut net, &lost(), &new_node_key(&lost()), SessionKind::Recovery, 1).expect_ok();
    net.signed_call(&lost(), &backup_key(&lost()), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)}))
        .expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by", |n| {
        n.signed_call(&lost(), &operator_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)}))
    });
    net.signed_call(&lost(), &new_node_key(&lost()), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)})).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
    assert_eq!(node_key_view(&net, &lost()), json!(new_node_key(&lost())));
}

#[test]
fn submit_participant_recovery_info__should_refuse_a_node_naming_another_key() {
    let mut net = network();
    refused(&mut net, "InvalidArgument", "differs from the signing key", |n| {
        enter(n, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1), "node_public_key": operator_key(&lost())}))
    });
    // Naming its own key is the same as naming none.
    enter(
        &mut net,
        &new_node_key(&lost()),
        0,
        json!({"info": info(&lost(), 1), "node_public_key": new_node_key(&lost())}),
    )
    .expect_ok();
    assert_eq!(net.recovery().unwrap().new_signer_public_key, new_node_key(&lost()));
    assert_eq!(net.recovery().unwrap().status, RecoveryStatus::PendingApproval);
}

// Item 5: approval names the machine it approves.

#[test]
fn approve_recovery__should_refuse_other_tls_key() {
    let mut net = network();
    enter(&mut net, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1)})).expect_ok();
    refused(&mut net, "Conflict", "is for TLS key", |n| approve(n, 2));
    let missing = net.operator_call(&lost(), APPROVE_RECOVERY, json!({}));
    assert!(missing.unwrap_err().contains("tls_public_key"), "{:?}", missing.result);
    assert_eq!(net.recovery().unwrap().status, RecoveryStatus::PendingApproval);
    approve(&mut net, 1).expect_ok();
    assert_eq!(net.recovery().unwrap().status, RecoveryStatus::Approved);
}

// Item 7: the contract records which key acts as each participant's node.

#[test]
fn submit_participant_info__should_record_the_node_key_and_refuse_another_key_of_the_account() {
    let mut net = network();
    assert_eq!(node_key_view(&net, &account(0)), Value::Null, "seated by init_running: none yet");
    refresh(&mut net, &account(0), &node_key(&account(0))).expect_ok();
    assert_eq!(node_key_view(&net, &account(0)), json!(node_key(&account(0))));
    let expected =
        format!("must be signed by its node key {}, not {}", node_key(&account(0)), new_node_key(&account(0)));
    refused(&mut net, "Unauthorized", &expected, |n| refresh(n, &account(0), &new_node_key(&account(0))));
}

#[test]
fn publish_backup_ephemeral_key__should_take_the_node_side_only_from_the_node_key() {
    let mut net = network();
    let me = account(0);
    refused(&mut net, "Unauthorized", "has no node key recorded", |n| {
        publish(n, &me, &node_key(&me), SessionKind::Backup, 1)
    });
    refresh(&mut net, &me, &node_key(&me)).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        publish(n, &me, &new_node_key(&me), SessionKind::Backup, 1)
    });
    publish(&mut net, &me, &node_key(&me), SessionKind::Backup, 1).expect_ok();
    publish(&mut net, &me, &backup_key(&me), SessionKind::Backup, 1).expect_ok();
}

#[test]
fn conclude_recovery__should_retire_the_old_machines_node_key() {
    let mut net = network();
    refresh(&mut net, &lost(), &node_key(&lost())).expect_ok();
    enter(&mut net, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1)})).expect_ok();
    // While the recovery is open the old machine is still the node.
    publish(&mut net, &lost(), &node_key(&lost()), SessionKind::Backup, 1).expect_ok();
    approve(&mut net, 1).expect_ok();
    deliver_and_conclude(&mut net, &new_node_key(&lost())).expect_ok();
    assert_eq!(node_key_view(&net, &lost()), json!(new_node_key(&lost())));
    // The old machine's key can no longer act as the node, though it is still on the account.
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        publish(n, &lost(), &node_key(&lost()), SessionKind::Backup, 2)
    });
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        n.signed_call(&lost(), &node_key(&lost()), 0, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&lost(), 1)}))
    });
    let mut proposal = parameters(N);
    proposal.participants[LOST].info = info(&lost(), 1);
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        n.signed_call(&lost(), &node_key(&lost()), 0, VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}))
    });
    publish(&mut net, &lost(), &new_node_key(&lost()), SessionKind::Backup, 2).expect_ok();
}

#[test]
fn node_key__should_follow_a_candidate_into_the_participant_set() {
    let mut net = network();
    let newcomer = account(N);
    let key = node_key(&newcomer);
    net.storage_deposit(&newcomer, CANDIDATE_DEPOSIT).expect_ok();
    net.signed_call(&newcomer, &key, 0, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&newcomer, 0)})).expect_ok();
    assert_eq!(node_key_view(&net, &newcomer), json!(key));
    let mut proposal = parameters(N);
    proposal.participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(N as u32),
        info: info(&newcomer, 0),
    });
    proposal.threshold = 3;
    for i in 0..N {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    }
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        n.signed_call(
            &newcomer,
            &new_node_key(&newcomer),
            0,
            VOTE_NEW_PARAMETERS,
            json!({"epoch_id": 1, "proposal": proposal}),
        )
    });
    net.node_call(&newcomer, VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    for domain in 0..2 {
        let args = net.vote_reshared_args(1, domain);
        for i in 0..=N {
            net.node_call(&account(i), VOTE_RESHARED, args.clone()).expect_ok();
        }
    }
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
    assert_eq!(node_key_view(&net, &newcomer), json!(key), "the candidate's key is its node key");
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        refresh(n, &newcomer, &new_node_key(&newcomer))
    });
}

// Item 8: the others can cancel even when the threshold is n.

#[test]
fn cancel_recovery__should_take_effect_at_n_minus_one_votes_when_the_threshold_is_n() {
    let mut net = network_with(N, N as u64);
    enter(&mut net, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1)})).expect_ok();
    let others: Vec<usize> = (0..N).filter(|i| *i != LOST).collect();
    for i in &others[..others.len() - 1] {
        net.node_call(&account(*i), CANCEL_RECOVERY, json!({})).expect_ok();
        assert!(net.recovery().is_some(), "fewer than n - 1 votes do not cancel");
    }
    let last = net.node_call(&account(*others.last().unwrap()), CANCEL_RECOVERY, json!({}));
    assert_eq!(last.expect_ok().events()[0]["data"]["by"], "ParticipantVote");
    assert_eq!(net.recovery(), None);
}

#[test]
fn cancel_recovery__should_refuse_a_vote_not_signed_by_the_voters_node_key() {
    let mut net = network();
    refresh(&mut net, &account(0), &node_key(&account(0))).expect_ok();
    enter(&mut net, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1)})).expect_ok();
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        n.signed_call(&account(0), &new_node_key(&account(0)), 0, CANCEL_RECOVERY, json!({}))
    });
    net.node_call(&account(0), CANCEL_RECOVERY, json!({})).expect_ok();
    assert_eq!(net.recovery().unwrap().cancel_votes, 1);
}

#[test]
fn vote_new_parameters__should_hand_the_node_key_to_the_new_machine_a_resharing_keeps() {
    let mut net = network();
    refresh(&mut net, &lost(), &node_key(&lost())).expect_ok();
    enter(&mut net, &new_node_key(&lost()), 0, json!({"info": info(&lost(), 1)})).expect_ok();
    let mut proposal = parameters(N);
    proposal.participants[LOST].info = info(&lost(), 1);
    // Every participant of the proposal votes; the account's node is still the old machine.
    for i in 0..N {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal})).expect_ok();
    }
    assert!(matches!(net.state(), ProtocolStateView::Resharing(_)));
    assert_eq!(node_key_view(&net, &lost()), json!(new_node_key(&lost())), "the new machine takes part");
    let args = net.vote_reshared_args(1, 0);
    refused(&mut net, "Unauthorized", "must be signed by its node key", |n| {
        n.signed_call(&lost(), &node_key(&lost()), 0, VOTE_RESHARED, args.clone())
    });
    net.signed_call(&lost(), &new_node_key(&lost()), 0, VOTE_RESHARED, args).expect_ok();
}
