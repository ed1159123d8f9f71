#![allow(non_snake_case)]
//! Verifying shares, executed as wasm: agreed in the key votes, kept outside
//! the state record, returned per participant by `verifying_shares`, carried
//! from keyset to keyset by resharing, untouched by recovery, absent after an
//! upgrade until the next resharing records them.

use contract_tests::scenario::*;
use contract_tests::wasm::{contract_wasm, pre_recovery_wasm};
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use mpc_interface::primitives::{DomainPublicKey, EpochId, ParticipantId};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::verifying::{DomainVerifyingShare, ParticipantVerifyingShares};
use serde_json::{json, Value};

const N: usize = 4;

fn ids(n: usize) -> impl Iterator<Item = ParticipantId> {
    (0..n).map(|i| ParticipantId(i as u32))
}

fn view(net: &TestNetwork, who: &str) -> Option<ParticipantVerifyingShares> {
    net.harness().view(VERIFYING_SHARES, json!({"account_id": who})).json()
}

/// What the view must return for participant `id` at `epoch` (the stand-in shares).
fn expected(epoch: u64, id: u32) -> ParticipantVerifyingShares {
    ParticipantVerifyingShares {
        epoch_id: EpochId(epoch),
        participant_id: ParticipantId(id),
        domains: domains()
            .iter()
            .map(|d| DomainVerifyingShare {
                domain_id: d.id,
                verifying_share: verifying_share(d, epoch, ParticipantId(id)),
            })
            .collect(),
    }
}

fn initializing() -> TestNetwork {
    let mut net = TestNetwork::deploy(contract_wasm());
    net.contract_call(INIT, json!({"parameters": parameters(N), "domains": domains()})).expect_ok();
    net
}

fn vote_pk(net: &mut TestNetwork, who: usize, shares: &[DomainPublicKey]) -> ExecutionOutcome {
    let d0 = domains()[0];
    let args =
        json!({"key_event_id": key_event(0, 0), "public_key": domain_key(&d0, "genesis"), "verifying_shares": shares});
    net.node_call(&account(who), VOTE_PK, args)
}

#[test]
fn vote_pk__should_not_agree_while_voters_see_different_verifying_shares() {
    let mut net = initializing();
    let d0 = domains()[0];
    let good = verifying_shares(&d0, 0, ids(N));
    let mut other = good.clone();
    other[1] = domain_key(&d0, "a flipped bit");
    vote_pk(&mut net, 0, &other).expect_ok();
    for i in 1..N {
        vote_pk(&mut net, i, &good).expect_ok();
    }
    assert!(
        matches!(net.state(), ProtocolStateView::Initializing(ref s) if s.generated.is_empty()),
        "the same key with other verifying shares is another choice"
    );
    let changed = vote_pk(&mut net, 0, &good);
    assert_eq!(changed.events()[0]["event"], "key_generated");
}

#[test]
fn verifying_shares__should_return_each_participants_agreed_shares_after_keygen() {
    let mut net = initializing();
    assert_eq!(view(&net, &account(0)), None, "no keyset yet");
    net.complete_keygen(N);
    for i in 0..N {
        assert_eq!(view(&net, &account(i)), Some(expected(0, i as u32)));
    }
    assert_eq!(view(&net, "stranger.near"), None);
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("verifying_shares_after_keygen", view(&net, &account(2)));
    });
}

fn proposal_without_last() -> Value {
    let mut smaller = parameters(N);
    smaller.participants.pop();
    json!({"epoch_id": 1, "proposal": smaller})
}

