//! Command-line interface. Every flag can also be given as an environment
//! variable `BACKUP_SERVICE_<FLAG>` (e.g. `BACKUP_SERVICE_HOME`). The storage
//! key has no flag, so it never shows in a process list: it is read from
//! `<home>/storage.key` or `BACKUP_SERVICE_STORAGE_KEY` (hex).

use crate::transfer::Transport;
use clap::{Args, Parser, Subcommand};
use mpc_interface::AccountId;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "backup-service",
    version,
    about = "Keeps an encrypted copy of an MPC node's key shares and hands them to its replacement machine."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates the identity key, the NEAR access key and the storage key in --home.
    GenerateKeys(GenerateKeysArgs),
    /// Prints the near-cli commands the operator runs to register this service.
    Register(RegisterArgs),
    /// Runs the service: backs up new keysets, delivers approved recoveries.
    Run(RunArgs),
    /// Shows what is stored and what the contract says about this operator;
    /// exits 0 only when the copy is current.
    #[command(after_help = crate::status::EXIT_CODES)]
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct HomeArg {
    /// The service's directory (created 0700): keys and backups.
    #[arg(long, env = "BACKUP_SERVICE_HOME")]
    pub home: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateKeysArgs {
    #[command(flatten)]
    pub home: HomeArg,
    /// The operator account; written into access_key.json so near-cli can use it.
    /// Without it the file has no `account_id`, and `run` takes the account from --operator.
    #[arg(long, env = "BACKUP_SERVICE_OPERATOR")]
    pub operator: Option<AccountId>,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub home: HomeArg,
    /// The MPC contract's account.
    #[arg(long, env = "BACKUP_SERVICE_CONTRACT")]
    pub contract: AccountId,
    /// The operator (participant) account the service backs up.
    #[arg(long, env = "BACKUP_SERVICE_OPERATOR")]
    pub operator: AccountId,
    /// near-cli network name: mainnet, testnet, or one in your near-cli config.
    #[arg(long, env = "BACKUP_SERVICE_NETWORK")]
    pub network: String,
    /// Gas allowance of the service's function-call key, in near-cli's syntax.
    #[arg(long, env = "BACKUP_SERVICE_ALLOWANCE", default_value = "1 NEAR")]
    pub allowance: String,
}

#[derive(Debug, Args)]
pub struct ContractArgs {
    /// The MPC contract's account.
    #[arg(long, env = "BACKUP_SERVICE_CONTRACT")]
    pub contract: AccountId,
    /// NEAR JSON-RPC endpoint, e.g. https://rpc.testnet.near.org.
    #[arg(long, env = "BACKUP_SERVICE_RPC_URL")]
    pub rpc_url: String,
    /// The operator account (default: the `account_id` in access_key.json).
    #[arg(long, env = "BACKUP_SERVICE_OPERATOR")]
    pub operator: Option<AccountId>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub home: HomeArg,
    #[command(flatten)]
    pub contract: ContractArgs,
    /// How shares move between the node and this service.
    #[arg(long, env = "BACKUP_SERVICE_TRANSPORT", default_value_t = Transport::Mtls)]
    pub transport: Transport,
    /// host:port to fetch backups from (default: host:port of the participant URL).
    #[arg(long, env = "BACKUP_SERVICE_NODE_ADDRESS")]
    pub node_address: Option<String>,
    /// Where to serve Prometheus metrics (`/metrics`).
    #[arg(long, env = "BACKUP_SERVICE_METRICS_LISTEN", default_value = "127.0.0.1:9464")]
    pub metrics_listen: SocketAddr,
    /// How often to read the contract, e.g. `500ms`, `5s`, `1m`.
    #[arg(long, env = "BACKUP_SERVICE_POLL_INTERVAL", default_value = "5s", value_parser = cli_common::parse_duration)]
    pub poll_interval: Duration,
    /// Replaced by --poll-interval (a duration with a unit); refused so an old setting is not ignored.
    #[arg(long, env = "BACKUP_SERVICE_POLL_INTERVAL_SECS", hide = true, value_parser = renamed_poll_interval)]
    pub poll_interval_secs: Option<Duration>,
}

/// `--poll-interval-secs` took plain seconds; every duration now has a unit.
fn renamed_poll_interval(text: &str) -> Result<Duration, String> {
    Err(format!(
        "--poll-interval-secs (BACKUP_SERVICE_POLL_INTERVAL_SECS) was replaced by --poll-interval \
         (BACKUP_SERVICE_POLL_INTERVAL), a duration with a unit: use `{}s`",
        text.trim()
    ))
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub home: HomeArg,
    #[command(flatten)]
    pub contract: ContractArgs,
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli__should_be_well_formed_and_give_every_flag_an_env_var() {
        let command = Cli::command();
        command.clone().debug_assert();
        for sub in command.get_subcommands() {
            for arg in sub.get_arguments().filter(|a| a.get_long().is_some()) {
                let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
                let expected = format!("BACKUP_SERVICE_{}", arg.get_long().unwrap().to_uppercase().replace('-', "_"));
                assert_eq!(env.as_deref(), Some(expected.as_str()), "{} --{}", sub.get_name(), arg.get_id());
            }
        }
    }
}
