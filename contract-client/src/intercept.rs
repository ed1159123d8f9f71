//! One forwarding wrapper for every client that needs to watch, change or
//! fail what goes to the contract: meters, fault injection, test doubles.

use crate::{CallOutcome, ClientError, ContractClient, Signer};
use async_trait::async_trait;
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use serde_json::Value;

/// One function call on its way to the contract, as a [`Hook`] sees it.
#[derive(Clone, Debug)]
pub struct RawCall<'a> {
    pub method: &'a str,
    /// As the method's row of the table says; prints readably.
    pub args: Encoded,
    pub deposit: u128,
    pub gas: Gas,
}

impl RawCall<'_> {
    /// Forwards the call to `client`.
    pub async fn send(self, client: &dyn ContractClient) -> Result<CallOutcome, ClientError> {
        client.call_raw(self.method, self.args, self.deposit, self.gas).await
    }
}

/// What an [`Intercept`] does around each view and call. Each method gets the
/// wrapped client: it may forward (what the defaults do), not forward, forward
/// twice, and look at or replace what comes back.
#[async_trait]
pub trait Hook: Send + Sync {
    async fn view(&self, inner: &dyn ContractClient, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        inner.view_raw(method, args).await
    }

    async fn call(&self, inner: &dyn ContractClient, call: RawCall<'_>) -> Result<CallOutcome, ClientError> {
        call.send(inner).await
    }
}

/// `inner`, with `hook` around each of its views and calls; it signs as `inner`.
pub struct Intercept<C, H> {
    inner: C,
    hook: H,
}

impl<C, H> Intercept<C, H> {
    pub fn new(inner: C, hook: H) -> Self {
        Self { inner, hook }
    }

    pub fn hook(&self) -> &H {
        &self.hook
    }

    pub fn inner(&self) -> &C {
        &self.inner
    }
}

#[async_trait]
impl<C: ContractClient, H: Hook> ContractClient for Intercept<C, H> {
    fn signer(&self) -> &Signer {
        self.inner.signer()
    }

    async fn view_raw(&self, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        self.hook.view(&self.inner, method, args).await
    }

    async fn call_raw(&self, method: &str, args: Encoded, deposit: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        self.hook.call(&self.inner, RawCall { method, args, deposit, gas }).await
    }
}
