//! The span-timing layer's cost per step, in a way a noisy machine cannot blur: run with
//! the layer `off` or `on` under `perf stat -e instructions:u`, and compare instructions
//! per step. Also prints its own wall-clock steps per second.
//!
//! `span-cost off|on [STEPS] [SAMPLE_EVERY]` (default 2,000,000 steps of a seeded random
//! walk over the generated 10,000-node story; the layer's default sampling, one frequent
//! span in 16). `benches/scripts/span-share.sh` runs both sides under `perf record`.

use std::sync::Arc;
use std::time::Instant;

use qnce::runtime::Rng;
use qnce::telemetry::{Registry, SpanConfig, SpanTimings};
use qnce::{Limits, Session, SessionConfig};
use qnce_benches::generate::{StoryShape, write_story};
use tracing_subscriber::layer::SubscriberExt as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let on = match args.next().as_deref() {
        Some("on") => true,
        Some("off") => false,
        _ => return Err("usage: span-cost off|on [STEPS] [SAMPLE_EVERY]".into()),
    };
    let n_steps: u64 = args.next().map_or(Ok(2_000_000), |n| n.parse())?;
    let sample_every: u32 = args
        .next()
        .map_or(Ok(SpanConfig::default().sample_every), |n| n.parse())?;
    let dir = std::env::temp_dir().join("qnce-bench-span-cost");
    write_story(&dir, StoryShape::LARGE)?;
    let story = qnce::load(&dir, &Limits::default())?.value;
    let registry = Arc::new(Registry::default());
    if on {
        let config = SpanConfig {
            sample_every,
            ..SpanConfig::default()
        };
        let subscriber = tracing_subscriber::registry()
            .with(SpanTimings::with_config(Arc::clone(&registry), config));
        tracing::subscriber::set_global_default(subscriber)?;
    }
    let mut session = Session::new(&story, SessionConfig::with_seed(1))?;
    let mut walk = Rng::new(7);
    let start = Instant::now();
    let mut n_events = 0;
    for _ in 0..n_steps {
        if session.is_ended() {
            session = Session::new(&story, SessionConfig::with_seed(walk.next_u64()))?;
        }
        let pick = walk.range(0, session.n_choices() as i64 - 1) as usize;
        n_events += session.choose(&story, pick)?.len();
    }
    let took = start.elapsed();
    let timed = registry
        .snapshot()
        .histogram(r#"qnce_span_duration_seconds{span="step"}"#)
        .count;
    #[expect(clippy::print_stdout, reason = "it prints its measurements")]
    {
        println!(
            "spans {}: {n_steps} steps ({n_events} events) in {:.3} s, {:.0} steps/s, {timed} timed",
            if on { "on" } else { "off" },
            took.as_secs_f64(),
            n_steps as f64 / took.as_secs_f64()
        );
    }
    Ok(())
}
