//! Live reload: taking an edit of a story's files into the running story.
//!
//! A [`Reloader`] remembers the story's files as last loaded, parsed. On a change it reads
//! and parses only the changed files, validates the whole story (compiling only the nodes
//! of changed files when the rest is still valid as compiled), diffs the result against
//! the running story's world and applies the [`Patch`] as one
//! transaction. An edit that does not load changes nothing: the running story stays as it
//! was and the errors come back with file, line and column.
//!
//! [`Host`] puts it together for runners: it owns the story, its sessions and a
//! [`Watcher`](crate::watch::Watcher), and brings every session along after each reload.
//! [`SharedStory`] is the same without the sessions, for games that keep their own on
//! any threads: each session catches up with the edits it missed when it next plays.

mod attached;
mod host;
mod settle;
mod shared;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use host::{Host, Reloaded, SessionKey};
pub use settle::Settle;
pub use shared::{SharedStory, StoryHandle};

use qnce_core::story::{Delta, Patch, Story};
use qnce_load::Limits;
use qnce_load::diagnostic::Diagnostics;
use qnce_load::{
    self as load, Changes, FileCache, LoadError, Loaded, LocaleUpdate, NewVersion, ParallelMap,
    Preread,
};

/// Time spent in each phase of a reload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Reading changed files.
    pub reading: Duration,
    /// Parsing changed files.
    pub parsing: Duration,
    /// Validating the whole story and compiling changed nodes.
    pub validating: Duration,
    /// Computing the patch.
    pub diffing: Duration,
    /// Checking the translations the edit reaches.
    pub translating: Duration,
    /// Applying it to the world.
    pub applying: Duration,
}

impl Timings {
    /// The whole reload.
    pub fn total(&self) -> Duration {
        self.reading
            + self.parsing
            + self.validating
            + self.translating
            + self.diffing
            + self.applying
    }
}

/// What a successful reload did.
#[derive(Clone, Debug)]
pub struct ReloadReport {
    /// The files read and parsed anew (unchanged files are taken from the cache).
    pub files: Vec<PathBuf>,
    /// What changed in the story.
    pub delta: Delta,
    /// Warnings of the new version (of the files compiled anew, and of the whole story),
    /// and of the translations checked anew.
    pub warnings: Diagnostics,
    /// The warnings among `warnings` not seen at the load or an earlier reload (by file
    /// and message, wherever they moved to): what a runner shows after an edit, once.
    pub new_warnings: Diagnostics,
    /// Errors of translation files this reload did not take. Play goes on: each such
    /// locale keeps its last good version (less the texts the edit no longer lets stand),
    /// and the file is read again at every reload until it loads.
    pub translation_errors: Diagnostics,
    /// Whether the nodes of unchanged files were kept as compiled; `false` when the edit
    /// removed a name or changed a variable's type, so that every file was compiled again.
    pub partial: bool,
    /// Time spent in each phase.
    pub timings: Timings,
}

/// A reload computed but not applied yet: the patch and what it took to make it.
#[derive(Debug)]
pub struct Planned {
    /// The patch to apply.
    pub patch: Patch,
    /// The files read and parsed anew.
    pub files: Vec<PathBuf>,
    /// Warnings of the new version.
    pub warnings: Diagnostics,
    /// As [`ReloadReport::translation_errors`].
    pub translation_errors: Diagnostics,
    /// As [`ReloadReport::partial`].
    pub partial: bool,
    /// Time spent so far (`applying` is zero).
    pub timings: Timings,
    /// How the story files' cache changes (none when only translations changed).
    cache: Option<load::CacheUpdate>,
    /// The translation files read anew and taken.
    locales: LocaleUpdate,
    /// The translation files not taken, to read again at the next reload.
    rejected: Vec<PathBuf>,
}

