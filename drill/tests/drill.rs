#![allow(non_snake_case)]
//! The drill itself, end to end over loopback, with both transports: a
//! machine is destroyed, its replacement recovers, and the verdict is checked
//! from the contract and the shares (inside `scenario::run`).

use drill::network::Network;
use drill::scenario::{run, Settings};
use share_transfer::Transport;

async fn drill(transport: Transport, lose: usize) -> drill::scenario::Report {
    let workdir = tempfile::tempdir().unwrap();
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), transport);
    let report = run(&network, &Settings { nodes: 4, threshold: 3, lose }).await;
    report.unwrap_or_else(|e| panic!("drill failed: {e:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_recover_a_lost_machine_over_mutual_tls() {
    let report = drill(Transport::Mtls, 1).await;
    assert_eq!(report.recovered, ["node1.drill.near"]);
    assert!(report.timeline.contains("approves"), "{}", report.timeline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn drill__should_recover_two_machines_in_turn_over_web_endpoints() {
    let report = drill(Transport::Web, 2).await;
    assert_eq!(report.recovered, ["node1.drill.near", "node3.drill.near"]);
}
