#![allow(non_snake_case)]
//! The `backup-service` binary: its commands, its refusals of bad key files,
//! and its behaviour against an RPC endpoint that is down.

use backup_service::keys::{self, KeyPaths};
use backup_service::register::Registration;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backup-service"));
    // Nothing from the environment the tests run in leaks into a test.
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("BACKUP_SERVICE_")) {
        command.env_remove(name);
    }
    command
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn home_with_keys() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("svc").display().to_string();
    let out = run(&["generate-keys", "--home", &home, "--operator", "node0.near"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (dir, home)
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn generate_keys__should_write_0600_keys_in_a_0700_home_and_print_the_public_halves() {
    let (_dir, home) = home_with_keys();
    let paths = KeyPaths::in_home(Path::new(&home));
    assert_eq!(mode(Path::new(&home)), 0o700);
    for path in [&paths.identity, &paths.access_key, &paths.storage_key] {
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    let identity = keys::load_identity(&paths.identity).unwrap().public_key();
    let (access, account) = keys::load_access_key(&paths.access_key).unwrap();
    assert_eq!(account.unwrap().as_str(), "node0.near");
    let credentials: serde_json::Value = serde_json::from_slice(&fs::read(&paths.access_key).unwrap()).unwrap();
    assert_eq!(credentials["account_id"], "node0.near");
    assert_eq!(credentials["public_key"], access.to_string());

    // Printing again is not possible (keys are never regenerated), so check the first run's output.
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["generate-keys", "--home", &dir.path().join("h").display().to_string()]);
    let stdout = text(&out.stdout);
    let fresh = KeyPaths::in_home(&dir.path().join("h"));
    let fresh_identity = keys::load_identity(&fresh.identity).unwrap().public_key();
    assert!(stdout.contains(&format!("identity key (registered as public_key):        {fresh_identity}")), "{stdout}");
    assert!(!stdout.contains(&text(&fs::read(&fresh.storage_key).unwrap()).trim().to_owned()), "printed a secret");
    let without_account: serde_json::Value = serde_json::from_slice(&fs::read(&fresh.access_key).unwrap()).unwrap();
    assert!(without_account.get("account_id").is_none());
    assert_ne!(identity, fresh_identity);
}

#[test]
fn generate_keys__should_refuse_to_overwrite_existing_keys_and_name_the_file() {
    let (_dir, home) = home_with_keys();
    let paths = KeyPaths::in_home(Path::new(&home));
    let before = fs::read(&paths.identity).unwrap();
    let out = run(&["generate-keys", "--home", &home]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("identity.json already exists; refusing to overwrite it"), "{stderr}");
    assert_eq!(fs::read(&paths.identity).unwrap(), before);
}

#[test]
fn register__should_print_the_near_cli_commands_for_the_generated_keys() {
    let (_dir, home) = home_with_keys();
    let out = bin()
        .args(["register", "--home", &home, "--network", "testnet"])
        .env("BACKUP_SERVICE_CONTRACT", "v1.signer-prod.testnet")
        .env("BACKUP_SERVICE_OPERATOR", "node0.near")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let paths = KeyPaths::in_home(Path::new(&home));
    let expected = Registration::new(
        "v1.signer-prod.testnet".parse().unwrap(),
        "node0.near".parse().unwrap(),
        "testnet".into(),
        "1 NEAR".into(),
        keys::load_identity(&paths.identity).unwrap().public_key(),
        keys::load_access_key(&paths.access_key).unwrap().0,
    );
    assert_eq!(text(&out.stdout), expected.instructions());
}

#[test]
fn run__should_refuse_key_files_other_users_can_read() {
    let (_dir, home) = home_with_keys();
    let identity = KeyPaths::in_home(Path::new(&home)).identity;
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["run", "--home", &home, "--contract", "mpc.near", "--rpc-url", "http://127.0.0.1:1"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let refused = format!("{} is accessible by group or others (mode 0644)", identity.display());
    assert!(stderr.contains(&refused), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[test]
fn run__should_refuse_unreadable_and_malformed_key_files_naming_them() {
    let (_dir, home) = home_with_keys();
    let paths = KeyPaths::in_home(Path::new(&home));
    let args = ["run", "--home", &home, "--contract", "mpc.near", "--rpc-url", "http://127.0.0.1:1"];

    fs::remove_file(&paths.identity).unwrap();
    fs::create_dir(&paths.identity).unwrap();
    let stderr = text(&run(&args).stderr);
    assert!(stderr.contains(&format!("{} is not a regular file", paths.identity.display())), "{stderr}");
    fs::remove_dir(&paths.identity).unwrap();

    let stderr = text(&run(&args).stderr);
    assert!(stderr.contains(&format!("{} does not exist", paths.identity.display())), "{stderr}");

    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&paths.identity).unwrap();
    file.write_all(b"{\"public_key\": 5").unwrap();
    let stderr = text(&run(&args).stderr);
    assert!(stderr.contains(&format!("{}: not a NEAR key file", paths.identity.display())), "{stderr}");
}

#[test]
fn run__should_refuse_a_storage_key_in_the_environment_that_is_not_hex() {
    let (_dir, home) = home_with_keys();
    let out = bin()
        .args(["run", "--home", &home, "--contract", "mpc.near", "--rpc-url", "http://127.0.0.1:1"])
        .env("BACKUP_SERVICE_STORAGE_KEY", "0123")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("BACKUP_SERVICE_STORAGE_KEY: the storage key must be 64 hex digits"));
}

#[test]
fn run__should_keep_retrying_an_unreachable_rpc_and_exit_cleanly_on_sigterm() {
    let (_dir, home) = home_with_keys();
    let rpc = format!("http://127.0.0.1:{}", closed_port());
    let metrics = format!("127.0.0.1:{}", closed_port());
    let mut child = bin()
        .args(["run", "--home", &home, "--contract", "mpc.near", "--rpc-url", &rpc, "--metrics-listen", &metrics])
        .env("MPC_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, seen) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while log.iter().filter(|l: &&String| l.contains("poll failed; retrying with backoff")).count() < 3 {
        let line = seen.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        log.push(line.unwrap_or_else(|_| panic!("no retries logged:\n{}", log.join("\n"))));
    }
    assert!(child.try_wait().unwrap().is_none(), "the service exited:\n{}", log.join("\n"));
    let retries = log.iter().filter(|l| l.contains("retrying")).cloned().collect::<Vec<_>>().join("\n");
    assert!(retries.contains("kind=\"rpc\"") || retries.contains("kind=rpc"), "{retries}");

    let scraped = scrape(&metrics);
    assert!(scraped.contains("backup_service_errors_total{kind=\"rpc\"}"), "{scraped}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let exit = wait_with_timeout(&mut child, Duration::from_secs(10));
    log.extend(seen.try_iter());
    assert!(exit.success(), "exit status {exit:?}:\n{}", log.join("\n"));
    let log = log.join("\n");
    assert!(log.contains("signal=\"SIGTERM\"") || log.contains("signal=SIGTERM"), "{log}");
    assert!(log.contains("backup service stopped"), "{log}");
}

#[test]
fn status__should_exit_4_and_say_why_when_the_contract_cannot_be_read() {
    let (_dir, home) = home_with_keys();
    let rpc = format!("http://127.0.0.1:{}", closed_port());
    let out = run(&["status", "--home", &home, "--contract", "mpc.near", "--rpc-url", &rpc]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("operator account: node0.near"), "{stdout}");
    assert!(stdout.contains("stored:           nothing yet"), "{stdout}");
    assert!(stdout.contains("contract:         unavailable"), "{stdout}");
    assert!(stdout.contains("copy is current:  UNKNOWN (exit 4): the contract cannot be read"), "{stdout}");
}

#[test]
fn status__help_should_document_every_exit_code() {
    let out = run(&["status", "--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for line in ["0  the copy is current", "3  STALE", "4  UNKNOWN", "5  NOT REGISTERED", "1  "] {
        assert!(help.contains(line), "{line:?} missing in:\n{help}");
    }
}

#[test]
fn register__should_refuse_an_operator_the_keys_were_not_generated_for() {
    let (_dir, home) = home_with_keys();
    let out =
        run(&["register", "--home", &home, "--network", "testnet", "--contract", "mpc.near", "--operator", "bob.near"]);
    assert!(!out.status.success(), "printed: {}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "", "nothing printed for the wrong operator");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bob.near") && stderr.contains("node0.near"), "{stderr}");
}

fn scrape(addr: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not exit within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run__should_take_durations_with_a_unit_and_refuse_the_old_seconds_flag() {
    let (_dir, home) = home_with_keys();
    let base = ["run", "--home", &home, "--contract", "v1.signer", "--rpc-url", "http://127.0.0.1:9"];

    let out = run(&[&base[..], &["--poll-interval", "5"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("`5` has no unit"), "{}", text(&out.stderr));

    let out = bin().args(base).env("BACKUP_SERVICE_POLL_INTERVAL", "0s").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("must be more than zero"), "{}", text(&out.stderr));

    // An old setting is refused with the new spelling rather than ignored.
    let out = bin().args(base).env("BACKUP_SERVICE_POLL_INTERVAL_SECS", "10").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("replaced by --poll-interval"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("use `10s`"), "{}", text(&out.stderr));
}
