//! An authenticated connection that keeps checking the contract. Every send
//! and receive runs next to a watchdog that re-reads the peer's registration
//! every `recheck_interval`; if it no longer names the key the peer presented,
//! the operation fails and the connection is dropped.

use super::frame::{read_frame, write_frame, Frame};
use super::{explain_io, MtlsConfig, MtlsError};
use crate::authority::PeerAuthority;
use crate::session::Party;
use mpc_interface::keys::Ed25519PublicKey;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

pub struct SecureChannel {
    /// None once the channel failed: the connection is gone, nothing more may pass.
    stream: Option<TlsStream<TcpStream>>,
    ours: Ed25519PublicKey,
    guard: RegistrationGuard,
    config: MtlsConfig,
}

impl SecureChannel {
    pub(crate) fn new(
        stream: TlsStream<TcpStream>,
        peer: Party,
        peer_key: Ed25519PublicKey,
        ours: Ed25519PublicKey,
        authority: Arc<dyn PeerAuthority>,
        config: MtlsConfig,
    ) -> Self {
        Self { stream: Some(stream), ours, guard: RegistrationGuard { peer, presented: peer_key, authority }, config }
    }

    /// The key the peer proved it holds during the handshake.
    pub fn peer_key(&self) -> Ed25519PublicKey {
        self.guard.presented
    }

    pub fn peer(&self) -> Party {
        self.guard.peer
    }

    /// Confirms the registration once more; fails (and drops the connection)
    /// if it changed.
    pub async fn recheck(&mut self) -> Result<(), MtlsError> {
        let result = self.guard.check().await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    pub async fn send(&mut self, frame: &Frame) -> Result<(), MtlsError> {
        // Checked before the first byte leaves: the frame may carry secrets.
        self.recheck().await?;
        let max = self.config.max_frame_len;
        self.guarded(async |stream| write_frame(stream, frame, max).await).await
    }

    pub async fn recv(&mut self) -> Result<Frame, MtlsError> {
        let max = self.config.max_frame_len;
        self.guarded(async |stream| read_frame(stream, max).await).await
    }

    /// Sends TLS close_notify so the peer sees a clean end rather than a reset.
    pub async fn close(mut self) {
        self.shutdown().await;
    }

    /// Like `close`, for callers that only hold a reference.
    pub async fn shutdown(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            let _ = stream.shutdown().await;
        }
    }

    /// Runs one I/O step under the watchdog and the I/O timeout. Any failure
    /// drops the stream, which closes the TCP connection.
    async fn guarded<T>(
        &mut self,
        op: impl AsyncFnOnce(&mut TlsStream<TcpStream>) -> Result<T, MtlsError>,
    ) -> Result<T, MtlsError> {
        let result = {
            let stream = self.stream.as_mut().ok_or(MtlsError::ChannelClosed)?;
            let io = tokio::time::timeout(self.config.io_timeout, op(stream));
            tokio::select! {
                biased;
                changed = self.guard.watch(self.config.recheck_interval) => Err(changed),
                done = io => done.unwrap_or(Err(MtlsError::Timeout("waiting for the peer"))),
            }
        };
        let result = result.map_err(|e| match e {
            MtlsError::Io(io) => explain_io(io, self.guard.peer, self.ours),
            other => other,
        });
        if let Err(e) = &result {
            tracing::warn!(peer = %self.guard.peer, error = %e, "dropping mTLS connection");
            self.stream = None;
        }
        result
    }
}

struct RegistrationGuard {
    peer: Party,
    presented: Ed25519PublicKey,
    authority: Arc<dyn PeerAuthority>,
}

impl RegistrationGuard {
    async fn check(&self) -> Result<(), MtlsError> {
        // Fail closed: if the contract cannot be read we cannot vouch for the peer.
        let registered = self.authority.expected_peer_key().await?;
        if registered == Some(self.presented) {
            Ok(())
        } else {
            Err(MtlsError::RegistrationChanged { peer: self.peer, presented: self.presented, registered })
        }
    }

    /// Resolves only when a re-check fails.
    async fn watch(&self, interval: std::time::Duration) -> MtlsError {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(e) = self.check().await {
                return e;
            }
        }
    }
}
