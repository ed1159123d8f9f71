//! In-process execution of a compiled NEAR contract under nearcore's own VM.
//!
//! Every call goes through `near_vm_runner::prepare` + `near_vm_runner::run` with the
//! mainnet runtime configuration of the protocol version `near-vm-runner` is built for, so
//! wasm instrumentation, gas metering, host-function costs and limits are the real ones.
//! State lives in a [`MockedExternal`] that persists between calls.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use near_parameters::{RuntimeConfig, RuntimeConfigStore, RuntimeFeesConfig};
use near_primitives_core::account::AccountContract;
use near_primitives_core::config::ViewConfig;
use near_primitives_core::hash::CryptoHash;
use near_primitives_core::types::{AccountId, Balance, Gas};
pub use near_primitives_core::version::PROTOCOL_VERSION;
use near_vm_runner::logic::errors::{FunctionCallError, HostError, MethodResolveError};
use near_vm_runner::logic::mocks::mock_external::MockedExternal;
use near_vm_runner::logic::types::PromiseResult as VmPromiseResult;
use near_vm_runner::logic::{ReturnData, VMContext, VMOutcome};
use near_vm_runner::{Contract, ContractCode, ContractRuntimeCache};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

pub use near_vm_runner::logic::mocks::mock_external::MockAction;

/// One NEAR, in yoctoNEAR.
pub const ONE_NEAR: u128 = 1_000_000_000_000_000_000_000_000;
/// One teragas.
pub const TGAS: u64 = 1_000_000_000_000;
/// Prepaid gas of a [`Call`] unless [`Call::gas`] says otherwise.
pub const DEFAULT_GAS: u64 = 300 * TGAS;
/// Balance a fresh [`Harness`] gives the contract account (deposits not included).
pub const DEFAULT_BALANCE: u128 = 1_000 * ONE_NEAR;
/// Predecessor (and signer) of a [`Call`] that does not say [`Call::by`].
pub const DEFAULT_CALLER: &str = "caller.near";
/// Block height of a fresh [`Harness`].
pub const GENESIS_HEIGHT: u64 = 100;
/// Block timestamp (ns since the Unix epoch) of a fresh [`Harness`]: 2024-01-01T00:00:00Z.
pub const GENESIS_TIMESTAMP_NS: u64 = 1_704_067_200_000_000_000;
/// How far [`Harness::advance_blocks`] moves the clock per block.
pub const BLOCK_TIME_NS: u64 = 1_000_000_000;
/// Accounts whose total storage stays at or below this need no storage stake (NEP-448).
const ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT: u64 = 770;
const EPOCH_LENGTH: u64 = 43_200;

// ---------------------------------------------------------------------------------------------
// Runtime configuration and the compiled-code cache
// ---------------------------------------------------------------------------------------------

/// The mainnet runtime configuration at `near_primitives_core::version::PROTOCOL_VERSION`.
pub fn runtime_config() -> &'static Arc<RuntimeConfig> {
    static CONFIG: OnceLock<Arc<RuntimeConfig>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let store = RuntimeConfigStore::new(None);
        let mut config = RuntimeConfig::clone(store.get_config(PROTOCOL_VERSION));
        let mut wasm = near_parameters::vm::Config::clone(&config.wasm_config);
        wasm.vm_kind = wasm.vm_kind.replace_with_wasmtime_if_unsupported();
        config.wasm_config = Arc::new(wasm);
        Arc::new(config)
    })
}

/// The protocol version every call runs at.
pub fn protocol_version() -> u32 {
    PROTOCOL_VERSION
}

