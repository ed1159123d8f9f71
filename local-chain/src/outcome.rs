//! What a call did: its result, classified failure, logs, gas, and the receipts and yields
//! it created.

use std::fmt;

use near_vm_runner::logic::mocks::mock_external::MockAction;

use crate::call::PromiseResult;
use crate::errors::ActionError;
use crate::transaction::Action;
use serde::de::DeserializeOwned;

/// Why a call failed, classified. [`ExecutionOutcome::result`] carries the same as a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The contract panicked (`panic_utf8` / `panic` / `abort` host functions); the message is
    /// exactly what the contract passed.
    Panic(String),
    /// The method is not exported (or has the wrong signature).
    MethodNotFound(String),
    /// The prepaid gas ran out.
    GasExceeded,
    /// The per-call burnt-gas limit (300 Tgas) was hit.
    GasLimitExceeded,
    /// A wasm trap (e.g. `unreachable`, which is what a Rust panic without a panic hook is).
    WasmTrap(String),
    /// A host function that is not allowed in view calls (e.g. `storage_write`).
    ProhibitedInView(String),
    /// The call succeeded but left the account without enough balance to stake its storage;
    /// on chain the receipt fails and is rolled back, and so it is here.
    LackBalanceForState { required: u128, balance: u128 },
    /// The chain refused the transaction before the contract saw it (a
    /// [`TransactionError`](crate::TransactionError), or the receipt failed before the call).
    Refused(String),
    /// Anything else the VM reports (host errors, compilation/link errors): its description.
    Other(String),
}

