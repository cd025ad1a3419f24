//! `qnce perf`: watching a running engine from another process, through the metrics
//! endpoint that `qnce play --metrics-addr` serves.
//!
//! [`fetch`] reads a [`Snapshot`] (`/snapshot.json`); [`Report`] picks out what a person
//! wants to see (span quantiles, cache hit rate, queues) and checks it against
//! [`Thresholds`]; [`table`] and [`csv`] write it; [`live`] draws it with history.

pub mod live;

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use qnce::telemetry::{FREQUENT, SPAN_METRIC, Snapshot, Summary};

/// How long a request may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why the engine could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// No connection, or it broke.
    #[error("cannot reach {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The endpoint answered something else than expected.
    #[error("{addr} answered {status}")]
    Status {
        /// The address.
        addr: SocketAddr,
        /// The HTTP status line.
        status: String,
    },
    /// The snapshot was not JSON of the expected shape.
    #[error("{addr} sent a snapshot that does not read: {source}")]
    Json {
        /// The address.
        addr: SocketAddr,
        /// The parse error.
        source: serde_json::Error,
    },
}

fn request(addr: SocketAddr, method: &str, path: &str) -> Result<String, PerfError> {
    let io = |source| PerfError::Io { addr, source };
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).map_err(io)?;
    let status = status.trim_end().to_owned();
    let mut body = String::new();
    reader.read_to_string(&mut body).map_err(io)?;
    if !status.starts_with("HTTP/1.1 200") {
        return Err(PerfError::Status { addr, status });
    }
    let body = body.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok(body.to_owned())
}

/// Reads every metric of the engine at `addr`.
///
/// # Errors
/// [`PerfError`] when it cannot be reached or answers wrongly.
pub fn fetch(addr: SocketAddr) -> Result<Snapshot, PerfError> {
    let body = request(addr, "GET", "/snapshot.json")?;
    serde_json::from_str(&body).map_err(|source| PerfError::Json { addr, source })
}

/// Empties the engine's histograms (counters keep counting).
///
/// # Errors
/// [`PerfError`] when it cannot be reached or refuses.
pub fn reset(addr: SocketAddr) -> Result<(), PerfError> {
    request(addr, "POST", "/reset").map(|_| ())
}

/// When to raise an alert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Reload p99 above this.
    pub reload_p99: Duration,
    /// Step p99 above this.
    pub step_p99: Duration,
    /// Asset cache hit rate below this (0 to 1), once there were lookups.
    pub hit_rate: f64,
    /// Pool queue depth (both queues) above this.
    pub queue_depth: i64,
    /// Lookups the cache must have seen before its hit rate can raise an alert (the first
    /// node of a session always misses).
    pub min_lookups: u64,
}

impl Default for Thresholds {
    /// Reload p99 50 ms, step p99 1 ms, hit rate 95% (after 20 lookups), queue depth 512.
    fn default() -> Self {
        Thresholds {
            reload_p99: Duration::from_millis(50),
            step_p99: Duration::from_millis(1),
            hit_rate: 0.95,
            queue_depth: 512,
            min_lookups: 20,
        }
    }
}

/// The spans shown, in order.
pub const SPANS: [&str; 10] = [
    "step", "input", "undo", "redo", "reload", "load", "parse", "diff", "apply", "preload",
];

