//! The `node-agent` binary: clear errors and non-zero exits for bad input,
//! exit 0 on SIGTERM.
#![allow(non_snake_case)]

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn agent(home: &Path, credentials: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_node-agent"));
    command
        .env_clear()
        .env("MPC_LOG", "info")
        .env("NODE_AGENT_HOME", home)
        .env("NODE_AGENT_ACCOUNT", "node0.near")
        .env("NODE_AGENT_CONTRACT", "mpc-contract.near")
        // Nothing listens there: views fail in transport and are retried.
        .env("NODE_AGENT_RPC_URL", "http://127.0.0.1:1")
        .env("NODE_AGENT_CREDENTIALS", credentials)
        .env("NODE_AGENT_URL", "https://127.0.0.1:9")
        .env("NODE_AGENT_LISTEN", "127.0.0.1:0")
        .env("NODE_AGENT_POLL_INTERVAL", "100ms");
    command
}

fn run(command: &mut Command) -> (i32, String) {
    let Output { status, stderr, .. } = command.output().unwrap();
    (status.code().expect("exited, not killed"), String::from_utf8_lossy(&stderr).into_owned())
}

/// A near-cli credentials file for node0.near, mode 0600.
fn credentials(dir: &Path) -> std::path::PathBuf {
    let seed = [7u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut pair = seed.to_vec();
    pair.extend_from_slice(&public);
    let json = serde_json::json!({
        "account_id": "node0.near",
        "public_key": format!("ed25519:{}", bs58::encode(public).into_string()),
        "private_key": format!("ed25519:{}", bs58::encode(pair).into_string()),
    });
    let path = dir.join("node0.near.json");
    fs::write(&path, json.to_string()).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    path
}

#[test]
fn node_agent__should_exit_2_on_an_unknown_transport() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(agent(&dir.path().join("home"), &credentials(dir.path())).args(["--transport", "pigeon"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown transport `pigeon`: expected `mtls` or `web`"), "{stderr}");
}

#[test]
fn node_agent__should_exit_2_on_a_bad_poll_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) =
        run(agent(&dir.path().join("home"), &credentials(dir.path())).args(["--poll-interval", "2 parsecs"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`2 parsecs` is not a duration like `500ms`, `2s` or `5m`"), "{stderr}");
    // One syntax for every binary: a bare number is refused, not taken as seconds.
    let (code, stderr) = run(agent(&dir.path().join("home"), &credentials(dir.path())).args(["--poll-interval", "2"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`2` has no unit"), "{stderr}");
}

#[test]
fn node_agent__should_refuse_a_tls_key_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("tls_key"), "ed25519:whatever").unwrap();
    fs::set_permissions(home.join("tls_key"), fs::Permissions::from_mode(0o644)).unwrap();

    let (code, stderr) = run(&mut agent(&home, &credentials(dir.path())));

    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("tls_key is accessible by group or others (mode 0644)"), "{stderr}");
}

#[test]
fn node_agent__should_refuse_unreadable_credentials_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");

    let (code, stderr) = run(&mut agent(&home, &dir.path().join("missing.json")));

    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot read the credentials file"), "{stderr}");
    assert!(stderr.contains("missing.json"), "{stderr}");
    assert!(!home.exists(), "the home directory was created for a run that cannot start");
}

#[test]
fn node_agent__should_exit_2_on_a_bad_url_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (code, stderr) = run(agent(&home, &credentials(dir.path())).env("NODE_AGENT_URL", "not a url"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--url"), "{stderr}");
    assert!(!home.exists(), "the home directory was created for bad arguments");
}

#[test]
fn node_agent__should_print_each_error_once_and_no_colours_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(&mut agent(&dir.path().join("home"), &dir.path().join("missing.json")));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.matches("cannot read the credentials file").count(), 1, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI escapes in a pipe: {stderr:?}");
}

#[test]
fn node_agent__should_serve_metrics_a_prometheus_parser_reads() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let mut child = agent(&dir.path().join("home"), &credentials(dir.path()))
        .env("NODE_AGENT_METRICS_LISTEN", &address)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let page = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n").unwrap();
            let mut page = String::new();
            stream.read_to_string(&mut page).unwrap();
            break page;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no metrics server");
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let body = page.split_once("\r\n\r\n").unwrap().1;
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let names: Vec<&str> = scrape.samples.iter().map(|s| s.metric.as_str()).collect();
    assert!(names.contains(&"node_agent_shares_epoch"), "{body}");
    assert!(names.contains(&"node_agent_status_updates_total"), "{body}");
}

#[test]
fn node_agent__should_refuse_credentials_of_another_account() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) =
        run(agent(&dir.path().join("home"), &credentials(dir.path())).env("NODE_AGENT_ACCOUNT", "node1.near"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("are for node0.near, but --account is node1.near"), "{stderr}");
}

#[test]
fn node_agent__should_exit_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = agent(&dir.path().join("home"), &credentials(dir.path())).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = Instant::now();
    loop {
        let line = lines.next().expect("the agent logs").unwrap();
        if line.contains("node driver starting") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the agent did not start");
    }

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();

    assert_eq!(status.code(), Some(0), "{rest:#?}");
    assert!(rest.iter().any(|l| l.contains("SIGTERM")), "{rest:#?}");
}
