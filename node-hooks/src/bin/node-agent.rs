//! `node-agent`: plays an MPC node's part in onboarding and disaster recovery,
//! driven by the contract (for drills and operators' tests). See `--help`.

// The errors wrap the library's, which carry keys by value (see lib.rs).
#![allow(clippy::result_large_err)]

use clap::Parser;
use contract_client::rpc::{Credentials, CredentialsError, RpcClient, RpcConfig};
use contract_client::{ClientError, ContractClient};
use mpc_interface::AccountId;
use node_hooks::driver::{Driver, DriverConfig, DriverError, Exit};
use node_hooks::endpoint::{transfer_address, EndpointError};
use node_hooks::store::FileShareStore;
use node_hooks::tls_key::{self, TlsKeyError};
use node_hooks::transfer::Transport;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Exit code when the contract says this machine is decommissioned (never
/// while a recovery onto another machine only waits for approval).
const EXIT_DECOMMISSIONED: u8 = 3;
/// Exit code when this node's own shares do not match its verifying shares on the contract.
const EXIT_WRONG_SHARES: u8 = 4;

#[derive(Parser, Debug)]
#[command(
    name = "node-agent",
    version,
    about = "Plays an MPC node's part in onboarding and disaster recovery, driven by the contract.",
    after_help = "Exit status: 0 after SIGINT or SIGTERM; 1 on an error; 2 on bad arguments \
                  (checked before anything is written); 3 when the contract says this machine is \
                  decommissioned (its account's recovery onto another machine is approved, or its \
                  seat names another machine); it then overwrites and removes its share file first; \
                  4 when this node's shares do not match its verifying shares on the contract (it \
                  refuses to take part with them: restore them from the backup service by a \
                  recovery). While a recovery onto another machine only waits for approval the \
                  agent keeps running and logs an ERROR (`ALARM: ...`) once per recovery, and the \
                  metric mpc_node_recovery_pending_to_other_machine is 1: if the operator did not \
                  start it, cancel it with cancel_recovery (operator key, 1 yoctoNEAR). Log filter: \
                  MPC_LOG (default `info`)."
)]
struct Args {
    /// The node's home directory: holds `tls_key` (generated on first run) and `shares.borsh`.
    #[arg(long, env = "NODE_AGENT_HOME")]
    home: PathBuf,
    /// The operator's NEAR account this node runs for.
    #[arg(long, env = "NODE_AGENT_ACCOUNT")]
    account: AccountId,
    /// The MPC contract's account.
    #[arg(long, env = "NODE_AGENT_CONTRACT")]
    contract: AccountId,
    /// NEAR JSON-RPC endpoint.
    #[arg(long, env = "NODE_AGENT_RPC_URL")]
    rpc_url: String,
    /// near-cli credentials file of the node's function-call access key (mode 0600).
    #[arg(long, env = "NODE_AGENT_CREDENTIALS")]
    credentials: PathBuf,
    /// The URL this node publishes in its participant info; its host:port is the share-transfer endpoint.
    #[arg(long, env = "NODE_AGENT_URL")]
    url: String,
    /// Address to listen on for share transfer [default: the host:port of --url].
    #[arg(long, env = "NODE_AGENT_LISTEN")]
    listen: Option<String>,
    /// Share-transfer transport: `mtls` or `web`.
    #[arg(long, env = "NODE_AGENT_TRANSPORT", default_value = "mtls")]
    transport: Transport,
    /// How often to read the contract, e.g. `500ms`, `2s`, `1m`.
    #[arg(long, env = "NODE_AGENT_POLL_INTERVAL", default_value = "2s", value_parser = cli_common::parse_duration)]
    poll_interval: Duration,
    /// Where to serve Prometheus metrics (`/metrics`), e.g. 127.0.0.1:9465 [default: not served].
    #[arg(long, env = "NODE_AGENT_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Drills only: make random stand-in shares for the running keyset when this node has none
    /// (only in a build with the `test-doubles` feature).
    #[cfg(feature = "test-doubles")]
    #[arg(long, env = "NODE_AGENT_STAND_IN_SHARES")]
    stand_in_shares: bool,
}

