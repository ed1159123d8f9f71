//! Typed views and role-aware calls on top of any [`ContractClient`]: the
//! method table in `mpc-interface` supplies names, gas and deposits.

use crate::{CallOutcome, ClientError, ContractClient};
use async_trait::async_trait;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::methods::{self, Method, Role};
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys, RecoveryView};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::storage::StorageBalance;
use mpc_interface::verifying::ParticipantVerifyingShares;
use mpc_interface::AccountId;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

#[async_trait]
pub trait MpcContract: ContractClient {
    async fn view<T: DeserializeOwned>(&self, method: &str, args: Value) -> Result<T, ClientError> {
        let bytes = self.view_raw(method, args).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Decode { method: method.to_owned(), reason: e.to_string() })
    }

    async fn state(&self) -> Result<ProtocolStateView, ClientError> {
        self.view(methods::STATE, json!({})).await
    }

    async fn participants(&self) -> Result<ThresholdParameters, ClientError> {
        self.view(methods::PARTICIPANTS, json!({})).await
    }

    /// `account_id`'s candidacy, if it is a candidate.
    async fn candidate(&self, account_id: &AccountId) -> Result<Option<ParticipantInfo>, ClientError> {
        self.view(methods::CANDIDATE, json!({ "account_id": account_id })).await
    }

    /// One page of candidates: at most `limit` (up to `MAX_PAGE_LIMIT`) from `from_index`.
    async fn candidates(&self, from_index: u32, limit: u32) -> Result<Vec<(AccountId, ParticipantInfo)>, ClientError> {
        self.view(methods::CANDIDATES, json!({ "from_index": from_index, "limit": limit })).await
    }

    /// One page of registered backup services.
    async fn backup_services(
        &self,
        from_index: u32,
        limit: u32,
    ) -> Result<Vec<(AccountId, BackupServiceInfo)>, ClientError> {
        self.view(methods::BACKUP_SERVICES, json!({ "from_index": from_index, "limit": limit })).await
    }

    /// `account_id`'s NEP-145 storage balance, if it has one.
    async fn storage_balance_of(&self, account_id: &AccountId) -> Result<Option<StorageBalance>, ClientError> {
        self.view(methods::STORAGE_BALANCE_OF, json!({ "account_id": account_id })).await
    }

    async fn recovery(&self) -> Result<Option<RecoveryView>, ClientError> {
        self.view(methods::RECOVERY, json!({})).await
    }

    async fn backup_service(&self, account_id: &AccountId) -> Result<Option<BackupServiceInfo>, ClientError> {
        self.view(methods::BACKUP_SERVICE, json!({ "account_id": account_id })).await
    }

    async fn ephemeral_keys(&self, account_id: &AccountId) -> Result<EphemeralKeys, ClientError> {
        self.view(methods::EPHEMERAL_KEYS, json!({ "account_id": account_id })).await
    }

    /// `account_id`'s verifying shares of the keyset in force (none for a
    /// non-participant or a keyset agreed before they were recorded).
    async fn verifying_shares(
        &self,
        account_id: &AccountId,
    ) -> Result<Option<ParticipantVerifyingShares>, ClientError> {
        self.view(methods::VERIFYING_SHARES, json!({ "account_id": account_id })).await
    }

    /// The access key that acts as `account_id`'s node, if the contract recorded one.
    async fn node_key(&self, account_id: &AccountId) -> Result<Option<AccessPublicKey>, ClientError> {
        self.view(methods::NODE_KEY, json!({ "account_id": account_id })).await
    }

    /// Enters a recovery onto the machine described by `info`. As a node
    /// (no deposit) the signing key acts for the new machine; as the operator
    /// (1 yoctoNEAR) `node_public_key` names the new node's key and is required.
    async fn submit_participant_recovery_info(
        &self,
        role: Role,
        info: &ParticipantInfo,
        node_public_key: Option<AccessPublicKey>,
    ) -> Result<CallOutcome, ClientError> {
        let args = json!({ "info": info, "node_public_key": node_public_key });
        self.call_as(role, methods::SUBMIT_PARTICIPANT_RECOVERY_INFO, args).await
    }

    /// The operator approves the open recovery to the machine with `tls_public_key`.
    async fn approve_recovery(&self, tls_public_key: &Ed25519PublicKey) -> Result<CallOutcome, ClientError> {
        self.call_as(Role::Operator, methods::APPROVE_RECOVERY, json!({ "tls_public_key": tls_public_key })).await
    }

    /// Calls `method` in `role`: the table's gas, the role's deposit.
    async fn call_as(&self, role: Role, method: &'static str, args: Value) -> Result<CallOutcome, ClientError> {
        let spec: &Method = methods::by_name(method).expect("method in the interface table");
        debug_assert!(spec.allows(role), "{method} is not a {role:?} method");
        self.call_raw(method, args, role.deposit(), spec.gas).await
    }
}

impl<C: ContractClient + ?Sized> MpcContract for C {}
