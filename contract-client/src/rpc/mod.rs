//! [`ContractClient`] over a NEAR JSON-RPC endpoint (mainnet, testnet, a
//! local sandbox) with nearcore's own crates: `near-jsonrpc-client` speaks the
//! protocol, `near-primitives` builds and hashes the transaction and
//! `near-crypto` signs it. Views are `query` / `call_function` at `final`
//! finality; calls take the nonce and a recent final block hash from one
//! `view_access_key` query and are sent with `send_tx` (`wait_until: FINAL`),
//! falling back to `broadcast_tx_commit` on nodes that predate `send_tx`.
//!
//! How answers map to [`ClientError`]:
//!
//! | answer | error |
//! |---|---|
//! | a view's `error` (old nodes) or `CONTRACT_EXECUTION_ERROR` | `Contract`, with the contract's message |
//! | a call's `status.Failure`, or any failed receipt | `Contract`, with the `ExecutionError` text (`Smart contract panicked: [Code] ...`) |
//! | the network refused the transaction (`INVALID_TRANSACTION`) | `Key` for access-key and signature problems; `Transport` for a stale nonce or block hash (retrying signs afresh); `Contract` otherwise |
//! | unreachable, timeout, HTTP error, not JSON-RPC | `Transport` (retryable) |
//!
//! A call whose answer was lost after the transaction went out is looked up
//! by hash (`tx`) a few times before it is reported as a transport failure,
//! so a slow network does not turn into a second submission. Success is
//! reported only for a final `SuccessValue` with no failed receipt.

pub mod credentials;
mod transport;

pub use credentials::{Credentials, CredentialsError, KeyFile};
pub use transport::TlsRoots;

use crate::{CallOutcome, ClientError, ContractClient, Signer};
use async_trait::async_trait;
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use mpc_interface::AccountId;
use near_jsonrpc_client::methods;
use near_jsonrpc_client::JsonRpcClient;
use near_jsonrpc_primitives::types::query::{QueryResponseKind, RpcQueryError, RpcQueryRequest};
use near_jsonrpc_primitives::types::transactions::{RpcTransactionError, TransactionInfo};
use near_primitives::action::{Action, FunctionCallAction};
use near_primitives::errors::{ActionErrorKind, FunctionCallError, InvalidTxError, TxExecutionError};
use near_primitives::hash::CryptoHash;
use near_primitives::transaction::{SignedTransaction, Transaction, TransactionV0};
use near_primitives::types::{BlockReference, Finality, FunctionArgs};
use near_primitives::views::{
    ExecutionStatusView, FinalExecutionOutcomeView, FinalExecutionStatus, QueryRequest, TxExecutionStatus,
};
use serde_json::Value;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;
use transport::{call, Handled, HttpFailure, Stage};

/// Where the contract is and how patient to be with the endpoint.
#[derive(Clone, Debug)]
pub struct RpcConfig {
    /// `http://127.0.0.1:3030` (sandbox) or `https://rpc.testnet.near.org`.
    pub endpoint: String,
    /// The MPC contract's account.
    pub contract_id: AccountId,
    /// Limit for views, the nonce and the block hash.
    pub request_timeout: Duration,
    /// Limit for `send_tx`, which waits until the transaction is final.
    pub send_timeout: Duration,
    /// How many times to look a sent transaction up by hash when its answer
    /// was lost, `poll_interval` apart.
    pub outcome_polls: u32,
    pub poll_interval: Duration,
    /// Trusted roots for an `https://` endpoint.
    pub tls_roots: TlsRoots,
}

impl RpcConfig {
    pub fn new(endpoint: impl Into<String>, contract_id: AccountId) -> Self {
        Self {
            endpoint: endpoint.into(),
            contract_id,
            request_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(60),
            outcome_polls: 5,
            poll_interval: Duration::from_secs(2),
            tls_roots: TlsRoots::WebPki,
        }
    }
}