impl Failure {
    /// The text that goes into `ExecutionOutcome::result`'s `Err`.
    pub fn message(&self) -> String {
        match self {
            Failure::Panic(msg) => msg.clone(),
            Failure::MethodNotFound(msg) => format!("MethodNotFound: {msg}"),
            Failure::GasExceeded => "GasExceeded: Exceeded the prepaid gas.".to_string(),
            Failure::GasLimitExceeded => {
                "GasLimitExceeded: Exceeded the maximum amount of gas allowed to burn per contract.".to_string()
            }
            Failure::WasmTrap(msg) => format!("WasmTrap: {msg}"),
            Failure::ProhibitedInView(name) => {
                format!("ProhibitedInView: {name} is not allowed in view calls")
            }
            Failure::LackBalanceForState { required, balance } => format!(
                "LackBalanceForState: the account needs {required} yoctoNEAR to stake its \
                 storage but has {balance}"
            ),
            Failure::Refused(msg) => format!("Refused by the chain: {msg}"),
            Failure::Other(msg) => msg.clone(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// An outgoing action receipt the call created (`Promise`s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedReceipt {
    pub receiver_id: String,
    /// The actions appended to this receipt (function calls, transfers, ...).
    pub actions: Vec<MockAction>,
    /// Receipts (indices into the same call's log) this one waits for (`.then`).
    pub depends_on: Vec<u64>,
    /// The receipt index the contract saw for it.
    pub index: u64,
}

/// A yielded promise (`env::promise_yield_create`) a call created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YieldInfo {
    /// The data id the contract resumes it with (`env::promise_yield_resume`).
    pub data_id: [u8; 32],
    /// The callback that runs when it is resumed or times out.
    pub callback_method: String,
    pub callback_args: Vec<u8>,
    pub callback_gas: u64,
    pub callback_gas_weight: u64,
    /// Block height of the call that created it.
    pub created_at_height: u64,
}

/// What one call or view did on one contract (one receipt's execution).
#[derive(Clone, Debug)]
pub struct ExecutionOutcome {
    /// `Ok(bytes the method returned)` (empty if it returned nothing or a promise), or
    /// `Err(message)`: for a contract panic exactly the contract's panic message, otherwise
    /// `"<Kind>: <description>"` (see [`Failure::message`]).
    pub result: Result<Vec<u8>, String>,
    /// The classified failure, when `result` is `Err`.
    pub failure: Option<Failure>,
    pub logs: Vec<String>,
    /// Gas burnt by this call, as the VM measured it (contract loading, wasm execution,
    /// host functions, fees for created receipts).
    pub gas_burnt: u64,
    /// Burnt gas plus gas attached to created promises.
    pub gas_used: u64,
    /// Outgoing action receipts (empty for a failed call: they are never sent).
    pub receipts: Vec<CreatedReceipt>,
    /// Yielded promises created by this call (empty for a failed call).
    pub yields: Vec<YieldInfo>,
    /// Data ids this call resumed (`promise_yield_resume` that found a pending yield).
    pub resumed: Vec<[u8; 32]>,
    /// The raw log of everything the call asked the runtime to do.
    pub actions: Vec<MockAction>,
    /// If the method returned a promise (`promise_return`), its receipt index.
    pub returned_receipt: Option<u64>,
    /// If the promise it returned is one of the yields it created, that yield's data id.
    pub returned_yield: Option<[u8; 32]>,
    /// The contract's data storage usage after the call (unchanged after a failure).
    pub storage_usage: u64,
}

impl ExecutionOutcome {
    /// The outcome of a call the contract never saw: the chain refused it for `reason`.
    pub fn refused(reason: impl std::fmt::Display) -> ExecutionOutcome {
        let failure = Failure::Refused(reason.to_string());
        ExecutionOutcome {
            result: Err(failure.message()),
            failure: Some(failure),
            logs: Vec::new(),
            gas_burnt: 0,
            gas_used: 0,
            receipts: Vec::new(),
            yields: Vec::new(),
            resumed: Vec::new(),
            actions: Vec::new(),
            returned_receipt: None,
            returned_yield: None,
            storage_usage: 0,
        }
    }

    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    pub fn is_err(&self) -> bool {
        self.result.is_err()
    }

    /// The returned bytes; panics with the error and logs if the call failed.
    pub fn unwrap(&self) -> &[u8] {
        match &self.result {
            Ok(v) => v,
            Err(e) => panic!("call failed: {e}\nlogs: {:#?}", self.logs),
        }
    }

    /// Asserts success (panicking with error + logs otherwise) and returns `self`.
    pub fn assert_ok(&self) -> &Self {
        self.unwrap();
        self
    }

    /// The return value parsed as JSON; panics with the error and logs if the call failed or
    /// the value does not parse as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        let bytes = self.unwrap();
        serde_json::from_slice(bytes).unwrap_or_else(|e| {
            panic!(
                "return value is not JSON of type {}: {e}\nvalue: {}\nlogs: {:#?}",
                std::any::type_name::<T>(),
                String::from_utf8_lossy(bytes),
                self.logs
            )
        })
    }

    /// The return value decoded as borsh.
    pub fn borsh<T: borsh::BorshDeserialize>(&self) -> T {
        let bytes = self.unwrap();
        borsh::from_slice(bytes).unwrap_or_else(|e| {
            panic!("return value is not borsh of type {}: {e}\nlogs: {:#?}", std::any::type_name::<T>(), self.logs)
        })
    }

    /// The return value as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.unwrap()).into_owned()
    }

    /// The failure message; panics (showing the return value) if the call succeeded.
    pub fn unwrap_err(&self) -> &str {
        match &self.result {
            Ok(v) => panic!(
                "expected the call to fail, but it returned {}\nlogs: {:#?}",
                String::from_utf8_lossy(v),
                self.logs
            ),
            Err(e) => e,
        }
    }

    /// Asserts the call failed with a message containing `needle`.
    pub fn assert_err_contains(&self, needle: &str) -> &Self {
        let err = self.unwrap_err();
        assert!(err.contains(needle), "expected an error containing {needle:?}, got {err:?}\nlogs: {:#?}", self.logs);
        self
    }

    /// NEP-297 events: the logs starting with `EVENT_JSON:`, parsed. Panics on malformed JSON.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.logs
            .iter()
            .filter_map(|log| log.strip_prefix("EVENT_JSON:"))
            .map(|json| serde_json::from_str(json).unwrap_or_else(|e| panic!("malformed EVENT_JSON log {json:?}: {e}")))
            .collect()
    }
}

