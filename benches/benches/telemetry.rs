//! The cost of observability: stepping with the span-timing layer on against off, and a
//! graceful shutdown with 10,000 telemetry events queued.
//!
//! `cargo bench -p qnce-benches --bench telemetry`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use qnce::pool::{AtShutdown, Pool, PoolConfig, Priority};
use qnce::runtime::Rng;
use qnce::telemetry::{Event, Registry, SpanTimings, Telemetry, TelemetryConfig};
use qnce::{Limits, Session, SessionConfig, Story};
use qnce_benches::generate::{StoryShape, write_story};
use tracing_subscriber::layer::SubscriberExt as _;

fn large_story() -> Story {
    let dir = std::env::temp_dir().join("qnce-bench-telemetry-large");
    write_story(&dir, StoryShape::LARGE).expect("writing the generated story");
    qnce::load(&dir, &Limits::default())
        .expect("generated story loads")
        .value
}

/// One step of a seeded random walk, starting over when the walk ends.
fn step(story: &Story, session: &mut Session, walk: &mut Rng) -> usize {
    if session.is_ended() {
        *session =
            Session::new(story, SessionConfig::with_seed(walk.next_u64())).expect("session starts");
    }
    let pick = walk.range(0, session.n_choices() as i64 - 1) as usize;
    session.choose(story, pick).expect("step").len()
}

/// Which sides of the span bench to run: `QNCE_BENCH_SPANS=off` or `on` runs one (for
/// `benches/scripts/span-overhead.sh`, which alternates processes), unset runs both.
fn sides() -> (bool, bool) {
    match std::env::var("QNCE_BENCH_SPANS").as_deref() {
        Ok("off") => (true, false),
        Ok("on") => (false, true),
        _ => (true, true),
    }
}

fn spans(c: &mut Criterion) {
    let story = large_story();
    let (off, on) = sides();
    let mut group = c.benchmark_group("spans");
    // Each side starts from the same state: a session's cost drifts as its history grows.
    let fresh = || {
        let session = Session::new(&story, SessionConfig::with_seed(1)).expect("starts");
        (session, Rng::new(7))
    };
    if off {
        // No subscriber at all, as in a game that does not profile.
        let (mut session, mut walk) = fresh();
        group.bench_function("step/off", |b| {
            b.iter(|| step(&story, &mut session, &mut walk))
        });
    }
    if on {
        // The layer as `qnce play` installs it: the process's global subscriber (a scoped
        // one would add tracing's per-callsite dispatch lookups to both sides).
        let subscriber =
            tracing_subscriber::registry().with(SpanTimings::new(Arc::new(Registry::default())));
        tracing::subscriber::set_global_default(subscriber).expect("the first global subscriber");
        let (mut session, mut walk) = fresh();
        group.bench_function("step/on", |b| {
            b.iter(|| step(&story, &mut session, &mut walk))
        });
    }
    group.finish();
}

const N_EVENTS: u64 = 10_000;

fn shutdown(c: &mut Criterion) {
    let file =
        std::env::temp_dir().join(format!("qnce-bench-telemetry-{}.jsonl", std::process::id()));
    let mut group = c.benchmark_group("shutdown");
    group.sample_size(20);
    group.bench_function("10k-queued-events", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let _ = std::fs::remove_file(&file);
                let pool = Arc::new(
                    Pool::new(&PoolConfig {
                        threads: 1,
                        ..PoolConfig::default()
                    })
                    .expect("pool"),
                );
                let config = TelemetryConfig {
                    file: Some(file.clone()),
                    ..TelemetryConfig::default()
                };
                let telemetry =
                    Telemetry::new(Arc::clone(&pool), Arc::new(Registry::default()), &config)
                        .expect("telemetry file");
                // Hold the worker so that all 10,000 events are still queued at shutdown.
                let (release, gate) = crossbeam_channel::bounded::<()>(0);
                pool.spawn(Priority::High, AtShutdown::Finish, move || {
                    let _ = gate.recv();
                })
                .expect("spawn");
                for i in 0..N_EVENTS {
                    telemetry.record(Event::NodeEntered {
                        flow: "main".into(),
                        node: format!("n{i}"),
                    });
                }
                let start = Instant::now();
                drop(release);
                telemetry.close();
                pool.shutdown();
                total += start.elapsed();
                let stats = telemetry.stats();
                assert_eq!(
                    (stats.flushed, stats.dropped),
                    (N_EVENTS, 0),
                    "no event lost"
                );
            }
            total
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&file);
}

criterion_group!(benches, spans, shutdown);
criterion_main!(benches);
