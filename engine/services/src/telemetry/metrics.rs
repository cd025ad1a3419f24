//! The metrics registry: counters, gauges and duration histograms, recorded lock-free and
//! read as the Prometheus text format or as a [`Snapshot`] with quantiles.
//!
//! A [`Histogram`] is log-linear: sixteen buckets for every power of two of nanoseconds,
//! so a quantile read from it is within 1/16 (6.25%) of the true value, recording is three
//! relaxed atomic additions and a `fetch_max`, and its memory is fixed (976 buckets). The
//! Prometheus buckets (`le`) are read from these fine buckets at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A count that only grows (until reset).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Sets the count, for a counter that mirrors one kept elsewhere (set by a
    /// [`Collector`]).
    pub fn set_total(&self, total: u64) {
        self.0.store(total, Ordering::Relaxed);
    }

    /// The count.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down: a queue's depth, the bytes a cache holds.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Enough buckets for every `u64`: the last index is `(63 - 4 + 1) * 16 + 15`.
const N_BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// Durations, in nanoseconds, in log-linear buckets.
#[derive(Debug)]
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..N_BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn bucket_index(nanos: u64) -> usize {
    if nanos < SUB as u64 {
        return nanos as usize;
    }
    let msb = 63 - nanos.leading_zeros();
    let shift = msb - SUB_BITS;
    (((shift + 1) as usize) << SUB_BITS) + ((nanos >> shift) as usize & (SUB - 1))
}

/// The smallest and one past the largest value of bucket `index`.
fn bucket_bounds(index: usize) -> (u64, u64) {
    if index < SUB {
        return (index as u64, index as u64 + 1);
    }
    let shift = (index >> SUB_BITS) as u32 - 1;
    let sub = (index & (SUB - 1)) as u64;
    let low = (SUB as u64 + sub) << shift;
    (low, low.saturating_add(1 << shift))
}

