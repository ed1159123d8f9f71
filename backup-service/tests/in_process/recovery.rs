//! Recovery: the service hands the stored shares to the approved new machine,
//! confirms on chain, and the new machine concludes.

use crate::support::*;
use backup_service::{RoundOutcome, ServiceError, Transport};
use contract_tests::scenario::new_node_key;
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::RecoveryStatus;
use std::time::Duration;

#[tokio::test]
async fn mtls_recovery__should_wait_without_an_error_while_the_new_machine_is_not_receiving_yet() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let (machine, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&machine).await;
    idle_node(listener);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::NodeNotReceivingYet { epoch: EpochId(0) });
    assert_eq!(service.metrics().total_errors(), 0);
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Approved), "nothing delivered");
}

#[tokio::test]
async fn mtls_recovery__should_deliver_to_the_approved_machine_confirm_and_let_it_conclude() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let (new_identity, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&new_identity).await;
    let keyset = world.keyset().await;
    let new_node = world.node_mtls(&new_identity);

    let (received, outcome) = tokio::join!(new_node.receive_recovery(&listener, &keyset), service.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::Delivered { epoch: EpochId(0) });
    assert_eq!(received.unwrap(), world.shares);
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Delivered));
    assert_eq!(service.metrics().deliveries(), 1);

    world.conclude_recovery(&keyset).await.unwrap();
    assert!(world.recovery_status().await.is_none(), "recovery concluded");
}

#[tokio::test]
async fn web_recovery__should_deliver_to_the_approved_machine_confirm_and_let_it_conclude() {
    let (world, service) = backed_up(3, Transport::Web).await;
    let (machine, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&machine).await;
    let keyset = world.keyset().await;
    let new_node = world.web_node(new_node_key(ACCOUNT));
    let server = new_node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::AwaitingNodeSession { epoch: EpochId(3) });

    let handle = new_node.begin_recovery(recovery_session(EpochId(3), 1), keyset.clone()).await.unwrap();
    // The node acknowledges once it has the shares (here: as soon as they arrive).
    let (outcome, received) = tokio::join!(service.run_once(), handle.wait());
    assert_eq!(outcome.unwrap(), RoundOutcome::Delivered { epoch: EpochId(3) });
    assert_eq!(received.unwrap(), world.shares);
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Delivered));
    world.conclude_recovery(&keyset).await.unwrap();
}

#[tokio::test]
async fn recovery__should_send_nothing_while_the_recovery_awaits_approval() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let (new_identity, listener, _) = world.enter_recovery().await;
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::PendingApproval));
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::AwaitingApproval);
    let contacted = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(contacted.is_err(), "the service connected to an unapproved machine");
    assert!(world.conclude_recovery(&world.keyset().await).await.is_err(), "nothing was confirmed");

    world.approve_recovery(&new_identity).await;
    let keyset = world.keyset().await;
    let new_node = world.node_mtls(&new_identity);
    let (received, outcome) = tokio::join!(new_node.receive_recovery(&listener, &keyset), service.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::Delivered { epoch: EpochId(0) });
    assert_eq!(received.unwrap(), world.shares);
}

#[tokio::test]
async fn recovery__should_not_deliver_again_once_the_contract_records_the_delivery() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let (new_identity, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&new_identity).await;
    let keyset = world.keyset().await;
    let new_node = world.node_mtls(&new_identity);
    let (_, outcome) = tokio::join!(new_node.receive_recovery(&listener, &keyset), service.run_once());
    outcome.unwrap();
    for _ in 0..3 {
        assert_eq!(service.run_once().await.unwrap(), RoundOutcome::AlreadyDelivered);
    }
    let contacted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(contacted.is_err(), "delivered twice");
    assert_eq!(service.metrics().deliveries(), 1);
}

#[tokio::test]
async fn recovery__should_report_that_it_holds_no_copy_instead_of_sending_anything() {
    let world = World::new(0).await;
    let service = world.service(Transport::Mtls);
    let (machine, _, _) = world.enter_recovery().await;
    world.approve_recovery(&machine).await;
    let err = service.run_once().await.unwrap_err();
    assert!(matches!(err, ServiceError::NoCopy { epoch: EpochId(0), held: None }), "{err}");
    assert_eq!(err.to_string(), "recovery needs the shares of epoch 0, but storage holds none");
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Approved));
}

#[tokio::test]
async fn recovery__should_refuse_to_deliver_a_corrupted_copy() {
    let (world, service) = backed_up(0, Transport::Mtls).await;
    let path = service.storage().path_for(EpochId(0));
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let (machine, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&machine).await;
    let err = service.run_once().await.unwrap_err();
    assert_eq!(err.kind(), "storage_corrupt", "{err}");
    assert!(err.to_string().contains("fails authentication"), "{err}");
    let contacted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(contacted.is_err(), "sent a corrupted copy");
    assert_eq!(world.recovery_status().await, Some(RecoveryStatus::Approved));
}

/// A web recovery session is good for one attempt (the contract and the node
/// refuse a second one): after a refused delivery the service waits for the
/// node to open a new session rather than replaying the used one.
#[tokio::test]
async fn web_recovery__should_never_reuse_a_session_and_deliver_in_the_next_one() {
    let (world, service) = backed_up(0, Transport::Web).await;
    let (machine, listener, _) = world.enter_recovery().await;
    world.approve_recovery(&machine).await;
    let keyset = world.keyset().await;
    let new_node = world.web_node(new_node_key(ACCOUNT));
    let server = new_node.clone();
    tokio::spawn(async move { server.serve(listener).await });

    // The node waits for shares of another keyset: it refuses what the service sends.
    let mut wrong = keyset.clone();
    wrong.domains.reverse();
    let first = new_node.begin_recovery(recovery_session(EpochId(0), 1), wrong).await.unwrap();
    let err = service.run_once().await.unwrap_err();
    assert_eq!(err.kind(), "transfer", "{err}");
    assert!(first.wait().await.is_err());
    for _ in 0..2 {
        assert_eq!(service.run_once().await.unwrap(), RoundOutcome::AwaitingNodeSession { epoch: EpochId(0) });
    }

    let second = new_node.begin_recovery(recovery_session(EpochId(0), 2), keyset.clone()).await.unwrap();
    let (outcome, received) = tokio::join!(service.run_once(), second.wait());
    assert_eq!(outcome.unwrap(), RoundOutcome::Delivered { epoch: EpochId(0) });
    assert_eq!(received.unwrap(), world.shares);
    world.conclude_recovery(&keyset).await.unwrap();
}
