//! What both transports of the node's endpoint share: the modes the driver
//! sets, the events they report, and the two touches of the share store
//! (reading the shares to back up when a request comes, importing received
//! shares). The transports depend on this module; it depends on neither.

use crate::store::{ShareStore, StoreError};
use contract_client::ContractClient;
use mpc_interface::primitives::EpochId;
use share_transfer::mtls::MtlsConfig;
use share_transfer::web::WebConfig;
use share_transfer::Expected;
use share_transfer::{Identity, SharesPayload, Transport};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the endpoint does right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing is expected: connections are closed at once.
    Idle,
    /// Hand the node's shares of this epoch to the operator's registered
    /// backup service; they are read from the share store at each request.
    ServeBackups { epoch_id: EpochId },
    /// Accept shares matching this keyset and this node's verifying shares
    /// from the registered backup service.
    ReceiveRecovery(Expected),
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Idle => "idle",
            Mode::ServeBackups { .. } => "serving backups",
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

/// Why the node's shares could not be handed to the backup service.
#[derive(Debug, thiserror::Error)]
pub enum BackupSharesError {
    #[error("no shares are stored")]
    NoneStored,
    #[error("the stored shares are of epoch {stored}, but the node serves backups of epoch {serving}")]
    OtherEpoch { stored: EpochId, serving: EpochId },
    #[error("reading the share store: {0}")]
    Store(#[from] StoreError),
    #[error("the share-store task failed: {0}")]
    Task(String),
}

/// The node's shares of `epoch_id`, read from the store now (off the async
/// threads), for a backup request that just came.
pub(crate) async fn stored_shares(
    store: &Arc<dyn ShareStore>,
    epoch_id: EpochId,
) -> Result<SharesPayload, BackupSharesError> {
    let store = store.clone();
    let loaded = tokio::task::spawn_blocking(move || store.load()).await;
    let shares = loaded.map_err(|e| BackupSharesError::Task(e.to_string()))??.ok_or(BackupSharesError::NoneStored)?;
    if shares.epoch_id != epoch_id {
        return Err(BackupSharesError::OtherEpoch { stored: shares.epoch_id, serving: epoch_id });
    }
    Ok(shares)
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
