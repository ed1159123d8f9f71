#![allow(non_snake_case)]
//! Every command `mpc-operator` prints is executed on the local chain: the plan is built
//! from real command-line arguments, each `NearCommand` becomes the transaction (or view)
//! near-cli-rs would send, signed by the key it names (the operator's keychain key, or the
//! node's key file), and the runbook's order is followed: deploy + init, storage deposit,
//! node and backup keys, register the backup service, lose a machine, enter, approve,
//! conclude, delete the lost key; cancel (operator) and vote-cancel (participants);
//! propose and vote a resharing; withdraw a candidate; and the views. The contract's state
//! is checked after each step.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use clap::Parser;
use contract_tests::scenario::{
    access_key, account, backup_identity, backup_key, domains, info, new_node_key, node_key, operator_key, tls_key,
    OutcomeExt, TestNetwork, CONTRACT, KEY_ALLOWANCE,
};
use contract_tests::wasm::{contract_wasm, contract_wasm_path};
use local_chain::{AccessKeyPermission, ChainAction, LocalChain, SignerPk, Transaction, DEFAULT_BALANCE, ONE_NEAR};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{self, change_methods_for, Role};
use mpc_interface::primitives::{Participant, ParticipantId, ThresholdParameters};
use mpc_interface::recovery::{BackupServiceInfo, RecoveryStatus, RecoveryView};
use mpc_interface::state::ProtocolStateView;
use near_token::NearToken;
use operator_cli::cli::Cli;
use operator_cli::near_cli::{NearCommand, Signing};
use operator_cli::network::Network;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The contract on a local chain where every account's operator holds only its full-access
/// key: everything else is added by `mpc-operator` commands.
struct Runbook {
    net: TestNetwork,
    /// `--key-file` path -> the key in it.
    key_files: HashMap<String, AccessPublicKey>,
}

impl Runbook {
    fn new(operators: usize) -> Self {
        contract_wasm(); // builds target/near/mpc_contract.wasm if it is stale
        let mut chain = LocalChain::new();
        chain.create_account(CONTRACT, DEFAULT_BALANCE, SignerPk::from(access_key(CONTRACT, "deploy")));
        for i in 0..operators {
            chain.create_account(&account(i), 100 * ONE_NEAR, SignerPk::from(operator_key(&account(i))));
        }
        Runbook { net: TestNetwork { chain }, key_files: HashMap::new() }
    }

    /// `mpc-operator <args>`, planned as the binary plans it, and executed here.
    fn run(&mut self, args: &[&str]) -> Vec<Result<Vec<u8>, String>> {
        let cli = Cli::try_parse_from(["mpc-operator", "--network", "testnet"].iter().chain(args))
            .unwrap_or_else(|e| panic!("mpc-operator {args:?}: {e}"));
        let network = Network::parse(&cli.network).unwrap();
        let commands = operator_cli::plan::plan(&network, &cli.command).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(!commands.is_empty());
        commands.iter().map(|c| self.execute(c)).collect()
    }

    /// `run` for a command that must succeed; returns its value.
    fn ok(&mut self, args: &[&str]) -> Vec<u8> {
        let mut results = self.run(args);
        assert_eq!(results.len(), 1, "{args:?}");
        results.remove(0).unwrap_or_else(|e| panic!("mpc-operator {args:?} failed on chain: {e}"))
    }

