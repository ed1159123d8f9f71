//! Caller checks shared by the entry points.

use crate::errors::{CallerError, Error};
use near_sdk::{env, AccountId};

/// The calling account, refusing calls forwarded through another contract.
pub fn direct_caller() -> Result<AccountId, Error> {
    let predecessor = env::predecessor_account_id();
    let signer = env::signer_account_id();
    if predecessor != signer {
        return Err(CallerError::Forwarded {
            predecessor,
            signer,
        }
        .into());
    }
    Ok(predecessor)
}

/// A node method: direct caller, no deposit (function-call keys cannot attach one).
pub fn node_caller(method: &'static str) -> Result<AccountId, Error> {
    let caller = direct_caller()?;
    let attached = env::attached_deposit().as_yoctonear();
    if attached != 0 {
        return Err(CallerError::DepositNotAccepted { method, attached }.into());
    }
    Ok(caller)
}
