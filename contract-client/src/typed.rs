//! One typed method per contract method on top of any [`ContractClient`]:
//! views decode their answer, calls send the argument type of
//! `mpc_interface::args`, whose method row in the table supplies name and gas;
//! the caller's role supplies the deposit.

use crate::{CallOutcome, ClientError, ContractClient};
use async_trait::async_trait;
use mpc_interface::args::*;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use mpc_interface::launch::Attestation;
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::{
    DomainConfig, DomainPublicKey, EpochId, KeyEventId, Keyset, ParticipantInfo, ThresholdParameters,
};
use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys, RecoveryView, Session};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::storage::{StorageBalance, StorageBalanceBounds};
use mpc_interface::verifying::ParticipantVerifyingShares;
use mpc_interface::AccountId;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Calls a view and decodes its answer.
pub(crate) async fn view<C, T>(client: &C, method: &str, args: Value) -> Result<T, ClientError>
where
    C: ContractClient + ?Sized,
    T: DeserializeOwned,
{
    let bytes = client.view_raw(method, args).await?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode { method: method.to_owned(), reason: e.to_string() })
}

/// Sends `args` in `role`, attaching the role's deposit.
pub(crate) async fn call<C, A>(client: &C, role: Role, args: A) -> Result<CallOutcome, ClientError>
where
    C: ContractClient + ?Sized,
    A: ChangeArgs + Send,
{
    call_with_deposit(client, role, args, role.deposit()).await
}

/// Sends `args` in `role` with `deposit`: the method's name and gas come from
/// the table, and a role the table does not allow is refused before sending.
async fn call_with_deposit<C, A>(client: &C, role: Role, args: A, deposit: u128) -> Result<CallOutcome, ClientError>
where
    C: ContractClient + ?Sized,
    A: ChangeArgs + Send,
{
    let spec = A::method();
    if !spec.allows(role) {
        return Err(ClientError::Role { method: spec.name.to_owned(), role });
    }
    client.call_raw(spec.name, args.encode(), deposit, spec.gas).await
}

/// The contract's methods, typed. Implemented for every [`ContractClient`].
#[async_trait]
pub trait MpcContractApi: ContractClient {
    async fn state(&self) -> Result<ProtocolStateView, ClientError> {
        view(self, methods::STATE, json!({})).await
    }

    async fn participants(&self) -> Result<ThresholdParameters, ClientError> {
        view(self, methods::PARTICIPANTS, json!({})).await
    }

    /// `account_id`'s candidacy, if it is a candidate.
    async fn candidate(&self, account_id: &AccountId) -> Result<Option<ParticipantInfo>, ClientError> {
        view(self, methods::CANDIDATE, json!({ "account_id": account_id })).await
    }

    /// One page of candidates: at most `limit` (up to `MAX_PAGE_LIMIT`) from `from_index`.
    async fn candidates(&self, from_index: u32, limit: u32) -> Result<Vec<(AccountId, ParticipantInfo)>, ClientError> {
        view(self, methods::CANDIDATES, json!({ "from_index": from_index, "limit": limit })).await
    }

    /// One page of registered backup services.
    async fn backup_services(
        &self,
        from_index: u32,
        limit: u32,
    ) -> Result<Vec<(AccountId, BackupServiceInfo)>, ClientError> {
        view(self, methods::BACKUP_SERVICES, json!({ "from_index": from_index, "limit": limit })).await
    }

    /// `account_id`'s NEP-145 storage balance, if it has one.
    async fn storage_balance_of(&self, account_id: &AccountId) -> Result<Option<StorageBalance>, ClientError> {
        view(self, methods::STORAGE_BALANCE_OF, json!({ "account_id": account_id })).await
    }

    /// NEP-145: the least a storage registration takes.
    async fn storage_balance_bounds(&self) -> Result<StorageBalanceBounds, ClientError> {
        view(self, methods::STORAGE_BALANCE_BOUNDS, json!({})).await
    }

    async fn recovery(&self) -> Result<Option<RecoveryView>, ClientError> {
        view(self, methods::RECOVERY, json!({})).await
    }

    async fn backup_service(&self, account_id: &AccountId) -> Result<Option<BackupServiceInfo>, ClientError> {
        view(self, methods::BACKUP_SERVICE, json!({ "account_id": account_id })).await
    }

    async fn ephemeral_keys(&self, account_id: &AccountId) -> Result<EphemeralKeys, ClientError> {
        view(self, methods::EPHEMERAL_KEYS, json!({ "account_id": account_id })).await
    }

    /// `account_id`'s verifying shares of the keyset in force (none for a
    /// non-participant or a keyset agreed before they were recorded).
    async fn verifying_shares(
        &self,
        account_id: &AccountId,
    ) -> Result<Option<ParticipantVerifyingShares>, ClientError> {
        view(self, methods::VERIFYING_SHARES, json!({ "account_id": account_id })).await
    }

    /// The access key that acts as `account_id`'s node, if the contract recorded one.
    async fn node_key(&self, account_id: &AccountId) -> Result<Option<AccessPublicKey>, ClientError> {
        view(self, methods::NODE_KEY, json!({ "account_id": account_id })).await
    }

    /// The deployed code's version.
    async fn version(&self) -> Result<String, ClientError> {
        view(self, methods::VERSION, json!({})).await
    }

    /// Deploy-time (signed by the contract account): key generation starts.
    /// `tee_verifier` and `allow_dev_attestation` prepare a `Hard` launch.
    async fn init(
        &self,
        parameters: &ThresholdParameters,
        domains: &[DomainConfig],
        tee_verifier: Option<&AccountId>,
        allow_dev_attestation: bool,
    ) -> Result<CallOutcome, ClientError> {
        let args = InitArgs {
            parameters: parameters.clone(),
            domains: domains.to_vec(),
            tee_verifier: tee_verifier.cloned(),
            allow_dev_attestation: allow_dev_attestation.then_some(true),
        };
        call(self, Role::Contract, args).await
    }

