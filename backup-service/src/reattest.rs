//! Keeps the service's attestation valid in Hard mode: every poll reads the
//! contract's view of it and re-attests (`reattest_backup_service`, signed by
//! the service's own function-call key) when it is missing, expired, or
//! expires within the renewal margin. Soft mode needs nothing.

use crate::attest::{AttestError, QuoteSource};
use crate::metrics::Metrics;
use contract_client::{AttestationContract, ClientError, ContractClient};
use mpc_interface::attestation::ReportData;
use mpc_interface::launch::{AttestationStatus, BackupAttestationView};
use mpc_interface::AccountId;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// The chain's time, Unix seconds (the wall clock in production; the local
/// chain's block time in the drill).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub fn wall_clock() -> Clock {
    Arc::new(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Where attestations come from and when to renew them.
#[derive(Clone)]
pub struct AttestationConfig {
    pub source: Arc<dyn QuoteSource>,
    /// Re-attest when less than this is left.
    pub renew_margin: Duration,
    pub clock: Clock,
}

impl AttestationConfig {
    pub fn new(source: Arc<dyn QuoteSource>, renew_margin: Duration) -> Self {
        Self { source, renew_margin, clock: wall_clock() }
    }
}

impl std::fmt::Debug for AttestationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttestationConfig")
            .field("source", &self.source.describe())
            .field("renew_margin", &self.renew_margin)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReattestError {
    #[error("reading the attestation status: {0}")]
    View(ClientError),
    #[error("obtaining an attestation: {0}")]
    Source(#[from] AttestError),
    #[error("the contract refused the re-attestation: {0}")]
    Refused(ClientError),
    #[error("the quote task failed: {0}")]
    Task(String),
}

/// What a check did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// Soft mode, or no backup service registered: nothing to do.
    NotRequired,
    /// Valid for longer than the margin.
    Valid { expires_at: u64 },
    /// Re-attested; the contract now shows this.
    Renewed { status: AttestationStatus },
}

pub struct Attester {
    config: AttestationConfig,
    account: AccountId,
    report_data: ReportData,
}

impl Attester {
    pub fn new(config: AttestationConfig, account: AccountId, report_data: ReportData) -> Self {
        Self { config, account, report_data }
    }

    /// Whether `view`, read at `now`, calls for a new attestation.
    pub fn due(&self, view: &BackupAttestationView, now: u64) -> bool {
        match view.status {
            AttestationStatus::NotRequired | AttestationStatus::NoBackupService => false,
            AttestationStatus::Valid { expires_at } => {
                expires_at.saturating_sub(now) <= self.config.renew_margin.as_secs()
            }
            AttestationStatus::Missing | AttestationStatus::Expired { .. } | AttestationStatus::MeasurementsRetired => {
                true
            }
        }
    }

    /// Reads the status and re-attests if it is due; updates the gauges.
    pub async fn renew_if_due(&self, client: &dyn ContractClient, metrics: &Metrics) -> Result<Renewal, ReattestError> {
        let view = client.backup_attestation(&self.account).await.map_err(ReattestError::View)?;
        metrics.attestation(&view.status);
        let now = (self.config.clock)();
        if !self.due(&view, now) {
            return Ok(match view.status {
                AttestationStatus::Valid { expires_at } => Renewal::Valid { expires_at },
                _ => Renewal::NotRequired,
            });
        }
        tracing::info!(status = ?view.status, source = %self.config.source.describe(), "re-attesting");
        let source = self.config.source.clone();
        let report_data = self.report_data;
        let attestation = tokio::task::spawn_blocking(move || source.attestation(&report_data))
            .await
            .map_err(|e| ReattestError::Task(e.to_string()))??;
        client.reattest_backup_service(&attestation).await.map_err(ReattestError::Refused)?;
        let after = client.backup_attestation(&self.account).await.map_err(ReattestError::View)?;
        metrics.attestation(&after.status);
        tracing::info!(status = ?after.status, "re-attested");
        Ok(Renewal::Renewed { status: after.status })
    }
}

/// Checks every `interval` until `cancel` fires (next to the service's own
/// loop, in `run` and the drill). A failure is counted (`attestation`) and
/// logged when it first appears or changes, then retried at the next check.
pub async fn keep_attested(
    attester: Attester,
    client: Arc<dyn ContractClient>,
    metrics: Arc<Metrics>,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut last_error = None;
    loop {
        match attester.renew_if_due(client.as_ref(), &metrics).await {
            Ok(_) => last_error = None,
            Err(e) => {
                metrics.error("attestation");
                let text = e.to_string();
                if last_error.as_ref() != Some(&text) {
                    tracing::warn!(error = %text, "cannot keep the attestation valid; retrying");
                }
                last_error = Some(text);
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
