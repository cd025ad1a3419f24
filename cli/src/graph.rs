//! `qnce graph`: the story as a graph, in Graphviz DOT, Mermaid, or SVG (and HTML around
//! it) laid out by the tool itself, so that an author opens one file in a browser with no
//! system package and no network.
//!
//! Nodes are boxes (files as clusters in DOT and Mermaid, as colours with a legend in
//! SVG); choices are labelled edges (their text, and their condition in brackets);
//! `next`, fallback, `call` and `return` edges are drawn apart; each flow's start is
//! marked. `--highlight` runs `qnce explore` first and marks the nodes it never entered
//! and its dead ends.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qnce::story::NodeId;
use qnce::{Limits, LoadError, Story};

use crate::{EXIT_ERRORS, EXIT_USAGE};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Dot,
    Mermaid,
    Svg,
    Html,
}

#[derive(clap::Args)]
pub(crate) struct GraphArgs {
    /// A story directory (holding story.ron) or a .ron file.
    path: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Mark what `qnce explore` finds: nodes never entered, dead ends.
    #[arg(long)]
    highlight: bool,
}

/// How an edge goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Choice,
    Fallback,
    Next,
    Call,
    Return,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Choice => "choice",
            Kind::Fallback => "fallback",
            Kind::Next => "next",
            Kind::Call => "call",
            Kind::Return => "return",
        }
    }
}

struct Edge {
    from: usize,
    to: usize,
    kind: Kind,
    label: String,
}

impl Edge {
    /// What the edge says: its choice's text, else its kind.
    fn shown(&self) -> &str {
        if self.label.is_empty() {
            self.kind.name()
        } else {
            &self.label
        }
    }
}

struct Node {
    name: String,
    file: usize,
    text: String,
    /// The flows that start here.
    starts: Vec<String>,
    unreached: bool,
    dead_end: bool,
}

/// The story as nodes and edges.
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    files: Vec<String>,
}

fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if line.chars().count() > max {
        let cut: String = line.chars().take(max - 1).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

impl Graph {
    fn of(story: &Story, highlight: Option<&qnce::explore::Report>) -> Graph {
        let ids: Vec<NodeId> = story.node_ids().collect();
        let index: BTreeMap<NodeId, usize> = ids.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let locate = qnce::Locator::new(story);
        let mut files: Vec<String> = Vec::new();
        let mut nodes = Vec::new();
        for &id in &ids {
            let name = story.node_name(id).to_owned();
            let file = locate
                .node(&name)
                .map(|(p, _, _)| p.display().to_string())
                .unwrap_or_default();
            let file = match files.iter().position(|f| *f == file) {
                Some(i) => i,
                None => {
                    files.push(file);
                    files.len() - 1
                }
            };
            let starts = story
                .flow_ids()
                .iter()
                .filter(|&&f| story.flow_start(f) == Some(id))
                .map(|&f| story.flow_name(f).to_owned())
                .collect();
            nodes.push(Node {
                name,
                file,
                text: first_line(story.node_source(id), 40),
                starts,
                unreached: highlight.is_some_and(|r| r.unentered.contains(&id)),
                dead_end: highlight.is_some_and(|r| r.dead_ends.iter().any(|d| d.node == id)),
            });
        }
        let mut edges = Vec::new();
        let mut calls: Vec<(usize, usize)> = Vec::new();
        for &id in &ids {
            let from = index[&id];
            for (choice, text) in story.node_choices(id) {
                let Some(target) = story.choice_target(id, choice) else {
                    continue;
                };
                let fallback = story.choice_is_fallback(id, choice);
                let mut label = first_line(text, 30);
                if let Some((condition, _)) = story.choice_condition(id, choice) {
                    label.push_str(&format!(" [{condition}]"));
                }
                let kind = if fallback {
                    Kind::Fallback
                } else {
                    Kind::Choice
                };
                if let Some(call) = target.call {
                    edges.push(Edge {
                        from,
                        to: index[&call],
                        kind: Kind::Call,
                        label: label.clone(),
                    });
                    // The call returns to its `to`, else to this node.
                    calls.push((index[&call], target.to.map_or(from, |t| index[&t])));
                } else if let Some(to) = target.to {
                    edges.push(Edge {
                        from,
                        to: index[&to],
                        kind,
                        label,
                    });
                }
            }
            let flow = story.node_flow(id);
            if let Some(call) = flow.call {
                edges.push(Edge {
                    from,
                    to: index[&call],
                    kind: Kind::Call,
                    label: String::new(),
                });
                if let Some(next) = flow.next {
                    calls.push((index[&call], index[&next]));
                }
            } else if let Some(next) = flow.next {
                edges.push(Edge {
                    from,
                    to: index[&next],
                    kind: Kind::Next,
                    label: String::new(),
                });
            }
        }
        // `return` edges: from each returning node a call can reach to where the call
        // goes on.
        let mut returns = Vec::new();
        for &(callee, resume) in &calls {
            let mut seen = vec![false; ids.len()];
            let mut todo = vec![callee];
            while let Some(n) = todo.pop() {
                if std::mem::replace(&mut seen[n], true) {
                    continue;
                }
                if story.node_flow(ids[n]).returns {
                    returns.push((n, resume));
                    continue;
                }
                for e in edges.iter().filter(|e| e.from == n && e.kind != Kind::Call) {
                    todo.push(e.to);
                }
            }
        }
        returns.sort_unstable();
        returns.dedup();
        for (from, to) in returns {
            edges.push(Edge {
                from,
                to,
                kind: Kind::Return,
                label: String::new(),
            });
        }
        Graph {
            nodes,
            edges,
            files,
        }
    }
}

/// A string in DOT's double quotes.
fn dot_quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn to_dot(g: &Graph) -> String {
    let mut out = String::from(
        "digraph story {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n  edge [fontname=\"sans-serif\", fontsize=10];\n",
    );
    for (f, file) in g.files.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_{f} {{\n    label={};",
            dot_quote(file)
        );
        for n in g.nodes.iter().filter(|n| n.file == f) {
            let mut attrs = vec![format!(
                "label={}",
                dot_quote(&format!("{}\n{}", n.name, n.text))
            )];
            if !n.starts.is_empty() {
                attrs.push("peripheries=2".into());
                attrs.push(format!(
                    "xlabel={}",
                    dot_quote(&format!("start: {}", n.starts.join(", ")))
                ));
            }
            if n.unreached {
                attrs.push("color=red, fontcolor=red, style=\"rounded,dashed\"".into());
            }
            if n.dead_end {
                attrs.push("color=orange, penwidth=2".into());
            }
            let _ = writeln!(out, "    {} [{}];", dot_quote(&n.name), attrs.join(", "));
        }
        out.push_str("  }\n");
    }
    for e in &g.edges {
        let style = match e.kind {
            Kind::Choice => "",
            Kind::Fallback => ", style=dashed",
            Kind::Next => ", style=bold",
            Kind::Call => ", color=blue",
            Kind::Return => ", color=blue, style=dotted",
        };
        let label = e.shown();
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_quote(&g.nodes[e.from].name),
            dot_quote(&g.nodes[e.to].name),
            dot_quote(label)
        );
    }
    out.push_str("}\n");
    out
}

/// Text safe inside a Mermaid label (its quotes and brackets as entities).
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('[', "#91;")
        .replace(']', "#93;")
        .replace('|', "#124;")
}

fn to_mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart TB\n");
    for (f, file) in g.files.iter().enumerate() {
        let _ = writeln!(out, "  subgraph file{f}[\"{}\"]", mermaid_text(file));
        for (i, n) in g.nodes.iter().enumerate().filter(|(_, n)| n.file == f) {
            let _ = writeln!(
                out,
                "    n{i}[\"{}<br/>{}\"]",
                mermaid_text(&n.name),
                mermaid_text(&n.text)
            );
        }
        out.push_str("  end\n");
    }
    for e in &g.edges {
        let arrow = match e.kind {
            Kind::Choice => "-->",
            Kind::Fallback | Kind::Return => "-.->",
            Kind::Next => "==>",
            Kind::Call => "--o",
        };
        let label = e.shown();
        let _ = writeln!(
            out,
            "  n{} {arrow}|\"{}\"| n{}",
            e.from,
            mermaid_text(label),
            e.to
        );
    }
    for (i, n) in g.nodes.iter().enumerate() {
        if !n.starts.is_empty() {
            let _ = writeln!(out, "  style n{i} stroke-width:3px");
        }
        if n.unreached {
            let _ = writeln!(out, "  style n{i} stroke:#d00,stroke-dasharray:5 5");
        }
        if n.dead_end {
            let _ = writeln!(out, "  style n{i} stroke:#e80,stroke-width:3px");
        }
    }
    out
}