    /// Deploy-time (signed by the contract account): `Running` with `keyset`.
    async fn init_running(
        &self,
        parameters: &ThresholdParameters,
        domains: &[DomainConfig],
        keyset: &Keyset,
    ) -> Result<CallOutcome, ClientError> {
        let args =
            InitRunningArgs { parameters: parameters.clone(), domains: domains.to_vec(), keyset: keyset.clone() };
        call(self, Role::Contract, args).await
    }

    /// After a code upgrade (signed by the contract account).
    async fn migrate(&self, tee_verifier: Option<&AccountId>) -> Result<CallOutcome, ClientError> {
        call(self, Role::Contract, MigrateArgs { tee_verifier: tee_verifier.cloned() }).await
    }

    /// The node votes a domain's public key and every participant's verifying share.
    async fn vote_pk(
        &self,
        key_event_id: KeyEventId,
        public_key: &DomainPublicKey,
        verifying_shares: &[DomainPublicKey],
    ) -> Result<CallOutcome, ClientError> {
        let args = VotePkArgs { key_event_id, public_key: *public_key, verifying_shares: verifying_shares.to_vec() };
        call(self, Role::Node, args).await
    }

    /// The node votes to reshare to `proposal` in `epoch_id`.
    async fn vote_new_parameters(
        &self,
        epoch_id: EpochId,
        proposal: &ThresholdParameters,
    ) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, VoteNewParametersArgs { epoch_id, proposal: proposal.clone() }).await
    }

    /// The node votes that a domain was reshared, with the new verifying shares.
    async fn vote_reshared(
        &self,
        key_event_id: KeyEventId,
        verifying_shares: &[DomainPublicKey],
    ) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, VoteResharedArgs { key_event_id, verifying_shares: verifying_shares.to_vec() }).await
    }

    async fn vote_cancel_resharing(&self) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, VoteCancelResharingArgs {}).await
    }

    /// The node announces itself (a candidate) or confirms its TLS key (a participant).
    async fn submit_participant_info(&self, info: &ParticipantInfo) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, SubmitParticipantInfoArgs { info: info.clone() }).await
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
        call(self, role, SubmitParticipantRecoveryInfoArgs { info: info.clone(), node_public_key }).await
    }

    /// The operator approves the open recovery to the machine with `tls_public_key`.
    async fn approve_recovery(&self, tls_public_key: &Ed25519PublicKey) -> Result<CallOutcome, ClientError> {
        call(self, Role::Operator, ApproveRecoveryArgs { tls_public_key: *tls_public_key }).await
    }

    /// The operator registers its backup service.
    async fn register_backup_service(
        &self,
        info: &BackupServiceInfo,
        attestation: Option<&Attestation>,
    ) -> Result<CallOutcome, ClientError> {
        call(self, Role::Operator, RegisterBackupServiceArgs { info: *info, attestation: attestation.cloned() }).await
    }

    /// The node or the backup service (`role`) publishes its key for `session`.
    async fn publish_backup_ephemeral_key(
        &self,
        role: Role,
        session: Session,
        public_key: X25519PublicKey,
    ) -> Result<CallOutcome, ClientError> {
        call(self, role, PublishBackupEphemeralKeyArgs { session, public_key }).await
    }

    /// The backup service confirms it delivered the shares of `keyset`.
    async fn confirm_recovery_delivery(&self, keyset: &Keyset) -> Result<CallOutcome, ClientError> {
        call(self, Role::BackupService, ConfirmRecoveryDeliveryArgs { keyset: keyset.clone() }).await
    }

    /// The new machine takes the seat, holding the shares of `keyset`.
    async fn conclude_recovery(&self, keyset: &Keyset) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, ConcludeRecoveryArgs { keyset: keyset.clone() }).await
    }

    /// The operator or a node (`role`) cancels the open recovery.
    async fn cancel_recovery(&self, role: Role) -> Result<CallOutcome, ClientError> {
        call(self, role, CancelRecoveryArgs {}).await
    }

    /// The node or the operator (`role`) withdraws the account's candidacy.
    async fn withdraw_candidate_info(&self, role: Role) -> Result<CallOutcome, ClientError> {
        call(self, role, WithdrawCandidateInfoArgs {}).await
    }

    /// NEP-145: the operator attaches `deposit` yoctoNEAR for `account_id`'s
    /// storage (its own when `None`). The outcome's value is a `StorageBalance`.
    async fn storage_deposit(
        &self,
        account_id: Option<&AccountId>,
        registration_only: Option<bool>,
        deposit: u128,
    ) -> Result<CallOutcome, ClientError> {
        let args = StorageDepositArgs { account_id: account_id.cloned(), registration_only };
        call_with_deposit(self, Role::Operator, args, deposit).await
    }

    /// NEP-145: the operator withdraws `amount` yoctoNEAR (all available when `None`).
    async fn storage_withdraw(&self, amount: Option<u128>) -> Result<CallOutcome, ClientError> {
        call(self, Role::Operator, StorageWithdrawArgs { amount }).await
    }

    /// NEP-145: the operator closes the account's storage (`force`: with its candidacy).
    async fn storage_unregister(&self, force: Option<bool>) -> Result<CallOutcome, ClientError> {
        call(self, Role::Operator, StorageUnregisterArgs { force }).await
    }
}

impl<C: ContractClient + ?Sized> MpcContractApi for C {}
