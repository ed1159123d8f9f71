//! Checks of proposed parameters, domains and keysets. The shape checks need
//! nothing stored; the checks against the current set read one record per
//! participant and so run only when a proposal is first seen and when it wins.

use crate::errors::{Error, ParametersError};
use crate::storage::registry::Registry;
use mpc_interface::constants::{MAX_DOMAINS, MAX_PARTICIPANTS};
use mpc_interface::primitives::{DomainConfig, Keyset, ParticipantInfo, ThresholdParameters};
use near_sdk::AccountId;
use std::collections::BTreeSet;

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
    let (mut accounts, mut ids, mut keys) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for p in &parameters.participants {
        if !accounts.insert(&p.account_id) {
            return Err(ParametersError::DuplicateAccount { account_id: p.account_id.clone() });
        }
        if !ids.insert(p.id) {
            return Err(ParametersError::DuplicateId { id: p.id });
        }
        if !keys.insert(p.info.tls_public_key) {
            return Err(ParametersError::DuplicateTlsKey { key: p.info.tls_public_key });
        }
        check_info(&p.account_id, &p.info)?;
    }
    Ok(())
}

/// A node's details: its URL is `http(s)://host:port[/path]` and bounded.
pub fn check_info(account_id: &AccountId, info: &ParticipantInfo) -> Result<(), ParametersError> {
    mpc_interface::url::check_url(&info.url)
        .map_err(|reason| ParametersError::BadUrl { account_id: account_id.clone(), reason })
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
