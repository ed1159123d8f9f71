#![allow(non_snake_case)]
//! `drill --hard` end to end over mutual TLS (`scripts/test.sh` runs it over
//! web endpoints): a recovery in Hard launch mode with development
//! attestations, where the lost account's service is refused while its
//! attestation is expired and delivers once it re-attests (both checked
//! inside `scenario::run`). Its own test binary: it logs refusals on purpose.

use drill::network::Network;
use drill::scenario::{run, Settings};
use share_transfer::Transport;
use std::sync::Mutex;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hard_drill__should_refuse_the_expired_service_then_recover_after_it_reattests() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let writer = Mutex::new(log.reopen().unwrap());
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_ansi(false).with_writer(writer).finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir.path().to_owned(), Transport::Mtls);
    let settings = Settings { nodes: 3, threshold: 2, lose: 1, operator_enters: false, hard: true };

    let report = run(&network, &settings).await.unwrap_or_else(|e| panic!("hard drill failed: {e:#}"));

    assert_eq!(report.recovered, ["node1.drill.near"]);
    for phase in ["vote the Hard launch mode", "every attestation expires", "refused by the new node and the contract"]
    {
        assert!(report.timeline.contains(phase), "no phase `{phase}`:\n{}", report.timeline);
    }
    let logged = std::fs::read_to_string(log.path()).unwrap();
    let refusal = "refusing the backup service (Hard mode) account=node1.drill.near";
    assert!(logged.contains(refusal), "the new node logged no refusal with its reason:\n{logged}");
    assert!(logged.contains("the drill took the quote tool down"), "the failed re-attestation is logged:\n{logged}");
}
