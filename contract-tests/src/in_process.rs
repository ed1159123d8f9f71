//! The contract wasm on the local chain, behind the same `ContractClient` trait
//! the off-chain parts use against a real network: tests and the local drill
//! exercise the node hooks and the backup service unchanged, each signing with
//! the access key its operator added.

use crate::test_network::KEY_ALLOWANCE;
use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, Signer};
use local_chain::{AccessKey, ChainAction, Harness, LocalChain, SignerPk, Transaction, TransactionError};
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use mpc_interface::keys::AccessPublicKey;
use std::sync::{Arc, Mutex};

/// Sets an account up (its keys) before a client signs for it: `(chain, contract, account)`.
pub type Provision = fn(&mut LocalChain, &str, &str);

/// A function call a client signed, as the chain saw it (accepted or refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCall {
    pub account: String,
    pub key: AccessPublicKey,
    pub method: String,
    /// Why the chain refused the transaction, if it did (before the contract saw it).
    pub refused: Option<String>,
}

/// One deployed contract on a local chain, shared by every client (and by the test driving
/// it). Clients sign transactions with their access key: the chain checks the key, its
/// method list, deposit and nonce before the contract runs.
#[derive(Clone)]
pub struct InProcessContract {
    chain: Arc<Mutex<LocalChain>>,
    contract_id: String,
    provision: Option<Provision>,
    calls: Arc<Mutex<Vec<SignedCall>>>,
}

impl InProcessContract {
    /// The contract at `contract_id` on `chain`; clients sign with keys already on chain.
    pub fn new(chain: LocalChain, contract_id: &str) -> Self {
        Self {
            chain: Arc::new(Mutex::new(chain)),
            contract_id: contract_id.to_owned(),
            provision: None,
            calls: Arc::default(),
        }
    }

    /// As [`InProcessContract::new`], but an account a client signs for is first set up by
    /// `provision(chain, contract_id, account)` (e.g. [`crate::test_network::provision`]).
    pub fn with_provisioning(chain: LocalChain, contract_id: &str, provision: Provision) -> Self {
        Self { provision: Some(provision), ..Self::new(chain, contract_id) }
    }

    pub fn contract_id(&self) -> &str {
        &self.contract_id
    }

    /// A client signing as `account_id` with `public_key`.
    pub fn client(&self, account_id: &str, public_key: AccessPublicKey) -> InProcessClient {
        if let Some(provision) = self.provision {
            self.with_chain(|chain| provision(chain, &self.contract_id, account_id));
        }
        InProcessClient {
            contract: self.clone(),
            signer: Signer { account_id: account_id.parse().expect("a valid account id"), public_key },
        }
    }

    /// Direct access to the contract, e.g. to advance blocks or read storage in a test.
    pub fn with_harness<R>(&self, f: impl FnOnce(&mut Harness) -> R) -> R {
        self.with_chain(|chain| f(chain.contract_mut(&self.contract_id)))
    }

    /// Direct access to the chain, e.g. for an operator to add or delete keys.
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut LocalChain) -> R) -> R {
        f(&mut self.chain.lock().expect("chain lock"))
    }

    /// Opens `account` (as a wallet or a faucet would) holding `balance` and the full-access
    /// `operator_key`. Panics if it exists.
    pub fn open_account(&self, account: &str, balance: u128, operator_key: &AccessPublicKey) {
        self.with_chain(|chain| chain.create_account(account, balance, SignerPk::from(operator_key)));
    }

    /// The operator of `account` adds `key` as a function-call key on this contract for
    /// `methods` with [`KEY_ALLOWANCE`], signing with its full-access `operator_key`: what
    /// `mpc-operator add-node-key` / `add-backup-key` has near-cli do.
    pub fn add_function_call_key(
        &self,
        account: &str,
        operator_key: &AccessPublicKey,
        key: &AccessPublicKey,
        methods: &[&str],
    ) -> Result<(), String> {
        let access = AccessKey::function_call(&self.contract_id, methods.iter().copied(), Some(KEY_ALLOWANCE));
        self.operator_transaction(
            Transaction::new(account, SignerPk::from(operator_key), account).add_key(*key, access),
        )
    }

    /// The operator of `account` deletes `key` (a lost machine's), signing with its
    /// full-access `operator_key`.
    pub fn delete_key(
        &self,
        account: &str,
        operator_key: &AccessPublicKey,
        key: &AccessPublicKey,
    ) -> Result<(), String> {
        self.operator_transaction(Transaction::new(account, SignerPk::from(operator_key), account).delete_key(*key))
    }

    fn operator_transaction(&self, tx: Transaction) -> Result<(), String> {
        self.with_chain(|chain| {
            let outcome = chain.send(tx).map_err(|e| e.to_string())?;
            chain.advance_blocks(1);
            outcome.status.map(drop)
        })
    }

    /// Every function call a client signed so far, in order (refused ones too).
    pub fn signed_calls(&self) -> Vec<SignedCall> {
        self.calls.lock().expect("calls lock").clone()
    }
}

