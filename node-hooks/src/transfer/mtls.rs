//! The node as mTLS server. Connections are accepted concurrently: each gets
//! a short deadline to complete its handshake, and at most
//! `max_unauthenticated` wait for it at once (the oldest is dropped past
//! that), so idle or garbage connections never keep the backup service out.
//! An authenticated connection is handled according to the current [`Mode`];
//! a mode change abandons it (its purpose is gone) and the backup service
//! retries on its next round.

use super::common::{import, stored_shares, BackupSharesError, Mode, TransferEvent};
use crate::store::ShareStore;
use share_transfer::gate::ConnectionGate;
use share_transfer::mtls::{MtlsEndpoint, MtlsError, SecureChannel};
use share_transfer::SharesPayload;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Why one connection transferred nothing.
#[derive(Debug, thiserror::Error)]
enum ConnectionError {
    #[error(transparent)]
    Mtls(#[from] MtlsError),
    #[error(transparent)]
    Shares(#[from] BackupSharesError),
}

struct Shared {
    endpoint: MtlsEndpoint,
    store: Arc<dyn ShareStore>,
    events: mpsc::UnboundedSender<TransferEvent>,
    /// One import at a time: two deliveries racing never interleave their writes.
    importing: Mutex<()>,
}

pub(crate) fn spawn(
    endpoint: MtlsEndpoint,
    max_unauthenticated: usize,
    listener: TcpListener,
    store: Arc<dyn ShareStore>,
    events: mpsc::UnboundedSender<TransferEvent>,
    cancel: CancellationToken,
) -> (watch::Sender<Mode>, JoinHandle<()>) {
    let (sender, modes) = watch::channel(Mode::Idle);
    let shared = Arc::new(Shared { endpoint, store, events, importing: Mutex::new(()) });
    let gate = ConnectionGate::new(max_unauthenticated);
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = cancel.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, remote) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    // Errors such as EMFILE repeat at once; do not spin on them.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if *modes.borrow() == Mode::Idle {
                // Closed at once so the peer fails fast instead of timing out.
                tracing::debug!(%remote, "no share transfer expected now; connection closed");
                continue;
            }
            let (shared, modes, cancel, ticket) = (shared.clone(), modes.clone(), cancel.clone(), gate.admit());
            tokio::spawn(async move {
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    () = one_connection(&shared, tcp, modes, ticket) => {}
                }
            });
        }
        tracing::debug!("mTLS endpoint stopped");
    });
    (sender, task)
}

async fn one_connection(
    shared: &Shared,
    tcp: TcpStream,
    mut modes: watch::Receiver<Mode>,
    ticket: share_transfer::gate::Ticket,
) {
    let evicted = ticket.eviction();
    let channel = tokio::select! {
        channel = shared.endpoint.handshake(tcp) => channel,
        _ = evicted.cancelled() => return,
    };
    drop(ticket);
    let mode = modes.borrow_and_update().clone();
    let what = match &mode {
        Mode::ServeBackups { .. } => "backup",
        _ => "recovery",
    };
    let outcome = match channel {
        Err(e) => Err(e.into()),
        Ok(channel) => tokio::select! {
            _ = modes.changed() => return,
            outcome = transfer(shared, channel, mode) => outcome,
        },
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "{what} not transferred");
        let _ = shared.events.send(TransferEvent::Failed { what, error: e.to_string() });
    }
}

async fn transfer(shared: &Shared, channel: SecureChannel, mode: Mode) -> Result<(), ConnectionError> {
    match mode {
        Mode::Idle => Ok(()),
        Mode::ServeBackups { epoch_id } => {
            // Read now, for this request: what the store holds, never an older copy.
            let shares = stored_shares(&shared.store, epoch_id).await?;
            let receipt = shared.endpoint.serve_backup_on(channel, &shares).await?;
            tracing::info!(epoch = %receipt.epoch_id, domains = receipt.domains, backup_service = %receipt.peer_key, "backup served");
            let _ = shared
                .events
                .send(TransferEvent::BackupServed { epoch_id: receipt.epoch_id, domains: receipt.domains });
            Ok(())
        }
        Mode::ReceiveRecovery(expected) => {
            let store = async |payload: &SharesPayload| {
                let _one_at_a_time = shared.importing.lock().await;
                import(&shared.store, payload.clone(), expected.clone(), &shared.events).await
            };
            Ok(shared.endpoint.receive_recovery_on(channel, &expected, store).await.map(|_| ())?)
        }
    }
}
