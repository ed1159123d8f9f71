//! What the driver is configured with, what it reports, and how it ends.

use crate::decide::{Decision, NodeDeliveryState, ShutDownCause};
use crate::store::StoreError;
use crate::transfer::{EndpointStartError, Transport};
use contract_client::Backoff;
use mpc_interface::primitives::{EpochId, ThresholdParameters};
use share_transfer::mtls::MtlsConfig;
use share_transfer::web::WebConfig;
use std::time::Duration;

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
    /// random stand-in shares (`share_transfer::test_doubles::shares_for`).
    #[cfg(feature = "test-doubles")]
    pub stand_in_shares: bool,
    /// Web: a recovery session nobody used for this long is replaced.
    pub session_renewal: Duration,
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
            #[cfg(feature = "test-doubles")]
            stand_in_shares: false,
            session_renewal: Duration::from_secs(30),
            mtls: MtlsConfig::default(),
            web: WebConfig::default(),
        }
    }
}

/// What the driver last saw and did; for tests, health checks and the agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriverStatus {
    pub decision: Option<Decision>,
    /// Where this machine's own recovery stands, if it is recovering.
    pub delivery_state: Option<NodeDeliveryState>,
    /// A recovery of this account onto another machine waits for approval.
    pub recovery_alarm: bool,
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
    EndpointStart(#[from] EndpointStartError),
    #[error("a share-store task failed: {0}")]
    Task(String),
    #[error("this node's own shares do not match the contract ({0}); refusing to take part with them")]
    WrongShare(#[source] share_transfer::PayloadError),
}