/// The warnings seen so far, by file and message (wherever in the file they moved to).
///
/// Keyed by the path's bytes (a file's diagnostics carry one path), so that a lookup
/// neither parses nor hashes its components: a reload reports every warning of the story
/// again. A file whose include is written another way (`./c.ron` for `c.ron`) has its
/// warnings reported once more.
#[derive(Debug, Default)]
struct SeenWarnings(rustc_hash::FxHashMap<std::ffi::OsString, rustc_hash::FxHashSet<String>>);

impl SeenWarnings {
    /// Whether `d` is seen for the first time; notes it. A warning seen before costs no
    /// allocation.
    fn first_time(&mut self, d: &load::Diagnostic) -> bool {
        let path = d.path.as_os_str();
        if self.0.get(path).is_some_and(|m| m.contains(&d.message)) {
            return false;
        }
        self.0
            .entry(path.to_owned())
            .or_default()
            .insert(d.message.clone())
    }
}

/// Keeps a story's files between reloads and turns changes into patches.
#[derive(Debug)]
pub struct Reloader {
    path: PathBuf,
    root: PathBuf,
    limits: Limits,
    cache: FileCache,
    /// Files changed since the last reload that applied.
    pending: HashSet<PathBuf>,
    /// Translation files with errors, read again at every reload until they load.
    retry: Vec<PathBuf>,
    /// The translation files' directory (as [`load::file_key`] makes it).
    locales_dir: PathBuf,
    /// The story directory (as [`load::file_key`] makes it).
    root_key: PathBuf,
    /// The warnings seen so far (file and message), so that a reload reports each new
    /// one once.
    seen_warnings: SeenWarnings,
    /// Whether every file must be read again at the next reload.
    pending_all: bool,
    /// Where to read and parse several changed files at once.
    parallel: Option<Arc<dyn ParallelMap>>,
}

impl Reloader {
    /// Loads the story at `path` (a directory holding `story.ron`, or a `.ron` file) and
    /// keeps its files for later reloads.
    ///
    /// # Errors
    /// As [`qnce_load`].
    pub fn load(
        path: impl AsRef<Path>,
        limits: &Limits,
    ) -> Result<Loaded<(Story, Reloader)>, LoadError> {
        Reloader::load_with(path.as_ref(), limits, None)
    }

    /// As [`Reloader::load`], reading and parsing the story's files and compiling their
    /// nodes through `parallel` (the engine's pool, for one), several at once; later
    /// reloads read through it too (see [`Reloader::read_in_parallel`]).
    ///
    /// # Errors
    /// As [`qnce_load`].
    pub fn load_in_parallel(
        path: impl AsRef<Path>,
        limits: &Limits,
        parallel: Arc<dyn ParallelMap>,
    ) -> Result<Loaded<(Story, Reloader)>, LoadError> {
        Reloader::load_with(path.as_ref(), limits, Some(parallel))
    }

    fn load_with(
        path: &Path,
        limits: &Limits,
        parallel: Option<Arc<dyn ParallelMap>>,
    ) -> Result<Loaded<(Story, Reloader)>, LoadError> {
        let limits = limits.clone();
        let (data, diagnostics, cache) = match &parallel {
            Some(parallel) => load::load_cached_in_parallel(path, &limits, &**parallel)?,
            None => load::load_cached(path, &limits)?,
        };
        let reloader = Reloader {
            path: path.to_owned(),
            root: data.root.clone(),
            limits,
            cache,
            pending: HashSet::new(),
            retry: Vec::new(),
            locales_dir: load::file_key(&data.root.join("locales")),
            root_key: load::file_key(&data.root),
            seen_warnings: {
                let mut seen = SeenWarnings::default();
                diagnostics.iter().for_each(|d| _ = seen.first_time(d));
                seen
            },
            pending_all: false,
            parallel,
        };
        Ok(Loaded {
            value: (Story::from_data(data), reloader),
            warnings: diagnostics,
        })
    }

    /// Reads and parses several changed files at once through `parallel` (the engine's
    /// pool, for one: high priority, with the calling thread working too), rather than one
    /// after the other.
    pub fn read_in_parallel(&mut self, parallel: Arc<dyn ParallelMap>) {
        self.parallel = Some(parallel);
    }

