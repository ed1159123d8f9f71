//! Prints what operator tooling needs from the method table, so scripts never
//! type a method list or a gas figure a second time.
//!
//!   mpc-methods keys node            -> the node key's method list, comma-separated
//!   mpc-methods keys backup-service  -> the backup service key's method list
//!   mpc-methods gas <method>         -> Tgas a client attaches to <method>

use mpc_interface::methods::{by_name, change_methods_for, Role};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["keys", "node"] => println!("{}", change_methods_for(Role::Node).join(",")),
        ["keys", "backup-service"] => println!("{}", change_methods_for(Role::BackupService).join(",")),
        ["gas", method] => match by_name(method) {
            Some(m) => println!("{}", m.gas.as_gas() / 1_000_000_000_000),
            None => {
                eprintln!("error: `{method}` is not a method of the contract");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: mpc-methods keys node|backup-service | mpc-methods gas <method>");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
