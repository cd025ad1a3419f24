//! Telemetry: what the engine did, for people outside the process.
//!
//! [`Telemetry::record`] puts an [`Event`] on a bounded queue and never blocks: when the
//! queue is full the oldest event is dropped and counted. A low-priority job on the
//! [`Pool`] flushes the queue to the sinks: the [`Registry`] (counters and the input
//! latency histogram, served as `/metrics` by [`http`]) and, when configured, a JSON-lines
//! file kept within a size budget. [`Telemetry::close`] flushes what was accepted.
//!
//! Span durations reach the same registry by another road, the [`SpanTimings`] layer.

pub mod http;
mod metrics;
mod sink;
mod spans;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossbeam_queue::ArrayQueue;
use serde::{Deserialize, Serialize};

pub use metrics::{Collector, Counter, Gauge, Histogram, Labels, Registry, Snapshot, Summary};
pub use sink::{JsonLines, Sink};
pub use spans::{FREQUENT, SPAN_METRIC, SpanConfig, SpanTimings, TARGET};

use crate::pool::{AtShutdown, Pool, Priority};

/// Something the engine reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A session began.
    SessionStarted {
        /// The story's title.
        story: String,
        /// Its seed.
        seed: u64,
    },
    /// A flow entered a node.
    NodeEntered {
        /// The flow's name.
        flow: String,
        /// The node's name.
        node: String,
    },
    /// The player took a choice.
    ChoiceMade {
        /// The flow's name.
        flow: String,
        /// The node's name.
        node: String,
        /// The choice's stable id.
        choice: String,
    },
    /// A live edit was applied.
    ReloadSucceeded {
        /// Nodes added, changed or removed.
        nodes_changed: usize,
        /// How long the reload took, in microseconds.
        micros: u64,
    },
    /// A live edit was rejected.
    ReloadFailed {
        /// How many errors.
        errors: usize,
        /// The first, as `path:line:col: message`.
        first: String,
    },
    /// From an input to its frame on screen.
    InputLatency {
        /// In microseconds.
        micros: u64,
    },
    /// Something went wrong without stopping the engine (a job panicked, an asset could
    /// not be read).
    Error {
        /// What.
        message: String,
    },
    /// A resource budget was reached; what was over it was refused or dropped.
    BudgetExceeded {
        /// Which budget: `cache_bytes`, `pool_queue`, `telemetry_queue`, `telemetry_file`.
        budget: String,
        /// The budget.
        limit: u64,
        /// What was asked for (bytes or events).
        requested: u64,
    },
}

impl Event {
    /// The event's name as written in JSON (`node_entered`).
    pub fn name(&self) -> &'static str {
        match self {
            Event::SessionStarted { .. } => "session_started",
            Event::NodeEntered { .. } => "node_entered",
            Event::ChoiceMade { .. } => "choice_made",
            Event::ReloadSucceeded { .. } => "reload_succeeded",
            Event::ReloadFailed { .. } => "reload_failed",
            Event::InputLatency { .. } => "input_latency",
            Event::Error { .. } => "error",
            Event::BudgetExceeded { .. } => "budget_exceeded",
        }
    }
}

/// An event and when it was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// How telemetry is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Events the queue holds between flushes; beyond, the oldest are dropped.
    pub queue: usize,
    /// The JSON-lines file to append to, if any.
    pub file: Option<PathBuf>,
    /// The most bytes written to the file; past it, events are counted, not written.
    pub file_budget: u64,
}

impl Default for TelemetryConfig {
    /// 16,384 queued events, no file, a 64 MiB file budget.
    fn default() -> Self {
        TelemetryConfig {
            queue: 16_384,
            file: None,
            file_budget: 64 << 20,
        }
    }
}

/// Counts of telemetry's own work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TelemetryStats {
    /// Events accepted.
    pub recorded: u64,
    /// Accepted events written to the sinks (the reports of drops and panics that a
    /// flush adds are not counted).
    pub flushed: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Events waiting now.
    pub queued: usize,
}

/// The sinks, and the buffer a flush drains the queue into.
struct Flushing {
    sinks: Vec<Box<dyn Sink>>,
    batch: Vec<Record>,
}

struct Inner {
    queue: ArrayQueue<Record>,
    pool: Arc<Pool>,
    registry: Arc<Registry>,
    /// Held by the one flush running.
    flushing: Mutex<Flushing>,
    flush_scheduled: AtomicBool,
    closed: AtomicBool,
    recorded: AtomicU64,
    flushed: AtomicU64,
    dropped: Arc<Counter>,
    queue_depth: Arc<Gauge>,
    /// Drops already reported as an event.
    dropped_reported: AtomicU64,
}

