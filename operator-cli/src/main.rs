//! `mpc-operator`: see `--help`, and docs/recovery-runbook.md for when to run what.

use clap::Parser;
use operator_cli::cli::Cli;
use operator_cli::network::Network;
use operator_cli::{plan, run};
use std::process::ExitCode;

/// Exit status for bad arguments (as clap uses): nothing was printed or sent.
const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let planned = Network::parse(&cli.network)
        .and_then(|network| plan::plan(&network, &cli.command))
        .and_then(|commands| if cli.dry_run { Ok(commands) } else { plan::key_files_exist(commands) });
    let commands = match planned {
        Ok(commands) => commands,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match run::execute(&commands, cli.dry_run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
