//! Prometheus metrics, rendered by hand in the text exposition format and
//! served at `/metrics`.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use mpc_interface::primitives::EpochId;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const NONE: u64 = u64::MAX;

/// The service's counters and gauges; cheap to update from the loop.
pub struct Metrics {
    last_backup_epoch: AtomicU64,
    last_backup_unix: AtomicU64,
    last_delivery_unix: AtomicU64,
    deliveries: AtomicU64,
    polls: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            last_backup_epoch: AtomicU64::new(NONE),
            last_backup_unix: AtomicU64::new(NONE),
            last_delivery_unix: AtomicU64::new(NONE),
            deliveries: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn known(cell: &AtomicU64) -> Option<u64> {
    Some(cell.load(Ordering::Relaxed)).filter(|v| *v != NONE)
}

impl Metrics {
    /// The epoch held in storage (at start-up, before any backup this run).
    pub fn set_stored_epoch(&self, epoch: EpochId) {
        self.last_backup_epoch.store(epoch.0, Ordering::Relaxed);
    }

    pub fn backed_up(&self, epoch: EpochId) {
        self.last_backup_epoch.store(epoch.0, Ordering::Relaxed);
        self.last_backup_unix.store(unix_now(), Ordering::Relaxed);
    }

    pub fn delivered(&self) {
        self.deliveries.fetch_add(1, Ordering::Relaxed);
        self.last_delivery_unix.store(unix_now(), Ordering::Relaxed);
    }

    pub fn polled(&self) {
        self.polls.fetch_add(1, Ordering::Relaxed);
    }

    pub fn error(&self, kind: &'static str) {
        *self.errors.lock().expect("metrics lock").entry(kind).or_default() += 1;
    }

    pub fn last_backup_epoch(&self) -> Option<EpochId> {
        known(&self.last_backup_epoch).map(EpochId)
    }

    pub fn deliveries(&self) -> u64 {
        self.deliveries.load(Ordering::Relaxed)
    }

    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    pub fn errors(&self, kind: &str) -> u64 {
        self.errors.lock().expect("metrics lock").get(kind).copied().unwrap_or(0)
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, Option<u64>)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                if let Some(value) = value {
                    let _ = writeln!(out, "{name}{labels} {value}");
                }
            }
        };
        metric(
            "backup_service_last_backup_epoch",
            "gauge",
            "Epoch of the newest keyset held in storage.",
            &[(String::new(), known(&self.last_backup_epoch))],
        );
        metric(
            "backup_service_last_backup_timestamp_seconds",
            "gauge",
            "Unix time of the last successful backup by this process.",
            &[(String::new(), known(&self.last_backup_unix))],
        );
        metric(
            "backup_service_last_delivery_timestamp_seconds",
            "gauge",
            "Unix time of the last recovery delivery by this process.",
            &[(String::new(), known(&self.last_delivery_unix))],
        );
        metric(
            "backup_service_deliveries_total",
            "counter",
            "Recovery deliveries the new node acknowledged.",
            &[(String::new(), Some(self.deliveries()))],
        );
        metric("backup_service_polls_total", "counter", "Contract polls.", &[(String::new(), Some(self.polls()))]);
        let errors: Vec<_> = self
            .errors
            .lock()
            .expect("metrics lock")
            .iter()
            .map(|(kind, n)| (format!("{{kind=\"{kind}\"}}"), Some(*n)))
            .collect();
        metric("backup_service_errors_total", "counter", "Failed polls, by kind of error.", &errors);
        out
    }
}

/// Serves `GET /metrics` on `listener` until `cancel` fires.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, cancel: CancellationToken) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()).into_response() }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn render__should_print_prometheus_text_and_omit_unknown_gauges() {
        let m = Metrics::default();
        let text = m.render();
        assert!(text.contains("# TYPE backup_service_last_backup_epoch gauge\n"), "{text}");
        assert!(
            !text.lines().any(|l| l.starts_with("backup_service_last_backup_epoch ")),
            "a sample before any backup"
        );
        assert!(text.contains("backup_service_deliveries_total 0\n"));
        m.backed_up(EpochId(4));
        m.delivered();
        m.error("rpc");
        m.error("rpc");
        m.error("transfer");
        let text = m.render();
        assert!(text.contains("backup_service_last_backup_epoch 4\n"), "{text}");
        assert!(text.contains("backup_service_deliveries_total 1\n"));
        assert!(text.contains("backup_service_errors_total{kind=\"rpc\"} 2\n"));
        assert!(text.contains("backup_service_errors_total{kind=\"transfer\"} 1\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            assert!(name.starts_with("backup_service_"), "{line}");
            value.parse::<u64>().unwrap();
        }
    }
}
