//! Backup-service registration and the ephemeral keys of share transfers.

use super::{Caller, ProtocolState, RecoveryState, Step};
use crate::errors::{Error, RecoveryError};
use crate::events::Event;
use crate::storage::services::ServiceRegistry;
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::methods::PUBLISH_BACKUP_EPHEMERAL_KEY;
use mpc_interface::recovery::{BackupServiceInfo, PublishedKey, RecoveryStatus, Session, SessionKind};
use near_sdk::AccountId;

/// `register_backup_service`: the operator (full-access key) of a participant
/// or candidate (both checked by `api/guards.rs`) names its backup service; a
/// new registration replaces the old.
pub fn register(services: &mut ServiceRegistry, caller: &Caller, info: BackupServiceInfo) -> Result<Step, Error> {
    let account_id = &caller.account_id;
    services.backup_services.insert(account_id.clone(), info);
    Ok(Step::stay(vec![Event::BackupServiceRegistered { account_id: account_id.clone(), public_key: info.public_key }]))
}

/// `publish_backup_ephemeral_key`, first half: the session must be of the
/// keyset in use, and a recovery session needs `account_id`'s own recovery,
/// approved, which is returned (`api/guards.rs` then tells from the signing
/// key which side publishes).
pub fn session_scope<'a>(
    protocol: &'a ProtocolState,
    account_id: &AccountId,
    session: &Session,
) -> Result<Option<&'a RecoveryState>, Error> {
    let current = match protocol {
        ProtocolState::Running(r) => r.keyset.epoch_id,
        ProtocolState::Recovery(r) => r.previous.keyset.epoch_id,
        other => return Err(other.wrong(PUBLISH_BACKUP_EPHEMERAL_KEY, "Running or Recovery")),
    };
    if session.epoch_id != current {
        return Err(RecoveryError::SessionEpoch { given: session.epoch_id, current }.into());
    }
    if session.kind == SessionKind::Backup {
        return Ok(None);
    }
    match protocol {
        ProtocolState::Recovery(r) if &r.account_id == account_id && r.status != RecoveryStatus::PendingApproval => {
            Ok(Some(r))
        }
        _ => Err(RecoveryError::NoApprovedRecovery { account_id: account_id.clone() }.into()),
    }
}

/// `publish_backup_ephemeral_key`, second half: `account_id`'s node or
/// backup service publishes its X25519 key for one session, which must be
/// newer than the one that side published last.
pub fn publish(
    services: &mut ServiceRegistry,
    account_id: &AccountId,
    session: Session,
    public_key: X25519PublicKey,
    by_backup_service: bool,
) -> Result<Step, Error> {
    let mut keys = services.ephemeral_keys.get(account_id).unwrap_or_default();
    let slot = if by_backup_service { &mut keys.backup_service } else { &mut keys.node };
    if let Some(published) = slot {
        if !session.supersedes(&published.session) {
            return Err(RecoveryError::StaleSession { given: session, published: published.session }.into());
        }
    }
    *slot = Some(PublishedKey { session, public_key });
    services.ephemeral_keys.insert(account_id.clone(), keys);
    Ok(Step::stay(vec![Event::EphemeralKeyPublished { account_id: account_id.clone(), session, by_backup_service }]))
}

#[cfg(test)]
#[path = "tests/backup.rs"]
mod tests;
