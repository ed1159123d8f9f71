//! A local disaster-recovery drill: both transports, backup then recovery,
//! on 127.0.0.1, with in-memory stand-ins for the contract. Run with
//! `cargo run -p share-transfer --example loopback_transfer` (the in-memory
//! stand-ins are the crate's `test-doubles` feature, on for its examples).

// The endpoint's errors carry keys by value (see lib.rs).
#![allow(clippy::result_large_err)]

use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::primitives::{DomainId, DomainPublicKey, EpochId, KeyForDomain, Keyset};
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint};
use share_transfer::test_doubles::shares_for;
use share_transfer::web::{BackupServiceClient, WebConfig, WebNode};
use share_transfer::{Identity, InMemoryAuthority, InMemoryDirectory, Party, Session, SessionKind};
use std::sync::Arc;
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyset = Keyset {
        epoch_id: EpochId(1),
        domains: vec![
            KeyForDomain {
                domain_id: DomainId(0),
                public_key: DomainPublicKey::Secp256k1(Secp256k1PublicKey([1; 64])),
            },
            KeyForDomain { domain_id: DomainId(1), public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([2; 32])) },
        ],
    };
    let shares = shares_for(&keyset);

    // --- mTLS: the node backs up, its machine is lost, a new one recovers.
    let backup_id = Identity::generate();
    let old_node_id = Identity::generate();
    let node_registration = InMemoryAuthority::new(Some(old_node_id.public_key()));
    let backup_registration = InMemoryAuthority::new(Some(backup_id.public_key()));
    let backup =
        MtlsEndpoint::new(&backup_id, Party::Node, Arc::new(node_registration.clone()), MtlsConfig::default())?;
    // A node's endpoint: its peer is the registered backup service.
    let node_endpoint = |id: &Identity| {
        MtlsEndpoint::new(id, Party::BackupService, Arc::new(backup_registration.clone()), MtlsConfig::default())
    };
    let old_node = node_endpoint(&old_node_id)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (served, copy) = tokio::join!(old_node.serve_backup(&listener, &shares), backup.fetch_backup(addr, &keyset));
    println!("mTLS backup:   {:?}", served?);
    let copy = copy?;

    let new_node_id = Identity::generate();
    node_registration.set(Some(new_node_id.public_key())); // the new machine registers its TLS key
    let new_node = node_endpoint(&new_node_id)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (restored, delivered) =
        tokio::join!(new_node.receive_recovery(&listener, &keyset), backup.deliver_recovery(addr, &copy));
    println!("mTLS recovery: {:?}", delivered?);
    assert_eq!(restored?, shares);

    // --- Web: same story over the node's HTTP endpoints.
    let backup_id = Arc::new(backup_id);
    let directory = InMemoryDirectory::new();
    let node = WebNode::new(
        Arc::new(backup_registration.clone()),
        Arc::new(directory.for_party(Party::Node)),
        WebConfig::default(),
    );
    node.set_backup_shares(Some(shares.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = BackupServiceClient::new(
        listener.local_addr()?,
        backup_id.clone(),
        Arc::new(directory.for_party(Party::BackupService)),
        WebConfig::default(),
    );
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let session = Session { kind: SessionKind::Backup, epoch_id: keyset.epoch_id, nonce: 1 };
    let copy = client.fetch_backup(session, &keyset).await?;
    println!("web backup:    {} domains", copy.shares.len());

    let session = Session { kind: SessionKind::Recovery, epoch_id: keyset.epoch_id, nonce: 1 };
    let handle = node.begin_recovery(session, keyset.clone()).await?;
    // The node acknowledges only what it took (`wait` takes it): both run at once.
    let (delivered, received) = tokio::join!(client.deliver_recovery(session, &copy), handle.wait());
    println!("web recovery:  {:?}", delivered?);
    assert_eq!(received?, shares);
    println!("drill passed");
    Ok(())
}
