//! Caller, deposit and argument checks shared by the entry points, and the
//! storage metering that makes non-participants pay for their bytes.

use crate::errors::{CallerError, Error, LaunchError, RecoveryError, StorageDepositError};
use crate::state::recovery::{Canceller, Entrant};
use crate::state::Caller;
use crate::state::RecoveryState;
use crate::storage::ledger::{StorageAccount, StorageLedger};
use crate::storage::raw::RawIterableMap;
use crate::storage::registry::Registry;
use crate::storage::services::ServiceRegistry;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{
    CANCEL_RECOVERY, CONCLUDE_RECOVERY, OPERATOR_DEPOSIT, PUBLISH_BACKUP_EPHEMERAL_KEY, SUBMIT_PARTICIPANT_INFO,
};
use mpc_interface::primitives::{EpochId, Participant, ThresholdParameters};
use mpc_interface::storage::MAX_PAGE_LIMIT;
use near_sdk::{env, AccountId};

/// The calling account, refusing calls forwarded through another contract.
pub fn direct_caller() -> Result<AccountId, Error> {
    let predecessor = env::predecessor_account_id();
    let signer = env::signer_account_id();
    if predecessor != signer {
        return Err(CallerError::Forwarded { predecessor, signer }.into());
    }
    Ok(predecessor)
}

/// The direct caller with the key it signed with and what it attached.
pub fn caller() -> Result<Caller, Error> {
    let account_id = direct_caller()?;
    let public_key = AccessPublicKey::from_runtime_bytes(env::signer_account_pk().as_bytes())
        .ok_or(RecoveryError::UnreadableSignerKey)?;
    Ok(Caller { account_id, public_key, deposit: env::attached_deposit().as_yoctonear() })
}

/// A deposit of at least 1 yoctoNEAR: only a full-access key can attach one.
fn is_operator(caller: &Caller) -> bool {
    caller.deposit >= 1
}

/// A method only a function-call key calls: refuses a deposit.
pub fn node_caller(method: &'static str) -> Result<Caller, Error> {
    let caller = caller()?;
    if caller.deposit != 0 {
        return Err(CallerError::DepositNotAccepted { method, attached: caller.deposit }.into());
    }
    Ok(caller)
}

/// A method only a full-access key calls: requires a deposit.
pub fn operator_caller(method: &'static str) -> Result<Caller, Error> {
    let caller = caller()?;
    if !is_operator(&caller) {
        return Err(CallerError::DepositRequired { method }.into());
    }
    Ok(caller)
}

/// A method a node's function-call key or its operator's full-access key
/// calls: any deposit is accepted (none is kept).
pub fn node_or_operator_caller() -> Result<AccountId, Error> {
    direct_caller()
}

/// NEP-145 `storage_withdraw` and `storage_unregister`: exactly 1 yoctoNEAR,
/// so only a full-access key can move a balance.
pub fn one_yocto(method: &'static str) -> Result<AccountId, Error> {
    let caller = direct_caller()?;
    let attached = env::attached_deposit().as_yoctonear();
    if attached != OPERATOR_DEPOSIT {
        return Err(CallerError::ExactlyOneYocto { method, attached }.into());
    }
    Ok(caller)
}

/// Refuses an argument object on a method that takes none (near-sdk does not
/// read the input of such a method, so it would pass unseen).
pub fn no_arguments(method: &'static str) -> Result<(), Error> {
    let input = env::input().unwrap_or_default();
    let trimmed = input.trim_ascii();
    if trimmed.is_empty() || is_empty_object(trimmed) {
        return Ok(());
    }
    Err(StorageDepositError::UnexpectedArguments { method, bytes: trimmed.len() }.into())
}

fn is_empty_object(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'{') && bytes.last() == Some(&b'}') && bytes[1..bytes.len() - 1].trim_ascii().is_empty()
}

/// A page of an open-ended view: `limit` entries (from 1 to
/// [`MAX_PAGE_LIMIT`], the maximum when absent) from `from_index` (default 0).
pub fn page<V: borsh::BorshSerialize + borsh::BorshDeserialize>(
    map: &RawIterableMap<AccountId, V>,
    from_index: Option<u32>,
    limit: Option<u32>,
) -> Result<Vec<(AccountId, V)>, Error> {
    let limit = match limit.unwrap_or(MAX_PAGE_LIMIT) {
        limit @ 1..=MAX_PAGE_LIMIT => limit as usize,
        limit => return Err(StorageDepositError::PageLimit { limit, max: MAX_PAGE_LIMIT }.into()),
    };
    let from = from_index.unwrap_or(0);
    let keys = (from..map.len()).take(limit).filter_map(|index| map.key_at(index));
    Ok(keys
        .map(|account_id| {
            let value = map.get(&account_id).expect("a listed key has a value");
            (account_id, value)
        })
        .collect())
}

