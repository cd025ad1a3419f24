//! Writes large seeded stories (`gen-story` is its command-line front end).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use qnce::runtime::Rng;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoryShape {
    /// Number of nodes.
    pub n_nodes: usize,
    /// Number of include files the nodes are spread over.
    pub n_files: usize,
    /// Seed; the same shape and seed always write the same files.
    pub seed: u64,
}

impl StoryShape {
    /// The 10,000-node story over 100 files used by the benches.
    pub const LARGE: StoryShape = StoryShape {
        n_nodes: 10_000,
        n_files: 100,
        seed: 1,
    };
}

const N_VARS: usize = 8;

/// The node id for index `i`.
pub fn node_name(i: usize) -> String {
    format!("n{i}")
}

/// The include file for part `k`.
pub fn file_name(k: usize) -> String {
    format!("part{k:03}.ron")
}

/// Writes the story into `dir` (created if missing): `story.ron` and `n_files` includes.
///
/// # Errors
/// Any I/O error.
pub fn write_story(dir: &Path, shape: StoryShape) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let n_files = shape.n_files.max(1);
    let mut rng = Rng::new(shape.seed);
    let mut main =
        String::from("Story(\n    title: \"Generated\",\n    start: \"n0\",\n    variables: {\n");
    for v in 0..N_VARS {
        let _ = writeln!(main, "        \"v{v}\": Int({}),", v % 3);
    }
    main.push_str("        \"flag\": Bool(false),\n    },\n    include: [\n");
    for k in 0..n_files {
        let _ = writeln!(main, "        \"{}\",", file_name(k));
    }
    main.push_str("    ],\n)\n");
    std::fs::write(dir.join("story.ron"), main)?;
    let per_file = shape.n_nodes.div_ceil(n_files);
    for k in 0..n_files {
        let mut out = String::from("Include(\n    nodes: {\n");
        let first = k * per_file;
        let last = ((k + 1) * per_file).min(shape.n_nodes);
        for i in first..last {
            write_node(&mut out, i, shape.n_nodes, &mut rng);
        }
        out.push_str("    },\n)\n");
        std::fs::write(dir.join(file_name(k)), out)?;
    }
    Ok(())
}

fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.range(0, n as i64 - 1) as usize
}

fn write_node(out: &mut String, i: usize, n_nodes: usize, rng: &mut Rng) {
    let a = pick(rng, N_VARS);
    let b = pick(rng, N_VARS);
    let _ = write!(
        out,
        "        \"{}\": (\n            text: \"Room {i}. The first dial reads {{v{a}}}, the second {{v{b} * 2}}.\",\n",
        node_name(i)
    );
    // Every 500th node is an ending; the rest have two to four choices.
    if i % 500 == 499 {
        out.push_str("            tags: [\"ending\"],\n        ),\n");
        return;
    }
    out.push_str("            choices: [\n");
    let n_choices = 2 + pick(rng, 3);
    for c in 0..n_choices {
        // The first choice always leads on, so every node is reachable.
        let to = if c == 0 {
            (i + 1) % n_nodes
        } else {
            pick(rng, n_nodes)
        };
        let _ = write!(
            out,
            "                (text: \"Door {c} to room {to}\", to: \"{}\"",
            node_name(to)
        );
        if c > 0 && pick(rng, 3) == 0 {
            let _ = write!(
                out,
                ", when: \"v{} < {}\"",
                pick(rng, N_VARS),
                3 + pick(rng, 20)
            );
        }
        if pick(rng, 2) == 0 {
            let _ = write!(out, ", set: [\"v{} += 1\"]", pick(rng, N_VARS));
        }
        out.push_str("),\n");
    }
    out.push_str("            ],\n        ),\n");
}
