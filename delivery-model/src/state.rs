//! The model's state: the recovering node, the backup service, the contract,
//! the network, the fault budget, and ghost variables the properties read.
//!
//! Phase names are the real code's (`node-hooks` and `backup-service`), and
//! the contract's status is the real [`RecoveryStatus`].

use mpc_interface::recovery::RecoveryStatus;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The node's phases, in the order a recovery goes through them.
pub const NODE_PHASES: &[&str] = &["AwaitingDelivery", "Importing", "AwaitingConfirmation", "Concluding", "Concluded"];
/// The backup service's phases, in the order a recovery goes through them.
pub const SERVICE_PHASES: &[&str] = &["Idle", "Delivering", "AwaitingConfirmation", "Confirmed"];

/// The recovering node's phase (volatile: a restart recomputes it from the
/// share file and the contract).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum NodePhase {
    /// Waiting for the backup service's shares.
    AwaitingDelivery,
    /// Writing a delivered keyset's shares to disk (file and directory fsync).
    Importing,
    /// Holds the shares (and acknowledged them); waits for the contract to show `Delivered`.
    AwaitingConfirmation,
    /// Sending `conclude_recovery`.
    Concluding,
    /// The contract is `Running` with this machine.
    Concluded,
}

impl NodePhase {
    pub const ALL: [NodePhase; 5] = [
        NodePhase::AwaitingDelivery,
        NodePhase::Importing,
        NodePhase::AwaitingConfirmation,
        NodePhase::Concluding,
        NodePhase::Concluded,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NodePhase::AwaitingDelivery => "AwaitingDelivery",
            NodePhase::Importing => "Importing",
            NodePhase::AwaitingConfirmation => "AwaitingConfirmation",
            NodePhase::Concluding => "Concluding",
            NodePhase::Concluded => "Concluded",
        }
    }
}

/// The backup service's phase for the open recovery (volatile).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ServicePhase {
    /// Nothing to deliver (no approved recovery, or it ended).
    Idle,
    /// Sending the shares to the recovery's machine until it acknowledges.
    Delivering,
    /// Acknowledged: sending `confirm_recovery_delivery`.
    AwaitingConfirmation,
    /// The contract shows `Delivered`.
    Confirmed,
}

impl ServicePhase {
    pub const ALL: [ServicePhase; 4] =
        [ServicePhase::Idle, ServicePhase::Delivering, ServicePhase::AwaitingConfirmation, ServicePhase::Confirmed];

    pub fn name(self) -> &'static str {
        match self {
            ServicePhase::Idle => "Idle",
            ServicePhase::Delivering => "Delivering",
            ServicePhase::AwaitingConfirmation => "AwaitingConfirmation",
            ServicePhase::Confirmed => "Confirmed",
        }
    }
}

/// A machine, named by its TLS key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Machine {
    /// The operator's new machine: the one the operator approves.
    New,
    /// A machine whose key an attacker put in a recovery with a leaked node key.
    Attacker,
}

impl Machine {
    pub(crate) fn bit(self) -> u8 {
        match self {
            Machine::New => 1,
            Machine::Attacker => 2,
        }
    }
}

/// A keyset's epoch. The contract's keyset is [`KEYSET`] for the whole run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Keyset(pub u8);

/// The keyset the recovery is opened with.
pub const KEYSET: Keyset = Keyset(1);
/// An older keyset: a stale copy or a replayed delivery may carry it.
pub const STALE_KEYSET: Keyset = Keyset(0);

/// [`RecoveryStatus`] as model state: the real enum does not derive `Hash`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Status(pub RecoveryStatus);

impl Hash for Status {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(&self.0).hash(state);
    }
}

/// What the contract shows.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Contract {
    /// `Recovery`, moving the participant to `tls_key`.
    Recovery { tls_key: Machine, status: Status, keyset: Keyset },
    /// `Running` again after `conclude_recovery`: the participant is on `tls_key`.
    Running { tls_key: Machine, keyset: Keyset },
    /// `Running` again after `cancel_recovery` of the recovery to `tls_key`: nothing moved.
    Cancelled { tls_key: Machine, keyset: Keyset },
}

impl Contract {
    pub fn keyset(&self) -> Keyset {
        match *self {
            Contract::Recovery { keyset, .. }
            | Contract::Running { keyset, .. }
            | Contract::Cancelled { keyset, .. } => keyset,
        }
    }

    /// The open recovery's machine and status, if a recovery is open.
    pub fn open(&self) -> Option<(Machine, RecoveryStatus)> {
        match *self {
            Contract::Recovery { tls_key, status, .. } => Some((tls_key, status.0)),
            _ => None,
        }
    }
}

/// The node's share file (durable: a crash keeps it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ShareFile {
    Absent,
    /// What a failed write left: never trusted, replaced by the next delivery.
    Damaged,
    /// Written and fsynced (file and directory).
    Durable(Keyset),
}

/// A message on the network.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Msg {
    /// The service hands a keyset's shares to a machine.
    Deliver { to: Machine, keyset: Keyset },
    /// A machine acknowledges a keyset's shares.
    Ack { from: Machine, keyset: Keyset },
}

/// Short, for counterexamples: `Deliver(New, keyset 1)`.
impl fmt::Debug for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::Deliver { to, keyset } => write!(f, "Deliver({to:?}, keyset {})", keyset.0),
            Msg::Ack { from, keyset } => write!(f, "Ack({from:?}, keyset {})", keyset.0),
        }
    }
}

/// One state of the whole system.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct State {
    pub node: NodePhase,
    /// The keyset the node is writing (volatile; only while `Importing`).
    pub importing: Option<Keyset>,
    pub share_file: ShareFile,
    pub service: ServicePhase,
    pub contract: Contract,
    /// Messages in flight, a sorted multiset.
    pub network: Vec<Msg>,
    /// Faults the environment may still inject.
    pub faults_left: u8,
    /// Ghost: bit set of machines any shares were ever sent to.
    pub shares_sent_to: u8,
    /// Ghost: the machine the operator approved, if any.
    pub approved: Option<Machine>,
    /// Ghost: the contract has shown `Delivered` at some point.
    pub confirmed: bool,
}

impl State {
    pub(crate) fn send(&mut self, msg: Msg) {
        let at = self.network.partition_point(|m| *m <= msg);
        self.network.insert(at, msg);
    }

    pub(crate) fn take(&mut self, msg: Msg) -> bool {
        match self.network.iter().position(|m| *m == msg) {
            Some(at) => {
                self.network.remove(at);
                true
            }
            None => false,
        }
    }

    pub fn in_flight(&self, msg: Msg) -> bool {
        self.network.contains(&msg)
    }

    /// The recovery ended: `Running` on the new machine with the node concluded, or cancelled.
    pub fn is_final(&self) -> bool {
        self.is_concluded() || matches!(self.contract, Contract::Cancelled { .. })
    }

    /// `Running` on the new machine and the node knows it.
    pub fn is_concluded(&self) -> bool {
        matches!(self.contract, Contract::Running { tls_key: Machine::New, .. }) && self.node == NodePhase::Concluded
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let contract = match self.contract {
            Contract::Recovery { tls_key, status, .. } => format!("Recovery({tls_key:?}, {:?})", status.0),
            Contract::Running { tls_key, .. } => format!("Running({tls_key:?})"),
            Contract::Cancelled { tls_key, .. } => format!("Cancelled({tls_key:?})"),
        };
        write!(
            f,
            "node={} file={:?} service={} contract={} network={:?} faults_left={}",
            self.node.name(),
            self.share_file,
            self.service.name(),
            contract,
            self.network,
            self.faults_left
        )
    }
}
