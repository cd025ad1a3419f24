//! Loading: reads a story's files, parses them and validates the whole story.
//!
//! Reading is the only I/O; [`compile`] is pure. Every mistake found becomes a
//! [`Diagnostic`] with its file, line and column, and all of them are reported together.

mod compile;
mod format;
mod locate;

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::story::{FileId, SourceFile, Story, StoryData};
use format::{IncludeFile, StoryFile};
use locate::{Seg, SourceMap};

/// Bounds on what a load accepts; exceeding one is an error, never a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest source file, in bytes.
    pub max_file_bytes: u64,
    /// Most files (main file and includes).
    pub max_files: usize,
    /// Most nodes.
    pub max_nodes: usize,
    /// Deepest nesting of an expression (parentheses and unary operators).
    pub max_expr_depth: usize,
    /// Deepest nesting of RON values.
    pub max_ron_depth: usize,
    /// Longest node or choice text, in bytes.
    pub max_text_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_files: 1_000,
            max_nodes: 200_000,
            max_expr_depth: 64,
            max_ron_depth: 64,
            max_text_len: 64 * 1024,
        }
    }
}

/// Why a story did not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The story path itself could not be read: nothing was checked.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The path that was asked for.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The story was read and has errors (warnings are included too).
    #[error("{n} error(s) in the story\n{diags}", n = .0.n_errors(), diags = .0)]
    Invalid(Diagnostics),
}

/// A successfully loaded story and the warnings found while loading it.
pub struct Loaded {
    /// The story.
    pub story: Story,
    /// Warnings (no errors).
    pub warnings: Diagnostics,
}

/// Loads the story at `path`: a directory holding `story.ron`, or a `.ron` file.
///
/// # Errors
/// [`LoadError::Unreadable`] when `path` cannot be read, [`LoadError::Invalid`] with every
/// diagnostic when the story has errors.
pub fn load(path: &Path, limits: &Limits) -> Result<Loaded, LoadError> {
    let (data, warnings) = load_data(path, limits)?;
    Ok(Loaded {
        story: Story::from_data(data),
        warnings,
    })
}

/// Reads and validates the story at `path` without building it.
///
/// # Errors
/// As [`load`].
pub fn load_data(path: &Path, limits: &Limits) -> Result<(StoryData, Diagnostics), LoadError> {
    let (root, main) = resolve(path)?;
    let mut reader = Reader {
        root: root.clone(),
        limits,
        files: Vec::new(),
        parsed: Vec::new(),
        findings: Vec::new(),
        stack: Vec::new(),
    };
    // The main file must be readable at all; a read failure is not a story mistake.
    let text = read_text(&main, limits).map_err(|e| match e {
        ReadFailure::Io(source) => LoadError::Unreadable {
            path: main.clone(),
            source,
        },
        ReadFailure::Finding(d) => LoadError::Invalid(diagnostics_of(vec![d])),
    })?;
    reader.add_file(main, text, true);
    let Reader {
        files,
        parsed,
        mut findings,
        ..
    } = reader;
    let data = compile::compile(root, files, parsed, limits, &mut findings);
    let diagnostics = resolve_findings(&data.files, findings);
    match data.into_story_data() {
        Some(data) if !diagnostics.has_errors() => Ok((data, diagnostics)),
        _ => Err(LoadError::Invalid(diagnostics)),
    }
}

/// The story directory and the main file for a path.
fn resolve(path: &Path) -> Result<(PathBuf, PathBuf), LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_dir() {
        Ok((path.to_owned(), path.join("story.ron")))
    } else {
        let root = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned);
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        Ok((root, path.to_owned()))
    }
}

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

/// The parsed content of one file.
pub(crate) enum Parsed {
    Main(StoryFile),
    Include(IncludeFile),
}

struct Reader<'l> {
    root: PathBuf,
    limits: &'l Limits,
    files: Vec<SourceFile>,
    parsed: Vec<Option<Parsed>>,
    findings: Vec<Finding>,
    /// Files being included, for cycle detection.
    stack: Vec<PathBuf>,
}

enum ReadFailure {
    Io(std::io::Error),
    Finding(Diagnostic),
}

fn read_text(path: &Path, limits: &Limits) -> Result<String, ReadFailure> {
    let file = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "at the limit" from "over it" without trusting
    // metadata (which a pipe or a growing file would get wrong).
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    let plain = |message: String| Diagnostic {
        severity: Severity::Error,
        path: path.to_owned(),
        line: 1,
        col: 1,
        message,
        source_line: None,
    };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ReadFailure::Finding(plain(format!(
            "file is larger than the limit of {} bytes",
            limits.max_file_bytes
        ))));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = String::from_utf8_lossy(valid);
        let line = valid.matches('\n').count() + 1;
        let col = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ReadFailure::Finding(Diagnostic {
            line,
            col,
            ..plain("file is not valid UTF-8 text".into())
        })
    })
}

