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

/// One story graph, written three ways ([`write_story`] as our RON, [`ink_source`],
/// [`yarn_source`]): each node's text reads two variables; two to four choices, some
/// conditional, some with an effect; every 500th node an ending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    /// The nodes, `n0` first (the start).
    pub nodes: Vec<GraphNode>,
}

/// A node of a [`Graph`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    /// The variables its text shows: `v{a}` and `v{b} * 2`.
    pub reads: (usize, usize),
    /// Its choices; none for an ending.
    pub choices: Vec<GraphChoice>,
}

/// A choice of a [`GraphNode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphChoice {
    /// The index of the node it leads to.
    pub to: usize,
    /// Shown only when `v{var} < limit`.
    pub when: Option<(usize, i64)>,
    /// Adds one to `v{var}` when taken.
    pub adds_one_to: Option<usize>,
}

impl Graph {
    /// The graph of `n_nodes` nodes from `seed`.
    pub fn new(n_nodes: usize, seed: u64) -> Graph {
        let mut rng = Rng::new(seed);
        let nodes = (0..n_nodes).map(|i| node(i, n_nodes, &mut rng)).collect();
        Graph { nodes }
    }

    /// The text of node `i`, as every engine renders it given the values of `v{a}` and
    /// `v{b}`.
    pub fn text(&self, i: usize, va: i64, vb: i64) -> String {
        format!(
            "Room {i}. The first dial reads {va}, the second {}.",
            vb * 2
        )
    }
}

fn node(i: usize, n_nodes: usize, rng: &mut Rng) -> GraphNode {
    let reads = (pick(rng, N_VARS), pick(rng, N_VARS));
    if i % 500 == 499 {
        return GraphNode {
            reads,
            choices: Vec::new(),
        };
    }
    let n_choices = 2 + pick(rng, 3);
    let choices = (0..n_choices)
        .map(|c| {
            // The first choice always leads on, so every node is reachable.
            let to = if c == 0 {
                (i + 1) % n_nodes
            } else {
                pick(rng, n_nodes)
            };
            let when = (c > 0 && pick(rng, 3) == 0).then(|| {
                let var = pick(rng, N_VARS);
                (var, 3 + pick(rng, 20) as i64)
            });
            let adds_one_to = (pick(rng, 2) == 0).then(|| pick(rng, N_VARS));
            GraphChoice {
                to,
                when,
                adds_one_to,
            }
        })
        .collect();
    GraphNode { reads, choices }
}

/// The initial value of `v{v}`.
fn initial(v: usize) -> usize {
    v % 3
}

/// Writes the story into `dir` (created if missing): `story.ron` and `n_files` includes.
///
/// # Errors
/// Any I/O error.
pub fn write_story(dir: &Path, shape: StoryShape) -> io::Result<()> {
    let graph = Graph::new(shape.n_nodes, shape.seed);
    std::fs::create_dir_all(dir)?;
    let n_files = shape.n_files.max(1);
    let mut main =
        String::from("Story(\n    title: \"Generated\",\n    start: \"n0\",\n    variables: {\n");
    for v in 0..N_VARS {
        let _ = writeln!(main, "        \"v{v}\": Int({}),", initial(v));
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
            write_node(&mut out, i, &graph.nodes[i]);
        }
        out.push_str("    },\n)\n");
        std::fs::write(dir.join(file_name(k)), out)?;
    }
    Ok(())
}

fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.range(0, n as i64 - 1) as usize
}

fn write_node(out: &mut String, i: usize, node: &GraphNode) {
    let (a, b) = node.reads;
    let _ = write!(
        out,
        "        \"{}\": (\n            text: \"Room {i}. The first dial reads {{v{a}}}, the second {{v{b} * 2}}.\",\n",
        node_name(i)
    );
    if node.choices.is_empty() {
        out.push_str("            tags: [\"ending\"],\n        ),\n");
        return;
    }
    out.push_str("            choices: [\n");
    for (c, choice) in node.choices.iter().enumerate() {
        let to = choice.to;
        let _ = write!(
            out,
            "                (text: \"Door {c} to room {to}\", to: \"{}\"",
            node_name(to)
        );
        if let Some((var, limit)) = choice.when {
            let _ = write!(out, ", when: \"v{var} < {limit}\"");
        }
        if let Some(var) = choice.adds_one_to {
            let _ = write!(out, ", set: [\"v{var} += 1\"]");
        }
        out.push_str("),\n");
    }
    out.push_str("            ],\n        ),\n");
}

/// The graph as one ink source file (for `bladeink-compiler`): a knot per node, sticky
/// choices (`+`, like ours, usable again), conditions as `{v < n}`, effects as `~`.
pub fn ink_source(graph: &Graph) -> String {
    let mut out = String::new();
    for v in 0..N_VARS {
        let _ = writeln!(out, "VAR v{v} = {}", initial(v));
    }
    out.push_str("VAR flag = false\n-> n0\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let (a, b) = node.reads;
        let _ = writeln!(
            out,
            "=== {} ===\nRoom {i}. The first dial reads {{v{a}}}, the second {{v{b} * 2}}.",
            node_name(i)
        );
        if node.choices.is_empty() {
            out.push_str("-> END\n");
            continue;
        }
        for (c, choice) in node.choices.iter().enumerate() {
            out.push_str("+ ");
            if let Some((var, limit)) = choice.when {
                let _ = write!(out, "{{v{var} < {limit}}} ");
            }
            let _ = writeln!(out, "[Door {c} to room {}]", choice.to);
            if let Some(var) = choice.adds_one_to {
                let _ = writeln!(out, "    ~ v{var} = v{var} + 1");
            }
            let _ = writeln!(out, "    -> {}", node_name(choice.to));
        }
    }
    out
}

