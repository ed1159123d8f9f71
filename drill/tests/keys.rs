#![allow(non_snake_case)]
//! Every node and backup-service call of the drill goes through the function-call key its
//! operator added, with the method list `mpc-operator` prints
//! (`mpc_interface::methods::change_methods_for`): a method missing from the list fails the
//! recovery, and a listed method the drill never calls fails here unless it is named below
//! with the reason.

use drill::network::Network;
use drill::scenario::{run, Settings};
use mpc_interface::methods::{self, change_methods_for, Role};
use share_transfer::Transport;
use std::collections::BTreeSet;

/// Listed methods a drill legitimately never calls, with why.
const NEVER_IN_A_DRILL: &[(Role, &str, &str)] = &[
    (Role::Node, methods::VOTE_NEW_PARAMETERS, "the drill reshares nothing (contract-tests cover resharing)"),
    (Role::Node, methods::VOTE_RESHARED, "the drill reshares nothing"),
    (Role::Node, methods::VOTE_CANCEL_RESHARING, "the drill reshares nothing"),
    (Role::Node, methods::WITHDRAW_CANDIDATE_INFO, "the drill has no candidates"),
    (Role::Node, methods::CANCEL_RECOVERY, "the drill's recoveries all conclude"),
];

/// The methods each role's keys called in a drill (and checks none was refused).
async fn methods_called(settings: Settings, transport: Transport) -> [BTreeSet<String>; 2] {
    let workdir = tempfile::tempdir().unwrap();
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), transport);
    run(&network, &settings).await.unwrap_or_else(|e| panic!("drill failed: {e:#}"));
    let mut called = [BTreeSet::new(), BTreeSet::new()];
    for call in network.contract.signed_calls() {
        assert_eq!(call.refused, None, "the chain refused {call:?}");
        match network.role_of(&call.key) {
            Some(Role::Node) => called[0].insert(call.method),
            Some(Role::BackupService) => called[1].insert(call.method),
            _ => false,
        };
    }
    called
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_use_exactly_the_methods_each_function_call_key_lists() {
    let mut called = methods_called(
        Settings { nodes: 3, threshold: 2, lose: 1, operator_enters: false, hard: false },
        Transport::Web,
    )
    .await;
    let entered = methods_called(
        Settings { nodes: 3, threshold: 2, lose: 1, operator_enters: true, hard: true },
        Transport::Mtls,
    )
    .await;
    for (all, more) in called.iter_mut().zip(entered) {
        all.extend(more);
    }
    for (role, called) in [Role::Node, Role::BackupService].into_iter().zip(called) {
        let exempt: BTreeSet<String> =
            NEVER_IN_A_DRILL.iter().filter(|(r, ..)| *r == role).map(|(_, m, _)| m.to_string()).collect();
        let listed: BTreeSet<String> = change_methods_for(role).into_iter().map(String::from).collect();
        let unused: BTreeSet<_> = listed.difference(&called).cloned().collect();
        assert_eq!(
            unused, exempt,
            "{role:?} key: listed methods the drill never called (left) vs the exempt ones (right)"
        );
        assert!(called.is_subset(&listed), "{role:?} keys called methods outside their list: {called:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_fail_when_the_node_key_lacks_a_method_the_recovery_needs() {
    let workdir = tempfile::tempdir().unwrap();
    let mut network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), Transport::Web);
    network.key_methods = |role| {
        let mut list = change_methods_for(role);
        if role == Role::Node {
            list.retain(|m| *m != methods::CONCLUDE_RECOVERY);
        }
        list
    };
    let outcome =
        run(&network, &Settings { nodes: 3, threshold: 2, lose: 1, operator_enters: false, hard: false }).await;
    let Err(error) = outcome else { panic!("a recovery cannot conclude without `conclude_recovery` on the key") };
    let error = format!("{error:#}");
    assert!(error.contains("the network to run again"), "{error}");
    let refused: Vec<_> = network
        .contract
        .signed_calls()
        .into_iter()
        .filter(|c| c.method == methods::CONCLUDE_RECOVERY)
        .map(|c| c.refused.unwrap_or_default())
        .collect();
    assert!(!refused.is_empty(), "the replacement never tried to conclude");
    assert!(refused.iter().all(|r| r.contains("may not call `conclude_recovery`")), "{refused:?}");
}
