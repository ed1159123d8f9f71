//! What each subcommand does; `main` only parses and prints.

use crate::cli::{ContractArgs, GenerateKeysArgs, RegisterArgs, RunArgs, StatusArgs};
use crate::keys::{self, KeyError, KeyPaths, ServiceKeys};
use crate::metrics;
use crate::register::Registration;
use crate::rpc::{self, RpcSetupError};
use crate::service::{backups_dir, BackupService, ServiceConfig, ServiceError};
use crate::status;
use crate::storage::Storage;
use contract_client::ContractClient;
use mpc_interface::AccountId;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Rpc(#[from] RpcSetupError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics { addr: SocketAddr, source: std::io::Error },
    #[error("cannot install the signal handlers: {0}")]
    Signals(std::io::Error),
}

pub fn generate_keys(args: &GenerateKeysArgs) -> Result<String, CommandError> {
    let home = &args.home.home;
    let keys = keys::generate(home, args.operator.as_ref())?;
    let operator = args.operator.as_ref().map_or("<operator>".to_owned(), |a| a.to_string());
    Ok(format!(
        "wrote {}, {} and {} (mode 0600)\n\
         identity key (registered as public_key):        {}\n\
         access key   (registered as signer_public_key): {}\n\
         Keep a copy of storage.key somewhere safe: without it the backups cannot be opened.\n\
         Next: backup-service register --home {} --contract <contract> --operator {operator} --network <network>\n",
        keys.paths.identity.display(),
        keys.paths.access_key.display(),
        keys.paths.storage_key.display(),
        keys.identity,
        keys.access_key,
        home.display(),
    ))
}

pub fn register(args: &RegisterArgs) -> Result<String, CommandError> {
    let paths = KeyPaths::in_home(&args.home.home);
    let identity = keys::load_identity(&paths.identity)?.public_key();
    let (access_key, _) = keys::load_access_key(&paths.access_key)?;
    // The commands would add a key to, and register for, this account: it
    // must be the one the keys were generated for.
    rpc::operator_account(&paths.access_key, Some(&args.operator))?;
    let registration = Registration::new(
        args.contract.clone(),
        args.operator.clone(),
        args.network.clone(),
        args.allowance.clone(),
        identity,
        access_key,
    );
    Ok(registration.instructions())
}

fn contract_client(home: &Path, args: &ContractArgs) -> Result<(Arc<dyn ContractClient>, AccountId), RpcSetupError> {
    let access_key = KeyPaths::in_home(home).access_key;
    let operator = rpc::operator_account(&access_key, args.operator.as_ref())?;
    let client = rpc::connect(&args.rpc_url, &args.contract, &access_key, operator.clone())?;
    Ok((client, operator))
}

/// The report, and the verdict whose exit code `main` returns.
pub async fn status(args: &StatusArgs) -> Result<(String, status::Verdict), CommandError> {
    let home = &args.home.home;
    let paths = KeyPaths::in_home(home);
    let keys = ServiceKeys::load(home)?;
    let (access_key, _) = keys::load_access_key(&paths.access_key)?;
    let operator = rpc::operator_account(&paths.access_key, args.contract.operator.as_ref())?;
    let storage = Storage::inspect(&backups_dir(home), &keys.storage_key);
    let client = contract_client(home, &args.contract).map_err(|e| e.to_string());
    let report = status::collect(
        &storage,
        operator,
        keys.identity.public_key(),
        access_key,
        client.as_ref().map(|(c, _)| c.as_ref()).map_err(Clone::clone),
    )
    .await;
    Ok((report.to_string(), report.verdict()))
}

/// Runs until SIGINT or SIGTERM.
pub async fn run(args: &RunArgs) -> Result<(), CommandError> {
    let home = &args.home.home;
    let keys = ServiceKeys::load(home)?;
    let (client, operator) = contract_client(home, &args.contract)?;
    let mut config = ServiceConfig::new(home, args.transport);
    config.node_address = args.node_address.clone();
    config.poll_interval = args.poll_interval;
    let service = BackupService::new(config, client, keys)?;

    let cancel = CancellationToken::new();
    cli_common::cancel_on_signals(cancel.clone()).map_err(CommandError::Signals)?;
    let addr = args.metrics_listen;
    let listener = TcpListener::bind(addr).await.map_err(|source| CommandError::Metrics { addr, source })?;
    let metrics_server = tokio::spawn(metrics::serve(listener, service.metrics(), cancel.clone()));
    tracing::info!(%operator, contract = %args.contract.contract, metrics = %addr, "starting");
    service.run(cancel.clone()).await;
    cancel.cancel();
    match metrics_server.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics server failed"),
        Err(e) => tracing::warn!(error = %e, "metrics server task failed"),
        Ok(Ok(())) => {}
    }
    Ok(())
}
