//! qnce-load: the compiler. Reads a story's files, parses them and validates the whole
//! story into a `qnce_core::Story`; also save files on disk ([`persist`]).
//!
//! Reading is the only I/O; compiling is pure. Every mistake found becomes a
//! [`Diagnostic`] with its file, line and column, and all of them are reported together.

#![forbid(unsafe_code)]

mod cache;
mod compile;
mod dedent;
pub mod diagnostic;
mod finding;
mod format;
mod locales;
mod locate;
pub mod outline;
pub mod persist;
pub mod po;
mod read;
mod source;
pub mod strings;
pub mod voices;

pub use cache::{
    CacheUpdate, Changes, FileCache, FileJob, FileRead, ParallelMap, Preread, file_key, preread,
    preread_story,
};
pub use compile::jobs::{NodesDone, NodesJob};
pub use diagnostic::{Diagnostic, Diagnostics, DiagnosticsIter, Severity};
pub(crate) use finding::{Finding, resolve_findings, resolve_findings_with};
pub use locales::{
    Coverage, LocaleCache, LocaleUpdate, NewVersion, Retranslated, coverage, is_translation_file,
    retranslate,
};
pub use locate::{Location, Locator, error_location, node_location};
pub(crate) use read::{Parsed, contained, read_story};
pub use source::{FileSystem, MemoryFiles, Source, SourceError};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use compile::Reuse;
use qnce_core::expr::ExprLimits;
use qnce_core::internal::StoryInternals;
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
    /// Deepest nesting of an expression, every level counting: a value is one level, and
    /// each operator adds one over its operands (`a + b + c` is three levels), as do
    /// unary operators, `?:`, calls and parentheses.
    pub max_expr_depth: usize,
    /// Most operators and operands in one expression (each `{…}` of a text is one).
    pub max_expr_size: usize,
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
            max_expr_size: 4096,
            max_ron_depth: 64,
            max_text_len: 64 * 1024,
        }
    }
}

