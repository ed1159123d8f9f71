#![allow(non_snake_case)]
//! The built `mpc-operator`: the line each command prints, the inputs it
//! refuses (exit 2, nothing printed), and when it runs `near`.

mod common;

use common::*;
use mpc_interface::methods::{change_methods_for, Role};

/// The JSON argument of a printed call (the word after `json-args`).
fn json_args(line: &str) -> serde_json::Value {
    let words = shlex::split(line).unwrap();
    let at = words.iter().position(|w| w == "json-args").unwrap();
    serde_json::from_str(&words[at + 1]).unwrap()
}

/// The borsh argument of a printed call (the word after `base64-args`) and the
/// JSON of the comment line above it.
fn base64_args(printed: &str) -> (Vec<u8>, serde_json::Value) {
    use base64::Engine as _;
    let (comment, line) = printed.split_once('\n').expect("a comment line, then the command");
    let json = comment.split_once("encodes: ").expect("the arguments as JSON").1;
    let words = shlex::split(line).unwrap();
    let at = words.iter().position(|w| w == "base64-args").unwrap();
    (base64::engine::general_purpose::STANDARD.decode(&words[at + 1]).unwrap(), serde_json::from_str(json).unwrap())
}

fn dry_run(sandbox: &Sandbox, args: &[String]) -> String {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--dry-run");
    let output = sandbox.run(&args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

#[test]
fn every_command__should_print_its_near_cli_line() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    let mut printed = String::new();
    for (name, args) in good_invocations() {
        let out = dry_run(&sandbox, &args);
        let commands: Vec<&str> = out.lines().filter(|l| !l.starts_with("# ")).collect();
        assert_eq!(commands.len(), 1, "{name}: {out}");
        assert!(commands[0].starts_with("near "), "{name}: {out}");
        printed.push_str(&format!("# {name}\n{out}"));
    }
    let printed = printed.replace(&sandbox.dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!(printed);
}

#[test]
fn add_node_key__should_allow_exactly_the_node_methods() {
    let sandbox = Sandbox::new();
    let out = dry_run(&sandbox, &good_invocations()[3].1);
    let words = shlex::split(&out).unwrap();
    let list = &words[words.iter().position(|w| w == "--function-names").unwrap() + 1];
    assert_eq!(list.split(',').collect::<Vec<_>>(), change_methods_for(Role::Node));
    assert!(!list.is_empty());
    assert!(out.contains("--allowance '1 NEAR'"), "{out}");
}

#[test]
fn enter_recovery__should_name_the_new_machine_and_its_node_key() {
    let sandbox = Sandbox::new();
    let out = dry_run(&sandbox, &good_invocations()[7].1);
    assert!(out.contains(" submit_participant_recovery_info "), "{out}");
    assert_eq!(
        json_args(&out),
        serde_json::json!({
            "info": { "url": "https://new.example.org:4101", "tls_public_key": ed(5) },
            "node_public_key": access(6),
        })
    );
    assert!(out.contains("attached-deposit '1 yoctoNEAR' sign-as alice.testnet"), "{out}");
}

#[test]
fn approve_recovery__should_name_the_tls_key_it_approves() {
    let sandbox = Sandbox::new();
    let out = dry_run(&sandbox, &good_invocations()[8].1);
    assert_eq!(json_args(&out), serde_json::json!({ "tls_public_key": ed(5) }));
    assert!(out.contains("attached-deposit '1 yoctoNEAR'"), "{out}");
}

#[test]
fn conclude_recovery__should_take_the_keyset_from_a_saved_state_view() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    let keyset: serde_json::Value = serde_json::from_str(&keyset_json()).unwrap();
    let parameters: serde_json::Value = serde_json::from_str(&participants_json(3, 2, true)).unwrap();
    let state = serde_json::json!({ "Running": {
        "parameters": parameters, "domains": [{"id": 0, "scheme": "Ed25519"}], "keyset": keyset, "next_epoch_id": 5,
    }});
    std::fs::write(sandbox.path("state.json"), state.to_string()).unwrap();
    let args =
        ["conclude-recovery", "--account", ACCOUNT, "--contract", CONTRACT, "--keyset", "@state.json", "--dry-run"];
    let output = sandbox.run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    // A borsh method: the keyset travels as base64-args, shown as JSON in the comment above.
    let (bytes, shown) = base64_args(&out);
    assert_eq!(shown, serde_json::json!({ "keyset": keyset }));
    let sent: mpc_interface::args::ConcludeRecoveryArgs = borsh::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_value(sent).unwrap(), shown);
    assert!(out.contains("attached-deposit '0 NEAR'") && out.ends_with("sign-with-keychain send\n"), "{out}");
}

