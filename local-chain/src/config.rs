//! The runtime configuration every call runs with, the compiled-code cache, and the
//! chain's constants (units, defaults, genesis clock).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use near_parameters::{RuntimeConfig, RuntimeConfigStore};
pub use near_primitives_core::version::PROTOCOL_VERSION;
use near_vm_runner::ContractRuntimeCache;

/// One NEAR, in yoctoNEAR.
pub const ONE_NEAR: u128 = 1_000_000_000_000_000_000_000_000;
/// One teragas.
pub const TGAS: u64 = 1_000_000_000_000;
/// Prepaid gas of a [`Call`](crate::Call) unless [`Call::gas`](crate::Call::gas) says otherwise.
pub const DEFAULT_GAS: u64 = 300 * TGAS;
/// Balance a fresh [`Harness`](crate::Harness) gives the contract account (deposits not included).
pub const DEFAULT_BALANCE: u128 = 1_000 * ONE_NEAR;
/// Predecessor (and signer) of a [`Call`](crate::Call) that does not say [`Call::by`](crate::Call::by).
pub const DEFAULT_CALLER: &str = "caller.near";
/// Block height of a fresh chain.
pub const GENESIS_HEIGHT: u64 = 100;
/// Block timestamp (ns since the Unix epoch) of a fresh chain: 2024-01-01T00:00:00Z.
pub const GENESIS_TIMESTAMP_NS: u64 = 1_704_067_200_000_000_000;
/// How far advancing one block moves the clock.
pub const BLOCK_TIME_NS: u64 = 1_000_000_000;
/// Accounts whose total storage stays at or below this need no storage stake (NEP-448).
pub(crate) const ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT: u64 = 770;
pub(crate) const EPOCH_LENGTH: u64 = 43_200;
/// The gas price transactions are charged at (yoctoNEAR per gas): mainnet's minimum.
pub const GAS_PRICE: u128 = 100_000_000;

/// The mainnet runtime configuration at `near_primitives_core::version::PROTOCOL_VERSION`.
pub fn runtime_config() -> &'static Arc<RuntimeConfig> {
    static CONFIG: OnceLock<Arc<RuntimeConfig>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let store = RuntimeConfigStore::new(None);
        let mut config = RuntimeConfig::clone(store.get_config(PROTOCOL_VERSION));
        let mut wasm = near_parameters::vm::Config::clone(&config.wasm_config);
        wasm.vm_kind = wasm.vm_kind.replace_with_wasmtime_if_unsupported();
        config.wasm_config = Arc::new(wasm);
        Arc::new(config)
    })
}

/// The protocol version every call runs at.
pub fn protocol_version() -> u32 {
    PROTOCOL_VERSION
}

/// Process-wide cache of compiled contracts.
///
/// Compiled artifacts are stored on disk under `<workspace>/target/contract-tests-vm-cache`
/// (keyed by code hash, VM config and Wasmtime engine), so only the first test process after a
/// contract change pays for compilation; loaded modules are kept in memory so later calls in
/// the same process skip deserialisation too. Falls back to an in-memory cache if the directory
/// cannot be used.
pub(crate) fn compiled_cache() -> &'static dyn ContractRuntimeCache {
    static CACHE: OnceLock<Box<dyn ContractRuntimeCache>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("local-chain lives in the workspace");
            let dir = workspace.join("target");
            match near_vm_runner::FilesystemContractRuntimeCache::with_memory_cache(
                &dir,
                None::<&str>,
                "contract-tests-vm-cache",
                64,
                None,
                near_vm_runner::FilesystemContractRuntimeCache::MAX_DISK_CACHE_BYTES,
                near_vm_runner::noop_background_spawner(),
            ) {
                Ok(cache) => Box::new(cache),
                Err(err) => {
                    eprintln!(
                        "local-chain: cannot use {}/contract-tests-vm-cache ({err}); \
                         compiled contracts are cached in memory only",
                        dir.display()
                    );
                    Box::new(near_vm_runner::MockContractRuntimeCache::default())
                }
            }
        })
        .as_ref()
}
