//! `node-agent`'s Prometheus metrics (`prometheus-client`, OpenMetrics
//! text), fed from the driver's [`DriverStatus`] and served at `/metrics`:
//! `node_agent_shares_epoch` (-1: no shares), `node_agent_status_updates_total`,
//! `node_agent_last_status_timestamp_seconds`, `node_agent_backups_served_total`,
//! `node_agent_reconnects_total`, `node_agent_transfer_failures_total` and
//! `node_agent_transactions_total{method}`.

use crate::driver::DriverStatus;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

type ByMethod = Family<[(&'static str, &'static str); 1], Counter>;

/// The agent's metrics, and the last status they were brought up to.
pub struct AgentMetrics {
    registry: Registry,
    shares_epoch: Gauge,
    updates: Counter,
    last_update_unix: Gauge,
    backups_served: Counter,
    reconnects: Counter,
    transfer_failures: Counter,
    transactions: ByMethod,
    seen: Mutex<DriverStatus>,
}

impl Default for AgentMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("node_agent");
        let shares_epoch = Gauge::default();
        shares_epoch.set(-1);
        registry.register(
            "shares_epoch",
            "Epoch of the key shares this machine holds (-1: none).",
            shares_epoch.clone(),
        );
        let last_update_unix = Gauge::default();
        registry.register(
            "last_status_timestamp_seconds",
            "Unix time the driver last reported its status (it does after every poll that changes something).",
            last_update_unix.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let counter = Counter::default();
            registry.register(name, help, counter.clone());
            counter
        };
        let updates = counter(&mut registry, "status_updates", "Status reports from the driver.");
        let backups_served = counter(&mut registry, "backups_served", "Backups served to the backup service.");
        let reconnects = counter(&mut registry, "reconnects", "Reconnections after participant details changed.");
        let transfer_failures = counter(&mut registry, "transfer_failures", "Share transfers that failed.");
        let transactions = ByMethod::default();
        registry.register("transactions", "Transactions that succeeded on chain, by method.", transactions.clone());
        Self {
            registry,
            shares_epoch,
            updates,
            last_update_unix,
            backups_served,
            reconnects,
            transfer_failures,
            transactions,
            seen: Mutex::new(DriverStatus::default()),
        }
    }
}

impl AgentMetrics {
    /// Brings the metrics up to `status`; counters grow by what is new since the last one.
    pub fn observe(&self, status: &DriverStatus) {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.updates.inc();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.last_update_unix.set(i64::try_from(now).unwrap_or(i64::MAX));
        self.shares_epoch.set(status.shares_epoch.map_or(-1, |e| i64::try_from(e.0).unwrap_or(i64::MAX)));
        self.backups_served.inc_by(status.backups_served.saturating_sub(seen.backups_served));
        self.reconnects.inc_by(status.reconnects.saturating_sub(seen.reconnects));
        if status.last_transfer_error.is_some() && status.last_transfer_error != seen.last_transfer_error {
            self.transfer_failures.inc();
        }
        for method in status.transactions.iter().skip(seen.transactions.len()) {
            self.transactions.get_or_create(&[("method", method)]).inc();
        }
        *seen = status.clone();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

async fn metrics_page(State(metrics): State<Arc<AgentMetrics>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
}

/// Follows `status` and serves `GET /metrics` on `listener` until `cancel` fires.
pub fn spawn(listener: TcpListener, mut status: watch::Receiver<DriverStatus>, cancel: CancellationToken) {
    let metrics = Arc::new(AgentMetrics::default());
    let follower = metrics.clone();
    let stop = cancel.clone();
    tokio::spawn(async move {
        loop {
            follower.observe(&status.borrow_and_update().clone());
            tokio::select! {
                _ = stop.cancelled() => break,
                changed = status.changed() => if changed.is_err() { break },
            }
        }
    });
    let app = axum::Router::new().route("/metrics", axum::routing::get(metrics_page)).with_state(metrics);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await {
            tracing::warn!(error = %e, "the metrics server stopped");
        }
    });
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::primitives::EpochId;
    use prometheus_parse::{Scrape, Value};

    fn sample(text: &str, name: &str, label: Option<(&str, &str)>) -> Option<f64> {
        let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the Prometheus parser reads it");
        scrape.samples.iter().find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v))).map(
            |s| match s.value {
                Value::Gauge(v) | Value::Counter(v) | Value::Untyped(v) => v,
                _ => f64::NAN,
            },
        )
    }

    #[test]
    fn observe__should_export_the_driver_status_as_parseable_prometheus_text() {
        let metrics = AgentMetrics::default();
        assert_eq!(sample(&metrics.render(), "node_agent_shares_epoch", None), Some(-1.0));
        let mut status = DriverStatus {
            shares_epoch: Some(EpochId(3)),
            backups_served: 2,
            transactions: vec!["submit_participant_info"],
            last_transfer_error: Some("backup: the peer closed".into()),
            ..DriverStatus::default()
        };
        metrics.observe(&status);
        status.backups_served = 5;
        status.transactions.push("vote_reshared");
        metrics.observe(&status);
        metrics.observe(&status);
        let text = metrics.render();
        assert_eq!(sample(&text, "node_agent_shares_epoch", None), Some(3.0));
        assert_eq!(sample(&text, "node_agent_backups_served_total", None), Some(5.0));
        assert_eq!(sample(&text, "node_agent_transfer_failures_total", None), Some(1.0), "one failure, seen thrice");
        assert_eq!(sample(&text, "node_agent_status_updates_total", None), Some(3.0));
        assert_eq!(sample(&text, "node_agent_transactions_total", Some(("method", "vote_reshared"))), Some(1.0));
        assert!(sample(&text, "node_agent_last_status_timestamp_seconds", None).unwrap() > 1.7e9);
    }

    #[test]
    fn alerts__should_name_only_node_agent_metrics_that_are_exported() {
        let rules = include_str!("../../docs/alerts.yml");
        let metrics = AgentMetrics::default();
        metrics.observe(&DriverStatus { transactions: vec!["vote_pk"], ..DriverStatus::default() });
        let exported = metrics.render();
        let named =
            rules.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("node_agent_"));
        assert!(named.clone().count() >= 2);
        for name in named {
            assert!(exported.contains(&format!("{name} ")), "docs/alerts.yml names {name}, not exported:\n{exported}");
        }
    }
}
