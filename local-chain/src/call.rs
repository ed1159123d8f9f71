//! A function call as a receipt delivers it to a contract: who calls, with what, how much.

use crate::config::{DEFAULT_CALLER, DEFAULT_GAS, TGAS};

/// The result of an earlier receipt, handed to a callback (`env::promise_result`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromiseResult {
    Successful(Vec<u8>),
    Failed,
}

/// A function call to make through [`Harness::call`](crate::Harness::call) (or
/// [`Harness::view_call`](crate::Harness::view_call)).
///
/// ```ignore
/// h.call(ContractCall::new("approve").args(json!({"key": k})).by("alice.near").deposit(1));
/// h.call(ContractCall::new("confirm").args_borsh(&(epoch, keys)).by("alice.near"));
/// ```
#[derive(Clone, Debug)]
pub struct ContractCall {
    pub(crate) method: String,
    pub(crate) input: Vec<u8>,
    pub(crate) predecessor: String,
    pub(crate) signer: Option<String>,
    pub(crate) signer_pk: Option<Vec<u8>>,
    pub(crate) deposit: u128,
    pub(crate) gas: u64,
    pub(crate) promise_results: Vec<PromiseResult>,
}

impl ContractCall {
    /// A call of `method` with no arguments, by [`DEFAULT_CALLER`], no deposit, 300 Tgas.
    pub fn new(method: &str) -> ContractCall {
        ContractCall {
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
    pub fn args(mut self, args: serde_json::Value) -> ContractCall {
        self.input = serde_json::to_vec(&args).expect("JSON arguments serialise");
        self
    }

    /// Raw argument bytes, passed to the contract as they are.
    pub fn args_raw(mut self, input: impl Into<Vec<u8>>) -> ContractCall {
        self.input = input.into();
        self
    }

    /// Borsh-encoded arguments.
    pub fn args_borsh<T: borsh::BorshSerialize>(mut self, args: &T) -> ContractCall {
        self.input = borsh::to_vec(args).expect("borsh arguments serialise");
        self
    }

    /// The predecessor (`env::predecessor_account_id`). Also the signer unless
    /// [`ContractCall::signer`] says otherwise.
    pub fn by(mut self, account: &str) -> ContractCall {
        self.predecessor = account.to_string();
        self
    }

    /// The signer (`env::signer_account_id`), when it differs from the predecessor.
    pub fn signer(mut self, account: &str) -> ContractCall {
        self.signer = Some(account.to_string());
        self
    }

    /// The signer's public key (borsh layout, e.g. a [`SignerPk`]). Defaults to
    /// `SignerPk::ed25519_from_seed(<signer account>)`.
    pub fn signer_pk(mut self, pk: impl AsRef<[u8]>) -> ContractCall {
        self.signer_pk = Some(pk.as_ref().to_vec());
        self
    }

    /// Attached deposit in yoctoNEAR.
    pub fn deposit(mut self, yocto: u128) -> ContractCall {
        self.deposit = yocto;
        self
    }

    /// Prepaid gas.
    pub fn gas(mut self, gas: u64) -> ContractCall {
        self.gas = gas;
        self
    }

    /// Prepaid gas in Tgas.
    pub fn tgas(self, tgas: u64) -> ContractCall {
        self.gas(tgas * TGAS)
    }

    /// Results of the receipts this call is a callback of (`env::promise_result(i)`).
    pub fn promise_results(mut self, results: Vec<PromiseResult>) -> ContractCall {
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
