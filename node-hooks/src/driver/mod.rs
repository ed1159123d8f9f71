//! The loop around [`decide`]: poll the contract, decide, act. Acting is
//! submitting a transaction (with retries for transport failures only; a
//! refusal on chain is logged as a failure and never as success), pointing the
//! share-transfer endpoint at the right job, or shutting down.

use crate::alarm::{Alarm, NodeMetrics};
use crate::decide::{
    current_keyset, decide, local_shares, serves_backups, wrong_shares, Decision, LocalShares, NodeDeliveryState,
    NodeIdentity, Seat,
};
use crate::store::ShareStore;
use crate::transfer::{EndpointParts, Mode, TransferEndpoint, TransferEvent};
use contract_client::{with_backoff, ClientError, ContractClient, MpcContract};
use mpc_interface::methods::{self, Role};
use mpc_interface::primitives::ParticipantInfo;
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use serde_json::{json, Value};
use share_transfer::Expected;
use share_transfer::{Identity, SharesPayload};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

mod config;

pub use config::{DriverConfig, DriverError, DriverStatus, Exit};

pub struct Driver {
    client: Arc<dyn ContractClient>,
    store: Arc<dyn ShareStore>,
    identity: Arc<Identity>,
    me: NodeIdentity,
    config: DriverConfig,
    status: watch::Sender<DriverStatus>,
    metrics: Arc<NodeMetrics>,
}

/// What the loop remembers between polls.
#[derive(Default)]
struct Memory {
    held: Option<SharesPayload>,
    /// What the shares must match, as last read from the contract.
    expected: Option<Expected>,
    last_decision: Option<Decision>,
    /// Refresh is a no-op on chain: once per run is enough.
    refreshed: bool,
    /// A recovery this machine entered; if it ends without concluding (the
    /// operator cancelled it), it is not entered again without a restart.
    entered_recovery: bool,
    warned_no_reentry: bool,
    last_refusal: Option<(&'static str, Instant)>,
    alarm: Alarm,
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
        let metrics = Arc::new(NodeMetrics::default());
        Self { client, store, identity: Arc::new(identity), me, config, status, metrics }
    }

    pub fn metrics(&self) -> Arc<NodeMetrics> {
        self.metrics.clone()
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
            session_renewal: self.config.session_renewal,
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
        let views = tokio::try_join!(self.candidacy(&state), self.expected(&state)).inspect_err(|e| {
            tracing::warn!(error = %e, "cannot read the candidates or verifying shares; will retry at the next poll")
        });
        let Ok((candidacy, expected)) = views else { return Ok(None) };
        wrong_shares(memory.held.as_ref(), expected.as_ref()).map_err(DriverError::WrongShare)?;
        memory.expected = expected;
        #[cfg(feature = "test-doubles")]
        self.stand_in_if_enabled(&state, memory).await?;
        let local = local_shares(memory.held.as_ref(), memory.expected.as_ref());
        let decision = decide(&self.me, &state, candidacy.as_ref(), local);
        if memory.last_decision != Some(decision) {
            tracing::info!(state = state.name(), %decision, why = decision.describe(), "decision");
        }
        endpoint.apply(self.mode(decision, &state, local, memory)).await;
        self.track_participants(decision, &state, memory).await;
        let exit = self.act(decision, &state, memory).await;
        memory.last_decision = Some(decision);
        let concluded = decision == Decision::Refresh
            && matches!(
                self.status.borrow().delivery_state,
                Some(NodeDeliveryState::Concluding | NodeDeliveryState::Concluded)
            );
        self.status.send_modify(|s| {
            s.decision = Some(decision);
            s.delivery_state = decision.delivery_state().or(concluded.then_some(NodeDeliveryState::Concluded));
            s.recovery_alarm = decision == Decision::AlarmRecoveryPending;
        });
        Ok(exit)
    }

    /// What this node's shares must match now: the keyset in force and the account's verifying shares.
    async fn expected(&self, state: &ProtocolStateView) -> Result<Option<Expected>, ClientError> {
        let Some(keyset) = current_keyset(state) else { return Ok(None) };
        let read = || self.client.verifying_shares(&self.me.account_id);
        Ok(Some(Expected::new(keyset.clone(), with_backoff("verifying_shares", self.config.backoff, read).await?)))
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
        match (decision, &memory.expected, &memory.held) {
            // Until the delivery is confirmed a redelivery is accepted: the
            // backup service may not have seen the acknowledgement.
            (Decision::AwaitShares { approved: true } | Decision::AwaitDeliveryConfirmation, Some(expected), _) => {
                Mode::ReceiveRecovery(expected.clone())
            }
            (_, _, Some(held)) if serves_backups(&self.me, state, local) => {
                Mode::ServeBackups { epoch_id: held.epoch_id }
            }
            _ => Mode::Idle,
        }
    }

    async fn act(&self, decision: Decision, state: &ProtocolStateView, memory: &mut Memory) -> Option<Exit> {
        let info = json!({ "info": self.me.info });
        match (decision, state) {
            (Decision::AlarmRecoveryPending, ProtocolStateView::Recovery(r)) => {
                memory.alarm.raise(&self.metrics, self.me.account_id.as_str(), &r.recovery.new_info)
            }
            _ => memory.alarm.clear(&self.metrics),
        }
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
                self.destroy_shares(memory).await;
                return Some(Exit::ShutDown(cause));
            }
            Decision::Refresh
            | Decision::WaitForInitialization
            | Decision::AwaitResharing
            | Decision::ParticipateInKeygen
            | Decision::ParticipateInResharing
            | Decision::AwaitShares { .. }
            | Decision::AwaitDeliveryConfirmation
            | Decision::AlarmRecoveryPending
            | Decision::WaitForRunning(_) => {}
        }
        None
    }

    /// A decommissioned machine keeps no copy of the shares: the file is
    /// overwritten and removed before it stops. A failure is logged (the
    /// machine still stops: its seat is gone either way).
    async fn destroy_shares(&self, memory: &mut Memory) {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || store.destroy()).await {
            Ok(Ok(())) => memory.held = None,
            Ok(Err(e)) => tracing::error!(error = %e, "could not destroy the share file: remove it by hand"),
            Err(e) => tracing::error!(error = %e, "the task destroying the share file failed: remove it by hand"),
        }
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

    /// Drills and tests only (the `test-doubles` feature): random shares for
    /// the running keyset when this participant has none.
    #[cfg(feature = "test-doubles")]
    async fn stand_in_if_enabled(&self, state: &ProtocolStateView, memory: &mut Memory) -> Result<(), DriverError> {
        if !self.config.stand_in_shares {
            return Ok(());
        }
        let ProtocolStateView::Running(running) = state else { return Ok(()) };
        if Seat::of(&self.me, &running.parameters) != Seat::ThisMachine
            || local_shares(memory.held.as_ref(), memory.expected.as_ref()) == LocalShares::MatchingKeyset
        {
            return Ok(());
        }
        let shares = share_transfer::test_doubles::shares_for(&running.keyset);
        let expected = memory.expected.clone().unwrap_or_else(|| running.keyset.clone().into());
        let (store, copy) = (self.store.clone(), shares.clone());
        tokio::task::spawn_blocking(move || store.import(&copy, &expected))
            .await
            .map_err(|e| DriverError::Task(e.to_string()))??;
        tracing::warn!(epoch = %shares.epoch_id, "made random STAND-IN shares for the running keyset (drill mode; a real node gets them from key generation)");
        memory.held = Some(shares);
        self.status.send_modify(|s| s.shares_epoch = memory.held.as_ref().map(|h| h.epoch_id));
        Ok(())
    }
}
