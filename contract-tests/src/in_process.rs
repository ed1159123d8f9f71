//! The contract wasm, run in-process, behind the same `ContractClient` trait
//! the off-chain parts use against a real network: tests and the local drill
//! exercise the node hooks and the backup service unchanged.

use crate::harness::{Call, Harness};
use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, Signer};
use mpc_interface::constants::Gas;
use mpc_interface::keys::AccessPublicKey;
use std::sync::{Arc, Mutex};

/// One deployed contract, shared by every client (and by the test driving it).
#[derive(Clone)]
pub struct InProcessContract {
    harness: Arc<Mutex<Harness>>,
}

impl InProcessContract {
    pub fn new(harness: Harness) -> Self {
        Self { harness: Arc::new(Mutex::new(harness)) }
    }

    /// A client signing as `account_id` with `public_key`.
    pub fn client(&self, account_id: &str, public_key: AccessPublicKey) -> InProcessClient {
        InProcessClient {
            contract: self.clone(),
            signer: Signer { account_id: account_id.parse().expect("a valid account id"), public_key },
        }
    }

    /// Direct access, e.g. to advance blocks or read storage in a test.
    pub fn with_harness<R>(&self, f: impl FnOnce(&mut Harness) -> R) -> R {
        f(&mut self.harness.lock().expect("harness lock"))
    }
}

pub struct InProcessClient {
    contract: InProcessContract,
    signer: Signer,
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

    async fn call_raw(
        &self,
        method: &str,
        args: serde_json::Value,
        deposit: u128,
        gas: Gas,
    ) -> Result<CallOutcome, ClientError> {
        let key = borsh::to_vec(&self.signer.public_key).expect("borsh of a key");
        let call = Call::new(method)
            .args(args)
            .by(self.signer.account_id.as_str())
            .signer_pk(key)
            .deposit(deposit)
            .gas(gas.as_gas());
        let outcome = self.contract.with_harness(|h| {
            let outcome = h.call(call);
            h.advance_blocks(1);
            outcome
        });
        match outcome.result {
            Ok(value) => Ok(CallOutcome { value, logs: outcome.logs, gas_burnt: outcome.gas_burnt, transaction: None }),
            Err(message) => Err(ClientError::contract(method, message)),
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use crate::scenario::{self, node_key, Network};
    use contract_client::MpcContractApi;
    use mpc_interface::state::ProtocolStateView;

    #[tokio::test]
    async fn in_process_client__should_view_call_and_report_refusals() {
        let net = Network::running(crate::wasm::contract_wasm(), 4);
        let contract = InProcessContract::new(net.harness);
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
