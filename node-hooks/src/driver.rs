//! The loop around [`decide`]: poll the contract, decide, act. Acting is
//! submitting a transaction (with retries for transport failures only; a
//! refusal on chain is logged as a failure and never as success), pointing the
//! share-transfer endpoint at the right job, or shutting down.

use crate::decide::{
    current_keyset, decide, local_shares, serves_backups, Decision, LocalShares, NodeIdentity, Seat, ShutDownCause,
};
use crate::stand_in;
use crate::store::{ShareStore, StoreError};
use crate::transfer::{EndpointParts, Mode, TransferEndpoint, TransferError, TransferEvent, Transport};
use contract_client::{with_backoff, Backoff, ClientError, ContractClient, MpcContract};
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::{EpochId, ParticipantInfo, ThresholdParameters};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use serde_json::{json, Value};
use share_transfer::mtls::MtlsConfig;
use share_transfer::web::WebConfig;
use share_transfer::{Identity, SharesPayload};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct DriverConfig {
    pub transport: Transport,
    /// How often the contract is read.
    pub poll_interval: Duration,
    /// Retries of a view or transaction that failed in transport.
    pub backoff: Backoff,
    /// After the contract refuses a transaction, how long before the same
    /// method is sent again (the next decision may make it moot).
    pub refusal_cooldown: Duration,
    /// Drills only: a participant without shares of the running keyset makes
    /// random stand-in shares (see [`crate::stand_in`]).
    pub stand_in_shares: bool,
    pub mtls: MtlsConfig,
    pub web: WebConfig,
}

impl DriverConfig {
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            poll_interval: Duration::from_secs(2),
            backoff: Backoff::default(),
            refusal_cooldown: Duration::from_secs(30),
            stand_in_shares: false,
            mtls: MtlsConfig::default(),
            web: WebConfig::default(),
        }
    }
}

/// What the driver last saw and did; for tests, health checks and the agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriverStatus {
    pub decision: Option<Decision>,
    /// Epoch of the shares held, if any.
    pub shares_epoch: Option<EpochId>,
    /// The participant set the node connects to (re-read after changes).
    pub participants: Option<ThresholdParameters>,
    /// How many times participant details changed and the node reconnected.
    pub reconnects: u64,
    pub backups_served: u64,
    pub last_transfer_error: Option<String>,
    /// Transactions that succeeded on chain, by method, in order.
    pub transactions: Vec<&'static str>,
}

/// How [`Driver::run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The cancellation token fired.
    Cancelled,
    /// The contract says this machine must stop.
    ShutDown(ShutDownCause),
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("share store: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error("a share-store task failed: {0}")]
    Task(String),
}

pub struct Driver {
    client: Arc<dyn ContractClient>,
    store: Arc<dyn ShareStore>,
    identity: Arc<Identity>,
    me: NodeIdentity,
    config: DriverConfig,
    status: watch::Sender<DriverStatus>,
}

/// What the loop remembers between polls.
#[derive(Default)]
struct Memory {
    held: Option<SharesPayload>,
    last_decision: Option<Decision>,
    /// Refresh is a no-op on chain: once per run is enough.
    refreshed: bool,
    /// A recovery this machine entered; if it ends without concluding (the
    /// operator cancelled it), it is not entered again without a restart.
    entered_recovery: bool,
    warned_no_reentry: bool,
    last_refusal: Option<(&'static str, Instant)>,
}

impl Driver {
    /// A driver for the account `client` signs as, publishing `url` and the
    /// TLS key of `identity`.
    pub fn new(
        client: Arc<dyn ContractClient>,
        store: Arc<dyn ShareStore>,
        identity: Identity,
        url: String,
        config: DriverConfig,
    ) -> Self {
        let me = NodeIdentity {
            account_id: client.signer().account_id.clone(),
            info: ParticipantInfo { url, tls_public_key: identity.public_key() },
        };
        let (status, _) = watch::channel(DriverStatus::default());
        Self { client, store, identity: Arc::new(identity), me, config, status }
    }

    pub fn identity(&self) -> &NodeIdentity {
        &self.me
    }

    pub fn status(&self) -> watch::Receiver<DriverStatus> {
        self.status.subscribe()
    }