    fn view(&mut self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.ok(args)).unwrap()
    }

    fn signer(&self, command: &NearCommand, account: &str) -> SignerPk {
        match &command.signing {
            Signing::Keychain if account == CONTRACT => SignerPk::from(access_key(CONTRACT, "deploy")),
            Signing::Keychain => SignerPk::from(operator_key(account)),
            Signing::KeyFile(path) => SignerPk::from(
                *self.key_files.get(&path.display().to_string()).unwrap_or_else(|| panic!("no key file {path:?}")),
            ),
            Signing::View => panic!("a view signs nothing"),
        }
    }

    /// The transaction (or view) near-cli-rs makes of `command`.
    fn execute(&mut self, command: &NearCommand) -> Result<Vec<u8>, String> {
        assert_eq!(command.network, "testnet");
        let body: Vec<&str> = command.body.iter().map(String::as_str).collect();
        let tx = match body.as_slice() {
            ["contract", "call-function", "as-read-only", contract, method, "json-args", args] => {
                assert_eq!(command.signing, Signing::View);
                return self.net.chain.view(contract, method, serde_json::from_str(args).unwrap()).result;
            }
            ["contract", "call-function", "as-transaction", contract, method, kind @ ("json-args" | "base64-args"), args, "prepaid-gas", gas, "attached-deposit", deposit, "sign-as", signer] =>
            {
                let args = match *kind {
                    "json-args" => args.as_bytes().to_vec(),
                    _ => BASE64.decode(args).unwrap_or_else(|e| panic!("base64-args of {method}: {e}")),
                };
                let call = ChainAction::FunctionCall {
                    method: method.to_string(),
                    args,
                    gas: tgas(gas),
                    deposit: yocto(deposit),
                };
                Transaction::new(signer, self.signer(command, signer), contract).action(call)
            }
            ["contract", "deploy", contract, "use-file", wasm, "with-init-call", method, "json-args", args, "prepaid-gas", gas, "attached-deposit", deposit] => {
                Transaction::new(contract, self.signer(command, contract), contract)
                    .deploy(std::fs::read(wasm).unwrap())
                    .call(method, &serde_json::from_str(args).unwrap(), tgas(gas), yocto(deposit))
            }
            ["account", "add-key", account, "grant-function-call-access", "--allowance", allowance, "--contract-account-id", contract, "--function-names", names, "use-manually-provided-public-key", key] =>
            {
                let access = local_chain::AccessKey::function_call(
                    contract,
                    names.split(','),
                    (*allowance != "unlimited").then(|| yocto(allowance)),
                );
                Transaction::new(account, self.signer(command, account), account).add_key(parse_key(key), access)
            }
            ["account", "delete-keys", account, "public-keys", key] => {
                Transaction::new(account, self.signer(command, account), account).delete_key(parse_key(key))
            }
            other => panic!("a near-cli-rs command this test does not know: {other:?}"),
        };
        let outcome = self.net.chain.send(tx).map_err(|e| e.to_string())?;
        self.net.chain.advance_blocks(1);
        outcome.status
    }

    fn recovery(&self) -> Option<RecoveryView> {
        self.net.recovery()
    }

    fn function_call_key(&self, account: &str, key: &AccessPublicKey) -> (Vec<String>, Option<u128>, String) {
        let access = self
            .net
            .chain
            .access_key(account, &SignerPk::from(key))
            .unwrap_or_else(|| panic!("{account} holds no {key}"));
        match &access.permission {
            AccessKeyPermission::FunctionCall(p) => (p.method_names.clone(), p.allowance, p.receiver_id.clone()),
            AccessKeyPermission::FullAccess => panic!("{key} is a full-access key"),
        }
    }
}

fn tgas(text: &str) -> u64 {
    let n: u64 = text.strip_suffix(" Tgas").unwrap_or_else(|| panic!("gas {text:?}")).parse().unwrap();
    n * 1_000_000_000_000
}

fn yocto(text: &str) -> u128 {
    text.parse::<NearToken>().unwrap_or_else(|e| panic!("amount {text:?}: {e}")).as_yoctonear()
}

fn parse_key(text: &str) -> AccessPublicKey {
    text.parse().unwrap_or_else(|e| panic!("key {text:?}: {e:?}"))
}

fn s<T: ToString>(value: T) -> String {
    value.to_string()
}

fn state_name(book: &Runbook) -> &'static str {
    book.net.state().name()
}