fn ron_options(limits: &Limits) -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(limits.max_ron_depth)
}

impl Reader<'_> {
    fn add_file(&mut self, path: PathBuf, text: String, main: bool) {
        let file = FileId(self.files.len() as u32);
        if is_blank(&text) {
            self.files.push(SourceFile {
                path,
                text: Arc::from(text),
            });
            self.parsed.push(None);
            self.findings.push(Finding {
                at: Some((1, 1)),
                ..Finding::error(file, Vec::new(), "file is empty")
            });
            return;
        }
        let options = ron_options(self.limits);
        let parsed = if main {
            options.from_str::<StoryFile>(&text).map(Parsed::Main)
        } else {
            options.from_str::<IncludeFile>(&text).map(Parsed::Include)
        };
        self.files.push(SourceFile {
            path: path.clone(),
            text: Arc::from(text),
        });
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                self.findings.push(Finding {
                    at: Some((e.span.start.line, e.span.start.col)),
                    ..Finding::error(file, Vec::new(), ron_message(&e.code))
                });
                self.parsed.push(None);
                return;
            }
        };
        let includes = match &parsed {
            Parsed::Main(f) => f.include.clone(),
            Parsed::Include(f) => f.include.clone(),
        };
        self.parsed.push(Some(parsed));
        self.stack.push(path);
        for (i, include) in includes.iter().enumerate() {
            self.include(file, i, include);
        }
        self.stack.pop();
    }

    fn include(&mut self, from: FileId, index: usize, include: &str) {
        let path = vec![Seg::Field("include"), Seg::Index(index)];
        let Some(target) = contained(&self.root, include) else {
            self.findings.push(Finding::error(
                from,
                path,
                format!("include `{include}` points outside the story directory"),
            ));
            return;
        };
        if let Some(pos) = self.stack.iter().position(|p| same_file(p, &target)) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&target))
                .map(|p| p.display().to_string())
                .collect();
            self.findings.push(Finding::error(
                from,
                path,
                format!("include cycle: {}", cycle.join(" -> ")),
            ));
            return;
        }
        if self.files.iter().any(|f| same_file(&f.path, &target)) {
            self.findings.push(Finding::error(
                from,
                path,
                format!("`{include}` is included more than once"),
            ));
            return;
        }
        if self.files.len() >= self.limits.max_files {
            self.findings.push(Finding::error(
                from,
                path,
                format!("more files than the limit of {}", self.limits.max_files),
            ));
            return;
        }
        match read_text(&target, self.limits) {
            Ok(text) => self.add_file(target, text, false),
            Err(ReadFailure::Io(e)) => self.findings.push(Finding::error(
                from,
                path,
                format!("cannot read include `{include}`: {e}"),
            )),
            Err(ReadFailure::Finding(d)) => {
                // Report the problem in the included file itself.
                let file = FileId(self.files.len() as u32);
                self.files.push(SourceFile {
                    path: target,
                    text: Arc::from(""),
                });
                self.parsed.push(None);
                self.findings.push(Finding {
                    at: Some((d.line, d.col)),
                    ..Finding::error(file, Vec::new(), d.message)
                });
            }
        }
    }
}

/// Whether a file holds nothing but white space and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("//")
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `relative` joined to `root`, if it stays inside `root` lexically and, where the file
/// exists, after following links.
pub(crate) fn contained(root: &Path, relative: &str) -> Option<PathBuf> {
    let rel = Path::new(relative);
    let mut depth = 0i32;
    for c in rel.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let joined = root.join(rel);
    if let (Ok(real_root), Ok(real)) = (root.canonicalize(), joined.canonicalize())
        && !real.starts_with(&real_root)
    {
        return None;
    }
    Some(joined)
}

/// ron's error text, lowercased at the start to read as a diagnostic.
fn ron_message(code: &ron::Error) -> String {
    let text = code.to_string();
    let mut chars = text.chars();
    let message = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    };
    message.trim_end_matches('.').to_owned()
}

fn diagnostics_of(items: Vec<Diagnostic>) -> Diagnostics {
    let mut d = Diagnostics::default();
    for item in items {
        d.push(item);
    }
    d
}

/// Gives every finding its line and column, building a source map only for files that
/// have findings.
fn resolve_findings(files: &[SourceFile], mut findings: Vec<Finding>) -> Diagnostics {
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
