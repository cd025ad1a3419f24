//! Where flushed telemetry goes: the metrics registry and JSON-lines files.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::sync::Arc;

use super::metrics::{Counter, Histogram, Registry};
use super::{Event, Record};

/// A destination for telemetry; written by one flush at a time.
pub trait Sink: Send {
    /// Takes a batch of records, oldest first.
    fn write(&mut self, records: &[Record]);

    /// Called once at [`super::Telemetry::close`], after the last batch.
    fn close(&mut self) {}
}

/// Counts events by name and keeps the input latency histogram.
pub(super) struct Metrics {
    registry: Arc<Registry>,
    input_latency: Arc<Histogram>,
    reloads_ok: Arc<Counter>,
    reloads_failed: Arc<Counter>,
}

impl Metrics {
    pub(super) fn new(registry: &Arc<Registry>) -> Metrics {
        let reloads = |outcome| {
            registry.counter(
                "qnce_reloads_total",
                "Live edits applied (ok) or rejected (failed)",
                &[("outcome", outcome)],
            )
        };
        Metrics {
            registry: Arc::clone(registry),
            input_latency: registry.histogram(
                "qnce_input_latency_seconds",
                "From an input read to its frame drawn",
                &[],
            ),
            reloads_ok: reloads("ok"),
            reloads_failed: reloads("failed"),
        }
    }
}

impl Sink for Metrics {
    fn write(&mut self, records: &[Record]) {
        for record in records {
            match &record.event {
                Event::InputLatency { micros } => {
                    self.input_latency.record_nanos(micros.saturating_mul(1000));
                }
                Event::ReloadSucceeded { .. } => self.reloads_ok.inc(),
                Event::ReloadFailed { .. } => self.reloads_failed.inc(),
                Event::BudgetExceeded { budget, .. } => self
                    .registry
                    .counter(
                        "qnce_budget_exceeded_total",
                        "Times a resource budget refused or dropped something",
                        &[("budget", budget)],
                    )
                    .inc(),
                _ => {}
            }
            // Looked up each time: events are few next to steps, and the names are few.
            self.registry
                .counter(
                    "qnce_events_total",
                    "Telemetry events, by name",
                    &[("event", record.event.name())],
                )
                .inc();
        }
    }
}

/// Appends each record as a line of JSON to a file, up to a budget of bytes; past it,
/// one `budget_exceeded` line is written and further records are counted in
/// `qnce_telemetry_file_dropped_total`, not written.
pub struct JsonLines {
    out: BufWriter<File>,
    written: u64,
    budget: u64,
    over_budget: bool,
    dropped: Arc<Counter>,
    failed: Arc<Counter>,
    budget_reached: Arc<Counter>,
    line: Vec<u8>,
}

impl JsonLines {
    /// Opens `path` for appending (creating it), with a budget of `budget` bytes for
    /// what this process writes.
    ///
    /// # Errors
    /// When the file cannot be opened.
    pub fn append(
        path: impl AsRef<Path>,
        budget: u64,
        registry: &Registry,
    ) -> std::io::Result<JsonLines> {
        let path = path.as_ref();
        let file = File::options().create(true).append(true).open(path)?;
        Ok(JsonLines {
            out: BufWriter::new(file),
            written: 0,
            budget,
            over_budget: false,
            dropped: registry.counter(
                "qnce_telemetry_file_dropped_total",
                "Telemetry events not written because the file reached its budget",
                &[],
            ),
            failed: registry.counter(
                "qnce_telemetry_file_errors_total",
                "Writes to the telemetry file that failed",
                &[],
            ),
            budget_reached: registry.counter(
                "qnce_budget_exceeded_total",
                "Times a resource budget refused or dropped something",
                &[("budget", "telemetry_file")],
            ),
            line: Vec::new(),
        })
    }

    fn write_line(&mut self) -> bool {
        let ok = self.out.write_all(&self.line).is_ok();
        if !ok {
            self.failed.inc();
        }
        self.written += self.line.len() as u64;
        ok
    }
}

impl Sink for JsonLines {
    fn write(&mut self, records: &[Record]) {
        for record in records {
            if self.over_budget {
                self.dropped.inc();
                continue;
            }
            self.line.clear();
            if serde_json::to_writer(&mut self.line, record).is_err() {
                self.failed.inc();
                continue;
            }
            self.line.push(b'\n');
            if self.written + self.line.len() as u64 > self.budget {
                self.over_budget = true;
                self.dropped.inc();
                self.budget_reached.inc();
                let note = Record {
                    ts_ms: record.ts_ms,
                    event: Event::BudgetExceeded {
                        budget: "telemetry_file".to_owned(),
                        limit: self.budget,
                        requested: self.written + self.line.len() as u64,
                    },
                };
                self.line.clear();
                if serde_json::to_writer(&mut self.line, &note).is_ok() {
                    self.line.push(b'\n');
                    self.write_line();
                }
                continue;
            }
            self.write_line();
        }
        if self.out.flush().is_err() {
            self.failed.inc();
        }
    }

    fn close(&mut self) {
        if self.out.flush().is_err() || self.out.get_ref().sync_data().is_err() {
            self.failed.inc();
        }
    }
}
