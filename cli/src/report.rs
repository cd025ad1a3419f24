//! Reload outcomes in words, shared by line mode and the full-screen runner.

use qnce::story::{Delta, TextPiece};
use qnce::{LoadError, NodeId, Story};

/// How a piece of a word diff is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// As it is.
    Plain,
    /// Words an edit removed.
    Removed,
    /// Words an edit added.
    Added,
}

/// A piece of a word diff as text, the one marking line mode, JSON and the full-screen
/// banner share: `[-removed-]`, `{+added+}`, unchanged text as it is.
pub fn mark(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Plain => text.to_owned(),
        Tone::Removed => format!("[-{text}-]"),
        Tone::Added => format!("{{+{text}+}}"),
    }
}

/// A whole word diff as marked text (see [`mark`]).
pub fn marked_diff(pieces: &[TextPiece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            TextPiece::Same(s) => mark(s, Tone::Plain),
            TextPiece::Removed(s) => mark(s, Tone::Removed),
            TextPiece::Added(s) => mark(s, Tone::Added),
        })
        .collect()
}

/// What a reload changed, in one line: `changed NODE (fields); added …; removed …`, or
/// `no change`.
pub fn summary(story: &Story, delta: &Delta) -> String {
    let names = |ids: &[NodeId]| {
        ids.iter()
            .map(|&n| story.node_name(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    for change in &delta.nodes_changed {
        let fields: Vec<_> = change.fields.iter().map(|f| f.name()).collect();
        parts.push(format!(
            "changed {} ({})",
            story.node_name(change.node),
            fields.join(", ")
        ));
    }
    if !delta.nodes_added.is_empty() {
        parts.push(format!("added {}", names(&delta.nodes_added)));
    }
    if !delta.nodes_removed.is_empty() {
        parts.push(format!("removed {}", names(&delta.nodes_removed)));
    }
    if !delta.lines_retranslated.is_empty() {
        let mut locales: Vec<&str> = delta.lines_retranslated.iter().map(|(l, _)| &**l).collect();
        locales.sort_unstable();
        locales.dedup();
        let n = delta.lines_retranslated.len();
        parts.push(format!(
            "{n} translated text{} changed ({})",
            if n == 1 { "" } else { "s" },
            locales.join(", ")
        ));
    }
    if parts.is_empty() {
        parts.push(if delta.is_empty() {
            "no change".to_owned()
        } else {
            "variables, assets or flows changed".to_owned()
        });
    }
    parts.join("; ")
}

/// A command call as the story would write it: `play_sound("door")`, strings quoted.
pub fn command_call(name: &str, args: &[qnce::Value]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|v| match v {
            qnce::Value::Str(s) => format!("{:?}", s.as_ref()),
            other => other.to_string(),
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

/// A rejected edit's errors, one line each in the form `qnce check` prints
/// (`path:line:col: error: message`).
pub fn error_lines(e: &LoadError) -> Vec<String> {
    match e {
        LoadError::Invalid(diagnostics) => diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect(),
        other => vec![other.to_string()],
    }
}

/// A run-time error as one line, led by `path:line:col` of the expression that failed (or
/// of the node it names), as `qnce check` writes diagnostics.
pub fn located(story: &Story, e: &qnce::RuntimeError) -> String {
    match qnce::error_location(story, e) {
        Some((path, line, col)) => format!("{}:{line}:{col}: {e}", path.display()),
        None => e.to_string(),
    }
}
