//! An MPC node's reactions to the contract, driven purely by its views.
//!
//! - [`decide`]: what the node does, as a pure function of the contract's
//!   state and the node's identity (onboarding, recovery, shutdown).
//! - [`driver`]: polls the contract, applies the decision, submits the node's
//!   transactions and runs the node's side of share transfer.
//! - [`store`]: the node's shares of the current keyset on disk, and the
//!   import check against the contract's keyset.
//! - [`transfer`]: the node's share-transfer endpoint over either transport
//!   (`mtls` or `web`), with the contract as the source of identity
//!   (`share_transfer::contract`).
//!
//! The `node-agent` binary runs the driver for one node.

// Errors carry the keys and epochs they name by value (as share-transfer's
// do); they are built only on refusal paths, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod decide;
pub mod driver;
pub mod metrics;
pub use share_transfer::endpoint;
mod mtls_node;
pub mod private_file;
pub mod stand_in;
pub mod store;
pub mod tls_key;
pub mod transfer;
mod web_node;

pub use decide::{decide, Decision, LocalShares, NodeIdentity, Seat, ShutDownCause, WaitCause};
pub use driver::{Driver, DriverConfig, DriverError, DriverStatus, Exit};
pub use store::{FileShareStore, ShareStore, StoreError};
pub use transfer::{Mode, TransferEndpoint, TransferEvent, Transport};
