//! Crash-test hooks. With the `failpoints` feature (tests only), setting
//! `BACKUP_SERVICE_FAILPOINT=<name>` makes the process abort, as a power cut
//! would, at the point called `<name>`. Without the feature this is a no-op.
//! [`DeliveryHook`]: faults the chaos drill injects into a delivery in process.

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

/// Where a delivery can be interrupted on purpose (the chaos drill): just
/// before the shares are sent, and just after the new machine acknowledged
/// them (before the acknowledgement is recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryPoint {
    BeforeSending,
    AfterAcknowledgement,
}

/// What an interrupted delivery does at a [`DeliveryPoint`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Injected {
    Proceed,
    /// Fail here with this reason (a dropped message, or a crash the caller
    /// follows with a restart).
    Fail(String),
    /// Send the shares twice (a duplicated message).
    Twice,
}

/// Decides what happens at each delivery point; production has none.
pub trait DeliveryHook: Send + Sync {
    fn at(&self, point: DeliveryPoint) -> Injected;
}

/// An optional [`DeliveryHook`] in a `Debug`, `Clone` configuration.
#[derive(Clone, Default)]
pub struct Hooks(pub Option<std::sync::Arc<dyn DeliveryHook>>);

impl Hooks {
    pub fn at(&self, point: DeliveryPoint) -> Injected {
        self.0.as_ref().map_or(Injected::Proceed, |hook| hook.at(point))
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Hooks(set)" } else { "Hooks(none)" })
    }
}
