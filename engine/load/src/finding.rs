//! Findings: a problem at a path inside a file (and an offset inside an expression),
//! given its line and column only when reported as a [`Diagnostic`].

use std::sync::Arc;

use qnce_core::story::{FileId, SourceFile, TextPrint};
use rustc_hash::FxHashMap as HashMap;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::locate::{Seg, SourceMap};
use crate::read::text_of;

/// A finding before it has a line and column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Finding {
    pub(crate) severity: Severity,
    pub(crate) file: FileId,
    pub(crate) path: Vec<Seg>,
    /// Byte offset inside the string value at `path` (expression errors).
    pub(crate) inner: Option<usize>,
    /// Whether to point at the last of duplicate keys.
    pub(crate) last: bool,
    pub(crate) message: String,
    /// A position known directly (ron syntax errors), instead of `path`.
    pub(crate) at: Option<(usize, usize)>,
}

impl Finding {
    pub(crate) fn error(file: FileId, path: Vec<Seg>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            file,
            path,
            inner: None,
            last: false,
            message: message.into(),
            at: None,
        }
    }

    pub(crate) fn warning(file: FileId, path: Vec<Seg>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(file, path, message)
        }
    }
}

/// The diagnostics of a reload's nodes kept, as placed before.
pub(crate) fn shared_diagnostics(items: Vec<Arc<Diagnostic>>) -> Diagnostics {
    let mut d = Diagnostics::default();
    for item in items {
        d.push_shared(item);
    }
    d
}

pub(crate) fn diagnostics_of(items: Vec<Diagnostic>) -> Diagnostics {
    let mut d = Diagnostics::default();
    for item in items {
        d.push(item);
    }
    d
}

/// Gives every finding its line and column, building a source map only for files that
/// have findings.
pub(crate) fn resolve_findings(files: &[SourceFile], findings: Vec<Finding>) -> Diagnostics {
    resolve_findings_with(files, findings, &mut Placed::default())
}

/// The findings last given their place, by the print of their file's text: a file whose
/// text is the same places a finding where it did before, so that a reload places only what is
/// new (placing reads the whole file, and, where its text was let go of, reads it again).
#[derive(Debug, Default)]
pub(crate) struct Placed {
    /// By the print of a file's text.
    files: HashMap<TextPrint, HashMap<Finding, Arc<Diagnostic>>>,
}

impl Placed {
    /// The diagnostic of `finding` in a file of text `text`, as last placed.
    pub(crate) fn get(&self, text: TextPrint, finding: &Finding) -> Option<&Arc<Diagnostic>> {
        self.files.get(&text)?.get(finding)
    }
}

/// As [`resolve_findings`], taking the place of each finding `placed` has for the same
/// file text, and leaving in `placed` the places of these findings.
pub(crate) fn resolve_findings_with(
    files: &[SourceFile],
    mut findings: Vec<Finding>,
    placed: &mut Placed,
) -> Diagnostics {
    findings.sort_by_key(|f| f.file);
    let mut before = std::mem::take(&mut placed.files);
    let mut out = Diagnostics::default();
    // The file whose findings are being placed, with its map: none when its text was let
    // go of and the file changed since.
    let mut current: Option<(FileId, Option<SourceMap>)> = None;
    for f in findings {
        let Some(src) = files.get(f.file.0 as usize) else {
            continue;
        };
        let key = src.print();
        let known = before
            .get_mut(&key)
            .and_then(|known| known.remove(&f))
            .filter(|d| d.path == src.path);
        let diagnostic = match known {
            Some(d) => d,
            None => {
                if current.as_ref().is_none_or(|(id, _)| *id != f.file) {
                    current = Some((f.file, text_of(src).map(SourceMap::new)));
                }
                match current.as_ref() {
                    Some((_, Some(map))) => Arc::new(place(map, src, &f)),
                    // Not kept: placed again once the file is read anew.
                    _ => {
                        out.push(unplaced(src, &f));
                        continue;
                    }
                }
            }
        };
        (placed.files.entry(key).or_default()).insert(f, Arc::clone(&diagnostic));
        out.push_shared(diagnostic);
    }
    out.sort();
    out
}

/// A finding in `src` whose text is no longer there to place it in (its file changed
/// since it was read): at its line and column when it has them, else at the file's start.
fn unplaced(src: &SourceFile, f: &Finding) -> Diagnostic {
    let (line, col) = f.at.unwrap_or((1, 1));
    Diagnostic {
        severity: f.severity,
        path: src.path.clone(),
        line,
        col,
        message: f.message.clone(),
        source_line: None,
    }
}

/// A finding with its line and column in `src`, whose map is `map`.
fn place(map: &SourceMap, src: &SourceFile, f: &Finding) -> Diagnostic {
    let (line, col) = match f.at {
        Some(at) => at,
        None => {
            let mut offset = map.offset(&f.path, f.last);
            if let Some(inner) = f.inner {
                offset = map.string_offset(offset, inner);
            }
            let lc = map.line_col(offset);
            (lc.line, lc.col)
        }
    };
    Diagnostic {
        severity: f.severity,
        path: src.path.clone(),
        line,
        col,
        message: f.message.clone(),
        source_line: map.line_text(line).map(str::to_owned),
    }
}