/// What one receipt did.
#[derive(Clone, Debug)]
pub struct ReceiptOutcome {
    pub predecessor_id: String,
    pub receiver_id: String,
    pub actions: Vec<Action>,
    /// For a callback: the results it was given (`env::promise_result`).
    pub promise_results: Vec<PromiseResult>,
    /// One per function-call action that ran, in order.
    pub calls: Vec<ExecutionOutcome>,
    /// Why the receipt failed (its changes are undone, its deposits refunded).
    pub error: Option<ActionError>,
}

impl ReceiptOutcome {
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }

    /// The first function call's method, if the receipt has one.
    pub fn method(&self) -> Option<&str> {
        self.actions.iter().find_map(|a| match a {
            Action::FunctionCall { method, .. } => Some(method.as_str()),
            _ => None,
        })
    }

    /// The logs of every call in the receipt.
    pub fn logs(&self) -> Vec<String> {
        self.calls.iter().flat_map(|c| c.logs.iter().cloned()).collect()
    }

    /// Gas burnt by the receipt's calls.
    pub fn gas_burnt(&self) -> u64 {
        self.calls.iter().map(|c| c.gas_burnt).sum()
    }

    /// The receipt's result: the last call's return value (empty without calls), or the error.
    pub fn result(&self) -> Result<Vec<u8>, String> {
        match &self.error {
            Some(e) => Err(e.to_string()),
            None => Ok(self.calls.last().and_then(|c| c.result.clone().ok()).unwrap_or_default()),
        }
    }
}

/// What a transaction did: every receipt in the order it ran (the transaction's own first),
/// and its final status, which follows the promises each receipt returned.
#[derive(Clone, Debug)]
pub struct TransactionOutcome {
    pub receipts: Vec<ReceiptOutcome>,
    /// `Ok(value)` the transaction finally returned, or `Err(message)` of the receipt that
    /// failed it.
    pub status: Result<Vec<u8>, String>,
}

impl TransactionOutcome {
    pub fn is_ok(&self) -> bool {
        self.status.is_ok()
    }

    /// The transaction's own receipt.
    pub fn first(&self) -> &ReceiptOutcome {
        &self.receipts[0]
    }

    /// What the transaction's own function call did, as the contract ran it; a receipt that
    /// failed before its call (e.g. no such account) gives [`ExecutionOutcome::refused`].
    pub fn first_call(&self) -> ExecutionOutcome {
        let first = self.first();
        match (first.calls.first(), &first.error) {
            (Some(call), _) => call.clone(),
            (None, Some(error)) => ExecutionOutcome::refused(error),
            (None, None) => ExecutionOutcome::refused("the transaction made no function call"),
        }
    }

    /// The first receipt that called `method`.
    pub fn receipt(&self, method: &str) -> Option<&ReceiptOutcome> {
        self.receipts.iter().find(|r| r.method() == Some(method))
    }

    /// Every log of every receipt, in order.
    pub fn logs(&self) -> Vec<String> {
        self.receipts.iter().flat_map(ReceiptOutcome::logs).collect()
    }

    /// Gas burnt by every receipt.
    pub fn gas_burnt(&self) -> u64 {
        self.receipts.iter().map(ReceiptOutcome::gas_burnt).sum()
    }

    /// The final value; panics with the error and every receipt's logs if it failed.
    pub fn unwrap(&self) -> &[u8] {
        match &self.status {
            Ok(v) => v,
            Err(e) => panic!("transaction failed: {e}\nlogs: {:#?}", self.logs()),
        }
    }

    /// The final value as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        let bytes = self.unwrap();
        serde_json::from_slice(bytes).unwrap_or_else(|e| {
            panic!("value is not JSON of type {}: {e}: {}", std::any::type_name::<T>(), String::from_utf8_lossy(bytes))
        })
    }
}
