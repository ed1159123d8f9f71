//! Counts the transactions and gas of every client the drill hands out, so
//! the timeline can say what each phase cost on chain.

use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, Signer};
use mpc_interface::constants::Gas;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub transactions: u64,
    pub failed: u64,
    pub gas_burnt: u64,
}

#[derive(Clone, Default)]
pub struct Meter(Arc<Mutex<Tally>>);

impl Meter {
    pub fn read(&self) -> Tally {
        *self.0.lock().expect("meter lock")
    }

    pub fn wrap(&self, inner: impl ContractClient + 'static) -> Arc<dyn ContractClient> {
        Arc::new(Metered { inner: Box::new(inner), meter: self.clone() })
    }
}

struct Metered {
    inner: Box<dyn ContractClient>,
    meter: Meter,
}

#[async_trait]
impl ContractClient for Metered {
    fn signer(&self) -> &Signer {
        self.inner.signer()
    }

    async fn view_raw(&self, method: &str, args: serde_json::Value) -> Result<Vec<u8>, ClientError> {
        self.inner.view_raw(method, args).await
    }

    async fn call_raw(
        &self,
        method: &str,
        args: serde_json::Value,
        deposit: u128,
        gas: Gas,
    ) -> Result<CallOutcome, ClientError> {
        let result = self.inner.call_raw(method, args, deposit, gas).await;
        let mut tally = self.meter.0.lock().expect("meter lock");
        tally.transactions += 1;
        match &result {
            Ok(outcome) => tally.gas_burnt += outcome.gas_burnt,
            Err(_) => tally.failed += 1,
        }
        result
    }
}
