//! How load (on one thread and on the engine's pool), a one-node live edit and a step
//! grow with the story, at 1,000 and 10,000 nodes (the quick mode of CI runs these); the
//! `scaling` binary adds 100,000 and 300,000 nodes, memory and each reload's phases
//! (BENCHMARKS.md).
//!
//! `cargo bench -p qnce-benches --bench scaling`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use qnce::Limits;
use qnce::load::ParallelMap;
use qnce::pool::{Pool, PoolConfig};
use qnce::reload::Reloader;
use qnce_benches::Walk;
use qnce_benches::generate::{StoryShape, middle_edit, write_story};

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    // Loads on the pool read and parse the files as `qnce play` does.
    let pool: Arc<dyn ParallelMap> =
        Arc::new(Pool::new(&PoolConfig::default()).expect("starts the pool"));
    for n_nodes in [1_000, 10_000] {
        let shape = StoryShape {
            n_nodes,
            n_files: n_nodes / 100,
            seed: 1,
        };
        let dir = std::env::temp_dir().join(format!("qnce-bench-scaling-{n_nodes}"));
        write_story(&dir, shape).expect("writing the generated story");
        let (part, versions) = middle_edit(&dir, shape).expect("the middle node");
        std::fs::write(&part, &versions[0]).expect("writing the file");
        group.bench_function(format!("load/{n_nodes}"), |b| {
            b.iter(|| qnce::load(&dir, &Limits::default()).expect("loads"))
        });
        group.bench_function(format!("load-on-the-pool/{n_nodes}"), |b| {
            b.iter(|| {
                Reloader::load_in_parallel(&dir, &Limits::default(), Arc::clone(&pool))
                    .expect("loads")
            })
        });
        let (mut story, mut reloader) = Reloader::load(&dir, &Limits::default())
            .expect("loads")
            .value;
        let mut flip = 0;
        group.bench_function(format!("reload-one-node/{n_nodes}"), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    flip ^= 1;
                    std::fs::write(&part, &versions[flip]).expect("writing the edit");
                    let t = Instant::now();
                    let report = reloader
                        .reload(&mut story, Some(std::slice::from_ref(&part)))
                        .expect("reloads");
                    total += t.elapsed();
                    assert_eq!(report.delta.nodes_changed.len(), 1);
                }
                total
            })
        });
        let mut walk = Walk::new(&story, 1).expect("starts");
        group.bench_function(format!("step/{n_nodes}"), |b| {
            b.iter(|| walk.step(&story).expect("steps"))
        });
    }
    group.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
