//! A crash in the middle of writing a backup: the test runs itself again as
//! a child process that backs up a newer keyset into the same home with the
//! `after-temp-write` failpoint armed, so it aborts with the new copy written
//! to its temp file but not renamed into place.

use crate::support::*;
use backup_service::failpoint::{AFTER_TEMP_WRITE, FAILPOINT_ENV};
use backup_service::{BackupEncryptionKey, RoundOutcome, ServiceKeys, Storage, Transport};
use mpc_interface::primitives::EpochId;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Command;

const TEST_NAME: &str = "crash::backup__should_keep_the_previous_copy_through_a_crash_mid_write_and_finish_next_run";
const CHILD_HOME: &str = "BACKUP_SERVICE_TEST_CRASH_HOME";
const CHILD_KEY: &str = "BACKUP_SERVICE_TEST_CRASH_STORAGE_KEY";

/// The child: backs up epoch 1 of its own network into the parent's home.
async fn child(home: PathBuf, storage_key: BackupEncryptionKey) {
    let mut world = World::new(1).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let mut config = world.config(Transport::Mtls);
    config.home = home;
    let keys = ServiceKeys { identity: world.service_identity.clone(), storage_key };
    let service = backup_service::BackupService::new(config, world.service_client(), keys).unwrap();
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    panic!("the failpoint did not fire: {outcome:?}");
}

#[tokio::test]
async fn backup__should_keep_the_previous_copy_through_a_crash_mid_write_and_finish_next_run() {
    if let (Ok(home), Ok(key)) = (std::env::var(CHILD_HOME), std::env::var(CHILD_KEY)) {
        return child(home.into(), BackupEncryptionKey::from_hex(&key, CHILD_KEY).unwrap()).await;
    }
    let mut world = World::new(0).await;
    let listener = world.take_node_listener();
    let node = world.node_mtls(&world.node_identity);
    let service = world.service(Transport::Mtls);
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(0) });
    let epoch0 = world.shares.clone();
    drop(service);

    let crashed = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_HOME, world.home.path())
        .env(CHILD_KEY, world.storage_key.to_hex().as_str())
        .env(FAILPOINT_ENV, AFTER_TEMP_WRITE)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&crashed.stderr);
    assert_eq!(crashed.status.signal(), Some(6), "the child should abort (SIGABRT): {:?}\n{stderr}", crashed.status);
    assert!(stderr.contains("failpoint after-temp-write"), "{stderr}");

    let dir = world.home.path().join(backup_service::service::BACKUPS_DIR);
    let complete = dir.join(format!("keyset-{:020}.sealed", 1));
    let staged = |name: &str| secret_file::is_temp_name_for(name, &format!("keyset-{:020}.sealed", 1));
    let temps = || -> Vec<_> {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| staged(&e.as_ref().unwrap().file_name().to_string_lossy()))
            .collect()
    };
    assert_eq!(temps().len(), 1, "the crash left the new copy half-done beside {}", complete.display());
    assert!(!complete.exists(), "a half-done copy took the place of a backup");

    // Opening the storage (as a restarted service does) drops the leftover; the previous copy is intact.
    let storage = Storage::open(&dir, &world.storage_key).unwrap();
    assert!(temps().is_empty(), "opening the storage removes the leftover");
    assert_eq!(storage.epochs().unwrap(), vec![EpochId(0)]);
    assert_eq!(storage.load(EpochId(0)).unwrap(), epoch0, "the previous copy is intact");

    // The next run: the network is at epoch 1, and the service completes the new copy.
    world.reshare().await;
    let service = world.service(Transport::Mtls);
    let (_, outcome) = tokio::join!(node.serve_backup(&listener, &world.shares), service.run_once());
    assert_eq!(outcome.unwrap(), RoundOutcome::BackedUp { epoch: EpochId(1) });
    assert_eq!(service.storage().load(EpochId(1)).unwrap(), world.shares);
    assert_eq!(service.storage().epochs().unwrap(), vec![EpochId(1)]);
}
