//! `drill --hard`: the recovery in `Hard` launch mode with development
//! attestations. The contract is initialised with `allow_dev_attestation`;
//! participants vote the development image's measurements and the `Hard`
//! mode; each operator registers its backup service with a development
//! attestation, and the service keeps it valid (re-attesting before expiry)
//! through a quote tool the drill can take down. In the first round the lost
//! account's attestation expires while its tool is down: the new node and the
//! contract refuse the service until it re-attests.

use crate::network::{Network, POLL};
use crate::scenario::Operator;
use crate::timeline::Timeline;
use anyhow::{anyhow, ensure, Context, Result};
use backup_service::attest::{AttestError, DevQuote, QuoteSource, DEV_MEASUREMENTS};
use backup_service::reattest::{self, AttestationConfig, Attester};
use contract_client::{AttestationContract, ClientError, MpcContractApi};
use mpc_interface::attestation::ReportData;
use mpc_interface::errors::ErrorCode;
use mpc_interface::launch::{report_data_v1, Attestation, AttestationStatus, LaunchMode, DEV_ATTESTATION_TTL_SECONDS};
use mpc_interface::primitives::{DomainConfig, Keyset, ThresholdParameters};
use mpc_interface::recovery::{BackupServiceInfo, RecoveryStatus};
use mpc_interface::AccountId;
use node_hooks::{FileShareStore, ShareStore};
use share_transfer::contract::RegisteredBackupService;
use share_transfer::{AuthorityError, PeerAuthority};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The services re-attest when less than this is left (of a day's dev attestation).
const RENEW_MARGIN: Duration = Duration::from_secs(3600);

/// A TEE's quote tool that the drill can take down: development attestations
/// while it is up, a failing command while it is down.
#[derive(Default)]
pub struct QuoteTool {
    down: AtomicBool,
}

impl QuoteTool {
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl QuoteSource for QuoteTool {
    fn attestation(&self, report_data: &ReportData) -> Result<Attestation, AttestError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(AttestError::CommandFailed {
                command: "drill-quote-tool".into(),
                status: "exit status: 1".into(),
                stderr: "the drill took the quote tool down".into(),
            });
        }
        DevQuote.attestation(report_data)
    }
    fn describe(&self) -> String {
        "the drill's quote tool (development attestations)".to_owned()
    }
}

/// `init`, signed by the contract account; in Hard mode the contract
/// accepts development attestations.
pub(crate) async fn init<C: MpcContractApi + ?Sized>(
    deployer: &C,
    parameters: &ThresholdParameters,
    domains: &[DomainConfig],
    hard: bool,
) -> Result<()> {
    deployer.init(parameters, domains, None, hard).await?;
    Ok(())
}

/// Every node votes the development image's measurements, then the `Hard` mode.
async fn switch_to_hard(network: &Network, operators: &[(Operator, BackupServiceInfo)]) -> Result<()> {
    // Each node votes until the threshold is reached (a vote after it is refused).
    for (op, _) in operators {
        let node = network.client(&op.account, op.machine.access_key);
        if !node.allowed_measurements().await?.contains(&DEV_MEASUREMENTS) {
            node.vote_add_measurements(&DEV_MEASUREMENTS).await.with_context(|| format!("vote by {}", op.account))?;
        }
        if node.launch_mode().await? != LaunchMode::Hard {
            node.vote_launch_mode(LaunchMode::Hard).await.with_context(|| format!("vote by {}", op.account))?;
        }
    }
    let mode = network.client(&operators[0].0.account, operators[0].0.machine.access_key).launch_mode().await?;
    ensure!(mode == LaunchMode::Hard, "the threshold voted Hard, but the contract is in {mode:?}");
    Ok(())
}

