//! Live reload benches on the generated 10,000-node story over 100 files: a one-node text
//! edit through the whole reload path, the full rebuild it replaces, and the diff and the
//! apply of a one-field patch alone.
//!
//! `cargo bench -p qnce-benches --bench reload`; the `reload` binary reports the phase
//! breakdown, percentiles and memory (see BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use qnce::Limits;
use qnce::reload::Reloader;
use qnce_benches::generate::{StoryShape, file_name, write_story};

/// The story directory, the edited file and its two versions (node 5000's text differs).
fn setup() -> (PathBuf, PathBuf, [String; 2]) {
    let dir = std::env::temp_dir().join("qnce-bench-reload");
    write_story(&dir, StoryShape::LARGE).expect("writing the generated story");
    let part = dir.join(file_name(50));
    let original = std::fs::read_to_string(&part).expect("reading part 50");
    let edited = original.replacen("\"Room 5000. ", "\"Hall 5000. ", 1);
    assert_ne!(original, edited);
    (dir, part, [original, edited])
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("writing the edit");
}

fn reload(c: &mut Criterion) {
    let (dir, part, versions) = setup();
    let mut group = c.benchmark_group("reload");
    group.sample_size(10);
    group.bench_function("full-rebuild/10000", |b| {
        b.iter(|| qnce::load(&dir, &Limits::default()).expect("loads"))
    });
    write(&part, &versions[0]);
    let (mut story, mut reloader) = Reloader::load(&dir, &Limits::default())
        .expect("generated story loads")
        .value;
    let changed = std::slice::from_ref(&part);
    let mut flip = 0;
    // Each iteration saves the other version of the file (not timed), plans the reload,
    // and times the part the bench is about.
    let mut edits =
        |iters: u64, timed: &mut dyn FnMut(&mut qnce::Story, &mut Reloader) -> Duration| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                flip ^= 1;
                write(&part, &versions[flip]);
                total += timed(&mut story, &mut reloader);
            }
            total
        };
    group.sample_size(50);
    group.bench_function("text-edit/10000", |b| {
        b.iter_custom(|iters| {
            edits(iters, &mut |story, reloader| {
                let t = Instant::now();
                let report = reloader.reload(story, Some(changed)).expect("reloads");
                let took = t.elapsed();
                assert_eq!(report.delta.nodes_changed.len(), 1);
                took
            })
        })
    });
    // The diff on its own: the phase a plan times around it (reading, parsing and
    // validating come before it in `plan`, and are left out).
    group.bench_function("diff-one-node/10000", |b| {
        b.iter_custom(|iters| {
            edits(iters, &mut |story, reloader| {
                let planned = reloader.plan(story, Some(changed)).expect("plans");
                let took = planned.timings.diffing;
                let report = reloader.apply(story, planned);
                assert_eq!(report.delta.nodes_changed.len(), 1);
                took
            })
        })
    });
    group.bench_function("apply-one-field/10000", |b| {
        b.iter_custom(|iters| {
            edits(iters, &mut |story, reloader| {
                let planned = reloader.plan(story, Some(changed)).expect("plans");
                let t = Instant::now();
                let report = reloader.apply(story, planned);
                let took = t.elapsed();
                assert_eq!(report.delta.nodes_changed.len(), 1);
                took
            })
        })
    });
    group.finish();
    write(&part, &versions[0]);
}

criterion_group!(benches, reload);
criterion_main!(benches);