/// Process-wide cache of compiled contracts.
///
/// Compiled artifacts are stored on disk under `<workspace>/target/contract-tests-vm-cache`
/// (keyed by code hash, VM config and Wasmtime engine), so only the first test process after a
/// contract change pays for compilation; loaded modules are kept in memory so later calls in
/// the same process skip deserialisation too. Falls back to an in-memory cache if the directory
/// cannot be used.
fn compiled_cache() -> &'static dyn ContractRuntimeCache {
    static CACHE: OnceLock<Box<dyn ContractRuntimeCache>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let dir = crate::wasm::workspace_root().join("target");
            match near_vm_runner::FilesystemContractRuntimeCache::with_memory_cache(
                &dir,
                None::<&str>,
                "contract-tests-vm-cache",
                64,
                None,
                near_vm_runner::FilesystemContractRuntimeCache::MAX_DISK_CACHE_BYTES,
                near_vm_runner::noop_background_spawner(),
            ) {
                Ok(cache) => Box::new(cache),
                Err(err) => {
                    eprintln!(
                        "contract-tests: cannot use {}/contract-tests-vm-cache ({err}); \
                         compiled contracts are cached in memory only",
                        dir.display()
                    );
                    Box::new(near_vm_runner::MockContractRuntimeCache::default())
                }
            }
        })
        .as_ref()
}

/// The contract code the VM asks for (by hash first; the bytes only on a cache miss).
struct Code(Arc<ContractCode>);

impl Contract for Code {
    fn hash(&self) -> CryptoHash {
        *self.0.hash()
    }
    fn get_code(&self) -> Option<Arc<ContractCode>> {
        Some(Arc::clone(&self.0))
    }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A signer public key in NEAR's borsh layout: one curve byte (0 = ed25519) followed by the
/// 32 key bytes. `Display` gives the usual `ed25519:<base58>` form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignerPk(Vec<u8>);

impl SignerPk {
    /// A deterministic ed25519-style key: the 32 key bytes are `sha256(seed)`. It is not the
    /// public half of any known secret key; it only has to look like a key to the contract.
    pub fn ed25519_from_seed(seed: &str) -> SignerPk {
        let digest = Sha256::digest(seed.as_bytes());
        let mut bytes = Vec::with_capacity(33);
        bytes.push(0);
        bytes.extend_from_slice(&digest);
        SignerPk(bytes)
    }

    /// An ed25519 key from its 32 raw bytes.
    pub fn ed25519(key: [u8; 32]) -> SignerPk {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&key);
        SignerPk(bytes)
    }

    /// Any key already in borsh layout (curve byte + key data).
    pub fn from_borsh(bytes: Vec<u8>) -> SignerPk {
        SignerPk(bytes)
    }

    /// The borsh bytes (curve byte + key data), as `env::signer_account_pk` returns them.
    pub fn borsh(&self) -> &[u8] {
        &self.0
    }

    /// The key data without the curve byte.
    pub fn key_data(&self) -> &[u8] {
        &self.0[1..]
    }
}

impl AsRef<[u8]> for SignerPk {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<SignerPk> for Vec<u8> {
    fn from(pk: SignerPk) -> Vec<u8> {
        pk.0
    }
}

impl fmt::Display for SignerPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let curve = match self.0.first() {
            Some(0) => "ed25519",
            Some(1) => "secp256k1",
            _ => return write!(f, "<invalid key {}>", hex::encode(&self.0)),
        };
        write!(f, "{curve}:{}", base58(self.key_data()))
    }
}

impl fmt::Debug for SignerPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerPk({self})")
    }
}

/// Bitcoin-alphabet base58, as NEAR uses for keys and hashes.
pub fn base58(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    // Little-endian base-58 digits.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &byte in &bytes[zeros..] {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            carry += (*d as u32) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|d| ALPHABET[*d as usize] as char));
    out
}

// ---------------------------------------------------------------------------------------------
// Call
// ---------------------------------------------------------------------------------------------

/// The result of an earlier receipt, handed to a callback (`env::promise_result`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromiseResult {
    Successful(Vec<u8>),
    Failed,
}

/// A function call to make through [`Harness::call`] (or [`Harness::view_call`]).
///
/// ```ignore
/// h.call(Call::new("vote_pk").args(json!({"key": k})).by("alice.near").deposit(1));
/// ```
#[derive(Clone, Debug)]
pub struct Call {
    method: String,
    input: Vec<u8>,
    predecessor: String,
    signer: Option<String>,
    signer_pk: Option<Vec<u8>>,
    deposit: u128,
    gas: u64,
    promise_results: Vec<PromiseResult>,
}

