//! A local NEAR chain, in-process: contracts run under nearcore's own VM
//! (`near-vm-runner`) with the mainnet runtime configuration of the protocol version that
//! crate is built for, so wasm instrumentation, gas metering, host-function costs and limits
//! are the real ones.
//!
//! - [`Harness`]: one contract account (code, storage, balance, yields, block clock) that
//!   runs calls as receipts would deliver them, with any predecessor.
//! - [`LocalChain`]: accounts with balances, full-access and function-call [`AccessKey`]s and
//!   nonces, several contracts on one clock. A [`Transaction`] is checked as NEAR checks it
//!   (a [`TransactionError`] refuses it and changes nothing), then its receipt runs, then
//!   every promise its contract creates, and each callback with the real result of what it
//!   waited for; the [`TransactionOutcome`] lists every receipt with its logs and gas.
//!
//! ```ignore
//! use local_chain::{Call, Harness};
//! use serde_json::json;
//!
//! let mut h = Harness::new(wasm, "mpc.near");
//! h.call(Call::new("init").args(json!({ /* ... */ })).by("mpc.near")).assert_ok();
//! let state: serde_json::Value = h.view("state", json!({})).json();
//! ```

mod access;
mod call;
mod chain;
mod config;
mod errors;
mod harness;
mod keys;
mod outcome;
mod receipts;
mod transaction;
mod vm;
mod yields;

pub use access::{AccessKey, AccessKeyPermission, FunctionCallPermission, ACCESS_KEY_NONCE_RANGE_MULTIPLIER};
pub use call::{Call, PromiseResult};
pub use chain::LocalChain;
pub use config::{
    protocol_version, runtime_config, BLOCK_TIME_NS, DEFAULT_BALANCE, DEFAULT_CALLER, DEFAULT_GAS, GAS_PRICE,
    GENESIS_HEIGHT, GENESIS_TIMESTAMP_NS, ONE_NEAR, PROTOCOL_VERSION, TGAS,
};
pub use errors::{ActionError, TransactionError};
pub use harness::Harness;
pub use keys::SignerPk;
pub use near_vm_runner::logic::mocks::mock_external::MockAction;
pub use outcome::{CreatedReceipt, ExecutionOutcome, Failure, ReceiptOutcome, TransactionOutcome, YieldInfo};
pub use transaction::{Action, Transaction};