    /// The story directory, which a watcher should watch.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether a change to `path` can matter to the story: one of its files, a
    /// translation file (`locales/*.po`, new ones too), a voice file (`voice/*.ogg`,
    /// `locales/TAG/voice/*.ogg`, …), or, while a rejected edit is
    /// pending, a `.ron` file that the edit may be waiting for (an include written after
    /// the file that names it). Other files, such as save files kept in the story
    /// directory, and hidden files (editor locks and swap files) do not matter.
    pub fn concerns(&self, path: &Path) -> bool {
        let key = load::file_key(path);
        if self.cache.contains(&key) || self.is_translation(&key) || self.is_voice(&key) {
            return true;
        }
        if self.pending.is_empty() && !self.pending_all {
            return false;
        }
        let hidden = key
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        !hidden && key.extension().is_some_and(|e| e == "ron")
    }

    /// Whether `key` names a translation file of the story, or their directory.
    fn is_translation(&self, key: &Path) -> bool {
        key == self.locales_dir
            || (key.parent() == Some(&*self.locales_dir) && load::is_translation_file(key))
    }

    /// Whether `key` names a voice file of the story.
    fn is_voice(&self, key: &Path) -> bool {
        key.strip_prefix(&self.root_key)
            .is_ok_and(load::voices::is_voice_path)
    }

    /// The story's voice files found again, when a change may have added or removed one.
    fn voices_again(&self) -> Option<Vec<qnce_core::story::Voices>> {
        let changed = self.pending_all || self.pending.iter().any(|k| self.is_voice(k));
        changed.then(|| load::voices::find(&load::FileSystem, &self.root, None, &mut Vec::new()))
    }

    /// Brings the translations along `changes` (and the story's `new` version, when its
    /// files changed), and the time it took.
    fn retranslate(
        &self,
        story: &Story,
        changes: &Changes,
        new: Option<&NewVersion<'_>>,
    ) -> (load::Retranslated, Duration) {
        let started = Instant::now();
        let retranslated = load::retranslate(
            &self.root,
            &self.limits,
            &self.cache.locales,
            changes,
            story,
            new,
        );
        (retranslated, started.elapsed())
    }

    /// Computes the patch for `changed` paths (all files when `None`) without applying it.
    /// Names the new version declares are interned into the story right away; interners
    /// only grow, so this is harmless if the patch is never applied.
    ///
    /// # Errors
    /// [`LoadError::Unreadable`] when the main file cannot be read, [`LoadError::Invalid`]
    /// when the new version has errors. The story is unchanged, and the changed paths are
    /// read again at the next reload.
    pub fn plan(
        &mut self,
        story: &mut Story,
        changed: Option<&[PathBuf]>,
    ) -> Result<Planned, LoadError> {
        match changed {
            None => self.pending_all = true,
            Some(paths) => self.pending.extend(paths.iter().map(|p| load::file_key(p))),
        }
        let changes = if self.pending_all {
            Changes::All
        } else {
            Changes::Paths(self.pending.iter().chain(&self.retry).cloned().collect())
        };
        let story_changed = self.pending_all
            || self
                .pending
                .iter()
                .any(|key| !self.is_translation(key) && !self.is_voice(key));
        if !story_changed {
            // Only translations changed: the story's files are as they were.
            let (retranslated, translating) = self.retranslate(story, &changes, None);
            let timings = Timings {
                translating,
                ..Timings::default()
            };
            let mut patch = Patch::unchanged(story);
            patch.set_translations(retranslated.ops);
            if let Some(voices) = self.voices_again() {
                patch.set_voices(voices);
            }
            return Ok(Planned {
                patch,
                files: retranslated.read,
                warnings: retranslated.warnings,
                translation_errors: retranslated.errors,
                partial: true,
                timings,
                cache: None,
                locales: retranslated.update,
                rejected: retranslated.rejected,
            });
        }
        // Several changed files are read and parsed at once, where there is a way to.
        let preread = match &self.parallel {
            Some(parallel) => load::preread(
                parallel.as_ref(),
                &self.path,
                &self.limits,
                &self.cache,
                &changes,
            ),
            None => Preread::default(),
        };
        let mut changes = changes;
        let recompiled = self.recompile(story, &mut changes, preread)?;
        let mut timings = Timings {
            reading: recompiled.reading,
            parsing: recompiled.parsing,
            validating: recompiled.validating,
            ..Timings::default()
        };
        let load::Recompiled {
            data,
            removed,
            changed_files,
            mut files,
            mut warnings,
            partial,
            cache,
            ..
        } = recompiled;
        // Translations are checked against the new version before it is applied, so that
        // the story and its translations change in one transaction.
        let new = NewVersion {
            data: &data,
            removed: &removed,
            partial,
        };
        let (retranslated, translating) = self.retranslate(story, &changes, Some(&new));
        timings.translating = translating;
        files.extend(retranslated.read);
        warnings.extend(retranslated.warnings);
        let started = Instant::now();
        let mut patch = qnce_core::story::diff(story, data, &removed);
        if let Some(changed) = changed_files {
            patch.set_changed_files(changed);
        }
        patch.set_translations(retranslated.ops);
        if let Some(voices) = self.voices_again() {
            patch.set_voices(voices);
        }
        timings.diffing = started.elapsed();
        Ok(Planned {
            patch,
            files,
            warnings,
            translation_errors: retranslated.errors,
            partial,
            timings,
            cache: Some(cache),
            locales: retranslated.update,
            rejected: retranslated.rejected,
        })
    }

