//! Caller checks shared by the entry points.

use crate::errors::{CallerError, Error, RecoveryError};
use crate::state::Signer;
use mpc_interface::keys::AccessPublicKey;
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

/// A node method: direct caller, no deposit (function-call keys cannot attach one).
pub fn node_caller(method: &'static str) -> Result<AccountId, Error> {
    let caller = direct_caller()?;
    let attached = env::attached_deposit().as_yoctonear();
    if attached != 0 {
        return Err(CallerError::DepositNotAccepted { method, attached }.into());
    }
    Ok(caller)
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
