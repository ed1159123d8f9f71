//! Web transport over real loopback sockets: axum on the node, hyper on the
//! backup service, keys and registrations from in-memory contract stand-ins.
#![allow(non_snake_case)]

mod support;

use axum::http::StatusCode;
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::primitives::EpochId;
use share_transfer::web::auth::{now_ms, RequestAuth};
use share_transfer::web::crypto::{CryptoError, EphemeralKeyPair, Sealed};
use share_transfer::web::{decode_ack, BackupServiceClient, WebConfig, WebError, WebNode, BACKUP_PATH, RECOVER_PATH};
use share_transfer::{
    AuthorityError, EphemeralKeyDirectory, Identity, InMemoryAuthority, InMemoryDirectory, Party, PayloadError,
    Session, SessionKind,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use support::proxy::{self, Tamper};
use support::{keyset, listener, raw_request, shares_for, shares_of_len, text};

struct Setup {
    backup_id: Arc<Identity>,
    /// The node's view of the backup service's registered key.
    registration: InMemoryAuthority,
    directory: InMemoryDirectory,
    node: WebNode,
    addr: SocketAddr,
    client: BackupServiceClient,
}

async fn setup() -> Setup {
    let backup_id = Arc::new(Identity::generate());
    let registration = InMemoryAuthority::new(Some(backup_id.public_key()));
    let directory = InMemoryDirectory::new();
    let node =
        WebNode::new(Arc::new(registration.clone()), Arc::new(directory.for_party(Party::Node)), WebConfig::default());
    let (listener, addr) = listener().await;
    let server = node.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let client = client_to(addr, &backup_id, &directory);
    Setup { backup_id, registration, directory, node, addr, client }
}

fn client_to(addr: SocketAddr, id: &Arc<Identity>, directory: &InMemoryDirectory) -> BackupServiceClient {
    BackupServiceClient::new(
        addr,
        id.clone(),
        Arc::new(directory.for_party(Party::BackupService)),
        WebConfig::default(),
    )
}

fn session(kind: SessionKind, epoch: u64, nonce: u64) -> Session {
    Session { kind, epoch_id: EpochId(epoch), nonce }
}

fn refused(result: Result<impl std::fmt::Debug, WebError>) -> (u16, String) {
    match result {
        Err(WebError::Refused { status, message }) => (status, message),
        other => panic!("expected the node to refuse, got {other:?}"),
    }
}

#[tokio::test]
async fn web_backup__should_deliver_sealed_shares_to_registered_backup_service() {
    let s = setup().await;
    let keyset = keyset(4);
    let shares = shares_for(&keyset);
    s.node.set_backup_shares(Some(shares.clone()));
    let session = session(SessionKind::Backup, 4, 1);

    let fetched = s.client.fetch_backup(session, &keyset).await.unwrap();

    assert_eq!(fetched, shares, "payload arrives intact");
    // Both sides published a fresh ephemeral key for the session.
    let node_key = s.directory.published(session, Party::Node).unwrap();
    let backup_key = s.directory.published(session, Party::BackupService).unwrap();
    assert_ne!(node_key, backup_key);
}

#[tokio::test]
async fn web_recovery__should_deliver_shares_to_replacement_node() {
    let s = setup().await;
    let keyset = keyset(9);
    let shares = shares_of_len(&keyset, 48);
    let session = session(SessionKind::Recovery, 9, 1);
    let handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();

    // The node answers once it has the shares (here: as soon as they arrive).
    let (ack, received) = tokio::join!(s.client.deliver_recovery(session, &shares), handle.wait());

    let ack = ack.unwrap();
    assert_eq!((ack.epoch_id, ack.domains), (EpochId(9), 2));
    assert_eq!(received.unwrap(), shares, "payload arrives intact");
}

#[tokio::test]
async fn web_backup__should_refuse_unregistered_identity_key() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    let registered = Identity::generate().public_key();
    s.registration.set(Some(registered));

    let (status, message) = refused(s.client.fetch_backup(session(SessionKind::Backup, 4, 1), &keyset).await);

    assert_eq!(status, 401);
    assert_eq!(
        message,
        format!(
            "signature does not verify under the registered backup-service key {registered} (the request claims {})",
            s.backup_id.public_key()
        )
    );
}