/// What `qnce perf` shows of a snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Span durations, by span name, those seen.
    pub spans: Vec<(&'static str, Summary)>,
    /// For sampled spans, how many there were in all (the summary is of a sample).
    pub seen: Vec<(&'static str, u64)>,
    /// Input latency (key or command to frame or output).
    pub input_latency: Summary,
    /// Asset cache lookups that hit.
    pub cache_hits: u64,
    /// Asset cache lookups that missed.
    pub cache_misses: u64,
    /// Assets evicted.
    pub cache_evictions: u64,
    /// Bytes the cache holds.
    pub cache_bytes: i64,
    /// Jobs waiting in the pool, both queues.
    pub queue_depth: i64,
    /// Pool jobs that panicked.
    pub panicked: u64,
    /// Pool jobs refused (queue full).
    pub rejected: u64,
    /// Telemetry events dropped (queue full).
    pub telemetry_dropped: u64,
    /// Reloads applied and rejected.
    pub reloads: (u64, u64),
    /// Alerts raised against the thresholds.
    pub alerts: Vec<String>,
}

fn span_key(name: &str) -> String {
    format!("{SPAN_METRIC}{{span=\"{name}\"}}")
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

impl Report {
    /// Picks the report out of `snapshot` and checks it against `thresholds`.
    pub fn new(snapshot: &Snapshot, thresholds: &Thresholds) -> Report {
        let spans: Vec<_> = SPANS
            .iter()
            .filter_map(|&name| {
                let summary = snapshot.histograms.get(&span_key(name))?;
                Some((name, *summary))
            })
            .collect();
        let seen = FREQUENT
            .iter()
            .filter_map(|&name| {
                let key = format!("qnce_spans_seen_total{{span=\"{name}\"}}");
                // Zero when every span is kept (a trace is being written): not sampled.
                snapshot
                    .counters
                    .get(&key)
                    .filter(|&&n| n > 0)
                    .map(|&n| (name, n))
            })
            .collect();
        let mut report = Report {
            spans,
            seen,
            input_latency: snapshot.histogram("qnce_input_latency_seconds"),
            cache_hits: snapshot.counter("qnce_asset_cache_hits_total"),
            cache_misses: snapshot.counter("qnce_asset_cache_misses_total"),
            cache_evictions: snapshot.counter("qnce_asset_cache_evictions_total"),
            cache_bytes: snapshot.gauge("qnce_asset_cache_bytes"),
            queue_depth: snapshot.gauge(r#"qnce_pool_queue_depth{priority="high"}"#)
                + snapshot.gauge(r#"qnce_pool_queue_depth{priority="low"}"#),
            panicked: snapshot.counter("qnce_pool_jobs_panicked_total"),
            rejected: snapshot.counter("qnce_pool_jobs_rejected_total"),
            telemetry_dropped: snapshot.counter("qnce_telemetry_dropped_total"),
            reloads: (
                snapshot.counter(r#"qnce_reloads_total{outcome="ok"}"#),
                snapshot.counter(r#"qnce_reloads_total{outcome="failed"}"#),
            ),
            alerts: Vec::new(),
        };
        report.alerts = report.check(thresholds);
        report
    }

    /// The span summary of `name` (empty when never seen).
    pub fn span(&self, name: &str) -> Summary {
        self.spans
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(Summary::default, |(_, s)| *s)
    }

    /// Hits over lookups, when there were lookups.
    pub fn hit_rate(&self) -> Option<f64> {
        let lookups = self.cache_hits + self.cache_misses;
        (lookups > 0).then(|| self.cache_hits as f64 / lookups as f64)
    }

    fn check(&self, t: &Thresholds) -> Vec<String> {
        let mut alerts = Vec::new();
        let over = |name: &str, limit: Duration| {
            let p99 = self.span(name).p99_ns;
            (p99 > limit.as_nanos() as u64).then(|| {
                format!(
                    "{name} p99 {:.3} ms > {:.3} ms",
                    ms(p99),
                    limit.as_secs_f64() * 1e3
                )
            })
        };
        alerts.extend(over("reload", t.reload_p99));
        alerts.extend(over("step", t.step_p99));
        if let Some(rate) = self.hit_rate()
            && rate < t.hit_rate
            && self.cache_hits + self.cache_misses >= t.min_lookups
        {
            alerts.push(format!(
                "asset cache hit rate {:.1}% < {:.1}%",
                rate * 100.0,
                t.hit_rate * 100.0
            ));
        }
        if self.queue_depth > t.queue_depth {
            alerts.push(format!(
                "pool queue depth {} > {}",
                self.queue_depth, t.queue_depth
            ));
        }
        alerts
    }
}

/// The one-shot table of `qnce perf dashboard`.
pub fn table(addr: SocketAddr, report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "qnce at {addr}");
    let _ = writeln!(
        out,
        "{:<14} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "span (ms)", "count", "p50", "p95", "p99", "max"
    );
    let rows = report
        .spans
        .iter()
        .map(|(name, s)| (*name, *s))
        .chain([("input latency", report.input_latency)]);
    let mut sampled = false;
    for (name, s) in rows {
        let count = match report.seen.iter().find(|(n, _)| *n == name) {
            Some((_, seen)) if *seen != s.count => {
                sampled = true;
                format!("{seen}*")
            }
            _ => s.count.to_string(),
        };
        let _ = writeln!(
            out,
            "{name:<14} {count:>9} {:>10.3} {:>10.3} {:>10.3} {:>10.3}",
            ms(s.p50_ns),
            ms(s.p95_ns),
            ms(s.p99_ns),
            ms(s.max_ns)
        );
    }
    if sampled {
        let _ = writeln!(out, "               * quantiles of a sample of these spans");
    }
    let rate = report
        .hit_rate()
        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let _ = writeln!(
        out,
        "asset cache    hits {} misses {} hit rate {rate} evictions {} bytes {}",
        report.cache_hits, report.cache_misses, report.cache_evictions, report.cache_bytes
    );
    let _ = writeln!(
        out,
        "pool           queued {} panicked {} rejected {}",
        report.queue_depth, report.panicked, report.rejected
    );
    let _ = writeln!(
        out,
        "telemetry      dropped {}    reloads ok {} failed {}",
        report.telemetry_dropped, report.reloads.0, report.reloads.1
    );
    if report.alerts.is_empty() {
        let _ = writeln!(out, "alerts         none");
    }
    for alert in &report.alerts {
        let _ = writeln!(out, "ALERT          {alert}");
    }
    out
}

/// Every metric of `snapshot` as CSV: `kind,name,value,count,sum_ns,p50_ns,p95_ns,p99_ns,max_ns`.
pub fn csv(snapshot: &Snapshot) -> String {
    let mut out = String::from("kind,name,value,count,sum_ns,p50_ns,p95_ns,p99_ns,max_ns\n");
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    for (name, value) in &snapshot.counters {
        let _ = writeln!(out, "counter,{},{value},,,,,,", quote(name));
    }
    for (name, value) in &snapshot.gauges {
        let _ = writeln!(out, "gauge,{},{value},,,,,,", quote(name));
    }
    for (name, s) in &snapshot.histograms {
        let _ = writeln!(
            out,
            "histogram,{},,{},{},{},{},{},{}",
            quote(name),
            s.count,
            s.sum_ns,
            s.p50_ns,
            s.p95_ns,
            s.p99_ns,
            s.max_ns
        );
    }
    out
}
