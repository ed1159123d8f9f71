//! The local recovery drill: a whole disaster recovery on one machine. The
//! contract's wasm runs in-process under NEAR's VM; node machines and backup
//! services talk over loopback sockets with the real transports; a machine is
//! destroyed and its replacement recovers the same shares.

// The backup service's errors carry keys by value (see its lib.rs).
#![allow(clippy::result_large_err)]

pub mod chaos;
pub mod hard;
pub mod meter;
pub mod network;
pub mod scenario;
pub mod threshold;
pub mod timeline;
