//! Findings: a problem at a path inside a file (and an offset inside an expression),
//! given its line and column only when reported as a [`Diagnostic`].

use qnce_core::story::{FileId, SourceFile};

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::locate::{Seg, SourceMap};

/// A finding before it has a line and column.
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

pub(crate) fn diagnostics_of(items: Vec<Diagnostic>) -> Diagnostics {
    let mut d = Diagnostics::default();
    for item in items {
        d.push(item);
    }
    d
}

/// Gives every finding its line and column, building a source map only for files that
/// have findings.
pub(crate) fn resolve_findings(files: &[SourceFile], mut findings: Vec<Finding>) -> Diagnostics {
    findings.sort_by_key(|f| f.file);
    let mut out = Diagnostics::default();
    let mut current: Option<(FileId, SourceMap<'_>)> = None;
    for f in findings {
        let Some(src) = files.get(f.file.0 as usize) else {
            continue;
        };
        if current.as_ref().is_none_or(|(id, _)| *id != f.file) {
            current = Some((f.file, SourceMap::new(&src.text)));
        }
        let Some((_, map)) = current.as_ref() else {
            continue;
        };
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
        out.push(Diagnostic {
            severity: f.severity,
            path: src.path.clone(),
            line,
            col,
            message: f.message,
            source_line: map.line_text(line).map(str::to_owned),
        });
    }
    out.sort();
    out
}
