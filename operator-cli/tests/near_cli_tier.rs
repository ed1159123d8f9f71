#![allow(non_snake_case)]
//! The near-cli tier: with near-cli-rs (`near`) on PATH, every transaction
//! command `mpc-operator` and `backup-service register` print is run with its
//! network tail replaced by `sign-later ... display`; the unsigned transaction
//! near-cli-rs builds (base64 borsh) is decoded and checked field by field:
//! receiver, actions, method, arguments, deposit, gas, and for access keys the
//! allowance and the exact method list. Without `near` it says NOT RUN.
//!
//! The transaction layout is nearcore's (`core/primitives/src/transaction.rs`,
//! `action/mod.rs`), written here with borsh derives and pinned below by
//! nearcore's own change-checker hash.

mod common;

use base64::Engine as _;
use borsh::{BorshDeserialize, BorshSerialize};
use common::*;
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{by_name, change_methods_for, Role};
use sha2::{Digest, Sha256};
use std::process::{Command, Stdio};

#[derive(BorshSerialize, BorshDeserialize, Debug, PartialEq, Eq)]
struct TransactionV0 {
    signer_id: String,
    public_key: AccessPublicKey,
    nonce: u64,
    receiver_id: String,
    block_hash: [u8; 32],
    actions: Vec<Action>,
}

#[derive(BorshDeserialize, Debug)]
struct TransactionV1 {
    v0: TransactionV0,
    #[allow(dead_code)]
    priority_fee: u64,
}

#[derive(BorshSerialize, BorshDeserialize, Debug, PartialEq, Eq)]
enum Action {
    CreateAccount,
    DeployContract { code: Vec<u8> },
    FunctionCall { method_name: String, args: Vec<u8>, gas: u64, deposit: u128 },
    Transfer { deposit: u128 },
    Stake { stake: u128, public_key: AccessPublicKey },
    AddKey { public_key: AccessPublicKey, nonce: u64, permission: Permission },
    DeleteKey { public_key: AccessPublicKey },
    DeleteAccount { beneficiary_id: String },
}

#[derive(BorshSerialize, BorshDeserialize, Debug, PartialEq, Eq)]
enum Permission {
    FunctionCall { allowance: Option<u128>, receiver_id: String, method_names: Vec<String> },
    FullAccess,
}

/// A V0 transaction, or a V1 one (tag byte 1, then V0's fields and a priority fee).
fn decode(bytes: &[u8]) -> Option<TransactionV0> {
    borsh::from_slice::<TransactionV0>(bytes).ok().or_else(|| {
        bytes.strip_prefix(&[1]).and_then(|rest| borsh::from_slice::<TransactionV1>(rest).ok()).map(|t| t.v0)
    })
}

#[test]
fn transaction_layout__should_reproduce_nearcores_pinned_hash() {
    let key: [u8; 32] =
        bs58::decode("22skMptHjFWNyuEWY22ftn2AbLPSYpmYwGJRGwpNHbTV").into_vec().unwrap().try_into().unwrap();
    let key = AccessPublicKey::Ed25519(mpc_interface::keys::Ed25519PublicKey(key));
    let tx = TransactionV0 {
        signer_id: "test.near".into(),
        public_key: key,
        nonce: 1,
        receiver_id: "123".into(),
        block_hash: [0; 32],
        actions: vec![
            Action::CreateAccount,
            Action::DeployContract { code: vec![1, 2, 3] },
            Action::FunctionCall { method_name: "qqq".into(), args: vec![1, 2, 3], gas: 1_000, deposit: 1_000_000 },
            Action::Transfer { deposit: 123 },
            Action::Stake { stake: 1_000_000, public_key: key },
            Action::AddKey {
                public_key: key,
                nonce: 0,
                permission: Permission::FunctionCall {
                    allowance: None,
                    receiver_id: "zzz".into(),
                    method_names: vec!["www".into()],
                },
            },
            Action::DeleteKey { public_key: key },
            Action::DeleteAccount { beneficiary_id: "123".into() },
        ],
    };
    let bytes = borsh::to_vec(&tx).unwrap();
    assert_eq!(bs58::encode(Sha256::digest(&bytes)).into_string(), "4GXvjMFN6wSxnU9jEVT8HbXP5Yk6yELX9faRSKp6n9fX");
    assert_eq!(decode(&bytes), Some(tx));
}

