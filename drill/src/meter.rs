//! Counts the transactions and gas of every client the drill hands out, so
//! the timeline can say what each phase cost on chain.

use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, Hook, Intercept, RawCall};
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
        Arc::new(Intercept::new(inner, self.clone()))
    }
}

/// Counts each call after it is forwarded: a transaction, and its gas or its failure.
#[async_trait]
impl Hook for Meter {
    async fn call(&self, inner: &dyn ContractClient, call: RawCall<'_>) -> Result<CallOutcome, ClientError> {
        let result = call.send(inner).await;
        let mut tally = self.0.lock().expect("meter lock");
        tally.transactions += 1;
        match &result {
            Ok(outcome) => tally.gas_burnt += outcome.gas_burnt,
            Err(_) => tally.failed += 1,
        }
        result
    }
}
