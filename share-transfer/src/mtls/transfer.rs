//! The four share movements over mTLS. The receiver always checks the shares
//! against the contract's keyset and answers `Accepted` or `Refused`, so the
//! sender learns whether delivery really succeeded, and why not if it didn't.
//!
//! Each function handles one connection and returns its outcome; a service
//! that keeps listening calls it in a loop.

use super::frame::Frame;
use super::{MtlsEndpoint, MtlsError, SecureChannel};
use crate::payload::Expected;
use crate::payload::SharesPayload;
use crate::session::SessionKind;
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::EpochId;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The receiver's acknowledgement, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub peer_key: Ed25519PublicKey,
    pub epoch_id: EpochId,
    pub domains: u32,
}

impl MtlsEndpoint {
    /// Node: sends its shares to the backup service that connects, once it is
    /// authenticated and asks for a backup.
    pub async fn serve_backup(&self, listener: &TcpListener, shares: &SharesPayload) -> Result<Receipt, MtlsError> {
        let channel = self.accept(listener).await?;
        self.serve_backup_on(channel, shares).await
    }

    /// Backup service: takes a copy of the node's shares, accepting them only
    /// if they match `expected` (the contract's keyset and the node's verifying shares).
    pub async fn fetch_backup(
        &self,
        node: SocketAddr,
        expected: impl Into<Expected>,
    ) -> Result<SharesPayload, MtlsError> {
        let expected = expected.into();
        let mut channel = self.connect(node).await?;
        channel.send(&Frame::Hello { kind: SessionKind::Backup }).await?;
        receive_and_confirm(channel, &expected, async |_: &SharesPayload| Ok(())).await
    }

    /// Replacement node: waits for the backup service to deliver the shares,
    /// accepting them only if they match `expected`. Acknowledges at once (the
    /// caller stores them afterwards); a node that must acknowledge only what
    /// it stored uses [`MtlsEndpoint::receive_recovery_on`].
    pub async fn receive_recovery(
        &self,
        listener: &TcpListener,
        expected: impl Into<Expected>,
    ) -> Result<SharesPayload, MtlsError> {
        let channel = self.accept(listener).await?;
        self.receive_recovery_on(channel, expected, async |_: &SharesPayload| Ok(())).await
    }

    /// Receives a recovery on an authenticated `channel`: checks the shares
    /// against `expected`, runs `store` on them, and acknowledges only if it
    /// succeeded (else the backup service is told why and retries).
    pub async fn receive_recovery_on(
        &self,
        mut channel: SecureChannel,
        expected: impl Into<Expected>,
        store: impl AsyncFnOnce(&SharesPayload) -> Result<(), String>,
    ) -> Result<SharesPayload, MtlsError> {
        let expected = expected.into();
        expect_hello(&mut channel, SessionKind::Recovery).await?;
        receive_and_confirm(channel, &expected, store).await
    }

    /// Serves a backup on an authenticated `channel`.
    pub async fn serve_backup_on(
        &self,
        mut channel: SecureChannel,
        shares: &SharesPayload,
    ) -> Result<Receipt, MtlsError> {
        expect_hello(&mut channel, SessionKind::Backup).await?;
        send_and_confirm(channel, shares).await
    }

    /// Backup service: delivers the shares to the (replacement) node.
    pub async fn deliver_recovery(&self, node: SocketAddr, payload: &SharesPayload) -> Result<Receipt, MtlsError> {
        let mut channel = self.connect(node).await?;
        channel.send(&Frame::Hello { kind: SessionKind::Recovery }).await?;
        send_and_confirm(channel, payload).await
    }
}

async fn expect_hello(channel: &mut SecureChannel, expected: SessionKind) -> Result<(), MtlsError> {
    match channel.recv().await? {
        Frame::Hello { kind } if kind == expected => Ok(()),
        Frame::Hello { kind } => {
            let error = MtlsError::WrongRequest { expected, got: kind };
            refuse(channel, &error).await;
            Err(error)
        }
        other => Err(MtlsError::UnexpectedFrame { expected: "Hello", got: other.name() }),
    }
}

async fn send_and_confirm(mut channel: SecureChannel, payload: &SharesPayload) -> Result<Receipt, MtlsError> {
    let peer = channel.peer();
    channel.send(&Frame::Shares(payload.clone())).await?;
    let receipt = match channel.recv().await? {
        Frame::Accepted { epoch_id, domains } => {
            if epoch_id != payload.epoch_id || domains as usize != payload.shares.len() {
                return Err(MtlsError::AckMismatch {
                    peer,
                    detail: format!(
                        "sent epoch {} with {} domains, acknowledged epoch {epoch_id} with {domains}",
                        payload.epoch_id,
                        payload.shares.len()
                    ),
                });
            }
            Receipt { peer_key: channel.peer_key(), epoch_id, domains }
        }
        Frame::Refused { reason } => return Err(MtlsError::PeerRefused { peer, reason }),
        other => return Err(MtlsError::UnexpectedFrame { expected: "Accepted", got: other.name() }),
    };
    tracing::info!(%peer, key = %receipt.peer_key, epoch = %receipt.epoch_id, domains = receipt.domains, "shares delivered and acknowledged");
    channel.close().await;
    Ok(receipt)
}

async fn receive_and_confirm(
    mut channel: SecureChannel,
    expected: &Expected,
    store: impl AsyncFnOnce(&SharesPayload) -> Result<(), String>,
) -> Result<SharesPayload, MtlsError> {
    let peer = channel.peer();
    let payload = match channel.recv().await? {
        Frame::Shares(payload) => payload,
        Frame::Refused { reason } => return Err(MtlsError::PeerRefused { peer, reason }),
        other => return Err(MtlsError::UnexpectedFrame { expected: "Shares", got: other.name() }),
    };
    if let Err(e) = payload.check_against(expected) {
        let error = MtlsError::Payload(e);
        refuse(&mut channel, &error).await;
        return Err(error); // `payload` is dropped here, wiping the shares
    }
    // Acknowledged only once stored: a lost acknowledgement then means a
    // redelivery of what the receiver already holds, never lost shares.
    if let Err(reason) = store(&payload).await {
        let error = MtlsError::NotStored(reason);
        refuse(&mut channel, &error).await;
        return Err(error);
    }
    channel.send(&Frame::Accepted { epoch_id: payload.epoch_id, domains: payload.shares.len() as u32 }).await?;
    tracing::info!(%peer, key = %channel.peer_key(), epoch = %payload.epoch_id, domains = ?payload.domain_ids(), "shares received and verified against the keyset");
    channel.close().await;
    Ok(payload)
}

/// Tells the peer why, best effort: the local error is what matters.
async fn refuse(channel: &mut SecureChannel, error: &MtlsError) {
    tracing::warn!(peer = %channel.peer(), reason = %error, "refusing");
    let reason = error.to_string();
    if channel.send(&Frame::Refused { reason }).await.is_ok() {
        channel.shutdown().await;
    }
}
