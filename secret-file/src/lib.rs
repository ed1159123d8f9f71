//! Files that hold secrets (shares, TLS and identity keys, storage keys), for
//! every binary of the project:
//!
//! - directories are created 0700, and an existing one is tightened to 0700;
//! - files are created 0600 from their first byte (`create_new` with the
//!   mode), never by reusing a stale or planted file;
//! - writes are atomic and durable: a temporary file beside the target is
//!   fsynced, renamed (or hard-linked, for files that must never be
//!   replaced) into place, and the directory fsynced, so a crash leaves the
//!   old file or the new one, never a torn mix;
//! - reads refuse a symlink (never followed), anything but a regular file,
//!   and a file with any group or other permission; the bytes read are wiped
//!   when dropped;
//! - removal overwrites the file with zeros first.

use rand_core::{OsRng, RngCore};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The mode secret directories are created with (and tightened to).
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// The mode secret files are written with.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error(
        "{} is accessible by group or others (mode {mode:04o}); it holds secrets, so it is refused: \
         check who could have read it, then `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{} is not a regular file (a symlink, directory or device is refused)", path.display())]
    NotRegularFile { path: PathBuf },
    #[error("{} exists but is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("{} already exists; refusing to overwrite it", path.display())]
    AlreadyExists { path: PathBuf },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> SecretFileError {
    let path = path.to_owned();
    move |source| SecretFileError::Io { action, path, source }
}

/// Creates `dir` (and its parents) with mode 0700, or tightens an existing
/// directory to 0700; refuses a path that exists but is not a directory.
pub fn create_private_dir(dir: &Path) -> Result<(), SecretFileError> {
    match fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => return Err(SecretFileError::NotADirectory { path: dir.to_owned() }),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new().recursive(true).mode(PRIVATE_DIR_MODE).create(dir).map_err(io_error("create", dir))?
        }
        Err(e) => return Err(io_error("inspect", dir)(e)),
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR_MODE)).map_err(io_error("set permissions on", dir))
}

/// Reads `path` if it exists; refuses it unless it is a regular file with no
/// group or other permissions. The bytes are wiped when dropped.
pub fn read(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, SecretFileError> {
    let Some(meta) = regular_file(path)? else { return Ok(None) };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretFileError::TooOpen { path: path.to_owned(), mode });
    }
    let mut file = File::open(path).map_err(io_error("open", path))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.read_to_end(&mut bytes).map_err(io_error("read", path))?;
    Ok(Some(bytes))
}

/// As [`read`], for a file that must exist.
pub fn read_existing(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    read(path)?.ok_or_else(|| SecretFileError::Missing { path: path.to_owned() })
}

/// Replaces `path` with `bytes` atomically and durably, mode 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SecretFileError> {
    write_atomically_with_hook(path, bytes, || {})
}

/// As [`write_atomically`], calling `after_temp_write` between the synced
/// temporary file and its rename (a crash-test hook).
pub fn write_atomically_with_hook(
    path: &Path,
    bytes: &[u8],
    after_temp_write: impl FnOnce(),
) -> Result<(), SecretFileError> {
    let temp = temp_path(path);
    let result = write_temp(&temp, bytes).and_then(|()| {
        after_temp_write();
        fs::rename(&temp, path).map_err(io_error("rename the new file onto", path))
    });
    if result.is_err() {
        // Best effort: a leftover temporary file is harmless (never read) but untidy.
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(parent_dir(path))
}

/// Writes `bytes` to a new file at `path` (mode 0600), atomically as above,
/// and fails with [`SecretFileError::AlreadyExists`] if one exists: for keys
/// generated once and never replaced.
pub fn create_atomically(path: &Path, bytes: &[u8]) -> Result<(), SecretFileError> {
    let temp = temp_path(path);
    let result = write_temp(&temp, bytes).and_then(|()| {
        // A hard link fails if the target exists, so an existing key is never clobbered.
        fs::hard_link(&temp, path).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => SecretFileError::AlreadyExists { path: path.to_owned() },
            _ => io_error("create", path)(e),
        })
    });
    let _ = fs::remove_file(&temp);
    result?;
    sync_dir(parent_dir(path))
}

/// Overwrites `path` in place with zeros (synced), then removes it and syncs
/// its directory, so its bytes survive neither at the path nor in the file's
/// blocks (on a file system that overwrites in place). False if there was no
/// file. A symlink or other non-regular file is refused, never followed.
pub fn shred(path: &Path) -> Result<bool, SecretFileError> {
    let Some(meta) = regular_file(path)? else { return Ok(false) };
    let mut file = OpenOptions::new().write(true).open(path).map_err(io_error("open for overwriting", path))?;
    let zeros = vec![0u8; meta.len() as usize];
    file.write_all(&zeros).map_err(io_error("overwrite", path))?;
    file.sync_all().map_err(io_error("fsync", path))?;
    drop(file);
    fs::remove_file(path).map_err(io_error("remove", path))?;
    sync_dir(parent_dir(path))?;
    Ok(true)
}

/// Removes `path` (a file that is not secret itself, or already sealed);
/// nothing there is not an error. The directory is not synced.
pub fn remove_if_present(path: &Path) -> Result<(), SecretFileError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("remove", path)(e)),
        _ => Ok(()),
    }
}

/// Makes renames and removals in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), SecretFileError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error("fsync the directory", dir))
}

/// Removes the temporary files a crash left in `dir` (they were never renamed
/// into place, so the previous file is the valid one); returns their paths.
/// A missing directory has none.
pub fn remove_leftover_temp_files(dir: &Path) -> Result<Vec<PathBuf>, SecretFileError> {
    let entries = match fs::read_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other.map_err(io_error("list", dir))?,
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error("list", dir))?;
        if is_temp_name(&entry.file_name().to_string_lossy()) {
            let path = entry.path();
            fs::remove_file(&path).map_err(io_error("remove", &path))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// The metadata of the regular file at `path`, None if nothing is there.
/// `symlink_metadata`: a symlink is refused rather than followed, so what is
/// checked is the file actually read or overwritten.
fn regular_file(path: &Path) -> Result<Option<fs::Metadata>, SecretFileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("inspect", path)(e)),
    };
    if !meta.file_type().is_file() {
        return Err(SecretFileError::NotRegularFile { path: path.to_owned() });
    }
    Ok(Some(meta))
}

fn write_temp(temp: &Path, bytes: &[u8]) -> Result<(), SecretFileError> {
    // create_new + mode: the file is private from its first byte, and a
    // stale or planted file of the same name is never reused.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(temp)
        .map_err(io_error("create", temp))?;
    file.write_all(bytes).map_err(io_error("write", temp))?;
    file.sync_all().map_err(io_error("fsync", temp))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh temporary name beside `path`: `.name.tmp-<pid>-<random>`.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{name}.tmp-{}-{:016x}", std::process::id(), OsRng.next_u64()))
}

/// Whether `name` is one of our temporary files.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Whether `name` is a temporary file staged for the file `target` (a file name).
pub fn is_temp_name_for(name: &str, target: &str) -> bool {
    is_temp_name(name) && name.strip_prefix('.').is_some_and(|n| n.starts_with(&format!("{target}.tmp-")))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests;
