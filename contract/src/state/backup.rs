//! Backup-service registration and the ephemeral keys of share transfers.

use super::{ProtocolState, Signer, Step};
use crate::errors::{CallerError, Error, RecoveryError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use mpc_interface::keys::X25519PublicKey;
use mpc_interface::methods::PUBLISH_BACKUP_EPHEMERAL_KEY;
use mpc_interface::recovery::{BackupServiceInfo, PublishedKey, RecoveryStatus, Session, SessionKind};
use near_sdk::AccountId;

/// `register_backup_service`: the operator (full-access key, checked by the
/// entry point) of a participant or candidate names its backup service; a new
/// registration replaces the old, which is returned.
pub fn register(
    registry: &Registry,
    services: &mut ServiceRegistry,
    account_id: &AccountId,
    info: BackupServiceInfo,
) -> Result<(Step, Option<BackupServiceInfo>), Error> {
    ensure_may_register(registry, account_id)?;
    let previous = services.backup_services.insert(account_id.clone(), info);
    let event = Event::BackupServiceRegistered { account_id: account_id.clone(), public_key: info.public_key };
    Ok((Step::stay(vec![event]), previous))
}

/// Only a participant or a candidate registers a backup service.
pub fn ensure_may_register(registry: &Registry, account_id: &AccountId) -> Result<(), Error> {
    if !registry.participants.contains(account_id) && !registry.candidates.contains_key(account_id) {
        return Err(RecoveryError::NotParticipantOrCandidate { account_id: account_id.clone() }.into());
    }
    Ok(())
}

/// `publish_backup_ephemeral_key`: the node or the backup service of a
/// participant publishes its X25519 key for one session. The side is told by
/// the signing key: the backup service's registered key, or the node's: the
/// recorded node key for a backup session, the recovery's new node key for a
/// recovery session. Any other key of the account is refused.
pub fn publish(
    protocol: &ProtocolState,
    registry: &Registry,
    services: &mut ServiceRegistry,
    signer: &Signer,
    session: Session,
    public_key: X25519PublicKey,
) -> Result<Step, Error> {
    let account_id = &signer.account_id;
    if !registry.participants.contains(account_id) {
        return Err(CallerError::NotParticipant { account_id: account_id.clone() }.into());
    }
    let by_backup_service =
        services.backup_services.get(account_id).is_some_and(|s| s.signer_public_key == signer.public_key);
    let current = match protocol {
        ProtocolState::Running(r) => r.keyset.epoch_id,
        ProtocolState::Recovery(r) => r.previous.keyset.epoch_id,
        other => return Err(other.wrong(PUBLISH_BACKUP_EPHEMERAL_KEY, "Running or Recovery")),
    };
    if session.epoch_id != current {
        return Err(RecoveryError::SessionEpoch { given: session.epoch_id, current }.into());
    }
    if session.kind == SessionKind::Backup && !by_backup_service {
        registry.node_keys.require(PUBLISH_BACKUP_EPHEMERAL_KEY, account_id, &signer.public_key)?;
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
        if !by_backup_service && signer.public_key != recovery.new_signer {
            return Err(RecoveryError::WrongSignerKey {
                method: PUBLISH_BACKUP_EPHEMERAL_KEY,
                expected: recovery.new_signer,
                actual: signer.public_key,
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
