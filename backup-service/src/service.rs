//! The service loop: poll the contract, back up a newer keyset, deliver to
//! an approved recovery of the operator's account, confirm on chain.

use crate::address::{self, AddressError};
use crate::failpoint::{DeliveryPoint, Hooks, Injected};
use crate::handoff::{Handoff, HandoffLog, ServiceDeliveryState};
use crate::keys::ServiceKeys;
use crate::metrics::Metrics;
use crate::storage::{Storage, StorageError};
use crate::transfer::{ShareTransferError, Transfers, Transport};
use contract_client::{with_backoff, Backoff, ClientError, ContractClient, MpcContractApi};
use mpc_interface::methods::CONFIRM_RECOVERY_DELIVERY;
use mpc_interface::primitives::EpochId;
use mpc_interface::recovery::{RecoveryStateView, RecoveryStatus, Session};
use mpc_interface::state::{ProtocolStateView, RunningView};
use mpc_interface::AccountId;
use share_transfer::mtls::MtlsConfig;
use share_transfer::web::WebConfig;
use share_transfer::{Expected, PayloadError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The subdirectory of `--home` that holds the sealed backups.
pub const BACKUPS_DIR: &str = "backups";

pub fn backups_dir(home: &Path) -> PathBuf {
    home.join(BACKUPS_DIR)
}

#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The service's home; backups go to `<home>/backups`.
    pub home: PathBuf,
    pub transport: Transport,
    /// `host:port` to fetch backups from, instead of the participant URL's.
    pub node_address: Option<String>,
    /// Time between polls of the contract while all is well.
    pub poll_interval: Duration,
    /// Waits after consecutive failed polls, and retries of the on-chain confirmation.
    pub backoff: Backoff,
    pub mtls: MtlsConfig,
    pub web: WebConfig,
    /// Faults injected into deliveries (the chaos drill); none in production.
    pub hooks: Hooks,
}

impl ServiceConfig {
    pub fn new(home: impl Into<PathBuf>, transport: Transport) -> Self {
        Self {
            home: home.into(),
            transport,
            node_address: None,
            poll_interval: Duration::from_secs(5),
            backoff: Backoff::default(),
            mtls: MtlsConfig::default(),
            web: WebConfig::default(),
            hooks: Hooks::default(),
        }
    }

    pub fn backups_dir(&self) -> PathBuf {
        backups_dir(&self.home)
    }
}

/// What one poll did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundOutcome {
    /// Fetched and stored the shares of a newer keyset.
    BackedUp { epoch: EpochId },
    /// The stored copy is of the contract's current keyset and opens.
    UpToDate { epoch: EpochId },
    /// Storage holds a newer keyset than the contract shows (a stale RPC node?).
    AheadOfContract { stored: EpochId, contract: EpochId },
    /// Delivered to the recovering node and confirmed on chain.
    Delivered { epoch: EpochId },
    /// The operator's recovery waits for the operator's approval: nothing moves.
    AwaitingApproval,
    /// The node does not serve the contract's keyset yet (it has not taken
    /// it up, or holds an older one): expected right after a change.
    NodeNotServingYet { epoch: EpochId },
    /// The approved new machine does not take shares yet (its endpoint is idle).
    NodeNotReceivingYet { epoch: EpochId },
    /// Web transport: the new node has not opened a (fresh) recovery session.
    AwaitingNodeSession { epoch: EpochId },
    /// The contract already records the delivery.
    AlreadyDelivered,
    /// Nothing to do in this state.
    Idle { reason: String },
}

