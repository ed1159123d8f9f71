//! Runs the compiled MPC contract wasm in-process under NEAR's own VM (`near-vm-runner`),
//! with real gas metering, at the protocol version that crate is built for.
//!
//! ```ignore
//! use contract_tests::{contract_wasm, Call, Harness};
//! use serde_json::json;
//!
//! let mut h = Harness::new(contract_wasm(), "mpc.near");
//! h.call(Call::new("init").args(json!({ /* ... */ })).by("mpc.near")).assert_ok();
//! let state: serde_json::Value = h.view("state", json!({})).json();
//! let err = h.call(Call::new("vote_pk").by("mallory.near")).unwrap_err().to_string();
//! ```
//!
//! The chain itself (accounts, keys, contracts, receipts) is the `local-chain` crate; its
//! types are re-exported here.

pub mod in_process;
/// Deterministic MPC networks on top of the harness (written with the contract).
pub mod scenario;
pub mod targets;
/// Real TDX quotes with collateral, for the verifier contract.
pub mod tdx;
/// The contract on the local chain, its operators set up with their keys.
pub mod test_network;
pub mod wasm;

pub use local_chain::{
    protocol_version, runtime_config, Call, CreatedReceipt, ExecutionOutcome, Failure, Harness, MockAction,
    PromiseResult, SignerPk, YieldInfo, BLOCK_TIME_NS, DEFAULT_BALANCE, DEFAULT_CALLER, DEFAULT_GAS, GENESIS_HEIGHT,
    GENESIS_TIMESTAMP_NS, ONE_NEAR, TGAS,
};
pub use wasm::{contract_wasm, pre_recovery_wasm, verifier_wasm, workspace_root};
