//! Retries with exponential backoff, for transport failures only.

use crate::ClientError;
use std::future::Future;
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { first: Duration::from_millis(200), max: Duration::from_secs(10), attempts: 8 }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        self.first.saturating_mul(2u32.saturating_pow(attempt)).min(self.max)
    }
}

/// Runs `op` until it succeeds, fails with a non-retryable error, or the
/// attempts are spent; each transport failure is logged with the wait before
/// the next try, so an operator sees that the service is still trying.
pub async fn with_backoff<T, F, Fut>(what: &str, policy: Backoff, mut op: F) -> Result<T, ClientError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_retryable() && attempt + 1 < policy.attempts => {
                let wait = policy.delay(attempt);
                tracing::warn!(what, attempt = attempt + 1, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> Backoff {
        Backoff { first: Duration::from_millis(1), max: Duration::from_millis(2), attempts: 4 }
    }

    #[tokio::test]
    async fn with_backoff__should_retry_transport_errors_until_success() {
        let calls = AtomicU32::new(0);
        let out = with_backoff("test", quick(), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(ClientError::Rpc { endpoint: "x".into(), reason: "down".into() })
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn with_backoff__should_never_retry_a_contract_refusal() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = with_backoff("test", quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ClientError::contract("vote_pk", "[WrongState] no"))
        })
        .await;
        assert!(matches!(
            out,
            Err(ClientError::Contract { code: Some(mpc_interface::errors::ErrorCode::WrongState), .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn with_backoff__should_give_up_after_the_attempts() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = with_backoff("test", quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ClientError::Rpc { endpoint: "x".into(), reason: "down".into() })
        })
        .await;
        assert!(out.unwrap_err().is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn delay__should_double_up_to_the_cap() {
        let b = Backoff { first: Duration::from_millis(100), max: Duration::from_millis(500), attempts: 10 };
        assert_eq!(b.delay(0), Duration::from_millis(100));
        assert_eq!(b.delay(2), Duration::from_millis(400));
        assert_eq!(b.delay(5), Duration::from_millis(500));
    }
}
