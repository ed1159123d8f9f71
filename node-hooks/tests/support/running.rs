//! A driver run as a task, with its status to wait on.

use contract_client::{Backoff, ContractClient};
use node_hooks::driver::{Driver, DriverConfig, DriverError, DriverStatus, Exit};
use node_hooks::store::{FileShareStore, ShareStore};
use node_hooks::transfer::Transport;
use node_hooks::Decision;
use share_transfer::Identity;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub fn config(transport: Transport) -> DriverConfig {
    let mut config = DriverConfig::new(transport);
    config.poll_interval = Duration::from_millis(50);
    config.backoff = Backoff { first: Duration::from_millis(10), max: Duration::from_millis(50), attempts: 3 };
    config
}

pub struct RunningDriver {
    pub status: watch::Receiver<DriverStatus>,
    pub cancel: CancellationToken,
    pub task: JoinHandle<Result<Exit, DriverError>>,
}

impl RunningDriver {
    pub async fn wait_for(&mut self, what: &str, check: impl FnMut(&DriverStatus) -> bool) -> DriverStatus {
        let outcome = tokio::time::timeout(Duration::from_secs(30), self.status.wait_for(check))
            .await
            .map(|waited| waited.map(|status| status.clone()).map_err(|_| "the driver stopped"));
        match outcome {
            Ok(Ok(status)) => status,
            Ok(Err(why)) => panic!("{why} before {what}: {:?}", self.status.borrow()),
            Err(_) => panic!("timed out waiting for {what}; last status {:?}", self.status.borrow()),
        }
    }

    pub async fn decision(&mut self, decision: Decision) -> DriverStatus {
        self.wait_for(decision.name(), |s| s.decision == Some(decision)).await
    }

    pub async fn exit(self) -> Exit {
        tokio::time::timeout(Duration::from_secs(30), self.task).await.expect("the driver stops").unwrap().unwrap()
    }

    pub async fn stop(self) -> Exit {
        self.cancel.cancel();
        self.exit().await
    }
}

pub fn start(
    client: Arc<dyn ContractClient>,
    identity: Identity,
    url: &str,
    listener: tokio::net::TcpListener,
    home: &Path,
    config: DriverConfig,
) -> RunningDriver {
    start_with_store(client, identity, url, listener, Arc::new(FileShareStore::in_home(home)), config)
}

/// Runs a driver over any share store.
pub fn start_with_store(
    client: Arc<dyn ContractClient>,
    identity: Identity,
    url: &str,
    listener: tokio::net::TcpListener,
    store: Arc<dyn ShareStore>,
    config: DriverConfig,
) -> RunningDriver {
    let driver = Driver::new(client, store, identity, url.to_owned(), config);
    let status = driver.status();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(driver.run(listener, cancel.clone()));
    RunningDriver { status, cancel, task }
}