/// Signs as one account and access key and talks to one contract.
pub struct RpcClient {
    rpc: JsonRpcClient,
    /// `scheme://host:port` of the endpoint.
    endpoint: String,
    config: RpcConfig,
    credentials: Credentials,
    signer: Signer,
    /// The last nonce this client used, so two calls in flight do not pick
    /// the same one before the chain has seen the first.
    last_nonce: Mutex<u64>,
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("endpoint", &self.endpoint)
            .field("contract_id", &self.config.contract_id)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// What the chain says about our access key: its nonce, and the final block
/// the answer was read at (the transaction's reference block).
struct KeyState {
    nonce: u64,
    block_hash: CryptoHash,
}

impl RpcClient {
    pub fn new(config: RpcConfig, credentials: Credentials) -> Result<Self, ClientError> {
        let (rpc, endpoint) = transport::connect(&config.endpoint, &config.tls_roots, config.request_timeout)
            .map_err(|reason| ClientError::Rpc { endpoint: "the RPC endpoint".into(), reason })?;
        let signer = Signer { account_id: credentials.account_id().clone(), public_key: *credentials.public_key() };
        Ok(Self { rpc, endpoint, config, credentials, signer, last_nonce: Mutex::new(0) })
    }

    /// `scheme://host:port` of the endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn contract_id(&self) -> &AccountId {
        &self.config.contract_id
    }

    fn transport(&self, reason: impl Into<String>) -> ClientError {
        ClientError::Rpc { endpoint: self.endpoint.clone(), reason: reason.into() }
    }

    fn final_query(request: QueryRequest) -> RpcQueryRequest {
        RpcQueryRequest { block_reference: BlockReference::Finality(Finality::Final), request }
    }

    async fn access_key_state(&self) -> Result<KeyState, ClientError> {
        let public_key = self.credentials.signer().public_key();
        let account = &self.signer.account_id;
        let request = Self::final_query(QueryRequest::ViewAccessKey { account_id: account.clone(), public_key });
        let missing = |detail: &dyn fmt::Display| {
            ClientError::Key(format!(
                "access key {} is not usable on account {account}: {detail}",
                self.signer.public_key
            ))
        };
        match call(&self.rpc, request, self.config.request_timeout).await.map_err(|f| self.transport(f.reason))? {
            Ok(answer) => match answer.kind {
                QueryResponseKind::AccessKey(key) => Ok(KeyState { nonce: key.nonce, block_hash: answer.block_hash }),
                _ => Err(self.transport("`view_access_key` answered with something other than an access key")),
            },
            Err(Handled::Node(
                e @ (RpcQueryError::UnknownAccessKey { .. }
                | RpcQueryError::UnknownAccount { .. }
                | RpcQueryError::InvalidAccount { .. }),
            )) => Err(missing(&e)),
            Err(Handled::Node(e)) => Err(self.transport(format!("`view_access_key` failed: {e}"))),
            Err(Handled::MethodNotFound) => Err(self.transport("the endpoint has no `query` method")),
            Err(Handled::Legacy(text)) => Err(self.transport(format!("`view_access_key` failed: {text}"))),
        }
    }

    fn next_nonce(&self, on_chain: u64) -> u64 {
        let mut last = self.last_nonce.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = on_chain.max(*last) + 1;
        *last
    }

    /// Sends the transaction; returns its final execution outcome.
    async fn submit(&self, method: &str, signed: &SignedTransaction) -> Result<FinalExecutionOutcomeView, ClientError> {
        let hash = signed.get_hash();
        let timeout = self.config.send_timeout;
        let send = methods::send_tx::RpcSendTransactionRequest {
            signed_transaction: signed.clone(),
            wait_until: TxExecutionStatus::Final,
        };
        let reply = match call(&self.rpc, send, timeout).await {
            Ok(Err(Handled::MethodNotFound)) => {
                tracing::debug!(tx = %hash, "the endpoint has no send_tx; using broadcast_tx_commit");
                let commit =
                    methods::broadcast_tx_commit::RpcBroadcastTxCommitRequest { signed_transaction: signed.clone() };
                call(&self.rpc, commit, timeout).await.map(|r| r.map(Some))
            }
            other => other.map(|r| r.map(|response| response.final_execution_outcome.map(|o| o.into_outcome()))),
        };
        match reply {
            Ok(Ok(Some(outcome))) => Ok(outcome),
            Ok(Ok(None)) => self.await_outcome(&hash, "`send_tx` answered without an outcome").await,
            Ok(Err(Handled::Node(RpcTransactionError::InvalidTransaction { context }))) => {
                Err(self.invalid_transaction(method, &hash, &context))
            }
            // Anything else may have happened after the transaction went out.
            Ok(Err(Handled::Node(e))) => self.await_outcome(&hash, &format!("`send_tx` failed: {e}")).await,
            Ok(Err(Handled::Legacy(text))) => self.await_outcome(&hash, &format!("`send_tx` failed: {text}")).await,
            Ok(Err(Handled::MethodNotFound)) => {
                Err(self.transport("the endpoint has neither `send_tx` nor `broadcast_tx_commit`"))
            }
            Err(HttpFailure { stage: Stage::Connect, reason }) => Err(self.transport(reason)),
            Err(failure) => self.await_outcome(&hash, &failure.reason).await,
        }
    }

