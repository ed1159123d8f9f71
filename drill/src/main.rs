//! `drill`: runs a disaster recovery end to end and says whether it worked.

use anyhow::{bail, Result};
use clap::Parser;
use drill::network::Network;
use drill::scenario::{run, Settings};
use mpc_interface::primitives::ThresholdParameters;
use share_transfer::Transport;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(about = "Run a whole MPC disaster recovery locally and check it truly happened")]
struct Args {
    /// Participants (each with a node machine and a backup service).
    #[arg(long, env = "DRILL_NODES", default_value_t = 4)]
    nodes: usize,
    /// Signing threshold (default: 60% of the nodes, rounded up, at least 2).
    #[arg(long, env = "DRILL_THRESHOLD")]
    threshold: Option<u64>,
    /// Machines lost one after another, each recovered before the next loss.
    #[arg(long, env = "DRILL_LOSE", default_value_t = 1)]
    lose: usize,
    /// How shares move: mutual TLS or web endpoints with ephemeral X25519 keys
    /// [default: mtls; with --chaos, both].
    #[arg(long, env = "DRILL_TRANSPORT", value_parser = ["mtls", "web"])]
    transport: Option<String>,
    /// Instead of the drill: recover one lost machine (3 nodes, threshold 2)
    /// once per fault and step, and print the matrix.
    #[arg(long)]
    chaos: bool,
    /// The operator enters each recovery (1 yoctoNEAR, naming the replacement's
    /// node key) instead of the replacement entering and the operator approving.
    #[arg(long, env = "DRILL_OPERATOR_ENTERS")]
    operator_enters: bool,
    /// Where the machines keep their state: an empty or new directory (default: a fresh temporary one).
    #[arg(long, env = "DRILL_WORKDIR")]
    workdir: Option<std::path::PathBuf>,
}

fn settings(args: &Args) -> Result<Settings> {
    if !(2..=64).contains(&args.nodes) {
        bail!("--nodes must be between 2 and 64, not {}", args.nodes);
    }
    let min = ThresholdParameters::min_threshold(args.nodes as u64);
    let threshold = args.threshold.unwrap_or(min);
    if threshold < min || threshold > args.nodes as u64 {
        bail!("--threshold must be between {min} and {} for {} nodes, not {threshold}", args.nodes, args.nodes);
    }
    if args.lose == 0 || args.lose > args.nodes {
        bail!("--lose must be between 1 and {}, not {}", args.nodes, args.lose);
    }
    if let Some(dir) = &args.workdir {
        // The drill wipes machines' directories: it must never touch files it did not create.
        if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            bail!(
                "--workdir {} is not empty; give an empty or new directory (the drill deletes machines' state in it)",
                dir.display()
            );
        }
    }
    Ok(Settings { nodes: args.nodes, threshold, lose: args.lose, operator_enters: args.operator_enters })
}

#[tokio::main]
async fn main() -> ExitCode {
    cli_common::init_logging("warn");
    let args = Args::parse();
    let settings = match settings(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.chaos {
        return chaos(args.transport.as_deref()).await;
    }
    let transport_name = args.transport.clone().unwrap_or_else(|| "mtls".to_owned());
    let transport: Transport = transport_name.parse().expect("clap checked the value");
    let temp = tempfile::tempdir().expect("a temporary directory");
    let workdir = args.workdir.clone().unwrap_or_else(|| temp.path().to_owned());
    println!(
        "drill: {} nodes, threshold {}, losing {} machine(s), transport {}, recovery entered by the {}",
        settings.nodes,
        settings.threshold,
        settings.lose,
        transport_name,
        if settings.operator_enters { "operator" } else { "new node" }
    );
    let network = Network::new(contract_tests::wasm::contract_wasm(), workdir, transport);
    match run(&network, &settings).await {
        Ok(report) => {
            println!("\n{}", report.timeline);
            println!(
                "VERDICT: PASS: recovered {} with the same shares; the network runs with the same keyset",
                report.recovered.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("\nVERDICT: FAIL: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `--chaos`: every fault at every step, for one transport or both.
async fn chaos(transport: Option<&str>) -> ExitCode {
    let transports: Vec<Transport> = match transport {
        Some(name) => vec![name.parse().expect("clap checked the value")],
        None => vec![Transport::Mtls, Transport::Web],
    };
    let wasm = contract_tests::wasm::contract_wasm();
    let (mut passed, mut failed) = (0, 0);
    for transport in transports {
        let matrix = drill::chaos::run(&wasm, transport).await;
        println!("{}", matrix.render());
        passed += matrix.passed();
        failed += matrix.failed();
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