#[tokio::test]
async fn web_backup__should_refuse_when_no_identity_is_registered() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    s.registration.set(None);

    let (status, message) = refused(s.client.fetch_backup(session(SessionKind::Backup, 4, 1), &keyset).await);

    assert_eq!(status, 401);
    assert!(message.contains("no backup-service key is registered"), "{message}");
}

#[tokio::test]
async fn web_recovery__should_refuse_request_after_registration_changes_mid_session() {
    let s = setup().await;
    let keyset = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();
    let request = s.client.prepare_recovery(session, &shares_for(&keyset)).await.unwrap();

    // The backup service's identity is rotated after the session began.
    let rotated = Identity::generate().public_key();
    s.registration.set(Some(rotated));
    let (status, message) = refused(decode_ack(s.client.send(&request).await.unwrap()));

    assert_eq!(status, 401);
    assert!(message.contains(&rotated.to_string()), "{message}");
    // Nothing was accepted: the node is still waiting.
    assert!(tokio::time::timeout(Duration::from_millis(200), handle.wait()).await.is_err());
}

#[tokio::test]
async fn web_backup__should_drop_keep_alive_connection_when_registration_changes() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.unwrap();
    let connection = tokio::spawn(conn);
    let signed_get = |nonce: u64| {
        let session = session(SessionKind::Backup, 4, nonce);
        let ephemeral = EphemeralKeyPair::generate().public_key();
        s.directory.set(session, Party::BackupService, ephemeral);
        let auth = RequestAuth::sign(&s.backup_id, "GET", BACKUP_PATH, session, ephemeral, now_ms(), &[]);
        let mut request = hyper::Request::get(BACKUP_PATH).header("host", "node");
        for (name, value) in auth.to_headers() {
            request = request.header(name, value);
        }
        request.body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap()
    };

    let first = sender.send_request(signed_get(1)).await.unwrap();
    assert_eq!(first.status(), 200);
    drop(first);
    // The backup service's registration changes while the connection is open.
    s.registration.set(Some(Identity::generate().public_key()));
    sender.ready().await.unwrap();
    let second = sender.send_request(signed_get(2)).await.unwrap();

    assert_eq!(second.status(), 401);
    drop(second);
    let closed = tokio::time::timeout(Duration::from_secs(2), connection).await;
    assert!(closed.is_ok(), "the node closed the connection after refusing");
    assert!(sender.ready().await.is_err(), "nothing more can be sent on it");
}

#[tokio::test]
async fn web_backup__should_refuse_replayed_request() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    let session = session(SessionKind::Backup, 4, 1);
    let ephemeral = EphemeralKeyPair::generate();
    s.directory.set(session, Party::BackupService, ephemeral.public_key());
    let auth = RequestAuth::sign(&s.backup_id, "GET", BACKUP_PATH, session, ephemeral.public_key(), now_ms(), &[]);
    let headers = auth.to_headers();

    let (first, _) = raw_request(s.addr, "GET", BACKUP_PATH, &headers, vec![]).await;
    let (second, body) = raw_request(s.addr, "GET", BACKUP_PATH, &headers, vec![]).await;

    assert_eq!(first, 200);
    assert_eq!(second, 409);
    assert!(text(&body).starts_with("replayed request"), "{}", text(&body));
}

#[tokio::test]
async fn web_recovery__should_refuse_replayed_request() {
    let s = setup().await;
    let keyset = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();
    let request = s.client.prepare_recovery(session, &shares_for(&keyset)).await.unwrap();
    let auth =
        RequestAuth::sign(&s.backup_id, "POST", RECOVER_PATH, session, request.ephemeral_key, now_ms(), &request.body);
    let headers = auth.to_headers();

    let ((first, _), received) =
        tokio::join!(raw_request(s.addr, "POST", RECOVER_PATH, &headers, request.body.clone()), handle.wait());
    received.unwrap();
    // A later recovery session is open; the old request must not feed it.
    let next = crate::session(SessionKind::Recovery, 4, 2);
    let _pending = s.node.begin_recovery(next, keyset).await.unwrap();
    let (second, body) = raw_request(s.addr, "POST", RECOVER_PATH, &headers, request.body).await;

    assert_eq!(first, 200);
    assert_eq!(second, 409);
    assert!(text(&body).starts_with("replayed request"), "{}", text(&body));
}

