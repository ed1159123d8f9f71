//! Storage-backed structures. Each keeps the cost of a call independent of the
//! number of participants wherever the call touches only one of them.

pub mod launch;
pub mod ledger;
pub mod node_keys;
pub mod participants;
pub mod raw;
pub mod registry;
pub mod services;
pub mod verifying;
pub mod votes;
