//! Typed views and calls of the hard launch (launch mode, allowed
//! backup-service measurements, attestations), on top of any
//! [`ContractClient`]. Names, gas and deposits come from the method table in
//! `mpc-interface`.

use crate::{CallOutcome, ClientError, ContractClient};
use async_trait::async_trait;
use mpc_interface::launch::{Attestation, BackupAttestationView, LaunchMode, Measurements};
use mpc_interface::methods::{self, Role};
use mpc_interface::recovery::BackupServiceInfo;
use mpc_interface::AccountId;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

async fn view<C: ContractClient + ?Sized, T: DeserializeOwned>(
    client: &C,
    method: &str,
    args: Value,
) -> Result<T, ClientError> {
    let bytes = client.view_raw(method, args).await?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode { method: method.to_owned(), reason: e.to_string() })
}

/// `method` in `role`: the table's gas, the role's deposit.
async fn call<C: ContractClient + ?Sized>(
    client: &C,
    role: Role,
    method: &'static str,
    args: Value,
) -> Result<CallOutcome, ClientError> {
    let spec = methods::by_name(method).expect("method in the interface table");
    debug_assert!(spec.allows(role), "{method} is not a {role:?} method");
    client.call_raw(method, args, role.deposit(), spec.gas).await
}

/// The hard launch's views and calls. Implemented for every [`ContractClient`].
#[async_trait]
pub trait AttestationContract: ContractClient {
    /// `Soft` (no attestation needed) or `Hard`.
    async fn launch_mode(&self) -> Result<LaunchMode, ClientError> {
        view(self, methods::LAUNCH_MODE, json!({})).await
    }

    /// The backup-service measurements participants allowed, in the order voted in.
    async fn allowed_measurements(&self) -> Result<Vec<Measurements>, ClientError> {
        view(self, methods::ALLOWED_MEASUREMENTS, json!({})).await
    }

    /// Whether `account_id`'s backup service may take part in share transfers
    /// now (judged at the view's block time), and its stored attestation.
    async fn backup_attestation(&self, account_id: &AccountId) -> Result<BackupAttestationView, ClientError> {
        view(self, methods::BACKUP_ATTESTATION, json!({ "account_id": account_id })).await
    }

    /// The operator (full-access key, 1 yoctoNEAR) registers its backup
    /// service with an attestation (required in `Hard` mode; a TDX one is
    /// registered only once the verifier and the callback accepted it).
    async fn register_attested_backup_service(
        &self,
        info: &BackupServiceInfo,
        attestation: &Attestation,
    ) -> Result<CallOutcome, ClientError> {
        let args = json!({ "info": info, "attestation": attestation });
        call(self, Role::Operator, methods::REGISTER_BACKUP_SERVICE, args).await
    }

    /// The registered backup service renews its attestation with its own key.
    async fn reattest_backup_service(&self, attestation: &Attestation) -> Result<CallOutcome, ClientError> {
        call(self, Role::BackupService, methods::REATTEST_BACKUP_SERVICE, json!({ "attestation": attestation })).await
    }

    /// A participant's node votes to switch the launch mode.
    async fn vote_launch_mode(&self, mode: LaunchMode) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, methods::VOTE_LAUNCH_MODE, json!({ "mode": mode })).await
    }

    /// A participant's node votes to allow a backup-service image's measurements.
    async fn vote_add_measurements(&self, measurements: &Measurements) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, methods::VOTE_ADD_MEASUREMENTS, json!({ "measurements": measurements })).await
    }

    /// A participant's node votes to retire allowed measurements.
    async fn vote_retire_measurements(&self, measurements: &Measurements) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, methods::VOTE_RETIRE_MEASUREMENTS, json!({ "measurements": measurements })).await
    }
}

impl<C: ContractClient + ?Sized> AttestationContract for C {}
