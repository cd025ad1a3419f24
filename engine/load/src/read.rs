//! Reading a story: the main file and its includes within [`Limits`], each parsed as RON
//! (or taken from the cache or a preread when unchanged), every problem kept as a
//! [`Finding`] with its place.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qnce_core::story::{FileId, SourceFile, TextPrint};

use crate::cache::{
    CachedFile, Changes, FileCache, Layout, Preread, PrereadFile, file_key, normalize,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::finding::{Finding, diagnostics_of};
use crate::format::{IncludeFile, StoryFile, sharing_text, with_max_entries};
use crate::locate::Seg;
use crate::source::{FileSystem, Source, SourceError};
use crate::{Limits, LoadError};

/// `text` parsed as a main file or an include; its strings share `text` (see
/// [`crate::format::Str`]).
pub(crate) fn parse_text(
    text: &Arc<str>,
    main: bool,
    limits: &Limits,
) -> Result<Parsed, ron::error::SpannedError> {
    let _span = tracing::debug_span!("parse").entered();
    let options = ron_options(limits);
    with_max_entries(limits.max_nodes, || {
        sharing_text(text, |text| {
            if main {
                options.from_str::<StoryFile>(text).map(Parsed::Main)
            } else {
                options.from_str::<IncludeFile>(text).map(Parsed::Include)
            }
        })
    })
}

/// A file's parse, as a load and a reloader keep it. Most parses are let go of once
/// their file's nodes are compiled ([`FileParse::let_go`]), so that a story's parses are
/// not all held at once beside the story compiled from them: a parse is made again when a
/// reload next needs it, from the file's text (see [`Again`]). What reading the story's
/// files needs of it (its includes, its count of nodes) is kept beside it.
#[derive(Debug)]
pub(crate) struct FileParse {
    again: Again,
    main: bool,
    /// The limits it was parsed within, to parse it again within them.
    limits: Limits,
    /// Tells this parse from any other (a parse let go of and made again keeps it); a file
    /// parsed again gets a new one (a file whose text is the same keeps its `FileParse`).
    serial: u64,
    includes: Box<[String]>,
    n_nodes: usize,
    /// Whether it declares variables or assets.
    declares: bool,
    /// What the file's next version is compared with once this parse is let go of: made
    /// when it is let go of (or on first need), so that a parse held throughout (a file
    /// being edited) costs none; `None` only if a parse let go of could not be made again.
    prints: std::sync::OnceLock<Option<Prints>>,
    /// The parse, while it is held. Each user holds its own handle, so that letting go
    /// frees it once the last user is done.
    parsed: std::sync::Mutex<Option<Arc<Parsed>>>,
    /// Whether the file, read again to make the parse again, no longer had its text.
    changed: std::sync::atomic::AtomicBool,
    /// How many times the parse was made again.
    #[cfg(test)]
    made_again: std::sync::atomic::AtomicUsize,
}

/// How many times, in this process, a parse could not be made again because its file
/// changed (see [`FileParse::changed`]): a compile during which it did not move need not
/// look among its files for one (a look costs a cache miss per file).
static FOUND_CHANGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// See [`FOUND_CHANGED`].
pub(crate) fn found_changed() -> u64 {
    FOUND_CHANGED.load(std::sync::atomic::Ordering::Relaxed)
}

/// What a parse let go of is made again from: the file's text, held; or, where texts are
/// let go of too (a story loaded from the file system, see [`SourceFile`]), the file read
/// again, taken only when it still has the text parsed (its print).
#[derive(Debug)]
pub(crate) enum Again {
    Text(Arc<str>),
    File { path: PathBuf, print: TextPrint },
}

impl Again {
    /// Made again from `file`, which holds its text: from that text; or, with `let_go`,
    /// from the file read again, `file` letting go of its text (the parse holds it while
    /// it is held).
    pub(crate) fn taking(file: &mut SourceFile, let_go: bool) -> Again {
        match file.text() {
            Some(text) if !let_go => Again::Text(Arc::clone(text)),
            _ => {
                let again = Again::File {
                    path: file.path.clone(),
                    print: file.print(),
                };
                file.let_go_of_text();
                again
            }
        }
    }
}

impl FileParse {
    /// `parsed`, the parse of a file's text within `limits`, kept; made again from
    /// `again` once let go of.
    pub(crate) fn new(again: Again, main: bool, limits: &Limits, parsed: Parsed) -> FileParse {
        static SERIALS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let (variables, assets) = match &parsed {
            Parsed::Main(f) => (f.variables.0.len(), f.assets.0.len()),
            Parsed::Include(f) => (f.variables.0.len(), f.assets.0.len()),
        };
        FileParse {
            again,
            main,
            limits: limits.clone(),
            serial: SERIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            includes: parsed.includes().into(),
            n_nodes: parsed.n_nodes(),
            declares: variables + assets > 0,
            prints: std::sync::OnceLock::new(),
            parsed: std::sync::Mutex::new(Some(Arc::new(parsed))),
            changed: std::sync::atomic::AtomicBool::new(false),
            #[cfg(test)]
            made_again: Default::default(),
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Parsed>>> {
        // A panic while the slot was locked left it as it was: a parse or none.
        self.parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The parse, made again if it was let go (and then not held: see
    /// [`FileParse::hold`]). `None` when its file, read again, no longer has the text
    /// parsed (see [`FileParse::changed`]), or cannot be read.
    pub(crate) fn get(&self) -> Option<Arc<Parsed>> {
        self.get_noting().map(|(parse, _)| parse)
    }

    /// As [`FileParse::get`], with whether the parse was made again (not held).
    pub(crate) fn get_noting(&self) -> Option<(Arc<Parsed>, bool)> {
        if let Some(parse) = self.slot().clone() {
            return Some((parse, false));
        }
        #[cfg(test)]
        self.made_again
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let text = match &self.again {
            Again::Text(text) => Arc::clone(text),
            Again::File { path, print } => match read_again(path, *print) {
                Some(text) => text,
                None => {
                    (self.changed).store(true, std::sync::atomic::Ordering::Relaxed);
                    FOUND_CHANGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return None;
                }
            },
        };
        let parse = parse_text(&text, self.main, &self.limits).ok()?;
        Some((Arc::new(parse), true))
    }

    /// Holds `parse`, which [`FileParse::get`] gave, again (a parse made again is not
    /// held: [`FileParse::get`] gives it to its caller alone).
    pub(crate) fn hold(&self, parse: Arc<Parsed>) {
        self.slot().get_or_insert(parse);
    }

    /// Gives back a user's handle on the parse: held again with `keep` (a parse made again
    /// is not held until then), else let go of.
    pub(crate) fn settle(&self, handle: Arc<Parsed>, keep: bool) {
        if keep {
            self.hold(handle);
        } else {
            self.let_go();
        }
    }

    /// How many times the parse was made again.
    #[cfg(test)]
    pub(crate) fn times_made_again(&self) -> usize {
        self.made_again.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the parse is held (not let go of).
    #[cfg(test)]
    pub(crate) fn is_held(&self) -> bool {
        self.slot().is_some()
    }

    /// The parse, when it is held.
    pub(crate) fn held(&self) -> Option<Arc<Parsed>> {
        self.slot().clone()
    }

    /// Lets go of the parse (its fingerprints made first): freed once no user holds it,
    /// and made again on the next [`FileParse::get`].
    pub(crate) fn let_go(&self) {
        let parse = self.slot().take();
        if let Some(parse) = parse {
            self.prints.get_or_init(|| Some(Prints::of(&parse)));
        }
    }

    /// Whether the file, read again to make the parse again, no longer had the text
    /// parsed (or could not be read): it changed since, and the story that does not know
    /// it must read it anew. Never cleared: a parse found so is not taken again, even for
    /// a file whose text is back to the one parsed.
    pub(crate) fn changed(&self) -> bool {
        self.changed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What tells this parse from any other (the same after it is let go of and made
    /// again).
    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    /// The files it includes, as written.
    pub(crate) fn includes(&self) -> &[String] {
        &self.includes
    }

    /// How many nodes it declares, as written.
    pub(crate) fn n_nodes(&self) -> usize {
        self.n_nodes
    }

    /// Whether it declares variables or assets.
    pub(crate) fn declares(&self) -> bool {
        self.declares
    }

    /// Whether it is the main file.
    pub(crate) fn is_main(&self) -> bool {
        self.main
    }

    /// What the file's next version is compared with (see [`Prints`]), made from the
    /// parse on first need; `None` only if the parse could not be made again (the file is
    /// then taken to have changed every way).
    pub(crate) fn prints(&self) -> Option<&Prints> {
        self.prints
            .get_or_init(|| self.get().map(|p| Prints::of(&p)))
            .as_ref()
    }
}

/// What a reload compares a file's new version with, so that the version the running
/// story was compiled from need not be parsed again: its nodes' names in order, a
/// fingerprint of each one's definition, and one of the file's part of the story's graph
/// (its start and flows, when it is the main file; each node's name and the ways it leads
/// on, as `compile`'s `same_graph` compares them).
///
/// A fingerprint is 64 bits of std's `DefaultHasher` (SipHash today; prints are compared
/// only within one process): two definitions that differ are taken for the same (and the
/// node not compiled again) with a chance of about 2⁻⁶⁴.
#[derive(Debug)]
pub(crate) struct Prints {
    /// The nodes' names, one after the other.
    names: String,
    /// Where each name ends in `names`.
    ends: Box<[u32]>,
    /// Each node's definition's fingerprint.
    defs: Box<[u64]>,
    graph: u64,
}

impl Prints {
    fn of(parsed: &Parsed) -> Prints {
        use std::hash::{Hash, Hasher};
        let nodes = &crate::compile::nodes_of(parsed).0;
        let mut names = String::new();
        let mut ends = Vec::with_capacity(nodes.len());
        let mut defs = Vec::with_capacity(nodes.len());
        let mut graph = std::hash::DefaultHasher::new();
        if let Parsed::Main(main) = parsed {
            crate::compile::starts(main).hash(&mut graph);
        }
        for (name, def) in nodes {
            names.push_str(name);
            ends.push(u32::try_from(names.len()).unwrap_or(u32::MAX));
            defs.push(def_print(def));
            crate::compile::graph_key(name, def).hash(&mut graph);
            crate::compile::choice_ways(def).for_each(|way| way.hash(&mut graph));
        }
        Prints {
            names,
            ends: ends.into(),
            defs: defs.into(),
            graph: graph.finish(),
        }
    }

    /// The nodes' names, in the order written.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        (starts.zip(self.ends.iter()))
            .map(|(start, &end)| self.names.get(start as usize..end as usize).unwrap_or(""))
    }

    /// Each node's name with its definition's fingerprint, in the order written.
    pub(crate) fn defs(&self) -> impl Iterator<Item = (&str, u64)> {
        self.names().zip(self.defs.iter().copied())
    }

    /// The fingerprint of the file's part of the story's graph.
    pub(crate) fn graph(&self) -> u64 {
        self.graph
    }
}

/// The fingerprint of a node's definition (see [`Prints`]).
pub(crate) fn def_print(def: &crate::format::NodeDef) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut print = std::hash::DefaultHasher::new();
    def.hash(&mut print);
    print.finish()
}

/// The story's files, read and parsed.
pub(crate) struct ReadFiles {
    pub(crate) root: PathBuf,
    pub(crate) files: Vec<SourceFile>,
    /// Each file's key (see [`file_key`]).
    pub(crate) keys: Vec<PathBuf>,
    /// Each file's parse; `None` where it failed (an error is among the findings).
    pub(crate) parsed: Vec<Option<Arc<FileParse>>>,
    /// Whether each file was read and parsed now (else taken from the cache).
    pub(crate) fresh: Vec<bool>,
    /// For each file read anew, its parse as the cache held it (the running version).
    pub(crate) previous: Vec<Option<Arc<FileParse>>>,
    pub(crate) findings: Vec<Finding>,
    /// Whether part of the story could not be read or parsed (or was not read, past a
    /// limit): names it would declare are unknown, and errors about them are knock-ons.
    pub(crate) incomplete: bool,
    /// Time spent reading files.
    pub(crate) reading: Duration,
    /// Time spent parsing files.
    pub(crate) parsing: Duration,
}

/// Reads the story's files from its main file through its includes, taking unchanged files
/// from `cache`.
pub(crate) fn read_story(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
    cache: Option<&FileCache>,
    (changes, let_go_texts): (&Changes, bool),
    preread: Preread,
) -> Result<ReadFiles, LoadError> {
    let (root, main) = resolve(source, path);
    let mut reader = Reader {
        source,
        let_go_texts,
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
            incomplete: false,
            reading: preread.reading,
            parsing: preread.parsing,
        },
        stack: Vec::new(),
        seen: HashSet::new(),
        preread: preread.files,
        preparsed: HashMap::new(),
        nodes_read: 0,
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
    reader.add_file(main_key, text, true);
    Ok(reader.read)
}

/// The changed files of a story whose cache has a layout, read and parsed anew: each
/// with its file id, the file and its parse. `None` when walking the includes might give other
/// files: a changed file does not read or parse, names other includes than before (so
/// that files would join, leave or move), or the story would pass the node limit (the
/// walk says which include it stops at). A path that is none of the story's files
/// cannot matter, since no changed file names a new include. A changed file whose text is
/// the same is left out, unless its parse was found changed (see [`FileParse::changed`]).
pub(crate) fn reread_changed(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
    layout: &Layout,
    paths: &HashSet<PathBuf>,
    preread: &mut Preread,
) -> Option<Reread> {
    let (root, _) = resolve(source, path);
    let mut changed: Vec<usize> = paths
        .iter()
        .filter_map(|key| layout.at.get(key).copied())
        .collect();
    changed.sort_unstable();
    let mut out = Reread {
        root,
        anew: Vec::new(),
        reading: preread.reading,
        parsing: preread.parsing,
    };
    let mut nodes = layout.nodes;
    let mut root_real = None;
    for i in changed {
        let (key, file, old) = (&layout.keys[i], &layout.files[i], &layout.parsed[i]);
        let (text, preparsed) = match preread.files.remove(key) {
            Some(pre) => (pre.text, pre.parsed),
            None => {
                let started = Instant::now();
                let text = read_text(source, &file.path, limits).map(Arc::from);
                out.reading += started.elapsed();
                (text, None)
            }
        };
        let text = text.ok()?;
        if is_blank(&text) {
            return None;
        }
        // A save that did not change the text keeps its parse (but one found changed when
        // made again: see `FileParse::changed`).
        let mut new = SourceFile::new(file.path.clone(), Arc::clone(&text));
        if file.same_text(&new) && !old.changed() {
            continue;
        }
        let parsed = match preparsed {
            Some(parsed) => parsed,
            None => {
                let started = Instant::now();
                let parsed = parse_text(&text, i == 0, limits);
                out.parsing += started.elapsed();
                parsed
            }
        }
        .ok()?;
        if parsed.includes() != old.includes() {
            return None;
        }
        // An include read anew may be a link out of the story directory (as when walking,
        // the main file is not checked).
        let root_real = root_real.get_or_insert_with(|| source.real_path(&out.root));
        if i > 0
            && let (Some(root), Some(real)) = (root_real, source.real_path(&file.path))
            && !real.starts_with(root)
        {
            return None;
        }
        nodes = nodes - old.n_nodes() + parsed.n_nodes();
        // Reloads read from the file system: the text is read again from there.
        let parsed = FileParse::new(Again::taking(&mut new, true), i == 0, limits, parsed);
        out.anew.push((i, new, Arc::new(parsed)));
    }
    (nodes <= limits.max_nodes).then_some(out)
}

/// The changed files of a story, read again without walking its includes (see
/// [`reread_changed`]).
pub(crate) struct Reread {
    pub(crate) root: PathBuf,
    /// Each file read anew whose text changed: its file id, the file (its text let go of:
    /// the parse holds it while it is held) and parse.
    pub(crate) anew: Vec<(usize, SourceFile, Arc<FileParse>)>,
    pub(crate) reading: Duration,
    pub(crate) parsing: Duration,
}

impl Reread {
    /// The story's files: `layout`'s, taken whole (not copied), with those read anew in
    /// place of theirs; the rest of the layout, to lay it out again ([`Unlaid::lay`]).
    pub(crate) fn into_files(self, layout: Layout) -> (ReadFiles, Unlaid) {
        let Layout {
            keys,
            mut files,
            parsed,
            nodes,
            at,
        } = layout;
        let n = keys.len();
        let mut parsed: Vec<Option<Arc<FileParse>>> = parsed.into_iter().map(Some).collect();
        let mut fresh = vec![false; n];
        let mut previous = vec![None; n];
        let mut old_files = Vec::with_capacity(self.anew.len());
        for (i, file, new) in self.anew {
            fresh[i] = true;
            previous[i] = parsed[i].replace(new);
            old_files.push((i, std::mem::replace(&mut files[i], file)));
        }
        let read = ReadFiles {
            root: self.root,
            files,
            keys,
            parsed,
            fresh,
            previous,
            findings: Vec::new(),
            incomplete: false,
            reading: self.reading,
            parsing: self.parsing,
        };
        (
            read,
            Unlaid {
                nodes,
                at,
                old_files,
            },
        )
    }
}

/// What a [`Layout`] is besides the files that [`Reread::into_files`] took from it.
pub(crate) struct Unlaid {
    nodes: usize,
    at: HashMap<PathBuf, usize>,
    /// Each file read anew as it was.
    old_files: Vec<(usize, SourceFile)>,
}

impl Unlaid {
    /// The layout again from the files taken: with the files read anew when their version
    /// is `taken`, else as it was (`previous` holds their parses before).
    pub(crate) fn lay(
        self,
        keys: Vec<PathBuf>,
        mut files: Vec<SourceFile>,
        parsed: Vec<Option<Arc<FileParse>>>,
        previous: &[Option<Arc<FileParse>>],
        taken: bool,
    ) -> Layout {
        // Every file of a layout parsed, those read anew too.
        let mut parsed: Vec<Arc<FileParse>> = parsed.into_iter().flatten().collect();
        let mut nodes = self.nodes;
        for (i, old_file) in self.old_files {
            let (Some(Some(before)), Some(file), Some(now)) =
                (previous.get(i), files.get_mut(i), parsed.get_mut(i))
            else {
                continue;
            };
            if taken {
                nodes = nodes - before.n_nodes() + now.n_nodes();
            } else {
                *file = old_file;
                *now = before.clone();
            }
        }
        Layout {
            keys,
            files,
            parsed,
            nodes,
            at: self.at,
        }
    }
}

/// The ids of the files read anew, from each file's flag (`ReadFiles::fresh`).
pub(crate) fn fresh_ids(fresh: &[bool]) -> Vec<usize> {
    (fresh.iter().enumerate())
        .filter(|(_, fresh)| **fresh)
        .map(|(i, _)| i)
        .collect()
}

/// The story directory and the main file for a path: a directory's `story.ron`, or the
/// file itself.
pub(crate) fn resolve(source: &dyn Source, path: &Path) -> (PathBuf, PathBuf) {
    if source.is_dir(path) {
        return (path.to_owned(), path.join("story.ron"));
    }
    let root = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    (root, path.to_owned())
}

/// The parsed content of one file.
#[derive(Debug)]
pub(crate) enum Parsed {
    Main(StoryFile),
    Include(IncludeFile),
}

impl Parsed {
    /// The files it includes, as written.
    pub(crate) fn includes(&self) -> &[String] {
        match self {
            Parsed::Main(f) => &f.include,
            Parsed::Include(f) => &f.include,
        }
    }

    /// How many nodes it declares, as written.
    pub(crate) fn n_nodes(&self) -> usize {
        match self {
            Parsed::Main(f) => f.nodes.0.len(),
            Parsed::Include(f) => f.nodes.0.len(),
        }
    }
}

struct Reader<'l> {
    source: &'l dyn Source,
    /// Whether a file read and parsed lets go of its text, which its parse holds while it
    /// is held (see [`Again`]): `source` is the file system, and parses are let go of.
    let_go_texts: bool,
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
    /// Nodes in the files parsed so far: past the limit, no further include is read.
    nodes_read: usize,
}

pub(crate) enum ReadFailure {
    Io(std::io::Error),
    Finding(Diagnostic),
}

/// A file, and its parse when the cache holds it for this very text.
struct Fetched {
    /// Its text held when it is to be parsed (`parsed` is `None`).
    file: SourceFile,
    parsed: Option<Arc<FileParse>>,
    /// The cached parse of an earlier text of the file.
    previous: Option<Arc<FileParse>>,
}

pub(crate) fn read_text(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
) -> Result<String, ReadFailure> {
    // Read one byte past the limit to tell "at the limit" from "over it" without trusting
    // metadata (which a pipe or a growing file would get wrong).
    let mut bytes = match source.read(path, limits.max_file_bytes.saturating_add(1)) {
        Ok(bytes) => bytes,
        Err(SourceError::Io(e)) => return Err(ReadFailure::Io(e)),
        Err(e @ SourceError::NotAFile(_)) => {
            return Err(ReadFailure::Finding(Diagnostic {
                severity: Severity::Error,
                path: path.to_owned(),
                line: 1,
                col: 1,
                message: e.to_string(),
                source_line: None,
            }));
        }
    };
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
    // A byte-order mark, which some editors write, is not part of the text.
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
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

/// The text of `file`: the one it holds, else its file read again from the file system,
/// when it still has that text (see [`SourceFile`]). `None` when it cannot be read, or
/// changed since.
pub(crate) fn text_of(file: &SourceFile) -> Option<Arc<str>> {
    match file.text() {
        Some(text) => Some(Arc::clone(text)),
        None => read_again(&file.path, file.print()),
    }
}

/// The text of the file at `path` in the file system, when it is the text `print` was
/// made of.
pub(crate) fn read_again(path: &Path, print: TextPrint) -> Option<Arc<str>> {
    // No more than that text and a byte-order mark (a longer file is another text).
    let limits = Limits {
        max_file_bytes: print.bytes().saturating_add(BOM.len() as u64),
        ..Limits::default()
    };
    let text = read_text(&FileSystem, path, &limits).ok()?;
    (TextPrint::of(&text) == print).then(|| Arc::from(text))
}

/// UTF-8's byte-order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a file that is not a regular file is, in words.
pub(crate) fn kind_name(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
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
        // The file as the cache has it, at the path read now.
        let as_cached = |c: &CachedFile| {
            let mut file = c.file.clone();
            file.path = path.to_owned();
            file
        };
        if let Some(c) = cached
            && !self.changes.includes(key)
            && !c.parsed.changed()
        {
            return Ok(Fetched {
                file: as_cached(c),
                parsed: Some(c.parsed.clone()),
                previous: None,
            });
        }
        let text = match self.preread.remove(key) {
            Some(pre) => {
                if let Some(parsed) = pre.parsed {
                    self.preparsed.insert(key.to_owned(), parsed);
                }
                // Read ahead; named as the reader names it.
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
                let text = read_text(self.source, path, self.limits).map(Arc::from);
                self.read.reading += started.elapsed();
                text
            }
        };
        let text = text?;
        // A save that did not change the text keeps its parse (but one found changed when
        // made again: see `FileParse::changed`), and the file as the cache has it (when its
        // text is held, the one the parse's strings share: one copy of it, not two).
        let file = SourceFile::new(path.to_owned(), text);
        let (file, parsed, previous) = match cached {
            Some(c) if c.file.same_text(&file) && !c.parsed.changed() => {
                (as_cached(c), Some(c.parsed.clone()), None)
            }
            Some(c) => (file, None, Some(c.parsed.clone())),
            None => (file, None, None),
        };
        Ok(Fetched {
            file,
            parsed,
            previous,
        })
    }

    fn add_file(&mut self, key: PathBuf, fetched: Fetched, main: bool) {
        let file = FileId(self.read.files.len() as u32);
        self.seen.insert(key.clone());
        self.read.keys.push(key.clone());
        let Fetched {
            file: mut source_file,
            parsed,
            previous,
        } = fetched;
        self.read.fresh.push(parsed.is_none());
        self.read.previous.push(previous);
        // A file to parse was read now: its text is held. A file that does not parse gives
        // where and why.
        let parsed = match parsed {
            Some(p) => Ok(p),
            None => {
                let text = source_file.text().cloned().unwrap_or_default();
                if is_blank(&text) {
                    Err(((1, 1), "file is empty".to_owned()))
                } else {
                    match (self.preparsed.remove(&key)).unwrap_or_else(|| self.parse(&text, main)) {
                        Ok(p) => {
                            let again = Again::taking(&mut source_file, self.let_go_texts);
                            Ok(Arc::new(FileParse::new(again, main, self.limits, p)))
                        }
                        Err(e) => Err(syntax_error(&text, &e)),
                    }
                }
            }
        };
        self.read.files.push(source_file);
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err((at, message)) => {
                self.read.parsed.push(None);
                self.read.incomplete = true;
                self.read.findings.push(Finding {
                    at: Some(at),
                    ..Finding::error(file, Vec::new(), message)
                });
                return;
            }
        };
        // Read from what is kept beside the parse: a parse let go is not made again.
        let (includes, n_nodes) = (parsed.includes().to_vec(), parsed.n_nodes());
        self.nodes_read += n_nodes;
        self.read.parsed.push(Some(parsed));
        self.stack.push(key);
        for (i, include) in includes.iter().enumerate() {
            self.include(file, i, include);
        }
        self.stack.pop();
    }

    fn parse(&mut self, text: &Arc<str>, main: bool) -> Result<Parsed, ron::error::SpannedError> {
        let started = Instant::now();
        let parsed = parse_text(text, main, self.limits);
        self.read.parsing += started.elapsed();
        parsed
    }

    fn include(&mut self, from: FileId, index: usize, include: &str) {
        let path = vec![Seg::Field("include"), Seg::Index(index)];
        let outside = || format!("include `{include}` points outside the story directory");
        let Some((target, key)) = included(&self.root, &self.root_abs, include) else {
            self.read
                .findings
                .push(Finding::error(from, path, outside()));
            self.read.incomplete = true;
            return;
        };
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
            self.read.incomplete = true;
            return;
        }
        if self.nodes_read > self.limits.max_nodes {
            self.read.findings.push(Finding::error(
                from,
                path,
                format!(
                    "`{include}` not read: the files before it hold {} nodes, more than the \
                     limit of {}",
                    self.nodes_read, self.limits.max_nodes
                ),
            ));
            self.read.incomplete = true;
            return;
        }
        let fetched = self.fetch(&target, &key);
        // A file read anew may be a link out of the story directory; a cached one was
        // checked when it was read.
        if matches!(&fetched, Ok(f) if f.parsed.is_none()) && self.escapes_by_links(&target) {
            self.read
                .findings
                .push(Finding::error(from, path, outside()));
            self.read.incomplete = true;
            return;
        }
        match fetched {
            Ok(fetched) => self.add_file(key, fetched, false),
            Err(ReadFailure::Io(e)) => {
                self.read.findings.push(Finding::error(
                    from,
                    path,
                    format!("cannot read include `{include}`: {e}"),
                ));
                self.read.incomplete = true;
            }
            Err(ReadFailure::Finding(d)) => {
                self.read.incomplete = true;
                // Report the problem in the included file itself.
                let file = FileId(self.read.files.len() as u32);
                self.read.files.push(SourceFile::new(target, Arc::from("")));
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
            self.root_real = self.source.real_path(&self.root);
        }
        match (&self.root_real, self.source.real_path(target)) {
            (Some(root), Some(real)) => !real.starts_with(root),
            _ => false,
        }
    }
}

/// Whether a file holds nothing but white space and comments.
pub(crate) fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("//")
    })
}

/// Where the file an `include` names is read (`root` joined with it) and what it is known
/// by (its key, from `root_key`, the key of `root`); `None` when the name leads out of
/// the story directory as written. What the reader and a read ahead both go by.
pub(crate) fn included(root: &Path, root_key: &Path, include: &str) -> Option<(PathBuf, PathBuf)> {
    lexically_inside(include).then(|| (root.join(include), normalize(&root_key.join(include))))
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
pub(crate) fn contained(source: &dyn Source, root: &Path, relative: &str) -> Option<PathBuf> {
    if !lexically_inside(relative) {
        return None;
    }
    let joined = root.join(relative);
    if let (Some(real_root), Some(real)) = (source.real_path(root), source.real_path(&joined))
        && !real.starts_with(&real_root)
    {
        return None;
    }
    Some(joined)
}

/// ron's error text, lowercased at the start to read as a diagnostic.
/// Where a RON syntax error is and what it says. An unclosed string makes the parser read
/// on into the lines after it and fail there ("expected comma" at the next string's
/// text): when the string before the error runs across lines and ends where a field or a
/// key would start, the error points at its opening quote instead.
fn syntax_error(text: &str, e: &ron::error::SpannedError) -> ((usize, usize), String) {
    let (line, col) = (e.span.start.line, e.span.start.col);
    let message = ron_message(&e.code);
    // A string that ron itself found unclosed is already reported where it ends.
    if matches!(e.code, ron::Error::ExpectedStringEnd) {
        return ((line, col), message);
    }
    let error_at = line_start(text, line).map(|start| {
        let rest = &text[start..];
        start
            + rest
                .char_indices()
                .nth(col.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i)
    });
    let Some((open, close)) = error_at.and_then(|at| last_string_before(text, at)) else {
        return ((line, col), message);
    };
    let body = &text[open + 1..close];
    let last_line = body.rsplit('\n').next().unwrap_or("").trim_end();
    let ends_like_a_field = last_line.trim().is_empty()
        || last_line.strip_suffix(':').is_some_and(|field| {
            let field = field.trim_end();
            let ident = field
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(field, |i| &field[i + 1..]);
            !ident.is_empty()
        });
    // The quote taken as closing was really the next string's opening one: what follows
    // it is that string's text, not a comma, a bracket or a space.
    let text_follows = text[close + 1..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    if !body.contains('\n') || !ends_like_a_field || !text_follows {
        return ((line, col), message);
    }
    let open_line = text[..open].matches('\n').count() + 1;
    let open_col = text[..open]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    let message = format!(
        "this string is not closed: it runs on to line {line}, where reading then failed \
         ({message})"
    );
    ((open_line, open_col), message)
}

/// The byte offset where 1-based `line` starts.
fn line_start(text: &str, line: usize) -> Option<usize> {
    if line <= 1 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 2).map(|(i, _)| i + 1)
}

/// The byte offsets of the opening and closing quotes of the last plain string that
/// closes before `end`, skipping comments, raw strings and character literals.
fn last_string_before(text: &str, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut last = None;
    let mut i = 0;
    while i < end.min(bytes.len()) {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#')) => {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                let closing = format!("\"{}", "#".repeat(hashes));
                let body = i + 1 + hashes + 1;
                i = text
                    .get(body..)
                    .and_then(|rest| rest.find(&closing))
                    .map_or(bytes.len(), |n| body + n + closing.len());
            }
            b'\'' => {
                // A character literal: 'x' or '\x'.
                let skip = if bytes.get(i + 1) == Some(&b'\\') {
                    2
                } else {
                    1
                };
                let ch = text.get(i + skip..).and_then(|r| r.chars().next());
                i += skip + ch.map_or(1, char::len_utf8) + 1;
            }
            b'"' => {
                let open = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= end {
                    return last;
                }
                last = Some((open, i));
                i += 1;
            }
            _ => i += 1,
        }
    }
    last
}