impl Call {
    /// A call of `method` with no arguments, by [`DEFAULT_CALLER`], no deposit, 300 Tgas.
    pub fn new(method: &str) -> Call {
        Call {
            method: method.to_string(),
            input: Vec::new(),
            predecessor: DEFAULT_CALLER.to_string(),
            signer: None,
            signer_pk: None,
            deposit: 0,
            gas: DEFAULT_GAS,
            promise_results: Vec::new(),
        }
    }

    /// JSON arguments.
    pub fn args(mut self, args: serde_json::Value) -> Call {
        self.input = serde_json::to_vec(&args).expect("JSON arguments serialise");
        self
    }

    /// Raw argument bytes, passed to the contract as they are.
    pub fn args_raw(mut self, input: impl Into<Vec<u8>>) -> Call {
        self.input = input.into();
        self
    }

    /// Borsh-encoded arguments.
    pub fn args_borsh<T: borsh::BorshSerialize>(mut self, args: &T) -> Call {
        self.input = borsh::to_vec(args).expect("borsh arguments serialise");
        self
    }

    /// The predecessor (`env::predecessor_account_id`). Also the signer unless
    /// [`Call::signer`] says otherwise.
    pub fn by(mut self, account: &str) -> Call {
        self.predecessor = account.to_string();
        self
    }

    /// The signer (`env::signer_account_id`), when it differs from the predecessor.
    pub fn signer(mut self, account: &str) -> Call {
        self.signer = Some(account.to_string());
        self
    }

    /// The signer's public key (borsh layout, e.g. a [`SignerPk`]). Defaults to
    /// `SignerPk::ed25519_from_seed(<signer account>)`.
    pub fn signer_pk(mut self, pk: impl AsRef<[u8]>) -> Call {
        self.signer_pk = Some(pk.as_ref().to_vec());
        self
    }

    /// Attached deposit in yoctoNEAR.
    pub fn deposit(mut self, yocto: u128) -> Call {
        self.deposit = yocto;
        self
    }

    /// Prepaid gas.
    pub fn gas(mut self, gas: u64) -> Call {
        self.gas = gas;
        self
    }

    /// Prepaid gas in Tgas.
    pub fn tgas(self, tgas: u64) -> Call {
        self.gas(tgas * TGAS)
    }

    /// Results of the receipts this call is a callback of (`env::promise_result(i)`).
    pub fn promise_results(mut self, results: Vec<PromiseResult>) -> Call {
        self.promise_results = results;
        self
    }

    pub fn method(&self) -> &str {
        &self.method
    }

    pub fn predecessor(&self) -> &str {
        &self.predecessor
    }

    pub fn signer_account(&self) -> &str {
        self.signer.as_deref().unwrap_or(&self.predecessor)
    }
}

// ---------------------------------------------------------------------------------------------
// Outcome
// ---------------------------------------------------------------------------------------------

/// Why a call failed, classified. [`Outcome::result`] carries the same as a message.
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
    /// Anything else the VM reports (host errors, compilation/link errors): its description.
    Other(String),
}

impl Failure {
    fn from_vm(err: &FunctionCallError, method: &str) -> Failure {
        match err {
            FunctionCallError::HostError(HostError::GuestPanic { panic_msg }) => Failure::Panic(panic_msg.clone()),
            FunctionCallError::HostError(HostError::GasExceeded) => Failure::GasExceeded,
            FunctionCallError::HostError(HostError::GasLimitExceeded) => Failure::GasLimitExceeded,
            FunctionCallError::HostError(HostError::ProhibitedInView { method_name }) => {
                Failure::ProhibitedInView(method_name.clone())
            }
            FunctionCallError::MethodResolveError(kind) => Failure::MethodNotFound(match kind {
                MethodResolveError::MethodInvalidSignature => {
                    format!("the contract exports `{method}` but not as a `() -> ()` function")
                }
                MethodResolveError::MethodEmptyName => "empty method name".to_string(),
                MethodResolveError::MethodNotFound => {
                    format!("the contract has no exported method `{method}`")
                }
            }),
            FunctionCallError::WasmTrap(trap) => Failure::WasmTrap(trap.to_string()),
            FunctionCallError::CompilationError(e) => Failure::Other(format!("CompilationError: {e}")),
            FunctionCallError::LinkError { msg } => Failure::Other(format!("LinkError: {msg}")),
            FunctionCallError::LoadingError { msg } => Failure::Other(format!("LoadingError: {msg}")),
            FunctionCallError::HostError(e) => {
                let kind: &'static str = e.into();
                Failure::Other(format!("HostError({kind}): {e}"))
            }
        }
    }

