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
//! never arrived).

use crate::store::ShareStore;
use crate::transfer::{import, EndpointParts, Mode, TransferEvent};
use contract_client::{ContractClient, MpcContractApi};
use mpc_interface::primitives::Keyset;
use mpc_interface::recovery::{EphemeralKeys, Session, SessionKind};
use mpc_interface::AccountId;
use share_transfer::web::WebNode;
use share_transfer::Expected;
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
            return self.opened.elapsed() < renewal;
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
            Mode::ServeBackups(shares) => {
                self.node.set_backup_shares(Some(shares.clone()));
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
        let session = next_recovery_session(&published, &expected.keyset);
        let handle = match self.node.begin_recovery(session, &expected).await {
            Ok(handle) => handle,
            Err(e) => {
                tracing::warn!(error = %e, ?session, "cannot open a recovery session; will retry");
                let _ = self.events.send(TransferEvent::Failed { what: "recovery session", error: e.to_string() });
                return None;
            }
        };
        let (store, events, wanted) = (self.store.clone(), self.events.clone(), expected.clone());
        let imported = Arc::new(AtomicBool::new(false));
        let done = imported.clone();
        let waiter = tokio::spawn(async move {
            match handle.delivery().await {
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
            imported,
            import_seen: false,
            opened: Instant::now(),
        })
    }
}

/// A recovery session the contract accepts from the node: newer than any
/// recovery session the node already published for this epoch.
pub(crate) fn next_recovery_session(published: &EphemeralKeys, keyset: &Keyset) -> Session {
    let nonce = match published.node {
        Some(p) if p.session.kind == SessionKind::Recovery && p.session.epoch_id == keyset.epoch_id => {
            p.session.nonce + 1
        }
        _ => 1,
    };
    Session { kind: SessionKind::Recovery, epoch_id: keyset.epoch_id, nonce }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::X25519PublicKey;
    use mpc_interface::primitives::EpochId;
    use mpc_interface::recovery::PublishedKey;

    #[test]
    fn next_recovery_session__should_supersede_the_nodes_last_recovery_session() {
        let keyset = Keyset { epoch_id: EpochId(3), domains: vec![] };
        let published = |kind, epoch, nonce| EphemeralKeys {
            node: Some(PublishedKey {
                session: Session { kind, epoch_id: EpochId(epoch), nonce },
                public_key: X25519PublicKey([1; 32]),
            }),
            backup_service: None,
        };
        assert_eq!(next_recovery_session(&EphemeralKeys::default(), &keyset).nonce, 1);
        assert_eq!(next_recovery_session(&published(SessionKind::Backup, 3, 9), &keyset).nonce, 1);
        assert_eq!(next_recovery_session(&published(SessionKind::Recovery, 3, 4), &keyset).nonce, 5);
        assert_eq!(next_recovery_session(&published(SessionKind::Recovery, 2, 4), &keyset).nonce, 1);
        let next = next_recovery_session(&published(SessionKind::Recovery, 3, 4), &keyset);
        assert!(next.supersedes(&published(SessionKind::Recovery, 3, 4).node.unwrap().session));
    }
}
