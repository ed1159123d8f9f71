//! From a parsed command line to the near-cli-rs commands it stands for.
//! Everything is checked here, before anything is printed or sent.

use crate::checks;
use crate::cli::{Command, NodeSigned, ResharingArgs, Target};
use crate::error::InputError;
use crate::near_cli::{self, Call, NearCommand, Signing};
use crate::network::Network;
use mpc_interface::launch::LaunchVote;
use mpc_interface::methods::{self as m, Role};
use mpc_interface::primitives::{DomainConfig, EpochId, Participant, ParticipantInfo, ThresholdParameters};
use serde_json::json;

/// The commands `command` runs, in order.
pub fn plan(network: &Network, command: &Command) -> Result<Vec<NearCommand>, InputError> {
    let one = |c: NearCommand| Ok(vec![c]);
    match command {
        Command::Deploy(a) => {
            let wasm = checks::wasm(&a.wasm)?;
            let parameters: ThresholdParameters = checks::json_arg("--parameters", &a.parameters)?;
            checks::parameters("--parameters", &parameters)?;
            let domains: Vec<DomainConfig> = checks::json_arg("--domains", &a.domains)?;
            checks::domains(&domains)?;
            let mut args = json!({ "parameters": parameters, "domains": domains });
            if a.allow_dev_attestation {
                if *network == Network::Mainnet {
                    return Err(InputError::DevAttestationOnMainnet);
                }
                args["allow_dev_attestation"] = json!(true);
            }
            if let Some(verifier) = &a.tee_verifier {
                args["tee_verifier"] = json!(verifier);
            }
            one(near_cli::deploy(network, a.contract.contract.as_str(), &wasm, (m::INIT, args))?)
        }
        Command::Upgrade(a) => {
            let wasm = checks::wasm(&a.wasm)?;
            let args = a.tee_verifier.as_ref().map_or(json!({}), |verifier| json!({ "tee_verifier": verifier }));
            one(near_cli::deploy(network, a.contract.contract.as_str(), &wasm, (m::MIGRATE, args))?)
        }
        Command::StorageDeposit(a) => {
            let amount = checks::amount("--amount", &a.amount)?;
            let account_id = a.r#for.as_ref().unwrap_or(&a.target.account);
            let args = json!({ "account_id": account_id, "registration_only": false });
            let call = operator(&a.target, m::STORAGE_DEPOSIT, args);
            one(near_cli::call(network, Call { deposit: Some(amount), ..call })?)
        }
        Command::AddNodeKey(a) | Command::AddBackupKey(a) => {
            let role = if matches!(command, Command::AddNodeKey(_)) { Role::Node } else { Role::BackupService };
            let allowance = checks::allowance(&a.allowance)?;
            let (account, contract) = (a.target.account.as_str(), a.target.contract.contract.as_str());
            one(near_cli::add_key(network, account, contract, role, &a.public_key.to_string(), &allowance)?)
        }
        Command::DeleteKey(a) => one(near_cli::delete_key(network, a.account.as_str(), &a.public_key.to_string())),
        Command::RegisterBackupService(a) => {
            let info = json!({ "public_key": a.identity_key, "signer_public_key": a.signer_key });
            one(near_cli::call(network, operator(&a.target, m::REGISTER_BACKUP_SERVICE, json!({ "info": info })))?)
        }
        Command::EnterRecovery(a) => {
            let info = ParticipantInfo { url: checks::participant_url(&a.url)?, tls_public_key: a.tls_key };
            let args = json!({ "info": info, "node_public_key": a.node_key });
            one(near_cli::call(network, operator(&a.target, m::SUBMIT_PARTICIPANT_RECOVERY_INFO, args))?)
        }
        Command::ApproveRecovery(a) => {
            let args = json!({ "tls_public_key": a.tls_key });
            one(near_cli::call(network, operator(&a.target, m::APPROVE_RECOVERY, args))?)
        }
        Command::ConcludeRecovery(a) => {
            let keyset = checks::keyset(&a.keyset)?;
            one(near_cli::call(network, node(&a.node, m::CONCLUDE_RECOVERY, json!({ "keyset": keyset })))?)
        }
        Command::CancelRecovery(t) => one(near_cli::call(network, operator(t, m::CANCEL_RECOVERY, json!({})))?),
        Command::VoteCancelRecovery(n) => one(near_cli::call(network, node(n, m::CANCEL_RECOVERY, json!({})))?),
        Command::ProposeResharing(a) | Command::VoteResharing(a) => resharing(network, a).map(|c| vec![c]),
        Command::WithdrawCandidate(n) => one(near_cli::call(network, node(n, m::WITHDRAW_CANDIDATE_INFO, json!({})))?),
        Command::VoteLaunchMode(a) => launch_vote(network, &a.node, LaunchVote::Mode(a.mode)),
        Command::VoteAddMeasurements(a) => launch_vote(network, &a.node, LaunchVote::AllowMeasurements(a.measurements)),
        Command::VoteRetireMeasurements(a) => {
            launch_vote(network, &a.node, LaunchVote::RetireMeasurements(a.measurements))
        }
        Command::State(c) => one(near_cli::view(network, c.contract.as_str(), m::STATE, json!({}))?),
        Command::Recovery(c) => one(near_cli::view(network, c.contract.as_str(), m::RECOVERY, json!({}))?),
        Command::BackupService(a) => {
            let args = json!({ "account_id": a.account });
            one(near_cli::view(network, a.contract.contract.as_str(), m::BACKUP_SERVICE, args)?)
        }
        Command::Candidates(a) => {
            if a.limit == 0 {
                return Err(InputError::Invalid { what: "--limit", reason: "it must be at least 1".into() });
            }
            let args = json!({ "from_index": a.from_index, "limit": a.limit });
            one(near_cli::view(network, a.contract.contract.as_str(), m::CANDIDATES, args)?)
        }
    }
}

