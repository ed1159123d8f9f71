//! `mpc-operator`: every step an MPC operator takes on the contract. Each
//! command's arguments are checked, then it is printed as the near-cli-rs
//! command it stands for and run with `near` (unless `--dry-run`). Method
//! lists, gas and deposits come from `mpc-interface`'s method table.

pub mod checks;
pub mod cli;
pub mod error;
pub mod near_cli;
pub mod network;
pub mod plan;
pub mod run;
