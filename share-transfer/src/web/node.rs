//! The node's HTTP side. Every request is authenticated against the contract
//! at request time before any secret is touched; the order of checks is:
//! headers → clock → registered identity + signature → replay/nonce →
//! published ephemeral key → what this endpoint is waiting for → record →
//! crypto → keyset.

use super::auth::{now_ms, ReplayGuard, RequestAuth};
use super::crypto::{EphemeralKeyPair, Sealed};
use super::{BackupResponse, RecoveryAck, WebConfig, WebError, BACKUP_PATH, RECOVER_PATH};
use crate::authority::{EphemeralKeyDirectory, PeerAuthority};
use crate::gate::ConnectionGate;
use crate::payload::Expected;
use crate::payload::SharesPayload;
use crate::session::{describe, Party, Session, SessionKind};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

/// What a recovery session ended with: the verified shares, or why they were refused.
type RecoveryResult = Result<SharesPayload, WebError>;

/// Where `GET /shares_backup` takes the node's shares from, asked at each
/// request (so a node hands out what it holds then, not a copy made earlier).
#[async_trait::async_trait]
pub trait BackupShares: Send + Sync {
    /// The shares to hand out; None if the node has none to back up now.
    /// An error says why they could not be read.
    async fn backup_shares(&self) -> Result<Option<SharesPayload>, String>;
}

/// Fixed shares, for tests and examples.
#[async_trait::async_trait]
impl BackupShares for SharesPayload {
    async fn backup_shares(&self) -> Result<Option<SharesPayload>, String> {
        Ok(Some(self.clone()))
    }
}

/// What a recovery session ended with, and (for verified shares) where the
/// node says whether it stored them: the request is answered only then.
struct Arrival {
    outcome: RecoveryResult,
    stored: Option<oneshot::Sender<Result<(), String>>>,
}

struct PendingRecovery {
    session: Session,
    expected: Expected,
    keypair: EphemeralKeyPair,
    done: oneshot::Sender<Arrival>,
}

struct NodeState {
    /// Answers with the backup service's registered identity key.
    authority: Arc<dyn PeerAuthority>,
    directory: Arc<dyn EphemeralKeyDirectory>,
    config: WebConfig,
    shares: Mutex<Option<Arc<dyn BackupShares>>>,
    recovery: Mutex<Option<PendingRecovery>>,
    replay: Mutex<ReplayGuard>,
}

#[derive(Clone)]
pub struct WebNode {
    state: Arc<NodeState>,
}

/// Resolves when a recovery session ends: with the verified shares, or with
/// why they were refused.
pub struct RecoveryHandle {
    session: Session,
    done: oneshot::Receiver<Arrival>,
}

/// Verified shares whose request waits for the node to store them: the
/// backup service is acknowledged by [`Delivery::stored`], told why by
/// [`Delivery::not_stored`] (or if the delivery is dropped unanswered).
pub struct Delivery {
    pub payload: SharesPayload,
    stored: oneshot::Sender<Result<(), String>>,
}

impl Delivery {
    pub fn stored(self) {
        let _ = self.stored.send(Ok(()));
    }

    pub fn not_stored(self, reason: String) {
        let _ = self.stored.send(Err(reason));
    }
}

impl RecoveryHandle {
    pub fn session(&self) -> Session {
        self.session
    }

    /// The verified shares, acknowledged at once (the caller stores them
    /// afterwards); a node that acknowledges only what it stored uses
    /// [`RecoveryHandle::delivery`].
    pub async fn wait(self) -> RecoveryResult {
        self.delivery().await.map(|d| {
            let payload = d.payload.clone();
            d.stored();
            payload
        })
    }

    /// The verified shares, not yet acknowledged.
    pub async fn delivery(self) -> Result<Delivery, WebError> {
        let arrival = self.done.await.map_err(|_| WebError::RecoveryAbandoned)?;
        let payload = arrival.outcome?;
        let stored = arrival.stored.ok_or(WebError::RecoveryAbandoned)?;
        Ok(Delivery { payload, stored })
    }
}

impl WebNode {
    /// `authority` must answer with the backup service's registered key;
    /// `directory` must act for the node.
    pub fn new(
        authority: Arc<dyn PeerAuthority>,
        directory: Arc<dyn EphemeralKeyDirectory>,
        config: WebConfig,
    ) -> Self {
        Self {
            state: Arc::new(NodeState {
                authority,
                directory,
                config,
                shares: Mutex::new(None),
                recovery: Mutex::new(None),
                replay: Mutex::new(ReplayGuard::default()),
            }),
        }
    }

    /// The shares `GET /shares_backup` hands out (None: refuse backups).
    pub fn set_backup_shares(&self, shares: Option<SharesPayload>) {
        self.set_backup_source(shares.map(|s| Arc::new(s) as Arc<dyn BackupShares>));
    }

    /// Where `GET /shares_backup` reads the shares it hands out, at each
    /// request (None: refuse backups).
    pub fn set_backup_source(&self, source: Option<Arc<dyn BackupShares>>) {
        *self.state.shares.lock().expect("shares lock") = source;
    }

