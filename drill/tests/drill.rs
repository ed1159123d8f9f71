#![allow(non_snake_case)]
//! The drill itself, end to end over loopback, with both transports: a
//! machine is destroyed, its replacement recovers, and the verdict is checked
//! from the contract and the shares (inside `scenario::run`).

use drill::network::Network;
use drill::scenario::{run, Settings};
use share_transfer::Transport;

async fn drill(transport: Transport, lose: usize, operator_enters: bool) -> drill::scenario::Report {
    let workdir = tempfile::tempdir().unwrap();
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), transport);
    let report = run(&network, &Settings { nodes: 4, threshold: 3, lose, operator_enters }).await;
    report.unwrap_or_else(|e| panic!("drill failed: {e:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_recover_a_lost_machine_over_mutual_tls() {
    let report = drill(Transport::Mtls, 1, false).await;
    assert_eq!(report.recovered, ["node1.drill.near"]);
    assert!(report.timeline.contains("approves"), "{}", report.timeline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_recover_two_machines_in_turn_over_web_endpoints() {
    let report = drill(Transport::Web, 2, false).await;
    assert_eq!(report.recovered, ["node1.drill.near", "node3.drill.near"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_finish_a_recovery_the_operator_entered_naming_the_new_nodes_key() {
    let report = drill(Transport::Web, 1, true).await;
    assert_eq!(report.recovered, ["node1.drill.near"]);
    assert!(report.timeline.contains("naming the replacement's node key"), "{}", report.timeline);
    assert!(!report.timeline.contains("approves"), "approved at entry: {}", report.timeline);
}
