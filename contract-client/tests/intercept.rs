#![allow(non_snake_case)]
//! `Intercept`: one forwarding wrapper whose hook sees, changes or fails each
//! view and call before and after it reaches the wrapped client.

use async_trait::async_trait;
use contract_client::{CallOutcome, ClientError, ContractClient, Hook, Intercept, MpcContractApi, RawCall, Signer};
use mpc_interface::args::Encoded;
use mpc_interface::constants::Gas;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Answers views with their method's name and counts the calls it receives.
struct Inner {
    signer: Signer,
    calls: Mutex<Vec<(String, Encoded)>>,
}

fn inner() -> Arc<Inner> {
    let public_key = AccessPublicKey::Ed25519(Ed25519PublicKey([3; 32]));
    Arc::new(Inner { signer: Signer { account_id: "n.near".parse().unwrap(), public_key }, calls: Mutex::default() })
}

#[async_trait]
impl ContractClient for Inner {
    fn signer(&self) -> &Signer {
        &self.signer
    }
    async fn view_raw(&self, method: &str, _: Value) -> Result<Vec<u8>, ClientError> {
        Ok(serde_json::to_vec(method).unwrap())
    }
    async fn call_raw(&self, method: &str, args: Encoded, _: u128, gas: Gas) -> Result<CallOutcome, ClientError> {
        self.calls.lock().unwrap().push((method.to_owned(), args));
        Ok(CallOutcome { gas_burnt: gas.as_gas(), ..CallOutcome::default() })
    }
}

struct PassThrough;
impl Hook for PassThrough {}

#[tokio::test]
async fn intercept__should_forward_views_and_calls_unchanged_by_default() {
    let inner = inner();
    let client = Intercept::new(inner.clone(), PassThrough);
    assert_eq!(client.signer(), inner.signer());
    assert_eq!(client.version().await.unwrap(), "version");
    let outcome = client.call_raw("vote_pk", Encoded::Borsh(vec![1, 2, 3]), 0, Gas::from_tgas(7)).await.unwrap();
    assert_eq!(outcome.gas_burnt, Gas::from_tgas(7).as_gas());
    assert_eq!(*inner.calls.lock().unwrap(), vec![("vote_pk".to_owned(), Encoded::Borsh(vec![1, 2, 3]))]);
}

/// Fails every call before it is forwarded; replaces every view's answer after.
struct Refuse {
    seen: AtomicU32,
}

#[async_trait]
impl Hook for Refuse {
    async fn view(&self, inner: &dyn ContractClient, method: &str, args: Value) -> Result<Vec<u8>, ClientError> {
        let real = inner.view_raw(method, args).await?;
        assert_eq!(real, b"\"version\"", "the hook sees the real answer");
        Ok(b"\"v-altered\"".to_vec())
    }
    async fn call(&self, _: &dyn ContractClient, _: RawCall<'_>) -> Result<CallOutcome, ClientError> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        Err(ClientError::Rpc { endpoint: "hook".into(), reason: "refused by the hook".into() })
    }
}

#[tokio::test]
async fn intercept__should_let_the_hook_fail_a_call_before_it_reaches_the_client_and_alter_a_view_after() {
    let inner = inner();
    let client = Intercept::new(inner.clone(), Refuse { seen: AtomicU32::new(0) });
    assert_eq!(client.version().await.unwrap(), "v-altered");
    let err = client.cancel_recovery(mpc_interface::methods::Role::Node).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(client.hook().seen.load(Ordering::SeqCst), 1);
    assert!(inner.calls.lock().unwrap().is_empty(), "the failed call never reached the client");
}

/// Sends each call twice and reports the first answer.
struct Twice;

#[async_trait]
impl Hook for Twice {
    async fn call(&self, inner: &dyn ContractClient, call: RawCall<'_>) -> Result<CallOutcome, ClientError> {
        let first = call.clone().send(inner).await;
        let _ = call.send(inner).await;
        first
    }
}

#[tokio::test]
async fn intercept__should_let_the_hook_forward_a_call_twice() {
    let inner = inner();
    let client: Arc<dyn ContractClient> = Arc::new(Intercept::new(inner.clone(), Twice));
    client.vote_cancel_resharing().await.unwrap();
    let calls = inner.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|(m, args)| m == "vote_cancel_resharing" && *args == Encoded::Json(json!({}))));
}
