//! The node as mTLS server: one connection at a time, handled according to
//! the current [`Mode`]. A mode change abandons the connection in progress
//! (its purpose is gone); the backup service retries on its next round.

use crate::store::ShareStore;
use crate::transfer::{import, Mode, TransferEvent};
use share_transfer::mtls::MtlsEndpoint;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) fn spawn(
    endpoint: MtlsEndpoint,
    listener: TcpListener,
    store: Arc<dyn ShareStore>,
    events: mpsc::UnboundedSender<TransferEvent>,
    cancel: CancellationToken,
) -> (watch::Sender<Mode>, JoinHandle<()>) {
    let (sender, mut modes) = watch::channel(Mode::Idle);
    let task = tokio::spawn(async move {
        loop {
            let mode = modes.borrow_and_update().clone();
            // Biased: a mode change seen before a connection arrives wins, so
            // a peer that connects after the driver switched modes meets the new one.
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                changed = modes.changed() => if changed.is_err() { break },
                () = one_connection(&endpoint, &listener, mode, &store, &events) => {}
            }
        }
        tracing::debug!("mTLS endpoint stopped");
    });
    (sender, task)
}

async fn one_connection(
    endpoint: &MtlsEndpoint,
    listener: &TcpListener,
    mode: Mode,
    store: &Arc<dyn ShareStore>,
    events: &mpsc::UnboundedSender<TransferEvent>,
) {
    match mode {
        Mode::Idle => match listener.accept().await {
            // Closed at once so the peer fails fast instead of timing out.
            Ok((_, remote)) => tracing::debug!(%remote, "no share transfer expected now; connection closed"),
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                // Errors such as EMFILE repeat at once; do not spin on them.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        },
        Mode::ServeBackups(shares) => match endpoint.serve_backup(listener, &shares).await {
            Ok(receipt) => {
                tracing::info!(epoch = %receipt.epoch_id, domains = receipt.domains, backup_service = %receipt.peer_key, "backup served");
                let _ =
                    events.send(TransferEvent::BackupServed { epoch_id: receipt.epoch_id, domains: receipt.domains });
            }
            Err(e) => {
                tracing::warn!(error = %e, "backup not served");
                let _ = events.send(TransferEvent::Failed { what: "backup", error: e.to_string() });
            }
        },
        Mode::ReceiveRecovery(expected) => match endpoint.receive_recovery(listener, &expected).await {
            Ok(payload) => {
                import(store, payload, expected, events).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "recovery not received");
                let _ = events.send(TransferEvent::Failed { what: "recovery", error: e.to_string() });
            }
        },
    }
}
