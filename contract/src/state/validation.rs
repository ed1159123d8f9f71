//! Checks of proposed parameters, domains and keysets. The shape checks need
//! nothing stored; the checks against the current set read one record per
//! participant and so run only when a proposal is first seen and when it wins.

use crate::errors::{Error, ParametersError};
use crate::storage::registry::Registry;
use mpc_interface::constants::{MAX_DOMAINS, MAX_PARTICIPANTS};
use mpc_interface::primitives::Participant;
use mpc_interface::primitives::{DomainConfig, Keyset, ParticipantInfo, ThresholdParameters};
use near_sdk::AccountId;

/// Size, threshold rule, and uniqueness of accounts, ids and TLS keys.
pub fn check_shape(parameters: &ThresholdParameters) -> Result<(), ParametersError> {
    let n = parameters.participants.len();
    if !(2..=MAX_PARTICIPANTS).contains(&n) {
        return Err(ParametersError::ParticipantCount { actual: n, max: MAX_PARTICIPANTS });
    }
    let min = ThresholdParameters::min_threshold(n as u64);
    if parameters.threshold < min || parameters.threshold > n as u64 {
        return Err(ParametersError::Threshold { threshold: parameters.threshold, min, max: n as u64, n });
    }
    let participants = &parameters.participants;
    if let Some(p) = duplicate(participants, |p| p.account_id.as_bytes().to_vec()) {
        return Err(ParametersError::DuplicateAccount { account_id: p.account_id.clone() });
    }
    if let Some(p) = duplicate(participants, |p| p.id.0.to_be_bytes().to_vec()) {
        return Err(ParametersError::DuplicateId { id: p.id });
    }
    if let Some(p) = duplicate(participants, |p| p.info.tls_public_key.0.to_vec()) {
        return Err(ParametersError::DuplicateTlsKey { key: p.info.tls_public_key });
    }
    for p in participants {
        check_info(&p.account_id, &p.info)?;
    }
    Ok(())
}

/// A node's details: its URL is `http(s)://host:port[/path]` and bounded.
pub fn check_info(account_id: &AccountId, info: &ParticipantInfo) -> Result<(), ParametersError> {
    mpc_interface::url::check_url(&info.url)
        .map_err(|reason| ParametersError::BadUrl { account_id: account_id.clone(), reason })
}

/// A participant whose `field` repeats an earlier one's. Pairwise (at most
/// MAX_PARTICIPANTS² / 2 comparisons of short byte strings, well under a Tgas):
/// core's sort costs 4 kB of wasm; a set per field type costs kilobytes each.
fn duplicate(participants: &[Participant], field: impl Fn(&Participant) -> Vec<u8>) -> Option<&Participant> {
    let keys: Vec<Vec<u8>> = participants.iter().map(field).collect();
    (1..keys.len()).find(|&i| keys[..i].contains(&keys[i])).map(|i| &participants[i])
}

/// A proposal against the set in charge: continuing participants keep their
/// ids, new ones get fresh ids, enough current participants stay to reshare,
/// and no TLS key belongs to an account outside the proposal.
pub fn check_against_current(registry: &Registry, proposal: &ThresholdParameters) -> Result<(), Error> {
    let table = &registry.participants;
    let mut kept = 0u64;
    for p in &proposal.participants {
        match table.get(&p.account_id) {
            Some(current) if current.id != p.id => {
                return Err(ParametersError::IdChanged {
                    account_id: p.account_id.clone(),
                    current: current.id,
                    proposed: p.id,
                }
                .into())
            }
            Some(_) => kept += 1,
            None if p.id < table.next_id() => {
                return Err(ParametersError::IdReused {
                    account_id: p.account_id.clone(),
                    proposed: p.id,
                    next: table.next_id(),
                }
                .into())
            }
            None => {}
        }
        registry.ensure_tls_key_free_for(&p.info.tls_public_key, &p.account_id)?;
    }
    if kept < table.threshold() {
        return Err(ParametersError::TooFewKept { kept, threshold: table.threshold() }.into());
    }
    Ok(())
}

pub fn check_domains(domains: &[DomainConfig]) -> Result<(), ParametersError> {
    if domains.is_empty() || domains.len() > MAX_DOMAINS {
        return Err(ParametersError::DomainCount { actual: domains.len(), max: MAX_DOMAINS });
    }
    for pair in domains.windows(2) {
        if pair[1].id <= pair[0].id {
            return Err(ParametersError::DomainOrder { id: pair[1].id });
        }
    }
    Ok(())
}

/// One key per domain, in domain order, each on its domain's curve.
pub fn check_keyset(domains: &[DomainConfig], keyset: &Keyset) -> Result<(), ParametersError> {
    if keyset.domains.len() != domains.len() {
        return Err(ParametersError::KeysetDomains);
    }
    for (domain, key) in domains.iter().zip(&keyset.domains) {
        if domain.id != key.domain_id {
            return Err(ParametersError::KeysetDomains);
        }
        if domain.scheme != key.public_key.scheme() {
            return Err(ParametersError::SchemeMismatch {
                domain_id: domain.id,
                expected: domain.scheme,
                actual: key.public_key.scheme(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/validation.rs"]
mod tests;
