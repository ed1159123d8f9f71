#![allow(non_snake_case)]
//! docs/recovery-runbook.md cannot drift from the tools: every command in its
//! ```sh blocks is extracted; each `mpc-operator` line is dry-run and must
//! succeed, and each `backup-service` / `node-agent` line must name a real
//! subcommand with flags its `--help` lists and every flag it requires.

mod common;

use common::*;
use std::process::Command;

const RUNBOOK: &str = include_str!("../../docs/recovery-runbook.md");

/// The values the runbook asks the operator to read off their machines.
fn example_values() -> Vec<(&'static str, String)> {
    vec![
        ("NEW_TLS_KEY", ed(5)),
        ("NEW_NODE_KEY", access(6)),
        ("OLD_NODE_KEY", access(7)),
        ("NODE_KEY", access(8)),
        ("ROGUE_NODE_KEY", access(9)),
        ("SERVICE_ACCESS_KEY", access(2)),
        ("SERVICE_IDENTITY_KEY", ed(4)),
        ("OLD_SERVICE_ACCESS_KEY", access(3)),
        ("IMAGE_MEASUREMENTS", "ab".repeat(240)),
        ("OLD_IMAGE_MEASUREMENTS", "cd".repeat(240)),
    ]
}

/// Every command line of the runbook's ```sh blocks: continuations joined,
/// comments dropped.
fn sh_commands() -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in RUNBOOK.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = trimmed == "```sh";
            continue;
        }
        if !in_block || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let code = trimmed.split(" #").next().unwrap().trim_end();
        match code.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(code);
                commands.push(std::mem::take(&mut pending));
            }
        }
    }
    commands
}

fn exports() -> String {
    let runbook_exports: Vec<String> = sh_commands().into_iter().filter(|c| c.starts_with("export ")).collect();
    let values = example_values().into_iter().map(|(k, v)| format!("export {k}='{v}'"));
    runbook_exports.into_iter().chain(values).collect::<Vec<_>>().join("\n")
}

/// A directory with the files the runbook's commands name.
fn workdir() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_inputs();
    std::fs::create_dir_all(sandbox.path("target/near")).unwrap();
    std::fs::copy(sandbox.path("mpc_contract.wasm"), sandbox.path("target/near/mpc_contract.wasm")).unwrap();
    let keyset: serde_json::Value = serde_json::from_str(&keyset_json()).unwrap();
    let parameters: serde_json::Value = serde_json::from_str(&participants_json(3, 2, true)).unwrap();
    let state = serde_json::json!({ "Running": {
        "parameters": parameters, "domains": [{"id": 0, "scheme": "Ed25519"}], "keyset": keyset, "next_epoch_id": 5,
    }});
    std::fs::write(sandbox.path("state.json"), state.to_string()).unwrap();
    sandbox
}

#[test]
fn runbook_mpc_operator_lines__should_all_dry_run_cleanly() {
    let sandbox = workdir();
    let lines: Vec<String> = sh_commands().into_iter().filter(|c| c.starts_with("mpc-operator ")).collect();
    for line in &lines {
        // A dry run prints the command, not the view: keep the saved state.json.
        let line = line.split(" > ").next().unwrap();
        let dry = line.replacen("mpc-operator ", "mpc-operator --dry-run ", 1);
        let output = Command::new("bash")
            .arg("-c")
            .arg(format!("set -eu\n{}\n{dry}", exports()))
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir().display()))
            .env("HOME", sandbox.dir.path())
            .env("MPC_OPERATOR_NEAR_CLI_CONFIG", sandbox.path("none.toml"))
            .current_dir(sandbox.dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "runbook line `{line}` failed:\n{}", stderr(&output));
        let printed = stdout(&output);
        let commands: Vec<&str> = printed.lines().filter(|l| !l.starts_with("# ")).collect();
        assert!(commands.len() == 1 && commands[0].starts_with("near "), "`{line}` printed: {printed}");
    }
    // Every command of the tool is shown somewhere in the runbook.
    for (name, _) in good_invocations() {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("mpc-operator {name} ")) || *l == format!("mpc-operator {name}")),
            "the runbook never shows `mpc-operator {name}`"
        );
    }
}

fn long_flags(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || "[]=,".contains(c))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .collect()
}

#[test]
fn runbook_service_lines__should_use_real_subcommands_and_flags() {
    let mut checked = 0;
    for line in sh_commands() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (binary, sub) = match words[0] {
            "backup-service" => (workspace_binary("backup-service"), Some(words[1])),
            "node-agent" => (workspace_binary("node-agent"), None),
            _ => continue,
        };
        let help = Command::new(&binary).args(sub).arg("--help").output().unwrap();
        assert!(help.status.success(), "`{line}`: {} {sub:?} --help failed", binary.display());
        let help = stdout(&help);
        for flag in long_flags(&line) {
            assert!(help.contains(&format!("{flag} ")), "`{line}`: {flag} is not a flag of:\n{help}");
        }
        // Flags the usage line requires (outside `[OPTIONS]`) must be given.
        let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
        for required in long_flags(usage) {
            assert!(line.contains(required), "`{line}` lacks the required {required}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} backup-service/node-agent lines found");
}

#[test]
fn runbook_restart_policy__should_match_node_agents_exit_codes() {
    let help = stdout(&Command::new(workspace_binary("node-agent")).arg("--help").output().unwrap());
    assert!(help.contains("2 on bad arguments"), "{help}");
    assert!(help.contains("3 when"), "{help}");
    assert!(RUNBOOK.contains("RestartPreventExitStatus=2 3"));
}
