//! Running the built `mpc-operator` with a clean environment, a fake `near`
//! that records its arguments, and one good invocation of every command.
#![allow(dead_code)]

use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_mpc-operator");
pub const ACCOUNT: &str = "alice.testnet";
pub const CONTRACT: &str = "v1.signer-prod.testnet";

pub fn ed(byte: u8) -> String {
    Ed25519PublicKey([byte; 32]).to_string()
}

pub fn access(byte: u8) -> String {
    AccessPublicKey::Ed25519(Ed25519PublicKey([byte; 32])).to_string()
}

/// A directory for a test: a fake `near` (when asked), its record, input files.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Puts a `near` in `bin/` that records its arguments, one a line, and exits `status`.
    pub fn install_fake_near(&self, status: i32) {
        let bin = self.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho ---- >> '{}'\nexit {status}\n",
            self.record().display(),
            self.record().display()
        );
        let near = bin.join("near");
        std::fs::write(&near, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&near, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn record(&self) -> PathBuf {
        self.path("near-calls")
    }

    /// Each recorded `near` invocation, as its argument list.
    pub fn near_calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(self.record()).unwrap_or_default();
        text.split("----\n")
            .filter(|call| !call.is_empty())
            .map(|call| call.lines().map(str::to_owned).collect())
            .collect()
    }

    /// Runs `mpc-operator` with only `bin/` on PATH and no MPC_OPERATOR_* set.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_clear()
            .env("PATH", self.path("bin"))
            .env("HOME", self.dir.path())
            .env("MPC_OPERATOR_NEAR_CLI_CONFIG", self.path("near-cli-config.toml"))
            .current_dir(self.dir.path());
        command
    }

    /// Input files the good invocations name.
    pub fn write_inputs(&self) {
        std::fs::write(self.path("mpc_contract.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(self.path("parameters.json"), participants_json(3, 2, true)).unwrap();
        std::fs::write(self.path("domains.json"), r#"[{"id":0,"scheme":"Secp256k1"},{"id":1,"scheme":"Ed25519"}]"#)
            .unwrap();
        std::fs::write(self.path("participants.json"), participants_json(3, 0, false)).unwrap();
        std::fs::write(self.path("node-key.json"), "{}").unwrap();
    }
}

/// `n` participants; with `threshold` > 0 wrapped as `ThresholdParameters`.
pub fn participants_json(n: u8, threshold: u64, wrapped: bool) -> String {
    let list: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "account_id": format!("node{i}.testnet"),
                "id": i,
                "info": { "url": format!("https://node{i}.example.org:4101"), "tls_public_key": ed(10 + i) },
            })
        })
        .collect();
    if wrapped {
        serde_json::json!({ "participants": list, "threshold": threshold }).to_string()
    } else {
        serde_json::Value::Array(list).to_string()
    }
}

pub fn keyset_json() -> String {
    serde_json::json!({ "epoch_id": 4, "domains": [{ "domain_id": 0, "public_key": ed(30) }] }).to_string()
}

/// One good invocation of every command (run in a sandbox after `write_inputs`).
pub fn good_invocations() -> Vec<(&'static str, Vec<String>)> {
    let target =
        |cmd: &str| vec![cmd.to_owned(), "--account".into(), ACCOUNT.into(), "--contract".into(), CONTRACT.into()];
    let with = |mut base: Vec<String>, extra: &[&str]| {
        base.extend(extra.iter().map(|s| (*s).to_owned()));
        base
    };
    let contract = |cmd: &str| vec![cmd.to_owned(), "--contract".into(), CONTRACT.into()];
    vec![
        (
            "deploy",
            with(
                contract("deploy"),
                &["--wasm", "mpc_contract.wasm", "--parameters", "@parameters.json", "--domains", "@domains.json"],
            ),
        ),
        ("upgrade", with(contract("upgrade"), &["--wasm", "mpc_contract.wasm"])),
        ("storage-deposit", with(target("storage-deposit"), &["--amount", "0.1 NEAR"])),
        ("add-node-key", with(target("add-node-key"), &["--public-key", &access(1)])),
        ("add-backup-key", with(target("add-backup-key"), &["--public-key", &access(2), "--allowance", "0.5 NEAR"])),
        ("delete-key", vec!["delete-key".into(), "--account".into(), ACCOUNT.into(), "--public-key".into(), access(3)]),
        (
            "register-backup-service",
            with(target("register-backup-service"), &["--identity-key", &ed(4), "--signer-key", &access(2)]),
        ),
        (
            "enter-recovery",
            with(
                target("enter-recovery"),
                &["--url", "https://new.example.org:4101", "--tls-key", &ed(5), "--node-key", &access(6)],
            ),
        ),
        ("approve-recovery", with(target("approve-recovery"), &["--tls-key", &ed(5)])),
        (
            "conclude-recovery",
            with(target("conclude-recovery"), &["--keyset", &keyset_json(), "--key-file", "node-key.json"]),
        ),
        ("cancel-recovery", target("cancel-recovery")),
        ("vote-cancel-recovery", with(target("vote-cancel-recovery"), &["--key-file", "node-key.json"])),
        (
            "propose-resharing",
            with(
                target("propose-resharing"),
                &["--epoch-id", "5", "--participants", "@participants.json", "--threshold", "2"],
            ),
        ),
        (
            "vote-resharing",
            with(
                target("vote-resharing"),
                &[
                    "--epoch-id",
                    "5",
                    "--participants",
                    "@participants.json",
                    "--threshold",
                    "2",
                    "--key-file",
                    "node-key.json",
                ],
            ),
        ),
        ("withdraw-candidate", target("withdraw-candidate")),
        ("state", contract("state")),
        ("recovery", contract("recovery")),
        ("backup-service", with(contract("backup-service"), &["--account", ACCOUNT])),
        ("candidates", contract("candidates")),
        ("vote-launch-mode", with(target("vote-launch-mode"), &["--mode", "hard", "--key-file", "node-key.json"])),
        (
            "vote-add-measurements",
            with(
                target("vote-add-measurements"),
                &["--measurements", &"ab".repeat(240), "--key-file", "node-key.json"],
            ),
        ),
        (
            "vote-retire-measurements",
            with(
                target("vote-retire-measurements"),
                &["--measurements", &"ab".repeat(240), "--key-file", "node-key.json"],
            ),
        ),
    ]
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The directory holding the workspace's built binaries (`mpc-operator`'s).
pub fn bin_dir() -> &'static Path {
    Path::new(BIN).parent().unwrap()
}

/// A binary of another workspace crate (`backup-service`, `node-agent`),
/// built on demand when this crate's tests run alone.
pub fn workspace_binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "backup-service", "-p", "node-hooks", "--bins"])
            .env("CARGO_TARGET_DIR", bin_dir().parent().unwrap())
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "cannot build {name}");
    }
    path
}
