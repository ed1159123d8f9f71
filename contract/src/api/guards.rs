//! Caller checks shared by the entry points.

use crate::errors::{CallerError, Error, RecoveryError};
use crate::state::Signer;
use crate::storage::registry::Registry;
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

/// A vote from a node: as `node_signer`, and signed with the node key the
/// contract recorded for the account, if one is recorded.
pub fn node_voter(registry: &Registry, method: &'static str) -> Result<AccountId, Error> {
    let signer = node_signer(method)?;
    registry.node_keys.ensure(method, &signer.account_id, &signer.public_key)?;
    Ok(signer.account_id)
}
