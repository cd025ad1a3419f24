//! `qnce graph`: every example story drawn as SVG is read back as XML, and every node and
//! every edge of the story is in it; DOT and Mermaid name them too; `--highlight` marks
//! what `qnce explore` finds.

use std::collections::BTreeSet;

use crate::support::{example, load, qnce, stdout, story_dir};

/// The story's own edges, from its API: (from, to, kind) for each choice (`call`s as
/// call edges), `next` and node `call`.
fn expected_edges(story: &qnce::Story) -> BTreeSet<(String, String, &'static str)> {
    let mut out = BTreeSet::new();
    for node in story.node_ids() {
        let name = story.node_name(node).to_owned();
        for (choice, _) in story.node_choices(node) {
            let target = story.choice_target(node, choice).unwrap();
            let kind = if story.choice_is_fallback(node, choice) {
                "fallback"
            } else {
                "choice"
            };
            match (target.call, target.to) {
                (Some(call), _) => {
                    out.insert((name.clone(), story.node_name(call).to_owned(), "call"))
                }
                (None, Some(to)) => {
                    out.insert((name.clone(), story.node_name(to).to_owned(), kind))
                }
                (None, None) => false,
            };
        }
        let flow = story.node_flow(node);
        if let Some(call) = flow.call {
            out.insert((name.clone(), story.node_name(call).to_owned(), "call"));
        } else if let Some(next) = flow.next {
            out.insert((name.clone(), story.node_name(next).to_owned(), "next"));
        }
    }
    out
}

#[test]
fn every_example_story_is_drawn_with_every_node_and_edge() {
    for name in ["crossroads", "lighthouse", "market"] {
        let path = example(name);
        let story = load(&path);
        let out = qnce(&["graph", path.to_str().unwrap(), "--format", "svg"]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let svg = stdout(&out);
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let class = |n: &roxmltree::Node<'_, '_>, c: &str| {
            n.attribute("class")
                .is_some_and(|cls| cls.split(' ').any(|x| x == c))
        };
        let nodes: BTreeSet<String> = doc
            .descendants()
            .filter(|n| class(n, "node"))
            .map(|n| n.attribute("data-name").unwrap().to_owned())
            .collect();
        let want: BTreeSet<String> = story
            .node_ids()
            .map(|n| story.node_name(n).to_owned())
            .collect();
        assert_eq!(nodes, want, "{name}: every node, once");
        let edges: BTreeSet<(String, String, &str)> = doc
            .descendants()
            .filter(|n| class(n, "edge"))
            .map(|n| {
                let kind = match n.attribute("data-kind").unwrap() {
                    "choice" => "choice",
                    "fallback" => "fallback",
                    "next" => "next",
                    "call" => "call",
                    "return" => "return",
                    other => panic!("{other}"),
                };
                (
                    n.attribute("data-from").unwrap().to_owned(),
                    n.attribute("data-to").unwrap().to_owned(),
                    kind,
                )
            })
            .collect();
        let drawn: BTreeSet<_> = edges.iter().filter(|e| e.2 != "return").cloned().collect();
        assert_eq!(drawn, expected_edges(&story), "{name}: every edge");
        // The start is marked.
        assert!(
            doc.descendants().any(|n| class(&n, "start")),
            "{name}: a start is marked"
        );
        if name == "market" {
            // Its detour is called from two places and returns to each.
            let returns: Vec<_> = edges.iter().filter(|e| e.2 == "return").collect();
            assert!(returns.len() >= 2, "{returns:?}");
        }
        // HTML is the same drawing in a page.
        let html = stdout(&qnce(&[
            "graph",
            path.to_str().unwrap(),
            "--format",
            "html",
        ]));
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.contains("<svg"),
            "{name}"
        );
    }
}

#[test]
fn dot_and_mermaid_name_every_node_and_highlight_marks_what_explore_finds() {
    let path = example("crossroads");
    let story = load(&path);
    let dot = stdout(&qnce(&["graph", path.to_str().unwrap()]));
    assert!(dot.starts_with("digraph story {"), "{dot}");
    let mermaid = stdout(&qnce(&[
        "graph",
        path.to_str().unwrap(),
        "--format",
        "mermaid",
    ]));
    assert!(mermaid.starts_with("flowchart TB"), "{mermaid}");
    for node in story.node_ids() {
        let name = story.node_name(node);
        assert!(dot.contains(&format!("\"{name}\" [")), "{name} in DOT");
        assert!(
            mermaid.contains(&format!("[\"{name}<br/>")),
            "{name} in Mermaid"
        );
    }
    // A story with a node out of reach and a dead end, drawn with --highlight.
    let dir = story_dir(
        "graph-highlight",
        r#"Story(title: "H", start: "a", variables: { "k": Bool(false) }, nodes: {
            "a": (text: "A", choices: [(text: "Down", to: "b")]),
            "b": (text: "B", choices: [(text: "Locked", to: "a", when: "k")]),
            "lost": (text: "Lost"),
        })"#,
    );
    let out = dir.path().join("graph.svg");
    let status = qnce(&[
        "graph",
        dir.path().to_str().unwrap(),
        "--format",
        "svg",
        "--highlight",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(status.status.code(), Some(0));
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let marked = |c: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|cls| cls.split(' ').any(|x| x == c))
            })
            .map(|n| n.attribute("data-name").unwrap().to_owned())
            .collect()
    };
    assert_eq!(marked("unreached"), ["lost"]);
    assert_eq!(marked("dead-end"), ["b"]);
}