#[tokio::test]
async fn web_backup__should_refuse_session_nonce_that_is_not_newer() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));

    s.client.fetch_backup(session(SessionKind::Backup, 4, 5), &keyset).await.unwrap();
    let same = s.client.fetch_backup(session(SessionKind::Backup, 4, 5), &keyset).await;
    let older = s.client.fetch_backup(session(SessionKind::Backup, 4, 4), &keyset).await;
    let newer = s.client.fetch_backup(session(SessionKind::Backup, 4, 6), &keyset).await;

    assert_eq!(
        refused(same),
        (409, "stale session: the backup session (epoch 4, nonce 5) is not newer than the last accepted backup session (epoch 4, nonce 5)".into())
    );
    assert_eq!(refused(older).0, 409);
    assert!(newer.is_ok(), "{newer:?}");
}

#[tokio::test]
async fn web_recovery__should_refuse_stale_ephemeral_key() {
    let s = setup().await;
    let keyset = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let _handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();
    let request = s.client.prepare_recovery(session, &shares_for(&keyset)).await.unwrap();
    // The backup service published a newer key since; the old one is stale.
    let newer = EphemeralKeyPair::generate().public_key();
    s.directory.set(session, Party::BackupService, newer);

    let (status, message) = refused(decode_ack(s.client.send(&request).await.unwrap()));

    assert_eq!(status, 409);
    assert_eq!(
        message,
        format!(
            "the request uses ephemeral key {}, but the backup service's published key for the recovery session (epoch 4, nonce 1) is {newer}",
            request.ephemeral_key
        )
    );
}

/// An impostor's view of the contract: it can read everything (so it sees
/// the backup service's key), but what it publishes is not recorded as the
/// node's, because only the node's account may publish for the node.
struct ImpostorDirectory {
    contract: InMemoryDirectory,
    rejected_writes: InMemoryDirectory,
}

#[async_trait::async_trait]
impl EphemeralKeyDirectory for ImpostorDirectory {
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError> {
        self.rejected_writes.set(session, Party::Node, key);
        Ok(())
    }
    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError> {
        Ok(self.contract.published(session, Party::BackupService))
    }
}

