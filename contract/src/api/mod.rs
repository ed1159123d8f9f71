//! Entry points: `#[near]` methods only. Each checks its caller, hands the work
//! to the state machine and applies the resulting step.

pub mod backup;
mod guards;
pub mod init;
pub mod keygen;
pub mod launch;
pub mod migrate;
pub mod participants;
pub mod recovery;
pub mod resharing;
pub mod storage;
pub mod views;