/// Measures the bytes a call stores, from its start to [`StorageMeter::bytes`].
pub struct StorageMeter(u64);

impl StorageMeter {
    pub fn start() -> Self {
        Self(env::storage_usage())
    }

    /// Bytes stored since the start (negative if freed); the collections
    /// write through, so every record is counted.
    pub fn bytes(&self) -> i64 {
        env::storage_usage() as i64 - self.0 as i64
    }
}

/// The price of one byte of storage, in yoctoNEAR.
pub fn byte_price() -> u128 {
    env::storage_byte_cost().as_yoctonear()
}

/// A non-participant pays for the bytes its call stored: refused (and so
/// undone) when its storage balance does not cover them.
pub fn pay_for_storage(
    ledger: &mut StorageLedger,
    account_id: &AccountId,
    meter: &StorageMeter,
    candidacy: Option<EpochId>,
) -> Result<(), Error> {
    let registration = ledger_record_bytes(account_id);
    ledger.charge(account_id, meter.bytes(), byte_price(), candidacy, registration).map_err(Into::into)
}

/// What the ledger record of `account_id` takes: the key (prefix and borsh
/// account id), the value and NEAR's per-record overhead. Used only to tell an
/// unregistered account how much to deposit; registrations are measured.
pub fn ledger_record_bytes(account_id: &AccountId) -> u64 {
    const RECORD_OVERHEAD: u64 = 40;
    let value = borsh::object_length(&StorageAccount::default()).expect("borsh length of a record") as u64;
    RECORD_OVERHEAD + 1 + 4 + account_id.len() as u64 + value
}

/// A vote from a node: as `node_caller`, and signed with the node key the
/// contract recorded for the account, if one is recorded.
pub fn node_voter(registry: &Registry, method: &'static str) -> Result<AccountId, Error> {
    let caller = node_caller(method)?;
    registry.node_keys.ensure(method, &caller.account_id, &caller.public_key)?;
    Ok(caller.account_id)
}

/// A member of the participant set in charge: `vote_pk`,
/// `vote_cancel_resharing`, `publish_backup_ephemeral_key`.
pub fn participant(registry: &Registry, account_id: &AccountId) -> Result<(), Error> {
    if !registry.participants.contains(account_id) {
        return Err(CallerError::NotParticipant { account_id: account_id.clone() }.into());
    }
    Ok(())
}

/// `vote_reshared`: a member of the set a running resharing moves to, which
/// is returned.
pub fn proposal_participant(registry: &Registry, account_id: &AccountId) -> Result<ThresholdParameters, Error> {
    let proposal = registry.pending_parameters.get(&()).expect("resharing keeps its proposal");
    if proposal.participant(account_id).is_none() {
        return Err(CallerError::NotInProposal { account_id: account_id.clone() }.into());
    }
    Ok(proposal)
}

/// `register_backup_service`: a participant or a candidate.
pub fn participant_or_candidate(registry: &Registry, account_id: &AccountId) -> Result<(), Error> {
    if !registry.participants.contains(account_id) && !registry.candidates.contains_key(account_id) {
        return Err(RecoveryError::NotParticipantOrCandidate { account_id: account_id.clone() }.into());
    }
    Ok(())
}

/// `submit_participant_info` from a participant: signed with its recorded
/// node key, if one is recorded. Returns the participant; none for anyone
/// else (a candidate's or newcomer's signing key becomes its node key).
pub fn refreshing_participant(registry: &Registry, caller: &Caller) -> Result<Option<Participant>, Error> {
    let Some(participant) = registry.participants.get(&caller.account_id) else {
        return Ok(None);
    };
    registry.node_keys.ensure(SUBMIT_PARTICIPANT_INFO, &caller.account_id, &caller.public_key)?;
    Ok(Some(participant))
}

/// `submit_participant_recovery_info`: a participant. Its operator (a
/// deposit, so a full-access key) must name the new node's access key and the
/// recovery is approved at entry; its node (no deposit) is the new node: its
/// signing key acts for the new machine (`named` may repeat it, not replace it).
pub fn recovery_entrant(
    registry: &Registry,
    caller: &Caller,
    named: Option<AccessPublicKey>,
) -> Result<Entrant, Error> {
    let account_id = &caller.account_id;
    let participant = registry
        .participants
        .get(account_id)
        .ok_or_else(|| CallerError::NotParticipant { account_id: account_id.clone() })?;
    let approved = is_operator(caller);
    let new_signer = match (approved, named) {
        (true, Some(key)) => key,
        (true, None) => return Err(RecoveryError::NodeKeyRequired.into()),
        (false, Some(given)) if given != caller.public_key => {
            return Err(RecoveryError::NodeKeyNotSigner { given, signer: caller.public_key }.into())
        }
        (false, _) => caller.public_key,
    };
    Ok(Entrant {
        account_id: account_id.clone(),
        tls_public_key: participant.info.tls_public_key,
        new_signer,
        approved,
    })
}