impl RoundOutcome {
    /// Where the operator's recovery delivery stands after this poll (None
    /// outside it).
    pub fn delivery_state(&self) -> Option<ServiceDeliveryState> {
        match self {
            RoundOutcome::AwaitingApproval => Some(ServiceDeliveryState::Idle),
            RoundOutcome::AwaitingNodeSession { .. } => Some(ServiceDeliveryState::Delivering),
            RoundOutcome::Delivered { .. } | RoundOutcome::AlreadyDelivered => Some(ServiceDeliveryState::Confirmed),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("reading the contract: {0}")]
    Contract(ClientError),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("share transfer: {0}")]
    Transfer(#[from] ShareTransferError),
    #[error("node address: {0}")]
    Address(#[from] AddressError),
    #[error("the shares do not match the contract's keyset: {0}")]
    Payload(#[from] PayloadError),
    #[error(
        "recovery needs the shares of epoch {epoch}, but storage holds {}",
        held.map_or("none".to_owned(), |e| format!("epoch {e}"))
    )]
    NoCopy { epoch: EpochId, held: Option<EpochId> },
    #[error("delivered, but could not confirm on chain: {0}")]
    Confirm(ClientError),
    #[error("injected fault: {0}")]
    Injected(String),
}

impl ServiceError {
    /// A short label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Contract(e) if e.is_retryable() => "rpc",
            Self::Contract(ClientError::Decode { .. }) => "decode",
            Self::Contract(_) => "contract",
            Self::Storage(e) if e.is_corruption() => "storage_corrupt",
            Self::Storage(_) => "storage",
            Self::Transfer(_) => "transfer",
            Self::Address(_) => "address",
            Self::Payload(_) => "payload",
            Self::NoCopy { .. } => "no_copy",
            Self::Confirm(_) => "confirm",
            Self::Injected(_) => "injected",
        }
    }
}

pub struct BackupService {
    config: ServiceConfig,
    client: Arc<dyn ContractClient>,
    account: AccountId,
    storage: Storage,
    transfers: Transfers,
    metrics: Arc<Metrics>,
    /// Acknowledged deliveries, perhaps not yet confirmed: confirm, never re-send.
    handoffs: HandoffLog,
    /// The last web recovery session used: the contract and the node accept
    /// one attempt per session, so a failed one waits for a new session.
    used_session: Mutex<Option<Session>>,
}

