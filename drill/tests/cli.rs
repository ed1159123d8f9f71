#![allow(non_snake_case)]
//! The drill's command line: `scripts/drill.sh --help` answers without
//! building, and a non-empty --workdir is refused before anything starts.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const DRILL: &str = env!("CARGO_BIN_EXE_drill");

fn script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/drill.sh")
}

/// Long flags (`--name`) a help text mentions.
fn long_flags(help: &str) -> Vec<String> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_owned())
        .filter(|w| w != "--help" && w != "--version")
        .collect()
}

#[test]
fn drill_sh_help__should_answer_without_building_and_list_every_flag() {
    let fake = tempfile::tempdir().unwrap();
    let marker = fake.path().join("cargo-was-run");
    let cargo = fake.path().join("cargo");
    std::fs::write(&cargo, format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display())).unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    for flag in ["--help", "-h"] {
        let output = Command::new("bash")
            .arg(script())
            .arg(flag)
            .env("PATH", format!("{}:/usr/bin:/bin", fake.path().display()))
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{flag}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(!marker.exists(), "{flag} ran cargo");
        let binary_help = Command::new(DRILL).arg("--help").output().unwrap();
        for long in long_flags(&String::from_utf8_lossy(&binary_help.stdout)) {
            assert!(help.contains(&long), "drill.sh --help does not mention {long}:\n{help}");
        }
    }
}

#[test]
fn drill__should_refuse_a_non_empty_workdir() {
    let workdir = tempfile::tempdir().unwrap();
    std::fs::write(workdir.path().join("precious.txt"), "keep me").unwrap();
    let output = Command::new(DRILL).arg("--workdir").arg(workdir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(std::fs::read_to_string(workdir.path().join("precious.txt")).unwrap(), "keep me");
}
