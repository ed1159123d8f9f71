//! Mutual-TLS transport over real loopback sockets.
#![allow(non_snake_case)]

mod support;

use share_transfer::mtls::{Frame, MtlsEndpoint, MtlsError};
use share_transfer::{Identity, InMemoryAuthority, Party, PayloadError, SessionKind, SharesPayload};
use std::sync::Arc;
use std::time::Duration;
use support::proxy::{self, Tamper};
use support::{fast_mtls, keyset, listener, shares_for, shares_of_len};

/// A node and its backup service, each with the contract's view of the other.
struct Setup {
    node_id: Identity,
    backup_id: Identity,
    /// What the node reads: the backup service's registered key.
    backup_registration: InMemoryAuthority,
    /// What the backup service reads: the node's `tls_public_key`.
    node_registration: InMemoryAuthority,
    node: MtlsEndpoint,
    backup: MtlsEndpoint,
}

fn setup() -> Setup {
    let node_id = Identity::generate();
    let backup_id = Identity::generate();
    let backup_registration = InMemoryAuthority::new(Some(backup_id.public_key()));
    let node_registration = InMemoryAuthority::new(Some(node_id.public_key()));
    let node =
        MtlsEndpoint::new(&node_id, Party::BackupService, Arc::new(backup_registration.clone()), fast_mtls()).unwrap();
    let backup = MtlsEndpoint::new(&backup_id, Party::Node, Arc::new(node_registration.clone()), fast_mtls()).unwrap();
    Setup { node_id, backup_id, backup_registration, node_registration, node, backup }
}

#[tokio::test]
async fn mtls_backup__should_deliver_node_shares_to_registered_backup_service() {
    let s = setup();
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    let (listener, addr) = listener().await;

    let (served, fetched) = tokio::join!(s.node.serve_backup(&listener, &shares), s.backup.fetch_backup(addr, &keyset));

    let receipt = served.unwrap();
    assert_eq!(fetched.unwrap(), shares, "payload arrives intact");
    assert_eq!(receipt.peer_key, s.backup_id.public_key());
    assert_eq!(receipt.epoch_id, keyset.epoch_id);
    assert_eq!(receipt.domains, 2);
}

#[tokio::test]
async fn mtls_recovery__should_deliver_shares_to_registered_replacement_node() {
    let s = setup();
    let keyset = keyset(7);
    let shares = shares_of_len(&keyset, 48);
    let (listener, addr) = listener().await;

    let (received, delivered) =
        tokio::join!(s.node.receive_recovery(&listener, &keyset), s.backup.deliver_recovery(addr, &shares));

    assert_eq!(received.unwrap(), shares, "payload arrives intact");
    let receipt = delivered.unwrap();
    assert_eq!(receipt.peer_key, s.node_id.public_key());
    assert_eq!(receipt.domains, 2);
}

#[tokio::test]
async fn mtls_backup__should_refuse_unregistered_peer_key() {
    let s = setup();
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    let registered = Identity::generate().public_key();
    s.backup_registration.set(Some(registered));
    let (listener, addr) = listener().await;

    let (served, fetched) = tokio::join!(s.node.serve_backup(&listener, &shares), s.backup.fetch_backup(addr, &keyset));

    let presented = s.backup_id.public_key();
    match served {
        Err(MtlsError::WrongPeerKey { registered: r, presented: p, .. }) => assert_eq!((r, p), (registered, presented)),
        other => panic!("node should refuse the backup service, got {other:?}"),
    }
    // The honest-but-unregistered side learns it was refused, and why to look.
    let err = fetched.unwrap_err();
    assert!(matches!(err, MtlsError::RefusedByPeer { .. }), "{err:?}");
    assert!(err.to_string().contains(&presented.to_string()), "{err}");
}

#[tokio::test]
async fn mtls_backup__should_name_both_keys_when_refusing() {
    let s = setup();
    let registered = Identity::generate().public_key();
    s.backup_registration.set(Some(registered));
    let (listener, addr) = listener().await;
    let keyset = keyset(1);
    let shares = shares_for(&keyset);

    let (served, _) = tokio::join!(s.node.serve_backup(&listener, &shares), s.backup.fetch_backup(addr, &keyset));

    assert_eq!(
        served.unwrap_err().to_string(),
        format!("the backup service presented {}, but the contract registers {registered}", s.backup_id.public_key())
    );
}