/// The graph as one Yarn source file (for `yarnspinner`): a node per node, options with
/// `<<if>>` conditions, `<<set>>` effects and `<<jump>>`; variables declared in `n0`.
pub fn yarn_source(graph: &Graph) -> String {
    let mut out = String::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let _ = writeln!(out, "title: {}\n---", node_name(i));
        if i == 0 {
            for v in 0..N_VARS {
                let _ = writeln!(out, "<<declare $v{v} = {}>>", initial(v));
            }
            out.push_str("<<declare $flag = false>>\n");
        }
        let (a, b) = node.reads;
        let _ = writeln!(
            out,
            "Room {i}. The first dial reads {{$v{a}}}, the second {{$v{b} * 2}}."
        );
        for (c, choice) in node.choices.iter().enumerate() {
            let _ = write!(out, "-> Door {c} to room {}", choice.to);
            if let Some((var, limit)) = choice.when {
                let _ = write!(out, " <<if $v{var} < {limit}>>");
            }
            out.push('\n');
            if let Some(var) = choice.adds_one_to {
                let _ = writeln!(out, "    <<set $v{var} to $v{var} + 1>>");
            }
            let _ = writeln!(out, "    <<jump {}>>", node_name(choice.to));
        }
        out.push_str("===\n");
    }
    out
}

/// What the text story's nodes are written with (see [`write_text_story`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFeatures {
    /// Plain text with one interpolation.
    Plain,
    /// One of each: a `cycle` variation and a conditional block in the node, and a
    /// command run by the choice (the issue's measure).
    OneEach,
    /// More: a `cycle` and a `sequence` variation and a conditional block in the node, a
    /// variation in the choice, and a command.
    All,
}

/// A loop of two nodes whose texts are the same words, plain or written with the story
/// language's features (see [`TextFeatures`]), with one interpolation and an effect each
/// step. Stepping it measures what those features cost over plain text.
pub fn write_text_story(dir: &Path, features: TextFeatures) -> io::Result<()> {
    let (node, choice) = match features {
        TextFeatures::All => (
            "{cycle: The lamp flickers. | The lamp steadies.} {sequence: You wait. | You wait again. | You keep waiting.}{if n > 2} Steps: {n}.{else} Early.{end}",
            "{cycle: Wait | Wait more}",
        ),
        TextFeatures::OneEach => (
            "{cycle: The lamp flickers. | The lamp steadies.} You wait.{if n > 2} Steps: {n}.{else} Early.{end}",
            "Wait",
        ),
        TextFeatures::Plain => ("The lamp flickers. You wait. Steps: {n}.", "Wait"),
    };
    // With the features, each step also runs a command.
    let (commands, set) = if features == TextFeatures::Plain {
        ("", r#""n += 1""#)
    } else {
        (
            r#"commands: { "chime": (params: [("times", Int)]) },"#,
            r#""n += 1", "chime(n)""#,
        )
    };
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("story.ron"),
        format!(
            r#"Story(title: "Text", start: "a", variables: {{ "n": Int(0) }}, {commands} nodes: {{
                "a": (text: "{node}", choices: [(text: "{choice}", to: "b", set: [{set}])]),
                "b": (text: "{node}", choices: [(text: "{choice}", to: "a", set: [{set}])]),
            }})"#
        ),
    )
}

/// The file holding the middle node of a story `write_story` wrote into `dir`, and its
/// two versions for an edit of the graph: as written, and with the node's first choice
/// leading elsewhere (to the start, or from it to the next node). `None` when the middle
/// node has no choice.
///
/// # Errors
/// Reading the file, or a file that does not hold the middle node.
pub fn middle_retarget(
    dir: &Path,
    shape: StoryShape,
) -> io::Result<Option<(std::path::PathBuf, [String; 2])>> {
    let (part, [original, _]) = middle_edit(dir, shape)?;
    let middle = shape.n_nodes / 2;
    let node = original
        .find(&format!("\"Room {middle}. "))
        .ok_or_else(|| io::Error::other("the middle node is not in its file"))?;
    // The node ends where the next begins (or the file does).
    let end = original[node..]
        .find("\n        \"")
        .map_or(original.len(), |e| node + e);
    let Some(to) = original[node..end].find("to: \"").map(|t| node + t + 5) else {
        return Ok(None);
    };
    let Some(close) = original[to..].find('"').map(|c| to + c) else {
        return Ok(None);
    };
    let target = if original[to..close] == node_name(0) {
        node_name(1)
    } else {
        node_name(0)
    };
    let edited = format!("{}{target}{}", &original[..to], &original[close..]);
    Ok(Some((part, [original, edited])))
}

/// The file holding the middle node of a story `write_story` wrote into `dir`, and its
/// two versions for a one-node text edit: as written, and with the node's text changed.
///
/// # Errors
/// Reading the file, or a file that does not hold the middle node.
pub fn middle_edit(dir: &Path, shape: StoryShape) -> io::Result<(std::path::PathBuf, [String; 2])> {
    let middle = shape.n_nodes / 2;
    let per_file = shape.n_nodes.div_ceil(shape.n_files.max(1));
    let part = dir.join(file_name(middle / per_file.max(1)));
    let original = std::fs::read_to_string(&part)?;
    let edited = original.replacen(
        &format!("\"Room {middle}. "),
        &format!("\"Hall {middle}. "),
        1,
    );
    if edited == original {
        return Err(io::Error::other(format!(
            "node {middle} is not in {}",
            part.display()
        )));
    }
    Ok((part, [original, edited]))
}