#[test]
fn deploy__should_pass_allow_dev_attestation_on_testnet_and_refuse_it_on_mainnet() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    let mut args = good_invocations()[0].1.clone();
    args.push("--allow-dev-attestation".into());
    assert_eq!(json_args(&dry_run(&sandbox, &args))["allow_dev_attestation"], true);
    let plain = dry_run(&sandbox, &good_invocations()[0].1);
    assert!(json_args(&plain).get("allow_dev_attestation").is_none(), "{plain}");

    args.extend(["--network".into(), "mainnet".into(), "--dry-run".into()]);
    let output = sandbox.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("refused on mainnet"), "{}", stderr(&output));
}

#[test]
fn deploy_and_upgrade__should_pass_the_tee_verifier() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    for (i, name) in [(0, "deploy"), (1, "upgrade")] {
        let (command, mut args) = good_invocations()[i].clone();
        assert_eq!(command, name);
        args.extend(["--tee-verifier".into(), "verifier.testnet".into()]);
        assert_eq!(json_args(&dry_run(&sandbox, &args))["tee_verifier"], "verifier.testnet", "{name}");
    }
}

/// Each case: arguments, and a piece of the error message.
fn bad_inputs(sandbox: &Sandbox) -> Vec<(Vec<String>, &'static str)> {
    let approve = |extra: &[&str]| {
        let mut args = vec!["approve-recovery", "--account", ACCOUNT, "--contract", CONTRACT, "--tls-key"];
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let good_tls = ed(5);
    let mut cases = vec![
        (approve(&[&good_tls, "--network", "mainnnet"]), "unknown network `mainnnet`"),
        (approve(&[&good_tls, "--network", "Main Net"]), "network name"),
        (approve(&[&good_tls, "extra"]), "unexpected argument 'extra'"),
        (approve(&["ed25519:abc'def"]), "not valid base58"),
        (approve(&["secp256k1:abc"]), "expected a key of the form `ed25519:<base58>`"),
        (approve(&[&format!("{good_tls}x")]), "must decode to 32 bytes"),
        (approve(&[]), "a value is required"),
        (
            vec!["approve-recovery".into(), "--account".into(), "Not An Account".into()],
            "invalid value 'Not An Account'",
        ),
        (vec!["frobnicate".into()], "unrecognized subcommand 'frobnicate'"),
    ];
    let mut push = |index: usize, replace: (&str, &str), message: &'static str| {
        let mut args = good_invocations()[index].1.clone();
        let at = args.iter().position(|a| a == replace.0).unwrap();
        args[at + 1] = replace.1.to_owned();
        cases.push((args, message));
    };
    push(7, ("--url", "https://new.example.org"), "explicit port");
    push(7, ("--url", "new.example.org:4101"), "not a valid URL");
    push(7, ("--node-key", "ed25519:"), "must decode to 32 bytes");
    push(3, ("--public-key", "ed25519:\"quoted\""), "not valid base58");
    push(4, ("--allowance", "lots"), "--allowance");
    push(2, ("--amount", "0 NEAR"), "--amount must be more than zero");
    push(2, ("--amount", "5"), "not an amount near-cli-rs takes");
    push(12, ("--threshold", "1"), "threshold 1 for 3 participants");
    push(12, ("--participants", "[]"), "0 participants");
    push(9, ("--keyset", "{\"epoch\":1}"), "neither a keyset nor the output");
    push(0, ("--wasm", "parameters.json"), "is not a wasm module");
    let last = good_invocations().len() - 1;
    push(last - 2, ("--mode", "medium"), "`medium` is not a launch mode");
    push(last, ("--measurements", "00ff"), "must be 240 bytes, not 2");
    push(0, ("--domains", "[]"), "0 domains");
    push(0, ("--parameters", "@missing.json"), "cannot read");
    push(18, ("--contract", "UPPER.testnet"), "invalid value 'UPPER.testnet'");
    push(11, ("--key-file", "missing-key.json"), "--key-file: cannot read missing-key.json");
    let _ = sandbox;
    cases
}

