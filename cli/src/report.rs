//! Reload outcomes in words, shared by line mode and the full-screen runner.

use qnce::story::Delta;
use qnce::{LoadError, NodeId, Story};

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
    if parts.is_empty() {
        parts.push(if delta.is_empty() {
            "no change".to_owned()
        } else {
            "variables, assets or flows changed".to_owned()
        });
    }
    parts.join("; ")
}

/// A rejected edit's errors as `path:line:col: message` lines.
pub fn error_lines(e: &LoadError) -> Vec<String> {
    match e {
        LoadError::Invalid(diagnostics) => diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}:{}:{}: {}", d.path.display(), d.line, d.col, d.message))
            .collect(),
        other => vec![other.to_string()],
    }
}
