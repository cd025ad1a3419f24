//! The files of the last good load, kept for reloads ([`FileCache`]), which of
//! them changed ([`Changes`]), and reading several files at once through a
//! [`ParallelMap`] the caller passes in: a reload's changed files ([`preread`]), a whole
//! story before its first load ([`preread_story`]).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qnce_core::story::SourceFile;

use crate::Limits;
use crate::compile::jobs::{NodesDone, NodesJob};
use crate::read::{
    FileParse, Parsed, ReadFailure, included, is_blank, parse_text, read_text, resolve,
};
use crate::source::FileSystem;

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
    pub(crate) fn includes(&self, key: &Path) -> bool {
        match self {
            Changes::All => true,
            Changes::Paths(paths) => paths.contains(key),
        }
    }
}

/// Files read and parsed ahead of a load or a reload, on several threads at once (see
/// [`preread_story`] and [`preread`]); the reader takes them instead of reading and
/// parsing itself.
#[derive(Default)]
pub struct Preread {
    pub(crate) files: HashMap<PathBuf, PrereadFile>,
    /// Time spent, in all, reading (summed over threads).
    pub reading: Duration,
    /// Time spent, in all, parsing (summed over threads).
    pub parsing: Duration,
}

impl Preread {
    /// Keeps what reading and parsing a file gave, for the reader.
    fn take(&mut self, read: FileRead) {
        self.reading += read.reading;
        self.parsing += read.parsing;
        self.files.insert(read.key, read.file);
    }
}

pub(crate) struct PrereadFile {
    /// Made shared on the thread that read it, so that the reader takes it without a copy.
    pub(crate) text: Result<Arc<str>, ReadFailure>,
    /// The parse of `text` (none when it was not read or is blank).
    pub(crate) parsed: Option<Result<Parsed, ron::error::SpannedError>>,
}

/// A file to read and parse ahead of a load or a reload, on any thread.
pub struct FileJob {
    /// Where to read it: the path the reader would read.
    path: PathBuf,
    /// What the reader looks it up by (see [`file_key`]).
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
/// the results in the jobs' order. A load reads and parses its files through one when it
/// is given one, then compiles their nodes; a reload reads and parses its changed files.
/// The engine's thread pool (`qnce-services`) is one. Loading itself starts no thread.
pub trait ParallelMap: Send + Sync + std::fmt::Debug {
    /// Runs `work` on every job; the results come back in the jobs' order.
    fn map_files(&self, jobs: Vec<FileJob>, work: fn(FileJob) -> FileRead) -> Vec<FileRead>;

