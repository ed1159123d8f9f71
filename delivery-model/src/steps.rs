//! The transitions: what each step does to the state. `None` means the step
//! is not enabled in this state.

use crate::model::{Action, DeliveryModel};
use crate::state::{Contract, Keyset, Machine, Msg, NodePhase, ServicePhase, ShareFile, State, Status, STALE_KEYSET};
use mpc_interface::recovery::RecoveryStatus;

pub(crate) fn apply(model: &DeliveryModel, s: &mut State, action: Action) -> Option<()> {
    match action {
        Action::OperatorApproves => operator_approves(s),
        Action::OperatorCancels => operator_cancels(s),
        Action::ServicePolls => service_polls(model, s),
        Action::ServiceSends => service_sends(model, s),
        Action::ServiceConfirms | Action::ConfirmAnswerLost => service_confirms(s, action == Action::ServiceConfirms),
        Action::NodePolls => node_polls(model, s),
        Action::NodeWrites => node_writes(model, s, true),
        Action::NodeWriteFails => node_writes(model, s, false),
        Action::NodeConcludes | Action::ConcludeAnswerLost => node_concludes(s, action == Action::NodeConcludes),
        Action::Receive(msg) => receive(model, s, msg),
        Action::Drop(msg) => s.take(msg).then_some(()),
        Action::Duplicate(msg) => (s.in_flight(msg) && s.network.len() < model.max_in_flight).then(|| s.send(msg)),
        Action::NodeCrashes => {
            // Restart: the phase follows from the share file; the next poll
            // reads the contract.
            s.importing = None;
            s.node = match s.share_file {
                ShareFile::Durable(_) => NodePhase::AwaitingConfirmation,
                ShareFile::Absent | ShareFile::Damaged => NodePhase::AwaitingDelivery,
            };
            Some(())
        }
        Action::ServiceCrashes => {
            s.service = ServicePhase::Idle;
            Some(())
        }
        Action::StaleDelivery => {
            let stale = Msg::Deliver { to: Machine::New, keyset: STALE_KEYSET };
            (s.network.len() < model.max_in_flight).then(|| s.send(stale))
        }
    }
}

fn open_status(s: &State) -> Option<RecoveryStatus> {
    s.contract.open().map(|(_, status)| status)
}

fn set_status(s: &mut State, new: RecoveryStatus) {
    if let Contract::Recovery { status, .. } = &mut s.contract {
        *status = Status(new);
    }
}

/// `approve_recovery(New)`: refused unless the open recovery is for `New` and pending.
fn operator_approves(s: &mut State) -> Option<()> {
    (s.contract.open()? == (Machine::New, RecoveryStatus::PendingApproval)).then_some(())?;
    set_status(s, RecoveryStatus::Approved);
    s.approved = Some(Machine::New);
    Some(())
}

fn operator_cancels(s: &mut State) -> Option<()> {
    let (tls_key, _) = s.contract.open()?;
    s.contract = Contract::Cancelled { tls_key, keyset: s.contract.keyset() };
    Some(())
}

/// The service does what the contract's status calls for.
fn service_polls(model: &DeliveryModel, s: &mut State) -> Option<()> {
    use RecoveryStatus::*;
    use ServicePhase::*;
    s.service = match (s.service, open_status(s)) {
        (Idle, Some(Approved)) => Delivering,
        (Idle, Some(PendingApproval)) if model.variant.deliver_while_pending => Delivering,
        (Idle | Delivering | AwaitingConfirmation, Some(Delivered)) => Confirmed,
        (Delivering | AwaitingConfirmation | Confirmed, None) => Idle,
        _ => return None,
    };
    Some(())
}

/// The retry timer: it fires while delivering and neither the delivery nor
/// its acknowledgement is in flight (an earlier firing is a `Duplicate`).
fn service_sends(model: &DeliveryModel, s: &mut State) -> Option<()> {
    let (to, status) = s.contract.open()?;
    let may_deliver = status == RecoveryStatus::Approved
        || (status == RecoveryStatus::PendingApproval && model.variant.deliver_while_pending);
    if s.service != ServicePhase::Delivering || !may_deliver {
        return None;
    }
    let keyset = s.contract.keyset();
    if s.in_flight(Msg::Deliver { to, keyset }) || s.in_flight(Msg::Ack { from: to, keyset }) {
        return None;
    }
    s.send(Msg::Deliver { to, keyset });
    s.shares_sent_to |= to.bit();
    Some(())
}

/// `confirm_recovery_delivery(keyset)`; the contract takes it only while `Approved`.
fn service_confirms(s: &mut State, answer_arrives: bool) -> Option<()> {
    if s.service != ServicePhase::AwaitingConfirmation || open_status(s)? != RecoveryStatus::Approved {
        return None;
    }
    set_status(s, RecoveryStatus::Delivered);
    s.confirmed = true;
    if answer_arrives {
        s.service = ServicePhase::Confirmed;
    }
    Some(())
}

