//! [`SpanTimings`]: a `tracing-subscriber` layer that times the engine's spans into the
//! registry's histograms (`qnce_span_duration_seconds{span="step"}` and so on).
//!
//! The engine's spans (target `qnce`) are at `DEBUG` level: `load`, `parse`, `diff`,
//! `apply`, `reload`, `step`, `undo`, `redo`, `input`, `preload`; expression evaluation
//! (`eval`, one per condition, effect or interpolation) is at `TRACE`, for when a profile
//! needs it. A span is timed from enter to exit; the start time waits on a per-thread
//! stack.
//!
//! A span costs a few hundred nanoseconds in `tracing-subscriber`'s registry, a tenth of a
//! step. So the frequent spans (`step`, `undo`, `redo`, `eval`) are sampled: one in
//! [`SpanConfig::sample_every`] is created and timed, the others are refused before the
//! registry sees them and only counted (`qnce_spans_seen_total`). Quantiles of a sample are
//! those of the whole to within sampling error; the histogram's `_count` is the sample's.
//! With `sample_every: 1` every span is kept (for a Chrome trace).

use std::cell::{Cell, RefCell};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use rustc_hash::FxHashMap;
use tracing::callsite::Identifier;
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::metrics::{Counter, Histogram, Registry};

/// The histogram family of span durations.
pub const SPAN_METRIC: &str = "qnce_span_duration_seconds";

/// The target of the engine's spans.
pub const TARGET: &str = "qnce";

/// The engine's frequent spans, sampled.
pub const FREQUENT: [&str; 4] = ["step", "undo", "redo", "eval"];

thread_local! {
    /// The spans entered on this thread and when, innermost last.
    static ENTERED: RefCell<Vec<(u64, Instant)>> = const { RefCell::new(Vec::new()) };
    /// For each of [`FREQUENT`], spans to refuse on this thread before keeping the next.
    /// Counted by name, so that a pattern of calls (step, undo, step, undo) cannot make
    /// the sample all of one name.
    static SKIP: Cell<[u32; FREQUENT.len()]> = const { Cell::new([0; FREQUENT.len()]) };
}

/// What [`SpanTimings`] times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanConfig {
    /// The most detailed level timed (and let through to other layers).
    pub level: LevelFilter,
    /// Keep one frequent span in this many (1 keeps all).
    pub sample_every: u32,
}

impl Default for SpanConfig {
    /// `DEBUG`, one frequent span in 16.
    fn default() -> Self {
        SpanConfig {
            level: LevelFilter::DEBUG,
            sample_every: 16,
        }
    }
}

/// Times spans into a [`Registry`]; add it to a `tracing_subscriber::registry()`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use qnce_services::telemetry::{Registry, SpanTimings};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let registry = Arc::new(Registry::default());
/// let subscriber = tracing_subscriber::registry().with(SpanTimings::new(Arc::clone(&registry)));
/// tracing::subscriber::with_default(subscriber, || {
///     let _span = tracing::debug_span!(target: "qnce", "step").entered();
/// });
/// let snapshot = registry.snapshot();
/// assert_eq!(snapshot.histogram(r#"qnce_span_duration_seconds{span="step"}"#).count, 1);
/// ```
pub struct SpanTimings {
    registry: Arc<Registry>,
    config: SpanConfig,
    /// For each of [`FREQUENT`], every span seen, kept or not.
    seen: [Arc<Counter>; FREQUENT.len()],
    /// Each callsite's histogram; `None` for spans that are not the engine's.
    histograms: RwLock<FxHashMap<Identifier, Option<Arc<Histogram>>>>,
}

impl std::fmt::Debug for SpanTimings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanTimings").finish_non_exhaustive()
    }
}

impl SpanTimings {
    /// A layer recording into `registry`, as [`SpanConfig::default`] says.
    pub fn new(registry: Arc<Registry>) -> SpanTimings {
        SpanTimings::with_config(registry, SpanConfig::default())
    }

    /// A layer recording into `registry`, as `config` says.
    pub fn with_config(registry: Arc<Registry>, config: SpanConfig) -> SpanTimings {
        let seen = FREQUENT.map(|name| {
            registry.counter(
                "qnce_spans_seen_total",
                "Frequent spans seen, sampled or not",
                &[("span", name)],
            )
        });
        SpanTimings {
            registry,
            config,
            seen,
            histograms: RwLock::default(),
        }
    }

    fn frequent(&self, metadata: &Metadata<'_>) -> Option<usize> {
        if self.config.sample_every <= 1 || !metadata.is_span() {
            return None;
        }
        let name = metadata.name();
        FREQUENT.iter().position(|&f| f == name)
    }

    fn histogram(&self, metadata: &'static Metadata<'static>) -> Option<Arc<Histogram>> {
        let key = metadata.callsite();
        if let Some(known) = self
            .histograms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return known.clone();
        }
        let histogram = metadata.target().starts_with(TARGET).then(|| {
            self.registry.histogram(
                SPAN_METRIC,
                "How long each of the engine's spans took",
                &[("span", metadata.name())],
            )
        });
        self.histograms
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, histogram.clone());
        histogram
    }
}

impl<S> Layer<S> for SpanTimings
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if *metadata.level() > self.config.level {
            Interest::never()
        } else if self.frequent(metadata).is_some() {
            // Asked each time, to sample.
            Interest::sometimes()
        } else {
            Interest::always()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.config.level)
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        if *metadata.level() > self.config.level {
            return false;
        }
        let Some(i) = self.frequent(metadata) else {
            return true;
        };
        self.seen[i].inc();
        SKIP.with(|skip| {
            let mut counts = skip.get();
            let keep = counts[i] == 0;
            counts[i] = if keep {
                self.config.sample_every - 1
            } else {
                counts[i] - 1
            };
            skip.set(counts);
            keep
        })
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        // Make the histogram now, off the timed path, so that the first exit finds it.
        self.histogram(attrs.metadata());
    }

    fn on_enter(&self, id: &Id, _ctx: Context<'_, S>) {
        let now = Instant::now();
        ENTERED.with(|entered| entered.borrow_mut().push((id.into_u64(), now)));
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        let now = Instant::now();
        let id_u64 = id.into_u64();
        let start = ENTERED.with(|entered| {
            let mut entered = entered.borrow_mut();
            // Spans exit in the reverse order of entering, but a guard moved across an
            // await or dropped early may break that; look from the top.
            let at = entered
                .iter()
                .rposition(|&(entered_id, _)| entered_id == id_u64)?;
            Some(entered.remove(at).1)
        });
        let (Some(start), Some(metadata)) = (start, ctx.metadata(id)) else {
            return;
        };
        if let Some(histogram) = self.histogram(metadata) {
            histogram.record(now.saturating_duration_since(start));
        }
    }
}