    /// As [`ParallelMap::map_files`], for a load's nodes, some files per job. By default
    /// on the calling thread alone.
    fn map_nodes(&self, jobs: Vec<NodesJob>, work: fn(NodesJob) -> NodesDone) -> Vec<NodesDone> {
        jobs.into_iter().map(work).collect()
    }
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
    // Reloads read from the file system (a story in memory is loaded once).
    let (_, main) = resolve(&FileSystem, path);
    let main_key = file_key(&main);
    // Each file is read where the reader read it.
    let jobs: Vec<FileJob> = paths
        .iter()
        .filter_map(|key| Some((key, &cache.files.get(key)?.file.path)))
        .map(|(key, path)| FileJob {
            path: path.clone(),
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
        preread.take(read);
    }
    preread
}

/// How many files [`preread_story`] reads at once: enough to keep a pool busy, few enough
/// that reading stops soon after the files read pass the node limit.
const PREREAD_BATCH: usize = 16;

/// Reads and parses a story's files through `parallel` before its first load: the main
/// file, then the files it includes, then theirs, each level at once. The reader takes
/// them instead of reading and parsing itself, and checks each as it would have (a file it
/// does not reach is dropped). Within the limits: at most [`Limits::max_files`] files, and
/// no batch of them after the files read hold more than [`Limits::max_nodes`] nodes
/// (where the reader stops too).
pub fn preread_story(parallel: &dyn ParallelMap, path: &Path, limits: &Limits) -> Preread {
    let (root, main) = resolve(&FileSystem, path);
    let root_key = file_key(&root);
    let job = |path: PathBuf, key: PathBuf, main: bool| FileJob {
        path,
        key,
        main,
        limits: limits.clone(),
    };
    let main_key = file_key(&main);
    let mut seen = HashSet::from([main_key.clone()]);
    let mut level = vec![job(main, main_key, true)];
    let mut preread = Preread::default();
    let mut nodes = 0usize;
    let mut next = Vec::new();
    // A level is read in batches, so that reading stops within a batch of where the
    // files read pass the node limit.
    'levels: while !level.is_empty() {
        let room = limits.max_files.saturating_sub(preread.files.len());
        level.truncate(room);
        let mut jobs = std::mem::take(&mut level).into_iter();
        loop {
            let batch: Vec<FileJob> = jobs.by_ref().take(PREREAD_BATCH).collect();
            if batch.is_empty() {
                break;
            }
            if nodes > limits.max_nodes {
                break 'levels;
            }
            for read in parallel.map_files(batch, read_and_parse) {
                if let Some(Ok(parsed)) = &read.file.parsed {
                    nodes = nodes.saturating_add(parsed.n_nodes());
                    for include in parsed.includes() {
                        // Read at the path the reader reads, by the key it looks up.
                        if let Some((path, key)) = included(&root, &root_key, include)
                            && seen.insert(key.clone())
                        {
                            next.push(job(path, key, false));
                        }
                    }
                }
                preread.take(read);
            }
        }
        level = std::mem::take(&mut next);
    }
    preread
}

fn read_and_parse(job: FileJob) -> FileRead {
    let FileJob {
        path,
        key,
        main,
        limits,
    } = job;
    let started = Instant::now();
    let text = read_text(&FileSystem, &path, &limits).map(Arc::from);
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

/// The files of the last good load, with their parses (most parses let go of, and with
/// them the texts of a story loaded from the file system: see
/// [`crate::read::FileParse`]), so that a reload reads and parses only the files that
/// changed.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct FileCache {
    pub(crate) files: HashMap<PathBuf, CachedFile>,
    /// The files in the order they were read (by file id), when every one parsed: what a
    /// reload takes instead of walking the includes again, when the changed files name
    /// the same includes as before.
    pub(crate) layout: Option<Layout>,
    /// The translation files as last taken.
    pub locales: crate::locales::LocaleCache,
    /// What validating the story kept for the next reload.
    pub(crate) tables: crate::compile::Tables,
    /// Where its findings were placed, for the next reload.
    pub(crate) placed: crate::finding::Placed,
    /// The files read anew by the last reloads, by file id, the latest last: they keep
    /// their parse (see [`FileCache::RECENT`]).
    recent: std::collections::VecDeque<usize>,
    /// The files (keys) the last `recompile`, which failed, found changed since they were
    /// read, though not among the files it was told changed ([`FileCache::take_changed`]).
    pub(crate) changed: Vec<PathBuf>,
}

#[derive(Clone, Debug)]
pub(crate) struct CachedFile {
    /// The file, at the path where the reader read it (not its key: the two differ
    /// through a linked directory).
    pub(crate) file: SourceFile,
    pub(crate) parsed: Arc<FileParse>,
}

/// The story's files in the order read (by file id), every one parsed.
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) keys: Vec<PathBuf>,
    pub(crate) files: Vec<SourceFile>,
    pub(crate) parsed: Vec<Arc<FileParse>>,
    /// The nodes of every file, as written.
    pub(crate) nodes: usize,
    /// Each file's id, by key.
    pub(crate) at: HashMap<PathBuf, usize>,
}

/// How a reload changes the file cache, once the new version is the running story
/// ([`FileCache::update`]).
#[derive(Debug)]
#[doc(hidden)]
pub struct CacheUpdate {
    pub(crate) files: NewFiles,
    pub(crate) tables: crate::compile::Tables,
    pub(crate) placed: crate::finding::Placed,
}