    /// Starts a recovery session: publishes a fresh node key for it and waits
    /// for the backup service to post shares matching `keyset`. A new call
    /// replaces (and abandons) the previous session.
    pub async fn begin_recovery(
        &self,
        session: Session,
        expected: impl Into<Expected>,
    ) -> Result<RecoveryHandle, WebError> {
        let expected = expected.into();
        let keyset = &expected.keyset;
        if session.kind != SessionKind::Recovery {
            return Err(WebError::WrongKind { path: RECOVER_PATH, expected: SessionKind::Recovery, got: session.kind });
        }
        if session.epoch_id != keyset.epoch_id {
            return Err(WebError::EpochMismatch { session_epoch: session.epoch_id, held: keyset.epoch_id });
        }
        let keypair = EphemeralKeyPair::generate();
        self.state.directory.publish_my_key(session, keypair.public_key()).await?;
        let (done, rx) = oneshot::channel();
        *self.state.recovery.lock().expect("recovery lock") =
            Some(PendingRecovery { session, expected, keypair, done });
        tracing::info!(session = %describe(&session), "recovery session open");
        Ok(RecoveryHandle { session, done: rx })
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route(BACKUP_PATH, get(shares_backup))
            .route(RECOVER_PATH, post(shares_recover))
            .layer(DefaultBodyLimit::max(self.state.config.max_body_len))
            .with_state(self.clone())
    }

    /// Serves until cancelled (never returns an error: a failed accept is
    /// logged and retried). Connections are served concurrently, one
    /// request each: its headers must arrive within `header_timeout`, the
    /// whole exchange within `request_timeout`, and at most
    /// `max_pending_connections` may wait for their request at once (the
    /// oldest is dropped past that), so junk connections never keep the
    /// backup service out.
    pub async fn serve(&self, listener: TcpListener) -> std::io::Result<()> {
        let config = &self.state.config;
        let gate = ConnectionGate::new(config.max_pending_connections);
        let router = self.router();
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let ticket = Arc::new(Mutex::new(Some(gate.admit())));
            let evicted = ticket.lock().expect("ticket lock").as_ref().map(|t| t.eviction()).expect("just admitted");
            let inner = hyper_util::service::TowerToHyperService::new(router.clone());
            // The request arrived: the connection no longer counts as pending.
            let service = hyper::service::service_fn(move |request| {
                ticket.lock().expect("ticket lock").take();
                hyper::service::Service::call(&inner, request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(config.header_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
            let deadline = config.request_timeout;
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::time::timeout(deadline, connection) => {}
                    _ = evicted.cancelled() => {}
                }
            });
        }
    }

