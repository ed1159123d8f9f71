#![allow(non_snake_case)]
//! The backup service against the contract wasm run in-process, with the node
//! played by share-transfer's node functions over loopback. One test binary,
//! so the contract runtime is linked once.

mod attestation;
mod backup;
mod crash;
mod faults;
mod proxy;
mod quiet;
mod recovery;
mod support;
