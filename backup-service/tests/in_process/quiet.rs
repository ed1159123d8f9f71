//! Quiet when healthy: a node that does not serve the contract's keyset yet
//! (the moment after a keyset change) is an expected answer, logged below
//! WARN and never counted as an error.

use crate::support::*;
use backup_service::{RoundOutcome, Transport};
use contract_tests::scenario::node_key;
use mpc_interface::primitives::EpochId;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn backup__should_wait_without_an_error_while_the_node_is_idle() {
    let mut world = World::new(0).await;
    idle_node(world.take_node_listener());
    let service = world.service(Transport::Mtls);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::NodeNotServingYet { epoch: EpochId(0) });
    assert_eq!(service.metrics().total_errors(), 0);
    assert!(!service.metrics().copy_current());
}

/// A service started before its operator ran the register command (the drill
/// and the runbook start it first) waits; it publishes nothing and counts no error.
#[tokio::test]
async fn backup__should_wait_without_an_error_until_the_service_is_registered() {
    for transport in [Transport::Web, Transport::Mtls] {
        let mut world = World::unregistered(0).await;
        idle_node(world.take_node_listener());
        let service = world.service(transport);
        let outcome = service.run_once().await.unwrap_or_else(|e| panic!("{transport}: {e}"));
        assert!(
            matches!(&outcome, RoundOutcome::Idle { reason } if reason.contains("not registered")),
            "{transport}: {outcome:?}"
        );
        assert_eq!(service.metrics().total_errors(), 0, "{transport}");
    }
}

#[tokio::test]
async fn web_backup__should_wait_without_an_error_while_the_node_has_no_shares() {
    let mut world = World::new(2).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    node.set_backup_shares(None);
    tokio::spawn(async move { node.serve(listener).await });
    let service = world.service(Transport::Web);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::NodeNotServingYet { epoch: EpochId(2) });
    assert_eq!(service.metrics().total_errors(), 0);
}

#[tokio::test]
async fn run__should_log_no_warning_while_the_node_does_not_serve_the_keyset_yet() {
    let mut world = World::new(0).await;
    idle_node(world.take_node_listener());
    let mut config = world.config(Transport::Mtls);
    config.poll_interval = Duration::from_millis(20);
    let service = world.service_with(config, world.service_client());
    let captured = Logs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.cancel();
    });
    service.run(cancel).await;
    let log = captured.text();
    assert!(service.metrics().polls() >= 3, "{log}");
    assert!(log.contains("does not serve this keyset yet"), "{log}");
    assert!(!log.contains(" WARN ") && !log.contains(" ERROR "), "a healthy wait logged a warning:\n{log}");
    assert_eq!(service.metrics().total_errors(), 0, "{log}");
}
