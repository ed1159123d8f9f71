//! The drill's phases as they happen (one progress line each) and, at the
//! end, as a table: duration, transactions and gas burnt per phase.

use crate::meter::{Meter, Tally};
use std::time::{Duration, Instant};

pub struct Phase {
    pub name: String,
    pub duration: Duration,
    pub cost: Tally,
}

pub struct Timeline {
    meter: Meter,
    phases: Vec<Phase>,
    current: Option<(String, Instant, Tally)>,
    started: Instant,
    quiet: bool,
}

impl Timeline {
    pub fn new(meter: Meter) -> Self {
        Self { meter, phases: Vec::new(), current: None, started: Instant::now(), quiet: false }
    }

    /// A timeline that prints no progress lines (the chaos run's setup).
    pub fn quiet(meter: Meter) -> Self {
        Self { quiet: true, ..Self::new(meter) }
    }

    /// Ends the running phase (if any) and starts `name`.
    pub fn phase(&mut self, name: impl Into<String>) {
        self.finish();
        let name = name.into();
        if !self.quiet {
            println!("[{:>7.2}s] {name}", self.started.elapsed().as_secs_f64());
        }
        self.current = Some((name, Instant::now(), self.meter.read()));
    }

    pub fn finish(&mut self) {
        if let Some((name, start, before)) = self.current.take() {
            let now = self.meter.read();
            self.phases.push(Phase {
                name,
                duration: start.elapsed(),
                cost: Tally {
                    transactions: now.transactions - before.transactions,
                    failed: now.failed - before.failed,
                    gas_burnt: now.gas_burnt - before.gas_burnt,
                },
            });
        }
    }

    pub fn table(&mut self) -> String {
        self.finish();
        let mut out = format!("{:<86} {:>10} {:>6} {:>8} {:>10}\n", "phase", "seconds", "txs", "refused", "Tgas");
        let mut total = Tally::default();
        let mut total_time = Duration::ZERO;
        for p in &self.phases {
            out += &format!(
                "{:<86} {:>10.3} {:>6} {:>8} {:>10.3}\n",
                p.name,
                p.duration.as_secs_f64(),
                p.cost.transactions,
                p.cost.failed,
                p.cost.gas_burnt as f64 / 1e12
            );
            total.transactions += p.cost.transactions;
            total.failed += p.cost.failed;
            total.gas_burnt += p.cost.gas_burnt;
            total_time += p.duration;
        }
        out += &format!(
            "{:<86} {:>10.3} {:>6} {:>8} {:>10.3}\n",
            "total",
            total_time.as_secs_f64(),
            total.transactions,
            total.failed,
            total.gas_burnt as f64 / 1e12
        );
        out
    }
}
