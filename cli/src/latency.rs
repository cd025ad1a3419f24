//! Input latency: from the moment an input was read (a key, a controller event) to the
//! frame that shows its effect drawn. The runner records every input; p50 and p99 come
//! from the most recent samples.

use std::collections::VecDeque;
use std::time::Duration;

/// How many recent samples the percentiles are taken over.
const WINDOW: usize = 4096;

/// Recent input latencies.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    samples: VecDeque<Duration>,
    n_recorded: u64,
}

impl Latency {
    /// Records one input's latency.
    pub fn record(&mut self, latency: Duration) {
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(latency);
        self.n_recorded += 1;
    }

    /// How many inputs were recorded in all.
    pub fn n_recorded(&self) -> u64 {
        self.n_recorded
    }

    /// The `q`-quantile (0 to 1) of the recent samples, by the nearest-rank method; `None`
    /// before the first input.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.samples.is_empty() {
            return None;
        }
        let mut sorted: Vec<Duration> = self.samples.iter().copied().collect();
        sorted.sort_unstable();
        // Nearest rank: the smallest sample with at least q of the samples at or below it.
        let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
        sorted.get(rank.saturating_sub(1)).copied()
    }
}