    /// Everything up to, but not including, recording the request as accepted.
    async fn authenticate(
        &self,
        method: &str,
        path: &'static str,
        expected: SessionKind,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<RequestAuth, WebError> {
        let auth = RequestAuth::from_headers(headers)?;
        if auth.session.kind != expected {
            return Err(WebError::WrongKind { path, expected, got: auth.session.kind });
        }
        let now = now_ms();
        let max_skew_ms = self.state.config.max_clock_skew.as_millis() as u64;
        if auth.timestamp_ms.abs_diff(now) > max_skew_ms {
            return Err(WebError::ClockSkew { timestamp_ms: auth.timestamp_ms, now_ms: now, max_skew_ms });
        }
        let registered = self
            .state
            .authority
            .expected_peer_key()
            .await?
            .ok_or(WebError::NoRegisteredIdentity { claimed: auth.identity })?;
        if !auth.verify(&registered, method, path, body) {
            return Err(WebError::BadSignature { registered, claimed: auth.identity });
        }
        self.state.replay.lock().expect("replay lock").check(&auth)?;
        // A key the backup service replaced (or never published) is refused:
        // only the currently published key may be used for the session.
        let published = self.state.directory.peer_key(auth.session).await?;
        if published != Some(auth.ephemeral_key) {
            return Err(WebError::EphemeralKeyMismatch {
                party: Party::BackupService,
                session: auth.session,
                used: auth.ephemeral_key,
                published,
            });
        }
        Ok(auth)
    }

    fn record(&self, auth: &RequestAuth) -> Result<(), WebError> {
        let window = 2 * self.state.config.max_clock_skew.as_millis() as u64;
        self.state.replay.lock().expect("replay lock").accept(auth, now_ms().saturating_sub(window))
    }

    async fn backup(&self, headers: &HeaderMap) -> Result<Vec<u8>, WebError> {
        let auth = self.authenticate("GET", BACKUP_PATH, SessionKind::Backup, headers, &[]).await?;
        let source = self.state.shares.lock().expect("shares lock").clone().ok_or(WebError::NoShares)?;
        let shares = source.backup_shares().await.map_err(WebError::SharesUnreadable)?.ok_or(WebError::NoShares)?;
        if shares.epoch_id != auth.session.epoch_id {
            return Err(WebError::EpochMismatch { session_epoch: auth.session.epoch_id, held: shares.epoch_id });
        }
        self.record(&auth)?;

        let keypair = EphemeralKeyPair::generate();
        self.state.directory.publish_my_key(auth.session, keypair.public_key()).await?;
        let keys = keypair.server_keys(&auth.ephemeral_key)?;
        let plaintext = encode_secret(&shares);
        let sealed = keys.seal(&auth.session, &plaintext)?;
        tracing::info!(session = %describe(&auth.session), domains = ?shares.domain_ids(), "sealed shares for the backup service");
        Ok(borsh::to_vec(&BackupResponse { node_ephemeral_key: keypair.public_key(), sealed })
            .expect("borsh to a Vec cannot fail"))
    }

    async fn recover(&self, headers: &HeaderMap, body: &[u8]) -> Result<RecoveryAck, WebError> {
        let auth = self.authenticate("POST", RECOVER_PATH, SessionKind::Recovery, headers, body).await?;
        let pending = {
            let mut slot = self.state.recovery.lock().expect("recovery lock");
            match slot.as_ref() {
                None => return Err(WebError::NoRecoveryPending),
                Some(p) if p.session != auth.session => {
                    return Err(WebError::SessionMismatch { pending: p.session, requested: auth.session })
                }
                Some(_) => {}
            }
            self.record(&auth)?;
            // One authenticated attempt per session: success or failure ends it.
            slot.take().expect("checked above")
        };
        let outcome = open_recovery(&pending, &auth, body);
        let reply = outcome.as_ref().map(|p| RecoveryAck { epoch_id: p.epoch_id, domains: p.shares.len() as u32 });
        let reply = reply.map_err(Clone::clone);
        match &outcome {
            Ok(p) => {
                tracing::info!(session = %describe(&auth.session), domains = ?p.domain_ids(), "recovered shares verified against the keyset")
            }
            Err(e) => tracing::warn!(session = %describe(&auth.session), error = %e, "recovery refused"),
        }
        let Ok(payload) = outcome else {
            let _ = pending.done.send(Arrival { outcome, stored: None });
            return reply;
        };
        // Acknowledged only once stored: a lost acknowledgement then means a
        // redelivery of what the node already holds, never lost shares.
        let (stored, was_stored) = oneshot::channel();
        if pending.done.send(Arrival { outcome: Ok(payload), stored: Some(stored) }).is_err() {
            return Err(WebError::NotStored("the node stopped waiting for the shares".to_owned()));
        }
        match was_stored.await {
            Ok(Ok(())) => reply,
            Ok(Err(reason)) => Err(WebError::NotStored(reason)),
            Err(_) => Err(WebError::NotStored("the node stopped before storing the shares".to_owned())),
        }
    }
}

fn open_recovery(pending: &PendingRecovery, auth: &RequestAuth, body: &[u8]) -> Result<SharesPayload, WebError> {
    let sealed: Sealed =
        borsh::from_slice(body).map_err(|e| WebError::Malformed(format!("body is not a sealed payload: {e}")))?;
    let keys = pending.keypair.server_keys(&auth.ephemeral_key)?;
    let plaintext = keys.open(&auth.session, &sealed)?;
    let payload: SharesPayload = borsh::from_slice(&plaintext)
        .map_err(|e| WebError::Malformed(format!("sealed payload does not decode: {e}")))?;
    payload.check_against(&pending.expected)?;
    Ok(payload)
}

/// Borsh into a buffer sized up front and wiped on drop.
pub(crate) fn encode_secret(payload: &SharesPayload) -> Zeroizing<Vec<u8>> {
    let len = borsh::object_length(payload).expect("in-memory length");
    let mut buf = Zeroizing::new(Vec::with_capacity(len));
    borsh::to_writer(&mut *buf, payload).expect("borsh to a Vec cannot fail");
    buf
}

/// A refusal also closes the connection: a caller that just failed
/// authentication (say, after its registration changed) keeps no open
/// keep-alive connection to the node.
fn refusal(path: &str, e: WebError) -> Response {
    match e {
        // The node does not serve this keyset yet (a new keyset, a node still
        // importing): an expected answer the backup service retries, not a fault.
        WebError::NoShares | WebError::EpochMismatch { .. } => {
            tracing::debug!(path, error = %e, "share-transfer request for shares this node does not hold yet")
        }
        _ => tracing::warn!(path, error = %e, "refused share-transfer request"),
    }
    (e.status(), [(header::CONNECTION, "close")], e.to_string()).into_response()
}

async fn shares_backup(State(node): State<WebNode>, headers: HeaderMap) -> Response {
    match node.backup(&headers).await {
        Ok(body) => (StatusCode::OK, body).into_response(),
        Err(e) => refusal(BACKUP_PATH, e),
    }
}

async fn shares_recover(State(node): State<WebNode>, headers: HeaderMap, body: Bytes) -> Response {
    match node.recover(&headers, &body).await {
        Ok(ack) => (StatusCode::OK, borsh::to_vec(&ack).expect("borsh to a Vec cannot fail")).into_response(),
        Err(e) => refusal(RECOVER_PATH, e),
    }
}
