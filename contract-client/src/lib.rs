//! How the node hooks, the backup service and the drill talk to the MPC
//! contract. One trait, [`ContractClient`], signs as one identity (an account
//! and one of its access keys); adapters implement it over NEAR JSON-RPC or,
//! in tests and the local drill, over the contract wasm run in-process.
//! [`MpcContractApi`] gives every contract method a typed method on top, and
//! [`Intercept`] wraps a client with a [`Hook`] around its views and calls.
//!
//! A transaction that failed on chain is always an error
//! ([`ClientError::Contract`]); only RPC failures ([`ClientError::Rpc`]) are retried.

mod attestation;
mod client;
mod intercept;
mod retry;
pub mod rpc;
mod typed;

pub use attestation::AttestationContract;
pub use client::{CallOutcome, ClientError, ContractClient, Signer};
pub use intercept::{Hook, Intercept, RawCall};
pub use retry::{with_backoff, Backoff};
pub use rpc::{Credentials, CredentialsError, RpcClient, RpcConfig, TlsRoots};
pub use typed::MpcContractApi;
