//! The node as web server: `GET /shares_backup` answers while the node serves
//! backups; a recovery session is opened (a fresh X25519 key published on the
//! contract) while it waits for shares, and its outcome imported before the
//! backup service is acknowledged.
//!
//! A session takes one delivery. Until the recovery is confirmed the node
//! keeps one open: after a delivery it opens the next at the following poll
//! (the acknowledgement may have been lost, and the backup service must then
//! deliver again), and it replaces a session nobody used within
//! `session_renewal` (the backup service may have spent it on a request that
//! never arrived), but never one whose shares arrived and are being stored.

use super::common::{import, stored_shares, BackupSharesError, EndpointParts, Mode, TransferEvent};
use crate::store::ShareStore;
use contract_client::{ContractClient, MpcContract};
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{Session, SessionKind};
use mpc_interface::AccountId;
use share_transfer::web::{BackupShares, WebNode};
use share_transfer::Expected;
use share_transfer::SharesPayload;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub(crate) struct WebSide {
    node: WebNode,
    client: Arc<dyn ContractClient>,
    account: AccountId,
    store: Arc<dyn ShareStore>,
    events: mpsc::UnboundedSender<TransferEvent>,
    mode: Mode,
    recovery: Option<OpenRecovery>,
    session_renewal: Duration,
}

/// A recovery session published on the contract, and the task waiting on it.
struct OpenRecovery {
    /// Boxed: it keeps the endpoint's variants of similar size.
    expected: Box<Expected>,
    waiter: JoinHandle<()>,
    /// Set once verified shares arrived: from then on the session is storing
    /// them and is never renewed (that would drop the delivery half-stored).
    arrived: Arc<AtomicBool>,
    /// Set once the shares were imported: the session did its job, and the
    /// poll that runs right after the import (before the backup service could
    /// confirm) must not open another one yet.
    imported: Arc<AtomicBool>,
    /// A poll saw the import.
    import_seen: bool,
    opened: Instant,
}

impl OpenRecovery {
    /// Whether this session still serves waiting for shares matching `expected`.
    fn still_useful_for(&mut self, expected: &Expected, renewal: Duration) -> bool {
        if *self.expected != *expected {
            return false;
        }
        if !self.waiter.is_finished() {
            return self.arrived.load(Ordering::SeqCst) || self.opened.elapsed() < renewal;
        }
        if self.imported.load(Ordering::SeqCst) && !self.import_seen {
            self.import_seen = true;
            return true;
        }
        false
    }
}

impl Drop for OpenRecovery {
    fn drop(&mut self) {
        self.waiter.abort();
    }
}

impl WebSide {
    pub(crate) fn spawn(
        node: WebNode,
        listener: TcpListener,
        parts: EndpointParts,
        account: AccountId,
        events: mpsc::UnboundedSender<TransferEvent>,
        cancel: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
        let (client, store, session_renewal) = (parts.client, parts.store, parts.session_renewal);
        node.set_backup_shares(None);
        let server = node.clone();
        let task = tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                result = server.serve(listener) => {
                    if let Err(e) = result {
                        tracing::error!(error = %e, "share-transfer web endpoint stopped");
                    }
                }
            }
        });
        (Self { node, client, account, store, events, mode: Mode::Idle, recovery: None, session_renewal }, task)
    }

    pub(crate) async fn apply(&mut self, mode: Mode) {
        if mode != self.mode {
            tracing::info!(transport = "web", mode = mode.name(), "share-transfer endpoint");
        }
        match &mode {
            Mode::ServeBackups { epoch_id } => {
                if mode != self.mode {
                    let source = StoreSource { store: self.store.clone(), epoch_id: *epoch_id };
                    self.node.set_backup_source(Some(Arc::new(source)));
                }
                self.recovery = None;
            }
            Mode::Idle => {
                self.node.set_backup_shares(None);
                self.recovery = None;
            }
            Mode::ReceiveRecovery(expected) => {
                self.node.set_backup_shares(None);
                let renewal = self.session_renewal;
                if !self.recovery.as_mut().is_some_and(|r| r.still_useful_for(expected, renewal)) {
                    // The previous session ended (delivered, or refused), went
                    // unused too long or was for another keyset: open a new one.
                    self.recovery = self.open_recovery(expected.clone()).await;
                }
            }
        }
        self.mode = mode;
    }

    /// Publishes a fresh key for a new recovery session and waits for it in
    /// the background. On failure returns None: the next poll tries again.
    async fn open_recovery(&self, expected: Expected) -> Option<OpenRecovery> {
        let published = match self.client.ephemeral_keys(&self.account).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the published ephemeral keys; will retry");
                return None;
            }
        };
        // Newer than any recovery session the node already published for this epoch.
        let last = published.node.map(|p| p.session);
        let session = Session::next(SessionKind::Recovery, expected.keyset.epoch_id, last, 1);
        let handle = match self.node.begin_recovery(session, &expected).await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, ?session, "cannot open a recovery session; will retry");
                let _ = self.events.send(TransferEvent::Failed { what: "recovery session", error: e.to_string() });
                return None;
            }
        };
        let (store, events, wanted) = (self.store.clone(), self.events.clone(), expected.clone());
        let (arrived, imported) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (storing, done) = (arrived.clone(), imported.clone());
        let waiter = tokio::spawn(async move {
            let delivery = handle.delivery().await;
            storing.store(delivery.is_ok(), Ordering::SeqCst);
            match delivery {
                Ok(delivery) => match import(&store, delivery.payload.clone(), wanted, &events).await {
                    Ok(()) => {
                        done.store(true, Ordering::SeqCst);
                        delivery.stored();
                    }
                    Err(reason) => delivery.not_stored(reason),
                },
                Err(e) => {
                    tracing::warn!(error = %e, ?session, "recovery session ended without shares");
                    let _ = events.send(TransferEvent::Failed { what: "recovery", error: e.to_string() });
                }
            }
        });
        Some(OpenRecovery {
            expected: Box::new(expected),
            waiter,
            arrived,
            imported,
            import_seen: false,
            opened: Instant::now(),
        })
    }
}

/// The node's shares of one epoch, read from its store at each backup request.
struct StoreSource {
    store: Arc<dyn ShareStore>,
    epoch_id: EpochId,
}

#[async_trait::async_trait]
impl BackupShares for StoreSource {
    async fn backup_shares(&self) -> Result<Option<SharesPayload>, String> {
        match stored_shares(&self.store, self.epoch_id).await {
            Ok(shares) => Ok(Some(shares)),
            Err(BackupSharesError::NoneStored) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}