    /// Compiles the story again along `changes`. When files it was not told of changed
    /// since they were read (a file saved while the story was compiled, its event not yet
    /// come), once more with them read anew too; they are read anew until a reload is
    /// taken.
    fn recompile(
        &mut self,
        story: &mut Story,
        changes: &mut Changes,
        preread: Preread,
    ) -> Result<load::Recompiled, LoadError> {
        let (path, limits) = (&self.path, &self.limits);
        let recompiled = load::recompile(path, limits, &mut self.cache, changes, preread, story);
        let changed = self.cache.take_changed();
        if changed.is_empty() {
            return recompiled;
        }
        if let Changes::Paths(paths) = changes {
            paths.extend(changed.iter().cloned());
        }
        self.pending.extend(changed);
        let preread = Preread::default();
        let recompiled = load::recompile(path, limits, &mut self.cache, changes, preread, story);
        self.pending.extend(self.cache.take_changed());
        recompiled
    }

    /// Applies a planned reload to the story it was planned for.
    pub fn apply(&mut self, story: &mut Story, planned: Planned) -> ReloadReport {
        let Planned {
            patch,
            files,
            warnings,
            translation_errors,
            partial,
            mut timings,
            cache,
            locales,
            rejected,
        } = planned;
        let started = Instant::now();
        let delta = story.apply(patch);
        timings.applying = started.elapsed();
        if let Some(update) = cache {
            self.cache.update(update);
        }
        self.cache.locales.update(locales);
        self.pending.clear();
        self.pending_all = false;
        self.retry = rejected;
        let mut new_warnings = Diagnostics::default();
        for d in &warnings {
            if self.seen_warnings.first_time(d) {
                new_warnings.push(d.clone());
            }
        }
        ReloadReport {
            files,
            delta,
            warnings,
            new_warnings,
            translation_errors,
            partial,
            timings,
        }
    }

    /// Reloads after `changed` paths changed (every file when `None`): plans and applies.
    ///
    /// # Errors
    /// As [`Reloader::plan`]; the story is then unchanged.
    pub fn reload(
        &mut self,
        story: &mut Story,
        changed: Option<&[PathBuf]>,
    ) -> Result<ReloadReport, LoadError> {
        let _span = tracing::debug_span!("reload").entered();
        let planned = self.plan(story, changed)?;
        Ok(self.apply(story, planned))
    }
}
