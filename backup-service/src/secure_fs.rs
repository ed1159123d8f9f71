//! Files that hold secrets: private directories (0700), private files (0600)
//! created without ever being readable by others, a permission check on
//! read, and atomic replacement (temp file, fsync, rename, fsync directory).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub const PRIVATE_DIR_MODE: u32 = 0o700;
pub const PRIVATE_FILE_MODE: u32 = 0o600;

#[derive(Debug, thiserror::Error)]
pub enum SecureFsError {
    #[error("{path} already exists; refusing to overwrite it")]
    AlreadyExists { path: PathBuf },
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} is readable or writable by other users (mode {mode:03o}); run `chmod 600 {path}`")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("could not {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SecureFsError + 'a {
    move |source| SecureFsError::Io { action, path: path.to_owned(), source }
}

/// Creates `dir` (and parents) with mode 0700, or tightens an existing one to 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), SecureFsError> {
    fs::DirBuilder::new().recursive(true).mode(PRIVATE_DIR_MODE).create(dir).map_err(io_err("create", dir))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR_MODE)).map_err(io_err("set permissions on", dir))
}

/// Writes a new file with mode 0600; fails if it exists. The file is synced.
pub fn create_private_file(path: &Path, contents: &[u8]) -> Result<(), SecureFsError> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(PRIVATE_FILE_MODE).open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            SecureFsError::AlreadyExists { path: path.to_owned() }
        } else {
            SecureFsError::Io { action: "create", path: path.to_owned(), source: e }
        }
    })?;
    file.write_all(contents).map_err(io_err("write", path))?;
    file.sync_all().map_err(io_err("sync", path))
}

/// Reads a secret file, refusing one that other users could read or change.
/// The contents are wiped when dropped.
pub fn read_private_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecureFsError> {
    let meta = fs::metadata(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            SecureFsError::Missing { path: path.to_owned() }
        } else {
            SecureFsError::Io { action: "inspect", path: path.to_owned(), source: e }
        }
    })?;
    if !meta.is_file() {
        return Err(SecureFsError::NotAFile { path: path.to_owned() });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecureFsError::TooOpen { path: path.to_owned(), mode });
    }
    let mut file = File::open(path).map_err(io_err("open", path))?;
    let mut contents = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.read_to_end(&mut contents).map_err(io_err("read", path))?;
    Ok(contents)
}

/// Where [`write_atomically`] stages `path` before renaming it into place.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `contents` so that a crash at any point leaves either
/// the old file or the new one, never a mix: write a 0600 temp file beside
/// it, fsync it, `after_temp_write` (a crash-test hook), rename it over
/// `path`, fsync the directory so the rename itself is durable.
pub fn write_atomically(path: &Path, contents: &[u8], after_temp_write: impl FnOnce()) -> Result<(), SecureFsError> {
    let temp = temp_path_for(path);
    // A leftover from an earlier crash is ours to replace.
    match fs::remove_file(&temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err("remove", &temp)(e)),
        _ => {}
    }
    create_private_file(&temp, contents)?;
    after_temp_write();
    fs::rename(&temp, path).map_err(io_err("rename into place", path))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Makes renames and removals in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), SecureFsError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err("sync directory", dir))
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn create_private_file__should_write_0600_and_refuse_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        create_private_file(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o600);
        let err = create_private_file(&path, b"two").unwrap_err();
        assert!(matches!(err, SecureFsError::AlreadyExists { .. }), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"one");
    }

    #[test]
    fn create_private_dir__should_tighten_an_existing_dir_to_0700() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&home).unwrap();
        assert_eq!(mode(&home), 0o700);
    }

    #[test]
    fn read_private_file__should_refuse_files_others_can_read_and_say_how_to_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        create_private_file(&path, b"secret").unwrap();
        assert_eq!(&**read_private_file(&path).unwrap(), b"secret");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_private_file(&path).unwrap_err();
        assert!(matches!(err, SecureFsError::TooOpen { mode: 0o644, .. }));
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(matches!(read_private_file(&dir.path().join("none")), Err(SecureFsError::Missing { .. })));
        assert!(matches!(read_private_file(dir.path()), Err(SecureFsError::NotAFile { .. })));
    }

    #[test]
    fn write_atomically__should_replace_the_file_and_leave_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomically(&path, b"old", || {}).unwrap();
        fs::write(temp_path_for(&path), b"leftover of a crash").unwrap();
        write_atomically(&path, b"new", || assert!(temp_path_for(&path).exists())).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o600);
        assert!(!temp_path_for(&path).exists());
    }
}