const SIGNER_KEY: u8 = 99;

/// Runs a printed `near ...` line with its network tail replaced by
/// `sign-later ... display`, and decodes the transaction near-cli-rs shows.
fn unsigned_transaction(near: &std::path::Path, sandbox: &Sandbox, line: &str) -> TransactionV0 {
    let words = shlex::split(line).unwrap();
    assert_eq!(words[0], "near", "{line}");
    let tail = words.iter().position(|w| w == "network-config").unwrap();
    let mut args: Vec<String> = words[1..tail].to_vec();
    let signer = access(SIGNER_KEY);
    args.extend(
        ["network-config", "testnet", "sign-later", "--signer-public-key", &signer, "--nonce", "1"]
            .into_iter()
            .chain(["--block-hash", "11111111111111111111111111111111", "display"])
            .map(str::to_owned),
    );
    let output = Command::new(near).args(&args).current_dir(sandbox.dir.path()).stdin(Stdio::null()).output().unwrap();
    let text = format!("{}\n{}", stdout(&output), stderr(&output));
    text.split_whitespace()
        .filter(|w| w.len() > 40)
        .filter_map(|w| base64::engine::general_purpose::STANDARD.decode(w).ok())
        .find_map(|bytes| decode(&bytes))
        .unwrap_or_else(|| panic!("near-cli-rs showed no transaction for `{line}`:\n{text}"))
}

fn call(method: &str, args: &[u8], deposit: u128) -> Action {
    let gas = by_name(method).unwrap().gas.as_gas();
    Action::FunctionCall { method_name: method.into(), args: args.to_vec(), gas, deposit }
}

/// The bytes a printed call sends: its `json-args` (compact JSON) or the
/// decoded `base64-args` of a borsh method.
fn call_args(line: &str) -> Vec<u8> {
    let words = shlex::split(line).unwrap();
    if let Some(at) = words.iter().position(|w| w == "base64-args") {
        return base64::engine::general_purpose::STANDARD.decode(&words[at + 1]).unwrap();
    }
    let json: serde_json::Value =
        serde_json::from_str(&words[words.iter().position(|w| w == "json-args").unwrap() + 1]).unwrap();
    json.to_string().into_bytes()
}

fn key(s: &str) -> AccessPublicKey {
    s.parse().unwrap()
}

const NEAR: u128 = 10u128.pow(24);

/// What each printed command must make near-cli-rs build: receiver and actions.
fn expected(name: &str, line: &str, sandbox: &Sandbox) -> (String, Vec<Action>) {
    let args = || call_args(line);
    let fc = |role: Role, allowance: u128| Permission::FunctionCall {
        allowance: Some(allowance),
        receiver_id: CONTRACT.into(),
        method_names: change_methods_for(role).into_iter().map(str::to_owned).collect(),
    };
    let contract = CONTRACT.to_owned();
    match name {
        "deploy" | "upgrade" => {
            let code = std::fs::read(sandbox.path("mpc_contract.wasm")).unwrap();
            let method = if name == "deploy" { "init" } else { "migrate" };
            (contract, vec![Action::DeployContract { code }, call(method, &args(), 0)])
        }
        "storage-deposit" => (contract, vec![call("storage_deposit", &args(), NEAR / 10)]),
        "add-node-key" => (
            ACCOUNT.into(),
            vec![Action::AddKey { public_key: key(&access(1)), nonce: 0, permission: fc(Role::Node, NEAR) }],
        ),
        "add-backup-key" => (
            ACCOUNT.into(),
            vec![Action::AddKey {
                public_key: key(&access(2)),
                nonce: 0,
                permission: fc(Role::BackupService, NEAR / 2),
            }],
        ),
        "delete-key" => (ACCOUNT.into(), vec![Action::DeleteKey { public_key: key(&access(3)) }]),
        "register-backup-service" => (contract, vec![call("register_backup_service", &args(), 1)]),
        "enter-recovery" => (contract, vec![call("submit_participant_recovery_info", &args(), 1)]),
        "approve-recovery" => (contract, vec![call("approve_recovery", &args(), 1)]),
        "cancel-recovery" => (contract, vec![call("cancel_recovery", &args(), 1)]),
        "conclude-recovery" => (contract, vec![call("conclude_recovery", &args(), 0)]),
        "vote-cancel-recovery" => (contract, vec![call("cancel_recovery", &args(), 0)]),
        "propose-resharing" | "vote-resharing" => (contract, vec![call("vote_new_parameters", &args(), 0)]),
        "withdraw-candidate" => (contract, vec![call("withdraw_candidate_info", &args(), 0)]),
        "vote-launch-mode" | "vote-add-measurements" | "vote-retire-measurements" => {
            (contract, vec![call("vote_launch", &args(), 0)])
        }
        other => panic!("no expectation for {other}"),
    }
}

