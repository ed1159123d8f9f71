//! The alarm a seated machine raises while its account's recovery onto
//! another machine waits for approval: the machine keeps working (only an
//! approved recovery decommissions it), logs one ERROR per recovery it sees
//! (not one per poll) saying how to cancel it, and holds a gauge at 1.

use mpc_interface::primitives::ParticipantInfo;
use std::sync::atomic::{AtomicU64, Ordering};

/// Gauge name, in the Prometheus text format [`NodeMetrics::render`] writes.
pub const RECOVERY_ALARM_GAUGE: &str = "mpc_node_recovery_pending_to_other_machine";

/// The node's metrics.
#[derive(Debug, Default)]
pub struct NodeMetrics {
    recovery_alarm: AtomicU64,
}

impl NodeMetrics {
    /// 1 while a recovery of this account onto another machine is pending approval.
    pub fn recovery_alarm(&self) -> u64 {
        self.recovery_alarm.load(Ordering::Relaxed)
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        format!(
            "# HELP {RECOVERY_ALARM_GAUGE} 1 while a recovery of this node's account onto another machine waits for approval (cancel it with cancel_recovery if the operator did not start it)\n\
             # TYPE {RECOVERY_ALARM_GAUGE} gauge\n{RECOVERY_ALARM_GAUGE} {}\n",
            self.recovery_alarm()
        )
    }
}

/// What the alarm last reported.
#[derive(Default)]
pub(crate) struct Alarm {
    raised_for: Option<ParticipantInfo>,
}

impl Alarm {
    /// Raises the alarm for a pending recovery onto `new_machine`; logs only
    /// when it names another machine than last time.
    pub(crate) fn raise(&mut self, metrics: &NodeMetrics, account: &str, new_machine: &ParticipantInfo) {
        metrics.recovery_alarm.store(1, Ordering::Relaxed);
        if self.raised_for.as_ref() == Some(new_machine) {
            return;
        }
        tracing::error!(
            %account,
            new_tls_key = %new_machine.tls_public_key,
            new_url = %new_machine.url,
            "ALARM: a recovery of this account onto ANOTHER machine is pending approval; this machine keeps working. \
             If the operator did not start it (a leaked node key?), cancel it: call cancel_recovery on the contract \
             signed by the operator's full-access key with 1 yoctoNEAR (`mpc-operator cancel-recovery`). \
             Approving it shuts this machine down."
        );
        self.raised_for = Some(new_machine.clone());
    }

    /// Clears the alarm (the recovery was cancelled, approved or concluded).
    pub(crate) fn clear(&mut self, metrics: &NodeMetrics) {
        metrics.recovery_alarm.store(0, Ordering::Relaxed);
        if self.raised_for.take().is_some() {
            tracing::info!("the pending recovery onto another machine is no longer pending; alarm cleared");
        }
    }
}
