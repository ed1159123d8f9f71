//! What every binary's command line shares (`backup-service`, `node-agent`,
//! the drill):
//!
//! - one duration syntax for every flag and environment variable that takes
//!   a duration: a number with a unit, `500ms`, `2s`, `5m`, `1h`, or several
//!   (`1m 30s`), parsed by [`parse_duration`] (clap's `value_parser`);
//! - one log filter variable, [`LOG_FILTER_ENV`] (`MPC_LOG`), set up by
//!   [`init_logging`];
//! - one clean stop: [`cancel_on_signals`] (SIGINT, SIGTERM).

use std::io::IsTerminal;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// The variable that filters the logs of every binary (`tracing` directives,
/// e.g. `info` or `warn,node_hooks=debug`).
pub const LOG_FILTER_ENV: &str = "MPC_LOG";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{text}` has no unit: write a duration like `500ms`, `2s` or `5m`")]
    NoUnit { text: String },
    #[error("`{text}` is not a duration like `500ms`, `2s` or `5m`: {reason}")]
    Malformed { text: String, reason: String },
    #[error("`{text}` is zero: a duration here must be more than zero")]
    Zero { text: String },
}

/// Parses a duration flag or variable: a number with a unit (`500ms`, `2s`,
/// `5m`, `1h`, `1m 30s`; humantime's syntax). A bare number is refused
/// rather than guessed at, and so is zero.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return Err(DurationError::NoUnit { text: text.to_owned() });
    }
    let duration = humantime::parse_duration(text)
        .map_err(|e| DurationError::Malformed { text: text.to_owned(), reason: e.to_string() })?;
    if duration.is_zero() {
        return Err(DurationError::Zero { text: text.to_owned() });
    }
    Ok(duration)
}

/// Logs to stderr, coloured only on a terminal, filtered by `MPC_LOG`
/// (`default_filter` when it is unset or invalid).
pub fn init_logging(default_filter: &str) {
    let filter = EnvFilter::try_from_env(LOG_FILTER_ENV).unwrap_or_else(|_| EnvFilter::new(default_filter));
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

/// Cancels `cancel` at the first SIGINT or SIGTERM (logged), so the binary
/// stops cleanly. Call it inside the runtime; fails only if the handlers
/// cannot be installed.
pub fn cancel_on_signals(cancel: CancellationToken) -> std::io::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "stopping");
        cancel.cancel();
    });
    Ok(())
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn parse_duration__should_read_numbers_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration(" 5m "), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
    }

    #[test]
    fn parse_duration__should_refuse_bare_numbers_zero_and_garbage_saying_why() {
        let err = parse_duration("5").unwrap_err();
        assert_eq!(err, DurationError::NoUnit { text: "5".to_owned() });
        assert!(err.to_string().contains("has no unit"), "{err}");
        assert!(matches!(parse_duration("0s"), Err(DurationError::Zero { .. })));
        assert!(matches!(parse_duration("0ms"), Err(DurationError::Zero { .. })));
        for bad in ["", "fast", "5 parsecs", "-1s", "2x"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(matches!(err, DurationError::Malformed { .. }), "{bad}: {err:?}");
            assert!(err.to_string().contains("is not a duration like `500ms`"), "{err}");
        }
    }
}
