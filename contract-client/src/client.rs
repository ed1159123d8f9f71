use async_trait::async_trait;
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use mpc_interface::errors::ErrorCode;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::Role;
use mpc_interface::AccountId;
use serde_json::Value;
use std::sync::Arc;

/// Who a client signs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    pub account_id: AccountId,
    pub public_key: AccessPublicKey,
}

/// A function call that succeeded on chain.
#[derive(Clone, Debug, Default)]
pub struct CallOutcome {
    /// The method's return value (JSON bytes, possibly empty).
    pub value: Vec<u8>,
    pub logs: Vec<String>,
    pub gas_burnt: u64,
    /// The transaction hash, where there is a chain.
    pub transaction: Option<String>,
}

impl CallOutcome {
    /// The NEP-297 events the call emitted.
    pub fn events(&self) -> Vec<Value> {
        self.logs
            .iter()
            .filter_map(|log| log.strip_prefix("EVENT_JSON:"))
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The contract refused the call (or the view); retrying will not help.
    /// `code` is the contract's error code when the message carries one.
    #[error("the contract refused `{method}`: {message}")]
    Contract { method: String, code: Option<ErrorCode>, message: String },
    /// The endpoint could not be reached or answered something unusable;
    /// the call may or may not have been submitted. Retrying is safe for
    /// views and for the contract's idempotent votes.
    #[error("RPC endpoint {endpoint}: {reason}")]
    Rpc { endpoint: String, reason: String },
    /// A view's answer did not decode as the expected type.
    #[error("`{method}` returned data that does not decode: {reason}")]
    Decode { method: String, reason: String },
    /// The signing key could not be loaded or used.
    #[error("signing key: {0}")]
    Key(String),
    /// The call was not sent: the method table does not let `role` call `method`.
    #[error("`{method}` is not a {role:?} method: the contract would refuse it, so it was not sent")]
    Role { method: String, role: Role },
}

impl ClientError {
    pub fn contract(method: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ClientError::Contract { method: method.to_owned(), code: ErrorCode::find_in(&message), message }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ClientError::Rpc { .. })
    }
}

/// A connection to the contract that signs as one identity.
#[async_trait]
pub trait ContractClient: Send + Sync {
    fn signer(&self) -> &Signer;

    /// Calls a view method; returns its JSON bytes.
    async fn view_raw(&self, method: &str, args: Value) -> Result<Vec<u8>, ClientError>;

    /// Signs and submits a function call and waits for its final outcome.
    /// `args` are encoded already, as the method's row of the table says
    /// ([`mpc_interface::args::ChangeArgs::encode`]).
    /// Returns `Err(ClientError::Contract)` if it failed on chain.
    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError>;
}

/// A shared client is a client (so wrappers such as [`crate::Intercept`] take one).
#[async_trait]
impl<C: ContractClient + ?Sized> ContractClient for Arc<C> {
    fn signer(&self) -> &Signer {
        (**self).signer()
    }

    async fn view_raw(&self, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        (**self).view_raw(method, args).await
    }

    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        (**self).call_raw(method, args, deposit, gas).await
    }
}
