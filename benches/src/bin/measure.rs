//! Measures the core figures on the generated 10,000-node story: load time, steps per
//! second along a seeded random walk, and peak resident memory.
//!
//! `cargo run --release -p qnce-benches --bin measure [-- RUNS]`
//! Prints medians over RUNS loads (default 11). Wall-clock figures are for BENCHMARKS.md;
//! criterion benches give the statistically careful ones.
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::time::{Duration, Instant};

use qnce::Limits;
use qnce_benches::Walk;
use qnce_benches::generate::{StoryShape, write_story};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident set size in KiB (Linux only; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    qnce_benches::proc_status_kib("VmHWM")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(11);
    let dir = std::env::temp_dir().join(format!("qnce-measure-{}", std::process::id()));
    write_story(&dir, StoryShape::LARGE)?;
    let rss_before = peak_rss_kib();

    let mut loads = Vec::new();
    let mut story = None;
    let mut rss_first_load = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let loaded = qnce::load(&dir, &Limits::default())?;
        loads.push(t.elapsed());
        story = Some(loaded.value);
        if rss_first_load == 0 {
            rss_first_load = peak_rss_kib();
        }
    }
    let story = story.ok_or("no runs")?;
    let rss_loaded = peak_rss_kib();

    const STEPS: usize = 200_000;
    let mut rates = Vec::new();
    for run in 0..runs.min(5) {
        let mut walk = Walk::new(&story, run as u64)?;
        let t = Instant::now();
        for _ in 0..STEPS {
            walk.step(&story)?;
        }
        rates.push(t.elapsed());
    }
    let step_time = median(rates);
    println!(
        "story: {} nodes over {} files ({})",
        story.n_nodes(),
        story.files().len() - 1,
        dir.display()
    );
    println!(
        "load (read, parse, validate, build world): median {:.1} ms over {runs} runs",
        median(loads).as_secs_f64() * 1e3
    );
    println!(
        "steps: {STEPS} choices in {:.1} ms (median of {}): {:.0} steps/s, {:.0} ns/step",
        step_time.as_secs_f64() * 1e3,
        runs.min(5),
        STEPS as f64 / step_time.as_secs_f64(),
        step_time.as_nanos() as f64 / STEPS as f64
    );
    println!(
        "peak RSS: {rss_before} KiB before loading, {rss_first_load} KiB after the first load, {} KiB after {runs} loads and the walks",
        rss_loaded.max(peak_rss_kib())
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
