//! qnce-load: the compiler. Reads a story's files, parses them and validates the whole
//! story into a `qnce_core::Story`; also save files on disk ([`persist`]).
//!
//! Reading is the only I/O; compiling is pure. Every mistake found becomes a
//! [`Diagnostic`] with its file, line and column, and all of them are reported together.

#![forbid(unsafe_code)]

mod compile;
pub mod diagnostic;
mod format;
mod locate;
pub mod persist;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};

use std::collections::{HashMap, HashSet};
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use compile::Reuse;
use format::{IncludeFile, StoryFile};
use locate::{Seg, SourceMap};
use qnce_core::story::{FileId, Names, SourceFile, Story, StoryData};

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
#[non_exhaustive]
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
pub fn load(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded, LoadError> {
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
pub fn load_data(
    path: impl AsRef<Path>,
    limits: &Limits,
) -> Result<(StoryData, Diagnostics), LoadError> {
    load_cached(path.as_ref(), limits).map(|(data, diagnostics, _)| (data, diagnostics))
}

/// As [`load_data`], also returning the parsed files for later reloads.
#[doc(hidden)]
pub fn load_cached(
    path: &Path,
    limits: &Limits,
) -> Result<(StoryData, Diagnostics, FileCache), LoadError> {
    let _span = tracing::debug_span!("load").entered();
    let read = read_story(path, limits, None, &Changes::All, Preread::default())?;
    let mut names = Names::default();
    let mut findings = read.findings;
    let compiled = compile::compile(
        compile::Sources {
            root: read.root,
            files: read.files,
            parsed: &read.parsed,
            limits,
            reuse: None,
        },
        &mut findings,
        &mut names,
    );
    let diagnostics = resolve_findings(&compiled.files, findings);
    let cache = FileCache::of(&read.keys, &compiled.files, &read.parsed);
    match compiled.into_story_data(names) {
        Some(data) if !diagnostics.has_errors() => Ok((data, diagnostics, cache)),
        _ => Err(LoadError::Invalid(diagnostics)),
    }
}

/// A story compiled again after some of its files changed, ready to be diffed against the
/// running story (see `qnce-live`'s `Reloader`).
#[derive(Debug)]
pub struct Recompiled {
    /// The new version's data.
    pub data: StoryData,
    /// For each node id, whether the new version declares it.
    pub declared: Vec<bool>,
    /// The files read and parsed anew.
    pub files: Vec<PathBuf>,
    /// Warnings of the new version.
    pub warnings: Diagnostics,
    /// Whether only the nodes of changed files were compiled (the rest kept as compiled).
    pub partial: bool,
    /// The files of the new version, for the next reload.
    pub cache: FileCache,
    /// Time spent reading, parsing (both summed over threads) and validating.
    pub reading: Duration,
    /// See `reading`.
    pub parsing: Duration,
    /// See `reading`.
    pub validating: Duration,
}

/// Reads the story at `path` again where `changes` says its files changed (taking what
/// `preread` already read), and compiles the new version against `story`, reusing the
/// nodes of unchanged files while the names they use still mean the same. Interns the new
/// version's names into `story`'s interners (they only grow), and changes nothing else.
///
/// # Errors
/// [`LoadError::Unreadable`] when the main file cannot be read, [`LoadError::Invalid`]
/// when the new version has errors.
pub fn recompile(
    path: &Path,
    limits: &Limits,
    cache: &FileCache,
    changes: &Changes,
    preread: Preread,
    story: &mut Story,
) -> Result<Recompiled, LoadError> {
    let read = read_story(path, limits, Some(cache), changes, preread)?;
    let files: Vec<PathBuf> = read
        .files
        .iter()
        .zip(&read.fresh)
        .filter(|(_, fresh)| **fresh)
        .map(|(f, _)| f.path.clone())
        .collect();
    let started = Instant::now();
    let mut names = std::mem::take(story.names_mut());
    let mut findings = read.findings;
    let mut compiled = compile::compile(
        compile::Sources {
            root: read.root,
            files: read.files,
            parsed: &read.parsed,
            limits,
            reuse: Some(Reuse {
                story,
                fresh: &read.fresh,
                previous: &read.previous,
            }),
        },
        &mut findings,
        &mut names,
    );
    *story.names_mut() = names;
    let warnings = resolve_findings(&compiled.files, findings);
    let validating = started.elapsed();
    if warnings.has_errors() {
        return Err(LoadError::Invalid(warnings));
    }
    let cache = FileCache::of(&read.keys, &compiled.files, &read.parsed);
    let declared = std::mem::take(&mut compiled.declared);
    let partial = compiled.partial;
    let Some(data) = compiled.into_story_data(Names::default()) else {
        return Err(LoadError::Invalid(warnings));
    };
    Ok(Recompiled {
        data,
        declared,
        files,
        warnings,
        partial,
        cache,
        reading: read.reading,
        parsing: read.parsing,
        validating,
    })
}

/// Which files changed since the cache was filled.
#[derive(Clone, Debug)]
#[doc(hidden)]
pub enum Changes {
    /// Every file may have changed: read them all (a file whose text is the same keeps its
    /// parse).
    All,
    /// Only these files changed (paths as [`file_key`] makes them).
    Paths(HashSet<PathBuf>),
}

impl Changes {
    fn includes(&self, key: &Path) -> bool {
        match self {
            Changes::All => true,
            Changes::Paths(paths) => paths.contains(key),
        }
    }
}

/// Changed files read and parsed ahead of a reload, on several threads at once (see
/// [`preread`]); the reader takes them instead of reading and parsing itself.
#[derive(Default)]
pub struct Preread {
    files: HashMap<PathBuf, PrereadFile>,
    /// Time spent, in all, reading (summed over threads).
    pub reading: Duration,
    /// Time spent, in all, parsing (summed over threads).
    pub parsing: Duration,
}

struct PrereadFile {
    text: Result<String, ReadFailure>,
    /// The parse of `text` (none when it was not read or is blank).
    parsed: Option<Result<Parsed, ron::error::SpannedError>>,
}

/// A changed file to read and parse ahead of a reload, on any thread.
pub struct FileJob {
    key: PathBuf,
    main: bool,
    limits: Limits,
}

/// What reading and parsing a [`FileJob`] gave.
pub struct FileRead {
    key: PathBuf,
    file: PrereadFile,
    reading: Duration,
    parsing: Duration,
}

/// Runs one function over several files at once, the calling thread helping, and returns
/// the results in the jobs' order. A reload reads and parses its changed files through
/// one when it has it; the engine's thread pool (`qnce-services`) is one. Loading itself
/// starts no thread.
pub trait ParallelMap: Send + Sync + std::fmt::Debug {
    /// Runs `work` on every job; the results come back in the jobs' order.
    fn map_files(&self, jobs: Vec<FileJob>, work: fn(FileJob) -> FileRead) -> Vec<FileRead>;
}

/// Reads and parses the changed files among the cached ones through `parallel`, when
/// there are at least two (for one, the reader does it as well).
pub fn preread(
    parallel: &dyn ParallelMap,
    path: &Path,
    limits: &Limits,
    cache: &FileCache,
    changes: &Changes,
) -> Preread {
    let Changes::Paths(paths) = changes else {
        return Preread::default();
    };
    let Ok((_, main)) = resolve(path) else {
        return Preread::default();
    };
    let main_key = file_key(&main);
    let jobs: Vec<FileJob> = paths
        .iter()
        .filter(|key| cache.files.contains_key(*key))
        .map(|key| FileJob {
            key: key.clone(),
            main: *key == main_key,
            limits: limits.clone(),
        })
        .collect();
    if jobs.len() < 2 {
        return Preread::default();
    }
    let mut preread = Preread::default();
    for read in parallel.map_files(jobs, read_and_parse) {
        preread.reading += read.reading;
        preread.parsing += read.parsing;
        preread.files.insert(read.key, read.file);
    }
    preread
}

fn read_and_parse(job: FileJob) -> FileRead {
    let FileJob { key, main, limits } = job;
    let started = Instant::now();
    let text = read_text(&key, &limits);
    let reading = started.elapsed();
    let started = Instant::now();
    let parsed = match &text {
        Ok(text) if !is_blank(text) => Some(parse_text(text, main, &limits)),
        _ => None,
    };
    FileRead {
        key,
        file: PrereadFile { text, parsed },
        reading,
        parsing: started.elapsed(),
    }
}

fn parse_text(text: &str, main: bool, limits: &Limits) -> Result<Parsed, ron::error::SpannedError> {
    let _span = tracing::debug_span!("parse").entered();
    let options = ron_options(limits);
    if main {
        options.from_str::<StoryFile>(text).map(Parsed::Main)
    } else {
        options.from_str::<IncludeFile>(text).map(Parsed::Include)
    }
}

/// The files of the last good load, parsed, so that a reload reads and parses only the
/// files that changed.
#[derive(Clone, Debug, Default)]
#[doc(hidden)]
pub struct FileCache {
    files: HashMap<PathBuf, CachedFile>,
}

#[derive(Clone, Debug)]
struct CachedFile {
    text: Arc<str>,
    parsed: Arc<Parsed>,
}

impl FileCache {
    /// The cache of the files a read found, with their texts after compiling (`files`) and
    /// their parses (files that did not parse are left out).
    pub(crate) fn of(
        keys: &[PathBuf],
        files: &[SourceFile],
        parsed: &[Option<Arc<Parsed>>],
    ) -> FileCache {
        let files = keys
            .iter()
            .zip(files)
            .zip(parsed)
            .filter_map(|((key, f), p)| {
                let parsed = p.clone()?;
                Some((
                    key.clone(),
                    CachedFile {
                        text: f.text.clone(),
                        parsed,
                    },
                ))
            })
            .collect();
        FileCache { files }
    }

    /// Whether `key` is one of the story's files.
    pub fn contains(&self, key: &Path) -> bool {
        self.files.contains_key(key)
    }
}

/// A path made absolute and free of `.` and `..`, without touching the file system beyond
/// the current directory; the key that file caches and watcher events agree on.
#[doc(hidden)]
pub fn file_key(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
}

/// `path` without `.` and `..` components, lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The story's files, read and parsed.
pub(crate) struct ReadFiles {
    pub(crate) root: PathBuf,
    pub(crate) files: Vec<SourceFile>,
    /// Each file's key (see [`file_key`]).
    pub(crate) keys: Vec<PathBuf>,
    /// Each file's parse; `None` where it failed (an error is among the findings).
    pub(crate) parsed: Vec<Option<Arc<Parsed>>>,
    /// Whether each file was read and parsed now (else taken from the cache).
    pub(crate) fresh: Vec<bool>,
    /// For each file read anew, its parse as the cache held it (the running version).
    pub(crate) previous: Vec<Option<Arc<Parsed>>>,
    pub(crate) findings: Vec<Finding>,
    /// Time spent reading files.
    pub(crate) reading: Duration,
    /// Time spent parsing files.
    pub(crate) parsing: Duration,
}

/// Reads the story's files from its main file through its includes, taking unchanged files
/// from `cache`.
pub(crate) fn read_story(
    path: &Path,
    limits: &Limits,
    cache: Option<&FileCache>,
    changes: &Changes,
    preread: Preread,
) -> Result<ReadFiles, LoadError> {
    let (root, main) = resolve(path)?;
    let mut reader = Reader {
        root_abs: file_key(&root),
        root_real: None,
        root: root.clone(),
        limits,
        cache,
        changes,
        read: ReadFiles {
            root,
            files: Vec::new(),
            keys: Vec::new(),
            parsed: Vec::new(),
            fresh: Vec::new(),
            previous: Vec::new(),
            findings: Vec::new(),
            reading: preread.reading,
            parsing: preread.parsing,
        },
        stack: Vec::new(),
        seen: HashSet::new(),
        preread: preread.files,
        preparsed: HashMap::new(),
    };
    // The main file must be readable at all; a read failure is not a story mistake.
    let main_key = file_key(&main);
    let text = reader.fetch(&main, &main_key).map_err(|e| match e {
        ReadFailure::Io(source) => LoadError::Unreadable {
            path: main.clone(),
            source,
        },
        ReadFailure::Finding(d) => LoadError::Invalid(diagnostics_of(vec![d])),
    })?;
    reader.add_file(main, main_key, text, true);
    Ok(reader.read)
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
#[derive(Debug)]
pub(crate) enum Parsed {
    Main(StoryFile),
    Include(IncludeFile),
}

struct Reader<'l> {
    root: PathBuf,
    /// The root made absolute and normalized, for file keys.
    root_abs: PathBuf,
    /// The root with links followed, found when first needed.
    root_real: Option<PathBuf>,
    limits: &'l Limits,
    cache: Option<&'l FileCache>,
    changes: &'l Changes,
    read: ReadFiles,
    /// Keys of the files being included, for cycle detection.
    stack: Vec<PathBuf>,
    /// Keys of the files read so far, for duplicate detection.
    seen: HashSet<PathBuf>,
    /// Files read and parsed ahead, not yet taken.
    preread: HashMap<PathBuf, PrereadFile>,
    /// Parses taken from `preread` by `fetch`, for `add_file`.
    preparsed: HashMap<PathBuf, Result<Parsed, ron::error::SpannedError>>,
}

enum ReadFailure {
    Io(std::io::Error),
    Finding(Diagnostic),
}

/// A file's text, and its parse when the cache holds it for this very text.
struct Fetched {
    text: Arc<str>,
    parsed: Option<Arc<Parsed>>,
    /// The cached parse of an earlier text of the file.
    previous: Option<Arc<Parsed>>,
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
    /// The text of the file at `path`: from the cache when it has not changed, else read.
    fn fetch(&mut self, path: &Path, key: &Path) -> Result<Fetched, ReadFailure> {
        let cached = self.cache.and_then(|c| c.files.get(key));
        if let Some(c) = cached
            && !self.changes.includes(key)
        {
            return Ok(Fetched {
                text: c.text.clone(),
                parsed: Some(c.parsed.clone()),
                previous: None,
            });
        }
        let text = match self.preread.remove(key) {
            Some(pre) => {
                if let Some(parsed) = pre.parsed {
                    self.preparsed.insert(key.to_owned(), parsed);
                }
                // Read by its key; name it as the reader would have.
                pre.text.map_err(|e| match e {
                    ReadFailure::Finding(d) => ReadFailure::Finding(Diagnostic {
                        path: path.to_owned(),
                        ..d
                    }),
                    io => io,
                })
            }
            None => {
                let started = Instant::now();
                let text = read_text(path, self.limits);
                self.read.reading += started.elapsed();
                text
            }
        };
        let text = text?;
        // A save that did not change the text keeps its parse.
        let (parsed, previous) = match cached {
            Some(c) if *c.text == *text => (Some(c.parsed.clone()), None),
            Some(c) => (None, Some(c.parsed.clone())),
            None => (None, None),
        };
        Ok(Fetched {
            text: Arc::from(text),
            parsed,
            previous,
        })
    }

    fn add_file(&mut self, path: PathBuf, key: PathBuf, fetched: Fetched, main: bool) {
        let file = FileId(self.read.files.len() as u32);
        self.seen.insert(key.clone());
        self.read.keys.push(key.clone());
        let Fetched {
            text,
            parsed,
            previous,
        } = fetched;
        self.read.files.push(SourceFile {
            path: path.clone(),
            text: text.clone(),
        });
        self.read.fresh.push(parsed.is_none());
        self.read.previous.push(previous);
        let parsed = match parsed {
            Some(p) => p,
            None if is_blank(&text) => {
                self.read.parsed.push(None);
                self.read.findings.push(Finding {
                    at: Some((1, 1)),
                    ..Finding::error(file, Vec::new(), "file is empty")
                });
                return;
            }
            None => match self
                .preparsed
                .remove(&key)
                .unwrap_or_else(|| self.parse(&text, main))
            {
                Ok(p) => Arc::new(p),
                Err(e) => {
                    self.read.findings.push(Finding {
                        at: Some((e.span.start.line, e.span.start.col)),
                        ..Finding::error(file, Vec::new(), ron_message(&e.code))
                    });
                    self.read.parsed.push(None);
                    return;
                }
            },
        };
        let includes = match &*parsed {
            Parsed::Main(f) => f.include.clone(),
            Parsed::Include(f) => f.include.clone(),
        };
        self.read.parsed.push(Some(parsed));
        self.stack.push(key);
        for (i, include) in includes.iter().enumerate() {
            self.include(file, i, include);
        }
        self.stack.pop();
    }

    fn parse(&mut self, text: &str, main: bool) -> Result<Parsed, ron::error::SpannedError> {
        let started = Instant::now();
        let parsed = parse_text(text, main, self.limits);
        self.read.parsing += started.elapsed();
        parsed
    }

    fn include(&mut self, from: FileId, index: usize, include: &str) {
        let path = vec![Seg::Field("include"), Seg::Index(index)];
        let outside = || format!("include `{include}` points outside the story directory");
        if !lexically_inside(include) {
            self.read
                .findings
                .push(Finding::error(from, path, outside()));
            return;
        }
        let target = self.root.join(include);
        let key = normalize(&self.root_abs.join(include));
        if let Some(pos) = self.stack.iter().position(|k| *k == key) {
            let cycle: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| p.display().to_string())
                .collect();
            self.read.findings.push(Finding::error(
                from,
                path,
                format!("include cycle: {}", cycle.join(" -> ")),
            ));
            return;
        }
        if self.seen.contains(&key) {
            self.read.findings.push(Finding::error(
                from,
                path,
                format!("`{include}` is included more than once"),
            ));
            return;
        }
        if self.read.files.len() >= self.limits.max_files {
            self.read.findings.push(Finding::error(
                from,
                path,
                format!("more files than the limit of {}", self.limits.max_files),
            ));
            return;
        }
        let fetched = self.fetch(&target, &key);
        // A file read anew may be a link out of the story directory; a cached one was
        // checked when it was read.
        if matches!(&fetched, Ok(f) if f.parsed.is_none()) && self.escapes_by_links(&target) {
            self.read
                .findings
                .push(Finding::error(from, path, outside()));
            return;
        }
        match fetched {
            Ok(fetched) => self.add_file(target, key, fetched, false),
            Err(ReadFailure::Io(e)) => self.read.findings.push(Finding::error(
                from,
                path,
                format!("cannot read include `{include}`: {e}"),
            )),
            Err(ReadFailure::Finding(d)) => {
                // Report the problem in the included file itself.
                let file = FileId(self.read.files.len() as u32);
                self.read.files.push(SourceFile {
                    path: target,
                    text: Arc::from(""),
                });
                self.read.keys.push(key);
                self.read.parsed.push(None);
                self.read.fresh.push(true);
                self.read.previous.push(None);
                self.read.findings.push(Finding {
                    at: Some((d.line, d.col)),
                    ..Finding::error(file, Vec::new(), d.message)
                });
            }
        }
    }

    /// Whether `target`, once links are followed, lies outside the story directory.
    fn escapes_by_links(&mut self, target: &Path) -> bool {
        if self.root_real.is_none() {
            self.root_real = self.root.canonicalize().ok();
        }
        match (&self.root_real, target.canonicalize()) {
            (Some(root), Ok(real)) => !real.starts_with(root),
            _ => false,
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

/// Whether a relative path stays inside the directory it is relative to, without
/// following links: no root, no prefix, never above its start.
fn lexically_inside(relative: &str) -> bool {
    let mut depth = 0i32;
    for c in Path::new(relative).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// `relative` joined to `root`, if it stays inside `root` lexically and, where the file
/// exists, after following links.
pub(crate) fn contained(root: &Path, relative: &str) -> Option<PathBuf> {
    if !lexically_inside(relative) {
        return None;
    }
    let joined = root.join(relative);
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
