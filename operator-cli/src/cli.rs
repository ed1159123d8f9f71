//! The command line. Every flag can also be set with an environment variable
//! (`MPC_OPERATOR_<FLAG>`), so a shell can hold the account, contract and
//! network once: `export MPC_OPERATOR_ACCOUNT=... MPC_OPERATOR_CONTRACT=...`.

use clap::{Args, Parser, Subcommand};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::{LaunchMode, Measurements};
use mpc_interface::AccountId;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "mpc-operator",
    version,
    about = "Every step an MPC operator takes on the contract: checked, printed as a near-cli-rs command, then run.",
    after_help = "Each command prints the near-cli-rs (`near`) command it runs, then runs it; with --dry-run it \
                  only prints. Exit status: 0 done; 1 near-cli-rs is missing or its command failed; 2 bad \
                  arguments (nothing was printed or sent)."
)]
pub struct Cli {
    /// Only print the near-cli-rs commands; send nothing. Accepted anywhere on the line.
    #[arg(long, global = true, env = "MPC_OPERATOR_DRY_RUN")]
    pub dry_run: bool,
    /// near-cli-rs network: mainnet, testnet, localnet, or a connection in near-cli-rs's config (a custom RPC).
    #[arg(long, global = true, env = "MPC_OPERATOR_NETWORK", default_value = "testnet")]
    pub network: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploys the contract and calls `init` in one transaction (the contract account's key).
    Deploy(DeployArgs),
    /// Deploys new code and calls `migrate` in one transaction (the contract account's key).
    Upgrade(UpgradeArgs),
    /// Pays for what the contract stores for an account (NEP-145 `storage_deposit`).
    StorageDeposit(StorageDepositArgs),
    /// Adds the node's function-call key, limited to exactly the node's methods.
    AddNodeKey(AddKeyArgs),
    /// Adds the backup service's function-call key, limited to exactly its methods.
    AddBackupKey(AddKeyArgs),
    /// Deletes an access key from the account (a lost machine's node key).
    DeleteKey(DeleteKeyArgs),
    /// Registers the backup service's identity and signing key (1 yoctoNEAR).
    RegisterBackupService(RegisterBackupServiceArgs),
    /// Enters a recovery yourself, naming the new machine and its node key (approved at once, 1 yoctoNEAR).
    EnterRecovery(EnterRecoveryArgs),
    /// Approves the pending recovery of the machine with this TLS key (1 yoctoNEAR).
    ApproveRecovery(ApproveRecoveryArgs),
    /// Concludes a delivered recovery with the keyset the new node holds (the new node's key).
    ConcludeRecovery(ConcludeRecoveryArgs),
    /// Cancels your own account's open recovery at once (1 yoctoNEAR).
    CancelRecovery(Target),
    /// Votes, as another participant's node, to cancel the open recovery (no deposit).
    VoteCancelRecovery(NodeSigned),
    /// Proposes a resharing to the given participants (your node's vote for it).
    ProposeResharing(ResharingArgs),
    /// Votes for a resharing proposal (the same proposal, from another participant's node).
    VoteResharing(ResharingArgs),
    /// Withdraws your account's candidate record (frees its storage deposit).
    WithdrawCandidate(NodeSigned),
    /// Votes, as your node, for the launch mode (`hard`: backup services must be attested).
    VoteLaunchMode(LaunchModeArgs),
    /// Votes, as your node, to allow a backup-service image's measurements.
    VoteAddMeasurements(MeasurementsArgs),
    /// Votes, as your node, to retire allowed measurements.
    VoteRetireMeasurements(MeasurementsArgs),
    /// Shows the protocol state: participants, threshold, keyset, an open recovery.
    State(ContractArg),
    /// Shows the open recovery and how far it got, or null.
    Recovery(ContractArg),
    /// Shows the backup service registered for an account.
    BackupService(AccountView),
    /// Lists candidates (accounts that submitted participant info), a page at a time.
    Candidates(CandidatesArgs),
}

#[derive(Debug, Args)]
pub struct ContractArg {
    /// The MPC contract's account.
    #[arg(long, env = "MPC_OPERATOR_CONTRACT")]
    pub contract: AccountId,
}

/// Your (the operator's) account and the contract.
#[derive(Debug, Args)]
pub struct Target {
    /// Your account: the participant, signing with its full-access key in near-cli's keychain.
    #[arg(long, env = "MPC_OPERATOR_ACCOUNT")]
    pub account: AccountId,
    #[command(flatten)]
    pub contract: ContractArg,
}

/// A call signed by a node's function-call key of the account.
#[derive(Debug, Args)]
pub struct NodeSigned {
    #[command(flatten)]
    pub target: Target,
    /// near-cli credentials file of the node's key (default: near-cli's keychain for the account).
    #[arg(long, env = "MPC_OPERATOR_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub contract: ContractArg,
    /// The contract's wasm (target/near/mpc_contract.wasm).
    #[arg(long, env = "MPC_OPERATOR_WASM")]
    pub wasm: PathBuf,
    /// Initial participants and threshold: JSON (`ThresholdParameters`), inline or `@FILE`.
    #[arg(long, env = "MPC_OPERATOR_PARAMETERS")]
    pub parameters: String,
    /// Signature domains: JSON list of `{"id": 0, "scheme": "Secp256k1"}`, inline or `@FILE`.
    #[arg(long, env = "MPC_OPERATOR_DOMAINS")]
    pub domains: String,
    /// Accept development attestations (test networks only; refused on mainnet).
    #[arg(long, env = "MPC_OPERATOR_ALLOW_DEV_ATTESTATION")]
    pub allow_dev_attestation: bool,
    /// The TEE verifier contract that checks TDX quotes in Hard mode.
    #[arg(long, env = "MPC_OPERATOR_TEE_VERIFIER")]
    pub tee_verifier: Option<AccountId>,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub contract: ContractArg,
    /// The new wasm.
    #[arg(long, env = "MPC_OPERATOR_WASM")]
    pub wasm: PathBuf,
    /// Sets (or moves) the TEE verifier contract that checks TDX quotes in Hard mode.
    #[arg(long, env = "MPC_OPERATOR_TEE_VERIFIER")]
    pub tee_verifier: Option<AccountId>,
}

#[derive(Debug, Args)]
pub struct StorageDepositArgs {
    #[command(flatten)]
    pub target: Target,
    /// Amount to deposit, as near-cli-rs takes it: `0.1 NEAR`.
    #[arg(long, env = "MPC_OPERATOR_AMOUNT")]
    pub amount: String,
    /// The account the deposit is for (default: --account).
    #[arg(long, env = "MPC_OPERATOR_FOR")]
    pub r#for: Option<AccountId>,
}

#[derive(Debug, Args)]
pub struct AddKeyArgs {
    #[command(flatten)]
    pub target: Target,
    /// The key to add (`ed25519:<base58>`): the node's or the service's access key.
    #[arg(long, env = "MPC_OPERATOR_PUBLIC_KEY")]
    pub public_key: AccessPublicKey,
    /// Gas allowance of the key: `1 NEAR`, or `unlimited`.
    #[arg(long, env = "MPC_OPERATOR_ALLOWANCE", default_value = "1 NEAR")]
    pub allowance: String,
}

#[derive(Debug, Args)]
pub struct DeleteKeyArgs {
    /// Your account.
    #[arg(long, env = "MPC_OPERATOR_ACCOUNT")]
    pub account: AccountId,
    /// The key to delete (`ed25519:<base58>`).
    #[arg(long, env = "MPC_OPERATOR_PUBLIC_KEY")]
    pub public_key: AccessPublicKey,
}

#[derive(Debug, Args)]
pub struct RegisterBackupServiceArgs {
    #[command(flatten)]
    pub target: Target,
    /// The service's identity key (`backup-service status` prints it).
    #[arg(long, env = "MPC_OPERATOR_IDENTITY_KEY")]
    pub identity_key: Ed25519PublicKey,
    /// The access key the service signs its calls with (add it with add-backup-key).
    #[arg(long, env = "MPC_OPERATOR_SIGNER_KEY")]
    pub signer_key: AccessPublicKey,
}

#[derive(Debug, Args)]
pub struct EnterRecoveryArgs {
    #[command(flatten)]
    pub target: Target,
    /// The new machine's participant URL, `https://host:port`.
    #[arg(long, env = "MPC_OPERATOR_URL")]
    pub url: String,
    /// The new machine's TLS key (node-agent logs it at start-up).
    #[arg(long, env = "MPC_OPERATOR_TLS_KEY")]
    pub tls_key: Ed25519PublicKey,
    /// The new machine's NEAR access key, which then acts for it (add it with add-node-key first).
    #[arg(long, env = "MPC_OPERATOR_NODE_KEY")]
    pub node_key: AccessPublicKey,
}

#[derive(Debug, Args)]
pub struct ApproveRecoveryArgs {
    #[command(flatten)]
    pub target: Target,
    /// The TLS key of the machine you approve: `recovery` shows it as `new_info.tls_public_key`.
    #[arg(long, env = "MPC_OPERATOR_TLS_KEY")]
    pub tls_key: Ed25519PublicKey,
}

#[derive(Debug, Args)]
pub struct ConcludeRecoveryArgs {
    #[command(flatten)]
    pub node: NodeSigned,
    /// The keyset: JSON of a keyset or the output of `state`, inline or `@FILE`.
    #[arg(long, env = "MPC_OPERATOR_KEYSET")]
    pub keyset: String,
}

#[derive(Debug, Args)]
pub struct ResharingArgs {
    #[command(flatten)]
    pub node: NodeSigned,
    /// The epoch the resharing leads to: `next_epoch_id` in `state`.
    #[arg(long, env = "MPC_OPERATOR_EPOCH_ID")]
    pub epoch_id: u64,
    /// The new participants: JSON list of `{"account_id", "id", "info": {"url", "tls_public_key"}}`, inline or `@FILE`.
    #[arg(long, env = "MPC_OPERATOR_PARTICIPANTS")]
    pub participants: String,
    /// The new threshold.
    #[arg(long, env = "MPC_OPERATOR_THRESHOLD")]
    pub threshold: u64,
}

#[derive(Debug, Args)]
pub struct AccountView {
    /// The account whose backup service to show.
    #[arg(long, env = "MPC_OPERATOR_ACCOUNT")]
    pub account: AccountId,
    #[command(flatten)]
    pub contract: ContractArg,
}

#[derive(Debug, Args)]
pub struct CandidatesArgs {
    #[command(flatten)]
    pub contract: ContractArg,
    /// First candidate to list.
    #[arg(long, env = "MPC_OPERATOR_FROM_INDEX", default_value_t = 0)]
    pub from_index: u64,
    /// How many to list.
    #[arg(long, env = "MPC_OPERATOR_LIMIT", default_value_t = 100)]
    pub limit: u64,
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli__should_give_every_flag_its_mpc_operator_variable() {
        let command = super::Cli::command();
        command.clone().debug_assert();
        let missing: Vec<String> = std::iter::once(&command)
            .chain(command.get_subcommands())
            .flat_map(|c| c.get_arguments().map(move |a| (c.get_name(), a)))
            .filter_map(|(name, arg)| {
                let long = arg.get_long().filter(|l| !["help", "version"].contains(l))?;
                let wanted = format!("MPC_OPERATOR_{}", long.to_uppercase().replace('-', "_"));
                let env = arg.get_env().and_then(|e| e.to_str());
                (env != Some(wanted.as_str())).then(|| format!("{name} --{long}"))
            })
            .collect();
        assert!(missing.is_empty(), "flags without their variable: {missing:?}");
    }
}

#[derive(Debug, Args)]
pub struct LaunchModeArgs {
    #[command(flatten)]
    pub node: NodeSigned,
    /// `soft` or `hard`.
    #[arg(long, env = "MPC_OPERATOR_MODE", value_parser = parse_mode)]
    pub mode: LaunchMode,
}

#[derive(Debug, Args)]
pub struct MeasurementsArgs {
    #[command(flatten)]
    pub node: NodeSigned,
    /// Hex of the 240 bytes MRTD || RTMR0 || RTMR1 || RTMR2 || RTMR3 of the image.
    #[arg(long, env = "MPC_OPERATOR_MEASUREMENTS")]
    pub measurements: Measurements,
}

fn parse_mode(text: &str) -> Result<LaunchMode, String> {
    match text {
        "soft" | "Soft" => Ok(LaunchMode::Soft),
        "hard" | "Hard" => Ok(LaunchMode::Hard),
        other => Err(format!("`{other}` is not a launch mode: `soft` or `hard`")),
    }
}