impl BackupService {
    /// `client` signs as the operator's account with the service's registered
    /// access key; the account is the one whose node this service backs up.
    pub fn new(
        config: ServiceConfig,
        client: Arc<dyn ContractClient>,
        keys: ServiceKeys,
    ) -> Result<Self, ServiceError> {
        let account = client.signer().account_id.clone();
        let storage = Storage::open(&config.backups_dir(), &keys.storage_key)?;
        let metrics = Arc::new(Metrics::default());
        if let Some(epoch) = storage.latest_epoch()? {
            metrics.set_stored_epoch(epoch);
        }
        let transfers = Transfers {
            transport: config.transport,
            identity: keys.identity,
            client: client.clone(),
            account: account.clone(),
            mtls: config.mtls.clone(),
            web: config.web.clone(),
        };
        Ok(Self {
            handoffs: HandoffLog::in_home(&config.home),
            config,
            client,
            account,
            storage,
            transfers,
            metrics,
            used_session: Mutex::new(None),
        })
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// Polls until `cancel` fires. Failures are counted, logged and retried
    /// with backoff; nothing but `cancel` stops the loop.
    pub async fn run(&self, cancel: CancellationToken) {
        tracing::info!(account = %self.account, transport = %self.config.transport, "backup service running");
        let mut failures = 0u32;
        let mut last: Option<RoundOutcome> = None;
        loop {
            let wait = tokio::select! {
                _ = cancel.cancelled() => break,
                result = self.run_once() => match result {
                    Ok(outcome) => {
                        failures = 0;
                        self.metrics.poll_succeeded();
                        if last.as_ref() != Some(&outcome) {
                            tracing::info!(?outcome, "poll");
                        }
                        last = Some(outcome);
                        self.config.poll_interval
                    }
                    Err(e) => {
                        let wait = self.config.backoff.delay(failures);
                        failures = failures.saturating_add(1);
                        last = None;
                        self.metrics.error(e.kind());
                        tracing::warn!(
                            error = %e,
                            kind = e.kind(),
                            consecutive_failures = failures,
                            retry_in_ms = wait.as_millis() as u64,
                            "poll failed; retrying with backoff"
                        );
                        wait
                    }
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(account = %self.account, "backup service stopped");
    }

    /// One poll: reads the contract and does what it calls for.
    pub async fn run_once(&self) -> Result<RoundOutcome, ServiceError> {
        self.metrics.polled();
        let state = self.client.state().await.map_err(ServiceError::Contract)?;
        let ours = matches!(&state, ProtocolStateView::Recovery(r) if r.recovery.account_id == self.account);
        if !ours {
            self.handoffs.clear().map_err(StorageError::from)?;
        }
        match &state {
            ProtocolStateView::Running(running) => self.back_up(running).await,
            ProtocolStateView::Recovery(r) if r.recovery.account_id == self.account => self.recover(r).await,
            // Another participant is recovering; the keyset is unchanged meanwhile.
            ProtocolStateView::Recovery(r) => self.back_up(&r.previous).await,
            other => Ok(RoundOutcome::Idle { reason: format!("the contract is {}", other.name()) }),
        }
    }

    /// What the account's shares must match: the keyset and the account's
    /// verifying shares of it, read from the contract now.
    async fn expected(&self, running: &RunningView) -> Result<Expected, ServiceError> {
        let verifying = self.client.verifying_shares(&self.account).await.map_err(ServiceError::Contract)?;
        if verifying.is_none() {
            tracing::debug!(epoch = %running.keyset.epoch_id, "the contract records no verifying shares of this keyset (agreed before the upgrade); shares are checked against the public keys only until the next resharing");
        }
        Ok(Expected::new(running.keyset.clone(), verifying))
    }

    async fn back_up(&self, running: &RunningView) -> Result<RoundOutcome, ServiceError> {
        let expected = self.expected(running).await?;
        let epoch = expected.keyset.epoch_id;
        match self.storage.latest_epoch()? {
            Some(stored) if stored > epoch => {
                self.metrics.compared(epoch, false);
                return Ok(RoundOutcome::AheadOfContract { stored, contract: epoch });
            }
            Some(stored) if stored == epoch => match self.storage.load(epoch) {
                Ok(copy) if copy.check_against(&expected).is_ok() => {
                    self.metrics.compared(epoch, true);
                    return Ok(RoundOutcome::UpToDate { epoch });
                }
                Ok(copy) => {
                    let reason = copy.check_against(&expected).unwrap_err();
                    self.metrics.error("payload");
                    tracing::error!(%epoch, %reason, "the stored copy does not match the keyset; fetching it again");
                }
                Err(e) if e.is_corruption() => {
                    self.metrics.error("storage_corrupt");
                    tracing::error!(%epoch, error = %e, "the stored copy is unusable; fetching it again");
                }
                Err(e) => return Err(e.into()),
            },
            _ => {}
        }
        self.metrics.compared(epoch, false);
        let Some(participant) = running.parameters.participant(&self.account) else {
            return Ok(RoundOutcome::Idle { reason: format!("{} is not a participant", self.account) });
        };
        if self.client.backup_service(&self.account).await.map_err(ServiceError::Contract)?.is_none() {
            return Ok(RoundOutcome::Idle {
                reason: format!("{}'s backup service is not registered yet", self.account),
            });
        }
        let node = match &self.config.node_address {
            Some(host_port) => address::resolve(host_port).await?,
            None => address::node_socket(&participant.info.url).await?,
        };
        tracing::info!(%epoch, %node, transport = %self.config.transport, "fetching a backup of the new keyset");
        let payload = match self.transfers.fetch_backup(node, &expected).await {
            Err(e) if e.is_not_serving_yet(epoch) => {
                tracing::debug!(%epoch, reason = %e, "the node does not serve this keyset yet");
                return Ok(RoundOutcome::NodeNotServingYet { epoch });
            }
            other => other?,
        };
        payload.check_against(&expected)?;
        let path = self.storage.store(&payload)?;
        self.metrics.backed_up(epoch);
        self.metrics.compared(epoch, true);
        tracing::info!(%epoch, domains = ?payload.domain_ids(), file = %path.display(), "backup stored");
        Ok(RoundOutcome::BackedUp { epoch })
    }

    async fn recover(&self, state: &RecoveryStateView) -> Result<RoundOutcome, ServiceError> {
        let recovery = &state.recovery;
        match recovery.status {
            RecoveryStatus::PendingApproval => {
                tracing::debug!(account = %self.account, "recovery pending the operator's approval: nothing is sent");
                return Ok(RoundOutcome::AwaitingApproval);
            }
            RecoveryStatus::Delivered => return Ok(RoundOutcome::AlreadyDelivered),
            RecoveryStatus::Approved => {}
        }
        let expected = self.expected(&state.previous).await?;
        let keyset = &expected.keyset;
        let epoch = keyset.epoch_id;
        let target = Handoff { epoch_id: epoch, new_tls_key: recovery.new_info.tls_public_key };
        if self.handoffs.last() == Some(target) {
            tracing::info!(%epoch, "the new machine already acknowledged the shares; confirming only");
        } else {
            let payload = self.storage.load(epoch).map_err(|e| match e {
                StorageError::NotFound { .. } => {
                    ServiceError::NoCopy { epoch, held: self.storage.latest_epoch().ok().flatten() }
                }
                other => other.into(),
            })?;
            payload.check_against(&expected)?;
            let session = match self.config.transport {
                Transport::Mtls => None,
                Transport::Web => match self.transfers.open_recovery_session(epoch).await? {
                    Some(session) if *self.used_session.lock().expect("lock") != Some(session) => Some(session),
                    _ => return Ok(RoundOutcome::AwaitingNodeSession { epoch }),
                },
            };
            let node = address::node_socket(&recovery.new_info.url).await?;
            tracing::info!(%epoch, %node, new_tls_key = %target.new_tls_key, "delivering the shares to the new machine");
            *self.used_session.lock().expect("lock") = session;
            match self.config.hooks.at(DeliveryPoint::BeforeSending) {
                Injected::Fail(why) => return Err(ServiceError::Injected(why)),
                Injected::Twice => {
                    let first = self.transfers.deliver_recovery(node, &payload, session).await;
                    tracing::warn!(?first, "injected fault: the shares are sent twice");
                }
                Injected::Proceed => {}
            }
            let receipt = match self.transfers.deliver_recovery(node, &payload, session).await {
                Err(e) if e.is_idle_node() => {
                    tracing::debug!(%epoch, reason = %e, "the new machine does not take shares yet");
                    return Ok(RoundOutcome::NodeNotReceivingYet { epoch });
                }
                other => other?,
            };
            self.metrics.delivered();
            if let Injected::Fail(why) = self.config.hooks.at(DeliveryPoint::AfterAcknowledgement) {
                return Err(ServiceError::Injected(why));
            }
            self.handoffs.record(target).map_err(StorageError::from)?;
            tracing::info!(
                state = ServiceDeliveryState::AwaitingConfirmation.name(),
                "delivery acknowledged and recorded"
            );
            tracing::info!(epoch = %receipt.epoch_id, domains = receipt.domains, "the new machine acknowledged the shares");
        }
        with_backoff(CONFIRM_RECOVERY_DELIVERY, self.config.backoff, || self.client.confirm_recovery_delivery(keyset))
            .await
            .map_err(ServiceError::Confirm)?;
        tracing::info!(%epoch, account = %self.account, "delivery confirmed on chain");
        Ok(RoundOutcome::Delivered { epoch })
    }
}