impl Histogram {
    /// Records a duration.
    pub fn record(&self, duration: Duration) {
        self.record_nanos(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records a duration given in nanoseconds.
    pub fn record_nanos(&self, nanos: u64) {
        self.buckets[bucket_index(nanos)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(nanos, Ordering::Relaxed);
        self.max.fetch_max(nanos, Ordering::Relaxed);
    }

    /// Forgets every recorded value. Values recorded while it runs may be half-kept.
    pub fn reset(&self) {
        for bucket in &*self.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
        self.count.store(0, Ordering::Relaxed);
        self.sum.store(0, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The summary: count, sum, quantiles, maximum.
    pub fn summary(&self) -> Summary {
        self.read().summary()
    }

    /// The buckets, sum and maximum as they are now, read once, so that what is made of
    /// them agrees with itself while values are being recorded.
    fn read(&self) -> Reading {
        Reading {
            counts: self
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
            sum_ns: self.sum.load(Ordering::Relaxed),
            max_ns: self.max.load(Ordering::Relaxed),
        }
    }
}

/// One read of a [`Histogram`].
struct Reading {
    counts: Vec<u64>,
    sum_ns: u64,
    max_ns: u64,
}

impl Reading {
    fn summary(&self) -> Summary {
        let count: u64 = self.counts.iter().sum();
        let max = self.max_ns;
        let quantile = |q: f64| -> u64 {
            if count == 0 {
                return 0;
            }
            let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
            let mut seen = 0;
            for (i, &n) in self.counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    let (low, high) = bucket_bounds(i);
                    // The middle of the bucket, but never above the largest value seen.
                    return (low + (high - low) / 2).min(max);
                }
            }
            max
        };
        Summary {
            count,
            sum_ns: self.sum_ns,
            p50_ns: quantile(0.50),
            p95_ns: quantile(0.95),
            p99_ns: quantile(0.99),
            max_ns: max,
        }
    }

    /// How many values are at most `bound` nanoseconds, to the buckets' precision (a
    /// bucket counts when its middle is within the bound).
    fn count_at_most(&self, bound: u64) -> u64 {
        let mut n = 0;
        for (i, &count) in self.counts.iter().enumerate() {
            let (low, high) = bucket_bounds(i);
            if low + (high - low) / 2 > bound {
                break;
            }
            n += count;
        }
        n
    }
}

/// A histogram's summary, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum_ns: u64,
    /// The median.
    pub p50_ns: u64,
    /// The 95th percentile.
    pub p95_ns: u64,
    /// The 99th percentile.
    pub p99_ns: u64,
    /// The largest value.
    pub max_ns: u64,
}

/// The `le` bounds of the Prometheus buckets, in seconds: 1 µs to 10 s.
const PROMETHEUS_BOUNDS: [f64; 16] = [
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 1.0,
    10.0,
];

/// A metric's labels: name and value pairs, in the order given.
pub type Labels = Vec<(&'static str, String)>;

#[derive(Debug)]
enum Metric {
    Counter(Arc<Counter>),
    Gauge(Arc<Gauge>),
    Histogram(Arc<Histogram>),
}

/// One name's series: all of one kind, whatever their labels.
#[derive(Debug)]
struct Family {
    help: &'static str,
    kind: &'static str,
    series: BTreeMap<Labels, Metric>,
}

/// Updates gauges from their sources just before the registry is read.
pub type Collector = Box<dyn Fn() + Send + Sync>;

/// Every metric of a process, by name and labels. Share it as `Arc<Registry>`; hold the
/// `Arc` of a metric to record without looking it up.
#[derive(Default)]
pub struct Registry {
    families: RwLock<BTreeMap<&'static str, Family>>,
    collectors: RwLock<Vec<Collector>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

macro_rules! metric_getter {
    ($fn_name:ident, $variant:ident, $ty:ty, $kind:literal, $doc:literal) => {
        #[doc = $doc]
        ///
        /// # Panics
        /// When `name` already names a metric of another type, with any labels (a family
        /// has one type, or its exposition would be malformed): names are constants of
        /// the engine, so this is a programming mistake.
        pub fn $fn_name(
            &self,
            name: &'static str,
            help: &'static str,
            labels: &[(&'static str, &str)],
        ) -> Arc<$ty> {
            let labels: Labels = labels.iter().map(|&(k, v)| (k, v.to_owned())).collect();
            let mut families = self
                .families
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let family = families.entry(name).or_insert_with(|| Family {
                help,
                kind: $kind,
                series: BTreeMap::new(),
            });
            assert!(
                family.kind == $kind,
                "metric {name} exists with another type"
            );
            match family
                .series
                .entry(labels)
                .or_insert_with(|| Metric::$variant(Arc::default()))
            {
                Metric::$variant(m) => Arc::clone(m),
                // Every series of a family is of the family's kind, checked above.
                _ => unreachable!("metric {name} has a series of another type"),
            }
        }
    };
}

impl Registry {
    metric_getter!(
        counter,
        Counter,
        Counter,
        "counter",
        "The counter `name` with `labels`, made on first use."
    );
    metric_getter!(
        gauge,
        Gauge,
        Gauge,
        "gauge",
        "The gauge `name` with `labels`, made on first use."
    );
    metric_getter!(
        histogram,
        Histogram,
        Histogram,
        "histogram",
        "The duration histogram `name` (in seconds when exported) with `labels`, made on first use."
    );

    /// Adds a function run before each read (to set gauges from a pool or a cache).
    pub fn collect_with(&self, collector: impl Fn() + Send + Sync + 'static) {
        self.collectors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(collector));
    }

    fn collect(&self) {
        for collector in &*self
            .collectors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
        {
            collector();
        }
    }

    /// Empties every histogram (counters and gauges keep their values, as Prometheus
    /// expects of counters).
    pub fn reset_histograms(&self) {
        let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
        for family in families.values() {
            for metric in family.series.values() {
                if let Metric::Histogram(h) = metric {
                    h.reset();
                }
            }
        }
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        self.collect();
        let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        for (name, family) in families.iter() {
            if family.series.is_empty() {
                continue;
            }
            let _ = writeln!(out, "# HELP {name} {}", escape_help(family.help));
            let _ = writeln!(out, "# TYPE {name} {}", family.kind);
            for (labels, metric) in &family.series {
                match metric {
                    Metric::Counter(c) => {
                        let _ = writeln!(out, "{name}{} {}", label_set(labels, None), c.get());
                    }
                    Metric::Gauge(g) => {
                        let _ = writeln!(out, "{name}{} {}", label_set(labels, None), g.get());
                    }
                    Metric::Histogram(h) => write_histogram(&mut out, name, labels, h),
                }
            }
        }
        out
    }

    /// Every metric with its current value, histograms summarised.
    pub fn snapshot(&self) -> Snapshot {
        self.collect();
        let families = self.families.read().unwrap_or_else(PoisonError::into_inner);
        let mut snapshot = Snapshot::default();
        for (name, family) in families.iter() {
            for (labels, metric) in &family.series {
                let key = format!("{name}{}", label_set(labels, None));
                match metric {
                    Metric::Counter(c) => {
                        snapshot.counters.insert(key, c.get());
                    }
                    Metric::Gauge(g) => {
                        snapshot.gauges.insert(key, g.get());
                    }
                    Metric::Histogram(h) => {
                        snapshot.histograms.insert(key, h.summary());
                    }
                }
            }
        }
        snapshot
    }
}

fn write_histogram(out: &mut String, name: &str, labels: &Labels, h: &Histogram) {
    // One read for every line, so that the buckets are cumulative and end at `_count`
    // while values are being recorded.
    let reading = h.read();
    let summary = reading.summary();
    for bound in PROMETHEUS_BOUNDS {
        let n = reading.count_at_most((bound * 1e9) as u64);
        let le = format!("{bound}");
        let _ = writeln!(out, "{name}_bucket{} {n}", label_set(labels, Some(&le)));
    }
    let _ = writeln!(
        out,
        "{name}_bucket{} {}",
        label_set(labels, Some("+Inf")),
        summary.count
    );
    let seconds = summary.sum_ns as f64 / 1e9;
    let _ = writeln!(out, "{name}_sum{} {seconds}", label_set(labels, None));
    let _ = writeln!(
        out,
        "{name}_count{} {}",
        label_set(labels, None),
        summary.count
    );
}

/// `{a="1",b="2"}` with `le` last when given; empty without labels.
fn label_set(labels: &Labels, le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut out = String::from("{");
    let pairs = labels
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(le.map(|le| ("le", le)));
    for (i, (key, value)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{key}=\"{}\"", escape_label(value));
    }
    out.push('}');
    out
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Every metric's value at one moment: what `qnce perf` reads from `/snapshot.json`.
/// Keys are the metric's name and labels as Prometheus writes them (`name{a="1"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Counters.
    pub counters: BTreeMap<String, u64>,
    /// Gauges.
    pub gauges: BTreeMap<String, i64>,
    /// Histograms, in nanoseconds.
    pub histograms: BTreeMap<String, Summary>,
}

impl Snapshot {
    /// A counter's value (0 when absent).
    pub fn counter(&self, key: &str) -> u64 {
        self.counters.get(key).copied().unwrap_or(0)
    }

    /// A gauge's value (0 when absent).
    pub fn gauge(&self, key: &str) -> i64 {
        self.gauges.get(key).copied().unwrap_or(0)
    }

    /// A histogram's summary (empty when absent).
    pub fn histogram(&self, key: &str) -> Summary {
        self.histograms.get(key).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_hold_their_values() {
        for v in (0..5000).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let (low, high) = bucket_bounds(bucket_index(v));
            assert!(
                low <= v && (v < high || high == u64::MAX),
                "{v}: {low}..{high}"
            );
        }
        assert_eq!(bucket_index(u64::MAX), N_BUCKETS - 1);
    }

    #[test]
    #[should_panic(expected = "metric qnce_x exists with another type")]
    fn a_name_keeps_its_type_whatever_the_labels() {
        let registry = Registry::default();
        registry.counter("qnce_x", "x", &[("a", "1")]);
        // Another label set of the same name may not make it a gauge: the exposition
        // would list a gauge series under `# TYPE qnce_x counter`.
        registry.gauge("qnce_x", "x", &[("a", "2")]);
    }

    #[test]
    fn quantiles_are_within_a_sixteenth() {
        let h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record_nanos(v * 1000);
        }
        let s = h.summary();
        for (got, want) in [(s.p50_ns, 5_000_000.0), (s.p99_ns, 9_900_000.0)] {
            let error = (got as f64 - want).abs() / want;
            assert!(error < 1.0 / 16.0, "{got} against {want}");
        }
        assert_eq!(s.max_ns, 10_000_000);
        assert_eq!(s.count, 10_000);
    }
}
