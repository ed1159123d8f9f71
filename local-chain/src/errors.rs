//! Why the chain refused a transaction (before executing anything: nothing changed, the nonce
//! was not used) or why an action failed (the receipt's changes are undone, the nonce is used).

/// A transaction the chain refused outright, as NEAR's `InvalidTxError`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("signer account {0} does not exist")]
    SignerDoesNotExist(String),
    #[error("account {account} holds no access key {public_key}")]
    AccessKeyNotFound { account: String, public_key: String },
    #[error(
        "nonce {tx_nonce} of the transaction signed by {public_key} is not above the key's nonce {key_nonce} (replay?)"
    )]
    InvalidNonce { public_key: String, tx_nonce: u64, key_nonce: u64 },
    #[error("nonce {tx_nonce} is too large: at block {block_height} it must be below {upper_bound}")]
    NonceTooLarge { tx_nonce: u64, block_height: u64, upper_bound: u64 },
    #[error("a transaction needs at least one action")]
    NoActions,
    #[error("function-call key {public_key} may not sign {actions}: it signs exactly one FunctionCall")]
    RequiresFullAccess { public_key: String, actions: String },
    #[error("function-call key {public_key} cannot attach a deposit ({deposit} yoctoNEAR)")]
    DepositWithFunctionCall { public_key: String, deposit: u128 },
    #[error("function-call key {public_key} may call only {allowed}, not {receiver_id}")]
    ReceiverMismatch { public_key: String, receiver_id: String, allowed: String },
    #[error("function-call key {public_key} may not call `{method}` (it allows {allowed:?})")]
    MethodNameMismatch { public_key: String, method: String, allowed: Vec<String> },
    #[error(
        "function-call key {public_key} has {allowance} yoctoNEAR of allowance left, the transaction costs {cost}"
    )]
    NotEnoughAllowance { public_key: String, allowance: u128, cost: u128 },
    #[error("account {account} has {balance} yoctoNEAR, the transaction needs {cost}")]
    NotEnoughBalance { account: String, balance: u128, cost: u128 },
}

/// An action that failed while its receipt executed, as NEAR's `ActionErrorKind`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("account {0} does not exist")]
    AccountDoesNotExist(String),
    #[error("account {account} has no contract deployed (`{method}` cannot run)")]
    NoContract { account: String, method: String },
    #[error("{actor} may not {action} on account {account}: only the account itself may")]
    ActorNoPermission { actor: String, account: String, action: &'static str },
    #[error("account {account} already holds access key {public_key}")]
    AddKeyAlreadyExists { account: String, public_key: String },
    #[error("account {account} holds no access key {public_key} to delete")]
    DeleteKeyDoesNotExist { account: String, public_key: String },
    /// The contract call failed; the message is exactly the contract's (see
    /// [`Failure::message`](crate::Failure::message)).
    #[error("{0}")]
    FunctionCall(String),
    #[error("local-chain does not model {0} actions created by a contract")]
    Unsupported(String),
}
