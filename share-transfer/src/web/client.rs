//! The backup service's HTTP side: one request per TCP connection, over a
//! bare hyper 1 client (no connection pool, no TLS: confidentiality and
//! integrity come from the sealed payload and the request signature).

use super::auth::{now_ms, RequestAuth};
use super::crypto::{EphemeralKeyPair, Sealed};
use super::node::encode_secret;
use super::{BackupResponse, RecoveryAck, WebConfig, WebError, BACKUP_PATH, RECOVER_PATH};
use crate::authority::EphemeralKeyDirectory;
use crate::identity::Identity;
use crate::payload::Expected;
use crate::payload::SharesPayload;
use crate::session::{describe, Party, Session, SessionKind};
use axum::http::{header, Method, Request, StatusCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use mpc_interface::keys::X25519PublicKey;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;

pub struct BackupServiceClient {
    node: SocketAddr,
    identity: Arc<Identity>,
    directory: Arc<dyn EphemeralKeyDirectory>,
    config: WebConfig,
}

/// A request ready to sign and send; `body` is public so tests can tamper with it.
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    pub method: Method,
    pub path: &'static str,
    pub session: Session,
    pub ephemeral_key: X25519PublicKey,
    pub body: Vec<u8>,
}

impl BackupServiceClient {
    /// `directory` must act for the backup service.
    pub fn new(
        node: SocketAddr,
        identity: Arc<Identity>,
        directory: Arc<dyn EphemeralKeyDirectory>,
        config: WebConfig,
    ) -> Self {
        Self { node, identity, directory, config }
    }

    /// Takes a copy of the node's shares for a backup `session`, accepting
    /// them only if they match `expected` (the contract's keyset and the node's verifying shares).
    pub async fn fetch_backup(
        &self,
        session: Session,
        expected: impl Into<Expected>,
    ) -> Result<SharesPayload, WebError> {
        let expected = expected.into();
        expect_kind(session, SessionKind::Backup, BACKUP_PATH)?;
        let keypair = EphemeralKeyPair::generate();
        self.directory.publish_my_key(session, keypair.public_key()).await?;
        let request = PreparedRequest {
            method: Method::GET,
            path: BACKUP_PATH,
            session,
            ephemeral_key: keypair.public_key(),
            body: Vec::new(),
        };
        let body = ok_body(self.send(&request).await?)?;
        let response: BackupResponse =
            borsh::from_slice(&body).map_err(|e| WebError::BadResponse(format!("not a backup response: {e}")))?;
        // The node is authenticated by its published key: only the node can
        // publish it, so only the node can derive the keys sealing this answer.
        let published = self.directory.peer_key(session).await?;
        if published != Some(response.node_ephemeral_key) {
            return Err(WebError::EphemeralKeyMismatch {
                party: Party::Node,
                session,
                used: response.node_ephemeral_key,
                published,
            });
        }
        let keys = keypair.client_keys(&response.node_ephemeral_key)?;
        let plaintext = keys.open(&session, &response.sealed)?;
        let payload: SharesPayload = borsh::from_slice(&plaintext)
            .map_err(|e| WebError::BadResponse(format!("sealed shares do not decode: {e}")))?;
        payload.check_against(&expected)?;
        tracing::info!(session = %describe(&session), domains = ?payload.domain_ids(), "backup received and verified against the keyset");
        Ok(payload)
    }

    /// Delivers `payload` to the node's pending recovery `session`.
    pub async fn deliver_recovery(&self, session: Session, payload: &SharesPayload) -> Result<RecoveryAck, WebError> {
        let request = self.prepare_recovery(session, payload).await?;
        let ack = decode_ack(self.send(&request).await?)?;
        tracing::info!(session = %describe(&session), epoch = %ack.epoch_id, domains = ack.domains, "recovery delivered and acknowledged");
        Ok(ack)
    }

    /// Publishes a fresh key for `session` and seals `payload` to the key the
    /// node published for it.
    pub async fn prepare_recovery(
        &self,
        session: Session,
        payload: &SharesPayload,
    ) -> Result<PreparedRequest, WebError> {
        expect_kind(session, SessionKind::Recovery, RECOVER_PATH)?;
        let node_key =
            self.directory.peer_key(session).await?.ok_or(WebError::NotPublished { party: Party::Node, session })?;
        let keypair = EphemeralKeyPair::generate();
        let keys = keypair.client_keys(&node_key)?;
        self.directory.publish_my_key(session, keypair.public_key()).await?;
        let sealed: Sealed = keys.seal(&session, &encode_secret(payload))?;
        Ok(PreparedRequest {
            method: Method::POST,
            path: RECOVER_PATH,
            session,
            ephemeral_key: keypair.public_key(),
            body: borsh::to_vec(&sealed).expect("borsh to a Vec cannot fail"),
        })
    }

    /// Signs `request` now (fresh timestamp) and sends it.
    pub async fn send(&self, request: &PreparedRequest) -> Result<(StatusCode, Bytes), WebError> {
        let auth = RequestAuth::sign(
            &self.identity,
            request.method.as_str(),
            request.path,
            request.session,
            request.ephemeral_key,
            now_ms(),
            &request.body,
        );
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(request.path)
            .header(header::HOST, self.node.to_string())
            .header(header::CONNECTION, "close");
        for (name, value) in auth.to_headers() {
            builder = builder.header(name, value);
        }
        let http_request =
            builder.body(Full::new(Bytes::from(request.body.clone()))).map_err(|e| WebError::Http(e.to_string()))?;
        tokio::time::timeout(self.config.request_timeout, self.round_trip(http_request))
            .await
            .map_err(|_| WebError::Timeout)?
    }

    async fn round_trip(&self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), WebError> {
        let http = |e: &dyn std::fmt::Display| WebError::Http(e.to_string());
        let tcp = TcpStream::connect(self.node).await.map_err(|e| http(&e))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.map_err(|e| http(&e))?;
        let driver = tokio::spawn(connection);
        let response = sender.send_request(request).await.map_err(|e| http(&e))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), self.config.max_body_len)
            .collect()
            .await
            .map_err(|e| http(&*e))?
            .to_bytes();
        driver.abort();
        Ok((status, body))
    }
}

fn expect_kind(session: Session, expected: SessionKind, path: &'static str) -> Result<(), WebError> {
    if session.kind == expected {
        Ok(())
    } else {
        Err(WebError::WrongKind { path, expected, got: session.kind })
    }
}

fn ok_body((status, body): (StatusCode, Bytes)) -> Result<Bytes, WebError> {
    if status == StatusCode::OK {
        Ok(body)
    } else {
        Err(WebError::Refused { status: status.as_u16(), message: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// The node's answer to a recovery post, as a typed result.
pub fn decode_ack(response: (StatusCode, Bytes)) -> Result<RecoveryAck, WebError> {
    let body = ok_body(response)?;
    borsh::from_slice(&body).map_err(|e| WebError::BadResponse(format!("not an acknowledgement: {e}")))
}
