//! The node as web server: `GET /shares_backup` answers while the node serves
//! backups; a recovery session is opened (a fresh X25519 key published on the
//! contract) while it waits for shares, and its outcome imported.

use crate::store::ShareStore;
use crate::transfer::{import, Mode, TransferEvent};
use contract_client::{ContractClient, MpcContract};
use mpc_interface::primitives::Keyset;
use share_transfer::Expected;
use mpc_interface::recovery::{EphemeralKeys, Session, SessionKind};
use mpc_interface::AccountId;
use share_transfer::web::WebNode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
}

/// A recovery session published on the contract, and the task waiting on it.
struct OpenRecovery {
    /// Boxed: it keeps the endpoint's variants of similar size.
    expected: Box<Expected>,
    waiter: JoinHandle<()>,
    /// Set once the shares were imported: the session did its job, and a
    /// poll that runs before the driver has seen the import must not open
    /// (and publish a key for) another one.
    imported: Arc<AtomicBool>,
}

impl OpenRecovery {
    fn still_useful_for(&self, expected: &Expected) -> bool {
        *self.expected == *expected && (!self.waiter.is_finished() || self.imported.load(Ordering::SeqCst))
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
        client: Arc<dyn ContractClient>,
        account: AccountId,
        store: Arc<dyn ShareStore>,
        events: mpsc::UnboundedSender<TransferEvent>,
        cancel: CancellationToken,
    ) -> (Self, JoinHandle<()>) {
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
        (Self { node, client, account, store, events, mode: Mode::Idle, recovery: None }, task)
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
                if !self.recovery.as_ref().is_some_and(|r| r.still_useful_for(expected)) {
                    // The previous session ended (refused shares) or was for
                    // another keyset: open a new one.
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
            match handle.wait().await {
                Ok(payload) => {
                    if import(&store, payload, wanted, &events).await {
                        done.store(true, Ordering::SeqCst);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?session, "recovery session ended without shares");
                    let _ = events.send(TransferEvent::Failed { what: "recovery", error: e.to_string() });
                }
            }
        });
        Some(OpenRecovery { expected: Box::new(expected), waiter, imported })
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
