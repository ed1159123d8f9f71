//! Access keys as NEAR models them: a full-access key may do anything on its account; a
//! function-call key may only call the listed methods (any method when the list is empty) of
//! one receiver, attaches no deposit, and spends an allowance on gas.

use crate::errors::TransactionError;
use crate::transaction::{Action, Transaction};
use crate::GAS_PRICE;

/// Newly added keys start at `(block height - 1) * ACCESS_KEY_NONCE_RANGE_MULTIPLIER`, and a
/// transaction's nonce must stay below `block height * ACCESS_KEY_NONCE_RANGE_MULTIPLIER`
/// (NEAR's `AccessKeyNonceRange`).
pub const ACCESS_KEY_NONCE_RANGE_MULTIPLIER: u64 = 1_000_000;

/// What a key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessKeyPermission {
    FullAccess,
    FunctionCall(FunctionCallPermission),
}

/// A function-call key's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionCallPermission {
    /// yoctoNEAR the key may still spend on gas; `None` is unlimited.
    pub allowance: Option<u128>,
    /// The only account the key may call.
    pub receiver_id: String,
    /// The methods it may call; empty means every method, as on NEAR.
    pub method_names: Vec<String>,
}

/// A key an account holds, with the nonce of the last transaction it signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub nonce: u64,
    pub permission: AccessKeyPermission,
}

impl AccessKey {
    pub fn full_access() -> AccessKey {
        AccessKey { nonce: 0, permission: AccessKeyPermission::FullAccess }
    }

    /// A function-call key for `methods` of `receiver_id`.
    pub fn function_call(
        receiver_id: &str,
        methods: impl IntoIterator<Item = impl Into<String>>,
        allowance: Option<u128>,
    ) -> AccessKey {
        AccessKey {
            nonce: 0,
            permission: AccessKeyPermission::FunctionCall(FunctionCallPermission {
                allowance,
                receiver_id: receiver_id.to_owned(),
                method_names: methods.into_iter().map(Into::into).collect(),
            }),
        }
    }

    pub fn is_full_access(&self) -> bool {
        self.permission == AccessKeyPermission::FullAccess
    }
}

/// What a transaction costs the signer's key in allowance: its prepaid gas at [`GAS_PRICE`]
/// plus its deposits (a simplification of NEAR's `total_cost`: the fee of turning the
/// transaction into a receipt is not counted).
pub fn transaction_cost(tx: &Transaction) -> u128 {
    tx.actions
        .iter()
        .map(|action| match action {
            Action::FunctionCall { gas, deposit, .. } => u128::from(*gas) * GAS_PRICE + deposit,
            Action::Transfer { deposit } => *deposit,
            _ => 0,
        })
        .sum()
}

/// Checks that `key` may sign `tx` (NEAR's `verify_access_key_permission` and the allowance
/// charge); on success returns the allowance left, if the key has one.
pub fn check_permission(key: &AccessKey, tx: &Transaction) -> Result<Option<u128>, TransactionError> {
    let AccessKeyPermission::FunctionCall(permission) = &key.permission else {
        return Ok(None);
    };
    let cost = transaction_cost(tx);
    let allowance = match permission.allowance {
        Some(allowance) => Some(allowance.checked_sub(cost).ok_or(TransactionError::NotEnoughAllowance {
            public_key: tx.public_key.to_string(),
            allowance,
            cost,
        })?),
        None => None,
    };
    let [Action::FunctionCall { method, deposit, .. }] = tx.actions.as_slice() else {
        return Err(TransactionError::RequiresFullAccess {
            public_key: tx.public_key.to_string(),
            actions: tx.actions.iter().map(Action::kind).collect::<Vec<_>>().join(", "),
        });
    };
    if *deposit > 0 {
        return Err(TransactionError::DepositWithFunctionCall {
            public_key: tx.public_key.to_string(),
            deposit: *deposit,
        });
    }
    if tx.receiver_id != permission.receiver_id {
        return Err(TransactionError::ReceiverMismatch {
            public_key: tx.public_key.to_string(),
            receiver_id: tx.receiver_id.clone(),
            allowed: permission.receiver_id.clone(),
        });
    }
    if !permission.method_names.is_empty() && !permission.method_names.iter().any(|m| m == method) {
        return Err(TransactionError::MethodNameMismatch {
            public_key: tx.public_key.to_string(),
            method: method.clone(),
            allowed: permission.method_names.clone(),
        });
    }
    Ok(allowance)
}
