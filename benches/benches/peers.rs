//! Side by side with ink (bladeink) and Yarn Spinner (yarnspinner), on one generated graph
//! written three ways (`qnce_benches::generate`):
//! - `load/<engine>/<nodes>`: source files to a story ready at its first choices (ours:
//!   RON files to a session; ink: compile, `Story::new`, continue; Yarn: compile, a
//!   dialogue set to the first node and continued);
//! - `step/<engine>`: a choice taken and the next node's text rendered, along a seeded
//!   random walk over the 10,000-node graph (restarting at endings);
//! - `live-edit/<path>`: one node's text edited in its file, then the running story
//!   brought up to date, each engine its own way: ours by a delta reload of the changed
//!   file (`qnce-delta`) or a full rebuild plus restoring the session from a save
//!   (`qnce-rebuild`); ink by recompiling, a new `Story` and the old state's JSON loaded
//!   into it (what ink's Unity player window does); Yarn by recompiling the project,
//!   replacing the dialogue's program and restarting the current node (what its Bevy
//!   plugin does).
//!
//! `cargo bench -p qnce-benches --bench peers`; ratios are in BENCHMARKS.md. Under `cargo
//! test --benches` (CI's quick mode) every bench runs once on small graphs.

#[path = "../peers/mod.rs"]
mod peers;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use peers::{Engine, Ink, Qnce, Yarn, compile_ink, compile_yarn};
use qnce::reload::Host;
use qnce::runtime::Rng;
use qnce::{Limits, Session, SessionConfig};
use qnce_benches::generate::{Graph, StoryShape, ink_source, write_story, yarn_source};

/// Whether this is CI's quick run (`cargo test --benches`, no `--bench` argument): the
/// peers take seconds to compile the 10,000-node graph even in release.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// The sizes of the load bench.
fn sizes() -> &'static [usize] {
    if quick() {
        &[100]
    } else {
        &[100, 1_000, 10_000]
    }
}

/// The size of the graph stepped and edited.
fn large() -> usize {
    if quick() { 1_000 } else { 10_000 }
}

/// The graph of `n_nodes` written as RON files, `story.ink` and `story.yarn` in one
/// directory.
fn sources(n_nodes: usize) -> PathBuf {
    let shape = StoryShape {
        n_nodes,
        n_files: (n_nodes / 100).max(1),
        seed: 1,
    };
    let dir = std::env::temp_dir().join(format!("qnce-bench-peers-{n_nodes}"));
    write_story(&dir, shape).expect("writing the RON story");
    let graph = Graph::new(n_nodes, shape.seed);
    std::fs::write(dir.join("story.ink"), ink_source(&graph)).expect("writing ink");
    std::fs::write(dir.join("story.yarn"), yarn_source(&graph)).expect("writing Yarn");
    dir
}

fn read(dir: &std::path::Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).expect("reading the generated source")
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for &n_nodes in sizes() {
        let dir = sources(n_nodes);
        group.bench_with_input(BenchmarkId::new("qnce", n_nodes), &dir, |b, dir| {
            b.iter(|| Qnce::load(dir).n_choices())
        });
        group.bench_with_input(BenchmarkId::new("ink", n_nodes), &dir, |b, dir| {
            b.iter(|| Ink::new(compile_ink(&read(dir, "story.ink"))).n_choices())
        });
        group.bench_with_input(BenchmarkId::new("yarn", n_nodes), &dir, |b, dir| {
            b.iter(|| {
                let (program, strings) = compile_yarn(&read(dir, "story.yarn"));
                Yarn::new(program, strings).n_choices()
            })
        });
    }
    group.finish();
}

/// One step of the walk: a random available choice, or a restart at an ending.
fn step(engine: &mut dyn Engine, walk: &mut Rng) -> usize {
    match engine.n_choices() {
        0 => engine.restart(),
        n => engine.choose(walk.range(0, n as i64 - 1) as usize),
    }
    engine.text().len()
}

