//! `submit_participant_info`: how a node announces itself.

use super::Step;
use crate::errors::ParametersError;
use crate::errors::{Error, ParticipantsError};
use crate::events::Event;
use crate::storage::registry::Registry;
use mpc_interface::primitives::{ParticipantInfo, MAX_URL_LEN};
use near_sdk::AccountId;

/// A non-participant becomes (or updates) a candidate for the next resharing;
/// a participant presenting its own TLS key refreshes (nothing changes); a
/// participant presenting another key is sent to the recovery path.
pub fn submit_participant_info(
    registry: &mut Registry,
    caller: &AccountId,
    info: ParticipantInfo,
) -> Result<Step, Error> {
    if info.url.is_empty() || info.url.len() > MAX_URL_LEN {
        return Err(ParametersError::BadUrl { account_id: caller.clone(), max: MAX_URL_LEN }.into());
    }
    if let Some(participant) = registry.participants.get(caller) {
        if participant.info.tls_public_key != info.tls_public_key {
            return Err(ParticipantsError::UseRecovery { account_id: caller.clone() }.into());
        }
        return Ok(Step::stay(vec![Event::ParticipantRefreshed { account_id: caller.clone() }]));
    }
    registry.ensure_tls_key_free_for(&info.tls_public_key, caller)?;
    let previous_key = registry.candidates.get(caller).map(|old| old.tls_public_key);
    registry.move_tls_key(caller, previous_key.as_ref(), &info.tls_public_key);
    let event = Event::CandidateSubmitted { account_id: caller.clone(), tls_public_key: info.tls_public_key };
    registry.candidates.insert(caller.clone(), info);
    Ok(Step::stay(vec![event]))
}