impl Limits {
    /// The bounds of one expression.
    pub fn expr(&self) -> ExprLimits {
        ExprLimits {
            max_depth: self.max_expr_depth,
            max_size: self.max_expr_size,
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

/// What a successful load built, and the warnings found on the way: the one result shape
/// of every way to load a story ([`load`] builds a [`Story`], [`load_data`] its data,
/// `qnce-live`'s `Host::open` a host and `Reloader::load` a story with its reloader). A
/// load with errors is a [`LoadError::Invalid`] instead.
#[derive(Debug)]
#[must_use = "a load's warnings are for the author: show them or drop them deliberately"]
pub struct Loaded<T = Story> {
    /// What was loaded.
    pub value: T,
    /// Warnings (no errors).
    pub warnings: Diagnostics,
}

impl<T> Loaded<T> {
    /// The same warnings with `f` applied to what was loaded.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Loaded<U> {
        Loaded {
            value: f(self.value),
            warnings: self.warnings,
        }
    }
}

/// Loads the story at `path`: a directory holding `story.ron`, or a `.ron` file.
///
/// # Errors
/// [`LoadError::Unreadable`] when `path` cannot be read, [`LoadError::Invalid`] with every
/// diagnostic when the story has errors.
pub fn load(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded, LoadError> {
    let (data, warnings, _) = load_cached(path.as_ref(), limits)?;
    Ok(Loaded {
        value: Story::from_data(data),
        warnings,
    })
}

/// Loads the story at `path` in `source`: files in memory ([`MemoryFiles`]), or any
/// [`Source`] a game provides (an archive). Diagnostics name the paths as `source` has
/// them.
///
/// # Errors
/// As [`load`].
pub fn load_from(
    source: &dyn Source,
    path: impl AsRef<Path>,
    limits: &Limits,
) -> Result<Loaded, LoadError> {
    let (data, warnings, _) = load_cached_with(
        source,
        path.as_ref(),
        limits,
        true,
        (Preread::default(), None),
        LetGo::Parses,
    )?;
    Ok(Loaded {
        value: Story::from_data(data),
        warnings,
    })
}

/// Reads and validates the story at `path` without building it.
///
/// # Errors
/// As [`load`].
pub fn load_data(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded<StoryData>, LoadError> {
    let (data, warnings, _) = load_cached(path.as_ref(), limits)?;
    Ok(Loaded {
        value: data,
        warnings,
    })
}

/// As [`load_data`], also returning the parsed files for later reloads.
#[doc(hidden)]
pub fn load_cached(
    path: &Path,
    limits: &Limits,
) -> Result<(StoryData, Diagnostics, FileCache), LoadError> {
    load_cached_with(
        &FileSystem,
        path,
        limits,
        true,
        (Preread::default(), None),
        LetGo::ParsesAndTexts,
    )
}

/// As [`load_cached`], reading and parsing the story's files through `parallel`, several
/// at once (see [`preread_story`]), then compiling their nodes through it.
#[doc(hidden)]
pub fn load_cached_in_parallel(
    path: &Path,
    limits: &Limits,
    parallel: &dyn ParallelMap,
) -> Result<(StoryData, Diagnostics, FileCache), LoadError> {
    let preread = preread_story(parallel, path, limits);
    load_cached_with(
        &FileSystem,
        path,
        limits,
        true,
        (preread, Some(parallel)),
        LetGo::ParsesAndTexts,
    )
}

/// Loads the story at `path` without its translations: what a string table is extracted
/// from, so that a mistake in a translation does not stop extracting.
///
/// # Errors
/// As [`load`], for the story's own files.
pub fn load_untranslated(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded, LoadError> {
    let (data, warnings, _) = load_cached_with(
        &FileSystem,
        path.as_ref(),
        limits,
        false,
        (Preread::default(), None),
        LetGo::ParsesAndTexts,
    )?;
    Ok(Loaded {
        value: Story::from_data(data),
        warnings,
    })
}

/// What a load lets go of: each file's parse once its nodes are compiled (see
/// `compile::Sources::let_go`), and with [`LetGo::ParsesAndTexts`] the file's text too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LetGo {
    /// Nothing: a check that parses every file again soon after (`qnce lsp`).
    Nothing,
    /// The file's parse, made again from its text when needed.
    Parses,
    /// Its parse and its text (held by nothing but the parse from the moment it is
    /// parsed), read again from the file system when needed (see [`SourceFile`]): a story
    /// loaded from the file system by path.
    ParsesAndTexts,
}

fn load_cached_with(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
    translated: bool,
    ahead: (Preread, Option<&dyn ParallelMap>),
    let_go: LetGo,
) -> Result<(StoryData, Diagnostics, FileCache), LoadError> {
    let (data, diagnostics, cache) =
        validate(source, path, limits, translated, None, ahead, let_go)?;
    match data {
        Some(data) if !diagnostics.has_errors() => Ok((data, diagnostics, cache)),
        _ => Err(LoadError::Invalid(diagnostics)),
    }
}

/// A story checked as a whole: every diagnostic a load finds, and the files as parsed.
#[derive(Debug)]
#[doc(hidden)]
pub struct Checked {
    /// Every error and warning, as [`load`] reports them.
    pub diagnostics: Diagnostics,
    /// The files that parsed, for the next check.
    pub cache: FileCache,
    /// The story compiled (`None` when it could not be): returned rather than dropped, so
    /// that a caller in a hurry reports first and frees it after.
    pub data: Option<StoryData>,
}

/// Checks the story at `path` in `source` as [`load`] does, with the same diagnostics,
/// taking the parse of each file whose text is the same as in `previous` (a check of the
/// same story before) instead of parsing it again: what a tool reporting diagnostics as
/// files change does (`qnce lsp` at each pause in typing). Every file is still read and
/// the whole story validated.
///
/// # Errors
/// [`LoadError::Unreadable`] when `path` cannot be read.
#[doc(hidden)]
pub fn check_from(
    source: &dyn Source,
    path: impl AsRef<Path>,
    limits: &Limits,
    previous: Option<&FileCache>,
) -> Result<Checked, LoadError> {
    // The next check takes the parses of the files that stay the same: kept.
    let (data, diagnostics, cache) = validate(
        source,
        path.as_ref(),
        limits,
        true,
        previous,
        (Preread::default(), None),
        LetGo::Nothing,
    )?;
    Ok(Checked {
        diagnostics,
        cache,
        data,
    })
}

/// Reads, validates and compiles the story: its data (`None` when it could not be
/// compiled at all), every diagnostic, and its files as parsed. Files in `preread` are
/// taken from it rather than read and parsed, and the nodes are compiled on `parallel`'s
/// threads when given. Most files' parses are let go of as their nodes are compiled, and
/// their texts, as `let_go` says (see `compile::Sources::let_go`).
fn validate(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
    translated: bool,
    previous: Option<&FileCache>,
    (preread, parallel): (Preread, Option<&dyn ParallelMap>),
    let_go: LetGo,
) -> Result<(Option<StoryData>, Diagnostics, FileCache), LoadError> {
    let _span = tracing::debug_span!("load").entered();
    let texts = let_go == LetGo::ParsesAndTexts;
    let read = read_story(
        source,
        path,
        limits,
        previous,
        (&Changes::All, texts),
        preread,
    )?;
    let mut names = Names::default();
    let mut findings = read.findings;
    let mut tables = compile::Tables::default();
    let found_changed = read::found_changed();
    let mut compiled = compile::compile(
        compile::Sources {
            source,
            root: read.root,
            files: read.files,
            parsed: &read.parsed,
            limits,
            reuse: None,
            incomplete: read.incomplete,
            let_go: let_go != LetGo::Nothing,
            parallel,
        },
        &mut findings,
        &mut names,
        &mut tables,
    );
    findings.extend(changed_since_read(&read.parsed, found_changed).map(|(_, f)| f));
    let mut cache = FileCache::of(&read.keys, &compiled.files, &read.parsed);
    // What the tables found describes the story only when it loads.
    let compiled_ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let facts = std::mem::take(&mut compiled.facts);
    let mut files = compiled.files.clone();
    let mut data = compiled.into_story_data(names);
    // Translations are checked against a story without errors.
    let story_ok = translated && !findings.iter().any(|f| f.severity == Severity::Error);
    if let Some(data) = data.as_mut().filter(|_| story_ok) {
        let first = files.len();
        let locales = locales::load(source, &data.root, data, limits, first, &mut findings);
        data.translations = locales.translations;
        files.extend(locales.files);
        cache.locales = locales.cache;
    }
    let mut voice_warnings = Vec::new();
    if let Some(data) = data.as_mut().filter(|_| story_ok) {
        let nodes = &data.nodes;
        let lines = || {
            nodes
                .iter()
                .flat_map(|n| std::iter::once(&n.text).chain(n.choices.iter().map(|c| &c.text)))
                .map(|t| &*t.line)
                .collect()
        };
        data.voices = voices::find(source, &data.root, Some(&lines), &mut voice_warnings);
    }
    let mut diagnostics = resolve_findings_with(&files, findings, &mut cache.placed);
    diagnostics.extend(finding::diagnostics_of(voice_warnings));
    if compiled_ok {
        tables.commit(facts, &files, &cache.placed);
        cache.tables = tables;
    }
    Ok((data, diagnostics, cache))
}

/// An error for each file (by id) whose parse, let go of, could not be made again because
/// the file changed since it was read (see [`read::FileParse::changed`]): what was
/// compiled is not all of one version of the story. Looked for only when some parse was
/// found so since `found_changed` ([`read::found_changed`] before compiling).
fn changed_since_read(
    parsed: &[Option<Arc<read::FileParse>>],
    found_changed: u64,
) -> impl Iterator<Item = (usize, Finding)> {
    let parsed = if read::found_changed() == found_changed {
        &[]
    } else {
        parsed
    };
    let changed = |p: &Option<Arc<read::FileParse>>| p.as_ref().is_some_and(|p| p.changed());
    (parsed.iter().enumerate())
        .filter(move |(_, p)| changed(p))
        .map(|(i, _)| {
            let message = "the file changed on disk while the story was compiled (after it \
                           was read): it is read anew at the next load or reload";
            let finding = Finding::error(FileId(i as u32), Vec::new(), message);
            (
                i,
                Finding {
                    at: Some((1, 1)),
                    ..finding
                },
            )
        })
}

/// A story compiled again after some of its files changed, ready to be diffed against the
/// running story (see `qnce-live`'s `Reloader`).
#[derive(Debug)]
pub struct Recompiled {
    /// The new version's data.
    pub data: StoryData,
    /// The running story's nodes that the new version does not declare.
    pub removed: Vec<qnce_core::NodeId>,
    /// When the story has the same files as before: those read anew, by file id (`data`
    /// then has no files; see `Patch::set_changed_files`).
    pub changed_files: Option<Vec<(FileId, SourceFile)>>,
    /// The files read and parsed anew.
    pub files: Vec<PathBuf>,
    /// Warnings of the new version.
    pub warnings: Diagnostics,
    /// Whether only the nodes of changed files were compiled (the rest kept as compiled).
    pub partial: bool,
    /// The files of the new version and what validating it kept, for the next reload
    /// ([`FileCache::update`]).
    pub cache: CacheUpdate,
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
/// `cache` holds the files `story` was compiled from, and what validating them kept.
/// The new version's cache holds what validating it kept, for the next reload, which is
/// cheap only from the new cache once the new version is running, or from `cache` after
/// an error. (From `cache` after a new version that was not taken, every node is
/// compiled again.)
///
/// # Errors
/// [`LoadError::Unreadable`] when the main file cannot be read, [`LoadError::Invalid`]
/// when the new version has errors.
pub fn recompile(
    path: &Path,
    limits: &Limits,
    cache: &mut FileCache,
    changes: &Changes,
    mut preread: Preread,
    story: &mut Story,
) -> Result<Recompiled, LoadError> {
    // Only this compile's findings of files changed untold are kept for the caller.
    cache.changed.clear();
    // The same files as before, some read anew: the cache's layout is taken, not walked
    // again, and given back (as it was when this version is not taken).
    let reread = match (changes, &cache.layout) {
        (Changes::Paths(paths), Some(layout)) => {
            read::reread_changed(&FileSystem, path, limits, layout, paths, &mut preread)
        }
        _ => None,
    };
    let (mut read, mut unlaid) = match (reread, cache.layout.take()) {
        (Some(reread), Some(layout)) => {
            let (read, unlaid) = reread.into_files(layout);
            (read, Some(unlaid))
        }
        (_, layout) => {
            cache.layout = layout;
            let read = read_story(
                &FileSystem,
                path,
                limits,
                Some(cache),
                (changes, true),
                preread,
            )?;
            (read, None)
        }
    };
    let anew = read::fresh_ids(&read.fresh);
    let files: Vec<PathBuf> = anew.iter().map(|&i| read.files[i].path.clone()).collect();
    let started = Instant::now();
    let mut names = std::mem::take(story.names_mut());
    let mut findings = read.findings;
    let mut tables = std::mem::take(&mut cache.tables);
    let found_changed = read::found_changed();
    let mut compiled = compile::compile(
        compile::Sources {
            source: &FileSystem,
            root: read.root,
            files: read.files,
            parsed: &read.parsed,
            limits,
            reuse: Some(Reuse {
                story,
                fresh: &read.fresh,
                previous: &read.previous,
            }),
            incomplete: read.incomplete,
            let_go: true,
            parallel: None,
        },
        &mut findings,
        &mut names,
        &mut tables,
    );
    *story.names_mut() = names;
    let mut changed = Vec::new();
    for (i, finding) in changed_since_read(&read.parsed, found_changed) {
        changed.extend(read.keys.get(i).cloned());
        findings.push(finding);
    }
    let mut placed = std::mem::take(&mut cache.placed);
    let mut warnings = resolve_findings_with(&compiled.files, findings, &mut placed);
    warnings.extend(Diagnostics::shared(std::mem::take(&mut compiled.resolved)));
    let validating = started.elapsed();
    let taken = !warnings.has_errors() && compiled.data.is_some();
    if taken {
        tables.commit(
            std::mem::take(&mut compiled.facts),
            &compiled.files,
            &placed,
        );
    }
    let layout = unlaid.take().map(|unlaid| {
        let files = std::mem::take(&mut compiled.files);
        let (keys, parsed) = (
            std::mem::take(&mut read.keys),
            std::mem::take(&mut read.parsed),
        );
        unlaid.lay(keys, files, parsed, &read.previous, taken)
    });
    if !taken {
        // The running story is unchanged, and so is what the cache knows of it (the
        // layout, when it was taken, is given back).
        if layout.is_some() {
            cache.layout = layout;
        }
        cache.tables = tables;
        cache.placed = placed;
        cache.changed = changed;
        return Err(LoadError::Invalid(warnings));
    }
    // The same files in the same order: only those read anew change, in the cache and in
    // the story.
    let (cached, changed_files) = match layout {
        Some(layout) => {
            let changed = anew
                .iter()
                .filter_map(|&i| Some((FileId(i as u32), layout.files.get(i)?.clone())))
                .collect();
            (cache::NewFiles::Same { layout, anew }, Some(changed))
        }
        None => {
            let all = FileCache::of(&read.keys, &compiled.files, &read.parsed);
            (cache::NewFiles::All(Box::new(all)), None)
        }
    };
    let new_cache = CacheUpdate {
        files: cached,
        tables,
        placed,
    };
    let removed = std::mem::take(&mut compiled.removed);
    let partial = compiled.partial;
    let Some(data) = compiled.into_story_data(Names::default()) else {
        return Err(LoadError::Invalid(warnings));
    };
    Ok(Recompiled {
        data,
        removed,
        changed_files,
        files,
        warnings,
        partial,
        cache: new_cache,
        reading: read.reading,
        parsing: read.parsing,
        validating,
    })
}