    /// The text that goes into `Outcome::result`'s `Err`.
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
pub struct Receipt {
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

/// What a call or view did.
#[derive(Clone, Debug)]
pub struct Outcome {
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
    pub receipts: Vec<Receipt>,
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

impl Outcome {
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

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct PendingYield {
    info: YieldInfo,
    /// Leftover prepaid gas of the creating call, shared out to weighted callbacks.
    leftover_gas: u64,
    signer: String,
    signer_pk: Vec<u8>,
    /// Set once the contract resumed it.
    resumed_with: Option<Vec<u8>>,
}

/// A contract account with its code, storage and balance, and a block clock.
pub struct Harness {
    account: AccountId,
    code: Arc<ContractCode>,
    /// Storage and the action log; persists across calls (the mock's data-id counter too, so
    /// yields get distinct data ids).
    ext: MockedExternal,
    balance: u128,
    /// Bytes the contract's data takes (keys, values and per-record overhead).
    data_storage_usage: u64,
    block_height: u64,
    block_timestamp: u64,
    /// Counts calls, to vary the random seed.
    nonce: u64,
    /// Yields created and not yet run, in creation order.
    yields: BTreeMap<u64, PendingYield>,
    next_yield_seq: u64,
    /// Snapshot storage before each call so a failed call can be undone.
    rollback: bool,
}

impl Harness {
    /// A contract account `contract_account` running `wasm`, with [`DEFAULT_BALANCE`], empty
    /// storage, at block [`GENESIS_HEIGHT`].
    pub fn new(wasm: Vec<u8>, contract_account: &str) -> Harness {
        Harness {
            account: parse_account(contract_account),
            code: Arc::new(ContractCode::new(wasm, None)),
            ext: MockedExternal::new(),
            balance: DEFAULT_BALANCE,
            data_storage_usage: 0,
            block_height: GENESIS_HEIGHT,
            block_timestamp: GENESIS_TIMESTAMP_NS,
            nonce: 0,
            yields: BTreeMap::new(),
            next_yield_seq: 0,
            rollback: true,
        }
    }

    /// Like [`Harness::new`] with the given balance.
    pub fn with_balance(mut self, yocto: u128) -> Harness {
        self.balance = yocto;
        self
    }

    /// Bulk mode (`false`): no storage snapshot before a call, so building a
    /// large state through the wasm stays linear. A call that fails in bulk
    /// mode panics, since nothing could undo what it wrote.
    pub fn set_rollback(&mut self, rollback: bool) {
        self.rollback = rollback;
    }

    pub fn account_id(&self) -> &str {
        self.account.as_str()
    }

