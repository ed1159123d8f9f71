//! The node's share-transfer endpoint, whichever transport it speaks. The
//! driver tells it what to do ([`Mode`]) after every poll; it reports what
//! happened ([`TransferEvent`]). Received shares are imported (checked against
//! the keyset, then written) before they are reported.

use crate::store::ShareStore;
use crate::{mtls_node, web_node};
use contract_client::ContractClient;
use mpc_interface::primitives::EpochId;
use share_transfer::contract::{ContractDirectory, RegisteredBackupService};
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint, MtlsError};
use share_transfer::web::{WebConfig, WebNode};
use share_transfer::Expected;
use share_transfer::{Identity, Party, SharesPayload};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use share_transfer::Transport;

/// What the endpoint does right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing is expected: connections are closed at once.
    Idle,
    /// Hand these shares (the node's, matching the current keyset) to the
    /// operator's registered backup service.
    ServeBackups(SharesPayload),
    /// Accept shares matching this keyset and this node's verifying shares
    /// from the registered backup service.
    ReceiveRecovery(Expected),
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Idle => "idle",
            Mode::ServeBackups(_) => "serving backups",
            Mode::ReceiveRecovery(_) => "receiving a recovery",
        }
    }
}

/// What happened at the endpoint. Carries no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferEvent {
    /// The backup service acknowledged a copy of the shares.
    BackupServed { epoch_id: EpochId, domains: u32 },
    /// Shares from the backup service were verified against the keyset and stored.
    SharesImported { epoch_id: EpochId },
    /// A transfer failed or was refused; `error` says why.
    Failed { what: &'static str, error: String },
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("cannot set up the mTLS endpoint: {0}")]
    Mtls(#[from] MtlsError),
}

/// Everything the endpoint needs to run.
pub struct EndpointParts {
    pub transport: Transport,
    pub identity: Arc<Identity>,
    /// Signs as the node (its operator's account, the node's access key).
    pub client: Arc<dyn ContractClient>,
    pub store: Arc<dyn ShareStore>,
    pub mtls: MtlsConfig,
    pub web: WebConfig,
    /// Web: a recovery session nobody used for this long is replaced.
    pub session_renewal: Duration,
}

pub struct TransferEndpoint {
    inner: Inner,
}

enum Inner {
    Mtls(watch::Sender<Mode>),
    Web(web_node::WebSide),
}

impl TransferEndpoint {
    /// Starts serving on `listener` (in `Idle`) until `cancel` fires.
    pub fn start(
        parts: EndpointParts,
        listener: TcpListener,
        events: mpsc::UnboundedSender<TransferEvent>,
        cancel: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), TransferError> {
        // The node's peer is always its operator's backup service, whose key
        // is read from the contract at every handshake, request and re-check.
        let account = parts.client.signer().account_id.clone();
        let authority = Arc::new(RegisteredBackupService::new(parts.client.clone(), account.clone()));
        match parts.transport {
            Transport::Mtls => {
                let cap = parts.mtls.max_unauthenticated;
                let endpoint = MtlsEndpoint::new(&parts.identity, Party::BackupService, authority, parts.mtls)?;
                let (mode, task) = mtls_node::spawn(endpoint, cap, listener, parts.store, events, cancel);
                Ok((Self { inner: Inner::Mtls(mode) }, task))
            }
            Transport::Web => {
                let directory = Arc::new(ContractDirectory::new(parts.client.clone(), Party::Node));
                let node = WebNode::new(authority, directory, parts.web.clone());
                let (side, task) = web_node::WebSide::spawn(node, listener, parts, account, events, cancel);
                Ok((Self { inner: Inner::Web(side) }, task))
            }
        }
    }

    /// Switches to `mode`. Does nothing if the mode is unchanged, so a
    /// transfer in progress is not interrupted by the next poll.
    pub async fn apply(&mut self, mode: Mode) {
        match &mut self.inner {
            Inner::Mtls(sender) => {
                sender.send_if_modified(|current| {
                    if *current == mode {
                        return false;
                    }
                    tracing::info!(transport = "mtls", mode = mode.name(), "share-transfer endpoint");
                    *current = mode;
                    true
                });
            }
            Inner::Web(side) => side.apply(mode).await,
        }
    }
}

/// Checks and durably writes received shares off the async threads (fsync
/// blocks), and reports the outcome; Ok only once they are on disk, so only
/// then is the backup service acknowledged. Else why not, for the sender.
pub(crate) async fn import(
    store: &Arc<dyn ShareStore>,
    payload: SharesPayload,
    expected: Expected,
    events: &mpsc::UnboundedSender<TransferEvent>,
) -> Result<(), String> {
    let epoch_id = payload.epoch_id;
    let store = store.clone();
    let outcome = tokio::task::spawn_blocking(move || store.import(&payload, &expected)).await;
    let stored = match outcome {
        Ok(Ok(())) => {
            tracing::info!(epoch = %epoch_id, "recovered shares imported");
            Ok(())
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "recovered shares were verified in transit but could not be stored");
            Err(e.to_string())
        }
        Err(e) => Err(format!("the import task failed: {e}")),
    };
    let _ = events.send(match &stored {
        Ok(()) => TransferEvent::SharesImported { epoch_id },
        Err(error) => TransferEvent::Failed { what: "import", error: error.clone() },
    });
    stored
}
