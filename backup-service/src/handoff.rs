//! Which delivery the new machine acknowledged, kept on disk so a service
//! that stops between the delivery and its on-chain confirmation confirms
//! after a restart instead of sending the shares again.

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::EpochId;
use secret_file::SecretFileError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const HANDOFF_FILE: &str = "handoff.json";

/// The backup service's side of a recovery delivery, by name: the delivery
/// model (`delivery-model`, `SERVICE_PHASES`) uses the same names, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceDeliveryState {
    /// Nothing to deliver: no approved recovery of the account (pending
    /// approval, or none open).
    Idle,
    /// Approved, no acknowledgement recorded: deliver (again) at every poll.
    Delivering,
    /// The new machine acknowledged (it stored the shares): send
    /// `confirm_recovery_delivery` until the contract shows `Delivered`.
    AwaitingConfirmation,
    /// The contract shows the delivery confirmed: nothing more to send.
    Confirmed,
}

impl ServiceDeliveryState {
    pub const ALL: &[Self] = &[Self::Idle, Self::Delivering, Self::AwaitingConfirmation, Self::Confirmed];

    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Delivering => "Delivering",
            Self::AwaitingConfirmation => "AwaitingConfirmation",
            Self::Confirmed => "Confirmed",
        }
    }
}

/// A delivery the recovering machine acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub epoch_id: EpochId,
    /// The machine that took the shares (the recovery's new TLS key).
    pub new_tls_key: Ed25519PublicKey,
}

pub struct HandoffLog {
    path: PathBuf,
}

impl HandoffLog {
    pub fn in_home(home: &Path) -> Self {
        Self { path: home.join(HANDOFF_FILE) }
    }

    /// The last acknowledged delivery. An unreadable record counts as none:
    /// the worst that follows is one more delivery to the same approved machine.
    pub fn last(&self) -> Option<Handoff> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(file = %self.path.display(), error = %e, "cannot read the delivery record");
                return None;
            }
        };
        serde_json::from_slice(&bytes)
            .inspect_err(|e| tracing::warn!(file = %self.path.display(), error = %e, "ignoring a bad delivery record"))
            .ok()
    }

    /// Forgets the record once the recovery is over, so a later recovery
    /// (even to the same machine) gets its own delivery.
    pub fn clear(&self) -> Result<(), SecretFileError> {
        secret_file::remove_if_present(&self.path)
    }

    pub fn record(&self, handoff: Handoff) -> Result<(), SecretFileError> {
        let json = serde_json::to_vec(&handoff).expect("JSON of plain data");
        secret_file::write_atomically(&self.path, &json)
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn service_delivery_states__should_carry_the_delivery_models_names() {
        let names: Vec<_> = ServiceDeliveryState::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["Idle", "Delivering", "AwaitingConfirmation", "Confirmed"]);
    }

    #[test]
    fn handoff_log__should_remember_the_last_delivery_and_shrug_off_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let log = HandoffLog::in_home(dir.path());
        assert_eq!(log.last(), None);
        let handoff = Handoff { epoch_id: EpochId(3), new_tls_key: Ed25519PublicKey([5; 32]) };
        log.record(handoff).unwrap();
        assert_eq!(log.last(), Some(handoff));
        log.clear().unwrap();
        assert_eq!(log.last(), None);
        log.clear().unwrap();
        log.record(handoff).unwrap();
        std::fs::write(dir.path().join(HANDOFF_FILE), b"{not json").unwrap();
        assert_eq!(log.last(), None);
    }
}
