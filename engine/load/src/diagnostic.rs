//! Diagnostics: story mistakes found while loading, each with its file, line and column.
//!
//! Loading collects every diagnostic it can find instead of stopping at the first, so an
//! author sees all mistakes of a save at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// The story does not load.
    Error,
    /// The story loads, but something looks wrong.
    Warning,
}

/// One finding about a story, located in its source file.
#[derive(Clone, Debug, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the finding is in.
    pub path: PathBuf,
    /// 1-based line; 0 when the finding has no position (an unreadable file).
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong, lowercase and without a trailing period.
    pub message: String,
    /// The text of the line at `line`, for a source snippet.
    pub source_line: Option<String>,
}

impl PartialEq for Diagnostic {
    fn eq(&self, other: &Diagnostic) -> bool {
        (self.severity, self.line, self.col) == (other.severity, other.line, other.col)
            && self.message == other.message
            && same_path(&self.path, &other.path)
            && self.source_line == other.source_line
    }
}

/// Whether two paths are the same: by their bytes first (the diagnostics of one file
/// carry one path), by their components only when the bytes differ.
fn same_path(a: &Path, b: &Path) -> bool {
    a.as_os_str() == b.as_os_str() || a == b
}

/// Paths in order by their bytes, a separator before any other byte, without parsing
/// their components at each comparison (a reload sorts every warning of the story). For
/// paths without `.` components or doubled separators this is the order of their
/// components (as [`Path`] orders them); for others (an include written `./b.ron`) it is
/// still a total order that keeps each file's diagnostics together (a file has one
/// spelling within a load).
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    fn key(p: &Path) -> impl Iterator<Item = u8> + '_ {
        let bytes = p.as_os_str().as_encoded_bytes();
        bytes.iter().map(|&b| {
            if std::path::is_separator(char::from(b)) {
                0
            } else {
                b
            }
        })
    }
    // Most diagnostics compared are in one file: the same bytes are told by one comparison.
    if a.as_os_str() == b.as_os_str() {
        return std::cmp::Ordering::Equal;
    }
    key(a).cmp(key(b))
}

impl Diagnostic {
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the finding is, as `path:line:col`: the one way every report names a place.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path.display(), self.line, self.col)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:col: error: message`, the form editors and CI logs recognise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.location(),
            self.severity,
            self.message
        )
    }
}

/// Every diagnostic of one load, sorted by file and position. Each is shared, so that a
/// reload reports the warnings of the nodes it kept without copying them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Arc<Diagnostic>>,
}

impl Diagnostics {
    /// Adds a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(Arc::new(diagnostic));
    }

    /// These diagnostics, shared, in the order given.
    pub(crate) fn shared(items: Vec<Arc<Diagnostic>>) -> Diagnostics {
        Diagnostics { items }
    }

    /// Adds a diagnostic, shared.
    pub(crate) fn push_shared(&mut self, diagnostic: Arc<Diagnostic>) {
        self.items.push(diagnostic);
    }

    /// Adds every diagnostic of `other`, keeping the order by file and position.
    pub fn extend(&mut self, other: Diagnostics) {
        if other.items.is_empty() {
            return;
        }
        self.items.extend(other.items);
        self.sort();
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.is_error())
    }

    /// The number of errors.
    pub fn n_errors(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// The number of warnings.
    pub fn n_warnings(&self) -> usize {
        self.items.len() - self.n_errors()
    }

    /// All diagnostics, in order.
    pub fn iter(&self) -> DiagnosticsIter<'_> {
        DiagnosticsIter(self.items.iter())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorts by file, line and column, keeping the order of findings at one place.
    pub(crate) fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            path_order(&a.path, &b.path).then((a.line, a.col).cmp(&(b.line, b.col)))
        });
        self.items.dedup();
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = DiagnosticsIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The diagnostics of a [`Diagnostics`], in order.
#[derive(Clone, Debug)]
pub struct DiagnosticsIter<'a>(std::slice::Iter<'a, Arc<Diagnostic>>);

impl<'a> Iterator for DiagnosticsIter<'a> {
    type Item = &'a Diagnostic;

    fn next(&mut self) -> Option<&'a Diagnostic> {
        self.0.next().map(|d| &**d)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for DiagnosticsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|d| &**d)
    }
}

impl ExactSizeIterator for DiagnosticsIter<'_> {}

impl std::iter::FusedIterator for DiagnosticsIter<'_> {}

impl fmt::Display for Diagnostics {
    /// One diagnostic per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::{Diagnostic, Diagnostics, Severity, path_order};

    #[test]
    fn paths_sort_by_their_bytes_as_by_their_components() {
        let paths = [
            "/s/a.ron",
            "/s/a-b.ron",
            "/s/a/b.ron",
            "/s/a b/c.ron",
            "/s/ab.ron",
            "/s/a/b/c.ron",
            "/s/a",
            "/s/a.b/c.ron",
            "/s/A.ron",
            "/s/é.ron",
            "/t.ron",
            "/s",
        ];
        let mut by_bytes: Vec<&Path> = paths.iter().map(Path::new).collect();
        let mut by_components = by_bytes.clone();
        by_bytes.sort_by(|a, b| path_order(a, b));
        by_components.sort();
        assert_eq!(by_bytes, by_components);
    }

    #[test]
    fn diagnostics_sort_by_file_then_place_and_drop_repeats() {
        let d = |path: &str, line: usize| Diagnostic {
            severity: Severity::Warning,
            path: PathBuf::from(path),
            line,
            col: 1,
            message: "m".into(),
            source_line: None,
        };
        let mut all = Diagnostics::default();
        all.push(d("/s/b.ron", 1));
        let mut more = Diagnostics::default();
        for one in [
            d("/s/a/z.ron", 9),
            d("/s/b.ron", 1),
            d("/s/a-z.ron", 2),
            d("/s/a/z.ron", 3),
        ] {
            more.push(one);
        }
        all.extend(more);
        let placed: Vec<(&Path, usize)> = all.iter().map(|d| (&*d.path, d.line)).collect();
        assert_eq!(
            placed,
            [
                (Path::new("/s/a/z.ron"), 3),
                (Path::new("/s/a/z.ron"), 9),
                (Path::new("/s/a-z.ron"), 2),
                (Path::new("/s/b.ron"), 1),
            ]
        );
    }
}
