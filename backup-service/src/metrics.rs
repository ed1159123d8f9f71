//! Prometheus metrics (`prometheus-client`, OpenMetrics text) served at
//! `/metrics`. The three gauges to alert on (see `docs/alerts.yml`):
//! `backup_service_contract_keyset_epoch`, `backup_service_stored_epoch`
//! (-1 until something is known) and `backup_service_copy_current` (1 when
//! the stored copy is of the contract's keyset and opens). In Hard mode also
//! `backup_service_attestation_valid` and
//! `backup_service_attestation_expires_timestamp_seconds`.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use mpc_interface::launch::AttestationStatus;
use mpc_interface::primitives::EpochId;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A gauge's value while nothing is known.
const UNKNOWN: i64 = -1;

type ByKind = Family<[(&'static str, String); 1], Counter>;

/// The service's counters and gauges; cheap to update from the loop.
pub struct Metrics {
    registry: Registry,
    stored_epoch: Gauge,
    contract_epoch: Gauge,
    copy_current: Gauge,
    last_backup_unix: Gauge,
    last_delivery_unix: Gauge,
    last_good_poll_unix: Gauge,
    attestation_valid: Gauge,
    attestation_expires_unix: Gauge,
    deliveries: Counter,
    polls: Counter,
    errors: ByKind,
    /// The sum over `errors` (not exported: Prometheus sums by itself).
    all_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("backup_service");
        let mut gauge = |name: &str, help: &str, initial: i64| {
            let gauge = Gauge::default();
            gauge.set(initial);
            registry.register(name, help, gauge.clone());
            gauge
        };
        let stored_epoch = gauge("stored_epoch", "Epoch of the newest keyset held in storage (-1: none).", UNKNOWN);
        let contract_epoch = gauge(
            "contract_keyset_epoch",
            "Epoch of the keyset the contract says nodes hold, at the last good poll (-1: not read yet).",
            UNKNOWN,
        );
        let copy_current = gauge(
            "copy_current",
            "1 if storage holds an intact copy of the contract's keyset at the last good poll, else 0.",
            0,
        );
        let last_backup_unix =
            gauge("last_backup_timestamp_seconds", "Unix time of the last backup stored by this process (0: none).", 0);
        let last_delivery_unix = gauge(
            "last_delivery_timestamp_seconds",
            "Unix time of the last recovery delivery by this process (0: none).",
            0,
        );
        let last_good_poll_unix =
            gauge("last_good_poll_timestamp_seconds", "Unix time of the last poll that succeeded (0: none).", 0);
        let attestation_valid = gauge(
            "attestation_valid",
            "1 if the contract lets this service take part in transfers (Soft mode, or a valid attestation), \
             0 if not (missing, expired, measurements retired), -1 until read.",
            UNKNOWN,
        );
        let attestation_expires_unix = gauge(
            "attestation_expires_timestamp_seconds",
            "Unix time the service's attestation expires, as the contract last showed it (0: none or not required).",
            0,
        );
        let deliveries = Counter::default();
        registry.register("deliveries", "Recovery deliveries the new node acknowledged.", deliveries.clone());
        let polls = Counter::default();
        registry.register("polls", "Contract polls.", polls.clone());
        let errors = ByKind::default();
        registry.register("errors", "Failed polls and repaired copies, by kind of error.", errors.clone());
        Self {
            registry,
            stored_epoch,
            contract_epoch,
            copy_current,
            last_backup_unix,
            last_delivery_unix,
            last_good_poll_unix,
            attestation_valid,
            attestation_expires_unix,
            deliveries,
            polls,
            errors,
            all_errors: Counter::default(),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn epoch_value(epoch: EpochId) -> i64 {
    i64::try_from(epoch.0).unwrap_or(i64::MAX)
}

impl Metrics {
    /// The epoch held in storage (at start-up, before any backup this run).
    pub fn set_stored_epoch(&self, epoch: EpochId) {
        self.stored_epoch.set(epoch_value(epoch));
    }

    pub fn backed_up(&self, epoch: EpochId) {
        self.set_stored_epoch(epoch);
        self.last_backup_unix.set(unix_now());
    }

    /// What a good poll saw: the contract's keyset and whether storage holds it intact.
    pub fn compared(&self, contract: EpochId, current: bool) {
        self.contract_epoch.set(epoch_value(contract));
        self.copy_current.set(i64::from(current));
    }

    pub fn delivered(&self) {
        self.deliveries.inc();
        self.last_delivery_unix.set(unix_now());
    }

    pub fn polled(&self) {
        self.polls.inc();
    }

    pub fn poll_succeeded(&self) {
        self.last_good_poll_unix.set(unix_now());
    }

    pub fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&[("kind", kind.to_owned())]).inc();
        self.all_errors.inc();
    }

    /// What the contract showed of the service's attestation.
    pub fn attestation(&self, status: &AttestationStatus) {
        self.attestation_valid.set(i64::from(status.allows_transfers()));
        let expires = match status {
            AttestationStatus::Valid { expires_at } => *expires_at,
            AttestationStatus::Expired { at } => *at,
            _ => 0,
        };
        self.attestation_expires_unix.set(i64::try_from(expires).unwrap_or(i64::MAX));
    }

    /// 1, 0 or -1 (unknown): see the gauge's help.
    pub fn attestation_valid(&self) -> i64 {
        self.attestation_valid.get()
    }

    pub fn attestation_expires_at(&self) -> i64 {
        self.attestation_expires_unix.get()
    }

    pub fn last_backup_epoch(&self) -> Option<EpochId> {
        u64::try_from(self.stored_epoch.get()).ok().map(EpochId)
    }

    pub fn contract_epoch(&self) -> Option<EpochId> {
        u64::try_from(self.contract_epoch.get()).ok().map(EpochId)
    }

    pub fn copy_current(&self) -> bool {
        self.copy_current.get() == 1
    }

    pub fn deliveries(&self) -> u64 {
        self.deliveries.get()
    }

    pub fn polls(&self) -> u64 {
        self.polls.get()
    }

    /// Errors of `kind` so far.
    pub fn errors(&self, kind: &str) -> u64 {
        self.errors.get(&[("kind", kind.to_owned())]).map_or(0, |c| c.get())
    }

    /// Errors of every kind so far.
    pub fn total_errors(&self) -> u64 {
        self.all_errors.get()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

/// Serves `GET /metrics` on `listener` until `cancel` fires.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>, cancel: CancellationToken) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()).into_response() }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(cancel.cancelled_owned()).await
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use prometheus_parse::{Scrape, Value};

    fn parse(text: &str) -> Scrape {
        Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the Prometheus parser reads it")
    }

    fn value(scrape: &Scrape, name: &str, kind: Option<&str>) -> Option<f64> {
        scrape.samples.iter().find(|s| s.metric == name && kind.is_none_or(|k| s.labels.get("kind") == Some(k))).map(
            |s| match s.value {
                Value::Gauge(v) | Value::Counter(v) | Value::Untyped(v) => v,
                _ => f64::NAN,
            },
        )
    }

    #[test]
    fn render__should_parse_as_prometheus_text_with_every_gauge_and_counter() {
        let m = Metrics::default();
        let before = parse(&m.render());
        assert_eq!(value(&before, "backup_service_stored_epoch", None), Some(-1.0));
        assert_eq!(value(&before, "backup_service_contract_keyset_epoch", None), Some(-1.0));
        assert_eq!(value(&before, "backup_service_copy_current", None), Some(0.0));
        assert_eq!(value(&before, "backup_service_deliveries_total", None), Some(0.0));

        m.backed_up(EpochId(4));
        m.compared(EpochId(4), true);
        m.delivered();
        m.polled();
        m.error("rpc");
        m.error("rpc");
        m.error("transfer");
        let after = parse(&m.render());
        assert_eq!(value(&after, "backup_service_stored_epoch", None), Some(4.0));
        assert_eq!(value(&after, "backup_service_contract_keyset_epoch", None), Some(4.0));
        assert_eq!(value(&after, "backup_service_copy_current", None), Some(1.0));
        assert_eq!(value(&after, "backup_service_deliveries_total", None), Some(1.0));
        assert_eq!(value(&after, "backup_service_polls_total", None), Some(1.0));
        assert_eq!(value(&after, "backup_service_errors_total", Some("rpc")), Some(2.0));
        assert_eq!(value(&after, "backup_service_errors_total", Some("transfer")), Some(1.0));
        assert!(value(&after, "backup_service_last_backup_timestamp_seconds", None).unwrap() > 1.7e9);
        assert_eq!(after.docs.get("backup_service_copy_current").map(String::is_empty), Some(false), "HELP is there");
        assert_eq!((m.errors("rpc"), m.total_errors()), (2, 3));
    }
}