#[test]
fn bad_input__should_be_refused_with_exit_2_and_nothing_printed() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    sandbox.install_fake_near(0);
    for (args, message) in bad_inputs(&sandbox) {
        // Without --dry-run: a check that came too late would have run `near`.
        let output = sandbox.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{args:?} printed a command");
        assert!(stderr(&output).contains(message), "{args:?}: expected `{message}` in: {}", stderr(&output));
    }
    assert!(sandbox.near_calls().is_empty(), "near was run: {:?}", sandbox.near_calls());
}

#[test]
fn dry_run_after_the_command__should_never_run_near() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    sandbox.install_fake_near(0);
    for (name, args) in good_invocations() {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push("--dry-run");
        let output = sandbox.run(&args);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert!(sandbox.near_calls().is_empty(), "{name} ran near with --dry-run");
    }
    let output = sandbox.run(&["--dry-run", "recovery", "--contract", CONTRACT]);
    assert!(output.status.success());
    assert!(sandbox.near_calls().is_empty());
}

#[test]
fn without_dry_run__should_run_near_with_exactly_the_printed_arguments() {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    sandbox.install_fake_near(0);
    let args = &good_invocations()[8].1;
    let output = sandbox.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "stdout is near's alone");
    let printed = shlex::split(stderr(&output).trim()).unwrap();
    assert_eq!(printed[0], "near");
    assert_eq!(sandbox.near_calls(), vec![printed[1..].to_vec()]);
}

#[test]
fn near_failing__should_fail_the_command() {
    let sandbox = Sandbox::new();
    sandbox.install_fake_near(7);
    let output = sandbox.run(&["cancel-recovery", "--account", ACCOUNT, "--contract", CONTRACT]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("`near` failed"), "{}", stderr(&output));
    assert_eq!(sandbox.near_calls().len(), 1);
}

#[test]
fn near_missing__should_say_how_to_install_it_and_print_nothing() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["cancel-recovery", "--account", ACCOUNT, "--contract", CONTRACT]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("cargo install near-cli-rs --locked"), "{}", stderr(&output));
}

#[test]
fn help__should_answer_for_the_tool_and_every_command() {
    let sandbox = Sandbox::new();
    for args in [vec!["--help"], vec!["-h"], vec!["help"]] {
        let output = sandbox.run(&args);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout(&output).contains("approve-recovery"), "{args:?}");
    }
    for (name, _) in good_invocations() {
        let output = sandbox.run(&[name, "--help"]);
        assert!(output.status.success(), "{name} --help");
        assert!(stdout(&output).contains("--dry-run"), "{name} --help lacks --dry-run");
        let help = sandbox.run(&["help", name]);
        assert_eq!(stdout(&help), stdout(&output), "help {name}");
    }
}

#[test]
fn environment__should_stand_in_for_account_contract_and_network() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&["cancel-recovery", "--dry-run"])
        .env("MPC_OPERATOR_ACCOUNT", ACCOUNT)
        .env("MPC_OPERATOR_CONTRACT", CONTRACT)
        .env("MPC_OPERATOR_NETWORK", "mainnet")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("sign-as alice.testnet network-config mainnet"), "{}", stdout(&output));
}

#[test]
fn custom_network__should_be_a_connection_in_near_clis_config() {
    let sandbox = Sandbox::new();
    let args = ["state", "--contract", CONTRACT, "--network", "my-rpc", "--dry-run"];
    assert_eq!(sandbox.run(&args).status.code(), Some(2));
    std::fs::write(
        sandbox.path("near-cli-config.toml"),
        "[network_connection.my-rpc]\nrpc_url = \"http://127.0.0.1:3030/\"\n",
    )
    .unwrap();
    let output = sandbox.run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("network-config my-rpc now"), "{}", stdout(&output));
}