fn steps(c: &mut Criterion) {
    let dir = sources(large());
    let mut group = c.benchmark_group("step");
    let mut ours = Qnce::load(&dir);
    let mut ink = Ink::new(compile_ink(&read(&dir, "story.ink")));
    let (program, strings) = compile_yarn(&read(&dir, "story.yarn"));
    let mut yarn = Yarn::new(program, strings);
    for (name, engine) in [
        ("qnce", &mut ours as &mut dyn Engine),
        ("ink", &mut ink),
        ("yarn", &mut yarn),
    ] {
        let mut walk = Rng::new(7);
        group.bench_function(name, |b| b.iter(|| step(engine, &mut walk)));
    }
    group.finish();
}

/// Node `n`'s text in each source, and the edit made to it.
const ROOM: &str = "Room 500. ";
const HALL: &str = "Hall 500. ";

/// Where node 500 is written, for each engine, and the file's two versions.
struct Edit {
    path: PathBuf,
    versions: [String; 2],
}

impl Edit {
    fn new(path: PathBuf) -> Edit {
        let original = std::fs::read_to_string(&path).expect("reading the source");
        let edited = original.replacen(ROOM, HALL, 1);
        assert_ne!(original, edited, "{} holds {ROOM:?}", path.display());
        Edit {
            path,
            versions: [original, edited],
        }
    }

    /// Writes the other version; not timed (the editor's save).
    fn flip(&self, flip: &mut usize) {
        *flip ^= 1;
        std::fs::write(&self.path, &self.versions[*flip]).expect("writing the edit");
    }
}

/// Times `apply` after each save of `edit`, alternating its two versions.
fn bench_edit(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    edit: &Edit,
    mut apply: impl FnMut(),
) {
    let mut flip = 0;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                edit.flip(&mut flip);
                let t = Instant::now();
                apply();
                total += t.elapsed();
            }
            total
        })
    });
    std::fs::write(&edit.path, &edit.versions[0]).expect("restoring the source");
}

/// Plays a few seeded steps so that each engine has state to keep.
fn played(engine: &mut dyn Engine) {
    let mut walk = Rng::new(5);
    for _ in 0..20 {
        step(engine, &mut walk);
    }
}

fn live_edit(c: &mut Criterion) {
    let n_nodes = large();
    let dir = sources(n_nodes);
    let mut group = c.benchmark_group("live-edit");
    group.sample_size(10);

    // Ours, by delta: the host reloads the changed file and brings the session along.
    let part = dir.join(qnce_benches::generate::file_name(5));
    let edit = Edit::new(part.clone());
    let mut host = Host::open(&dir, &Limits::default()).expect("loads").value;
    let player = host
        .add_session(SessionConfig::with_seed(1))
        .expect("session starts");
    let changed = [part];
    bench_edit(&mut group, "qnce-delta", &edit, || {
        let reloaded = host.reload(Some(&changed));
        assert!(reloaded.result.is_ok());
    });

    // Ours, by full rebuild: load everything again and restore the session from a save.
    let mut ours = Qnce::load(&dir);
    played(&mut ours);
    bench_edit(&mut group, "qnce-rebuild", &edit, || {
        let save = ours.session.save(&ours.story);
        let story = qnce::load(&dir, &Limits::default()).expect("loads").value;
        let (session, _) =
            Session::restore(&story, &save, SessionConfig::default()).expect("restores");
        ours = Qnce { story, session };
    });
    drop(host.remove_session(player));

    // ink: recompile, a new story, the old state transplanted.
    let edit = Edit::new(dir.join("story.ink"));
    let mut ink = Ink::new(compile_ink(&read(&dir, "story.ink")));
    played(&mut ink);
    bench_edit(&mut group, "ink-recompile-transplant", &edit, || {
        let state = ink.story.save_state().expect("ink saves its state");
        let mut fresh = Ink::new(compile_ink(&read(&dir, "story.ink")));
        fresh
            .story
            .load_state(&state)
            .expect("ink loads the old state");
        ink = fresh;
    });

    // Yarn: recompile the project, replace the program, restart the current node.
    let edit = Edit::new(dir.join("story.yarn"));
    let (program, strings) = compile_yarn(&read(&dir, "story.yarn"));
    let mut yarn = Yarn::new(program, strings);
    played(&mut yarn);
    bench_edit(&mut group, "yarn-recompile-restart-node", &edit, || {
        let (program, strings) = compile_yarn(&read(&dir, "story.yarn"));
        yarn.reload(program, strings);
    });
    group.finish();
}

criterion_group!(benches, load, steps, live_edit);
criterion_main!(benches);
