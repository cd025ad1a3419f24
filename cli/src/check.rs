//! `qnce check`: diagnostics as `path:line:col: severity: message` with a source snippet,
//! or as JSON.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use qnce::{Diagnostic, Diagnostics, Limits, LoadError, Severity};
use serde_json::json;

use crate::{EXIT_ERRORS, EXIT_USAGE};

pub(crate) fn run(path: &Path, json: bool, locale: Option<&str>) -> u8 {
    let (diagnostics, story) = match qnce::load(path, &Limits::default()) {
        Ok(loaded) => (loaded.warnings, Some(loaded.value)),
        Err(LoadError::Invalid(d)) => (d, None),
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
    if let (Some(tag), Some(story)) = (locale, &story) {
        match qnce::coverage(story).into_iter().find(|c| c.locale == tag) {
            Some(c) => {
                let percent = (c.translated * 100).checked_div(c.total).unwrap_or(100);
                say!(
                    "{tag}: {} of {} texts translated ({percent}%), {} voiced",
                    c.translated,
                    c.total,
                    c.voiced
                );
            }
            None => {
                eprintln!(
                    "qnce: the story has no translation `{tag}` (locales/{tag}.po) and no voice \
                     files for it (locales/{tag}/voice/)"
                );
                return EXIT_ERRORS;
            }
        }
    }
    // The process ends here: freeing a large story's world one allocation at a time
    // would cost about a sixth of the whole check (measured at 100,000 nodes).
    std::mem::forget(story);
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

/// A diagnostic as `path:line:col: severity: message` (the form editors and CI logs
/// recognise), then its line with the place underlined (annotate-snippets: display
/// widths, tabs expanded, the caret under the right column).
pub(crate) fn render(d: &Diagnostic) -> String {
    let mut out = d.to_string();
    if let Some(line) = d.source_line.as_ref().filter(|l| !l.trim().is_empty()) {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            _ => Level::WARNING,
        };
        let snippet = Snippet::source(line.as_str())
            .line_start(d.line)
            .fold(false)
            .annotation(AnnotationKind::Primary.span(marked_span(line, d.col)));
        // A group without a title: the first line above already says what and where.
        let report = &[Group::with_level(level).element(snippet)];
        out.push('\n');
        out.push_str(Renderer::plain().render(report).trim_end());
    }
    out
}

/// The bytes of `line` to underline for a finding at 1-based character column `col`: a
/// quoted string whole, else the word there, else one character.
fn marked_span(line: &str, col: usize) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let len = if let Some(quoted) = rest.strip_prefix('"') {
        quoted.find('"').map_or(rest.len(), |end| end + 2)
    } else {
        let word = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if word > 0 {
            word
        } else {
            rest.chars().next().map_or(0, char::len_utf8)
        }
    };
    start..start + len
}
