//! The binary's contract client: NEAR JSON-RPC (`contract_client::RpcClient`),
//! signing as the operator account with the service's own access key.

use crate::keys::{self, KeyError};
use contract_client::{ClientError, ContractClient, Credentials, RpcClient, RpcConfig};
use mpc_interface::AccountId;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RpcSetupError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("no operator account: pass --operator, or generate the keys with --operator so access_key.json names it")]
    NoOperator,
    #[error("--operator is {given}, but {file} was generated for {listed}")]
    OperatorMismatch { given: AccountId, listed: AccountId, file: String },
    #[error("RPC client: {0}")]
    Client(#[from] ClientError),
}

/// The operator account: `--operator`, or the one the access-key file names;
/// both must agree when both are given.
pub fn operator_account(access_key_file: &Path, given: Option<&AccountId>) -> Result<AccountId, RpcSetupError> {
    let (_, listed) = keys::load_access_key(access_key_file)?;
    match (given, listed) {
        (Some(given), Some(listed)) if *given != listed => Err(RpcSetupError::OperatorMismatch {
            given: given.clone(),
            listed,
            file: access_key_file.display().to_string(),
        }),
        (Some(given), _) => Ok(given.clone()),
        (None, Some(listed)) => Ok(listed),
        (None, None) => Err(RpcSetupError::NoOperator),
    }
}

/// A client for `contract` at `rpc_url`, signing as `operator` with the
/// access key in `access_key_file`.
pub fn connect(
    rpc_url: &str,
    contract: &AccountId,
    access_key_file: &Path,
    operator: AccountId,
) -> Result<Arc<dyn ContractClient>, RpcSetupError> {
    let secret_key = keys::load_access_secret_key(access_key_file)?;
    let credentials = Credentials::new(operator, secret_key);
    let client = RpcClient::new(RpcConfig::new(rpc_url, contract.clone()), credentials)?;
    Ok(Arc::new(client))
}