    /// Looks a sent transaction up by hash until it is final, or gives up.
    async fn await_outcome(&self, hash: &CryptoHash, why: &str) -> Result<FinalExecutionOutcomeView, ClientError> {
        let mut last = String::from("not checked");
        for attempt in 0..self.config.outcome_polls {
            if attempt > 0 {
                tokio::time::sleep(self.config.poll_interval).await;
            }
            let lookup = methods::tx::RpcTransactionStatusRequest {
                transaction_info: TransactionInfo::TransactionId {
                    tx_hash: *hash,
                    sender_account_id: self.signer.account_id.clone(),
                },
                wait_until: TxExecutionStatus::Final,
            };
            match call(&self.rpc, lookup, self.config.request_timeout).await {
                Ok(Ok(response)) => match response.final_execution_outcome {
                    Some(outcome) => return Ok(outcome.into_outcome()),
                    None => last = format!("not final yet ({:?})", response.final_execution_status),
                },
                Ok(Err(Handled::Node(e))) => last = e.to_string(),
                Ok(Err(Handled::Legacy(text))) => last = text,
                Ok(Err(Handled::MethodNotFound)) => last = "the endpoint has no `tx` method".into(),
                Err(failure) => last = failure.reason,
            }
            tracing::warn!(tx = %hash, attempt = attempt + 1, reason = %last, "outcome of a sent transaction not known yet");
        }
        Err(self.transport(format!(
            "transaction {hash} was sent but its outcome is unknown ({why}; last lookup: {last}); it may still execute"
        )))
    }

    /// The network refused the transaction before executing it.
    fn invalid_transaction(&self, method: &str, hash: &CryptoHash, error: &InvalidTxError) -> ClientError {
        match error {
            InvalidTxError::InvalidNonce { .. } | InvalidTxError::Expired => {
                self.transport(format!("transaction {hash} was refused and can be signed again: {error:?}"))
            }
            InvalidTxError::InvalidAccessKeyError(_) | InvalidTxError::InvalidSignature => ClientError::Key(format!(
                "the network refused transaction {hash} signed by {} for `{method}`: {error:?}",
                self.signer.public_key
            )),
            other => ClientError::contract(method, format!("the network refused transaction {hash}: {other:?}")),
        }
    }

    /// The final execution outcome of our transaction as a result.
    fn call_result(
        &self,
        method: &str,
        hash: &CryptoHash,
        outcome: FinalExecutionOutcomeView,
    ) -> Result<CallOutcome, ClientError> {
        if outcome.transaction.hash != *hash {
            return Err(self.transport(format!(
                "answered with the outcome of transaction {}, not {hash}",
                outcome.transaction.hash
            )));
        }
        let value = match outcome.status {
            FinalExecutionStatus::Failure(failure) => return Err(self.failure(method, hash, &failure)),
            // The final status follows the last receipt; a failed earlier one
            // still means the call did not do what was asked.
            _ if outcome
                .receipts_outcome
                .iter()
                .any(|r| matches!(r.outcome.status, ExecutionStatusView::Failure(_))) =>
            {
                let failure = outcome.receipts_outcome.iter().find_map(|r| match &r.outcome.status {
                    ExecutionStatusView::Failure(failure) => Some(failure),
                    _ => None,
                });
                return Err(self.failure(method, hash, failure.expect("checked above")));
            }
            FinalExecutionStatus::SuccessValue(value) => value,
            status => return Err(self.transport(format!("transaction {hash} is not final yet (status {status:?})"))),
        };
        let outcomes = std::iter::once(&outcome.transaction_outcome).chain(&outcome.receipts_outcome);
        let mut logs = Vec::new();
        let mut gas_burnt = 0u64;
        for o in outcomes {
            logs.extend(o.outcome.logs.iter().cloned());
            gas_burnt = gas_burnt.saturating_add(o.outcome.gas_burnt.as_gas());
        }
        Ok(CallOutcome { value, logs, gas_burnt, transaction: Some(hash.to_string()) })
    }