#[derive(Debug)]
pub(crate) enum NewFiles {
    /// The same files in the same order, laid out again, those with these ids read anew.
    Same { layout: Layout, anew: Vec<usize> },
    /// Other files: the cache of them all.
    All(Box<FileCache>),
}

impl FileCache {
    /// The cache of the files a read found (`files`, as compiling left them) and their
    /// parses (files that did not parse are left out).
    pub(crate) fn of(
        keys: &[PathBuf],
        files: &[SourceFile],
        parsed: &[Option<Arc<FileParse>>],
    ) -> FileCache {
        let cached = keys
            .iter()
            .zip(files)
            .zip(parsed)
            .filter_map(|((key, f), p)| {
                let parsed = p.clone()?;
                Some((
                    key.clone(),
                    CachedFile {
                        file: f.clone(),
                        parsed,
                    },
                ))
            })
            .collect();
        let layout = parsed
            .iter()
            .cloned()
            .collect::<Option<Vec<Arc<FileParse>>>>()
            .map(|parsed| Layout {
                keys: keys.to_vec(),
                files: files.to_vec(),
                nodes: parsed.iter().map(|p| p.n_nodes()).sum(),
                at: keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| (k.clone(), i))
                    .collect(),
                parsed,
            });
        FileCache {
            files: cached,
            layout,
            locales: Default::default(),
            tables: Default::default(),
            placed: Default::default(),
            recent: Default::default(),
            changed: Vec::new(),
        }
    }

    /// How many of the files read anew by the last reloads keep their parse, so that a
    /// file edited again is compared with its last version as written: an author edits a
    /// few files at a time. The parses of the others are let go of (their fingerprints
    /// made then).
    const RECENT: usize = 8;

    /// Notes `anew` as read anew, the latest last, and lets go of the parses of the files
    /// read anew before the last [`FileCache::RECENT`] (but the main file's and those every
    /// update reads).
    fn keep_recent(&mut self, anew: impl IntoIterator<Item = usize>) {
        for i in anew {
            self.recent.retain(|&r| r != i);
            self.recent.push_back(i);
        }
        let Some(layout) = &self.layout else {
            return;
        };
        while self.recent.len() > FileCache::RECENT {
            let Some(i) = self.recent.pop_front() else {
                break;
            };
            if let Some(file) = layout.parsed.get(i).filter(|_| !self.tables.keeps_parse(i)) {
                file.let_go();
            }
        }
    }

    /// Takes a reload's new version of the files, and what validating it kept.
    pub fn update(&mut self, update: CacheUpdate) {
        self.tables = update.tables;
        self.placed = update.placed;
        match update.files {
            NewFiles::Same { layout, anew } => {
                for &i in &anew {
                    let (Some(key), Some(file), Some(parsed)) = (
                        layout.keys.get(i),
                        layout.files.get(i),
                        layout.parsed.get(i),
                    ) else {
                        continue;
                    };
                    let cached = CachedFile {
                        file: file.clone(),
                        parsed: parsed.clone(),
                    };
                    self.files.insert(key.clone(), cached);
                }
                self.layout = Some(layout);
                self.keep_recent(anew);
            }
            NewFiles::All(cache) => {
                let cache = *cache;
                self.files = cache.files;
                self.layout = cache.layout;
                // Other files, other ids: the parses held beyond those always kept are
                // those of the files read anew now.
                self.recent.clear();
                let held = (self.layout.iter())
                    .flat_map(|l| l.parsed.iter().enumerate())
                    .filter(|(i, p)| !self.tables.keeps_parse(*i) && p.held().is_some())
                    .map(|(i, _)| i)
                    .collect::<Vec<_>>();
                self.keep_recent(held);
            }
        }
    }

    /// The files the last `recompile`, which failed, found changed since they were read
    /// though it was not told so (their parses, let go of, could not be made again): the next
    /// reload is to read them anew.
    pub fn take_changed(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.changed)
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
pub(crate) fn normalize(path: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::{Changes, FileCache, Preread, file_key};
    use crate::Limits;
    use crate::source::FileSystem;
    use qnce_core::Story;

    /// Whether each file's parse is held, by file id.
    fn held(cache: &FileCache) -> Vec<bool> {
        let layout = cache.layout.as_ref().expect("every file parsed");
        layout.parsed.iter().map(|p| p.is_held()).collect()
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).expect("written");
    }

    #[test]
    fn only_the_files_edited_last_keep_their_parse() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        let n = FileCache::RECENT + 2;
        let includes: Vec<String> = (0..n).map(|k| format!("\"x{k}.ron\"")).collect();
        let main = format!(
            r#"Story(title: "T", start: "x0", include: [{}])"#,
            includes.join(", ")
        );
        write(dir, "story.ron", &main);
        let node = |k: usize, text: &str| {
            let to = (k + 1) % n;
            format!(
                r#"Include(nodes: {{"x{k}": (text: "{text}", choices: [(text: "On", to: "x{to}")])}})"#
            )
        };
        for k in 0..n {
            write(dir, &format!("x{k}.ron"), &node(k, "Once"));
        }
        let limits = Limits::default();
        let (data, _, mut cache) = crate::load_cached(dir, &limits).expect("loads");
        let mut story = Story::from_data(data);
        // Each include but the last edited in turn (file k + 1 is include k).
        for k in 0..n - 1 {
            write(dir, &format!("x{k}.ron"), &node(k, "Again"));
            let changes = Changes::Paths(HashSet::from([file_key(&dir.join(format!("x{k}.ron")))]));
            let preread = Preread::default();
            let recompiled =
                crate::recompile(dir, &limits, &mut cache, &changes, preread, &mut story)
                    .expect("recompiles");
            cache.update(recompiled.cache);
        }
        let mut expected = vec![true];
        expected.extend((0..n).map(|k| k + FileCache::RECENT >= n - 1 && k < n - 1));
        assert_eq!(held(&cache), expected);

        // A save that does not parse declares every file again, making their parses again
        // for the moment: the recent ones stay held.
        write(dir, &format!("x{}.ron", n - 1), "Include(nodes: {");
        let changes = Changes::Paths(HashSet::from([file_key(
            &dir.join(format!("x{}.ron", n - 1)),
        )]));
        let preread = Preread::default();
        assert!(crate::recompile(dir, &limits, &mut cache, &changes, preread, &mut story).is_err());
        assert_eq!(held(&cache), expected);
    }

    #[test]
    fn parses_are_let_go_of_once_compiled_but_those_every_reload_reads() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        write(
            dir,
            "story.ron",
            r#"Story(title: "T", start: "a", variables: {"v": Int(0)}, include: ["a.ron", "b.ron", "c.ron"])"#,
        );
        let a = |text: &str| {
            format!(
                r#"Include(nodes: {{"a": (text: "{text}", choices: [(text: "On", to: "b")])}})"#
            )
        };
        write(dir, "a.ron", &a("A"));
        // A line id of its own, which could meet another: read by every reload.
        write(
            dir,
            "b.ron",
            r#"Include(nodes: {"b": (text: "B", line: "fixed", choices: [(text: "On", to: "c")])})"#,
        );
        write(dir, "c.ron", r#"Include(nodes: {"c": (text: "C")})"#);
        let limits = Limits::default();
        let (data, _, mut cache) = crate::load_cached(dir, &limits).expect("loads");
        assert_eq!(held(&cache), [true, false, true, false]);

        // The file edited keeps its parse: its next edit is compared with it as written.
        write(dir, "a.ron", &a("A again"));
        let mut story = Story::from_data(data);
        let changes = Changes::Paths(HashSet::from([file_key(&dir.join("a.ron"))]));
        let preread = Preread::default();
        let recompiled = crate::recompile(dir, &limits, &mut cache, &changes, preread, &mut story)
            .expect("recompiles");
        cache.update(recompiled.cache);
        assert_eq!(held(&cache), [true, true, true, false]);

        // A save that does not parse declares every file again, parsing them again; the
        // save that mends it is declared from the files that changed alone.
        let reload = |cache: &mut FileCache, story: &mut Story| {
            let preread = Preread::default();
            crate::recompile(dir, &limits, cache, &changes, preread, story).map(|r| r.cache)
        };
        let c = |cache: &FileCache| {
            cache.layout.as_ref().expect("laid out").parsed[3].times_made_again()
        };
        write(dir, "a.ron", "Include(nodes: {");
        assert!(reload(&mut cache, &mut story).is_err());
        assert_eq!(c(&cache), 1);
        write(dir, "a.ron", &a("A mended"));
        let update = reload(&mut cache, &mut story).expect("recompiles");
        cache.update(update);
        assert_eq!(c(&cache), 1);

        // A check keeps every parse, for the next check to take.
        let checked = crate::check_from(&FileSystem, dir, &limits, None).expect("checks");
        assert_eq!(held(&checked.cache), [true; 4]);
    }

    /// Runs each job on a thread of its own, counting the jobs of nodes; with `lose_last`,
    /// gives no result for the last of them (a `ParallelMap` that breaks its contract).
    #[derive(Debug, Default)]
    struct Threads {
        node_jobs: std::sync::atomic::AtomicUsize,
        lose_last: bool,
    }

    fn on_threads<T: Send, R: Send>(jobs: Vec<T>, work: fn(T) -> R) -> Vec<R> {
        std::thread::scope(|s| {
            let running: Vec<_> = jobs.into_iter().map(|j| s.spawn(move || work(j))).collect();
            running
                .into_iter()
                .map(|r| r.join().expect("done"))
                .collect()
        })
    }

    impl super::ParallelMap for Threads {
        fn map_files(
            &self,
            jobs: Vec<super::FileJob>,
            work: fn(super::FileJob) -> super::FileRead,
        ) -> Vec<super::FileRead> {
            on_threads(jobs, work)
        }

        fn map_nodes(
            &self,
            jobs: Vec<super::NodesJob>,
            work: fn(super::NodesJob) -> super::NodesDone,
        ) -> Vec<super::NodesDone> {
            (self.node_jobs).fetch_add(jobs.len(), std::sync::atomic::Ordering::Relaxed);
            let mut done = on_threads(jobs, work);
            if self.lose_last {
                done.pop();
            }
            done
        }
    }

    #[test]
    fn a_load_whose_nodes_are_compiled_on_threads_lets_go_of_the_same_parses() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        let n = 40;
        let includes: Vec<String> = (0..n).map(|k| format!("\"x{k}.ron\"")).collect();
        let main = format!(
            r#"Story(title: "T", start: "x0", include: [{}])"#,
            includes.join(", ")
        );
        write(dir, "story.ron", &main);
        for k in 0..n {
            let to = (k + 1) % n;
            // Every seventh declares a variable: read by every reload, its parse kept.
            let (variables, v) = match k % 7 {
                3 => (
                    format!(r#"variables: {{"v{k}": Int(0)}},"#),
                    format!("{{v{k}}}"),
                ),
                _ => (String::new(), String::new()),
            };
            write(
                dir,
                &format!("x{k}.ron"),
                &format!(
                    r#"Include({variables} nodes: {{"x{k}": (text: "{v}", choices: [(text: "On", to: "x{to}")])}})"#
                ),
            );
        }
        let limits = Limits::default();
        let (alone, _, alone_cache) = crate::load_cached(dir, &limits).expect("loads");
        let mut expected = vec![true];
        expected.extend((0..n).map(|k| k % 7 == 3));
        assert_eq!(held(&alone_cache), expected);
        let alone = Story::from_data(alone);
        // A result lost: its files are compiled on the loading thread.
        for lose_last in [false, true] {
            let threads = Threads {
                lose_last,
                ..Threads::default()
            };
            let (data, _, cache) =
                crate::load_cached_in_parallel(dir, &limits, &threads).expect("loads");
            assert!(threads.node_jobs.into_inner() >= 2);
            assert_eq!(held(&cache), expected);
            let story = Story::from_data(data);
            assert_eq!(story.node_ids().count(), n);
            let text = |s: &Story, i: usize| {
                s.node_id(&format!("x{i}"))
                    .map(|x| s.node_source(x).to_owned())
            };
            for i in 0..n {
                assert_eq!(text(&story, i), text(&alone, i));
            }
        }
    }

    #[test]
    fn texts_are_let_go_of_and_a_parse_is_made_again_from_its_file_while_it_is_the_same() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        write(
            dir,
            "story.ron",
            r#"Story(title: "T", start: "a", include: ["a.ron"])"#,
        );
        write(dir, "a.ron", r#"Include(nodes: {"a": (text: "A")})"#);
        let limits = Limits::default();
        let (data, _, cache) = crate::load_cached(dir, &limits).expect("loads");
        // Neither the story nor the cache holds a text: a parse held holds its own.
        assert!(data.files.iter().all(|f| f.text().is_none()));
        let layout = cache.layout.as_ref().expect("laid out");
        assert!(layout.files.iter().all(|f| f.text().is_none()));
        assert_eq!(held(&cache), [true, false]);
        let include = &layout.parsed[1];
        assert!(include.get().is_some());
        assert!(!include.changed());
        // The file changed since: its parse is not made again, and the change is noted.
        write(dir, "a.ron", r#"Include(nodes: {"a": (text: "B")})"#);
        assert!(include.get().is_none());
        assert!(include.changed());
        // A parse held is the one read, whatever the file holds now.
        write(dir, "story.ron", "");
        assert!(layout.parsed[0].get().is_some());
        // A story loaded from memory keeps its texts: the source holds them anyway.
        let files = crate::MemoryFiles::default()
            .with(
                "story.ron",
                r#"Story(title: "T", start: "a", include: ["a.ron"])"#,
            )
            .with("a.ron", r#"Include(nodes: {"a": (text: "A")})"#);
        let story = crate::load_from(&files, "story.ron", &limits).expect("loads");
        assert!(story.value.files().iter().all(|f| f.text().is_some()));
    }

    #[test]
    fn a_file_found_changed_untold_is_read_anew_even_once_its_text_is_back() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let dir = dir.path();
        write(
            dir,
            "story.ron",
            r#"Story(title: "T", start: "a", include: ["a.ron", "b.ron"])"#,
        );
        let a = r#"Include(nodes: {"a": (text: "A", choices: [(text: "On", to: "b")])})"#;
        write(dir, "a.ron", a);
        let b = |spare: &str| {
            format!(r#"Include(nodes: {{"b": (text: "B"), "{spare}": (text: "S")}})"#)
        };
        write(dir, "b.ron", &b("spare"));
        let limits = Limits::default();
        let (data, _, mut cache) = crate::load_cached(dir, &limits).expect("loads");
        let mut story = Story::from_data(data);
        let key = |name: &str| file_key(&dir.join(name));
        let mut recompile = |cache: &mut FileCache, changed: &[&str]| {
            let changes = Changes::Paths(changed.iter().map(|n| key(n)).collect());
            let preread = Preread::default();
            crate::recompile(dir, &limits, cache, &changes, preread, &mut story)
        };
        // `a.ron` changes untold while a node renamed in `b.ron` declares every file again.
        write(dir, "a.ron", r#"Include(nodes: {"a": (text: "A?")})"#);
        write(dir, "b.ron", &b("extra"));
        assert!(recompile(&mut cache, &["b.ron"]).is_err());
        assert_eq!(cache.take_changed(), [key("a.ron")]);
        // Back as it was: its parse found changed is not taken again.
        write(dir, "a.ron", a);
        let recompiled = recompile(&mut cache, &["a.ron", "b.ron"]).expect("recompiles");
        assert_eq!(recompiled.files, [dir.join("a.ron"), dir.join("b.ron")]);
        assert!(cache.take_changed().is_empty());
    }
}