/// The operators register their services: in Hard mode (after the votes)
/// with a development attestation, and each service then keeps it valid on its own.
pub(crate) async fn register_services(
    network: &Network,
    operators: &[(Operator, BackupServiceInfo)],
    hard: bool,
    timeline: &mut Timeline,
) -> Result<()> {
    if hard {
        timeline.phase("participants allow the dev image's measurements and vote the Hard launch mode");
        switch_to_hard(network, operators).await?;
    }
    timeline.phase("operators register their backup services (full-access key, 1 yoctoNEAR; Hard: attested)");
    for (op, info) in operators {
        let operator = network.client(&op.account, op.operator_key);
        let attestation = match hard {
            true => Some(DevQuote.attestation(&report_data_v1(&info.public_key, &info.signer_public_key))?),
            false => None,
        };
        let registered = operator.register_backup_service(info, attestation.as_ref()).await;
        registered.with_context(|| format!("register_backup_service of {}", op.account))?;
        if hard {
            keep_attested(network, op, info);
        }
    }
    Ok(())
}

/// Runs the service's attestation keeper, its clock the local chain's block time.
fn keep_attested(network: &Network, op: &Operator, info: &BackupServiceInfo) {
    let contract = network.contract.clone();
    let mut config = AttestationConfig::new(network.quote_tool(&op.account), RENEW_MARGIN);
    config.clock = Arc::new(move || contract.with_harness(|h| h.block_timestamp() / 1_000_000_000));
    let account: AccountId = op.account.parse().expect("a valid account");
    let attester = Attester::new(config, account, report_data_v1(&info.public_key, &info.signer_public_key));
    let client = network.client(&op.account, op.service_key);
    let keeper = reattest::keep_attested(attester, client, op.service.metrics(), POLL, op.service_cancel.clone());
    tokio::spawn(keeper);
}

/// When `now`: takes `account`'s quote tool down and moves the chain's clock past
/// every development attestation's expiry: the other services re-attest, this one cannot.
pub fn expire_attestation(network: &Network, now: bool, account: &str, timeline: &mut Timeline) {
    if !now {
        return;
    }
    timeline.phase(format!("{account}'s quote tool fails; every attestation expires (block time +1 day)"));
    network.quote_tool(account).set_down(true);
    let ttl_ns = (DEV_ATTESTATION_TTL_SECONDS + 1) * 1_000_000_000;
    network.contract.with_harness(|h| h.advance_time_ns(ttl_ns));
}

/// When `now`, with the recovery approved: the service whose attestation
/// expired gets nothing through (the new node refuses it, the contract refuses
/// its confirmation, nothing is delivered). Then its quote tool comes back.
pub(crate) async fn refused_while_expired(
    network: &Network,
    now: bool,
    op: &Operator,
    keyset: &Keyset,
    timeline: &mut Timeline,
) -> Result<()> {
    if !now {
        return Ok(());
    }
    timeline.phase("the expired service is refused by the new node and the contract; its tool comes back");
    let account: AccountId = op.account.parse()?;
    let observer = network.client(&op.account, op.machine.access_key);
    let status = observer.backup_attestation(&account).await?.status;
    ensure!(
        matches!(status, AttestationStatus::Expired { .. }),
        "the service's attestation should be expired: {status:?}"
    );
    tokio::time::sleep(POLL * 20).await;

    let node = RegisteredBackupService::new(network.client(&op.account, op.machine.access_key), account.clone());
    match node.expected_peer_key().await {
        Err(AuthorityError::NotAttested { .. }) => {}
        other => return Err(anyhow!("the new node should refuse the expired service, but sees {other:?}")),
    }
    let confirm = network.client(&op.account, op.service_key).confirm_recovery_delivery(keyset).await;
    match confirm {
        Err(ClientError::Contract { code: Some(ErrorCode::Unauthorized), .. }) => {}
        other => return Err(anyhow!("the contract should refuse the expired service's confirmation: {other:?}")),
    }
    let recovery = observer.recovery().await?.ok_or_else(|| anyhow!("the recovery vanished"))?;
    ensure!(recovery.status == RecoveryStatus::Approved, "nothing may be delivered: {:?}", recovery.status);
    ensure!(FileShareStore::in_home(&op.machine.home).load()?.is_none(), "the new machine got shares");

    network.quote_tool(&op.account).set_down(false);
    Ok(())
}