#[tokio::test]
async fn web_backup__should_refuse_shares_from_node_whose_ephemeral_key_is_not_published() {
    let s = setup().await;
    let keyset = keyset(4);
    let impostor = WebNode::new(
        Arc::new(s.registration.clone()),
        Arc::new(ImpostorDirectory { contract: s.directory.clone(), rejected_writes: InMemoryDirectory::new() }),
        WebConfig::default(),
    );
    impostor.set_backup_shares(Some(shares_for(&keyset)));
    let (listener, addr) = listener().await;
    let server = impostor.clone();
    tokio::spawn(async move { server.serve(listener).await });
    let client = client_to(addr, &s.backup_id, &s.directory);

    let result = client.fetch_backup(session(SessionKind::Backup, 4, 1), &keyset).await;

    match result {
        Err(WebError::EphemeralKeyMismatch { party: Party::Node, published: None, .. }) => {}
        other => panic!("expected the impostor's answer to be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn web_backup__should_refuse_tampered_response() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    let mitm = proxy::spawn(s.addr, Tamper::LastResponseByte).await;
    let client = client_to(mitm.addr, &s.backup_id, &s.directory);

    let result = client.fetch_backup(session(SessionKind::Backup, 4, 1), &keyset).await;

    assert_eq!(mitm.tampered.load(std::sync::atomic::Ordering::SeqCst), 1);
    let err = result.unwrap_err();
    assert_eq!(err, WebError::Crypto(CryptoError::Tampered));
    assert!(err.to_string().starts_with("ciphertext failed authentication"));
}

#[tokio::test]
async fn web_recovery__should_refuse_tampered_ciphertext_and_accept_nothing() {
    let s = setup().await;
    let keyset = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();
    let mut request = s.client.prepare_recovery(session, &shares_for(&keyset)).await.unwrap();
    // Corrupt the ciphertext, then sign it: only the AEAD can catch this.
    let mut sealed: Sealed = borsh::from_slice(&request.body).unwrap();
    sealed.ciphertext[3] ^= 0x80;
    request.body = borsh::to_vec(&sealed).unwrap();

    let (status, message) = refused(decode_ack(s.client.send(&request).await.unwrap()));

    assert_eq!(status, StatusCode::BAD_REQUEST.as_u16());
    assert!(message.starts_with("ciphertext failed authentication"), "{message}");
    assert_eq!(handle.wait().await.unwrap_err(), WebError::Crypto(CryptoError::Tampered));
}

#[tokio::test]
async fn web_recovery__should_refuse_body_altered_after_signing() {
    let s = setup().await;
    let keyset = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let _handle = s.node.begin_recovery(session, keyset.clone()).await.unwrap();
    let request = s.client.prepare_recovery(session, &shares_for(&keyset)).await.unwrap();
    let auth =
        RequestAuth::sign(&s.backup_id, "POST", RECOVER_PATH, session, request.ephemeral_key, now_ms(), &request.body);
    let mut altered = request.body.clone();
    *altered.last_mut().unwrap() ^= 1;

    let (status, body) = raw_request(s.addr, "POST", RECOVER_PATH, &auth.to_headers(), altered).await;

    assert_eq!(status, 401);
    assert!(text(&body).starts_with("signature does not verify"), "{}", text(&body));
}

#[tokio::test]
async fn web_backup__should_refuse_shares_of_wrong_epoch() {
    let s = setup().await;
    // The node still holds epoch-3 shares; the contract is at epoch 4.
    s.node.set_backup_shares(Some(shares_for(&keyset(3))));

    let result = s.client.fetch_backup(session(SessionKind::Backup, 3, 1), &keyset(4)).await;

    let err = result.unwrap_err();
    assert_eq!(err, WebError::Payload(PayloadError::WrongEpoch { payload: EpochId(3), contract: EpochId(4) }));
    assert_eq!(err.to_string(), "shares refused: wrong epoch: payload has 3, contract has 4");
}

#[tokio::test]
async fn web_recovery__should_refuse_shares_of_wrong_epoch_and_accept_nothing() {
    let s = setup().await;
    let contract = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let handle = s.node.begin_recovery(session, contract).await.unwrap();

    let result = s.client.deliver_recovery(session, &shares_for(&keyset(3))).await;

    assert_eq!(refused(result), (422, "shares refused: wrong epoch: payload has 3, contract has 4".into()));
    assert!(matches!(handle.wait().await, Err(WebError::Payload(PayloadError::WrongEpoch { .. }))));
}

#[tokio::test]
async fn web_recovery__should_refuse_wrong_public_key_and_accept_nothing() {
    let s = setup().await;
    let contract = keyset(4);
    let session = session(SessionKind::Recovery, 4, 1);
    let handle = s.node.begin_recovery(session, contract.clone()).await.unwrap();
    let mut wrong = shares_for(&contract);
    let bogus = keyset(4).domains[0].public_key;
    wrong.shares[1].public_key = bogus;

    let (status, message) = refused(s.client.deliver_recovery(session, &wrong).await);

    assert_eq!(status, 422);
    assert_eq!(
        message,
        format!(
            "shares refused: domain 1: public key {bogus} differs from the contract's {}",
            contract.domains[1].public_key
        )
    );
    assert!(matches!(handle.wait().await, Err(WebError::Payload(PayloadError::PublicKeyMismatch { .. }))));
}

#[tokio::test]
async fn web_recovery__should_refuse_request_for_another_session() {
    let s = setup().await;
    let keyset = keyset(4);
    let pending = session(SessionKind::Recovery, 4, 2);
    let _handle = s.node.begin_recovery(pending, keyset.clone()).await.unwrap();
    // The backup service answers a session the node is not waiting for.
    let other = session(SessionKind::Recovery, 4, 1);
    s.directory.set(other, Party::Node, s.directory.published(pending, Party::Node).unwrap());

    let (status, message) = refused(s.client.deliver_recovery(other, &shares_for(&keyset)).await);

    assert_eq!(status, 409);
    assert!(message.starts_with("this node is waiting for the recovery session (epoch 4, nonce 2)"), "{message}");
}

#[tokio::test]
async fn web__should_refuse_request_outside_clock_window() {
    let s = setup().await;
    let keyset = keyset(4);
    s.node.set_backup_shares(Some(shares_for(&keyset)));
    let session = session(SessionKind::Backup, 4, 1);
    let ephemeral = EphemeralKeyPair::generate().public_key();
    s.directory.set(session, Party::BackupService, ephemeral);
    let old = now_ms() - 10 * 60 * 1000;
    let auth = RequestAuth::sign(&s.backup_id, "GET", BACKUP_PATH, session, ephemeral, old, &[]);

    let (status, body) = raw_request(s.addr, "GET", BACKUP_PATH, &auth.to_headers(), vec![]).await;

    assert_eq!(status, 401);
    assert!(text(&body).contains("from the node's clock"), "{}", text(&body));
}
