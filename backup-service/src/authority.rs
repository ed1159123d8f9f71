//! The backup service's view of who its peer must be, read from the contract
//! at the moment share transfer asks (handshake, re-checks, each request):
//!
//! - backup: the node must present its participant TLS key;
//! - recovery: the new machine must present the approved recovery's new TLS key;
//! - web transport: ephemeral keys are published with the service's own
//!   access key and the node's are read from `ephemeral_keys(account)`.
//!
//! (share-transfer may grow equivalent adapters; these are the service's own,
//! built only on [`ContractClient`].)

use async_trait::async_trait;
use contract_client::{ContractClient, MpcContract};
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};
use mpc_interface::methods::{Role, PUBLISH_BACKUP_EPHEMERAL_KEY};
use mpc_interface::recovery::{RecoveryStatus, Session};
use mpc_interface::AccountId;
use serde_json::json;
use share_transfer::{AuthorityError, EphemeralKeyDirectory, PeerAuthority};
use std::sync::Arc;

fn unavailable(e: contract_client::ClientError) -> AuthorityError {
    AuthorityError::Unavailable(e.to_string())
}

/// Backup: the key `account`'s node must present is its participant TLS key.
pub struct NodeTlsKey {
    pub client: Arc<dyn ContractClient>,
    pub account: AccountId,
}

#[async_trait]
impl PeerAuthority for NodeTlsKey {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let state = self.client.state().await.map_err(unavailable)?;
        Ok(state.current_parameters().and_then(|p| p.participant(&self.account)).map(|p| p.info.tls_public_key))
    }
}

/// Recovery: the key the new machine must present, which exists only while
/// `account`'s recovery is open and approved (never while pending approval).
pub struct RecoveryTlsKey {
    pub client: Arc<dyn ContractClient>,
    pub account: AccountId,
}

#[async_trait]
impl PeerAuthority for RecoveryTlsKey {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let recovery = self.client.recovery().await.map_err(unavailable)?;
        Ok(recovery
            .filter(|r| r.account_id == self.account && r.status != RecoveryStatus::PendingApproval)
            .map(|r| r.new_info.tls_public_key))
    }
}

/// Ephemeral keys on the contract, acting as `account`'s backup service
/// (the client must sign with the service's registered access key).
pub struct ContractDirectory {
    pub client: Arc<dyn ContractClient>,
    pub account: AccountId,
}

#[async_trait]
impl EphemeralKeyDirectory for ContractDirectory {
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError> {
        self.client
            .call_as(
                Role::BackupService,
                PUBLISH_BACKUP_EPHEMERAL_KEY,
                json!({ "session": session, "public_key": key }),
            )
            .await
            .map(|_| ())
            .map_err(|e| AuthorityError::PublishFailed { session, reason: e.to_string() })
    }

    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError> {
        let keys = self.client.ephemeral_keys(&self.account).await.map_err(unavailable)?;
        Ok(keys.node.filter(|k| k.session == session).map(|k| k.public_key))
    }
}