/// The telemetry pipeline; clone it freely (it is an `Arc`).
#[derive(Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Telemetry {
    /// Telemetry flushing on `pool` into `registry` and, if configured, a file.
    ///
    /// # Errors
    /// When the file cannot be opened for appending.
    pub fn new(
        pool: Arc<Pool>,
        registry: Arc<Registry>,
        config: &TelemetryConfig,
    ) -> std::io::Result<Telemetry> {
        let mut sinks: Vec<Box<dyn Sink>> = vec![Box::new(sink::Metrics::new(&registry))];
        if let Some(path) = &config.file {
            sinks.push(Box::new(JsonLines::append(
                path,
                config.file_budget,
                &registry,
            )?));
        }
        Ok(Telemetry::with_sinks(pool, registry, config.queue, sinks))
    }

    /// Telemetry flushing on `pool` into the given sinks (and nothing else).
    pub fn with_sinks(
        pool: Arc<Pool>,
        registry: Arc<Registry>,
        queue: usize,
        sinks: Vec<Box<dyn Sink>>,
    ) -> Telemetry {
        let dropped = registry.counter(
            "qnce_telemetry_dropped_total",
            "Telemetry events dropped because the queue was full",
            &[],
        );
        let queue_depth = registry.gauge(
            "qnce_telemetry_queue_depth",
            "Telemetry events waiting to be flushed",
            &[],
        );
        Telemetry {
            inner: Arc::new(Inner {
                queue_depth,
                queue: ArrayQueue::new(queue.max(1)),
                pool,
                registry,
                flushing: Mutex::new(Flushing {
                    sinks,
                    batch: Vec::new(),
                }),
                flush_scheduled: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                recorded: AtomicU64::new(0),
                flushed: AtomicU64::new(0),
                dropped,
                dropped_reported: AtomicU64::new(0),
            }),
        }
    }

    /// The registry the events are counted in.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// Queues an event for the sinks; never blocks. After [`Telemetry::close`] it does
    /// nothing.
    pub fn record(&self, event: Event) {
        let inner = &self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return;
        }
        let record = Record {
            ts_ms: now_ms(),
            event,
        };
        inner.recorded.fetch_add(1, Ordering::Relaxed);
        if inner.queue.force_push(record).is_some() {
            inner.dropped.inc();
        }
        inner.queue_depth.set(inner.queue.len() as i64);
        self.schedule_flush();
    }

    /// Records an input's latency.
    pub fn input_latency(&self, latency: Duration) {
        self.record(Event::InputLatency {
            micros: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        });
    }

    fn schedule_flush(&self) {
        let inner = &self.inner;
        if inner.flush_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let telemetry = self.clone();
        let spawned = inner
            .pool
            .spawn(Priority::Low, AtShutdown::Finish, move || telemetry.flush());
        if spawned.is_err() {
            // The queue keeps the events; the next record tries again, and close flushes.
            inner.flush_scheduled.store(false, Ordering::Release);
        }
    }

    /// Writes every queued event to the sinks, on the calling thread. The pool's flush
    /// job calls it; so does [`Telemetry::close`].
    pub fn flush(&self) {
        let inner = &self.inner;
        // Cleared before draining: an event queued from here on schedules another flush.
        inner.flush_scheduled.store(false, Ordering::Release);
        let mut guard = inner
            .flushing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Flushing { sinks, batch } = &mut *guard;
        batch.clear();
        while let Some(record) = inner.queue.pop() {
            batch.push(record);
        }
        let n_drained = batch.len() as u64;
        inner.queue_depth.set(inner.queue.len() as i64);
        let dropped = inner.dropped.get();
        let reported = inner.dropped_reported.swap(dropped, Ordering::Relaxed);
        if dropped > reported {
            batch.push(Record {
                ts_ms: now_ms(),
                event: Event::BudgetExceeded {
                    budget: "telemetry_queue".to_owned(),
                    limit: inner.queue.capacity() as u64,
                    requested: inner.queue.capacity() as u64 + (dropped - reported),
                },
            });
        }
        for panic in inner.pool.take_panics() {
            batch.push(Record {
                ts_ms: now_ms(),
                event: Event::Error {
                    message: format!("a job panicked on {}: {}", panic.thread, panic.message),
                },
            });
        }
        if batch.is_empty() {
            return;
        }
        for sink in sinks.iter_mut() {
            sink.write(batch);
        }
        inner.flushed.fetch_add(n_drained, Ordering::Relaxed);
    }

    /// Stops accepting events and flushes what was accepted, on the calling thread.
    /// Events recorded by other threads while it runs may be refused.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.flush();
        let mut guard = self
            .inner
            .flushing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for sink in guard.sinks.iter_mut() {
            sink.close();
        }
    }

    /// The counts now.
    pub fn stats(&self) -> TelemetryStats {
        let inner = &self.inner;
        TelemetryStats {
            recorded: inner.recorded.load(Ordering::Relaxed),
            flushed: inner.flushed.load(Ordering::Relaxed),
            dropped: inner.dropped.get(),
            queued: inner.queue.len(),
        }
    }
}
