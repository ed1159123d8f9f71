//! The service's side of share transfer over either transport, with the
//! peer's identity and the web sessions taken from the contract.

use contract_client::{ClientError, ContractClient, MpcContractApi};
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{PublishedKey, Session, SessionKind};
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
pub enum TransferError {
    #[error("mTLS: {0}")]
    Mtls(#[from] MtlsError),
    #[error("web: {0}")]
    Web(#[from] WebError),
    #[error("reading the session keys from the contract: {0}")]
    Contract(#[from] ClientError),
    #[error("the new node has not opened a recovery session for epoch {epoch} yet")]
    NoRecoverySession { epoch: EpochId },
}

impl TransferError {
    /// The node's mTLS endpoint closed the connection at once: it has no
    /// transfer to do now (its driver has not switched to this job yet).
    pub fn is_idle_node(&self) -> bool {
        matches!(self, TransferError::Mtls(MtlsError::PeerClosed { peer: Party::Node }))
    }

    /// The node answered, but does not serve `wanted` yet: it is idle (the
    /// mTLS endpoint closes at once), holds no shares, or holds an older
    /// keyset. Expected for a moment after the contract moves on; not an error.
    pub fn is_not_serving_yet(&self, wanted: EpochId) -> bool {
        use share_transfer::PayloadError;
        match self {
            _ if self.is_idle_node() => true,
            TransferError::Mtls(MtlsError::Payload(PayloadError::WrongEpoch { payload, .. })) => *payload < wanted,
            // `NoShares` (503) and `EpochMismatch` (409) as the web node sends them back.
            TransferError::Web(WebError::Refused { status: 503, message }) => {
                message == &WebError::NoShares.to_string()
            }
            TransferError::Web(WebError::Refused { status: 409, message }) => {
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
    pub async fn fetch_backup(&self, node: SocketAddr, expected: &Expected) -> Result<SharesPayload, TransferError> {
        match self.transport {
            Transport::Mtls => {
                let authority = Arc::new(NodeForBackup::new(self.client.clone(), self.account.clone()));
                let endpoint = MtlsEndpoint::new(&self.identity, Party::Node, authority, self.mtls.clone())?;
                Ok(endpoint.fetch_backup(node, expected).await?)
            }
            Transport::Web => {
                let published = self.client.ephemeral_keys(&self.account).await?.backup_service;
                let session = next_backup_session(expected.keyset.epoch_id, published, now_ms());
                let client = BackupServiceClient::new(node, self.identity.clone(), self.directory(), self.web.clone());
                Ok(client.fetch_backup(session, expected).await?)
            }
        }
    }

    /// The recovery session the new node opened for `epoch`, if it did (web only).
    pub async fn open_recovery_session(&self, epoch: EpochId) -> Result<Option<Session>, TransferError> {
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
    ) -> Result<Delivered, TransferError> {
        match self.transport {
            Transport::Mtls => {
                let authority = Arc::new(RecoveringNode::new(self.client.clone(), self.account.clone()));
                let endpoint = MtlsEndpoint::new(&self.identity, Party::Node, authority, self.mtls.clone())?;
                let receipt = endpoint.deliver_recovery(node, payload).await?;
                Ok(Delivered { epoch_id: receipt.epoch_id, domains: receipt.domains, session: None })
            }
            Transport::Web => {
                let session = session.ok_or(TransferError::NoRecoverySession { epoch: payload.epoch_id })?;
                let client = BackupServiceClient::new(node, self.identity.clone(), self.directory(), self.web.clone());
                let ack = client.deliver_recovery(session, payload).await?;
                Ok(Delivered { epoch_id: ack.epoch_id, domains: ack.domains, session: Some(session) })
            }
        }
    }
}

/// A backup session newer than anything published before, so neither the
/// contract nor the node (which refuses sessions that are not newer than the
/// last it accepted) sees a replay: the wall clock in milliseconds, or one
/// past the last published nonce of this epoch if the clock is behind it.
pub fn next_backup_session(epoch: EpochId, published: Option<PublishedKey>, now_ms: u64) -> Session {
    let after_published = published
        .map(|p| p.session)
        .filter(|s| s.kind == SessionKind::Backup && s.epoch_id == epoch)
        .map_or(0, |s| s.nonce.saturating_add(1));
    Session { kind: SessionKind::Backup, epoch_id: epoch, nonce: now_ms.max(after_published) }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::keys::X25519PublicKey;

    fn published(kind: SessionKind, epoch: u64, nonce: u64) -> Option<PublishedKey> {
        Some(PublishedKey {
            session: Session { kind, epoch_id: EpochId(epoch), nonce },
            public_key: X25519PublicKey([1; 32]),
        })
    }

    #[test]
    fn next_backup_session__should_always_supersede_what_was_published() {
        let s = next_backup_session(EpochId(3), None, 1000);
        assert_eq!(s, Session { kind: SessionKind::Backup, epoch_id: EpochId(3), nonce: 1000 });
        // The clock went backwards (or another instance ran ahead): one past the published nonce.
        let s = next_backup_session(EpochId(3), published(SessionKind::Backup, 3, 5000), 1000);
        assert_eq!(s.nonce, 5001);
        // Another epoch or kind does not constrain the nonce.
        assert_eq!(next_backup_session(EpochId(3), published(SessionKind::Backup, 2, 9000), 1000).nonce, 1000);
        assert_eq!(next_backup_session(EpochId(3), published(SessionKind::Recovery, 3, 9000), 1000).nonce, 1000);
        for prior in [published(SessionKind::Backup, 3, 5000), published(SessionKind::Backup, 3, 10)] {
            let next = next_backup_session(EpochId(3), prior, 1000);
            assert!(next.supersedes(&prior.unwrap().session));
        }
    }
}
