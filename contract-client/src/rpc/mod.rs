//! [`ContractClient`] over a NEAR JSON-RPC endpoint (mainnet, testnet, a
//! local sandbox), without `near-primitives`: views are `query` /
//! `call_function` at `final` finality; calls are signed here
//! ([`transaction`]) and sent with `send_tx` (`wait_until: FINAL`), falling
//! back to `broadcast_tx_commit` on nodes that predate `send_tx`.
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
pub mod transaction;
mod transport;

pub use credentials::{Credentials, CredentialsError};
pub use transport::TlsRoots;

use crate::{CallOutcome, ClientError, ContractClient, Signer};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use mpc_interface::constants::Gas;
use mpc_interface::AccountId;
use serde_json::{json, Value};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use transaction::{FunctionCall, Transaction};
use transport::{HttpFailure, HttpTransport, Stage};

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
    http: HttpTransport,
    config: RpcConfig,
    credentials: Credentials,
    signer: Signer,
    /// The last nonce this client used, so two calls in flight do not pick
    /// the same one before the chain has seen the first.
    last_nonce: Mutex<u64>,
    next_request: AtomicU64,
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("endpoint", &self.http.display())
            .field("contract_id", &self.config.contract_id)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// A JSON-RPC `error` object.
struct RpcError(Value);

impl RpcError {
    fn cause(&self) -> Option<&str> {
        self.0.pointer("/cause/name").and_then(Value::as_str)
    }
    fn info(&self) -> Option<&Value> {
        self.0.pointer("/cause/info")
    }
    fn data_text(&self) -> Option<&str> {
        self.0.get("data").and_then(Value::as_str)
    }
    fn is_method_not_found(&self) -> bool {
        self.cause() == Some("METHOD_NOT_FOUND") || self.0.get("code").and_then(Value::as_i64) == Some(-32601)
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.get("name").and_then(Value::as_str), self.cause()) {
            (Some(name), Some(cause)) => write!(f, "{name}/{cause}: {}", self.info().unwrap_or(&Value::Null)),
            _ => write!(f, "{}", self.0),
        }
    }
}

enum Reply {
    Result(Value),
    Error(RpcError),
}

impl RpcClient {
    pub fn new(config: RpcConfig, credentials: Credentials) -> Result<Self, ClientError> {
        let http =
            HttpTransport::new(&config.endpoint, &config.tls_roots).map_err(|reason| ClientError::Transport {
                endpoint: config.endpoint.split('?').next().unwrap_or_default().to_owned(),
                reason,
            })?;
        let signer = Signer { account_id: credentials.account_id().clone(), public_key: *credentials.public_key() };
        Ok(Self { http, config, credentials, signer, last_nonce: Mutex::new(0), next_request: AtomicU64::new(1) })
    }

    /// `scheme://host:port` of the endpoint.
    pub fn endpoint(&self) -> &str {
        self.http.display()
    }

    pub fn contract_id(&self) -> &AccountId {
        &self.config.contract_id
    }

    fn transport(&self, reason: impl Into<String>) -> ClientError {
        ClientError::Transport { endpoint: self.http.display().to_owned(), reason: reason.into() }
    }

