//! `submit_participant_info`: how a node announces itself.

use super::{Signer, Step};
use crate::errors::ParametersError;
use crate::errors::{Error, ParticipantsError};
use crate::events::Event;
use crate::storage::registry::Registry;
use mpc_interface::methods::SUBMIT_PARTICIPANT_INFO;
use mpc_interface::primitives::{ParticipantInfo, MAX_URL_LEN};

/// A non-participant becomes (or updates) a candidate for the next resharing,
/// its signing key recorded as its node key; a participant presenting its own
/// TLS key refreshes (recording its node key if none is yet, refusing any
/// other key of the account); a participant presenting another TLS key is
/// sent to the recovery path.
pub fn submit_participant_info(registry: &mut Registry, signer: &Signer, info: ParticipantInfo) -> Result<Step, Error> {
    let caller = &signer.account_id;
    if info.url.is_empty() || info.url.len() > MAX_URL_LEN {
        return Err(ParametersError::BadUrl { account_id: caller.clone(), max: MAX_URL_LEN }.into());
    }
    if let Some(participant) = registry.participants.get(caller) {
        registry.node_keys.ensure(SUBMIT_PARTICIPANT_INFO, caller, &signer.public_key)?;
        if participant.info.tls_public_key != info.tls_public_key {
            return Err(ParticipantsError::UseRecovery { account_id: caller.clone() }.into());
        }
        if registry.node_keys.get(caller).is_none() {
            registry.node_keys.set(caller, signer.public_key);
        }
        return Ok(Step::stay(vec![Event::ParticipantRefreshed { account_id: caller.clone() }]));
    }
    registry.ensure_tls_key_free_for(&info.tls_public_key, caller)?;
    let previous_key = registry.candidates.get(caller).map(|old| old.tls_public_key);
    registry.move_tls_key(caller, previous_key.as_ref(), &info.tls_public_key);
    let event = Event::CandidateSubmitted { account_id: caller.clone(), tls_public_key: info.tls_public_key };
    registry.candidates.insert(caller.clone(), info);
    registry.node_keys.set(caller, signer.public_key);
    Ok(Step::stay(vec![event]))
}
