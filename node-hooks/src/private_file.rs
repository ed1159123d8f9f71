//! Files that hold secrets (the shares, the TLS key): written atomically with
//! mode 0600, and read only if nobody but the owner can access them.
//!
//! Atomic: the bytes go to a temporary file in the same directory, which is
//! fsynced and renamed over the target, and then the directory is fsynced so
//! the rename itself survives a crash. A reader sees the old file or the new
//! one, never a torn mix.

use rand_core::{OsRng, RngCore};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The mode secret files are written with.
pub const PRIVATE_MODE: u32 = 0o600;

#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
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
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PrivateFileError {
    let path = path.to_owned();
    move |source| PrivateFileError::Io { action, path, source }
}

/// Reads `path` if it exists; refuses it unless it is a regular file with no
/// group or other permissions. The bytes are wiped when dropped.
pub fn read(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, PrivateFileError> {
    // symlink_metadata: a symlink is refused rather than followed, so the
    // check below is about the file actually read.
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("inspect", path)(e)),
    };
    if !meta.file_type().is_file() {
        return Err(PrivateFileError::NotRegularFile { path: path.to_owned() });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(PrivateFileError::TooOpen { path: path.to_owned(), mode });
    }
    let mut file = File::open(path).map_err(io_error("open", path))?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.read_to_end(&mut bytes).map_err(io_error("read", path))?;
    Ok(Some(bytes))
}

/// Replaces `path` with `bytes` atomically, mode 0600.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    let dir = parent_dir(path);
    let temp = temp_path(path);
    let result = write_temp_and_rename(&temp, path, bytes);
    if result.is_err() {
        // Best effort: a leftover temporary file is harmless (never read) but untidy.
        let _ = fs::remove_file(&temp);
    }
    result?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error("fsync the directory of", path))
}

/// Writes `bytes` to a new file at `path` (mode 0600) and fails if one exists,
/// atomically as above: for keys generated once and never replaced.
pub fn create_atomically(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    let temp = temp_path(path);
    let result = (|| {
        write_temp(&temp, bytes)?;
        // A hard link fails if the target exists, so an existing key is never clobbered.
        fs::hard_link(&temp, path).map_err(io_error("create", path))
    })();
    let _ = fs::remove_file(&temp);
    result?;
    File::open(parent_dir(path)).and_then(|d| d.sync_all()).map_err(io_error("fsync the directory of", path))
}

/// Overwrites `path` in place with zeros (synced), then removes it and syncs
/// its directory, so its bytes survive neither at the path nor in the file's
/// blocks (on a file system that overwrites in place). False if there was no
/// file. A symlink or other non-regular file is refused, never followed.
pub fn shred(path: &Path) -> Result<bool, PrivateFileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_error("inspect", path)(e)),
    };
    if !meta.file_type().is_file() {
        return Err(PrivateFileError::NotRegularFile { path: path.to_owned() });
    }
    let mut file = OpenOptions::new().write(true).open(path).map_err(io_error("open for overwriting", path))?;
    let zeros = vec![0u8; meta.len() as usize];
    file.write_all(&zeros).map_err(io_error("overwrite", path))?;
    file.sync_all().map_err(io_error("fsync", path))?;
    drop(file);
    fs::remove_file(path).map_err(io_error("remove", path))?;
    File::open(parent_dir(path)).and_then(|d| d.sync_all()).map_err(io_error("fsync the directory of", path))?;
    Ok(true)
}

fn write_temp_and_rename(temp: &Path, path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    write_temp(temp, bytes)?;
    fs::rename(temp, path).map_err(io_error("rename the new file onto", path))
}

fn write_temp(temp: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    // create_new + mode: the file is private from its first byte, and a
    // stale or planted file of the same name is never reused.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
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

/// `.name.tmp-<pid>-<random>` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{name}.tmp-{}-{:016x}", std::process::id(), OsRng.next_u64()))
}

/// Whether `name` is one of our temporary files (for tests and cleanup).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn write_atomically__should_write_0600_and_replace_by_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        write_atomically(&path, b"first").unwrap();
        let first_inode = fs::metadata(&path).unwrap().ino();
        let mut old = File::open(&path).unwrap();

        write_atomically(&path, b"second, longer").unwrap();

        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_ne!(fs::metadata(&path).unwrap().ino(), first_inode, "a new file was renamed in");
        let mut seen = String::new();
        old.read_to_string(&mut seen).unwrap();
        assert_eq!(seen, "first", "a reader of the old file sees it whole");
        assert_eq!(read(&path).unwrap().unwrap().as_slice(), b"second, longer");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| is_temp_name(n))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn create_atomically__should_never_replace_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        create_atomically(&path, b"one").unwrap();
        let err = create_atomically(&path, b"two").unwrap_err();
        assert!(matches!(err, PrivateFileError::Io { action: "create", .. }), "{err}");
        assert_eq!(read(&path).unwrap().unwrap().as_slice(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn read__should_refuse_group_or_world_access_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        write_atomically(&path, b"x").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, PrivateFileError::TooOpen { mode: 0o640, .. }), "{err}");
        assert!(err.to_string().contains("mode 0640"), "{err}");

        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(matches!(read(&link), Err(PrivateFileError::NotRegularFile { .. })));
        assert!(read(&dir.path().join("absent")).unwrap().is_none());
    }
}
