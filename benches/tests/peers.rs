//! The generated graph, written as our RON, as ink and as Yarn, plays alike in the three
//! engines: along a seeded random walk, each shows the same text and offers the same
//! number of choices at every step. The side-by-side benches rely on it.
#![expect(clippy::unwrap_used, reason = "a test fails by panicking")]

#[path = "../peers/mod.rs"]
mod peers;

use peers::{Engine, Ink, Qnce, Yarn, compile_ink, compile_yarn};
use qnce::runtime::Rng;
use qnce_benches::generate::{Graph, StoryShape, ink_source, write_story, yarn_source};

#[test]
fn the_three_engines_play_the_generated_graph_alike() {
    let shape = StoryShape {
        n_nodes: 1000,
        n_files: 10,
        seed: 3,
    };
    let dir = std::env::temp_dir().join(format!("qnce-peers-test-{}", std::process::id()));
    write_story(&dir, shape).unwrap();
    let graph = Graph::new(shape.n_nodes, shape.seed);
    let mut ours = Qnce::load(&dir);
    let mut ink = Ink::new(compile_ink(&ink_source(&graph)));
    let (program, strings) = compile_yarn(&yarn_source(&graph));
    let mut yarn = Yarn::new(program, strings);
    let mut walk = Rng::new(11);
    let (mut n_steps, mut n_endings) = (0, 0);
    // 2,000 turns: steps, and a restart at each ending.
    for _ in 0..2000 {
        assert_eq!(ink.text(), ours.text(), "ink, step {n_steps}");
        assert_eq!(yarn.text(), ours.text(), "yarn, step {n_steps}");
        let n = ours.n_choices();
        assert_eq!(
            (ink.n_choices(), yarn.n_choices()),
            (n, n),
            "step {n_steps}"
        );
        if n == 0 {
            n_endings += 1;
            for engine in [&mut ours as &mut dyn Engine, &mut ink, &mut yarn] {
                engine.restart();
            }
            continue;
        }
        let pick = walk.range(0, n as i64 - 1) as usize;
        for engine in [&mut ours as &mut dyn Engine, &mut ink, &mut yarn] {
            engine.choose(pick);
        }
        n_steps += 1;
    }
    assert!(n_steps > 1500, "{n_steps} steps");
    assert!(n_endings > 0, "the walk reached an ending and restarted");
    let _ = std::fs::remove_dir_all(&dir);
}
