//! Gas, storage and size figures of the contract wasm, measured under NEAR's VM
//! (near-vm-runner, real gas metering) at 4, 16 and 64 participants, printed
//! beside the production contract's figures and this project's targets.
//!
//! Run: `scripts/bench.sh` (builds the wasm first).

use contract_tests::scenario::*;
use contract_tests::targets::{production as reference, RECOVERY_METHODS, SIZES};
use contract_tests::wasm::{contract_wasm, pre_recovery_wasm};
use local_chain::ExecutionOutcome;
use mpc_interface::methods::*;
use mpc_interface::primitives::{Participant, ParticipantId, ThresholdParameters};
use serde_json::json;
use std::collections::BTreeMap;

fn tgas(outcome: &ExecutionOutcome) -> f64 {
    outcome.gas_burnt as f64 / 1e12
}

#[derive(Default)]
struct Row {
    gas: [Option<f64>; 3],
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn newcomer(i: usize) -> Participant {
    let account_id = account(i);
    Participant { account_id: account_id.parse().unwrap(), id: ParticipantId(i as u32), info: info(&account_id, 0) }
}

fn main() {
    let wasm = contract_wasm();
    let mut rows: BTreeMap<&'static str, Row> = BTreeMap::new();
    let mut storage: Vec<(usize, u64, u64)> = Vec::new();
    let mut recovery_storage: Vec<u64> = Vec::new();
    let mut measure_migrate: Vec<f64> = Vec::new();
    let mut verifying_bytes: Vec<u64> = Vec::new();

    for (col, &n) in SIZES.iter().enumerate() {
        // Key generation from init.
        let mut net = TestNetwork::deploy(wasm.clone());
        let init = net.contract_call(INIT, json!({"parameters": parameters(n), "domains": domains()}));
        rows.entry("init").or_default().gas[col] = Some(tgas(init.expect_ok()));
        let mut votes = Vec::new();
        for domain in domains() {
            let args = net.vote_pk_args(domain.id.0, "genesis");
            for i in 0..n {
                let out = net.node_call(&account(i), VOTE_PK, args.clone());
                votes.push(tgas(out.expect_ok()));
            }
        }
        rows.entry("vote_pk (mean)").or_default().gas[col] = Some(mean(&votes));
        rows.entry("vote_pk (max)").or_default().gas[col] = Some(votes.iter().cloned().fold(0.0, f64::max));
        let view = net.harness().view(VERIFYING_SHARES, json!({"account_id": account(n / 2)}));
        rows.entry("verifying_shares (view)").or_default().gas[col] = Some(tgas(&view));
        // Storage as NEAR charges it (key + value + 40 bytes per record).
        let verifying_records =
            net.harness().raw_storage().into_iter().filter(|(k, _)| k[0] == VERIFYING_SHARES_PREFIX);
        verifying_bytes.push(verifying_records.map(|(k, v)| (k.len() + v.len() + 40) as u64).sum());

        // Running from init_running.
        let mut net = TestNetwork::deploy(wasm.clone());
        let out = net.contract_call(
            INIT_RUNNING,
            json!({"parameters": parameters(n), "domains": domains(), "keyset": keyset(0)}),
        );
        rows.entry("init_running").or_default().gas[col] = Some(tgas(out.expect_ok()));
        let after_init = net.harness().storage_usage();
        rows.entry("state").or_default().gas[col] = Some(tgas(&net.harness().view(STATE, json!({}))));
        let refresh = net.node_call(&account(0), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(0), 0)}));
        rows.entry("submit_participant_info (refresh)").or_default().gas[col] = Some(tgas(refresh.expect_ok()));
        net.storage_deposit(&account(n), CANDIDATE_DEPOSIT).expect_ok();
        let cand = net.node_call(&account(n), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(n), 0)}));
        rows.entry("submit_participant_info (candidate)").or_default().gas[col] = Some(tgas(cand.expect_ok()));

        // Resharing to the same set plus the candidate: every vote, then every confirmation.
        let mut proposal = parameters(n);
        proposal.participants.push(newcomer(n));
        proposal.threshold = ThresholdParameters::min_threshold(n as u64 + 1);
        let mut votes = Vec::new();
        let mut vote_storage = Vec::new();
        for i in 0..=n {
            let before = net.harness().storage_usage();
            let out = net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}));
            votes.push(tgas(out.expect_ok()));
            if i > 0 && i < n {
                vote_storage.push(net.harness().storage_usage() as i64 - before as i64);
            }
        }
        rows.entry("vote_new_parameters (mean)").or_default().gas[col] = Some(mean(&votes));
        rows.entry("vote_new_parameters (max)").or_default().gas[col] = Some(votes.iter().cloned().fold(0.0, f64::max));
        let mut confirmations = Vec::new();
        for domain in 0..2 {
            let args = net.vote_reshared_args(1, domain);
            for i in 0..=n {
                let out = net.node_call(&account(i), VOTE_RESHARED, args.clone());
                confirmations.push(tgas(out.expect_ok()));
            }
        }
        rows.entry("vote_reshared (mean)").or_default().gas[col] = Some(mean(&confirmations));
        rows.entry("vote_reshared (max)").or_default().gas[col] =
            Some(confirmations.iter().cloned().fold(0.0, f64::max));
        let per_vote = vote_storage.iter().copied().max().unwrap_or(0).max(0) as u64;
        storage.push((n, after_init, per_vote));

        // Recovery of one participant, every step, on a fresh Running network.
        let mut net = TestNetwork::running(wasm.clone(), n);
        let lost = account(n / 2);
        let mut measure = |name: &'static str, out: ExecutionOutcome| {
            rows.entry(name).or_default().gas[col] = Some(tgas(out.expect_ok()));
        };
        measure(
            "register_backup_service",
            net.operator_call(&lost, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&lost)})),
        );
        let session = |kind, nonce| mpc_interface::recovery::Session {
            kind,
            epoch_id: mpc_interface::primitives::EpochId(0),
            nonce,
        };
        let x25519 = mpc_interface::keys::X25519PublicKey([7; 32]);
        measure(
            "publish_backup_ephemeral_key",
            net.signed_call(
                &lost,
                &backup_key(&lost),
                0,
                PUBLISH_BACKUP_EPHEMERAL_KEY,
                json!({"session": session(mpc_interface::recovery::SessionKind::Backup, 1), "public_key": x25519}),
            ),
        );
        measure(
            "submit_participant_recovery_info",
            net.signed_call(
                &lost,
                &new_node_key(&lost),
                0,
                SUBMIT_PARTICIPANT_RECOVERY_INFO,
                json!({"info": info(&lost, 1)}),
            ),
        );
        measure("recovery (view)", net.harness().view(RECOVERY, json!({})));
        measure(
            "approve_recovery",
            net.operator_call(&lost, APPROVE_RECOVERY, json!({"tls_public_key": tls_key(&lost, 1)})),
        );
        measure(
            "confirm_recovery_delivery",
            net.signed_call(&lost, &backup_key(&lost), 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset(0)})),
        );
        measure("state (Recovery)", net.harness().view(STATE, json!({})));
        measure(
            "conclude_recovery",
            net.signed_call(&lost, &new_node_key(&lost), 0, CONCLUDE_RECOVERY, json!({"keyset": keyset(0)})),
        );
        net.node_call(&lost, SUBMIT_PARTICIPANT_RECOVERY_INFO, json!({"info": info(&lost, 2)})).expect_ok();
        measure("cancel_recovery (operator)", net.operator_call(&lost, CANCEL_RECOVERY, json!({})));
        recovery_storage.push(net.harness().storage_usage());

        // migrate: the pre-recovery release at n participants, upgraded in place.
        let mut old = TestNetwork::running(pre_recovery_wasm(), n);
        old.harness_mut().replace_code(wasm.clone());
        measure_migrate.push(tgas(old.contract_call(MIGRATE, json!({})).expect_ok()));
    }
    rows.entry("migrate").or_default().gas =
        [Some(measure_migrate[0]), Some(measure_migrate[1]), Some(measure_migrate[2])];

    // A resharing from 64 to 100 participants must go through.
    let mut net = TestNetwork::running(wasm.clone(), 64);
    for i in 64..100 {
        net.storage_deposit(&account(i), CANDIDATE_DEPOSIT).expect_ok();
        net.node_call(&account(i), SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(i), 0)})).expect_ok();
    }
    let mut proposal = parameters(64);
    proposal.participants.extend((64..100).map(newcomer));
    proposal.threshold = ThresholdParameters::min_threshold(100);
    let mut votes = Vec::new();
    for i in 0..100 {
        let out = net.node_call(&account(i), VOTE_NEW_PARAMETERS, json!({"epoch_id": 1, "proposal": proposal}));
        votes.push(tgas(out.expect_ok()));
    }
    let reshared_to_100 = matches!(net.state(), mpc_interface::state::ProtocolStateView::Resharing(_));

    println!(
        "MPC contract benchmark (near-vm-runner 0.38, protocol {}, Tgas burnt per call)",
        local_chain::protocol_version()
    );
    println!("wasm size: {} bytes (target: at most 300000)", wasm.len());
    println!();
    println!("{:<38} {:>8} {:>8} {:>8}   {:>26}", "method", "n=4", "n=16", "n=64", "production (n=4/16/64)");
    for (name, row) in &rows {
        let cells: Vec<String> =
            row.gas.iter().map(|g| g.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())).collect();
        let production = reference(name).map(|r| format!("{:.3}/{:.3}/{:.3}", r[0], r[1], r[2])).unwrap_or_default();
        let verdict = if RECOVERY_METHODS.contains(name) {
            let (small, large) = (row.gas[0].unwrap(), row.gas[2].unwrap());
            let r = reference(name).unwrap();
            let half = row.gas.iter().zip(r).all(|(g, r)| g.unwrap() <= r / 2.0);
            let growth = (large / small - 1.0) * 100.0;
            format!(
                "{} half of production; growth {growth:.1}% {}",
                if half { "within" } else { "ABOVE" },
                if growth <= 10.0 { "(<= 10%)" } else { "(ABOVE 10%)" }
            )
        } else {
            String::new()
        };
        println!("{:<38} {:>8} {:>8} {:>8}   {:>26}  {}", name, cells[0], cells[1], cells[2], production, verdict);
    }
    println!();
    println!("{:<38} {:>8} {:>8} {:>8}", "storage", "n=4", "n=16", "n=64");
    let cell = |f: &dyn Fn(&(usize, u64, u64)) -> u64| {
        storage.iter().map(|s| format!("{:>8}", f(s))).collect::<Vec<_>>().join(" ")
    };
    println!("{:<38} {}   (production: 2110/6196/22612)", "bytes after init_running", cell(&|s| s.1));
    println!("{:<38} {}   (production: 531/1697/5221)", "bytes added by one parameters vote", cell(&|s| s.2));
    println!(
        "{:<38} {}   (two domains; outside the state record)",
        "verifying-share bytes per keyset",
        verifying_bytes.iter().map(|b| format!("{b:>8}")).collect::<Vec<_>>().join(" ")
    );
    println!(
        "{:<38} {}",
        "bytes after a recovery and a cancel",
        recovery_storage.iter().map(|b| format!("{b:>8}")).collect::<Vec<_>>().join(" ")
    );
    println!();
    println!(
        "resharing proposal 64 -> 100 participants: {} (mean vote {:.3} Tgas, max {:.3})",
        if reshared_to_100 { "voted through" } else { "FAILED" },
        mean(&votes),
        votes.iter().cloned().fold(0.0, f64::max)
    );
    println!();
    println!(
        "targets: state() at n=64 <= 2 Tgas; vote_new_parameters mean at n=64 <= 8 Tgas; constant storage per vote"
    );
    print_verifier();
    if !reshared_to_100 {
        std::process::exit(1);
    }
}

/// The TDX quote verifier: one verification of dcap-qvl's sample quote, and the wasm size.
fn print_verifier() {
    use contract_tests::tdx::{verifier_at, verify, Sample};
    let sample = Sample::up_to_date();
    let out = verify(&mut verifier_at(sample.valid_at), sample.args_json());
    out.expect_ok();
    println!();
    println!("TDX quote verifier (tee_verifier.wasm)");
    println!("{:<38} {:>8.3}   (target: at most 130)", "verify_quote, Tgas", tgas(&out));
    println!("{:<38} {:>8}   (target: at most 520000)", "wasm size, bytes", contract_tests::verifier_wasm().len());
}
