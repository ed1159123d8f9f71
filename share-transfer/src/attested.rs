//! The hard launch on the node's side: in `Hard` mode a node serves a backup,
//! or accepts a delivery, only from a backup service whose attestation the
//! contract shows valid right now. Checked by [`RegisteredBackupService`]
//! (the one authority both transports ask about the backup service) at every
//! handshake, request and re-check; `Soft` mode is unchanged.
//!
//! [`RegisteredBackupService`]: crate::contract::RegisteredBackupService

use crate::authority::AuthorityError;
use contract_client::{AttestationContract, ContractClient};
use mpc_interface::launch::AttestationStatus;
use mpc_interface::AccountId;
use std::sync::Mutex;

/// Why a service with this status may not take part, in words.
pub fn describe(status: AttestationStatus) -> String {
    match status {
        AttestationStatus::NotRequired => "no attestation is required (Soft mode)".to_owned(),
        AttestationStatus::Valid { expires_at } => format!("attested until {expires_at} (Unix seconds)"),
        AttestationStatus::NoBackupService => "no backup service is registered".to_owned(),
        AttestationStatus::Missing => "the backup service has no accepted attestation".to_owned(),
        AttestationStatus::Expired { at } => {
            format!("the backup service's attestation expired at {at} (Unix seconds); it must re-attest")
        }
        AttestationStatus::MeasurementsRetired => {
            "participants retired the measurements the backup service attested".to_owned()
        }
    }
}

/// Reads `account`'s attestation status from the contract now and refuses
/// ([`AuthorityError::NotAttested`]) a service that may not take part.
/// Each refusal is logged once, when the status first turns (or changes).
pub struct AttestationCheck {
    account: AccountId,
    logged: Mutex<Option<AttestationStatus>>,
}

impl AttestationCheck {
    pub fn new(account: AccountId) -> Self {
        Self { account, logged: Mutex::new(None) }
    }

    pub async fn require(&self, client: &dyn ContractClient) -> Result<(), AuthorityError> {
        let view =
            client.backup_attestation(&self.account).await.map_err(|e| AuthorityError::Unavailable(e.to_string()))?;
        let mut logged = self.logged.lock().expect("attestation log lock");
        if view.status.allows_transfers() {
            *logged = None;
            return Ok(());
        }
        let error = AuthorityError::NotAttested { account: self.account.clone(), reason: describe(view.status) };
        if *logged != Some(view.status) {
            tracing::warn!(account = %self.account, status = ?view.status, error = %error, "refusing the backup service (Hard mode)");
            *logged = Some(view.status);
        }
        Err(error)
    }
}
