//! Core engine benches on the generated stories: loading (files to a playable story),
//! stepping (choose and render along a seeded random walk) and expression evaluation.
//!
//! `cargo bench -p qnce-benches` runs them; `-- --quick` is what CI's compile check uses.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use qnce::{Limits, Session, SessionConfig};
use qnce_benches::Walk;
use qnce_benches::generate::{StoryShape, TextFeatures, write_story, write_text_story};

fn story_dir(shape: StoryShape) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qnce-bench-{}-{}", shape.n_nodes, shape.n_files));
    write_story(&dir, shape).expect("writing the generated story");
    dir
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    for n_nodes in [100, 1_000, 10_000] {
        let shape = StoryShape {
            n_nodes,
            n_files: (n_nodes / 100).max(1),
            seed: 1,
        };
        let dir = story_dir(shape);
        group.bench_with_input(BenchmarkId::from_parameter(n_nodes), &dir, |b, dir| {
            b.iter(|| qnce::load(dir, &Limits::default()).expect("generated story loads"))
        });
    }
    group.finish();
}

fn step(c: &mut Criterion) {
    let dir = story_dir(StoryShape::LARGE);
    let story = qnce::load(&dir, &Limits::default())
        .expect("generated story loads")
        .value;
    let mut walk = Walk::new(&story, 1).expect("session starts");
    c.bench_function("step/10000", |b| {
        b.iter(|| walk.step(&story).expect("step"))
    });
}

fn eval(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("qnce-bench-eval");
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("story.ron"),
        r#"Story(title: "E", start: "a", variables: { "x": Int(3), "y": Float(0.5), "s": Str("ab") },
            nodes: { "a": (text: "{x * 2 + 1 > 5 && y < 1.0 ? s + \"!\" : \"no\"} {min(x, 10) + abs(-x)}") })"#,
    )
    .expect("write story");
    let story = qnce::load(&dir, &Limits::default()).expect("loads").value;
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).expect("session starts");
    c.bench_function("eval/render-node-text", |b| {
        b.iter(|| session.refresh(&story).expect("renders").len())
    });
}

/// A step into a node written with variations, a conditional block and a command, against
/// the same words plain (`qnce_benches::generate::write_text_story`).
fn text_features(c: &mut Criterion) {
    let mut group = c.benchmark_group("text-step");
    for (name, features) in [
        ("plain", TextFeatures::Plain),
        ("one-each", TextFeatures::OneEach),
        ("features", TextFeatures::All),
    ] {
        let dir = std::env::temp_dir().join(format!("qnce-bench-text-{name}"));
        write_text_story(&dir, features).expect("write story");
        let story = qnce::load(&dir, &Limits::default()).expect("loads").value;
        let mut session =
            Session::new(&story, SessionConfig::with_seed(1)).expect("session starts");
        group.bench_function(name, |b| {
            b.iter(|| session.choose(&story, 0).expect("step").len())
        });
    }
    group.finish();
}

/// What owned events cost a game that asks for them: a step of the text story with
/// variations and a command, alone and followed by `Session::owned_events`.
fn owned_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("owned-events");
    let dir = std::env::temp_dir().join("qnce-bench-owned-events");
    write_text_story(&dir, TextFeatures::All).expect("write story");
    let story = qnce::load(&dir, &Limits::default()).expect("loads").value;
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).expect("session starts");
    group.bench_function("step", |b| {
        b.iter(|| session.choose(&story, 0).expect("step").len())
    });
    group.bench_function("step+owned", |b| {
        b.iter(|| {
            session.choose(&story, 0).expect("step");
            session.owned_events(&story).len()
        })
    });
    group.finish();
}

criterion_group!(benches, load, step, eval, text_features, owned_events);
criterion_main!(benches);