    /// One JSON-RPC request. Anything but a well-formed answer to it is a
    /// transport failure.
    async fn rpc(&self, method: &str, params: Value, timeout: Duration) -> Result<Reply, HttpFailure> {
        let id = format!("mpc-{}", self.next_request.fetch_add(1, Ordering::Relaxed));
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let (status, bytes) = self.http.post(serde_json::to_vec(&body).expect("JSON of a JSON value"), timeout).await?;
        let garbage = |what: &str| HttpFailure {
            stage: Stage::Exchange,
            reason: format!("`{method}`: {what} (HTTP {status}): {}", snippet(&bytes)),
        };
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| garbage("the answer is not JSON"))?;
        let object = value.as_object().ok_or_else(|| garbage("the answer is not a JSON-RPC object"))?;
        if let Some(got) = object.get("id") {
            if got.as_str() != Some(id.as_str()) {
                return Err(garbage(&format!("the answer is for request {got}, not {id:?}")));
            }
        }
        match (object.get("error"), object.get("result")) {
            (Some(error), _) if !error.is_null() => Ok(Reply::Error(RpcError(error.clone()))),
            (_, Some(result)) if (200..300).contains(&status) => Ok(Reply::Result(result.clone())),
            _ => Err(garbage("the answer has neither a result nor an error")),
        }
    }

    async fn view_access_key_nonce(&self) -> Result<u64, ClientError> {
        let key = self.signer.public_key.to_string();
        let account = &self.signer.account_id;
        let params =
            json!({"request_type": "view_access_key", "finality": "final", "account_id": account, "public_key": key});
        let missing = |detail: &dyn fmt::Display| {
            ClientError::Key(format!("access key {key} is not usable on account {account}: {detail}"))
        };
        match self.rpc("query", params, self.config.request_timeout).await.map_err(|f| self.transport(f.reason))? {
            Reply::Result(r) => {
                if let Some(error) = r.get("error") {
                    return Err(missing(error));
                }
                r.get("nonce").and_then(Value::as_u64).ok_or_else(|| self.transport("`view_access_key` has no nonce"))
            }
            Reply::Error(e)
                if matches!(e.cause(), Some("UNKNOWN_ACCESS_KEY" | "UNKNOWN_ACCOUNT" | "INVALID_ACCOUNT")) =>
            {
                Err(missing(&e))
            }
            Reply::Error(e) => Err(self.transport(format!("`view_access_key` failed: {e}"))),
        }
    }

    async fn final_block_hash(&self) -> Result<[u8; 32], ClientError> {
        let reply = self.rpc("block", json!({"finality": "final"}), self.config.request_timeout).await;
        match reply.map_err(|f| self.transport(f.reason))? {
            Reply::Result(r) => {
                let text = r.pointer("/header/hash").and_then(Value::as_str).unwrap_or_default();
                let mut hash = [0u8; 32];
                match bs58::decode(text).onto(&mut hash) {
                    Ok(32) => Ok(hash),
                    _ => {
                        Err(self.transport(format!("`block` has no valid header.hash: {:?}", snippet(text.as_bytes()))))
                    }
                }
            }
            Reply::Error(e) => Err(self.transport(format!("`block` failed: {e}"))),
        }
    }

    fn next_nonce(&self, on_chain: u64) -> u64 {
        let mut last = self.last_nonce.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = on_chain.max(*last) + 1;
        *last
    }

    /// Sends the transaction; returns the final execution outcome JSON.
    async fn submit(&self, method: &str, hash: &str, encoded: &str) -> Result<Value, ClientError> {
        let timeout = self.config.send_timeout;
        let mut reply = self.rpc("send_tx", json!({"signed_tx_base64": encoded, "wait_until": "FINAL"}), timeout).await;
        if matches!(&reply, Ok(Reply::Error(e)) if e.is_method_not_found()) {
            tracing::debug!(tx = hash, "the endpoint has no send_tx; using broadcast_tx_commit");
            reply = self.rpc("broadcast_tx_commit", json!([encoded]), timeout).await;
        }
        match reply {
            Ok(Reply::Result(outcome)) => Ok(outcome),
            Ok(Reply::Error(e)) if e.cause() == Some("INVALID_TRANSACTION") => {
                let detail = e.0.get("data").filter(|d| !d.is_null()).or(e.info()).cloned().unwrap_or(Value::Null);
                Err(self.invalid_transaction(method, hash, &detail))
            }
            // Anything else may have happened after the transaction went out.
            Ok(Reply::Error(e)) => self.await_outcome(hash, &format!("`send_tx` failed: {e}")).await,
            Err(failure) if failure.stage == Stage::Connect => Err(self.transport(failure.reason)),
            Err(failure) => self.await_outcome(hash, &failure.reason).await,
        }
    }

    /// Looks a sent transaction up by hash until it is final, or gives up.
    async fn await_outcome(&self, hash: &str, why: &str) -> Result<Value, ClientError> {
        let params = json!({"tx_hash": hash, "sender_account_id": self.signer.account_id, "wait_until": "FINAL"});
        let mut last = String::from("not checked");
        for attempt in 0..self.config.outcome_polls {
            if attempt > 0 {
                tokio::time::sleep(self.config.poll_interval).await;
            }
            match self.rpc("tx", params.clone(), self.config.request_timeout).await {
                Ok(Reply::Result(outcome)) => return Ok(outcome),
                Ok(Reply::Error(e)) => last = e.to_string(),
                Err(failure) => last = failure.reason,
            }
            tracing::warn!(tx = hash, attempt = attempt + 1, reason = %last, "outcome of a sent transaction not known yet");
        }
        Err(self.transport(format!(
            "transaction {hash} was sent but its outcome is unknown ({why}; last lookup: {last}); it may still execute"
        )))
    }

    /// The network refused the transaction before executing it.
    fn invalid_transaction(&self, method: &str, hash: &str, detail: &Value) -> ClientError {
        let text = detail.to_string();
        let has = |what: &str| text.contains(what);
        if has("InvalidNonce") || has("Expired") {
            self.transport(format!("transaction {hash} was refused and can be signed again: {text}"))
        } else if has("InvalidAccessKeyError") || has("InvalidSignature") || has("AccessKeyNotFound") {
            ClientError::Key(format!(
                "the network refused transaction {hash} signed by {} for `{method}`: {text}",
                self.signer.public_key
            ))
        } else {
            ClientError::contract(method, format!("the network refused transaction {hash}: {text}"))
        }
    }

    /// The final execution outcome of our transaction as a result.
    fn call_result(&self, method: &str, hash: &str, outcome: &Value) -> Result<CallOutcome, ClientError> {
        if let Some(reported) = outcome.pointer("/transaction/hash").and_then(Value::as_str) {
            if reported != hash {
                return Err(self.transport(format!("answered with the outcome of transaction {reported}, not {hash}")));
            }
        }
        let status = outcome
            .get("status")
            .ok_or_else(|| self.transport(format!("the answer for transaction {hash} carries no outcome")))?;
        if let Some(failure) = status.get("Failure") {
            return Err(self.failure(method, hash, failure));
        }
        let receipts = outcome.get("receipts_outcome").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        // The final status follows the last receipt; a failed earlier one
        // still means the call did not do what was asked.
        if let Some(failure) = receipts.iter().find_map(|r| r.pointer("/outcome/status/Failure")) {
            return Err(self.failure(method, hash, failure));
        }
        let Some(value) = status.get("SuccessValue").and_then(Value::as_str) else {
            return Err(self.transport(format!("transaction {hash} is not final yet (status {status})")));
        };
        let value = BASE64.decode(value).map_err(|e| ClientError::Decode {
            method: method.to_owned(),
            reason: format!("transaction {hash} succeeded but its return value is not base64: {e}"),
        })?;
        let outcomes = outcome
            .pointer("/transaction_outcome/outcome")
            .into_iter()
            .chain(receipts.iter().filter_map(|r| r.get("outcome")));
        let mut logs = Vec::new();
        let mut gas_burnt = 0u64;
        for o in outcomes {
            logs.extend(
                o.get("logs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned),
            );
            gas_burnt = gas_burnt.saturating_add(o.get("gas_burnt").and_then(Value::as_u64).unwrap_or(0));
        }
        Ok(CallOutcome { value, logs, gas_burnt, transaction: Some(hash.to_owned()) })
    }

    fn failure(&self, method: &str, hash: &str, failure: &Value) -> ClientError {
        if let Some(invalid) = failure.get("InvalidTxError") {
            return self.invalid_transaction(method, hash, invalid);
        }
        let text = failure
            .pointer("/ActionError/kind/FunctionCallError/ExecutionError")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| failure.to_string());
        ClientError::contract(method, format!("{text} (transaction {hash})"))
    }
}