    /// Runs until `cancel` fires or the contract says to shut down. Serves
    /// share transfers on `listener` (the address in the published URL).
    pub async fn run(self, listener: TcpListener, cancel: CancellationToken) -> Result<Exit, DriverError> {
        let account: &AccountId = &self.me.account_id;
        tracing::info!(%account, tls_key = %self.me.tls_public_key(), url = %self.me.info.url, transport = %self.config.transport, "node driver starting");
        let mut memory = Memory { held: self.load_shares().await?, ..Memory::default() };
        let (events, mut event_rx) = mpsc::unbounded_channel();
        let endpoint_cancel = cancel.child_token();
        let parts = EndpointParts {
            transport: self.config.transport,
            identity: self.identity.clone(),
            client: self.client.clone(),
            store: self.store.clone(),
            mtls: self.config.mtls.clone(),
            web: self.config.web.clone(),
        };
        let (mut endpoint, endpoint_task) = TransferEndpoint::start(parts, listener, events, endpoint_cancel.clone())?;
        let mut ticker = tokio::time::interval(self.config.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        let result = loop {
            tokio::select! {
                _ = cancel.cancelled() => break Ok(Exit::Cancelled),
                _ = ticker.tick() => {}
                Some(event) = event_rx.recv() => {
                    // Act on a transfer at once rather than at the next tick.
                    if let Err(e) = self.on_event(event, &mut memory).await {
                        break Err(e);
                    }
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break Ok(Exit::Cancelled),
                outcome = self.tick(&mut memory, &mut endpoint) => match outcome {
                    Ok(None) => {}
                    Ok(Some(exit)) => break Ok(exit),
                    Err(e) => break Err(e),
                },
            }
        };
        endpoint_cancel.cancel();
        let _ = endpoint_task.await;
        match &result {
            Ok(exit) => tracing::info!(?exit, "node driver stopped"),
            Err(e) => tracing::error!(error = %e, "node driver failed"),
        }
        result
    }

    async fn load_shares(&self) -> Result<Option<SharesPayload>, DriverError> {
        let store = self.store.clone();
        let held =
            tokio::task::spawn_blocking(move || store.load()).await.map_err(|e| DriverError::Task(e.to_string()))??;
        self.status.send_modify(|s| s.shares_epoch = held.as_ref().map(|h| h.epoch_id));
        Ok(held)
    }

    async fn on_event(&self, event: TransferEvent, memory: &mut Memory) -> Result<(), DriverError> {
        match event {
            TransferEvent::SharesImported { .. } => memory.held = self.load_shares().await?,
            TransferEvent::BackupServed { .. } => self.status.send_modify(|s| s.backups_served += 1),
            TransferEvent::Failed { what, error } => {
                self.status.send_modify(|s| s.last_transfer_error = Some(format!("{what}: {error}")))
            }
        }
        Ok(())
    }

    /// One poll: read, decide, act.
    async fn tick(&self, memory: &mut Memory, endpoint: &mut TransferEndpoint) -> Result<Option<Exit>, DriverError> {
        let backoff = self.config.backoff;
        let state = match with_backoff("state", backoff, || self.client.state()).await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the contract state; will retry at the next poll");
                return Ok(None);
            }
        };
        let candidacy = match self.candidacy(&state).await {
            Ok(candidacy) => candidacy,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the candidates; will retry at the next poll");
                return Ok(None);
            }
        };
        self.stand_in_if_enabled(&state, memory).await?;
        let local = local_shares(memory.held.as_ref(), &state);
        let decision = decide(&self.me, &state, candidacy.as_ref(), local);
        if memory.last_decision != Some(decision) {
            tracing::info!(state = state.name(), %decision, why = decision.describe(), "decision");
        }
        endpoint.apply(self.mode(decision, &state, local, memory)).await;
        self.track_participants(decision, &state, memory).await;
        let exit = self.act(decision, &state, memory).await;
        memory.last_decision = Some(decision);
        self.status.send_modify(|s| s.decision = Some(decision));
        Ok(exit)
    }

    /// This account's candidate record, read only when it can matter.
    async fn candidacy(&self, state: &ProtocolStateView) -> Result<Option<ParticipantInfo>, ClientError> {
        let participant = state.current_parameters().is_some_and(|p| Seat::of(&self.me, p) != Seat::Absent);
        if participant || matches!(state, ProtocolStateView::NotInitialized) {
            return Ok(None);
        }
        with_backoff("candidate", self.config.backoff, || self.client.candidate(&self.me.account_id)).await
    }

    fn mode(&self, decision: Decision, state: &ProtocolStateView, local: LocalShares, memory: &Memory) -> Mode {
        match (decision, current_keyset(state), &memory.held) {
            (Decision::AwaitShares { approved: true }, Some(keyset), _) => Mode::ReceiveRecovery(keyset.clone()),
            (_, _, Some(held)) if serves_backups(&self.me, state, local) => Mode::ServeBackups(held.clone()),
            _ => Mode::Idle,
        }
    }

