//! [`PeerAuthority`] and [`EphemeralKeyDirectory`] backed by the MPC contract
//! through any [`ContractClient`] (JSON-RPC in production, the in-process
//! wasm in tests). Nothing is cached: every question is a fresh view, so a
//! replaced registration or a recovery's progress counts from the next
//! handshake, request or re-check on.
//!
//! | who asks | type | the key it expects |
//! |---|---|---|
//! | node (serving a backup) | [`RegisteredBackupService`] | its operator's registered backup-service key |
//! | backup service (backup) | [`NodeForBackup`] | the account's participant TLS key; none while the account recovers |
//! | backup service (recovery) | [`RecoveringNode`] | the new machine's TLS key of an *approved* recovery of the account |
//! | both (web transport) | [`ContractDirectory`] | the other party's ephemeral key for the session |

use crate::attested::AttestationCheck;
use crate::authority::{AuthorityError, EphemeralKeyDirectory, PeerAuthority};
use crate::session::{describe, Party, Session, SessionKind};
use async_trait::async_trait;
use contract_client::{ClientError, ContractClient, MpcContractApi};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use mpc_interface::methods::Role;
use mpc_interface::recovery::RecoveryStatus;
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use std::sync::Arc;

fn unavailable(e: ClientError) -> AuthorityError {
    AuthorityError::Unavailable(e.to_string())
}

/// For a node: the backup service its operator registered
/// (`backup_service(operator).public_key`), or none if unregistered. In Hard
/// mode only while its attestation is valid ([`AttestationCheck`]), else
/// [`AuthorityError::NotAttested`].
#[derive(Clone)]
pub struct RegisteredBackupService {
    client: Arc<dyn ContractClient>,
    operator: AccountId,
    attestation: Arc<AttestationCheck>,
}

impl RegisteredBackupService {
    pub fn new(client: Arc<dyn ContractClient>, operator: AccountId) -> Self {
        let attestation = Arc::new(AttestationCheck::new(operator.clone()));
        Self { client, operator, attestation }
    }
}

#[async_trait]
impl PeerAuthority for RegisteredBackupService {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let Some(info) = self.client.backup_service(&self.operator).await.map_err(unavailable)? else {
            return Ok(None);
        };
        self.attestation.require(self.client.as_ref()).await?;
        Ok(Some(info.public_key))
    }
}

/// For a backup service taking a backup: the TLS key of `account`'s node as
/// the current participant set records it. None if the account is not a
/// participant, and none while the account itself is in recovery: its old
/// machine is being replaced and the new one holds nothing yet.
#[derive(Clone)]
pub struct NodeForBackup {
    client: Arc<dyn ContractClient>,
    account: AccountId,
}

impl NodeForBackup {
    pub fn new(client: Arc<dyn ContractClient>, account: AccountId) -> Self {
        Self { client, account }
    }
}

#[async_trait]
impl PeerAuthority for NodeForBackup {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let state = self.client.state().await.map_err(unavailable)?;
        if let ProtocolStateView::Recovery(r) = &state {
            if r.recovery.account_id == self.account {
                return Ok(None);
            }
        }
        let participants = state.current_parameters().map(|p| p.participants.as_slice()).unwrap_or_default();
        Ok(participants.iter().find(|p| p.account_id == self.account).map(|p| p.info.tls_public_key))
    }
}

/// For a backup service delivering a recovery: the new machine's TLS key,
/// only while the contract is in Recovery for `account` and the recovery is
/// approved (or already delivered, so a retried delivery still reaches the
/// same machine). Never for a recovery pending approval: a node key alone
/// must not be enough to redirect the shares.
#[derive(Clone)]
pub struct RecoveringNode {
    client: Arc<dyn ContractClient>,
    account: AccountId,
}

impl RecoveringNode {
    pub fn new(client: Arc<dyn ContractClient>, account: AccountId) -> Self {
        Self { client, account }
    }
}

