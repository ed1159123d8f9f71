//! Crash-test hooks. With the `failpoints` feature (tests only), setting
//! `BACKUP_SERVICE_FAILPOINT=<name>` makes the process abort, as a power cut
//! would, at the point called `<name>`. Without the feature this is a no-op.

pub const FAILPOINT_ENV: &str = "BACKUP_SERVICE_FAILPOINT";

/// The temp file of a backup is written and synced, not yet renamed into place.
pub const AFTER_TEMP_WRITE: &str = "after-temp-write";

#[cfg(feature = "failpoints")]
pub fn hit(name: &str) {
    if std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &str) {}