/// At most 200 characters of an answer, for messages.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[async_trait]
impl ContractClient for RpcClient {
    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn view_raw(&self, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        let args = serde_json::to_vec(&args).expect("JSON of a JSON value");
        let params = json!({
            "request_type": "call_function",
            "finality": "final",
            "account_id": self.config.contract_id,
            "method_name": method,
            "args_base64": BASE64.encode(args),
        });
        match self.rpc("query", params, self.config.request_timeout).await.map_err(|f| self.transport(f.reason))? {
            Reply::Result(r) => {
                if let Some(error) = r.get("error") {
                    return Err(ClientError::contract(
                        method,
                        error.as_str().map_or_else(|| error.to_string(), str::to_owned),
                    ));
                }
                let bytes = r.get("result").and_then(Value::as_array);
                bytes
                    .and_then(|b| {
                        b.iter().map(|x| x.as_u64().and_then(|x| u8::try_from(x).ok())).collect::<Option<Vec<u8>>>()
                    })
                    .ok_or_else(|| self.transport(format!("`{method}`: the view's answer has no `result` byte array")))
            }
            Reply::Error(e) => Err(match e.cause() {
                Some("CONTRACT_EXECUTION_ERROR") => {
                    let text = e.info().and_then(|i| i.get("vm_error")).and_then(Value::as_str);
                    ClientError::contract(method, text.map_or_else(|| e.to_string(), str::to_owned))
                }
                Some(cause @ ("UNKNOWN_ACCOUNT" | "INVALID_ACCOUNT" | "NO_CONTRACT_CODE")) => ClientError::contract(
                    method,
                    format!("no contract to ask at {} ({cause})", self.config.contract_id),
                ),
                // Nodes before structured errors put the VM's message in `data`.
                _ => match e.data_text() {
                    Some(text)
                        if text.contains("wasm execution failed") || text.contains("Smart contract panicked") =>
                    {
                        ClientError::contract(method, text)
                    }
                    _ => self.transport(format!("`{method}` view failed: {e}")),
                },
            }),
        }
    }

    async fn call_raw(&self, method: &str, args: Value, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        let args = serde_json::to_vec(&args).expect("JSON of a JSON value");
        let on_chain = self.view_access_key_nonce().await?;
        let block_hash = self.final_block_hash().await?;
        let nonce = self.next_nonce(on_chain);
        let signed = Transaction {
            signer_id: self.signer.account_id.clone(),
            public_key: self.signer.public_key,
            nonce,
            receiver_id: self.config.contract_id.clone(),
            block_hash,
            actions: vec![FunctionCall { method_name: method.to_owned(), args, gas: gas.as_gas(), deposit }],
        }
        .sign(self.credentials.signing_key());
        let hash = signed.hash_base58();
        tracing::debug!(method, nonce, tx = %hash, signer = %self.signer.account_id, "submitting a transaction");
        let outcome = self.submit(method, &hash, &BASE64.encode(signed.to_borsh())).await?;
        let result = self.call_result(method, &hash, &outcome);
        match &result {
            Ok(o) => tracing::debug!(method, tx = %hash, gas_burnt = o.gas_burnt, "transaction succeeded"),
            Err(e) => tracing::warn!(method, tx = %hash, error = %e, "transaction did not succeed"),
        }
        result
    }
}
