#![allow(non_snake_case)]
//! `docs/alerts.yml`: Prometheus accepts it (`promtool check rules`, where
//! promtool is installed: Debian package `prometheus`), and every
//! backup-service metric it names is one the service exports.

use backup_service::Metrics;
use std::path::PathBuf;
use std::process::Command;

fn rules_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/alerts.yml")
}

/// The `backup_service_*` names in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("backup_service_"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn alerts__should_only_name_metrics_the_service_exports() {
    let rules = std::fs::read_to_string(rules_file()).unwrap();
    let metrics = Metrics::default();
    metrics.error("rpc");
    let exported = metric_names(&metrics.render());
    let named = metric_names(&rules);
    assert!(named.len() >= 4, "{named:?}");
    for name in &named {
        assert!(exported.contains(name), "docs/alerts.yml names {name}, which is not exported: {exported:?}");
    }
    for gauge in ["backup_service_contract_keyset_epoch", "backup_service_stored_epoch", "backup_service_copy_current"]
    {
        assert!(named.iter().any(|n| n == gauge), "no alert on {gauge}");
    }
}

#[test]
fn alerts__should_pass_promtool_check_rules() {
    let version = Command::new("promtool").arg("--version").output();
    if !matches!(&version, Ok(out) if out.status.success()) {
        println!(
            "promtool tier: NOT RUN (promtool is not on PATH; install Debian's `prometheus` package to check docs/alerts.yml)"
        );
        return;
    }
    let out = Command::new("promtool").arg("check").arg("rules").arg(rules_file()).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool refused docs/alerts.yml:\n{text}");
    assert!(text.contains("SUCCESS"), "{text}");
    println!("promtool tier: passed ({})", text.trim());
}
