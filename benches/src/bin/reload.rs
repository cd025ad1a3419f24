//! Measures live reload on the generated 10,000-node story over 100 files: a one-node text
//! edit through the whole reload path against rebuilding the story from all its files, the
//! time of each phase, and resident memory over many reloads.
//!
//! `cargo run --release -p qnce-benches --bin reload [-- CYCLES]` (default 1000)
//!
//! Each cycle writes one include file with one node's text changed (alternating between
//! two versions), then reloads it through `Reloader::reload` and records the phase
//! timings the reloader reports. Writing the file is not timed.
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use qnce::Limits;
use qnce::reload::{Reloader, Timings};
use qnce_benches::generate::{StoryShape, file_name, write_story};

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i]
}

fn median(v: Vec<Duration>) -> Duration {
    percentile(v, 0.5)
}

/// Resident set size now, in KiB (Linux only; 0 elsewhere).
fn rss_kib() -> u64 {
    qnce_benches::proc_status_kib("VmRSS")
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cycles: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("qnce-reload-{}", std::process::id()));
    let shape = StoryShape::LARGE;
    write_story(&dir, shape)?;

    // Rebuilding from all files: what an engine without deltas does on every save.
    let mut rebuilds = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let loaded = qnce::load(&dir, &Limits::default())?;
        rebuilds.push(t.elapsed());
        drop(loaded);
    }
    let rebuild = median(rebuilds);

    // The edited file holds node 5000, in the middle of the story.
    let part: PathBuf = dir.join(file_name(50));
    let original = std::fs::read_to_string(&part)?;
    let edited = original.replacen("\"Room 5000. ", "\"Hall 5000. ", 1);
    assert_ne!(original, edited, "node 5000 is in {}", part.display());
    let parts = [original, edited];

    let (mut story, mut reloader) = Reloader::load(&dir, &Limits::default())?.value;
    let mut timings: Vec<Timings> = Vec::with_capacity(cycles);
    let mut walls: Vec<Duration> = Vec::with_capacity(cycles);
    let mut rss_after_10 = 0;
    for cycle in 0..cycles {
        std::fs::write(&part, &parts[(cycle + 1) % 2])?;
        let t = Instant::now();
        let report = reloader.reload(&mut story, Some(std::slice::from_ref(&part)))?;
        walls.push(t.elapsed());
        assert_eq!(report.delta.nodes_changed.len(), 1);
        assert!(report.partial);
        timings.push(report.timings);
        if cycle + 1 == 10 {
            rss_after_10 = rss_kib();
        }
    }
    let rss_end = rss_kib();

    let phase = |f: fn(&Timings) -> Duration| timings.iter().map(f).collect::<Vec<_>>();
    let wall = median(walls);
    let total = median(phase(Timings::total));
    let parsing = median(phase(|t| t.parsing));
    let diff_apply = median(phase(|t| t.diffing + t.applying));
    println!(
        "story: {} nodes over {} files; edit: the text of n5000 in {}",
        story.n_nodes(),
        shape.n_files,
        file_name(50)
    );
    println!("cycles: {cycles} reloads (medians below; p50/p99 where given)");
    println!(
        "full rebuild (load from all files): {:.1} ms (median of 11)",
        rebuild.as_secs_f64() * 1e3
    );
    println!(
        "reload, whole path (wall clock around Reloader::reload): {:.0} us -> {:.0}x faster than a full rebuild",
        us(wall),
        rebuild.as_secs_f64() / wall.as_secs_f64()
    );
    println!("  sum of the phases below: {:.0} us", us(total));
    println!(
        "  reading {:.0} us, parsing {:.0} us, validating {:.0} us, diffing {:.1} us, applying {:.1} us",
        us(median(phase(|t| t.reading))),
        us(parsing),
        us(median(phase(|t| t.validating))),
        us(median(phase(|t| t.diffing))),
        us(median(phase(|t| t.applying))),
    );
    println!(
        "diff + apply: {:.1} us = {:.3} of parsing the changed file",
        us(diff_apply),
        diff_apply.as_secs_f64() / parsing.as_secs_f64()
    );
    println!(
        "apply alone (one text field): p50 {:.2} us, p99 {:.2} us",
        us(percentile(phase(|t| t.applying), 0.5)),
        us(percentile(phase(|t| t.applying), 0.99)),
    );
    println!(
        "resident memory: {rss_after_10} KiB after 10 reloads, {rss_end} KiB after {cycles}: {:+} KiB",
        rss_end as i64 - rss_after_10 as i64
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
