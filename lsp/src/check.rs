//! Checking a story on a thread of its own: the engine's loader reads the editor's
//! buffers ([`Overlay`]) and every diagnostic `qnce check` would print comes back as LSP
//! diagnostics, grouped by file. Each story's files stay parsed between checks, so a
//! check parses only the files whose text changed (and still validates the whole story).
//! Jobs that queue up while one runs are coalesced: only the latest of each story is
//! checked.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lsp_types::{DiagnosticSeverity, NumberOrString, Position, Range};
use qnce_load::{Diagnostic, FileCache, Limits, LoadError, Severity};

use crate::index::normalize;

use crate::overlay::Overlay;

/// A story to check, as the editor has it now.
pub(crate) struct Job {
    /// The story's main file.
    pub(crate) main: PathBuf,
    /// Which edit this is, to tell a result from one that came too late.
    pub(crate) generation: u64,
    pub(crate) overlay: Overlay,
}

/// A checked story: the diagnostics of each file that has some.
pub(crate) struct Checked {
    pub(crate) main: PathBuf,
    pub(crate) generation: u64,
    /// Or why the check failed (a bug in the checker, caught).
    pub(crate) files: Result<BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>, String>,
    /// How long the load took.
    pub(crate) elapsed: Duration,
}

/// Starts the checking thread; it ends when the returned sender is dropped.
///
/// # Errors
/// When the thread cannot be started.
pub(crate) fn spawn(results: Sender<Checked>) -> std::io::Result<Sender<Job>> {
    let (jobs, inbox) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("qnce-lsp-check".to_owned())
        .spawn(move || work(&inbox, &results))?;
    Ok(jobs)
}

fn work(inbox: &Receiver<Job>, results: &Sender<Checked>) {
    // Each story's files as last parsed: a check parses only the files whose text
    // changed since.
    let mut caches: HashMap<PathBuf, FileCache> = HashMap::new();
    while let Ok(job) = inbox.recv() {
        let mut latest = BTreeMap::new();
        latest.insert(job.main.clone(), job);
        for job in inbox.try_iter() {
            latest.insert(job.main.clone(), job);
        }
        for job in latest.into_values() {
            let started = Instant::now();
            let mut compiled = None;
            let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check(&job, &mut caches, &mut compiled)
            }))
            .unwrap_or_else(|_| {
                // The story's parses may be half updated: start again without them.
                caches.remove(&job.main);
                Checked {
                    main: job.main.clone(),
                    generation: job.generation,
                    files: Err(format!(
                        "qnce lsp failed checking {} (a bug); its diagnostics are as before",
                        job.main.display()
                    )),
                    elapsed: started.elapsed(),
                }
            });
            if results.send(checked).is_err() {
                return;
            }
            // Freeing a large story takes a while: after its diagnostics are out.
            drop(compiled);
        }
    }
}

fn check(
    job: &Job,
    caches: &mut HashMap<PathBuf, FileCache>,
    compiled: &mut Option<qnce_core::story::StoryData>,
) -> Checked {
    let started = Instant::now();
    let previous = caches.remove(&job.main);
    let checked = qnce_load::check_from(
        &job.overlay,
        &job.main,
        &Limits::default(),
        previous.as_ref(),
    );
    let diagnostics = match checked {
        Ok(checked) => {
            caches.insert(job.main.clone(), checked.cache);
            *compiled = checked.data;
            checked.diagnostics.iter().cloned().collect()
        }
        // The main file itself could not be read as a story file (not UTF-8, too large).
        Err(LoadError::Invalid(d)) => d.iter().cloned().collect(),
        Err(e) => vec![Diagnostic {
            severity: Severity::Error,
            path: job.main.clone(),
            line: 0,
            col: 0,
            message: e.to_string(),
            source_line: None,
        }],
    };
    let mut files: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        // The loader names an include as written (`chapters/../tower.ron`); the editor
        // has it by its plain path.
        files
            .entry(normalize(&d.path))
            .or_default()
            .push(to_lsp(&d));
    }
    Checked {
        main: job.main.clone(),
        generation: job.generation,
        files: Ok(files),
        elapsed: started.elapsed(),
    }
}

/// An engine diagnostic for the editor: the range covers what the diagnostic points at
/// (a string, a name, else one character), in UTF-16 code units.
pub(crate) fn to_lsp(d: &Diagnostic) -> lsp_types::Diagnostic {
    let range = match (&d.source_line, d.line.checked_sub(1)) {
        (Some(line), Some(n)) => {
            let start_char = d.col.saturating_sub(1);
            let before: String = line.chars().take(start_char).collect();
            let start = units(&before);
            let rest = &line[before.len()..];
            let end = start + units(token(rest));
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            Range::new(Position::new(n, start), Position::new(n, end))
        }
        _ => Range::default(),
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            _ => DiagnosticSeverity::WARNING,
        }),
        code: None::<NumberOrString>,
        source: Some("qnce".to_owned()),
        message: d.message.clone(),
        ..lsp_types::Diagnostic::default()
    }
}

fn units(s: &str) -> u32 {
    u32::try_from(s.chars().map(char::len_utf16).sum::<usize>()).unwrap_or(u32::MAX)
}

/// The token `rest` starts with: a quoted string (with a `Some(` before it), a raw
/// string, a name, else one character.
fn token(rest: &str) -> &str {
    let lead = if rest.starts_with("Some(") { 5 } else { 0 };
    let body = &rest[lead..];
    let len = match body.chars().next() {
        None => return rest,
        Some(q @ ('"' | '\'')) => {
            let mut escaped = false;
            body.char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let end = c == q && !escaped;
                    escaped = c == '\\' && !escaped;
                    end
                })
                .map_or(body.len(), |(i, c)| i + c.len_utf8())
        }
        Some('r') if body[1..].starts_with(['"', '#']) => {
            let hashes = body[1..].bytes().take_while(|&b| b == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            body.get(hashes + 2..)
                .and_then(|rest| rest.find(&close))
                .map_or(body.len(), |i| hashes + 2 + i + close.len())
        }
        Some(c) if c.is_alphanumeric() || c == '_' => body
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
            .map_or(body.len(), |(i, _)| i),
        Some(c) => c.len_utf8(),
    };
    &rest[..lead + len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagnostic_covers_its_token_in_utf16_units() {
        let d = |line: &str, col| Diagnostic {
            severity: Severity::Error,
            path: PathBuf::from("/s/story.ron"),
            line: 3,
            col,
            message: String::new(),
            source_line: Some(line.to_owned()),
        };
        let range = |line: &str, col| {
            let r = to_lsp(&d(line, col)).range;
            (r.start.line, r.start.character, r.end.character)
        };
        // `é` before: one unit; `𝄞` inside the string: two.
        assert_eq!(range(r#"é (to: "ri𝄞ver"),"#, 8), (2, 7, 16));
        assert_eq!(range(r#"  to: Some("x\"y"),"#, 7), (2, 6, 17));
        assert_eq!(range("  when: \"gold > 1\"", 9), (2, 8, 18));
        assert_eq!(range("  gold_x + 1", 3), (2, 2, 8));
        assert_eq!(range("  + 1", 3), (2, 2, 3));
        // A raw string cut short inside a character runs to the end of the line.
        assert_eq!(range("  r#é", 3), (2, 2, 5));
    }
}
