//! Backup-service registration and the ephemeral keys of share transfers.

use super::{Caller, ProtocolState, Step};
use crate::errors::{Error, RecoveryError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::methods::PUBLISH_BACKUP_EPHEMERAL_KEY;
use mpc_interface::recovery::{BackupServiceInfo, PublishedKey, RecoveryStatus, Session, SessionKind};

/// `register_backup_service`: the operator (full-access key) of a participant
/// or candidate (both checked by `api/guards.rs`) names its backup service; a
/// new registration replaces the old.
pub fn register(services: &mut ServiceRegistry, caller: &Caller, info: BackupServiceInfo) -> Result<Step, Error> {
    let account_id = &caller.account_id;
    services.backup_services.insert(account_id.clone(), info);
    Ok(Step::stay(vec![Event::BackupServiceRegistered { account_id: account_id.clone(), public_key: info.public_key }]))
}

/// `publish_backup_ephemeral_key`: the node or the backup service of a
/// participant (checked by `api/guards.rs`) publishes its X25519 key for one session. The side is told by
/// the signing key: the backup service's registered key, or the node's: the
/// recorded node key for a backup session, the recovery's new node key for a
/// recovery session. Any other key of the account is refused.
pub fn publish(
    protocol: &ProtocolState,
    registry: &Registry,
    services: &mut ServiceRegistry,
    caller: &Caller,
    session: Session,
    public_key: X25519PublicKey,
) -> Result<Step, Error> {
    let account_id = &caller.account_id;
    let by_backup_service =
        services.backup_services.get(account_id).is_some_and(|s| s.signer_public_key == caller.public_key);
    let current = match protocol {
        ProtocolState::Running(r) => r.keyset.epoch_id,
        ProtocolState::Recovery(r) => r.previous.keyset.epoch_id,
        other => return Err(other.wrong(PUBLISH_BACKUP_EPHEMERAL_KEY, "Running or Recovery")),
    };
    if session.epoch_id != current {
        return Err(RecoveryError::SessionEpoch { given: session.epoch_id, current }.into());
    }
    if session.kind == SessionKind::Backup && !by_backup_service {
        registry.node_keys.require(PUBLISH_BACKUP_EPHEMERAL_KEY, account_id, &caller.public_key)?;
    }
    if session.kind == SessionKind::Recovery {
        let recovery = match protocol {
            ProtocolState::Recovery(r)
                if &r.account_id == account_id && r.status != RecoveryStatus::PendingApproval =>
            {
                r
            }
            _ => return Err(RecoveryError::NoApprovedRecovery { account_id: account_id.clone() }.into()),
        };
        if !by_backup_service && caller.public_key != recovery.new_signer {
            return Err(RecoveryError::WrongSignerKey {
                method: PUBLISH_BACKUP_EPHEMERAL_KEY,
                expected: recovery.new_signer,
                actual: caller.public_key,
            }
            .into());
        }
    }
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
