//! The chain: accounts with balances, access keys and optional contracts, one block clock,
//! and transactions checked as NEAR checks them before anything runs.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::{check_permission, AccessKey, ACCESS_KEY_NONCE_RANGE_MULTIPLIER};
use crate::config::{BLOCK_TIME_NS, GENESIS_HEIGHT, GENESIS_TIMESTAMP_NS};
use crate::errors::TransactionError;
use crate::harness::Harness;
use crate::keys::SignerPk;
use crate::outcome::{ExecutionOutcome, TransactionOutcome};
use crate::receipts::ReceiptToRun;
use crate::transaction::{Action, Transaction};

/// One account: its balance (held by its contract when it has one), its access keys and its
/// contract.
#[derive(Clone, Debug, Default)]
pub(crate) struct Account {
    pub(crate) balance: u128,
    pub(crate) keys: BTreeMap<SignerPk, AccessKey>,
    pub(crate) contract: Option<Harness>,
}

impl Account {
    pub(crate) fn balance(&self) -> u128 {
        self.contract.as_ref().map_or(self.balance, Harness::balance)
    }

    pub(crate) fn credit(&mut self, yocto: u128) {
        match &mut self.contract {
            Some(h) => h.set_balance(h.balance() + yocto),
            None => self.balance += yocto,
        }
    }
}

/// Accounts, keys and contracts on one block clock.
///
/// ```ignore
/// let mut chain = LocalChain::new();
/// chain.create_account("alice.near", 10 * ONE_NEAR, alice_key.clone());
/// chain.add_contract(Harness::new(wasm, "app.near"));
/// let outcome = chain.send(Transaction::new("alice.near", alice_key, "app.near").call("m", &json!({}), 30 * TGAS, 0))?;
/// ```
#[derive(Clone, Debug)]
pub struct LocalChain {
    pub(crate) accounts: BTreeMap<String, Account>,
    /// The accounts that hold a contract (their clocks follow the chain's).
    pub(crate) contracts: BTreeSet<String>,
    block_height: u64,
    block_timestamp: u64,
}

impl Default for LocalChain {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalChain {
    /// An empty chain at block [`GENESIS_HEIGHT`].
    pub fn new() -> LocalChain {
        LocalChain {
            accounts: BTreeMap::new(),
            contracts: BTreeSet::new(),
            block_height: GENESIS_HEIGHT,
            block_timestamp: GENESIS_TIMESTAMP_NS,
        }
    }

    /// A genesis account with `balance` and one full-access key. Panics if it exists.
    pub fn create_account(&mut self, account_id: &str, balance: u128, full_access_key: impl Into<SignerPk>) {
        assert!(!self.accounts.contains_key(account_id), "account {account_id} exists already");
        let mut account = Account { balance, ..Account::default() };
        account.keys.insert(full_access_key.into(), AccessKey::full_access());
        self.accounts.insert(account_id.to_owned(), account);
    }

    /// Whether `account_id` exists.
    pub fn has_account(&self, account_id: &str) -> bool {
        self.accounts.contains_key(account_id)
    }

    /// Puts a contract (with its storage, balance and clock) at its account, creating the
    /// account with no keys if needed, as a genesis record would. The chain's clock moves to
    /// the contract's if that is later.
    pub fn add_contract(&mut self, harness: Harness) {
        self.contracts.insert(harness.account_id().to_owned());
        let account = self.accounts.entry(harness.account_id().to_owned()).or_default();
        account.contract = Some(harness);
        self.sync_clock();
    }

    /// The contract deployed at `account_id`. Panics if there is none.
    pub fn contract(&self, account_id: &str) -> &Harness {
        self.accounts
            .get(account_id)
            .and_then(|a| a.contract.as_ref())
            .unwrap_or_else(|| panic!("no contract is deployed at {account_id}"))
    }

    /// The contract deployed at `account_id`, to change directly. Panics if there is none.
    pub fn contract_mut(&mut self, account_id: &str) -> &mut Harness {
        self.accounts
            .get_mut(account_id)
            .and_then(|a| a.contract.as_mut())
            .unwrap_or_else(|| panic!("no contract is deployed at {account_id}"))
    }

    /// A view call of `method` on the contract at `account_id`.
    pub fn view(&self, account_id: &str, method: &str, args: serde_json::Value) -> ExecutionOutcome {
        self.contract(account_id).view(method, args)
    }

    /// The access key `public_key` of `account_id`, if the account holds it.
    pub fn access_key(&self, account_id: &str, public_key: &SignerPk) -> Option<&AccessKey> {
        self.accounts.get(account_id)?.keys.get(public_key)
    }