#[derive(Debug, thiserror::Error)]
enum AgentError {
    #[error("home directory: {0}")]
    Home(#[source] secret_file::SecretFileError),
    #[error("TLS key: {0}")]
    TlsKey(#[from] TlsKeyError),
    #[error("--url: {0}")]
    Url(#[from] EndpointError),
    #[error("cannot listen on {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
    #[error("RPC client: {0}")]
    Rpc(#[from] ClientError),
    #[error("the credentials in {} are for {found}, but --account is {expected}", path.display())]
    WrongAccount { path: PathBuf, found: AccountId, expected: AccountId },
    #[error("cannot install the signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("cannot serve metrics on {address}: {source}")]
    Metrics { address: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Driver(#[from] DriverError),
}

impl AgentError {
    /// 2 for arguments that cannot work, 4 for wrong own shares (as `--help`
    /// says), 1 otherwise.
    fn exit_code(&self) -> u8 {
        match self {
            AgentError::Url(_) | AgentError::Rpc(_) => 2,
            AgentError::Driver(DriverError::WrongShare(_)) => EXIT_WRONG_SHARES,
            _ => 1,
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Logs go to stderr, coloured only on a terminal; `MPC_LOG` filters them.
    cli_common::init_logging("info");
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(Exit::Cancelled) => ExitCode::SUCCESS,
        Ok(Exit::ShutDown(cause)) => {
            tracing::info!(?cause, "stopped for good: this machine no longer holds its account's seat");
            ExitCode::from(EXIT_DECOMMISSIONED)
        }
        // The driver logged its own failure; anything else is said here, once.
        Err(e @ AgentError::Driver(_)) => ExitCode::from(e.exit_code()),
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(args: Args) -> Result<Exit, AgentError> {
    // Every argument is checked before anything is written to disk.
    // The backup service connects to the URL's host:port, so it must have one
    // even when the agent listens elsewhere (behind a proxy, say).
    let address = transfer_address(&args.url)?;
    let listen = args.listen.clone().unwrap_or(address);
    let client = build_client(&args)?;
    if client.signer().account_id != args.account {
        return Err(AgentError::WrongAccount {
            path: args.credentials.clone(),
            found: client.signer().account_id.clone(),
            expected: args.account.clone(),
        });
    }
    // Created 0700 (an existing one is tightened to 0700); a file in its place is refused.
    secret_file::create_private_dir(&args.home).map_err(AgentError::Home)?;
    let (identity, generated) = tls_key::load_or_generate(&args.home)?;
    if generated {
        tracing::info!(tls_key = %identity.public_key(), "generated this machine's TLS key");
    }
    let listener =
        TcpListener::bind(&listen).await.map_err(|source| AgentError::Listen { address: listen.clone(), source })?;
    let mut config = DriverConfig::new(args.transport);
    config.poll_interval = args.poll_interval;
    #[cfg(feature = "test-doubles")]
    {
        config.stand_in_shares = args.stand_in_shares;
    }
    let store = Arc::new(FileShareStore::in_home(&args.home));
    let driver = Driver::new(client, store, identity, args.url.clone(), config);

    let cancel = CancellationToken::new();
    // SIGINT or SIGTERM cancels the driver, which stops cleanly.
    cli_common::cancel_on_signals(cancel.clone()).map_err(AgentError::Signals)?;
    if let Some(address) = args.metrics_listen {
        let listener = TcpListener::bind(address).await.map_err(|source| AgentError::Metrics { address, source })?;
        tracing::info!(%address, "serving metrics at /metrics");
        node_hooks::metrics::spawn(listener, driver.status(), cancel.clone());
    }
    Ok(driver.run(listener, cancel).await?)
}

/// The one place the contract client is built: NEAR JSON-RPC, signing with
/// the node's function-call key from the near-cli credentials file.
fn build_client(args: &Args) -> Result<Arc<dyn ContractClient>, AgentError> {
    let credentials = Credentials::from_near_cli_file(&args.credentials)?;
    let config = RpcConfig::new(args.rpc_url.clone(), args.contract.clone());
    Ok(Arc::new(RpcClient::new(config, credentials)?))
}
