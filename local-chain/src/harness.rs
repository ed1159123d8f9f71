//! One contract account: its code, storage, balance and yields, and a block clock. Calls
//! reach it as receipts would, with whatever predecessor and signer they name; the access-key
//! checks of a transaction live in [`LocalChain`](crate::LocalChain).

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use near_primitives_core::account::AccountContract;
use near_primitives_core::config::ViewConfig;
use near_primitives_core::hash::CryptoHash;
use near_primitives_core::types::{AccountId, Balance, Gas};
use near_vm_runner::logic::mocks::mock_external::{MockAction, MockedExternal};
use near_vm_runner::logic::types::PromiseResult as VmPromiseResult;
use near_vm_runner::logic::VMContext;
use near_vm_runner::ContractCode;
use sha2::{Digest, Sha256};

use crate::call::{Call, PromiseResult};
use crate::config::{
    runtime_config, BLOCK_TIME_NS, DEFAULT_BALANCE, EPOCH_LENGTH, GENESIS_HEIGHT, GENESIS_TIMESTAMP_NS,
    ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT,
};
use crate::keys::SignerPk;
use crate::outcome::{ExecutionOutcome, Failure, YieldInfo};
use crate::vm::{execute, outcome_from_vm, parse_account};

#[derive(Clone, Debug)]
pub(crate) struct PendingYield {
    pub(crate) info: YieldInfo,
    /// Leftover prepaid gas of the creating call, shared out to weighted callbacks.
    pub(crate) leftover_gas: u64,
    pub(crate) signer: String,
    pub(crate) signer_pk: Vec<u8>,
    /// Set once the contract resumed it.
    pub(crate) resumed_with: Option<Vec<u8>>,
}

/// A contract account with its code, storage and balance, and a block clock.
#[derive(Clone)]
pub struct Harness {
    pub(crate) account: AccountId,
    pub(crate) code: Arc<ContractCode>,
    /// Storage and the action log; persists across calls (the mock's data-id counter too, so
    /// yields get distinct data ids).
    pub(crate) ext: MockedExternal,
    pub(crate) balance: u128,
    /// Bytes the contract's data takes (keys, values and per-record overhead).
    pub(crate) data_storage_usage: u64,
    pub(crate) block_height: u64,
    pub(crate) block_timestamp: u64,
    /// Counts calls, to vary the random seed.
    pub(crate) nonce: u64,
    /// Yields created and not yet run, in creation order.
    pub(crate) yields: BTreeMap<u64, PendingYield>,
    pub(crate) next_yield_seq: u64,
    /// Snapshot storage before each call so a failed call can be undone.
    pub(crate) rollback: bool,
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
    pub fn call(&mut self, call: Call) -> ExecutionOutcome {
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
    pub fn view(&self, method: &str, args: serde_json::Value) -> ExecutionOutcome {
        self.view_call(Call::new(method).args(args))
    }

    /// A view call built as a [`Call`] (for raw arguments). Deposit and gas are ignored: views
    /// run with no deposit and the view gas limit.
    pub fn view_call(&self, call: Call) -> ExecutionOutcome {
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

    pub(crate) fn base_storage_usage(&self) -> u64 {
        self.code.code().len() as u64 + runtime_config().fees.storage_usage_config.num_bytes_account
    }

    pub(crate) fn signer_pk_of(&self, call: &Call) -> Vec<u8> {
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