#[test]
fn operator_commands__should_run_the_whole_runbook_on_the_local_chain() {
    const N: usize = 4;
    let mut book = Runbook::new(N + 2);
    let wasm = s(contract_wasm_path().display());

    // Deploy + init, signed by the contract account.
    let parameters = contract_tests::scenario::parameters(N);
    book.ok(&[
        "deploy",
        "--contract",
        CONTRACT,
        "--wasm",
        &wasm,
        "--parameters",
        &s(json!(parameters)),
        "--domains",
        &s(json!(domains())),
    ]);
    assert_eq!(state_name(&book), "Initializing");

    // Each operator: storage deposit, the node's key, the backup service's key.
    for i in 0..N {
        let a = account(i);
        book.ok(&["storage-deposit", "--account", &a, "--contract", CONTRACT, "--amount", "0.01 NEAR"]);
        assert_eq!(book.net.storage_balance(&a).map(|b| b.0), Some(ONE_NEAR / 100));
        book.ok(&["add-node-key", "--account", &a, "--contract", CONTRACT, "--public-key", &s(node_key(&a))]);
        book.ok(&["add-backup-key", "--account", &a, "--contract", CONTRACT, "--public-key", &s(backup_key(&a))]);
        for (key, role) in [(node_key(&a), Role::Node), (backup_key(&a), Role::BackupService)] {
            let (list, allowance, receiver) = book.function_call_key(&a, &key);
            assert_eq!(list, change_methods_for(role));
            assert_eq!((allowance, receiver.as_str()), (Some(KEY_ALLOWANCE), CONTRACT));
        }
    }

    // Key generation: the nodes vote through the keys the operators added.
    book.net.complete_keygen(N);
    assert_eq!(state_name(&book), "Running");

    // Register the backup services; the views answer.
    for i in 0..N {
        let a = account(i);
        book.ok(&[
            "register-backup-service",
            "--account",
            &a,
            "--contract",
            CONTRACT,
            "--identity-key",
            &s(backup_identity(&a)),
            "--signer-key",
            &s(backup_key(&a)),
        ]);
        let registered: Option<BackupServiceInfo> =
            serde_json::from_value(book.view(&["backup-service", "--account", &a, "--contract", CONTRACT])).unwrap();
        assert_eq!(registered, Some(contract_tests::scenario::backup_info(&a)));
    }
    let state: ProtocolStateView = serde_json::from_value(book.view(&["state", "--contract", CONTRACT])).unwrap();
    assert_eq!(state, book.net.state());
    assert_eq!(book.view(&["recovery", "--contract", CONTRACT]), Value::Null);
    book.view(&["candidates", "--contract", CONTRACT, "--limit", "10"]);

    // node1's machine is lost: the operator adds the replacement's node key and enters
    // Recovery naming it (approved at entry); the backup service delivers; the new node
    // concludes with its key file; the operator deletes the lost machine's key.
    let lost = account(1);
    book.ok(&["add-node-key", "--account", &lost, "--contract", CONTRACT, "--public-key", &s(new_node_key(&lost))]);
    let new_info = info(&lost, 1);
    book.ok(&[
        "enter-recovery",
        "--account",
        &lost,
        "--contract",
        CONTRACT,
        "--url",
        &new_info.url,
        "--tls-key",
        &s(new_info.tls_public_key),
        "--node-key",
        &s(new_node_key(&lost)),
    ]);
    let recovery = book.recovery().expect("a recovery is open");
    assert_eq!((recovery.status, recovery.new_signer_public_key), (RecoveryStatus::Approved, new_node_key(&lost)));
    let keyset = book.view(&["state", "--contract", CONTRACT]);
    let previous = match book.net.state() {
        ProtocolStateView::Recovery(r) => r.previous.keyset,
        other => panic!("expected Recovery, got {}", other.name()),
    };
    book.net
        .signed_call(&lost, &backup_key(&lost), 0, methods::CONFIRM_RECOVERY_DELIVERY, json!({"keyset": previous}))
        .expect_ok();
    assert_eq!(book.recovery().unwrap().status, RecoveryStatus::Delivered);
    book.key_files.insert("node1-new.json".into(), new_node_key(&lost));
    // `--keyset` takes the state view as `mpc-operator state` prints it.
    book.ok(&[
        "conclude-recovery",
        "--account",
        &lost,
        "--contract",
        CONTRACT,
        "--key-file",
        "node1-new.json",
        "--keyset",
        &s(&keyset),
    ]);
    let ProtocolStateView::Running(running) = book.net.state() else { panic!("expected Running") };
    assert_eq!(running.parameters.participant(&lost.parse().unwrap()).unwrap().info, new_info);
    book.ok(&["delete-key", "--account", &lost, "--public-key", &s(node_key(&lost))]);
    assert!(book.net.chain.access_key(&lost, &SignerPk::from(node_key(&lost))).is_none());

    // node2's replacement enters with its node key; the operator approves; then cancels.
    let other = account(2);
    book.ok(&["add-node-key", "--account", &other, "--contract", CONTRACT, "--public-key", &s(new_node_key(&other))]);
    book.net
        .signed_call(
            &other,
            &new_node_key(&other),
            0,
            methods::SUBMIT_PARTICIPANT_RECOVERY_INFO,
            json!({"info": info(&other, 1)}),
        )
        .expect_ok();
    assert_eq!(book.recovery().unwrap().status, RecoveryStatus::PendingApproval);
    book.ok(&["approve-recovery", "--account", &other, "--contract", CONTRACT, "--tls-key", &s(tls_key(&other, 1))]);
    assert_eq!(book.recovery().unwrap().status, RecoveryStatus::Approved);
    book.ok(&["cancel-recovery", "--account", &other, "--contract", CONTRACT]);
    assert_eq!(book.recovery(), None);
    assert_eq!(state_name(&book), "Running");

    // node2 enters again (operator); the other participants vote to cancel with their keys.
    let again = info(&other, 2);
    book.ok(&[
        "enter-recovery",
        "--account",
        &other,
        "--contract",
        CONTRACT,
        "--url",
        &again.url,
        "--tls-key",
        &s(again.tls_public_key),
        "--node-key",
        &s(new_node_key(&other)),
    ]);
    book.key_files.insert("node0.json".into(), node_key(&account(0)));
    book.key_files.insert("node3.json".into(), node_key(&account(3)));
    let voters = [(account(0), "node0.json"), (lost.clone(), "node1-new.json"), (account(3), "node3.json")];
    for (n, (voter, file)) in voters.iter().enumerate() {
        if book.recovery().is_none() {
            break;
        }
        book.ok(&["vote-cancel-recovery", "--account", voter, "--contract", CONTRACT, "--key-file", file]);
        if let Some(r) = book.recovery() {
            assert_eq!(r.cancel_votes, n as u32 + 1, "{voter}'s vote was counted");
        }
    }
    assert_eq!(book.recovery(), None, "the participants' votes cancel the recovery");

    // A candidate withdraws with its node key.
    let leaver = account(N + 1);
    book.ok(&["storage-deposit", "--account", &leaver, "--contract", CONTRACT, "--amount", "0.01 NEAR"]);
    book.ok(&["add-node-key", "--account", &leaver, "--contract", CONTRACT, "--public-key", &s(node_key(&leaver))]);
    book.net.node_call(&leaver, methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(&leaver, 0)})).expect_ok();
    let listed =
        |book: &mut Runbook, who: &str| book.view(&["candidates", "--contract", CONTRACT]).to_string().contains(who);
    assert!(listed(&mut book, &leaver));
    book.key_files.insert("leaver.json".into(), node_key(&leaver));
    book.ok(&["withdraw-candidate", "--account", &leaver, "--contract", CONTRACT, "--key-file", "leaver.json"]);
    assert!(!listed(&mut book, &leaver));

    // A newcomer becomes a candidate; node0 proposes a resharing with it, the others vote.
    let newcomer = account(N);
    book.ok(&["storage-deposit", "--account", &newcomer, "--contract", CONTRACT, "--amount", "0.01 NEAR"]);
    book.ok(&["add-node-key", "--account", &newcomer, "--contract", CONTRACT, "--public-key", &s(node_key(&newcomer))]);
    book.net.node_call(&newcomer, methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(&newcomer, 0)})).expect_ok();
    let mut participants = running.parameters.participants.clone();
    participants.push(Participant {
        account_id: newcomer.parse().unwrap(),
        id: ParticipantId(N as u32),
        info: info(&newcomer, 0),
    });
    let threshold = ThresholdParameters::min_threshold(N as u64 + 1);
    let proposal = s(json!(participants));
    let reshare = |verb: &'static str, who: &str, file: &str| {
        vec![
            verb.to_owned(),
            "--account".into(),
            who.to_owned(),
            "--contract".into(),
            CONTRACT.into(),
            "--key-file".into(),
            file.to_owned(),
            "--epoch-id".into(),
            s(running.next_epoch_id.0),
            "--participants".into(),
            proposal.clone(),
            "--threshold".into(),
            s(threshold),
        ]
    };
    book.key_files.insert("node2.json".into(), node_key(&account(2)));
    book.key_files.insert("newcomer.json".into(), node_key(&newcomer));
    // Every participant of the proposal votes; the newcomer once a threshold of the current set has.
    let votes = [
        ("propose-resharing", account(0), "node0.json"),
        ("vote-resharing", lost.clone(), "node1-new.json"),
        ("vote-resharing", account(2), "node2.json"),
        ("vote-resharing", account(3), "node3.json"),
        ("vote-resharing", newcomer.clone(), "newcomer.json"),
    ];
    for (verb, who, file) in votes {
        assert_eq!(state_name(&book), "Running");
        let args = reshare(verb, &who, file);
        book.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let ProtocolStateView::Resharing(resharing) = book.net.state() else {
        panic!("expected Resharing, got {}", state_name(&book))
    };
    assert_eq!(resharing.proposal.participants, participants);
    assert_eq!(resharing.proposal.threshold, threshold);
}
