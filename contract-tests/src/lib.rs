//! The MPC contract wasm on the local chain (`local-chain`: NEAR's own VM, real gas, accounts,
//! access keys, nonces, receipts).
//!
//! ```ignore
//! use contract_tests::scenario::{account, OutcomeExt, TestNetwork};
//! use serde_json::json;
//!
//! // Operators hold a full-access key; their node and backup-service keys are function-call
//! // keys with the method lists `mpc-operator` prints, added on first use.
//! let mut net = TestNetwork::running(contract_wasm(), 4);
//! // Arguments are given as JSON; the six borsh methods' JSON is encoded in borsh (method table).
//! net.node_call(&account(0), "submit_participant_info", json!({ /* ... */ })).expect_ok();
//! let state = net.state();
//! // The contract itself, for receipts with any predecessor, raw storage, the clock:
//! net.harness_mut().advance_blocks(10);
//! ```
//!
//! The chain's types are re-exported here.

pub mod hard_mode;
pub mod in_process;
/// Deterministic MPC networks: accounts, keys, parameters (written with the contract).
pub mod scenario;
pub mod targets;
/// Real TDX quotes with collateral, for the verifier contract.
pub mod tdx;
/// The contract on the local chain, its operators set up with their keys.
pub mod test_network;
pub mod wasm;

pub use local_chain::{
    protocol_version, runtime_config, ContractCall, CreatedReceipt, ExecutionOutcome, Failure, Harness, MockAction,
    PromiseResult, SignerPk, YieldInfo, BLOCK_TIME_NS, DEFAULT_BALANCE, DEFAULT_CALLER, DEFAULT_GAS, GENESIS_HEIGHT,
    GENESIS_TIMESTAMP_NS, ONE_NEAR, TGAS,
};
pub use wasm::{contract_wasm, pre_recovery_wasm, verifier_wasm, workspace_root};