    /// A mutating function call. On failure of any kind nothing it did is kept: storage,
    /// storage usage, balance and yields are exactly as before.
    pub fn call(&mut self, call: Call) -> Outcome {
        self.nonce += 1;
        let storage_before = if self.rollback { self.ext.fake_trie.clone() } else { Default::default() };
        // Only yields that can still be resumed are visible to the mock's resume lookup.
        let timeout = self.yield_timeout();
        self.ext.action_log = self
            .yields
            .values()
            .filter(|y| y.resumed_with.is_none() && self.block_height < y.info.created_at_height + timeout)
            .map(|y| MockAction::YieldCreate {
                data_id: CryptoHash(y.info.data_id),
                receiver_id: self.account.clone(),
                yield_id: None,
            })
            .collect();
        let log_start = self.ext.action_log.len();

        let context = self.context(&call, None);
        let vm = execute(&self.code, &mut self.ext, &context, &call.method);
        let actions: Vec<MockAction> = self.ext.action_log[log_start..].to_vec();
        let mut outcome = outcome_from_vm(&vm, &call.method, actions, log_start as u64);

        let base = self.base_storage_usage();
        if outcome.failure.is_none() {
            let usage = vm.storage_usage;
            let balance = vm.balance.as_yoctonear();
            let required = if usage <= ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT {
                0
            } else {
                runtime_config().fees.storage_usage_config.storage_amount_per_byte.as_yoctonear() * usage as u128
            };
            if balance < required {
                let failure = Failure::LackBalanceForState { required, balance };
                outcome.result = Err(failure.message());
                outcome.failure = Some(failure);
            }
        }

        if outcome.failure.is_some() {
            assert!(self.rollback, "`{}` failed in bulk mode: {:?}", call.method, outcome.result);
            self.ext.fake_trie = storage_before;
            outcome.receipts.clear();
            outcome.yields.clear();
            outcome.resumed.clear();
            outcome.returned_receipt = None;
            outcome.returned_yield = None;
        } else {
            self.balance = vm.balance.as_yoctonear();
            self.data_storage_usage =
                vm.storage_usage.checked_sub(base).expect("storage usage fell below the code's own usage");
            let leftover = call.gas.saturating_sub(vm.used_gas.as_gas());
            for y in &mut outcome.yields {
                y.created_at_height = self.block_height;
                self.yields.insert(
                    self.next_yield_seq,
                    PendingYield {
                        info: y.clone(),
                        leftover_gas: leftover,
                        signer: call.signer_account().to_string(),
                        signer_pk: self.signer_pk_of(&call),
                        resumed_with: None,
                    },
                );
                self.next_yield_seq += 1;
            }
            outcome.resumed.clear();
            for action in &outcome.actions {
                if let MockAction::YieldResume { data_id, data } = action {
                    if let Some(y) = self.yields.values_mut().find(|y| {
                        y.info.data_id == data_id.0
                            && y.resumed_with.is_none()
                            && self.block_height < y.info.created_at_height + timeout
                    }) {
                        y.resumed_with = Some(data.clone());
                        outcome.resumed.push(data_id.0);
                    }
                }
            }
        }
        outcome.storage_usage = self.data_storage_usage;
        self.ext.action_log.clear();
        outcome
    }

    /// A view call (`is_view`): the VM refuses state-changing host functions, and nothing is
    /// kept either way.
    pub fn view(&self, method: &str, args: serde_json::Value) -> Outcome {
        self.view_call(Call::new(method).args(args))
    }

    /// A view call built as a [`Call`] (for raw arguments). Deposit and gas are ignored: views
    /// run with no deposit and the view gas limit.
    pub fn view_call(&self, call: Call) -> Outcome {
        let mut ext = self.ext.clone();
        ext.action_log.clear();
        let max_gas = runtime_config().wasm_config.limit_config.max_gas_burnt;
        let call = call.deposit(0).gas(max_gas.as_gas());
        let context = self.context(&call, Some(ViewConfig { max_gas_burnt: max_gas }));
        let vm = execute(&self.code, &mut ext, &context, &call.method);
        let mut outcome = outcome_from_vm(&vm, &call.method, ext.action_log.clone(), 0);
        outcome.storage_usage = self.data_storage_usage;
        outcome
    }

    /// Replace the contract code, keeping storage, balance and yields (a code upgrade).
    pub fn replace_code(&mut self, wasm: Vec<u8>) {
        self.code = Arc::new(ContractCode::new(wasm, None));
    }

    /// The sha256 of the current code.
    pub fn code_hash(&self) -> [u8; 32] {
        self.code.hash().0
    }

    /// Bytes the contract's data takes in storage as NEAR accounts it: for each entry its key
    /// and value lengths plus 40 bytes of record overhead. Starts at 0 (the code and the
    /// account record are not included).
    pub fn storage_usage(&self) -> u64 {
        self.data_storage_usage
    }

    /// The total the chain would report for the account: data + code + account record.
    pub fn total_storage_usage(&self) -> u64 {
        self.data_storage_usage + self.base_storage_usage()
    }

    /// All storage entries, sorted by key.
    pub fn raw_storage(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut entries: Vec<_> = self.ext.fake_trie.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        entries.sort();
        entries
    }