#[tokio::test]
async fn mtls_backup__should_refuse_peer_when_no_key_is_registered() {
    let s = setup();
    s.backup_registration.set(None);
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    let (listener, addr) = listener().await;

    let (served, fetched) = tokio::join!(s.node.serve_backup(&listener, &shares), s.backup.fetch_backup(addr, &keyset));

    let err = served.unwrap_err();
    assert!(matches!(err, MtlsError::PeerNotRegistered { .. }), "{err:?}");
    assert!(err.to_string().contains("no backup service key is registered"), "{err}");
    assert!(fetched.is_err());
}

#[tokio::test]
async fn mtls_recovery__should_refuse_impostor_node_before_sending_shares() {
    let s = setup();
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    // An impostor listens where the node should be, with its own key.
    let impostor_id = Identity::generate();
    let impostor = MtlsEndpoint::new(
        &impostor_id,
        Party::BackupService,
        Arc::new(InMemoryAuthority::new(Some(s.backup_id.public_key()))),
        fast_mtls(),
    )
    .unwrap();
    let (listener, addr) = listener().await;

    let (received, delivered) =
        tokio::join!(impostor.receive_recovery(&listener, &keyset), s.backup.deliver_recovery(addr, &shares));

    match delivered {
        Err(MtlsError::WrongPeerKey { peer: Party::Node, registered, presented }) => {
            assert_eq!(registered, s.node_id.public_key());
            assert_eq!(presented, impostor_id.public_key());
        }
        other => panic!("backup service should refuse the impostor, got {other:?}"),
    }
    let err = received.unwrap_err();
    assert!(
        matches!(err, MtlsError::RefusedByPeer { .. } | MtlsError::PeerClosed { .. }),
        "impostor gets nothing: {err:?}"
    );
}

#[tokio::test]
async fn mtls_backup__should_drop_connection_when_registration_changes_mid_connection() {
    let Setup { node, backup, backup_registration, backup_id, .. } = setup();
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    let (listener, addr) = listener().await;
    let serving = tokio::spawn(async move { node.serve_backup(&listener, &shares).await });

    // The backup service authenticates, then idles before asking for shares.
    let mut channel = backup.connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let rotated = Identity::generate().public_key();
    backup_registration.set(Some(rotated));

    let served = tokio::time::timeout(Duration::from_secs(2), serving)
        .await
        .expect("node notices within a few re-check intervals")
        .unwrap();
    match served {
        Err(MtlsError::RegistrationChanged { presented, registered, .. }) => {
            assert_eq!(presented, backup_id.public_key());
            assert_eq!(registered, Some(rotated));
        }
        other => panic!("expected RegistrationChanged, got {other:?}"),
    }
    // The connection is gone: the backup service gets no shares.
    let after =
        tokio::time::timeout(Duration::from_secs(2), channel.recv()).await.expect("connection closed, not hanging");
    assert!(after.is_err(), "no frame after the drop: {after:?}");
}

#[tokio::test]
async fn mtls_recovery__should_not_confirm_delivery_when_node_registration_changes_before_ack() {
    let Setup { node, backup, node_registration, .. } = setup();
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    let (listener, addr) = listener().await;
    let delivering = tokio::spawn(async move { backup.deliver_recovery(addr, &shares).await });

    // A node that reads the shares but stalls before acknowledging.
    let mut channel = node.accept(&listener).await.unwrap();
    assert_eq!(channel.recv().await.unwrap(), Frame::Hello { kind: SessionKind::Recovery });
    assert!(matches!(channel.recv().await.unwrap(), Frame::Shares(_)));
    node_registration.set(None); // the node's registration is withdrawn

    let delivered = tokio::time::timeout(Duration::from_secs(2), delivering)
        .await
        .expect("backup service notices within a few re-check intervals")
        .unwrap();
    let err = delivered.unwrap_err();
    assert!(matches!(err, MtlsError::RegistrationChanged { registered: None, .. }), "{err:?}");
    assert!(err.to_string().contains("now has no key"), "{err}");
}