    fn failure(&self, method: &str, hash: &CryptoHash, failure: &TxExecutionError) -> ClientError {
        match failure {
            TxExecutionError::InvalidTxError(invalid) => self.invalid_transaction(method, hash, invalid),
            TxExecutionError::ActionError(action) => {
                let text = match &action.kind {
                    ActionErrorKind::FunctionCallError(FunctionCallError::ExecutionError(text)) => text.clone(),
                    other => format!("{other:?}"),
                };
                ClientError::contract(method, format!("{text} (transaction {hash})"))
            }
        }
    }
}

#[async_trait]
impl ContractClient for RpcClient {
    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn view_raw(&self, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        let args = serde_json::to_vec(&args).expect("JSON of a JSON value");
        let request = Self::final_query(QueryRequest::CallFunction {
            account_id: self.config.contract_id.clone(),
            method_name: method.to_owned(),
            args: FunctionArgs::from(args),
        });
        let answer =
            call(&self.rpc, request, self.config.request_timeout).await.map_err(|f| self.transport(f.reason))?;
        match answer {
            Ok(answer) => match answer.kind {
                QueryResponseKind::CallResult(result) => Ok(result.result),
                _ => Err(self.transport(format!("`{method}`: the view's answer is not a call result"))),
            },
            Err(Handled::Node(RpcQueryError::ContractExecutionError { vm_error, .. })) => {
                Err(ClientError::contract(method, vm_error))
            }
            Err(Handled::Node(
                e @ (RpcQueryError::UnknownAccount { .. }
                | RpcQueryError::InvalidAccount { .. }
                | RpcQueryError::NoContractCode { .. }),
            )) => Err(ClientError::contract(method, format!("no contract to ask at {}: {e}", self.config.contract_id))),
            Err(Handled::Node(e)) => Err(self.transport(format!("`{method}` view failed: {e}"))),
            // Nodes before structured errors put the VM's message in `data`.
            Err(Handled::Legacy(text))
                if text.contains("wasm execution failed") || text.contains("Smart contract panicked") =>
            {
                Err(ClientError::contract(method, text))
            }
            Err(Handled::Legacy(text)) => Err(self.transport(format!("`{method}` view failed: {text}"))),
            Err(Handled::MethodNotFound) => Err(self.transport("the endpoint has no `query` method")),
        }
    }

    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        let described = args.to_string();
        let args = args.to_bytes();
        let key = self.access_key_state().await?;
        let nonce = self.next_nonce(key.nonce);
        let signer = self.credentials.signer();
        let transaction = Transaction::V0(TransactionV0 {
            signer_id: self.signer.account_id.clone(),
            public_key: signer.public_key(),
            nonce,
            receiver_id: self.config.contract_id.clone(),
            block_hash: key.block_hash,
            actions: vec![Action::FunctionCall(Box::new(FunctionCallAction {
                method_name: method.to_owned(),
                args,
                gas: near_primitives::types::Gas::from_gas(gas.as_gas()),
                deposit: near_primitives::types::Balance::from_yoctonear(deposit),
            }))],
        });
        let (hash, _) = transaction.get_hash_and_size();
        let signed = SignedTransaction::new(signer.sign(hash.as_ref()), transaction);
        tracing::debug!(method, args = %described, nonce, tx = %hash, signer = %self.signer.account_id, "submitting a transaction");
        let outcome = self.submit(method, &signed).await?;
        let result = self.call_result(method, &hash, outcome);
        match &result {
            Ok(o) => tracing::debug!(method, tx = %hash, gas_burnt = o.gas_burnt, "transaction succeeded"),
            Err(e) => tracing::warn!(method, tx = %hash, error = %e, "transaction did not succeed"),
        }
        result
    }
}