const VIEWS: [&str; 4] = ["state", "recovery", "backup-service", "candidates"];

#[test]
fn near_cli_tier__should_build_exactly_the_transaction_each_printed_command_describes() {
    let Some(near) = operator_cli::run::find_near() else {
        println!(
            "near-cli tier: NOT RUN (near-cli-rs not on PATH; install: apt-get install libudev-dev pkg-config && \
             cargo install near-cli-rs --locked, ~50 min on 2 cores)"
        );
        return;
    };
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    sandbox.install_fake_near(0); // only so `mpc-operator` finds a PATH; it runs with --dry-run
    for (name, args) in good_invocations().into_iter().filter(|(n, _)| !VIEWS.contains(n)) {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push("--dry-run");
        let printed = stdout(&sandbox.run(&args));
        // A borsh method's command comes under a `# ` comment line with its JSON.
        let line = printed.lines().find(|l| l.starts_with("near ")).unwrap_or_else(|| panic!("{printed}"));
        let tx = unsigned_transaction(&near, &sandbox, line);
        let (receiver, actions) = expected(name, line, &sandbox);
        let signer = if matches!(name, "deploy" | "upgrade") { CONTRACT } else { ACCOUNT };
        assert_eq!((tx.signer_id.as_str(), tx.receiver_id.as_str()), (signer, receiver.as_str()), "{name}");
        assert_eq!(tx.public_key, key(&access(SIGNER_KEY)), "{name}");
        assert_eq!(tx.actions, actions, "{name}: {line}");
    }

    // `backup-service register` prints the service's add-key and registration.
    let home = sandbox.path("backup");
    let service = workspace_binary("backup-service");
    let run = |args: &[&str]| Command::new(&service).args(args).output().unwrap();
    let home_arg = home.to_str().unwrap();
    assert!(run(&["generate-keys", "--home", home_arg, "--operator", ACCOUNT]).status.success());
    let printed = stdout(&run(&[
        "register",
        "--home",
        home_arg,
        "--contract",
        CONTRACT,
        "--operator",
        ACCOUNT,
        "--network",
        "testnet",
    ]));
    let lines: Vec<&str> = printed.lines().filter(|l| l.starts_with("near ")).collect();
    assert_eq!(lines.len(), 2, "{printed}");
    let add_key = unsigned_transaction(&near, &sandbox, lines[0]);
    let Action::AddKey { permission: Permission::FunctionCall { allowance, receiver_id, method_names }, .. } =
        &add_key.actions[0]
    else {
        panic!("not a function-call key: {:?}", add_key.actions)
    };
    assert_eq!((allowance, receiver_id.as_str()), (&Some(NEAR), CONTRACT));
    assert_eq!(method_names, &change_methods_for(Role::BackupService));
    let register = unsigned_transaction(&near, &sandbox, lines[1]);
    assert_eq!(register.actions, vec![call("register_backup_service", &call_args(lines[1]), 1)]);
    println!(
        "near-cli tier: {} mpc-operator commands and 2 backup-service commands checked",
        good_invocations().len() - VIEWS.len()
    );
}