pub struct InProcessClient {
    contract: InProcessContract,
    signer: Signer,
}

impl InProcessClient {
    /// What the RPC adapter reports for a transaction the network refused.
    fn refused(&self, method: &str, error: TransactionError) -> ClientError {
        match error {
            TransactionError::InvalidNonce { .. } | TransactionError::NonceTooLarge { .. } => ClientError::Rpc {
                endpoint: "local-chain".to_owned(),
                reason: format!("the transaction was refused and can be signed again: {error}"),
            },
            TransactionError::SignerDoesNotExist(_) | TransactionError::NotEnoughBalance { .. } => {
                ClientError::contract(method, format!("the network refused the transaction: {error}"))
            }
            _ => ClientError::Key(format!(
                "the network refused the transaction signed by {} for `{method}`: {error}",
                self.signer.public_key
            )),
        }
    }
}

#[async_trait]
impl ContractClient for InProcessClient {
    fn signer(&self) -> &Signer {
        &self.signer
    }

    async fn view_raw(&self, method: &str, args: serde_json::Value) -> Result<Vec<u8>, ClientError> {
        let outcome = self.contract.with_harness(|h| h.view(method, args));
        outcome.result.map_err(|message| ClientError::contract(method, message))
    }

    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        let account = self.signer.account_id.as_str();
        let call =
            ChainAction::FunctionCall { method: method.to_owned(), args: args.to_bytes(), gas: gas.as_gas(), deposit };
        let tx = Transaction::new(account, SignerPk::from(&self.signer.public_key), self.contract.contract_id())
            .action(call);
        let outcome = self.contract.with_chain(|chain| {
            let outcome = chain.send(tx);
            chain.advance_blocks(1);
            outcome
        });
        self.contract.calls.lock().expect("calls lock").push(SignedCall {
            account: account.to_owned(),
            key: self.signer.public_key,
            method: method.to_owned(),
            refused: outcome.as_ref().err().map(ToString::to_string),
        });
        let outcome = outcome.map_err(|e| self.refused(method, e))?;
        let (logs, gas_burnt) = (outcome.logs(), outcome.gas_burnt());
        match outcome.status {
            Ok(value) => Ok(CallOutcome { value, logs, gas_burnt, transaction: None }),
            Err(message) => Err(ClientError::contract(method, message)),
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::scenario::{self, node_key, TestNetwork};
    use contract_client::MpcContractApi;
    use mpc_interface::state::ProtocolStateView;

    #[tokio::test]
    async fn in_process_client__should_view_call_and_report_refusals() {
        let net = TestNetwork::running(crate::wasm::contract_wasm(), 4);
        let contract = net.into_contract();
        let node0 = contract.client(&scenario::account(0), node_key(&scenario::account(0)));
        assert!(matches!(node0.state().await.unwrap(), ProtocolStateView::Running(_)));
        let refresh = node0.submit_participant_info(&scenario::info(&scenario::account(0), 0)).await.unwrap();
        assert_eq!(refresh.events()[0]["event"], "participant_refreshed");
        let refused = node0.submit_participant_info(&scenario::info(&scenario::account(0), 1)).await.unwrap_err();
        assert!(matches!(
            refused,
            ClientError::Contract { code: Some(mpc_interface::errors::ErrorCode::Conflict), .. }
        ));
        assert!(!refused.is_retryable());
    }
}