/// A call signed by the operator's full-access key (the role's deposit proves it).
fn operator<'a>(target: &'a Target, method: &'static str, args: serde_json::Value) -> Call<'a> {
    Call {
        contract: target.contract.contract.as_str(),
        signer: target.account.as_str(),
        method,
        args,
        role: Role::Operator,
        deposit: None,
        signing: Signing::Keychain,
    }
}

/// A call signed by a node's function-call key (no deposit).
fn node<'a>(signed: &'a NodeSigned, method: &'static str, args: serde_json::Value) -> Call<'a> {
    let signing = signed.key_file.clone().map_or(Signing::Keychain, Signing::KeyFile);
    Call { role: Role::Node, signing, ..operator(&signed.target, method, args) }
}

/// `vote_launch` with one kind of vote, signed by the node.
fn launch_vote(network: &Network, signed: &NodeSigned, vote: LaunchVote) -> Result<Vec<NearCommand>, InputError> {
    Ok(vec![near_cli::call(network, node(signed, m::VOTE_LAUNCH, json!({ "vote": vote })))?])
}

/// `vote_new_parameters` for the given participants: proposing and voting are the same call.
fn resharing(network: &Network, a: &ResharingArgs) -> Result<NearCommand, InputError> {
    let participants: Vec<Participant> = checks::json_arg("--participants", &a.participants)?;
    let proposal = ThresholdParameters { participants, threshold: a.threshold };
    checks::parameters("--participants/--threshold", &proposal)?;
    let args = json!({ "epoch_id": EpochId(a.epoch_id), "proposal": proposal });
    near_cli::call(network, node(&a.node, m::VOTE_NEW_PARAMETERS, args))
}

/// Before a real run: every credentials file a command signs with exists
/// (a dry run only prints, so it may name the file of another machine).
pub fn key_files_exist(commands: Vec<NearCommand>) -> Result<Vec<NearCommand>, InputError> {
    for command in &commands {
        if let Signing::KeyFile(path) = &command.signing {
            if !path.is_file() {
                return Err(InputError::Unreadable {
                    what: "--key-file",
                    path: path.clone(),
                    reason: "no such file (the near-cli credentials file of the node's key)".into(),
                });
            }
        }
    }
    Ok(commands)
}
