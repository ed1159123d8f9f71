//! Wire types shared by the MPC contract and every off-chain part (node hooks,
//! backup service, tests, tooling). Nothing here depends on near-sdk: the
//! contract uses these types directly in its method signatures, and clients use
//! them to build arguments and read views without pulling in contract code.

pub mod args;
pub mod attestation;
pub mod base58;
pub mod constants;
pub mod errors;
pub mod keys;
pub mod launch;
pub mod methods;
pub mod primitives;
pub mod recovery;
pub mod state;
pub mod storage;
pub mod url;
pub mod verifying;

pub use near_account_id::AccountId;
