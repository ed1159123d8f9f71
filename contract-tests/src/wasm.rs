//! Where the contracts' wasm comes from: built on demand by `scripts/build-contract.sh`.

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

/// A contract of this workspace that `scripts/build-contract.sh <package>` writes to
/// `<workspace>/target/near/<file>`, and the inputs it is built from.
pub struct ContractWasm {
    /// The cargo package, as the build script takes it.
    pub package: &'static str,
    /// The file name under `target/near/`.
    pub file: &'static str,
    /// Files and folders (relative to the workspace) whose change makes the wasm stale.
    pub inputs: &'static [&'static str],
    built: OnceLock<Result<(), String>>,
}

/// The MPC contract.
pub static MPC_CONTRACT: ContractWasm = ContractWasm {
    package: "mpc-contract",
    file: "mpc_contract.wasm",
    inputs: &["contract/src", "interface/src", "contract/Cargo.toml", "interface/Cargo.toml", "Cargo.lock"],
    built: OnceLock::new(),
};

/// The TDX quote verifier contract.
pub static TEE_VERIFIER: ContractWasm = ContractWasm {
    package: "tee-verifier",
    file: "tee_verifier.wasm",
    // The workspace manifest holds the release profile the verifier's gas depends on.
    inputs: &[
        "tee-verifier/src",
        "interface/src",
        "tee-verifier/Cargo.toml",
        "interface/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ],
    built: OnceLock::new(),
};

/// `<workspace>/target/near/mpc_contract.wasm`, which `scripts/build-contract.sh` writes.
pub fn contract_wasm_path() -> PathBuf {
    MPC_CONTRACT.path()
}

/// `<workspace>/contract-history/pre_recovery.wasm`: the contract as deployed before the
/// disaster-recovery release, for upgrade tests.
pub fn pre_recovery_wasm_path() -> PathBuf {
    workspace_root().join("contract-history/pre_recovery.wasm")
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

impl ContractWasm {
    /// `<workspace>/target/near/<file>`.
    pub fn path(&self) -> PathBuf {
        workspace_root().join("target/near").join(self.file)
    }

    /// The compiled contract. If the file is missing or older than any of its inputs, runs
    /// `scripts/build-contract.sh <package>` first: at most once per process, and under a
    /// file lock so parallel test processes do not build at the same time. Panics if the
    /// build fails; it never skips.
    pub fn load(&self) -> Vec<u8> {
        if let Err(e) = self.built.get_or_init(|| self.ensure_built()) {
            panic!("cannot build {}: {e}", self.file);
        }
        let path = self.path();
        fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Why the wasm needs a rebuild, or None if it is newer than every input.
    fn staleness(&self, root: &Path) -> Option<String> {
        let out = self.path();
        let built = match fs::metadata(&out).and_then(|m| m.modified()) {
            Ok(t) => t,
            Err(_) => return Some(format!("{} does not exist", out.display())),
        };
        self.inputs.iter().map(|p| root.join(p)).find_map(|input| {
            let newest = newest_mtime(&input)?;
            (newest > built).then(|| format!("{} changed after the last build", input.display()))
        })
    }

    fn ensure_built(&self) -> Result<(), String> {
        let root = workspace_root();
        let out = self.path();
        if self.staleness(&root).is_none() {
            return Ok(());
        }
        let out_dir = out.parent().expect("the wasm path has a directory");
        fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
        // Other test processes may want a contract at the same moment: one builds, the others
        // wait for it here and then find the wasm fresh.
        let lock_path = out_dir.join(".contract-tests-build.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        lock.lock().map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        let Some(reason) = self.staleness(&root) else {
            return Ok(());
        };

        let script = root.join("scripts/build-contract.sh");
        if !script.exists() {
            return Err(format!("{} must be (re)built ({reason}), but {} does not exist", self.file, script.display()));
        }
        eprintln!("contract-tests: building {} ({reason}) with {}", self.package, script.display());
        let started = Instant::now();
        let output = Command::new("bash")
            .arg(&script)
            .arg(self.package)
            .current_dir(&root)
            // The script writes to $CARGO_TARGET_DIR/near; the wasm is read from <workspace>/target.
            .env("CARGO_TARGET_DIR", root.join("target"))
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "{} {} failed ({}) after {:.0?}:\n--- stdout ---\n{}\n--- stderr ---\n{}",
                script.display(),
                self.package,
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
        if self.staleness(&root).is_some() {
            File::options()
                .write(true)
                .open(&out)
                .and_then(|f| f.set_modified(SystemTime::now()))
                .map_err(|e| format!("cannot update the timestamp of {}: {e}", out.display()))?;
        }
        eprintln!("contract-tests: {} built in {:.1?}", self.package, started.elapsed());
        Ok(())
    }
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

/// The compiled MPC contract, `<workspace>/target/near/mpc_contract.wasm`, rebuilt first
/// if it is stale (see [`ContractWasm::load`]).
pub fn contract_wasm() -> Vec<u8> {
    MPC_CONTRACT.load()
}

/// The compiled TDX quote verifier, `<workspace>/target/near/tee_verifier.wasm`, rebuilt
/// first if it is stale (see [`ContractWasm::load`]).
pub fn verifier_wasm() -> Vec<u8> {
    TEE_VERIFIER.load()
}

/// The contract as it was before the disaster-recovery release,
/// `<workspace>/contract-history/pre_recovery.wasm`. Panics if the file is absent.
pub fn pre_recovery_wasm() -> Vec<u8> {
    archived(&pre_recovery_wasm_path())
}

/// The contract as it was before the hard launch (recovery, storage and
/// verifying shares, no launch settings), `<workspace>/contract-history/pre_hard_launch.wasm`.
pub fn pre_hard_launch_wasm() -> Vec<u8> {
    archived(&workspace_root().join("contract-history/pre_hard_launch.wasm"))
}

fn archived(path: &Path) -> Vec<u8> {
    match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            panic!("{} is missing: released contracts must be committed there for upgrade tests", path.display())
        }
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    }
}
