//! NEP-145 storage management: an account that is not a participant pays for
//! the bytes the contract keeps for it (its candidacy, its backup service).
//! The operator deposits with a full-access key; the node's own calls draw on
//! that balance. Implemented here rather than with near-contract-standards'
//! `StorageManagement` trait: the trait's methods cannot return this
//! contract's typed `[Code]` errors and their arguments cannot refuse unknown
//! fields; the JSON interface is the standard's.

use super::guards::{
    byte_price, direct_caller, ledger_record_bytes, no_arguments, one_yocto, pay_for_storage, StorageMeter,
};
use crate::errors::{Error, StorageDepositError};
use crate::state::candidates;
use crate::storage::ledger::StorageAccount;
use crate::{MpcContract, MpcContractExt};
use mpc_interface::methods::{STORAGE_BALANCE_BOUNDS, STORAGE_UNREGISTER, STORAGE_WITHDRAW};
use mpc_interface::primitives::EpochId;
use mpc_interface::storage::{StorageBalance, StorageBalanceBounds};
use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId, NearToken};

/// The longest NEAR account id: a registration never needs more than for it.
const LONGEST_ACCOUNT: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[near]
impl MpcContract {
    /// Adds the attached deposit to `account_id`'s storage balance (the
    /// caller's when absent). A first deposit must cover the balance's own
    /// record; with `registration_only` only that is kept and the rest refunded.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn storage_deposit(
        &mut self,
        account_id: Option<AccountId>,
        registration_only: Option<bool>,
    ) -> Result<StorageBalance, Error> {
        let caller = direct_caller()?;
        let account_id = account_id.unwrap_or_else(|| caller.clone());
        let attached = env::attached_deposit().as_yoctonear();
        let registration_only = registration_only.unwrap_or(false);
        let price = byte_price();
        let (account, excess) = match self.ledger.get(&account_id) {
            Some(account) if registration_only => (account, attached),
            Some(account) => (StorageAccount { deposit: account.deposit + attached, ..account }, 0),
            None => {
                let meter = StorageMeter::start();
                self.ledger.set(&account_id, StorageAccount::default());
                let record_bytes = meter.bytes().max(0) as u64;
                let min = u128::from(record_bytes) * price;
                if attached < min {
                    return Err(StorageDepositError::BelowMinimum { account_id, attached, min }.into());
                }
                let deposit = if registration_only { min } else { attached };
                (StorageAccount { deposit, record_bytes, ..Default::default() }, attached - deposit)
            }
        };
        self.ledger.set(&account_id, account);
        if excess > 0 {
            refund(&caller, excess);
        }
        Ok(self.balance_view(&account_id, &account))
    }

    /// Sends `amount` (all that is available when absent) of the caller's
    /// storage balance back to it. A candidacy that a completed resharing left
    /// out is deleted first, which frees its bytes. Exactly 1 yoctoNEAR.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn storage_withdraw(&mut self, amount: Option<U128>) -> Result<StorageBalance, Error> {
        let caller = one_yocto(STORAGE_WITHDRAW)?;
        let mut account =
            self.ledger.get(&caller).ok_or(StorageDepositError::NotRegisteredAccount { account_id: caller.clone() })?;
        let live = self.settle(&caller, &mut account);
        let available = account.available(live, byte_price());
        let requested = amount.map_or(available, |a| a.0);
        if requested > available {
            return Err(StorageDepositError::WithdrawTooMuch { requested, available }.into());
        }
        account.deposit -= requested;
        self.ledger.set(&caller, account);
        if requested > 0 {
            refund(&caller, requested);
        }
        Ok(self.balance_view(&caller, &account))
    }

    /// Closes the caller's storage balance and refunds all of it; false if it
    /// had none. A live candidacy must be withdrawn first, or `force` deletes
    /// it. Exactly 1 yoctoNEAR.
    #[payable]
    #[handle_result]
    #[deny_unknown_arguments]
    pub fn storage_unregister(&mut self, force: Option<bool>) -> Result<bool, Error> {
        let caller = one_yocto(STORAGE_UNREGISTER)?;
        let Some(mut account) = self.ledger.get(&caller) else {
            return Ok(false);
        };
        if self.settle(&caller, &mut account) {
            if !force.unwrap_or(false) {
                return Err(StorageDepositError::InUse { account_id: caller }.into());
            }
            let step = candidates::withdraw(&mut self.registry, &mut self.services, &caller)?;
            self.apply(step);
        }
        self.ledger.remove(&caller);
        if account.deposit > 0 {
            refund(&caller, account.deposit);
        }
        Ok(true)
    }

    #[deny_unknown_arguments]
    pub fn storage_balance_of(&self, account_id: AccountId) -> Option<StorageBalance> {
        self.ledger.get(&account_id).map(|account| self.balance_view(&account_id, &account))
    }

    /// `min` covers the balance record of the longest account id; there is no `max`.
    #[handle_result]
    pub fn storage_balance_bounds(&self) -> Result<StorageBalanceBounds, Error> {
        no_arguments(STORAGE_BALANCE_BOUNDS)?;
        let longest: AccountId = LONGEST_ACCOUNT.parse().expect("a valid account id");
        Ok(StorageBalanceBounds { min: u128::from(ledger_record_bytes(&longest)) * byte_price(), max: None })
    }
}

impl MpcContract {
    /// Makes `account_id` pay for the bytes stored since `meter` started,
    /// unless it is a participant (participants' calls are free).
    pub(crate) fn charge_storage(
        &mut self,
        account_id: &AccountId,
        meter: &StorageMeter,
        candidacy: Option<EpochId>,
    ) -> Result<(), Error> {
        if self.registry.participants.contains(account_id) {
            return Ok(());
        }
        pay_for_storage(&mut self.ledger, account_id, meter, candidacy)
    }

    /// A candidacy that a completed resharing left out (its epoch has passed).
    fn stale(&self, account: &StorageAccount) -> bool {
        account.candidate && self.protocol.epoch().is_some_and(|current| account.candidacy_epoch < current)
    }

    /// Whether `account` still pays for a candidacy: not once the account is a
    /// participant, and not once a resharing completed without it.
    fn candidacy_live(&self, account_id: &AccountId, account: &StorageAccount) -> bool {
        account.bytes > 0 && !self.stale(account) && !self.registry.participants.contains(account_id)
    }

    /// Releases what `account_id` no longer pays for (deleting a stale
    /// candidacy); returns whether a live candidacy remains.
    fn settle(&mut self, account_id: &AccountId, account: &mut StorageAccount) -> bool {
        if self.candidacy_live(account_id, account) {
            return true;
        }
        if self.stale(account) && !self.registry.participants.contains(account_id) {
            if let Ok(step) = candidates::withdraw(&mut self.registry, &mut self.services, account_id) {
                self.apply(step);
            }
        }
        account.bytes = 0;
        account.candidate = false;
        false
    }

    fn balance_view(&self, account_id: &AccountId, account: &StorageAccount) -> StorageBalance {
        let live = self.candidacy_live(account_id, account);
        StorageBalance { total: account.deposit, available: account.available(live, byte_price()) }
    }
}

/// Sends `amount` to `account_id` (a transfer receipt, through the host
/// functions directly: near-sdk's `Promise` costs kilobytes of wasm).
fn refund(account_id: &AccountId, amount: u128) {
    let promise = env::promise_batch_create(account_id);
    env::promise_batch_action_transfer(promise, NearToken::from_yoctonear(amount));
}
