//! Backups: the service copies the node's shares of each new keyset.

use crate::support::*;
use backup_service::status::{self, RegistrationCheck, Verdict};
use backup_service::{RoundOutcome, Transport};
use contract_client::MpcContract;
use contract_tests::scenario::node_key;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::SessionKind;
use std::fs;

#[tokio::test]
async fn mtls_backup__should_fetch_check_and_store_the_nodes_shares() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let (served, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
    assert_eq!(served.unwrap().peer_key, world.service_identity.public_key());
    assert_eq!(service.storage().load(EpochId(0)).unwrap(), world.shares);
    assert_eq!(service.metrics().last_backup_epoch(), Some(EpochId(0)));
    assert!(service.metrics().render().contains("backup_service_stored_epoch 0\n"));
    assert_eq!((service.metrics().contract_epoch(), service.metrics().copy_current()), (Some(EpochId(0)), true));
}

#[tokio::test]
async fn web_backup__should_fetch_check_and_store_the_nodes_shares() {
    let mut world = World::new(2).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    node.set_backup_shares(Some(world.shares.clone()));
    tokio::spawn(async move { node.serve(listener).await });
    let service = world.service(Transport::Web);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(2) });
    assert_eq!(service.storage().load(EpochId(2)).unwrap(), world.shares);
    let published = world.client(node_key(ACCOUNT)).ephemeral_keys(&account()).await.unwrap();
    let session = published.backup_service.expect("the service published its session key").session;
    assert_eq!((session.kind, session.epoch_id), (SessionKind::Backup, EpochId(2)));
}

#[tokio::test]
async fn backup__should_leave_the_node_alone_while_the_stored_copy_is_current() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let (_, first) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    assert_eq!(first.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
    // Nobody serves any more: a second fetch would fail.
    drop(listener);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::UpToDate { epoch: EpochId(0) });
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::UpToDate { epoch: EpochId(0) });
}

#[tokio::test]
async fn web_backup__should_fetch_again_with_a_fresh_session_when_the_epoch_advances() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    node.set_backup_shares(Some(world.shares.clone()));
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let service = world.service(Transport::Web);
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
    let reader = world.client(node_key(ACCOUNT));
    let first = reader.ephemeral_keys(&account()).await.unwrap().backup_service.unwrap().session;

    world.reshare().await;
    node.set_backup_shares(Some(world.shares.clone()));
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(1) });
    let second = reader.ephemeral_keys(&account()).await.unwrap().backup_service.unwrap().session;
    assert!(second.supersedes(&first) && second.epoch_id == EpochId(1), "{first:?} then {second:?}");
    assert_eq!(service.storage().load(EpochId(1)).unwrap(), world.shares);
    assert_eq!(service.storage().epochs().unwrap(), vec![EpochId(1)], "the superseded copy is removed");
}

#[tokio::test]
async fn backup__should_detect_a_corrupted_copy_report_it_and_fetch_a_good_one() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let (_, first) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    first.unwrap();
    let path = service.storage().path_for(EpochId(0));
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x80;
    fs::write(&path, &bytes).unwrap();
    assert!(service.storage().load(EpochId(0)).unwrap_err().is_corruption());

    let (_, again) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    assert_eq!(again.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
    assert_eq!(service.metrics().errors("storage_corrupt"), 1);
    assert_eq!(service.storage().load(EpochId(0)).unwrap(), world.shares);
}

#[tokio::test]
async fn status__should_show_stored_domains_the_registration_and_whether_the_copy_is_current() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let client = world.service_client();
    let access_key = client.signer().public_key;
    let identity = world.service_identity.public_key();
    let report = |key: AccessPublicKey| {
        let client = client.clone();
        let storage = service.storage();
        async move { status::collect(storage, account(), identity, key, Ok(client.as_ref())).await }
    };
    let before = report(access_key).await;
    assert!(matches!(&before.verdict(), Verdict::Stale { reason } if reason.contains("nothing is stored")), "{before}");
    assert_eq!(before.verdict().exit_code(), 3);
    assert!(before.to_string().contains("stored:           nothing yet"), "{before}");

    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    outcome.unwrap();
    let after = report(access_key).await;
    assert_eq!(after.verdict(), Verdict::Current { epoch: EpochId(0) });
    assert_eq!(after.verdict().exit_code(), 0);
    assert_eq!(after.contract.as_ref().unwrap().registration, RegistrationCheck::Matches);
    let text = after.to_string();
    assert!(text.contains("stored:           epoch 0, domains [0, 1]"), "{text}");
    assert!(text.contains("registration:     matches"), "{text}");
    assert!(text.contains("copy is current:  yes"), "{text}");
    for share in &world.shares.shares {
        let hex: String = share.secret_share.expose().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!text.contains(&hex[..16]), "a secret in the status output");
    }

    let other = report(node_key(ACCOUNT)).await;
    assert!(matches!(other.contract.as_ref().unwrap().registration, RegistrationCheck::Differs { .. }));
    assert_eq!(other.verdict().exit_code(), 5, "{other}");

    world.reshare().await;
    let moved = report(access_key).await;
    assert!(
        matches!(&moved.verdict(), Verdict::Stale { reason } if reason.contains("storage holds epoch 0")),
        "the network moved on: {moved}"
    );
}

#[tokio::test]
async fn web_backup__should_refuse_to_store_a_share_with_one_bit_flipped_despite_the_right_public_keys() {
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.web_node(node_key(ACCOUNT));
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let service = world.service(Transport::Web);
    // After a resharing the contract records node0's verifying shares.
    world.reshare().await;
    let mut flipped = world.shares.clone();
    let mut bytes = flipped.shares[0].secret_share.expose().to_vec();
    bytes[31] ^= 1;
    flipped.shares[0].secret_share = share_transfer::SecretShare::new(bytes);
    node.set_backup_shares(Some(flipped));

    let err = service.run_once().await.unwrap_err().to_string();

    assert!(err.contains("does not match participant 0's verifying share on the contract"), "{err}");
    assert_eq!(service.storage().epochs().unwrap(), Vec::<EpochId>::new(), "nothing stored");
    node.set_backup_shares(Some(world.shares.clone()));
    assert_eq!(service.run_once().await.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(1) });
    assert_eq!(service.storage().load(EpochId(1)).unwrap(), world.shares);
}
