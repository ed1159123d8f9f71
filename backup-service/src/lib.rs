//! An MPC operator's backup service.
//!
//! It keeps an encrypted copy of its node's key shares for the current
//! keyset, and hands them to a replacement machine when the operator's
//! account is recovering and the operator approved it. Everything it does is
//! driven by the contract's views; it signs its own calls
//! (`publish_backup_ephemeral_key`, `confirm_recovery_delivery`) with a
//! function-call key limited to exactly those methods.
//!
//! In-process use (tests, the local drill), with any [`ContractClient`]
//! signing as the operator's account with the service's registered key:
//!
//! ```no_run
//! use backup_service::{BackupService, ServiceConfig, ServiceKeys, Transport};
//! use contract_client::ContractClient;
//! use std::sync::Arc;
//! use tokio_util::sync::CancellationToken;
//!
//! async fn drill(client: Arc<dyn ContractClient>) -> Result<(), Box<dyn std::error::Error>> {
//!     let home = std::path::Path::new("/var/lib/backup-service");
//!     let keys = ServiceKeys::load(home)?;
//!     let service = BackupService::new(ServiceConfig::new(home, Transport::Mtls), client, keys)?;
//!     service.run_once().await?; // one deterministic poll
//!     service.run(CancellationToken::new()).await; // or poll until cancelled
//!     Ok(())
//! }
//! ```
//!
//! [`ContractClient`]: contract_client::ContractClient

// Errors carry share-transfer's errors by value (which name both keys of a
// mismatch); they are built only on the refusal path, so size does not matter.
#![allow(clippy::result_large_err)]

pub mod address;
pub mod cli;
pub mod commands;
pub mod failpoint;
pub mod handoff;
pub mod keys;
pub mod metrics;
pub mod register;
pub mod rpc;
pub mod service;
pub mod status;
pub mod storage;
pub mod transfer;

pub use keys::{BackupEncryptionKey, ServiceKeys};
pub use metrics::Metrics;
pub use service::{BackupService, RoundOutcome, ServiceConfig, ServiceError};
pub use storage::{Storage, StorageError};
pub use transfer::Transport;