    /// One storage value.
    pub fn storage_get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.ext.fake_trie.get(key).cloned()
    }

    /// Write a storage entry directly, as if some contract had written it (e.g. to plant a
    /// foreign or corrupt state). Storage usage is updated as the VM would.
    pub fn set_raw_storage(&mut self, key: Vec<u8>, value: Vec<u8>) {
        let value_len = value.len() as u64;
        let key_len = key.len() as u64;
        match self.ext.fake_trie.insert(key, value) {
            Some(old) => self.data_storage_usage = self.data_storage_usage - old.len() as u64 + value_len,
            None => self.data_storage_usage += key_len + value_len + self.record_overhead(),
        }
    }

    /// Remove a storage entry directly; returns its value. Storage usage is updated.
    pub fn remove_raw_storage(&mut self, key: &[u8]) -> Option<Vec<u8>> {
        let old = self.ext.fake_trie.remove(key)?;
        self.data_storage_usage -= key.len() as u64 + old.len() as u64 + self.record_overhead();
        Some(old)
    }

    fn record_overhead(&self) -> u64 {
        runtime_config().fees.storage_usage_config.num_extra_bytes_record
    }

    /// The account balance in yoctoNEAR (deposits received, transfers sent and nothing else:
    /// gas is paid by the signer).
    pub fn balance(&self) -> u128 {
        self.balance
    }

    pub fn set_balance(&mut self, yocto: u128) {
        self.balance = yocto;
    }

    pub fn block_height(&self) -> u64 {
        self.block_height
    }

    /// Block timestamp in nanoseconds.
    pub fn block_timestamp(&self) -> u64 {
        self.block_timestamp
    }

    /// Move `n` blocks forward: the height by `n`, the timestamp by `n` seconds.
    pub fn advance_blocks(&mut self, n: u64) {
        self.block_height += n;
        self.block_timestamp += n * BLOCK_TIME_NS;
    }

    /// Move the clock forward without producing blocks' worth of height (for time-based logic).
    pub fn advance_time_ns(&mut self, ns: u64) {
        self.block_timestamp += ns;
    }

    /// How many blocks a yield waits for its resume before its callback runs with a timeout.
    pub fn yield_timeout(&self) -> u64 {
        runtime_config().wasm_config.limit_config.yield_timeout_length_in_blocks
    }

    /// Yields whose callback has not run yet, in creation order.
    pub fn pending_yields(&self) -> Vec<YieldInfo> {
        self.yields.values().map(|y| y.info.clone()).collect()
    }

    /// Whether the contract resumed the yield with this data id (its callback has not run yet).
    pub fn yield_resumed(&self, data_id: [u8; 32]) -> bool {
        self.yields.values().any(|y| y.info.data_id == data_id && y.resumed_with.is_some())
    }

    /// Runs a yield's callback as the runtime would: as a call by the contract itself with one
    /// promise result, the resume payload if the contract resumed it, or a failure if it timed
    /// out (its timeout has passed: see [`Harness::advance_blocks`]). Panics if it is neither
    /// resumed nor timed out yet, or unknown.
    pub fn run_yield_callback(&mut self, data_id: [u8; 32]) -> Outcome {
        let (seq, y) = self
            .yields
            .iter()
            .find(|(_, y)| y.info.data_id == data_id)
            .map(|(s, y)| (*s, y.clone()))
            .unwrap_or_else(|| panic!("no pending yield with data id {}", hex::encode(data_id)));
        let result = match &y.resumed_with {
            Some(data) => PromiseResult::Successful(data.clone()),
            None if self.block_height >= y.info.created_at_height + self.yield_timeout() => PromiseResult::Failed,
            None => panic!(
                "yield {} is neither resumed nor timed out (created at height {}, now {}, \
                 timeout {} blocks)",
                hex::encode(data_id),
                y.info.created_at_height,
                self.block_height,
                self.yield_timeout()
            ),
        };
        self.yields.remove(&seq);
        let gas =
            if y.info.callback_gas_weight > 0 { y.info.callback_gas + y.leftover_gas } else { y.info.callback_gas };
        let account = self.account.to_string();
        self.call(
            Call::new(&y.info.callback_method)
                .args_raw(y.info.callback_args.clone())
                .by(&account)
                .signer(&y.signer)
                .signer_pk(&y.signer_pk)
                .gas(gas)
                .promise_results(vec![result]),
        )
    }

