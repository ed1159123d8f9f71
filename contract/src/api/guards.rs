//! Caller, deposit and argument checks shared by the entry points, and the
//! storage metering that makes non-participants pay for their bytes.

use crate::errors::{CallerError, Error, LaunchError, RecoveryError, StorageDepositError};
use crate::state::Signer;
use crate::storage::ledger::{StorageAccount, StorageLedger};
use crate::storage::raw::RawIterableMap;
use crate::storage::registry::Registry;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::OPERATOR_DEPOSIT;
use mpc_interface::primitives::EpochId;
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
pub fn signer() -> Result<Signer, Error> {
    let account_id = direct_caller()?;
    let public_key = AccessPublicKey::from_runtime_bytes(env::signer_account_pk().as_bytes())
        .ok_or(RecoveryError::UnreadableSignerKey)?;
    Ok(Signer { account_id, public_key, deposit: env::attached_deposit().as_yoctonear() })
}

/// A method only a function-call key calls: refuses a deposit.
pub fn node_signer(method: &'static str) -> Result<Signer, Error> {
    let signer = signer()?;
    if signer.deposit != 0 {
        return Err(CallerError::DepositNotAccepted { method, attached: signer.deposit }.into());
    }
    Ok(signer)
}

/// A method only a full-access key calls: requires a deposit.
pub fn operator_signer(method: &'static str) -> Result<Signer, Error> {
    let signer = signer()?;
    if !signer.is_operator() {
        return Err(CallerError::DepositRequired { method }.into());
    }
    Ok(signer)
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

/// A vote from a node: as `node_signer`, and signed with the node key the
/// contract recorded for the account, if one is recorded.
pub fn node_voter(registry: &Registry, method: &'static str) -> Result<AccountId, Error> {
    let signer = node_signer(method)?;
    registry.node_keys.ensure(method, &signer.account_id, &signer.public_key)?;
    Ok(signer.account_id)
}

/// The block's time in Unix seconds (attestation expiry is in seconds).
pub fn block_seconds() -> u64 {
    env::block_timestamp() / 1_000_000_000
}

/// The largest verifier answer read: a report is about 1 kB, advisories included.
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
