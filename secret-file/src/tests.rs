use super::*;
use std::os::unix::fs::MetadataExt;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn write_atomically__should_write_0600_and_replace_by_rename() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    write_atomically(&path, b"first").unwrap();
    let first_inode = fs::metadata(&path).unwrap().ino();
    let mut old = File::open(&path).unwrap();

    write_atomically(&path, b"second, longer").unwrap();

    assert_eq!(mode(&path), 0o600);
    assert_ne!(fs::metadata(&path).unwrap().ino(), first_inode, "a new file was renamed in");
    let mut seen = String::new();
    old.read_to_string(&mut seen).unwrap();
    assert_eq!(seen, "first", "a reader of the old file sees it whole");
    assert_eq!(read(&path).unwrap().unwrap().as_slice(), b"second, longer");
    assert_eq!(names(dir.path()), vec!["secret".to_owned()], "no temporary file left");
}

#[test]
fn write_atomically_with_hook__should_leave_the_old_file_until_the_rename() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    write_atomically(&path, b"old").unwrap();
    write_atomically_with_hook(&path, b"new", || {
        assert_eq!(fs::read(&path).unwrap(), b"old");
        let staged: Vec<_> = names(dir.path()).into_iter().filter(|n| is_temp_name_for(n, "f")).collect();
        assert_eq!(staged.len(), 1, "the new copy is staged beside the file");
    })
    .unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
}

#[test]
fn create_atomically__should_never_replace_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    create_atomically(&path, b"one").unwrap();
    assert_eq!(mode(&path), 0o600);
    let err = create_atomically(&path, b"two").unwrap_err();
    assert!(matches!(err, SecretFileError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(read(&path).unwrap().unwrap().as_slice(), b"one");
    assert_eq!(names(dir.path()).len(), 1, "no temporary file left");
}

#[test]
fn read__should_refuse_group_or_world_access_and_say_how_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    write_atomically(&path, b"x").unwrap();
    for open in [0o640, 0o604, 0o644] {
        fs::set_permissions(&path, fs::Permissions::from_mode(open)).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, SecretFileError::TooOpen { mode, .. } if mode == open), "{err}");
        assert!(err.to_string().contains(&format!("mode {open:04o}")), "{err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}

#[test]
fn read__should_refuse_symlinks_and_non_files_and_report_absence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    write_atomically(&path, b"x").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(matches!(read(&link), Err(SecretFileError::NotRegularFile { .. })));
    assert!(matches!(read(dir.path()), Err(SecretFileError::NotRegularFile { .. })));
    assert!(read(&dir.path().join("absent")).unwrap().is_none());
    let err = read_existing(&dir.path().join("absent")).unwrap_err();
    assert!(matches!(err, SecretFileError::Missing { .. }), "{err}");
    assert_eq!(read_existing(&path).unwrap().as_slice(), b"x");
}

#[test]
fn create_private_dir__should_create_0700_and_tighten_an_existing_dir() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("a/b");
    create_private_dir(&fresh).unwrap();
    assert_eq!(mode(&fresh), 0o700);
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    create_private_dir(&home).unwrap();
    assert_eq!(mode(&home), 0o700);
}

#[test]
fn create_private_dir__should_refuse_a_file_in_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("home");
    fs::write(&file, b"").unwrap();
    let err = create_private_dir(&file).unwrap_err();
    assert!(matches!(err, SecretFileError::NotADirectory { .. }), "{err}");
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn shred__should_zero_then_remove_and_refuse_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    write_atomically(&path, b"secret bytes").unwrap();
    let mut still_open = File::open(&path).unwrap();
    assert!(shred(&path).unwrap());
    assert!(!path.exists());
    let mut left = Vec::new();
    still_open.read_to_end(&mut left).unwrap();
    assert_eq!(left, vec![0; 12], "the blocks were overwritten before the removal");
    assert!(!shred(&path).unwrap(), "nothing to shred is not an error");

    let target = dir.path().join("target");
    write_atomically(&target, b"t").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(matches!(shred(&link), Err(SecretFileError::NotRegularFile { .. })));
    assert_eq!(fs::read(&target).unwrap(), b"t");
}

#[test]
fn remove_leftover_temp_files__should_remove_only_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep");
    write_atomically(&path, b"k").unwrap();
    let leftover = temp_path(&path);
    fs::write(&leftover, b"half a write").unwrap();
    assert_eq!(remove_leftover_temp_files(dir.path()).unwrap(), vec![leftover.clone()]);
    assert!(!leftover.exists());
    assert_eq!(names(dir.path()), vec!["keep".to_owned()]);
    assert!(remove_leftover_temp_files(&dir.path().join("none")).unwrap().is_empty());
}

#[test]
fn is_temp_name_for__should_match_only_the_targets_temporary_files() {
    let temp = temp_path(Path::new("/x/keyset.sealed"));
    let name = temp.file_name().unwrap().to_string_lossy();
    assert!(is_temp_name_for(&name, "keyset.sealed"));
    assert!(!is_temp_name_for(&name, "keyset"));
    assert!(!is_temp_name_for("keyset.sealed", "keyset.sealed"));
}