    /// Runs the callbacks of every yield that was resumed or has timed out, in creation order.
    pub fn run_ready_yield_callbacks(&mut self) -> Vec<(YieldInfo, Outcome)> {
        let timeout = self.yield_timeout();
        let ready: Vec<YieldInfo> = self
            .yields
            .values()
            .filter(|y| y.resumed_with.is_some() || self.block_height >= y.info.created_at_height + timeout)
            .map(|y| y.info.clone())
            .collect();
        ready
            .into_iter()
            .map(|info| {
                let outcome = self.run_yield_callback(info.data_id);
                (info, outcome)
            })
            .collect()
    }

    fn base_storage_usage(&self) -> u64 {
        self.code.code().len() as u64 + runtime_config().fees.storage_usage_config.num_bytes_account
    }

    fn signer_pk_of(&self, call: &Call) -> Vec<u8> {
        call.signer_pk.clone().unwrap_or_else(|| SignerPk::ed25519_from_seed(call.signer_account()).into())
    }

    fn context(&self, call: &Call, view: Option<ViewConfig>) -> VMContext {
        let predecessor = parse_account(&call.predecessor);
        let mut seed = Sha256::new();
        seed.update(self.block_height.to_le_bytes());
        seed.update(self.nonce.to_le_bytes());
        let promise_results: Vec<VmPromiseResult> = call
            .promise_results
            .iter()
            .map(|r| match r {
                PromiseResult::Successful(data) => VmPromiseResult::Successful(Rc::from(data.as_slice())),
                PromiseResult::Failed => VmPromiseResult::Failed,
            })
            .collect();
        VMContext {
            current_account_id: self.account.clone(),
            signer_account_id: parse_account(call.signer_account()),
            signer_account_pk: self.signer_pk_of(call),
            predecessor_account_id: predecessor.clone(),
            refund_to_account_id: predecessor,
            input: Rc::from(call.input.as_slice()),
            promise_results: promise_results.into(),
            block_height: self.block_height,
            block_timestamp: self.block_timestamp,
            epoch_height: 1 + self.block_height / EPOCH_LENGTH,
            account_balance: Balance::from_yoctonear(self.balance),
            account_locked_balance: Balance::ZERO,
            storage_usage: self.data_storage_usage + self.base_storage_usage(),
            account_contract: AccountContract::Local(*self.code.hash()),
            attached_deposit: Balance::from_yoctonear(call.deposit),
            prepaid_gas: Gas::from_gas(call.gas),
            random_seed: seed.finalize().to_vec(),
            view_config: view,
            output_data_receivers: vec![],
        }
    }
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("account", &self.account.as_str())
            .field("code_hash", &hex::encode(self.code.hash().0))
            .field("code_len", &self.code.code().len())
            .field("storage_entries", &self.ext.fake_trie.len())
            .field("storage_usage", &self.data_storage_usage)
            .field("balance", &self.balance)
            .field("block_height", &self.block_height)
            .finish()
    }
}

fn parse_account(account: &str) -> AccountId {
    account.parse().unwrap_or_else(|e| panic!("invalid NEAR account id {account:?}: {e}"))
}

fn fees() -> Arc<RuntimeFeesConfig> {
    Arc::clone(&runtime_config().fees)
}

/// Runs one method under the VM. A `VMRunnerError` means the VM itself (not the contract)
/// failed, e.g. a corrupt cache; that is a harness problem, so it panics.
fn execute(code: &Arc<ContractCode>, ext: &mut MockedExternal, context: &VMContext, method: &str) -> VMOutcome {
    let config = Arc::clone(&runtime_config().wasm_config);
    let gas_counter = context.make_gas_counter(&config);
    let contract = Code(Arc::clone(code));
    let prepared = near_vm_runner::prepare(&contract, config, Some(compiled_cache()), gas_counter, method);
    near_vm_runner::run(prepared, ext, context, fees())
        .unwrap_or_else(|e| panic!("near-vm-runner failed (not a contract failure): {e:?}"))
}

fn receipt_index_of(action: &MockAction) -> Option<u64> {
    // Every variant but the receipt-creating ones carries a `receipt_index`; reading it through
    // serde keeps this independent of the variant list.
    let value = serde_json::to_value(action).ok()?;
    let (_, fields) = value.as_object()?.iter().next()?;
    fields.get("receipt_index")?.as_u64()
}

/// `actions` is the call's slice of the mock's action log, starting at absolute index `base`.
fn outcome_from_vm(vm: &VMOutcome, method: &str, actions: Vec<MockAction>, base: u64) -> Outcome {
    let failure = vm.aborted.as_ref().map(|e| Failure::from_vm(e, method));
    let result = match &failure {
        Some(f) => Err(f.message()),
        None => Ok(match &vm.return_data {
            ReturnData::Value(v) => v.clone(),
            ReturnData::ReceiptIndex(_) | ReturnData::None => Vec::new(),
        }),
    };
    let returned_receipt = match (&failure, &vm.return_data) {
        (None, ReturnData::ReceiptIndex(i)) => Some(*i),
        _ => None,
    };

    let mut by_receipt: HashMap<u64, Vec<MockAction>> = HashMap::new();
    for action in &actions {
        if let Some(i) = receipt_index_of(action) {
            by_receipt.entry(i).or_default().push(action.clone());
        }
    }
    let mut receipts = Vec::new();
    let mut yields = Vec::new();
    let mut resumed = Vec::new();
    let mut returned_yield = None;
    for (offset, action) in actions.iter().enumerate() {
        let index = base + offset as u64;
        match action {
            MockAction::CreateReceipt { receipt_indices, receiver_id } => receipts.push(Receipt {
                receiver_id: receiver_id.to_string(),
                actions: by_receipt.remove(&index).unwrap_or_default(),
                depends_on: receipt_indices.clone(),
                index,
            }),
            MockAction::YieldCreate { data_id, .. } => {
                let callback = by_receipt.remove(&index).unwrap_or_default();
                let (callback_method, callback_args, callback_gas, callback_gas_weight) = callback
                    .iter()
                    .find_map(|a| match a {
                        MockAction::FunctionCallWeight { method_name, args, prepaid_gas, gas_weight, .. } => Some((
                            String::from_utf8_lossy(method_name).into_owned(),
                            args.clone(),
                            prepaid_gas.as_gas(),
                            gas_weight.0,
                        )),
                        _ => None,
                    })
                    .unwrap_or_default();
                if returned_receipt == Some(index) {
                    returned_yield = Some(data_id.0);
                }
                yields.push(YieldInfo {
                    data_id: data_id.0,
                    callback_method,
                    callback_args,
                    callback_gas,
                    callback_gas_weight,
                    created_at_height: 0,
                });
            }
            MockAction::YieldResume { data_id, .. } => resumed.push(data_id.0),
            _ => {}
        }
    }

    Outcome {
        result,
        failure,
        logs: vm.logs.clone(),
        gas_burnt: vm.burnt_gas.as_gas(),
        gas_used: vm.used_gas.as_gas(),
        receipts,
        yields,
        resumed,
        actions,
        returned_receipt,
        returned_yield,
        storage_usage: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_matches_known_vectors() {
        assert_eq!(base58(b""), "");
        assert_eq!(base58(&[0, 0, 1]), "112");
        assert_eq!(base58(b"hello world"), "StV1DL6CwTryKyV");
        // The all-zero ed25519 key NEAR prints as 111...1 (32 ones).
        assert_eq!(base58(&[0u8; 32]), "1".repeat(32));
    }

    #[test]
    fn signer_pk_layout() {
        let pk = SignerPk::ed25519_from_seed("alice.near");
        assert_eq!(pk.borsh().len(), 33);
        assert_eq!(pk.borsh()[0], 0);
        assert_eq!(pk, SignerPk::ed25519_from_seed("alice.near"));
        assert_ne!(pk, SignerPk::ed25519_from_seed("bob.near"));
        assert!(pk.to_string().starts_with("ed25519:"));
    }
}
