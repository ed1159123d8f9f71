//! Typed views and calls of the hard launch (launch mode, allowed
//! backup-service measurements, attestations), on top of any
//! [`ContractClient`]. Names, gas and deposits come from the method table in
//! `mpc-interface`.

use crate::typed::{call, view};
use crate::{CallOutcome, ClientError, ContractClient};
use async_trait::async_trait;
use mpc_interface::args::{ReattestBackupServiceArgs, VoteLaunchArgs};
use mpc_interface::launch::{Attestation, BackupAttestationView, LaunchMode, LaunchVote, Measurements};
use mpc_interface::methods::{self, Role};
use mpc_interface::AccountId;
use serde_json::json;

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

    /// The registered backup service renews its attestation with its own key.
    async fn reattest_backup_service(&self, attestation: &Attestation) -> Result<CallOutcome, ClientError> {
        call(self, Role::BackupService, ReattestBackupServiceArgs { attestation: attestation.clone() }).await
    }

    /// A participant's node votes the launch mode, or to allow or retire measurements.
    async fn vote_launch(&self, vote: LaunchVote) -> Result<CallOutcome, ClientError> {
        call(self, Role::Node, VoteLaunchArgs { vote }).await
    }

    /// A participant's node votes to switch the launch mode (`vote_launch`).
    async fn vote_launch_mode(&self, mode: LaunchMode) -> Result<CallOutcome, ClientError> {
        self.vote_launch(LaunchVote::Mode(mode)).await
    }

    /// A participant's node votes to allow a backup-service image's measurements (`vote_launch`).
    async fn vote_add_measurements(&self, measurements: &Measurements) -> Result<CallOutcome, ClientError> {
        self.vote_launch(LaunchVote::AllowMeasurements(*measurements)).await
    }

    /// A participant's node votes to retire allowed measurements (`vote_launch`).
    async fn vote_retire_measurements(&self, measurements: &Measurements) -> Result<CallOutcome, ClientError> {
        self.vote_launch(LaunchVote::RetireMeasurements(*measurements)).await
    }
}

impl<C: ContractClient + ?Sized> AttestationContract for C {}
