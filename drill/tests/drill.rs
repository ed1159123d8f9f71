#![allow(non_snake_case)]
//! The drill itself, end to end over loopback, with both transports: a
//! machine is destroyed, its replacement recovers, and the verdict is checked
//! from the contract and the shares (inside `scenario::run`).

use drill::network::Network;
use drill::scenario::{run, Settings};
use share_transfer::Transport;
use std::sync::{Mutex, OnceLock};

/// WARN and ERROR lines logged anywhere in this test binary.
static NOISE: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Noise;

impl std::io::Write for Noise {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        NOISE.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the old machine logs (ERROR) while its account's recovery waits for approval.
const ALARM: &str = "ALARM: a recovery of this account onto ANOTHER machine is pending approval";

/// A healthy drill is quiet: everything it logs at WARN or above is kept.
fn capture_warnings() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(|| Noise)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

async fn drill(transport: Transport, lose: usize, operator_enters: bool) -> drill::scenario::Report {
    capture_warnings();
    let workdir = tempfile::tempdir().unwrap();
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), transport);
    let report = run(&network, &Settings { nodes: 4, threshold: 3, lose, operator_enters, hard: false }).await;
    let report = report.unwrap_or_else(|e| panic!("drill failed: {e:#}"));
    let logged = String::from_utf8_lossy(&NOISE.lock().unwrap()).into_owned();
    // The one expected ERROR: the old machine, left running, sees its
    // account's recovery onto the replacement pending approval.
    let (alarms, noise): (Vec<&str>, Vec<&str>) = logged.lines().partition(|line| line.contains(ALARM));
    assert!(noise.is_empty(), "a healthy drill logged warnings or errors:\n{}", noise.join("\n"));
    if !operator_enters {
        assert!(!alarms.is_empty(), "the old machine raised no alarm while the recovery was pending approval");
    }
    report
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
