//! `qnce check`: diagnostics as `path:line:col: severity: message` with a source snippet,
//! or as JSON.

use std::path::Path;

use qnce::{Diagnostic, Diagnostics, Limits, LoadError};
use serde_json::json;

use crate::{EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn run(path: &Path, json: bool) -> u8 {
    let diagnostics = match qnce::load::load_data(path, &Limits::default()) {
        Ok((_, warnings)) => warnings,
        Err(LoadError::Invalid(d)) => d,
        // Unreadable, and whatever else keeps a story from being read at all.
        Err(e) => {
            eprintln!("qnce: {e}");
            return EXIT_USAGE;
        }
    };
    if json {
        say!("{}", to_json(&diagnostics));
    } else {
        print_human(&diagnostics);
        say!(
            "{}: {} error(s), {} warning(s)",
            path.display(),
            diagnostics.n_errors(),
            diagnostics.n_warnings()
        );
    }
    if diagnostics.has_errors() {
        EXIT_ERRORS
    } else {
        0
    }
}

/// Diagnostics as a JSON document.
pub(crate) fn to_json(diagnostics: &Diagnostics) -> serde_json::Value {
    let items: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "severity": d.severity.to_string(),
                "path": d.path.display().to_string(),
                "line": d.line,
                "col": d.col,
                "message": d.message,
            })
        })
        .collect();
    json!({
        "ok": !diagnostics.has_errors(),
        "errors": diagnostics.n_errors(),
        "warnings": diagnostics.n_warnings(),
        "diagnostics": items,
    })
}

/// Prints each diagnostic with a rustc-style snippet of its line.
pub(crate) fn print_human(diagnostics: &Diagnostics) {
    for d in diagnostics {
        say!("{}", render(d));
    }
}

pub(crate) fn render(d: &Diagnostic) -> String {
    let mut out = d.to_string();
    if let Some(line) = &d.source_line {
        let number = d.line.to_string();
        let pad = " ".repeat(number.len());
        // Tabs would misalign the caret; show them as spaces.
        let shown = line.replace('\t', " ");
        let caret_at: String = shown
            .chars()
            .take(d.col.saturating_sub(1))
            .map(|_| ' ')
            .collect();
        out.push_str(&format!(
            "\n{pad} |\n{number} | {shown}\n{pad} | {caret_at}^"
        ));
    }
    out
}