/// `cancel_recovery`: the recovering account may cancel only from its
/// operator's full-access key (a deposit); any other caller is a participant
/// voting with its recorded node key.
pub fn recovery_canceller(registry: &Registry, caller: &Caller, recovering: &AccountId) -> Result<Canceller, Error> {
    let account_id = &caller.account_id;
    if account_id == recovering {
        if !is_operator(caller) {
            return Err(CallerError::DepositRequired { method: CANCEL_RECOVERY }.into());
        }
        return Ok(Canceller::Operator);
    }
    participant(registry, account_id)?;
    registry.node_keys.ensure(CANCEL_RECOVERY, account_id, &caller.public_key)?;
    Ok(Canceller::Voter(account_id.clone()))
}

/// `approve_recovery`: only the recovering account (its operator: the entry
/// point takes `operator_caller`).
pub fn recovery_approver(recovery: &RecoveryState, caller: &Caller) -> Result<(), Error> {
    recovering_account(recovery, &caller.account_id, "approve")
}

/// `confirm_recovery_delivery`: only the recovering account's backup service,
/// signing with the key it registered.
pub fn recovery_backup_service(
    recovery: &RecoveryState,
    services: &ServiceRegistry,
    caller: &Caller,
) -> Result<(), Error> {
    let account_id = &caller.account_id;
    recovering_account(recovery, account_id, "confirm delivery for")?;
    services.signed_by(caller)?;
    Ok(())
}

/// `conclude_recovery`: only the recovering account's new node, signing with
/// the key the recovery named.
pub fn recovery_new_node(recovery: &RecoveryState, caller: &Caller) -> Result<(), Error> {
    recovering_account(recovery, &caller.account_id, "conclude")?;
    if caller.public_key != recovery.new_signer {
        return Err(RecoveryError::WrongSignerKey {
            method: CONCLUDE_RECOVERY,
            expected: recovery.new_signer,
            actual: caller.public_key,
        }
        .into());
    }
    Ok(())
}

fn recovering_account(recovery: &RecoveryState, caller: &AccountId, action: &'static str) -> Result<(), Error> {
    if caller != &recovery.account_id {
        return Err(RecoveryError::NotRecoveringAccount {
            recovering: recovery.account_id.clone(),
            caller: caller.clone(),
            action,
        }
        .into());
    }
    Ok(())
}

/// `publish_backup_ephemeral_key`: which side publishes, told by the signing
/// key: the backup service's registered key (true), or the node (false): its
/// recorded node key for a backup session, the recovery's new node key for a
/// recovery session (`recovery`). Any other key of the account is refused.
pub fn ephemeral_key_publisher(
    registry: &Registry,
    services: &ServiceRegistry,
    caller: &Caller,
    recovery: Option<&RecoveryState>,
) -> Result<bool, Error> {
    let account_id = &caller.account_id;
    if services.is_service_key(caller) {
        return Ok(true);
    }
    match recovery {
        None => registry.node_keys.require(PUBLISH_BACKUP_EPHEMERAL_KEY, account_id, &caller.public_key)?,
        Some(recovery) if caller.public_key != recovery.new_signer => {
            return Err(RecoveryError::WrongSignerKey {
                method: PUBLISH_BACKUP_EPHEMERAL_KEY,
                expected: recovery.new_signer,
                actual: caller.public_key,
            }
            .into())
        }
        Some(_) => {}
    }
    Ok(false)
}

/// The block's time in Unix seconds (attestation expiry is in seconds).
pub fn block_seconds() -> u64 {
    env::block_timestamp() / 1_000_000_000
}

/// The largest verifier answer read: a report is about 400 bytes of borsh, advisories included.
const MAX_REPORT_BYTES: usize = 16 * 1024;

/// The verifier's answer, read from the callback's one promise result:
/// refused if the verifier failed (it refused the quote).
pub fn verifier_answer() -> Result<Vec<u8>, Error> {
    if env::promise_results_count() != 1 {
        return Err(LaunchError::UnreadableReport { reason: "expected one promise result" }.into());
    }
    env::promise_result_checked(0, MAX_REPORT_BYTES).map_err(|e| {
        match e {
            near_sdk::PromiseError::Failed => LaunchError::VerifierFailed,
            _ => LaunchError::UnreadableReport { reason: "longer than 16 kB" },
        }
        .into()
    })
}

#[cfg(test)]
#[path = "tests/guards.rs"]
mod tests;
