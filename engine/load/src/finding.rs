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
                    Some((_, Some(map))) => Arc::new(place(Some(map), src, &f)),
                    // Not kept: placed again once the file is read anew.
                    _ => {
                        out.push(place(None, src, &f));
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

/// A finding with its line and column in `src`, whose map is `map`. Without a map (the
/// file's text let go of, and the file changed since it was read): at its line and column
/// when it has them, else at the file's start, with no source line.
fn place(map: Option<&SourceMap>, src: &SourceFile, f: &Finding) -> Diagnostic {
    let (line, col) = match (f.at, map) {
        (Some(at), _) => at,
        (None, Some(map)) => {
            let mut offset = map.offset(&f.path, f.last);
            if let Some(inner) = f.inner {
                offset = map.string_offset(offset, inner);
            }
            let lc = map.line_col(offset);
            (lc.line, lc.col)
        }
        (None, None) => (1, 1),
    };
    Diagnostic {
        severity: f.severity,
        path: src.path.clone(),
        line,
        col,
        message: f.message.clone(),
        source_line: map.and_then(|m| m.line_text(line)).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use qnce_core::story::{FileId, SourceFile};

    use super::{Finding, Placed, resolve_findings_with};
    use crate::locate::Seg;

    #[test]
    fn a_finding_in_a_file_read_again_is_placed_unless_the_file_changed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("a.ron");
        let text = "Include(nodes: {\n  \"a\": (text: \"A\"),\n})\n";
        std::fs::write(&path, text).expect("written");
        let mut file = SourceFile::new(path.clone(), Arc::from(text));
        file.let_go_of_text();
        let files = [file];
        let at_a = || {
            let path = vec![Seg::Field("nodes"), Seg::Key("a".into())];
            Finding::warning(FileId(0), path, "w")
        };
        let mut placed = Placed::default();
        let found = resolve_findings_with(&files, vec![at_a()], &mut placed);
        let d = found.iter().next().expect("one diagnostic");
        assert_eq!((d.line, d.col), (2, 3));
        assert_eq!(d.source_line.as_deref(), Some("  \"a\": (text: \"A\"),"));

        // The file changed since: the finding stands at the file's start, and is not kept
        // as placed (the next reload places it again).
        std::fs::write(&path, format!("\n{text}")).expect("written");
        let mut placed = Placed::default();
        let found = resolve_findings_with(&files, vec![at_a()], &mut placed);
        let d = found.iter().next().expect("one diagnostic");
        assert_eq!((d.line, d.col, d.source_line.as_deref()), (1, 1, None));
        assert!(placed.files.is_empty());
    }
}
