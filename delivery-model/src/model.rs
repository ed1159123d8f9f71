//! The protocol as a [`stateright::Model`]: who may do what in each state,
//! and the safety properties stateright checks on every reachable state.

use crate::state::{Contract, Keyset, Machine, Msg, NodePhase, ServicePhase, ShareFile, State, Status, KEYSET};
use mpc_interface::recovery::RecoveryStatus;
use stateright::{Model, Property};

/// Which protocol the model runs: the fixed one, the old one, or a mutant
/// that breaks one rule on purpose (to show a property can fail).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Variant {
    /// Old: the node acknowledges on receipt, before the shares are on disk.
    pub ack_before_write: bool,
    /// Old: once it acknowledged, the node refuses every redelivery.
    pub refuse_redelivery_after_ack: bool,
    /// Mutant: the service delivers to a recovery that is only pending approval.
    pub deliver_while_pending: bool,
    /// Mutant: the node concludes as soon as it holds the shares, before `Delivered`.
    pub conclude_before_delivered: bool,
    /// Mutant: the node concludes on `Delivered` without checking its share file.
    pub conclude_without_durable_shares: bool,
    /// Mutant: the node imports a delivery of any keyset, not only the contract's.
    pub import_any_keyset: bool,
}

impl Variant {
    /// The protocol as built: at-least-once delivery, idempotent import,
    /// acknowledgement after the durable write.
    pub const FIXED: Variant = Variant {
        ack_before_write: false,
        refuse_redelivery_after_ack: false,
        deliver_while_pending: false,
        conclude_before_delivered: false,
        conclude_without_durable_shares: false,
        import_any_keyset: false,
    };
    /// The protocol before the fix: the lost acknowledgement stalls it.
    pub const OLD: Variant = Variant { ack_before_write: true, refuse_redelivery_after_ack: true, ..Variant::FIXED };
}

impl std::fmt::Display for Variant {
    /// `fixed`, or the rules it breaks, e.g. `ack_before_write+refuse_redelivery_after_ack`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flags = [
            (self.ack_before_write, "ack_before_write"),
            (self.refuse_redelivery_after_ack, "refuse_redelivery_after_ack"),
            (self.deliver_while_pending, "deliver_while_pending"),
            (self.conclude_before_delivered, "conclude_before_delivered"),
            (self.conclude_without_durable_shares, "conclude_without_durable_shares"),
            (self.import_any_keyset, "import_any_keyset"),
        ];
        let set: Vec<&str> = flags.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        f.write_str(if set.is_empty() { "fixed".to_string() } else { set.join("+") }.as_str())
    }
}

/// One step of the node, the service, the operator, an attacker's machine, or
/// the environment (a fault).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// `approve_recovery(tls_public_key)` naming the operator's new machine.
    OperatorApproves,
    /// `cancel_recovery()`.
    OperatorCancels,
    /// The service reads the contract and moves to the phase it calls for.
    ServicePolls,
    /// The service (re)sends the shares after its retry timer fired.
    ServiceSends,
    /// `confirm_recovery_delivery(keyset)` lands and its answer arrives.
    ServiceConfirms,
    /// The node reads the contract and moves to the phase it calls for.
    NodePolls,
    /// The node's durable write (file and directory fsync) succeeds.
    NodeWrites,
    /// `conclude_recovery(keyset)` lands and its answer arrives.
    NodeConcludes,
    /// The addressee takes a message off the network.
    Receive(Msg),
    /// Fault: the network loses a message.
    Drop(Msg),
    /// Fault: the network delivers a message twice.
    Duplicate(Msg),
    /// Fault: the node crashes and restarts (volatile state lost, share file kept).
    NodeCrashes,
    /// Fault: the service crashes and restarts (volatile state lost, stored copy kept).
    ServiceCrashes,
    /// Fault: the node's disk write fails.
    NodeWriteFails,
    /// Fault: `confirm_recovery_delivery` lands but its RPC answer is lost.
    ConfirmAnswerLost,
    /// Fault: `conclude_recovery` lands but its RPC answer is lost.
    ConcludeAnswerLost,
    /// Fault: a delivery of an older keyset reaches the node (a stale copy or a replay).
    StaleDelivery,
}

impl Action {
    /// True for what the environment does to the processes, not what they do.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Action::Drop(_)
                | Action::Duplicate(_)
                | Action::NodeCrashes
                | Action::ServiceCrashes
                | Action::NodeWriteFails
                | Action::ConfirmAnswerLost
                | Action::ConcludeAnswerLost
                | Action::StaleDelivery
        )
    }
}

/// The delivery protocol with its bounds.
#[derive(Clone, Debug)]
pub struct DeliveryModel {
    pub variant: Variant,
    /// Faults injected in one run, at most.
    pub max_faults: u8,
    /// Messages in flight at once, at most (bounds duplication).
    pub max_in_flight: usize,
}

/// The bounds the test suite checks the fixed protocol with.
pub const MAX_FAULTS: u8 = 12;
pub const MAX_IN_FLIGHT: usize = 5;

impl DeliveryModel {
    /// The model with the suite's bounds ([`MAX_FAULTS`], [`MAX_IN_FLIGHT`]).
    pub fn new(variant: Variant) -> Self {
        DeliveryModel::with_bounds(variant, MAX_FAULTS, MAX_IN_FLIGHT)
    }

    pub fn with_bounds(variant: Variant, max_faults: u8, max_in_flight: usize) -> Self {
        DeliveryModel { variant, max_faults, max_in_flight }
    }

