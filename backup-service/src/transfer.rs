//! The service's side of share transfer over either transport, with the
//! peer's identity and the web sessions taken from the contract.

use contract_client::{ClientError, ContractClient, MpcContract};
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{Session, SessionKind};
use mpc_interface::AccountId;
use share_transfer::contract::{ContractDirectory, NodeForBackup, RecoveringNode};
use share_transfer::mtls::{MtlsConfig, MtlsEndpoint, MtlsError};
use share_transfer::web::{BackupServiceClient, WebConfig, WebError};
use share_transfer::Expected;
use share_transfer::{Identity, Party, SharesPayload};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use share_transfer::Transport;

#[derive(Debug, thiserror::Error)]
pub enum ShareTransferError {
    #[error("mTLS: {0}")]
    Mtls(#[from] MtlsError),
    #[error("web: {0}")]
    Web(#[from] WebError),
    #[error("reading the session keys from the contract: {0}")]
    Contract(#[from] ClientError),
    #[error("the new node has not opened a recovery session for epoch {epoch} yet")]
    NoRecoverySession { epoch: EpochId },
}

impl ShareTransferError {
    /// The node's mTLS endpoint closed the connection at once: it has no
    /// transfer to do now (its driver has not switched to this job yet).
    pub fn is_idle_node(&self) -> bool {
        matches!(self, ShareTransferError::Mtls(MtlsError::PeerClosed { peer: Party::Node }))
    }

    /// The node answered, but does not serve `wanted` yet: it is idle (the
    /// mTLS endpoint closes at once), holds no shares, or holds an older
    /// keyset. Expected for a moment after the contract moves on; not an error.
    pub fn is_not_serving_yet(&self, wanted: EpochId) -> bool {
        use share_transfer::PayloadError;
        match self {
            _ if self.is_idle_node() => true,
            ShareTransferError::Mtls(MtlsError::Payload(PayloadError::WrongEpoch { payload, .. })) => *payload < wanted,
            // `NoShares` (503) and `EpochMismatch` (409) as the web node sends them back.
            ShareTransferError::Web(WebError::Refused { status: 503, message }) => {
                message == &WebError::NoShares.to_string()
            }
            ShareTransferError::Web(WebError::Refused { status: 409, message }) => {
                message.starts_with(&format!("the session is for epoch {wanted}, but this node holds shares of epoch"))
            }
            _ => false,
        }
    }
}

/// Everything a transfer needs, shared by backups and recoveries.
#[derive(Clone)]
pub struct Transfers {
    pub transport: Transport,
    pub identity: Arc<Identity>,
    pub client: Arc<dyn ContractClient>,
    /// The operator account whose node this service backs up.
    pub account: AccountId,
    pub mtls: MtlsConfig,
    pub web: WebConfig,
}

/// The receiver's acknowledgement of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub epoch_id: EpochId,
    pub domains: u32,
    /// The web session used, if any.
    pub session: Option<Session>,
}

impl Transfers {
    fn directory(&self) -> Arc<ContractDirectory> {
        Arc::new(ContractDirectory::new(self.client.clone(), Party::BackupService))
    }

    /// Fetches the node's shares, accepted only if they match `expected`
    /// (the keyset and the node's verifying shares).
    pub async fn fetch_backup(
        &self,
        node: SocketAddr,
        expected: &Expected,
    ) -> Result<SharesPayload, ShareTransferError> {
        match self.transport {
            Transport::Mtls => {
                let authority = Arc::new(NodeForBackup::new(self.client.clone(), self.account.clone()));
                let endpoint = MtlsEndpoint::new(&self.identity, Party::Node, authority, self.mtls.clone())?;
                Ok(endpoint.fetch_backup(node, expected).await?)
            }
            Transport::Web => {
                let published = self.client.ephemeral_keys(&self.account).await?.backup_service;
                // At least the wall clock in milliseconds, so a restarted service never reuses a
                // nonce, and past what it last published, so neither the contract nor the node
                // (which refuses sessions not newer than the last it accepted) sees a replay.
                let last = published.map(|p| p.session);
                let session = Session::next(SessionKind::Backup, expected.keyset.epoch_id, last, now_ms());
                let client = BackupServiceClient::new(node, self.identity.clone(), self.directory(), self.web.clone());
                Ok(client.fetch_backup(session, expected).await?)
            }
        }
    }

    /// The recovery session the new node opened for `epoch`, if it did (web only).
    pub async fn open_recovery_session(&self, epoch: EpochId) -> Result<Option<Session>, ShareTransferError> {
        let node = self.client.ephemeral_keys(&self.account).await?.node;
        Ok(node.map(|k| k.session).filter(|s| s.kind == SessionKind::Recovery && s.epoch_id == epoch))
    }

    /// Delivers `payload` to the recovering node at `node`. For the web
    /// transport, `session` is the one the node opened.
    pub async fn deliver_recovery(
        &self,
        node: SocketAddr,
        payload: &SharesPayload,
        session: Option<Session>,
    ) -> Result<Delivered, ShareTransferError> {
        match self.transport {
            Transport::Mtls => {
                let authority = Arc::new(RecoveringNode::new(self.client.clone(), self.account.clone()));
                let endpoint = MtlsEndpoint::new(&self.identity, Party::Node, authority, self.mtls.clone())?;
                let receipt = endpoint.deliver_recovery(node, payload).await?;
                Ok(Delivered { epoch_id: receipt.epoch_id, domains: receipt.domains, session: None })
            }
            Transport::Web => {
                let session = session.ok_or(ShareTransferError::NoRecoverySession { epoch: payload.epoch_id })?;
                let client = BackupServiceClient::new(node, self.identity.clone(), self.directory(), self.web.clone());
                let ack = client.deliver_recovery(session, payload).await?;
                Ok(Delivered { epoch_id: ack.epoch_id, domains: ack.domains, session: Some(session) })
            }
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
