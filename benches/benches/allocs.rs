//! Heap allocations per step in steady state, and heap bytes held per node once a story is
//! loaded: ours against ink (bladeink) and Yarn Spinner, counted by a counting global
//! allocator (`stats_alloc`), not timed. For ours also the allocations held, and the
//! bytes and allocations with a reloader, as `qnce play` holds them (the scaling bin
//! gives the resident set, which adds the allocator's headers and what it keeps freed).
//!
//! `cargo bench -p qnce-benches --bench allocs` prints the table that BENCHMARKS.md quotes
//! (the 10,000-node graph; 20,000 warm-up steps, then 100,000 counted). Under `cargo test
//! --benches` it runs once on 1,000 nodes.

#[path = "../peers/mod.rs"]
mod peers;

use std::alloc::System;

use peers::{Engine, Ink, Qnce, Yarn, compile_ink, compile_yarn};
use qnce::runtime::Rng;
use qnce_benches::generate::{
    Graph, StoryShape, TextFeatures, ink_source, write_story, write_text_story, yarn_source,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed by `make`, keeping what it returns. (`stats_alloc`
/// counts what a reallocation grows by as allocated and what it shrinks by as freed.)
fn held<T>(make: impl FnOnce() -> T) -> (T, i64) {
    let (value, bytes, _) = held_with_count(make);
    (value, bytes)
}

/// As [`held`], with the number of allocations held too: each costs the allocator a
/// header and rounding, and what is freed around it may stay resident.
fn held_with_count<T>(make: impl FnOnce() -> T) -> (T, i64, i64) {
    let region = Region::new(GLOBAL);
    let value = make();
    let change = region.change();
    let bytes = change.bytes_allocated as i64 - change.bytes_deallocated as i64;
    let allocations = change.allocations as i64 - change.deallocations as i64;
    (value, bytes, allocations)
}

/// Allocations over `n_counted` steps of a seeded walk, after `n_warm` steps: how many,
/// over how many choices. A walk that reaches an ending starts over; the restarts are not
/// steps, and what they allocate is left out (their number is returned last).
fn allocations_per_step(engine: &mut dyn Engine, n_warm: u64, n_counted: u64) -> (usize, u64, u64) {
    let mut walk = Rng::new(7);
    for _ in 0..n_warm {
        match engine.n_choices() {
            0 => engine.restart(),
            n => engine.choose(walk.range(0, n as i64 - 1) as usize),
        }
    }
    let region = Region::new(GLOBAL);
    let (mut n_choices, mut n_restarts, mut restart_allocs) = (0, 0, 0);
    for _ in 0..n_counted {
        match engine.n_choices() {
            0 => {
                let before = region.change().allocations;
                engine.restart();
                restart_allocs += region.change().allocations - before;
                n_restarts += 1;
            }
            n => {
                engine.choose(walk.range(0, n as i64 - 1) as usize);
                n_choices += 1;
            }
        }
    }
    let allocs = region.change().allocations - restart_allocs;
    (allocs, n_choices, n_restarts)
}

#[expect(clippy::print_stdout, reason = "a bench prints its figures")]
fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let (n_nodes, n_warm, n_counted) = if quick {
        (1_000, 1_000, 2_000)
    } else {
        (10_000, 20_000, 100_000)
    };
    let shape = StoryShape {
        n_nodes,
        n_files: n_nodes / 100,
        seed: 1,
    };
    let dir = std::env::temp_dir().join(format!("qnce-bench-allocs-{n_nodes}"));
    write_story(&dir, shape).expect("writing the RON story");
    let graph = Graph::new(n_nodes, shape.seed);
    let ink_json = compile_ink(&ink_source(&graph));
    let yarn_source = yarn_source(&graph);

    // What each engine holds once loaded: the compiler's output is made outside the
    // region for ink (its JSON is what a game ships), inside it for Yarn (the program and
    // its string table are what the dialogue keeps).
    let (mut ours, ours_bytes, ours_allocations) = held_with_count(|| Qnce::load(&dir));
    // What `qnce play` holds: the story, and what reloads keep (every file's text and
    // parse, the validation tables).
    let limits = qnce::Limits::default();
    let (live, live_bytes, live_allocations) =
        held_with_count(|| qnce::reload::Reloader::load(&dir, &limits).expect("loads"));
    drop(live);
    let (mut ink, ink_bytes) = held(|| Ink::new(ink_json.clone()));
    let (mut yarn, yarn_bytes) = held(|| {
        let (program, strings) = compile_yarn(&yarn_source);
        Yarn::new(program, strings)
    });
    let per_node = |bytes: i64| bytes as f64 / n_nodes as f64;
    println!("{n_nodes} nodes; {n_warm} warm-up steps, then {n_counted} counted");
    println!(
        "engine  bytes held per node  allocations per step (in all / steps)  restarts (not counted)"
    );
    for (name, bytes, engine) in [
        ("qnce", ours_bytes, &mut ours as &mut dyn Engine),
        ("ink", ink_bytes, &mut ink),
        ("yarn", yarn_bytes, &mut yarn),
    ] {
        let (allocs, n_steps, n_restarts) = allocations_per_step(engine, n_warm, n_counted);
        let per_step = allocs as f64 / n_steps as f64;
        println!(
            "{name:<7} {:>19.0} {per_step:>12.4} ({allocs} / {n_steps}) {n_restarts:>12}",
            per_node(bytes)
        );
    }
    println!(
        "qnce: {:.1} allocations held per node; with a reloader (as `qnce play` runs), {:.0} bytes and {:.1} allocations per node",
        ours_allocations as f64 / n_nodes as f64,
        per_node(live_bytes),
        live_allocations as f64 / n_nodes as f64,
    );
    // The story language's features (variations, a conditional block, a command) cost no
    // allocation either, once each variation was shown once.
    for (name, features) in [
        ("plain text", TextFeatures::Plain),
        ("a variation, a block and a command", TextFeatures::OneEach),
        ("variations, a block and a command", TextFeatures::All),
    ] {
        let dir = std::env::temp_dir().join(format!("qnce-bench-allocs-text-{features:?}"));
        write_text_story(&dir, features).expect("writing the text story");
        let mut ours = Qnce::load(&dir);
        let (allocs, n_steps, _) = allocations_per_step(&mut ours, n_warm, n_counted);
        println!(
            "qnce, {name}: {:.4} allocations per step ({allocs} / {n_steps})",
            allocs as f64 / n_steps as f64
        );
    }
    // Owned events allocate when a game asks for them: a step's texts, tag lists and
    // arguments are copied out.
    let dir = std::env::temp_dir().join("qnce-bench-allocs-owned");
    write_text_story(&dir, TextFeatures::All).expect("writing the text story");
    let story = qnce::load(&dir, &qnce::Limits::default())
        .expect("loads")
        .value;
    let mut session =
        qnce::Session::new(&story, qnce::SessionConfig::with_seed(1)).expect("starts");
    for _ in 0..n_warm {
        session.choose(&story, 0).expect("step");
        drop(session.owned_events(&story));
    }
    let region = Region::new(GLOBAL);
    for _ in 0..n_counted {
        session.choose(&story, 0).expect("step");
        drop(session.owned_events(&story));
    }
    let allocs = region.change().allocations;
    println!(
        "qnce, a step and its owned events: {:.2} allocations per step ({allocs} / {n_counted})",
        allocs as f64 / n_counted as f64
    );
}