#[test]
fn verifying_shares__should_move_to_the_new_keyset_when_resharing_completes_and_drop_the_old() {
    let mut net = TestNetwork::generated(contract_wasm(), N);
    for i in 0..N - 1 {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, proposal_without_last()).expect_ok();
    }
    for domain in 0..2 {
        let args = net.vote_reshared_args(1, domain);
        for i in 0..N - 1 {
            net.node_call(&account(i), VOTE_RESHARED, args.clone()).expect_ok();
        }
        if domain == 0 {
            assert_eq!(view(&net, &account(0)), Some(expected(0, 0)), "the old keyset is in force until the end");
        }
    }
    assert_eq!(view(&net, &account(0)), Some(expected(1, 0)));
    assert_eq!(view(&net, &account(N - 1)), None, "node3 left the set");
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("verifying_shares_after_resharing", view(&net, &account(1)));
    });
    // Two entries (one per domain) before and after: the old keyset's are gone.
    let entries =
        |net: &TestNetwork| net.harness().raw_storage().iter().filter(|(k, _)| k[0] == VERIFYING_SHARES_PREFIX).count();
    assert_eq!(entries(&net), 2);
}

#[test]
fn verifying_shares__should_find_each_participants_share_when_a_lower_id_left_the_set() {
    let mut net = TestNetwork::generated(contract_wasm(), N);
    let mut without_1 = parameters(N);
    without_1.participants.remove(1);
    let stay = [0, 2, 3];
    for i in stay {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": without_1})).expect_ok();
    }
    for domain in 0..2 {
        // The plain list is in increasing id: 0, 2, 3.
        let args = net.vote_reshared_args(1, domain);
        for i in stay {
            net.node_call(&account(i), VOTE_RESHARED, args.clone()).expect_ok();
        }
    }
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
    for i in stay {
        assert_eq!(view(&net, &account(i)), Some(expected(1, i as u32)), "node{i}");
    }
    assert_eq!(view(&net, &account(1)), None, "node1 left the set");
}

#[test]
fn verifying_shares__should_drop_a_cancelled_resharings_partial_shares() {
    let mut net = TestNetwork::generated(contract_wasm(), N);
    for i in 0..N - 1 {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, proposal_without_last()).expect_ok();
    }
    let args = net.vote_reshared_args(1, 0);
    for i in 0..N - 1 {
        net.node_call(&account(i), VOTE_RESHARED, args.clone()).expect_ok();
    }
    let entries =
        |net: &TestNetwork| net.harness().raw_storage().iter().filter(|(k, _)| k[0] == VERIFYING_SHARES_PREFIX).count();
    assert_eq!(entries(&net), 3, "two of epoch 0, one agreed for epoch 1");
    for i in 0..3 {
        net.node_call(&account(i), VOTE_CANCEL_RESHARING, json!({})).expect_ok();
    }
    assert!(matches!(net.state(), ProtocolStateView::Running(_)));
    assert_eq!(entries(&net), 2);
    assert_eq!(view(&net, &account(3)), Some(expected(0, 3)));
}

#[test]
fn verifying_shares__should_stay_the_same_through_a_recovery() {
    let mut net = TestNetwork::generated(contract_wasm(), N);
    let before = view(&net, &account(1));
    let lost = account(1);
    let entry = json!({"info": info(&lost, 1), "node_public_key": new_node_key(&lost)});
    net.operator_call(&lost, SUBMIT_PARTICIPANT_RECOVERY_INFO, entry).expect_ok();
    assert!(matches!(net.state(), ProtocolStateView::Recovery(_)));
    assert_eq!(view(&net, &lost), before);
    net.operator_call(&lost, CANCEL_RECOVERY, json!({})).expect_ok();
    assert_eq!(view(&net, &lost), before);
}

#[test]
fn verifying_shares__should_be_absent_after_upgrade_until_the_next_resharing_records_them() {
    let mut net = TestNetwork::running(pre_recovery_wasm(), N);
    net.harness_mut().replace_code(contract_wasm());
    net.contract_call(MIGRATE, json!({})).expect_ok();
    assert_eq!(view(&net, &account(0)), None, "the pre-recovery release recorded none");
    let same_set = json!({"epoch_id": 1, "proposal": parameters(N)});
    for i in 0..N {
        net.node_call(&account(i), VOTE_NEW_PARAMETERS, same_set.clone()).expect_ok();
    }
    for domain in 0..2 {
        let args = net.vote_reshared_args(1, domain);
        for i in 0..N {
            net.node_call(&account(i), VOTE_RESHARED, args.clone()).expect_ok();
        }
    }
    assert_eq!(view(&net, &account(0)), Some(expected(1, 0)));
}
