//! Where the contract wasm comes from: built on demand by `scripts/build-contract.sh`.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("contract-tests lives inside the workspace").to_path_buf()
}

/// `<workspace>/target/near/mpc_contract.wasm`, which `scripts/build-contract.sh` writes.
pub fn contract_wasm_path() -> PathBuf {
    workspace_root().join("target/near/mpc_contract.wasm")
}

/// `<workspace>/contract-history/pre_recovery.wasm`: the contract as deployed before the
/// disaster-recovery release, for upgrade tests.
pub fn pre_recovery_wasm_path() -> PathBuf {
    workspace_root().join("contract-history/pre_recovery.wasm")
}

/// The inputs the contract wasm is built from.
fn build_inputs(root: &Path) -> Vec<PathBuf> {
    ["contract/src", "interface/src", "contract/Cargo.toml", "interface/Cargo.toml", "Cargo.lock"]
        .iter()
        .map(|p| root.join(p))
        .collect()
}

/// The newest modification time of any file at or below `path` (None if nothing is there).
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_dir() {
        fs::read_dir(path).ok()?.filter_map(|entry| entry.ok()).filter_map(|entry| newest_mtime(&entry.path())).max()
    } else {
        meta.modified().ok()
    }
}

/// Why the wasm at `out` needs a rebuild, or None if it is newer than every input.
fn staleness(root: &Path, out: &Path) -> Option<String> {
    let built = match fs::metadata(out).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(_) => return Some(format!("{} does not exist", out.display())),
    };
    build_inputs(root).into_iter().find_map(|input| {
        let newest = newest_mtime(&input)?;
        (newest > built).then(|| format!("{} changed after the last build", input.display()))
    })
}

fn ensure_built() -> Result<(), String> {
    let root = workspace_root();
    let out = contract_wasm_path();
    if staleness(&root, &out).is_none() {
        return Ok(());
    }
    let out_dir = out.parent().expect("the wasm path has a directory");
    fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    // Other test processes may want the contract at the same moment: one builds, the others
    // wait for it here and then find the wasm fresh.
    let lock_path = out_dir.join(".contract-tests-build.lock");
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    lock.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let Some(reason) = staleness(&root, &out) else {
        return Ok(());
    };

    let script = root.join("scripts/build-contract.sh");
    if !script.exists() {
        return Err(format!("the contract wasm must be (re)built ({reason}), but {} does not exist", script.display()));
    }
    eprintln!("contract-tests: building the contract ({reason}) with {}", script.display());
    let started = Instant::now();
    let output = Command::new("bash")
        .arg(&script)
        .current_dir(&root)
        // The script writes to $CARGO_TARGET_DIR/near; the wasm is read from <workspace>/target.
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}) after {:.0?}:\n--- stdout ---\n{}\n--- stderr ---\n{}",
            script.display(),
            output.status,
            started.elapsed(),
            tail(&output.stdout),
            tail(&output.stderr)
        ));
    }
    if !out.exists() {
        return Err(format!(
            "{} succeeded but did not write {}\n--- stderr ---\n{}",
            script.display(),
            out.display(),
            tail(&output.stderr)
        ));
    }
    // The build succeeded; when cargo found nothing to recompile (e.g. only Cargo.lock's
    // timestamp moved) the script leaves the file as it was, so mark it as up to date.
    if staleness(&root, &out).is_some() {
        File::options()
            .write(true)
            .open(&out)
            .and_then(|f| f.set_modified(SystemTime::now()))
            .map_err(|e| format!("cannot update the timestamp of {}: {e}", out.display()))?;
    }
    eprintln!("contract-tests: contract built in {:.1?}", started.elapsed());
    Ok(())
}

/// The last 8 kB of a build log.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut start = text.len().saturating_sub(8 * 1024);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// The compiled MPC contract, `<workspace>/target/near/mpc_contract.wasm`.
///
/// If the file is missing or older than any file under `contract/src`, `interface/src`,
/// `contract/Cargo.toml`, `interface/Cargo.toml` or `Cargo.lock`, runs
/// `scripts/build-contract.sh` first: at most once per process, and under a file lock so
/// parallel test processes do not build at the same time. Panics if the build fails; it
/// never skips.
pub fn contract_wasm() -> Vec<u8> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = BUILT.get_or_init(ensure_built) {
        panic!("cannot build the contract wasm: {e}");
    }
    let path = contract_wasm_path();
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The contract as it was before the disaster-recovery release,
/// `<workspace>/contract-history/pre_recovery.wasm`. Panics if the file is absent.
pub fn pre_recovery_wasm() -> Vec<u8> {
    let path = pre_recovery_wasm_path();
    match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("{} is missing: the pre-recovery contract must be committed there for upgrade tests", path.display())
        }
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}