/// The node does what the contract and its share file call for.
fn node_polls(model: &DeliveryModel, s: &mut State) -> Option<()> {
    let durable = s.share_file == ShareFile::Durable(s.contract.keyset());
    let v = model.variant;
    s.node = match (s.node, s.contract) {
        (NodePhase::AwaitingConfirmation | NodePhase::Concluding, Contract::Running { tls_key: Machine::New, .. }) => {
            NodePhase::Concluded
        }
        (NodePhase::AwaitingConfirmation, Contract::Recovery { tls_key: Machine::New, status, .. }) => {
            let delivered = status.0 == RecoveryStatus::Delivered || v.conclude_before_delivered;
            if !delivered || !(durable || v.conclude_without_durable_shares) {
                return None;
            }
            NodePhase::Concluding
        }
        _ => return None,
    };
    Some(())
}

/// The end of an import: the durable write succeeds (then, in the fixed
/// protocol, the acknowledgement) or fails (then the node waits for a
/// redelivery; the old node had acknowledged already).
fn node_writes(model: &DeliveryModel, s: &mut State, succeeds: bool) -> Option<()> {
    let keyset = s.importing.filter(|_| s.node == NodePhase::Importing)?;
    s.importing = None;
    let ack_first = model.variant.ack_before_write;
    if succeeds {
        s.share_file = ShareFile::Durable(keyset);
        s.node = NodePhase::AwaitingConfirmation;
        if !ack_first {
            s.send(Msg::Ack { from: Machine::New, keyset });
        }
    } else {
        s.share_file = ShareFile::Damaged;
        s.node = if ack_first { NodePhase::AwaitingConfirmation } else { NodePhase::AwaitingDelivery };
    }
    Some(())
}

/// `conclude_recovery(keyset)` signed by the new machine's key; the contract
/// takes it only while `Delivered` for that machine and keyset.
fn node_concludes(s: &mut State, answer_arrives: bool) -> Option<()> {
    let (tls_key, status) = s.contract.open()?;
    if s.node != NodePhase::Concluding || tls_key != Machine::New || status != RecoveryStatus::Delivered {
        return None;
    }
    s.contract = Contract::Running { tls_key, keyset: s.contract.keyset() };
    if answer_arrives {
        s.node = NodePhase::Concluded;
    }
    Some(())
}

fn receive(model: &DeliveryModel, s: &mut State, msg: Msg) -> Option<()> {
    match msg {
        Msg::Deliver { to: Machine::New, keyset } => {
            // One connection at a time: a delivery waits while the node writes.
            if s.node == NodePhase::Importing || !s.take(msg) {
                return None;
            }
            node_receives(model, s, keyset);
        }
        // The attacker's machine takes what it is sent (the safety property
        // already counts it at sending).
        Msg::Deliver { to: Machine::Attacker, .. } => {
            s.take(msg).then_some(())?;
        }
        Msg::Ack { from, keyset } => {
            s.take(msg).then_some(())?;
            let for_open_recovery =
                s.contract.open() == Some((from, RecoveryStatus::Approved)) && keyset == s.contract.keyset();
            if s.service == ServicePhase::Delivering && for_open_recovery {
                s.service = ServicePhase::AwaitingConfirmation;
            }
        }
    }
    Some(())
}

/// A delivery reaches the node. Refused (the connection closes, nothing is
/// acknowledged) unless the open recovery is for this machine and keyset and
/// it has not concluded; a keyset it already holds durably is acknowledged
/// again; anything else is imported (replacing a failed write).
fn node_receives(model: &DeliveryModel, s: &mut State, keyset: Keyset) {
    let v = model.variant;
    let right_keyset = keyset == s.contract.keyset() || v.import_any_keyset;
    let for_us = matches!(s.contract.open(), Some((Machine::New, _))) && right_keyset;
    let acked = matches!(s.node, NodePhase::AwaitingConfirmation | NodePhase::Concluding);
    if !for_us || s.node == NodePhase::Concluded || (acked && v.refuse_redelivery_after_ack) {
        return;
    }
    if s.share_file == ShareFile::Durable(keyset) {
        s.send(Msg::Ack { from: Machine::New, keyset });
        if s.node == NodePhase::AwaitingDelivery {
            s.node = NodePhase::AwaitingConfirmation;
        }
        return;
    }
    s.node = NodePhase::Importing;
    s.importing = Some(keyset);
    if v.ack_before_write {
        s.send(Msg::Ack { from: Machine::New, keyset });
    }
}
