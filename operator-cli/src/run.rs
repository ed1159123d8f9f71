//! Printing and running the planned near-cli-rs commands.

use crate::error::RunError;
use crate::near_cli::NearCommand;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// `near` on PATH, if any.
pub fn find_near() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("near")).find(|candidate| is_executable(candidate))
}

fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Prints each command; unless `dry_run`, runs it and stops at the first failure.
/// A dry run prints the commands on stdout (they are its output); a real run
/// prints each on stderr before running it, so stdout holds only near-cli-rs's
/// output (`mpc-operator state > state.json`). Without `near` on PATH nothing
/// is printed: the operator would take the printed line for one that was sent.
pub fn execute(commands: &[NearCommand], dry_run: bool) -> Result<(), RunError> {
    let near = if dry_run { None } else { Some(find_near().ok_or(RunError::NearMissing)?) };
    for command in commands {
        if near.is_none() {
            println!("{command}");
            let _ = std::io::stdout().flush();
        }
        if let Some(near) = &near {
            eprintln!("{command}");
            let status = Command::new(near).args(command.args()).status().map_err(RunError::Spawn)?;
            if !status.success() {
                return Err(RunError::NearFailed { status });
            }
        }
    }
    Ok(())
}