    /// Every access key `account_id` holds.
    pub fn access_keys(&self, account_id: &str) -> Vec<(SignerPk, AccessKey)> {
        self.accounts
            .get(account_id)
            .map(|a| a.keys.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The balance of `account_id` in yoctoNEAR, if it exists.
    pub fn balance(&self, account_id: &str) -> Option<u128> {
        self.accounts.get(account_id).map(Account::balance)
    }

    pub fn block_height(&self) -> u64 {
        self.sync_clock_view().0
    }

    pub fn block_timestamp(&self) -> u64 {
        self.sync_clock_view().1
    }

    /// Moves `n` blocks forward (every contract's clock with it).
    pub fn advance_blocks(&mut self, n: u64) {
        self.sync_clock();
        self.block_height += n;
        self.block_timestamp += n * BLOCK_TIME_NS;
        self.sync_clock();
    }

    /// Moves the clock forward without producing blocks (for time-based logic).
    pub fn advance_time_ns(&mut self, ns: u64) {
        self.sync_clock();
        self.block_timestamp += ns;
        self.sync_clock();
    }

    /// The nonce a client would sign its next transaction with: the key's nonce plus one.
    pub fn next_nonce(&self, account_id: &str, public_key: &SignerPk) -> Result<u64, TransactionError> {
        let account =
            self.accounts.get(account_id).ok_or_else(|| TransactionError::SignerDoesNotExist(account_id.to_owned()))?;
        let key = account.keys.get(public_key).ok_or_else(|| TransactionError::AccessKeyNotFound {
            account: account_id.to_owned(),
            public_key: public_key.to_string(),
        })?;
        Ok(key.nonce + 1)
    }

    /// Signs `tx` with the next nonce of its key (as a client that looks it up does) and
    /// submits it.
    pub fn send(&mut self, mut tx: Transaction) -> Result<TransactionOutcome, TransactionError> {
        tx.nonce = self.next_nonce(&tx.signer_id, &tx.public_key)?;
        self.submit(tx)
    }

    /// Checks `tx` as NEAR does (signer, key, nonce, key permission, allowance, balance) and
    /// runs it: its receipt, then every receipt that creates, callbacks with the real results.
    /// A refused transaction changes nothing, not even the key's nonce.
    pub fn submit(&mut self, tx: Transaction) -> Result<TransactionOutcome, TransactionError> {
        self.sync_clock();
        let deposits = self.verify(&tx)?;
        let account = self.accounts.get_mut(&tx.signer_id).expect("verified");
        let key = account.keys.get_mut(&tx.public_key).expect("verified");
        let allowance = check_permission(key, &tx)?;
        key.nonce = tx.nonce;
        if let (crate::access::AccessKeyPermission::FunctionCall(p), Some(left)) = (&mut key.permission, allowance) {
            p.allowance = Some(left);
        }
        match &mut account.contract {
            Some(h) => h.set_balance(h.balance() - deposits),
            None => account.balance -= deposits,
        }
        let receipt = ReceiptToRun {
            predecessor_id: tx.signer_id.clone(),
            receiver_id: tx.receiver_id.clone(),
            signer_id: tx.signer_id.clone(),
            signer_pk: tx.public_key.clone(),
            actions: tx.actions,
            promise_results: Vec::new(),
        };
        Ok(self.run_transaction(receipt))
    }

    /// The refusals that need no change: returns the deposits the signer pays.
    fn verify(&self, tx: &Transaction) -> Result<u128, TransactionError> {
        let account = self
            .accounts
            .get(&tx.signer_id)
            .ok_or_else(|| TransactionError::SignerDoesNotExist(tx.signer_id.clone()))?;
        let key = account.keys.get(&tx.public_key).ok_or_else(|| TransactionError::AccessKeyNotFound {
            account: tx.signer_id.clone(),
            public_key: tx.public_key.to_string(),
        })?;
        if tx.nonce <= key.nonce {
            return Err(TransactionError::InvalidNonce {
                public_key: tx.public_key.to_string(),
                tx_nonce: tx.nonce,
                key_nonce: key.nonce,
            });
        }
        let upper_bound = self.block_height * ACCESS_KEY_NONCE_RANGE_MULTIPLIER;
        if tx.nonce >= upper_bound {
            return Err(TransactionError::NonceTooLarge {
                tx_nonce: tx.nonce,
                block_height: self.block_height,
                upper_bound,
            });
        }
        if tx.actions.is_empty() {
            return Err(TransactionError::NoActions);
        }
        check_permission(key, tx)?;
        let deposits: u128 = tx.actions.iter().map(Action::deposit).sum();
        if account.balance() < deposits {
            return Err(TransactionError::NotEnoughBalance {
                account: tx.signer_id.clone(),
                balance: account.balance(),
                cost: deposits,
            });
        }
        Ok(deposits)
    }

    fn sync_clock_view(&self) -> (u64, u64) {
        self.accounts
            .values()
            .filter_map(|a| a.contract.as_ref())
            .fold((self.block_height, self.block_timestamp), |(h, t), c| {
                (h.max(c.block_height()), t.max(c.block_timestamp()))
            })
    }

    /// One clock for all: a contract whose clock was moved directly moves the chain's.
    fn sync_clock(&mut self) {
        let (height, timestamp) = self.sync_clock_view();
        self.block_height = height;
        self.block_timestamp = timestamp;
        for id in &self.contracts {
            if let Some(contract) = self.accounts.get_mut(id).and_then(|a| a.contract.as_mut()) {
                contract.block_height = height;
                contract.block_timestamp = timestamp;
            }
        }
    }

    /// The chain's own clock (synced before every transaction).
    pub(crate) fn clock(&self) -> (u64, u64) {
        (self.block_height, self.block_timestamp)
    }

    /// The height a key added now starts its nonces at.
    pub(crate) fn new_key_nonce(&self) -> u64 {
        (self.block_height - 1) * ACCESS_KEY_NONCE_RANGE_MULTIPLIER
    }
}