    async fn act(&self, decision: Decision, state: &ProtocolStateView, memory: &mut Memory) -> Option<Exit> {
        let info = json!({ "info": self.me.info });
        match decision {
            Decision::SubmitCandidateInfo => {
                self.submit(methods::SUBMIT_PARTICIPANT_INFO, info, memory).await;
            }
            Decision::Refresh if !memory.refreshed => {
                memory.refreshed = self.submit(methods::SUBMIT_PARTICIPANT_INFO, info, memory).await;
            }
            Decision::EnterRecovery if memory.entered_recovery => {
                if !memory.warned_no_reentry {
                    tracing::error!("the recovery this machine entered ended without concluding (cancelled?); not entering another automatically: restart the agent to try again");
                    memory.warned_no_reentry = true;
                }
            }
            Decision::EnterRecovery => {
                // This node's own key acts for the new machine (named explicitly; the contract takes it either way).
                let args = json!({ "info": self.me.info, "node_public_key": self.client.signer().public_key });
                memory.entered_recovery = self.submit(methods::SUBMIT_PARTICIPANT_RECOVERY_INFO, args, memory).await;
            }
            Decision::ConcludeRecovery => {
                let keyset = current_keyset(state).expect("Recovery has a keyset");
                if self.submit(methods::CONCLUDE_RECOVERY, json!({ "keyset": keyset }), memory).await {
                    tracing::info!(epoch = %keyset.epoch_id, "recovery concluded: this machine now holds the account's seat");
                }
            }
            Decision::ShutDown(cause) => {
                // Expected: the account recovered onto another machine (exit 3 in node-agent).
                tracing::info!(?cause, why = decision.describe(), "shutting down");
                return Some(Exit::ShutDown(cause));
            }
            Decision::Refresh
            | Decision::WaitForInitialization
            | Decision::AwaitResharing
            | Decision::ParticipateInKeygen
            | Decision::ParticipateInResharing
            | Decision::AwaitShares { .. }
            | Decision::AwaitDeliveryConfirmation
            | Decision::WaitForRunning(_) => {}
        }
        None
    }

    /// Submits a node transaction; true only if it succeeded on chain.
    async fn submit(&self, method: &'static str, args: Value, memory: &mut Memory) -> bool {
        if let Some((refused, at)) = memory.last_refusal {
            if refused == method && at.elapsed() < self.config.refusal_cooldown {
                return false;
            }
        }
        let outcome =
            with_backoff(method, self.config.backoff, || self.client.call_as(Role::Node, method, args.clone())).await;
        match outcome {
            Ok(outcome) => {
                tracing::info!(method, transaction = ?outcome.transaction, gas_burnt = outcome.gas_burnt, "transaction succeeded");
                self.status.send_modify(|s| s.transactions.push(method));
                memory.last_refusal = None;
                true
            }
            Err(e @ ClientError::Contract { .. }) => {
                tracing::error!(method, error = %e, "the contract refused the transaction");
                memory.last_refusal = Some((method, Instant::now()));
                false
            }
            Err(e) => {
                tracing::warn!(method, error = %e, "transaction outcome unknown; will read the contract and decide again");
                false
            }
        }
    }

    /// While participating in `Running`, re-reads the participants after the
    /// network comes back from a wait (another account's recovery may have
    /// changed its TLS key or URL) or whenever the set changes, and reconnects.
    async fn track_participants(&self, decision: Decision, state: &ProtocolStateView, memory: &Memory) {
        let ProtocolStateView::Running(running) = state else { return };
        if decision != Decision::Refresh {
            return;
        }
        let came_back = matches!(memory.last_decision, Some(Decision::WaitForRunning(_)));
        let known = self.status.borrow().participants.clone();
        if !came_back && known.as_ref() == Some(&running.parameters) {
            return;
        }
        let fresh = match with_backoff("participants", self.config.backoff, || self.client.participants()).await {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-read the participants; using those of the state view");
                running.parameters.clone()
            }
        };
        let peers: Vec<String> = fresh
            .participants
            .iter()
            .filter(|p| p.account_id != self.me.account_id)
            .map(|p| format!("{}@{}", p.account_id, p.info.url))
            .collect();
        if known.is_some() {
            tracing::info!(?peers, "participant details may have changed: reconnecting to peers");
        } else {
            tracing::info!(?peers, "connecting to peers");
        }
        self.status.send_modify(|s| {
            if known.is_some() {
                s.reconnects += 1;
            }
            s.participants = Some(fresh);
        });
    }

    async fn stand_in_if_enabled(&self, state: &ProtocolStateView, memory: &mut Memory) -> Result<(), DriverError> {
        if !self.config.stand_in_shares {
            return Ok(());
        }
        let ProtocolStateView::Running(running) = state else { return Ok(()) };
        if Seat::of(&self.me, &running.parameters) != Seat::ThisMachine
            || local_shares(memory.held.as_ref(), state) == LocalShares::MatchingKeyset
        {
            return Ok(());
        }
        let shares = stand_in::shares_for(&running.keyset);
        let (store, keyset, copy) = (self.store.clone(), running.keyset.clone(), shares.clone());
        tokio::task::spawn_blocking(move || store.import(&copy, &keyset))
            .await
            .map_err(|e| DriverError::Task(e.to_string()))??;
        tracing::warn!(epoch = %shares.epoch_id, "made random STAND-IN shares for the running keyset (drill mode; a real node gets them from key generation)");
        memory.held = Some(shares);
        self.status.send_modify(|s| s.shares_epoch = memory.held.as_ref().map(|h| h.epoch_id));
        Ok(())
    }
}
