//! Moves an MPC node's secret key shares between the node and its backup
//! service, and back to a replacement node after a loss.
//!
//! The NEAR contract is the only source of identity: the node's TLS key, the
//! backup service's identity key and (for the web transport) each session's
//! ephemeral X25519 keys are all read from it at the moment they matter,
//! through [`PeerAuthority`] and [`EphemeralKeyDirectory`] ([`contract`] reads
//! them from the contract through any `ContractClient`).
//!
//! Two transports:
//! - [`mtls`]: mutual TLS 1.3 with Ed25519 certificates pinned to the
//!   registered keys, re-checked while the connection is open.
//! - [`web`]: HTTP endpoints on the node; payloads sealed with
//!   XChaCha20-Poly1305 under libsodium `crypto_kx` session keys, requests
//!   signed by the backup service's identity key.
//!
//! Either way the receiver checks the shares against the contract's keyset
//! ([`SharesPayload::check_against`]) before accepting anything.

// Errors carry both keys (or both public keys of a domain) by value so the
// message can name them; they are built only on the refusal path, so their
// size does not matter.
#![allow(clippy::result_large_err)]

pub mod authority;
pub mod contract;
pub mod endpoint;
pub mod expected;
pub mod gate;
pub mod identity;
#[cfg(feature = "test-doubles")]
pub mod memory;
pub mod mtls;
pub mod payload;
pub mod session;
#[cfg(any(test, feature = "test-doubles"))]
pub mod test_doubles;
pub mod transport;
pub mod verifying;
pub mod web;

pub use authority::{AuthorityError, EphemeralKeyDirectory, PeerAuthority};
pub use identity::Identity;
#[cfg(feature = "test-doubles")]
pub use memory::{InMemoryAuthority, InMemoryDirectory, PartyDirectory};
pub use payload::{DomainShare, Expected, PayloadError, SecretShare, SharesPayload};
pub use session::{Party, Session, SessionKind};
pub use transport::Transport;