    /// A recovery entered for `tls_key`, pending the operator's approval.
    fn initial(&self, tls_key: Machine) -> State {
        State {
            node: NodePhase::AwaitingDelivery,
            importing: None,
            share_file: ShareFile::Absent,
            service: ServicePhase::Idle,
            contract: Contract::Recovery { tls_key, status: Status(RecoveryStatus::PendingApproval), keyset: KEYSET },
            network: Vec::new(),
            faults_left: self.max_faults,
            shares_sent_to: 0,
            approved: None,
            confirmed: false,
        }
    }
}

/// Safety property names, for `Checker::discovery`.
pub const SHARES_ONLY_TO_APPROVED: &str = "shares reach only the machine the operator approved";
pub const KEYSET_UNCHANGED: &str = "the keyset never changes in Recovery";
pub const NO_CONCLUSION_BEFORE_DELIVERED: &str = "nothing concludes before the contract shows Delivered";
pub const CONCLUDES_ONLY_WITH_DURABLE_SHARES: &str = "the node concludes only with its shares on disk";
/// Reachability properties: the model does reach both outcomes.
pub const CAN_CONCLUDE: &str = "a recovery can conclude in Running";
pub const HIJACK_CAN_BE_CANCELLED: &str = "a recovery to another key can be cancelled";
/// Stateright's own liveness check (on terminal paths; see the crate docs).
pub const ENDS_RUNNING_OR_CANCELLED: &str = "every terminal path ends in Running or Cancelled";

impl Model for DeliveryModel {
    type State = State;
    type Action = Action;

    /// The node's own recovery, and one an attacker entered with a leaked
    /// node key for another machine; both pending approval. (A recovery the
    /// operator enters with 1 yoctoNEAR is approved at entry: the first state
    /// after `OperatorApproves`.)
    fn init_states(&self) -> Vec<State> {
        vec![self.initial(Machine::New), self.initial(Machine::Attacker)]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Action>) {
        actions.extend([
            Action::OperatorApproves,
            Action::OperatorCancels,
            Action::ServicePolls,
            Action::ServiceSends,
            Action::ServiceConfirms,
            Action::NodePolls,
            Action::NodeWrites,
            Action::NodeConcludes,
        ]);
        let mut distinct = s.network.clone();
        distinct.dedup();
        actions.extend(distinct.iter().map(|m| Action::Receive(*m)));
        if s.faults_left > 0 {
            actions.extend(distinct.iter().map(|m| Action::Drop(*m)));
            actions.extend(distinct.iter().map(|m| Action::Duplicate(*m)));
            actions.extend([
                Action::NodeCrashes,
                Action::ServiceCrashes,
                Action::NodeWriteFails,
                Action::ConfirmAnswerLost,
                Action::ConcludeAnswerLost,
                Action::StaleDelivery,
            ]);
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut s = last.clone();
        if action.is_fault() {
            s.faults_left = s.faults_left.checked_sub(1)?;
        }
        crate::steps::apply(self, &mut s, action)?;
        // A step that changes nothing (but the fault budget) is no step.
        let unchanged = State { faults_left: last.faults_left, ..s.clone() } == *last;
        (!unchanged).then_some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(SHARES_ONLY_TO_APPROVED, |_, s: &State| {
                [Machine::New, Machine::Attacker]
                    .into_iter()
                    .all(|m| s.shares_sent_to & m.bit() == 0 || s.approved == Some(m))
            }),
            Property::always(KEYSET_UNCHANGED, |_, s: &State| keysets_unchanged(s)),
            Property::always(NO_CONCLUSION_BEFORE_DELIVERED, |_, s: &State| {
                let concluding = matches!(s.node, NodePhase::Concluding | NodePhase::Concluded);
                let running = matches!(s.contract, Contract::Running { .. });
                !(concluding || running) || s.confirmed
            }),
            Property::always(CONCLUDES_ONLY_WITH_DURABLE_SHARES, |_, s: &State| {
                let concluding = matches!(s.node, NodePhase::Concluding | NodePhase::Concluded);
                let running = matches!(s.contract, Contract::Running { .. });
                !(concluding || running) || s.share_file == ShareFile::Durable(s.contract.keyset())
            }),
            Property::sometimes(CAN_CONCLUDE, |_, s: &State| s.is_concluded()),
            Property::sometimes(HIJACK_CAN_BE_CANCELLED, |_, s: &State| {
                s.shares_sent_to == 0 && matches!(s.contract, Contract::Cancelled { tls_key: Machine::Attacker, .. })
            }),
            Property::eventually(ENDS_RUNNING_OR_CANCELLED, |_, s: &State| s.is_final()),
        ]
    }
}

/// The contract's keyset is the one the recovery opened with, and the node
/// imports, holds and acknowledges only that one (an older keyset may be in
/// flight: the environment injects it).
fn keysets_unchanged(s: &State) -> bool {
    let same = |k: Keyset| k == KEYSET;
    let file_ok = match s.share_file {
        ShareFile::Durable(k) => same(k),
        ShareFile::Absent | ShareFile::Damaged => true,
    };
    let acks_ok = s.network.iter().all(|m| match *m {
        Msg::Ack { keyset, .. } => same(keyset),
        Msg::Deliver { .. } => true,
    });
    same(s.contract.keyset()) && s.importing.is_none_or(same) && file_ok && acks_ok
}