fn ron_message(code: &ron::Error) -> String {
    let text = code.to_string();
    let mut chars = text.chars();
    let message: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    };
    let mut message = message.trim_end_matches('.').to_owned();
    // A misspelt field: the closest of those the place takes, or the one meant by a
    // word from another engine (`condition` for `when`).
    if let ron::Error::NoSuchStructField {
        expected, found, ..
    } = code
    {
        let meant = field_synonyms(found)
            .iter()
            .find(|f| expected.contains(f))
            .copied()
            .or_else(|| qnce_core::suggest::closest(found, expected.iter().copied()));
        if let Some(meant) = meant {
            message.push_str(&format!("; did you mean `{meant}`?"));
        }
    }
    message
}

/// The fields a word writers bring from ink, Yarn Spinner or elsewhere may mean here, the
/// first that the place takes being the one (a choice's `next` is its `to`; a node's
/// `goto` is its `next`).
fn field_synonyms(word: &str) -> &'static [&'static str] {
    match word {
        "condition" | "if" | "requires" | "cond" => &["when"],
        "effects" | "effect" | "actions" => &["set", "on_enter"],
        "next" => &["to"],
        "to" => &["next"],
        "target" | "goto" | "go" | "next_node" | "divert" => &["to", "next"],
        "options" => &["choices"],
        "content" | "body" | "line_text" => &["text"],
        "on_entry" | "enter" => &["on_enter"],
        "once_only" => &["once"],
        "default" => &["fallback"],
        _ => &[],
    }
}
