//! `backup-service`: see `backup-service --help` and the crate's README.

use backup_service::cli::{Cli, Command};
use backup_service::commands;
use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Logs go to stderr; `BACKUP_SERVICE_LOG` (or `RUST_LOG`) filters them, default `info`.
fn init_logging() {
    let filter = EnvFilter::try_from_env("BACKUP_SERVICE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match &cli.command {
        Command::GenerateKeys(args) => commands::generate_keys(args).map(|out| print!("{out}")),
        Command::Register(args) => commands::register(args).map(|out| print!("{out}")),
        Command::Run(args) => runtime().block_on(commands::run(args)),
        Command::Status(args) => runtime().block_on(commands::status(args)).map(|out| print!("{out}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}
