//! `backup-service`: see `backup-service --help` and the crate's README.

use backup_service::cli::{Cli, Command};
use backup_service::commands;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr, coloured only on a terminal; `MPC_LOG` filters them
    // (the same variable as node-agent and the drill), default `info`.
    cli_common::init_logging("info");
    let result = match &cli.command {
        Command::GenerateKeys(args) => commands::generate_keys(args).map(|out| print!("{out}")).map(|()| 0),
        Command::Register(args) => commands::register(args).map(|out| print!("{out}")).map(|()| 0),
        Command::Run(args) => runtime().block_on(commands::run(args)).map(|()| 0),
        // Exits with the verdict's code: see `backup-service status --help`.
        Command::Status(args) => runtime().block_on(commands::status(args)).map(|(out, verdict)| {
            print!("{out}");
            verdict.exit_code()
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}
