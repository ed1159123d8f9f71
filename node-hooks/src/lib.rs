//! An MPC node's reactions to the contract, driven purely by its views.
//!
//! - [`decide`]: what the node does, as a pure function of the contract's
//!   state and the node's identity (onboarding, recovery, shutdown).
//! - [`driver`]: polls the contract, applies the decision, submits the node's
//!   transactions and runs the node's side of share transfer.
//! - [`store`]: the node's shares of the current keyset on disk, and the
//!   import check against the contract's keyset.
//! - [`transfer`]: the node's share-transfer endpoint over either transport
//!   (`transfer/mtls.rs` or `transfer/web.rs`), with the contract as the
//!   source of identity (`share_transfer::contract`); shares to back up are
//!   read from the store when a request comes.
//!
//! The `node-agent` binary runs the driver for one node.

// Errors carry the keys and epochs they name by value (as share-transfer's
// do); they are built only on refusal paths, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod alarm;
pub mod decide;
pub mod driver;
pub mod metrics;
pub use share_transfer::endpoint;
pub mod store;
pub mod tls_key;
pub mod transfer;

pub use alarm::NodeMetrics;
pub use decide::{decide, Decision, LocalShares, NodeDeliveryState, NodeIdentity, Seat, ShutDownCause, WaitCause};
pub use driver::{Driver, DriverConfig, DriverError, DriverStatus, Exit};
pub use store::{FileShareStore, ShareStore, StoreError};
pub use transfer::{Mode, TransferEndpoint, TransferEvent, Transport};