/// Text for SVG and HTML.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const BOX_W: f64 = 200.0;
const BOX_H: f64 = 44.0;
const GAP_X: f64 = 40.0;
const GAP_Y: f64 = 70.0;
const PALETTE: [&str; 6] = [
    "#eef4ff", "#effaf0", "#fff6e6", "#f6efff", "#ffeef0", "#eefafa",
];

/// A layered layout: each node's layer is its distance from a flow's start along edges
/// (nodes nothing reaches go below), and each layer is ordered by the mean position of
/// its nodes' predecessors, two sweeps down.
fn layout(g: &Graph) -> Vec<(f64, f64)> {
    let n = g.nodes.len();
    let mut layer = vec![usize::MAX; n];
    let mut queue: std::collections::VecDeque<usize> = g
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| !node.starts.is_empty())
        .map(|(i, _)| i)
        .collect();
    for &i in &queue {
        layer[i] = 0;
    }
    while let Some(i) = queue.pop_front() {
        for e in g.edges.iter().filter(|e| e.from == i) {
            if layer[e.to] == usize::MAX {
                layer[e.to] = layer[i] + 1;
                queue.push_back(e.to);
            }
        }
    }
    let deepest = layer
        .iter()
        .filter(|&&l| l != usize::MAX)
        .max()
        .copied()
        .unwrap_or(0);
    for l in &mut layer {
        if *l == usize::MAX {
            *l = deepest + 1;
        }
    }
    let n_layers = layer.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n_layers];
    for (i, &l) in layer.iter().enumerate() {
        rows[l].push(i);
    }
    let mut position = vec![0.0; n];
    for _ in 0..2 {
        for row in &mut rows {
            for (k, &i) in row.iter().enumerate() {
                position[i] = k as f64;
            }
        }
        for (l, row) in rows.iter_mut().enumerate().skip(1) {
            let mut keyed: Vec<(f64, usize)> = row
                .iter()
                .map(|&i| {
                    let preds: Vec<f64> = g
                        .edges
                        .iter()
                        .filter(|e| e.to == i && layer[e.from] < l)
                        .map(|e| position[e.from])
                        .collect();
                    let key = if preds.is_empty() {
                        position[i]
                    } else {
                        preds.iter().sum::<f64>() / preds.len() as f64
                    };
                    (key, i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            *row = keyed.into_iter().map(|(_, i)| i).collect();
            for (k, &i) in row.iter().enumerate() {
                position[i] = k as f64;
            }
        }
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let mut xy = vec![(0.0, 0.0); n];
    for (l, row) in rows.iter().enumerate() {
        // Each row centred under the widest.
        let offset = (widest - row.len() as f64) * (BOX_W + GAP_X) / 2.0;
        for (k, &i) in row.iter().enumerate() {
            xy[i] = (
                20.0 + offset + k as f64 * (BOX_W + GAP_X),
                40.0 + l as f64 * (BOX_H + GAP_Y),
            );
        }
    }
    xy
}

fn to_svg(g: &Graph) -> String {
    let xy = layout(g);
    let width = xy.iter().map(|p| p.0).fold(0.0, f64::max) + BOX_W + 40.0;
    let legend_h = 20.0 * (g.files.len() as f64 + 1.0);
    let height = xy.iter().map(|p| p.1).fold(0.0, f64::max) + BOX_H + 40.0 + legend_h;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n");
    for e in &g.edges {
        let ((x1, y1), (x2, y2)) = (xy[e.from], xy[e.to]);
        let (sx, sy) = (x1 + BOX_W / 2.0, y1 + BOX_H);
        let (tx, ty) = (x2 + BOX_W / 2.0, y2);
        // Down: a gentle curve; up or across (a loop back): a wide bow to the side.
        let path = if ty > sy {
            format!(
                "M {sx:.1} {sy:.1} C {sx:.1} {:.1}, {tx:.1} {:.1}, {tx:.1} {ty:.1}",
                sy + 30.0,
                ty - 30.0
            )
        } else {
            let bow = x1.max(x2) + BOX_W + 30.0;
            format!(
                "M {:.1} {:.1} C {bow:.1} {:.1}, {bow:.1} {:.1}, {:.1} {:.1}",
                x1 + BOX_W,
                y1 + BOX_H / 2.0,
                y1 + BOX_H / 2.0,
                y2 + BOX_H / 2.0,
                x2 + BOX_W,
                y2 + BOX_H / 2.0
            )
        };
        let (stroke, dash) = match e.kind {
            Kind::Choice => ("#333", ""),
            Kind::Fallback => ("#333", " stroke-dasharray=\"6 4\""),
            Kind::Next => ("#000", ""),
            Kind::Call => ("#1a5fd0", ""),
            Kind::Return => ("#1a5fd0", " stroke-dasharray=\"2 3\""),
        };
        let width = if e.kind == Kind::Next { 2.5 } else { 1.2 };
        let label = xml(e.shown());
        let (lx, ly) = ((sx + tx) / 2.0, (sy + ty) / 2.0);
        let _ = writeln!(
            out,
            "<g class=\"edge\" data-from=\"{}\" data-to=\"{}\" data-kind=\"{}\"><title>{label}</title><path d=\"{path}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash} marker-end=\"url(#arrow)\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" fill=\"#555\" font-size=\"10\">{label}</text></g>",
            xml(&g.nodes[e.from].name),
            xml(&g.nodes[e.to].name),
            e.kind.name(),
        );
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let (x, y) = xy[i];
        let fill = PALETTE[n.file % PALETTE.len()];
        let (stroke, dash, sw) = if n.dead_end {
            ("#e08000", "", 3.0)
        } else if n.unreached {
            ("#d00000", " stroke-dasharray=\"5 4\"", 1.5)
        } else if !n.starts.is_empty() {
            ("#000", "", 3.0)
        } else {
            ("#666", "", 1.0)
        };
        let mut classes = String::from("node");
        if n.unreached {
            classes.push_str(" unreached");
        }
        if n.dead_end {
            classes.push_str(" dead-end");
        }
        if !n.starts.is_empty() {
            classes.push_str(" start");
        }
        let _ = writeln!(
            out,
            "<g class=\"{classes}\" data-name=\"{}\"><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"{dash}/><text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#444\">{}</text></g>",
            xml(&n.name),
            xml(&format!("{}: {}", n.name, n.text)),
            x + 8.0,
            y + 17.0,
            xml(&if n.starts.is_empty() {
                n.name.clone()
            } else {
                format!("▶ {} ({})", n.name, n.starts.join(", "))
            }),
            x + 8.0,
            y + 34.0,
            xml(&first_line(&n.text, 28))
        );
    }
    let base = height - legend_h;
    let _ = writeln!(
        out,
        "<g class=\"legend\"><text x=\"20\" y=\"{base:.1}\" font-weight=\"bold\">Files</text>"
    );
    for (f, file) in g.files.iter().enumerate() {
        let y = base + 20.0 * (f as f64 + 1.0);
        let _ = writeln!(
            out,
            "<rect x=\"20\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#666\"/><text x=\"40\" y=\"{y:.1}\">{}</text>",
            y - 11.0,
            PALETTE[f % PALETTE.len()],
            xml(file)
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn to_html(g: &Graph, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"margin:0\">\n{}</body></html>\n",
        xml(title),
        to_svg(g)
    )
}

pub(crate) fn run(args: &GraphArgs) -> u8 {
    let story = match qnce::load(&args.path, &Limits::default()) {
        Ok(loaded) => loaded.value,
        Err(LoadError::Invalid(d)) => {
            for d in d.iter().filter(|d| d.is_error()) {
                eprintln!("{}", crate::check::render(d));
            }
            return EXIT_ERRORS;
        }
        Err(e) => {
            eprintln!("qnce: {e}");
            return EXIT_USAGE;
        }
    };
    let story = Arc::new(story);
    let report = args.highlight.then(|| {
        let config = qnce::explore::Config {
            max_states: 100_000,
            ..qnce::explore::Config::default()
        };
        qnce::explore::explore(Arc::clone(&story), &config, None)
    });
    let graph = Graph::of(&story, report.as_ref());
    let text = match args.format {
        Format::Dot => to_dot(&graph),
        Format::Mermaid => to_mermaid(&graph),
        Format::Svg => to_svg(&graph),
        Format::Html => to_html(&graph, story.title()),
    };
    match &args.out {
        Some(path) => write_out(path, &text),
        None => {
            say!("{}", text.trim_end());
            0
        }
    }
}

fn write_out(path: &Path, text: &str) -> u8 {
    match qnce::persist::write_atomic(path, text) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("qnce: cannot write {}: {e}", path.display());
            EXIT_USAGE
        }
    }
}