#[async_trait]
impl PeerAuthority for RecoveringNode {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        let recovery = self.client.recovery().await.map_err(unavailable)?;
        Ok(recovery
            .filter(|r| r.account_id == self.account)
            .filter(|r| matches!(r.status, RecoveryStatus::Approved | RecoveryStatus::Delivered))
            .map(|r| r.new_info.tls_public_key))
    }
}

/// Ephemeral X25519 keys on the contract, for the account the client signs
/// as. The contract files a published key under the backup service when it
/// is signed with the registered backup-service access key, and under the
/// node only when it is signed with the node's key (`node_key(account)` for a
/// backup session, the recovery's new node key for a recovery session); any
/// other key of the account is refused. Publishing first checks that the
/// client's key puts it on the side this handle claims to be.
#[derive(Clone)]
pub struct ContractDirectory {
    client: Arc<dyn ContractClient>,
    account: AccountId,
    party: Party,
}

impl ContractDirectory {
    /// A directory acting as `party` of the account `client` signs as.
    pub fn new(client: Arc<dyn ContractClient>, party: Party) -> Self {
        let account = client.signer().account_id.clone();
        Self { client, account, party }
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    pub fn party(&self) -> Party {
        self.party
    }

    /// The key the contract takes the node's side of `session` from, if any.
    async fn node_key_for(&self, session: &Session) -> Result<Option<AccessPublicKey>, ClientError> {
        match session.kind {
            SessionKind::Backup => self.client.node_key(&self.account).await,
            SessionKind::Recovery => Ok(self
                .client
                .recovery()
                .await?
                .filter(|r| r.account_id == self.account)
                .map(|r| r.new_signer_public_key)),
        }
    }

    /// Why a publish by this client would land on the other party's side, or
    /// be refused as coming from neither, if it would.
    async fn wrong_side(&self, session: &Session) -> Result<Option<String>, ClientError> {
        let registered = self.client.backup_service(&self.account).await?.map(|i| i.signer_public_key);
        let mine = self.client.signer().public_key;
        if self.party == Party::Node && registered != Some(mine) {
            return Ok(match self.node_key_for(session).await? {
                None => Some(format!(
                    "{} has no node key for the {} (the node records its key with `submit_participant_info`; \
                     a recovery names it when entered)",
                    self.account,
                    describe(session)
                )),
                Some(key) if key != mine => Some(format!(
                    "this client signs with {mine}, but the contract takes the node's key for the {} only from {key}",
                    describe(session)
                )),
                Some(_) => None,
            });
        }
        Ok(match (self.party, registered) {
            (Party::BackupService, None) => Some(format!("{} has no registered backup service", self.account)),
            (Party::BackupService, Some(key)) if key != mine => Some(format!(
                "this client signs with {mine}, but the registered backup service signs with {key}; \
                 the contract would file the key as the node's"
            )),
            (Party::Node, Some(key)) if key == mine => Some(format!(
                "this client signs with the backup service's registered key {mine}; \
                 the contract would file the key as the backup service's"
            )),
            _ => None,
        })
    }
}

#[async_trait]
impl EphemeralKeyDirectory for ContractDirectory {
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError> {
        let failed = |reason: String| AuthorityError::PublishFailed { session, reason };
        if let Some(reason) = self.wrong_side(&session).await.map_err(|e| failed(e.to_string()))? {
            return Err(failed(format!("refusing to publish as the {}: {reason}", self.party)));
        }
        let role = match self.party {
            Party::Node => Role::Node,
            Party::BackupService => Role::BackupService,
        };
        self.client.publish_backup_ephemeral_key(role, session, key).await.map_err(|e| failed(e.to_string()))?;
        tracing::debug!(account = %self.account, party = %self.party, session = %describe(&session), "published an ephemeral key");
        Ok(())
    }

    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError> {
        let keys = self.client.ephemeral_keys(&self.account).await.map_err(unavailable)?;
        let theirs = match self.party.peer() {
            Party::Node => keys.node,
            Party::BackupService => keys.backup_service,
        };
        Ok(theirs.filter(|p| p.session == session).map(|p| p.public_key))
    }
}