#[tokio::test]
async fn mtls_backup__should_refuse_shares_of_wrong_epoch() {
    let s = setup();
    let contract = keyset(4);
    let stale = shares_for(&keyset(3));
    let (listener, addr) = listener().await;

    let (served, fetched) =
        tokio::join!(s.node.serve_backup(&listener, &stale), s.backup.fetch_backup(addr, &contract));

    assert!(matches!(fetched, Err(MtlsError::Payload(PayloadError::WrongEpoch { .. }))));
    match served {
        Err(MtlsError::PeerRefused { reason, .. }) => {
            assert!(reason.contains("wrong epoch: payload has 3, contract has 4"), "{reason}")
        }
        other => panic!("sender must learn the refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn mtls_recovery__should_refuse_wrong_public_key_and_accept_nothing() {
    let s = setup();
    let contract = keyset(4);
    let mut wrong: SharesPayload = shares_for(&contract);
    wrong.shares[1].public_key = keyset(4).domains[0].public_key;
    let (listener, addr) = listener().await;

    let (received, delivered) =
        tokio::join!(s.node.receive_recovery(&listener, &contract), s.backup.deliver_recovery(addr, &wrong));

    let err = received.unwrap_err();
    assert!(matches!(err, MtlsError::Payload(PayloadError::PublicKeyMismatch { .. })), "{err:?}");
    match delivered {
        Err(MtlsError::PeerRefused { reason, .. }) => {
            assert!(reason.contains("domain 1: public key"), "{reason}");
            assert!(reason.contains("differs from the contract's"), "{reason}");
        }
        other => panic!("sender must learn the refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn mtls_recovery__should_refuse_tampered_payload() {
    let s = setup();
    let keyset = keyset(4);
    // Large shares so the record carrying them is the biggest on the wire.
    let shares = shares_of_len(&keyset, 4000);
    let (listener, addr) = listener().await;
    let mitm = proxy::spawn(addr, Tamper::LargeClientTlsRecord { min_len: 6000 }).await;

    let (received, delivered) =
        tokio::join!(s.node.receive_recovery(&listener, &keyset), s.backup.deliver_recovery(mitm.addr, &shares));

    assert_eq!(mitm.tampered.load(std::sync::atomic::Ordering::SeqCst), 1);
    let err = received.unwrap_err();
    assert!(matches!(err, MtlsError::Tls { .. }), "{err:?}");
    let err = delivered.unwrap_err();
    assert!(
        matches!(err, MtlsError::TlsAlert { ref alert, .. } if alert == "BadRecordMac"),
        "no acknowledgement for a corrupted delivery: {err:?}"
    );
}

#[tokio::test]
async fn mtls_backup__should_refuse_wrong_request_kind() {
    let s = setup();
    let keyset = keyset(4);
    let (listener, addr) = listener().await;

    // A backup service that dials a node waiting for a recovery.
    let (received, fetched) =
        tokio::join!(s.node.receive_recovery(&listener, &keyset), s.backup.fetch_backup(addr, &keyset));

    assert!(matches!(
        received,
        Err(MtlsError::WrongRequest { expected: SessionKind::Recovery, got: SessionKind::Backup })
    ));
    assert!(matches!(fetched, Err(MtlsError::PeerRefused { .. })), "{fetched:?}");
}

#[tokio::test]
async fn mtls__should_refuse_peer_without_ed25519_certificate() {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let s = setup();
    let (listener, addr) = listener().await;
    let shares = shares_for(&keyset(1));
    let serving = tokio::spawn(async move { s.node.serve_backup(&listener, &shares).await });

    // A client with an ECDSA P-256 certificate instead of Ed25519.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["x".into()]).unwrap().self_signed(&key).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
        .with_client_auth_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = tokio_rustls::TlsConnector::from(Arc::new(config)).connect("x".try_into().unwrap(), tcp).await;

    let served = serving.await.unwrap();
    // The node offers Ed25519 only, so the client has nothing it may present.
    match served {
        Err(MtlsError::Tls { reason, .. }) => assert!(reason.contains("no certificates"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The test client trusts any server: only the node's verdict is under test.
#[derive(Debug)]
struct AcceptAnything;

impl rustls::client::danger::ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        vec![rustls::SignatureScheme::ED25519, rustls::SignatureScheme::ECDSA_NISTP256_SHA256]
    }
}
