//! `submit_participant_info` and `withdraw_candidate_info`: how a node
//! announces itself, and how it stops being a candidate.

use super::{Caller, Step};
use crate::errors::{Error, ParticipantsError};
use crate::events::Event;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use mpc_interface::primitives::{Participant, ParticipantInfo};
use near_sdk::AccountId;

/// A non-participant becomes (or updates) a candidate for the next resharing,
/// its signing key recorded as its node key; `participant` (the caller, its
/// key checked by `api/guards.rs`) presenting its own TLS key refreshes
/// (recording its node key if none is yet); presenting another TLS key it is
/// sent to the recovery path. `info` is checked by the entry point.
pub fn submit_participant_info(
    registry: &mut Registry,
    caller: &Caller,
    participant: Option<Participant>,
    info: ParticipantInfo,
) -> Result<Step, Error> {
    let account_id = &caller.account_id;
    if let Some(participant) = participant {
        if participant.info.tls_public_key != info.tls_public_key {
            return Err(ParticipantsError::UseRecovery { account_id: account_id.clone() }.into());
        }
        if registry.node_keys.get(account_id).is_none() {
            registry.node_keys.set(account_id, caller.public_key);
        }
        return Ok(Step::stay(vec![Event::ParticipantRefreshed { account_id: account_id.clone() }]));
    }
    registry.ensure_tls_key_free_for(&info.tls_public_key, account_id)?;
    let previous_key = registry.candidates.get(account_id).map(|old| old.tls_public_key);
    registry.move_tls_key(account_id, previous_key.as_ref(), &info.tls_public_key);
    let event = Event::CandidateSubmitted { account_id: account_id.clone(), tls_public_key: info.tls_public_key };
    registry.candidates.insert(account_id.clone(), info);
    registry.node_keys.set(account_id, caller.public_key);
    Ok(Step::stay(vec![event]))
}

/// `withdraw_candidate_info`: a candidate (not a participant) leaves: its
/// candidacy, TLS key, node key, backup service and session keys are deleted.
pub fn withdraw(registry: &mut Registry, services: &mut ServiceRegistry, caller: &AccountId) -> Result<Step, Error> {
    if registry.participants.contains(caller) {
        return Err(ParticipantsError::NotCandidate { account_id: caller.clone() }.into());
    }
    let info = registry
        .candidates
        .remove(caller)
        .ok_or_else(|| ParticipantsError::NotCandidate { account_id: caller.clone() })?;
    if registry.tls_owners.get(&info.tls_public_key).as_ref() == Some(caller) {
        registry.tls_owners.remove(&info.tls_public_key);
    }
    registry.node_keys.remove(caller);
    services.backup_services.remove(caller);
    services.clear_sessions(caller);
    Ok(Step::stay(vec![Event::CandidateWithdrawn { account_id: caller.clone() }]))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::state::test_support::*;
    use mpc_interface::recovery::{BackupServiceInfo, EphemeralKeys};

    /// As the entry point calls it, after `api/guards.rs` looked the caller up.
    fn submit(registry: &mut Registry, caller: &Caller, info: ParticipantInfo) -> Result<Step, Error> {
        let participant = registry.participants.get(&caller.account_id);
        submit_participant_info(registry, caller, participant, info)
    }

    fn registry_with_participants() -> Registry {
        let mut registry = Registry::new();
        registry.install_participants(&parameters(2));
        registry
    }

    #[test]
    fn submit__should_record_a_candidate_and_refuse_a_taken_key() {
        let mut registry = registry_with_participants();
        let stranger = id("s.near");
        let step = submit(&mut registry, &node(&stranger, 9), info(9)).unwrap();
        let submitted =
            Event::CandidateSubmitted { account_id: stranger.clone(), tls_public_key: info(9).tls_public_key };
        assert_eq!(only_event(&step), &submitted);
        assert_eq!(registry.candidates.get(&stranger), Some(info(9)));
        assert_eq!(registry.node_keys.get(&stranger), Some(key(9)));
        let taken = submit(&mut registry, &node(&id("t.near"), 1), info(0)).unwrap_err();
        assert!(matches!(taken, Error::Participants(ParticipantsError::TlsKeyInUse { .. })));
        assert_eq!(registry.candidates.get(&id("t.near")), None);
    }

    #[test]
    fn submit__should_move_a_candidates_tls_key_when_it_changes_machine() {
        let mut registry = registry_with_participants();
        let stranger = id("s.near");
        submit(&mut registry, &node(&stranger, 9), info(9)).unwrap();
        submit(&mut registry, &node(&stranger, 10), info(10)).unwrap();
        assert_eq!(registry.candidates.get(&stranger), Some(info(10)));
        assert_eq!(registry.tls_owners.get(&info(9).tls_public_key), None, "the old key is free");
        assert_eq!(registry.tls_owners.get(&info(10).tls_public_key), Some(stranger.clone()));
        assert_eq!(registry.node_keys.get(&stranger), Some(key(10)));
    }

    #[test]
    fn submit__should_refresh_a_participant_and_record_its_first_node_key() {
        let mut registry = registry_with_participants();
        let step = submit(&mut registry, &node(&p(0), 0), info(0)).unwrap();
        assert_eq!(only_event(&step), &Event::ParticipantRefreshed { account_id: p(0) });
        assert!(step.next.is_none());
        assert_eq!(registry.node_keys.get(&p(0)), Some(key(0)), "the first key it refreshes with is its node key");
        assert!(registry.candidates.is_empty());
    }

    #[test]
    fn submit__should_send_a_participant_with_a_new_key_to_recovery() {
        let mut registry = registry_with_participants();
        let err = submit(&mut registry, &node(&p(0), 0), info(7)).unwrap_err();
        assert!(matches!(err, Error::Participants(ParticipantsError::UseRecovery { .. })));
        assert!(registry.candidates.is_empty());
        assert_eq!(registry.tls_owners.get(&info(7).tls_public_key), None);
    }

    #[test]
    fn withdraw__should_delete_the_candidacy_and_free_its_tls_and_node_keys() {
        let mut registry = registry_with_participants();
        let mut services = ServiceRegistry::new();
        let stranger = id("s.near");
        submit(&mut registry, &node(&stranger, 9), info(9)).unwrap();
        let service = BackupServiceInfo { public_key: info(60).tls_public_key, signer_public_key: key(61) };
        services.backup_services.insert(stranger.clone(), service);
        services.ephemeral_keys.insert(stranger.clone(), EphemeralKeys::default());
        let step = withdraw(&mut registry, &mut services, &stranger).unwrap();
        assert_eq!(only_event(&step), &Event::CandidateWithdrawn { account_id: stranger.clone() });
        assert!(registry.candidates.get(&stranger).is_none());
        assert!(registry.node_keys.get(&stranger).is_none(), "the node key record is freed too");
        assert!(services.backup_services.get(&stranger).is_none(), "and its backup service");
        assert!(services.ephemeral_keys.get(&stranger).is_none(), "and its sessions");
        submit(&mut registry, &node(&id("t.near"), 1), info(9)).expect("the key is free again");
        let again = withdraw(&mut registry, &mut services, &stranger).unwrap_err();
        assert!(matches!(again, Error::Participants(ParticipantsError::NotCandidate { .. })));
        let participant = withdraw(&mut registry, &mut services, &p(0)).unwrap_err();
        assert!(matches!(participant, Error::Participants(ParticipantsError::NotCandidate { .. })));
    }
}
