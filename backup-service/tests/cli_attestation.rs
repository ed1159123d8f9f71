#![allow(non_snake_case)]
//! `backup-service register` with an attestation (Hard mode): the flags, what
//! the printed registration carries, and a failing quote command.

use backup_service::keys::{self, KeyPaths};
use mpc_interface::launch::{report_data_v1, Attestation, DevAttestation};
use std::process::{Command, Output};

/// Runs the binary with `args` only (no `BACKUP_SERVICE_*` from the test's environment).
fn backup_service(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backup-service"));
    std::env::vars().filter(|(n, _)| n.starts_with("BACKUP_SERVICE_")).for_each(|(n, _)| {
        command.env_remove(n);
    });
    command.args(args).output().unwrap()
}

/// `register` for a service with fresh keys, plus `extra` flags.
fn register(extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("svc").display().to_string();
    assert!(backup_service(&["generate-keys", "--home", &home, "--operator", "node0.near"]).status.success());
    let mut args = vec!["register", "--home", &home, "--contract", "mpc.near", "--operator", "node0.near"];
    args.extend(["--network", "testnet"]);
    args.extend(extra);
    (backup_service(&args), dir)
}

#[test]
fn register__should_carry_a_dev_attestation_binding_the_service_keys() {
    let (out, dir) = register(&["--dev-attestation"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout.lines().find(|l| l.contains("register_backup_service")).unwrap();
    let args: serde_json::Value = serde_json::from_str(line.split('\'').nth(1).unwrap()).unwrap();
    let attestation: Attestation = serde_json::from_value(args["attestation"].clone()).unwrap();
    let paths = KeyPaths::in_home(&dir.path().join("svc"));
    let identity = keys::load_identity(&paths.identity).unwrap().public_key();
    let (access, _) = keys::load_access_key(&paths.access_key).unwrap();
    let expected = DevAttestation {
        measurements: backup_service::attest::DEV_MEASUREMENTS,
        report_data: report_data_v1(&identity, &access),
    };
    assert_eq!(attestation, Attestation::Dev(expected));
    assert!(stdout.contains("renews it before it expires"), "{stdout}");
}

#[test]
fn register__should_print_nothing_and_fail_clearly_when_the_quote_command_fails() {
    let (out, _dir) = register(&["--quote-command", "echo 'no TDX guest device' >&2; exit 4"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no registration is printed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("failed (exit status: 4): no TDX guest device"), "{stderr}");
}

#[test]
fn register__should_refuse_two_attestation_sources_as_a_usage_error() {
    let (out, _dir) = register(&["--dev-attestation", "--quote-file", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn status__should_refuse_a_margin_without_a_unit() {
    let mut args = vec!["status", "--home", "/nonexistent", "--contract", "mpc.near"];
    args.extend(["--rpc-url", "http://127.0.0.1:9", "--attestation-margin", "6"]);
    let out = backup_service(&args);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid value '6' for '--attestation-margin"), "{stderr}");
}
