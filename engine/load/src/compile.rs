//! Validation and compilation: parsed files to [`StoryData`], pure and without I/O except
//! checking that asset files exist.

mod declare;
pub(crate) mod jobs;
mod lines;
mod tables;

pub(crate) use declare::Hints;
pub(crate) use tables::{FactsUpdate, Tables};

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::format::{ChoiceDef, Entries, NodeDef, StoryFile, Str};
use super::locate::Seg;
use super::{Finding, Limits, Parsed};
use crate::dedent::Dedented;
use crate::diagnostic::Severity;
use crate::read::{FileParse, Prints, def_print};
use crate::source::Source;
use declare::{
    Declared, FileParts, FirstSeen, NodeDecl, NodeIndex, compile_fallbacks, declare_assets,
    declare_commands, declare_flows, declare_functions, declare_nodes, declare_variables,
    file_part, part_of,
};
use qnce_core::expr::{Action, Expr, ExprError, Template};
use qnce_core::story::components::*;
use qnce_core::story::{
    AssetId, ChoiceData, ChoiceId, CommandId, FileId, FlowId, FunctionDecl, FunctionId, Id,
    Interner, Names, NodeData, NodeId, SourceFile, Story, StoryData,
};
use qnce_core::value::Value;
use tables::{Calls, Decl, Uses};

/// The result of compiling, whether or not it had errors.
pub(crate) struct Compiled {
    pub(crate) files: Vec<SourceFile>,
    /// The story; `None` when the main file did not parse (always reported as an error).
    /// When `partial`, `nodes` holds only the nodes of files that were compiled.
    pub(crate) data: Option<StoryData>,
    /// Whether the nodes of unchanged files were kept from the running story instead of
    /// being compiled again.
    pub(crate) partial: bool,
    /// The running story's nodes that this version does not declare (none without
    /// reuse).
    pub(crate) removed: Vec<NodeId>,
    /// What compiling found, for the tables once this version is the running story.
    pub(crate) facts: FactsUpdate,
    /// Warnings kept from the running story with their place, beside the findings.
    pub(crate) resolved: Vec<Arc<crate::Diagnostic>>,
}

impl Compiled {
    /// Nothing compiled: the main file did not parse.
    fn nothing(files: Vec<SourceFile>) -> Compiled {
        Compiled {
            files,
            data: None,
            partial: false,
            removed: Vec::new(),
            facts: FactsUpdate::default(),
            resolved: Vec::new(),
        }
    }

    /// The story data with its files and names.
    pub(crate) fn into_story_data(self, names: Names) -> Option<StoryData> {
        let mut data = self.data?;
        data.files = self.files;
        data.names = names;
        Some(data)
    }
}

/// What a reload may keep from the running story.
#[derive(Clone, Copy)]
pub(crate) struct Reuse<'a> {
    /// The running story, compiled from the cached files.
    pub(crate) story: &'a Story,
    /// Whether each file was read and parsed anew (else its parse is the cached one).
    pub(crate) fresh: &'a [bool],
    /// For each file read anew, the version the running story was compiled from: compared
    /// as written while its parse is held, else through its fingerprints.
    pub(crate) previous: &'a [Option<Arc<FileParse>>],
}

impl<'a> Reuse<'a> {
    /// The running story's version of each file read anew (none for the others).
    fn before(&self, i: usize) -> Option<&'a FileParse> {
        self.previous.get(i)?.as_deref()
    }

    /// The nodes of the files read anew as the running story had them, by name: from
    /// their parses in `held` where these are held, else from their fingerprints.
    fn previous_defs<'h>(&self, held: &'h Handles) -> Before<'h>
    where
        'a: 'h,
    {
        let mut before = Before::default();
        for i in (0..self.previous.len()).filter(|&i| self.fresh.get(i) == Some(&true)) {
            match held.get(i).and_then(Option::as_deref) {
                Some(parse) => (before.defs).extend(
                    nodes_of(parse)
                        .0
                        .iter()
                        .map(|(name, def)| (name.as_str(), def)),
                ),
                None => before.prints.extend(
                    (self.before(i).and_then(FileParse::prints).into_iter()).flat_map(Prints::defs),
                ),
            }
        }
        before
    }

    /// Whether the files read anew (in `parsed`, their parses in `now`) declare the same
    /// nodes with the same targets (and the main file the same start and flows) as
    /// before, so that what is reachable cannot have changed: compared through the
    /// running story's parses where `held` holds them, else through fingerprints.
    fn same_graph(
        &self,
        (held, now): (&Handles, &Handles),
        parsed: &[Option<Arc<FileParse>>],
    ) -> bool {
        (self.fresh.iter().enumerate())
            .filter(|(_, f)| **f)
            .all(|(i, _)| match (held_at(held, i), held_at(now, i)) {
                (Some(old), Some(new)) => same_graph(old, new),
                _ => {
                    let new = parsed.get(i).and_then(Option::as_deref);
                    match (self.before(i), new) {
                        (Some(old), Some(new)) => match (old.prints(), new.prints()) {
                            (Some(old), Some(new)) => old.graph() == new.graph(),
                            _ => false,
                        },
                        _ => false,
                    }
                }
            })
    }

    /// Whether the files read anew (in `parsed`) changed nothing but their nodes: the main
    /// file was not read anew, and each include declares the same variables, assets and
    /// includes as the running story's version of it. Every name but the nodes' then
    /// means what it meant. Only files that declare variables or assets are parsed to
    /// compare them (the version before made again if it was let go of).
    fn only_nodes_changed(&self, parsed: &[Option<Arc<FileParse>>]) -> bool {
        let same = |i: usize| {
            let (Some(old), Some(new)) = (self.before(i), parsed.get(i).and_then(Option::as_deref))
            else {
                return false;
            };
            if old.is_main()
                || new.is_main()
                || old.includes() != new.includes()
                || old.declares() != new.declares()
            {
                return false;
            }
            if !old.declares() && !new.declares() {
                return true;
            }
            match (old.get().as_deref(), new.get().as_deref()) {
                (Some(Parsed::Include(old)), Some(Parsed::Include(new))) => {
                    old.variables.0 == new.variables.0 && old.assets.0 == new.assets.0
                }
                _ => false,
            }
        };
        !self.fresh.first().copied().unwrap_or(true)
            && (self.fresh.iter().enumerate()).all(|(i, &fresh)| !fresh || same(i))
    }

    /// Whether the nodes of unchanged files are still valid as compiled: every name they
    /// could refer to is still declared, and every variable keeps its type. New names do
    /// not matter, since an unchanged file cannot refer to them.
    fn unchanged_files_hold(&self, declared: &Declared<'_>, names: &Names) -> bool {
        let (story, by_name) = (self.story, &declared.names);
        story.node_ids().all(|id| declared.nodes.at(id).is_some())
            && story.var_ids().iter().all(|&v| {
                let ty = story.var_initial(v).map(Value::ty);
                (by_name.vars)
                    .get(names.vars.name(v))
                    .is_some_and(|&(id, t)| id == v && Some(t) == ty)
            })
            && story
                .asset_ids()
                .all(|a| by_name.assets.contains(names.assets.name(a)))
            && story.commands().iter().all(|(c, params)| {
                (by_name.commands)
                    .get(names.commands.name(*c))
                    .is_some_and(|(id, p)| id == c && p == params)
            })
            && story.functions().iter().all(|f| {
                (by_name.functions)
                    .get(names.functions.name(f.id))
                    .is_some_and(|(id, p, r)| *id == f.id && *p == f.params && *r == f.returns)
            })
    }
}

/// The running story's version of the nodes of the files read anew (see
/// [`Reuse::previous_defs`]).
#[derive(Default)]
struct Before<'h> {
    /// By name, from a parse held.
    defs: HashMap<&'h str, &'h NodeDef>,
    /// By name, the fingerprints of those whose parse was let go of.
    prints: HashMap<&'h str, u64>,
}

impl Before<'_> {
    /// Whether node `name` was written as `def`.
    fn same(&self, name: &str, def: &NodeDef) -> bool {
        match self.defs.get(name) {
            Some(was) => *was == def,
            None => self.prints.get(name) == Some(&def_print(def)),
        }
    }
}

/// Whether two versions of a file declare the same nodes with the same targets (and, for
/// the main file, the same start and flows): what `Prints::graph` fingerprints.
fn same_graph(old: &Parsed, new: &Parsed) -> bool {
    let same_starts = match (old, new) {
        (Parsed::Main(old), Parsed::Main(new)) => starts(old) == starts(new),
        _ => true,
    };
    let (old, new) = (&nodes_of(old).0, &nodes_of(new).0);
    same_starts
        && old.len() == new.len()
        && old.iter().zip(new).all(|((a, x), (b, y))| {
            graph_key(a, x) == graph_key(b, y) && choice_ways(x).eq(choice_ways(y))
        })
}

/// Where a main file starts the story and its flows: a part of the story's graph.
pub(crate) fn starts(main: &StoryFile) -> (&str, &[(Str, String)]) {
    (&main.start, &main.flows.0)
}

/// A node's part of the story's graph, as a reload compares two versions of it (beside
/// [`choice_ways`]): its name, `next`, `call`, whether it returns, its number of choices
/// and where it certainly goes on to.
pub(crate) type GraphKey<'d> = (
    &'d str,
    Option<&'d str>,
    Option<&'d str>,
    bool,
    usize,
    Option<(&'d str, bool)>,
);

/// Node `name`'s part of the story's graph, written as `def` (see [`GraphKey`]).
pub(crate) fn graph_key<'d>(name: &'d str, def: &'d NodeDef) -> GraphKey<'d> {
    let next = def.next.as_deref();
    let call = def.call().map(|c| &**c);
    let advance = certain_advance(def);
    (name, next, call, def.returns(), def.choices.len(), advance)
}

/// Each choice's `to` and `call`: the rest of a node's part of the story's graph.
pub(crate) fn choice_ways(def: &NodeDef) -> impl Iterator<Item = (Option<&str>, Option<&str>)> {
    (def.choices.iter()).map(|c| (c.to.as_deref(), c.call().map(|c| &**c)))
}

/// Parses held by one compile, by file id: `None` for a file whose parse it does not need
/// (or that did not parse). Each is a handle of its own, so that the compile can let go of
/// a file's parse once it is done with it (see [`FileParse::let_go`]).
type Handles = [Option<Arc<Parsed>>];

/// The parse of file `i` among `handles`.
fn held_at(handles: &Handles, i: usize) -> Option<&Parsed> {
    handles.get(i)?.as_deref()
}

/// Gives back the handle on file `i`'s parse, if `handles` has one (see
/// [`FileParse::settle`]).
fn settle(handles: &mut Handles, parsed: &[Option<Arc<FileParse>>], i: usize, keep: bool) {
    let Some(handle) = handles.get_mut(i).and_then(Option::take) else {
        return;
    };
    if let Some(file) = parsed.get(i).and_then(Option::as_ref) {
        file.settle(handle, keep);
    }
}

/// Fetches the parse of each file of `ids` that `handles` does not hold yet.
/// Notes in `made` the files whose parse was made again (it was let go of).
fn fetch_all(
    (handles, made): (&mut [Option<Arc<Parsed>>], &mut HashSet<usize>),
    parsed: &[Option<Arc<FileParse>>],
    ids: &[usize],
) {
    for &i in ids {
        let Some(slot) = handles.get_mut(i).filter(|h| h.is_none()) else {
            continue;
        };
        let Some(file) = parsed.get(i).and_then(Option::as_ref) else {
            continue;
        };
        // None only when its file changed since it was read (see `FileParse::changed`):
        // the compile is then not taken.
        if let Some((parse, made_again)) = file.get_noting() {
            if made_again {
                made.insert(i);
            }
            *slot = Some(parse);
        }
    }
}

pub(crate) fn nodes_of(parsed: &Parsed) -> &Entries<NodeDef> {
    match parsed {
        Parsed::Main(m) => &m.nodes,
        Parsed::Include(f) => &f.nodes,
    }
}

struct Ctx<'a> {
    /// Where asset files are looked for.
    source: &'a dyn Source,
    files: &'a [SourceFile],
    sink: Sink<'a>,
}

impl<'a> std::ops::Deref for Ctx<'a> {
    type Target = Sink<'a>;

    fn deref(&self) -> &Sink<'a> {
        &self.sink
    }
}

impl<'a> std::ops::DerefMut for Ctx<'a> {
    fn deref_mut(&mut self) -> &mut Sink<'a> {
        &mut self.sink
    }
}

/// What compiling a node reads besides its declarations, and where it reports: all of
/// [`Ctx`] a node's compile needs, which a thread that compiles nodes has of its own (see
/// [`jobs`]).
struct Sink<'a> {
    limits: &'a Limits,
    findings: &'a mut Vec<Finding>,
    /// Part of the story was not read (see `ReadFiles::incomplete`).
    incomplete: bool,
    /// A buffer reused to build short strings (a choice's line id) before they are shared.
    scratch: String,
    /// How many more unknown names in fields (targets, starts, assets) get a "did you
    /// mean" (each compares the name with every name of its kind: unbounded, `qnce check`
    /// on a 300,000-node story cut at the node limit ran for more than ten minutes). Names
    /// in expressions have a budget of their own, as many (`Declared::hints`).
    hints: Hints,
}

impl Sink<'_> {
    /// "; did you mean `…`?" for an unknown `name` among what `names` gives, while hints
    /// are left and the error will be reported (else nothing, and `names` is not asked).
    fn hint<'n, N: IntoIterator<Item = &'n str>>(
        &mut self,
        name: &str,
        names: impl FnOnce() -> N,
    ) -> String {
        if !self.hints.take() {
            return String::new();
        }
        qnce_core::suggest::did_you_mean(name, names())
    }

    fn error(&mut self, file: FileId, path: Vec<Seg>, message: impl Into<String>) {
        self.findings.push(Finding::error(file, path, message));
    }

    /// An error about a name the story does not declare: reported only when every file
    /// was read, since otherwise the file that was not may declare it, and the error that
    /// kept it from being read is the one to fix.
    fn unknown(&mut self, file: FileId, path: Vec<Seg>, message: impl Into<String>) {
        if !self.incomplete {
            self.error(file, path, message);
        }
    }

    fn expr_error(&mut self, file: FileId, path: Vec<Seg>, e: ExprError) {
        if e.unknown_name && self.incomplete {
            return;
        }
        self.findings.push(Finding {
            inner: Some(e.at),
            ..Finding::error(file, path, e.message)
        });
    }
}

impl Ctx<'_> {
    fn file_name(&self, file: FileId) -> String {
        self.files
            .get(file.0 as usize)
            .map_or_else(String::new, |f| f.path.display().to_string())
    }

    /// Where the first declaration of a duplicate is: at the same path in `file` (the
    /// first of the keys when both are in one file), as `path:line:col`.
    fn first_place(&self, file: FileId, path: &[Seg]) -> String {
        match self.files.get(file.0 as usize) {
            Some(f) => match crate::read::text_of(f).map(crate::locate::SourceMap::new) {
                Some(map) => {
                    let at = map.line_col(map.offset(path, false));
                    format!("{}:{}:{}", f.path.display(), at.line, at.col)
                }
                // Its text let go of, and the file changed since.
                None => self.file_name(file),
            },
            None => self.file_name(file),
        }
    }

    /// Records a declaration; reports a duplicate at its second place.
    fn declare<'p>(
        &mut self,
        seen: &mut FirstSeen<'p>,
        what: &str,
        name: &'p str,
        file: FileId,
        path: impl FnOnce() -> Vec<Seg>,
    ) -> bool {
        if let Some(&first_file) = seen.get(name) {
            self.duplicate(what, name, first_file, file, path());
            return false;
        }
        seen.insert(name, file);
        true
    }

    /// Reports the declaration of `name` at `path` in `file` as a duplicate of the one in
    /// `first_file`.
    fn duplicate(
        &mut self,
        what: &str,
        name: &str,
        first_file: FileId,
        file: FileId,
        path: Vec<Seg>,
    ) {
        let where_ = self.first_place(first_file, &path);
        self.findings.push(Finding {
            last: first_file == file,
            ..Finding::error(
                file,
                path,
                format!("duplicate {what} `{name}` (first declared at {where_})"),
            )
        });
    }
}

/// What compiling reads: the story directory, its files and their parses, the limits,
/// and what a reload may keep of the running story.
pub(crate) struct Sources<'a> {
    pub(crate) source: &'a dyn Source,
    pub(crate) root: PathBuf,
    pub(crate) files: Vec<SourceFile>,
    pub(crate) parsed: &'a [Option<Arc<FileParse>>],
    pub(crate) limits: &'a Limits,
    pub(crate) reuse: Option<Reuse<'a>>,
    /// Part of the story was not read (see `ReadFiles::incomplete`).
    pub(crate) incomplete: bool,
    /// Whether to let go of the parses of most files once their nodes are compiled (see
    /// [`FileParse::let_go`]): a load or a reload does, a check that parses every file
    /// again soon after (as `qnce lsp` does) does not.
    pub(crate) let_go: bool,
    /// Threads to compile a load's nodes on (see [`jobs`]).
    pub(crate) parallel: Option<&'a dyn crate::ParallelMap>,
}

/// Validates the parsed files as one story and compiles them, interning names into
/// `names`. With `reuse`, the nodes of unchanged files are not compiled again when they
/// are still valid as they are (see [`Reuse`]); the result is then `partial`.
///
/// `tables` are what an earlier compile of the running story kept (empty at a load):
/// when the files read anew changed only their nodes, only those files' declarations are
/// taken again, and the warnings of the nodes kept come from the tables. The diagnostics
/// are those of a compile of every file from scratch.
pub(crate) fn compile(
    sources: Sources<'_>,
    findings: &mut Vec<Finding>,
    names: &mut Names,
    tables: &mut Tables,
) -> Compiled {
    let Sources {
        source,
        root,
        files,
        parsed,
        limits,
        reuse,
        incomplete,
        let_go,
        parallel,
    } = sources;
    let n_files = parsed.len();
    let fresh = reuse.map_or_else(Vec::new, |r| crate::read::fresh_ids(r.fresh));
    // The parses this compile holds: the main file's first.
    let mut handles: Vec<Option<Arc<Parsed>>> = vec![None; n_files];
    // The files whose parse this compile made again.
    let mut made = HashSet::default();
    fetch_all((&mut handles, &mut made), parsed, &[0]);
    // The running story's versions of the files read anew, where their parses are held
    // (a file edited again): compared as written, without fingerprints.
    let mut held_before: Vec<Option<Arc<Parsed>>> = vec![None; n_files];
    if let Some(r) = reuse {
        for &i in &fresh {
            if let Some(slot) = held_before.get_mut(i) {
                *slot = r.before(i).and_then(FileParse::held);
            }
        }
    }
    let Some(main_parse) = handles.first().cloned().flatten() else {
        return Compiled::nothing(files);
    };
    let Parsed::Main(main) = &*main_parse else {
        return Compiled::nothing(files);
    };
    // Nodes first. When the files read anew changed only their nodes, only theirs are
    // declared again (and only they are compiled), and besides them only the notable
    // files are read; else every file is, and declared from scratch.
    let incremental = reuse.filter(|r| {
        !incomplete
            && tables.facts.is_some()
            && parsed.iter().all(Option::is_some)
            && r.only_nodes_changed(parsed)
    });
    let mut to_read = match incremental {
        Some(_) => {
            let serial = |i: usize| Some(parsed.get(i)?.as_ref()?.serial());
            tables.decl.to_read(&fresh, serial)
        }
        None => (0..n_files).collect(),
    };
    fetch_all((&mut handles, &mut made), parsed, &to_read);
    let updated = incremental.and_then(|_| {
        let parts: Vec<FileParts<'_>> = (to_read.iter())
            .filter_map(|&i| file_part(parsed, &handles, i))
            .collect();
        let (decl, nodes) = (&mut tables.decl, &mut names.nodes);
        let previous = reuse.map_or(&[][..], |r| r.previous);
        decl.update(&parts, n_files, previous, nodes, limits.max_nodes)
    });
    let incremental = incremental.filter(|_| updated.is_some());
    if incremental.is_none() && to_read.len() < n_files {
        // Declared afresh after all: every file.
        to_read = (0..n_files).collect();
        fetch_all((&mut handles, &mut made), parsed, &to_read);
    }
    // Variables and assets are declared from the files that declare any (which every
    // update reads), and the names declared are borrowed from these handles for the whole
    // compile, while the others are let go of as compiling goes.
    let declares = |i: usize| {
        parsed
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|p| p.declares())
    };
    let declaring: Vec<(usize, Arc<Parsed>)> = (to_read.iter())
        .filter(|&&i| declares(i))
        .filter_map(|&i| Some((i, handles.get(i)?.clone()?)))
        .collect();
    let declaring_parts: Vec<FileParts<'_>> = (declaring.iter())
        .filter_map(|(i, parse)| part_of(parsed, *i, parse))
        .collect();
    let mut cx = Ctx {
        source,
        files: &files,
        sink: Sink {
            limits,
            findings,
            incomplete,
            scratch: String::new(),
            hints: Hints::for_compile(incomplete),
        },
    };
    let mut declared = Declared {
        names: Arc::default(),
        nodes: NodeIndex::EMPTY,
        hints: Hints::for_compile(incomplete),
    };
    let commands = declare_commands(&mut cx, main, names, &mut declared);
    let signatures = declare_functions(&mut cx, main, names, &mut declared);
    let variables = declare_variables(&mut cx, &declaring_parts, names, &mut declared);
    let assets = declare_assets(&mut cx, &root, &declaring_parts, names, &mut declared);
    let asset_ids: HashMap<String, AssetId> = assets
        .iter()
        .map(|(id, _)| (names.assets.name(*id).to_owned(), *id))
        .collect();
    let (node_decls, flows) = {
        let parts: Vec<FileParts<'_>> = (to_read.iter())
            .filter_map(|&i| file_part(parsed, &handles, i))
            .collect();
        let node_decls = match updated {
            Some(changed) => changed,
            None => declare_nodes(&mut cx, &parts, &mut names.nodes, &mut tables.decl),
        };
        // After declaring from scratch, files may have other ids than the running story's
        // (an include list reordered): until this version is taken, each may differ.
        match incremental {
            Some(_) => tables.decl.read_anew(&fresh),
            None => tables.decl.read_anew(&to_read),
        }
        declared.nodes = NodeIndex::new(&names.nodes, tables.decl.at());
        let flows = declare_flows(&mut cx, main, &mut names.flows, &declared);
        let written = lines::Written::new(&handles, parsed);
        lines::check_line_ids(&mut cx, &parts, &written, &declared.nodes);
        (node_decls, flows)
    };
    let functions = match incremental {
        // The main file is as the running story has it, and every node a fallback could
        // name is still declared.
        Some(r) => r.story.functions().to_vec(),
        None => compile_fallbacks(&mut cx, &declared, &signatures),
    };

    // Nodes, except those that are as the running story has them: every node of an
    // unchanged file, and nodes of changed files written as before, when the names they
    // refer to all still hold. What they were found to have is in the tables' facts.
    let keep_unchanged = incremental.or_else(|| {
        reuse.filter(|r| tables.facts.is_some() && r.unchanged_files_hold(&declared, names))
    });
    let kept_facts = tables.facts.as_ref().filter(|_| keep_unchanged.is_some());
    // Which files keep their parse once compiled: every file, unless parses are let go
    // of; else the main file and those every update reads (see `Decl::to_read`), and at
    // a reload every parse this compile did not make again (those of the files read anew,
    // and of the files read anew last, which the cache lets go of once 8 others were:
    // `FileCache`'s `RECENT`).
    let keeps: Vec<bool> = (0..n_files)
        .map(|i| !let_go || tables.keeps_parse(i) || (reuse.is_some() && !made.contains(&i)))
        .collect();
    let keeps = |i: usize| keeps.get(i).copied().unwrap_or(true);
    let previous_defs = keep_unchanged
        .map(|r| r.previous_defs(&held_before))
        .unwrap_or_default();
    // At a load given threads, the nodes are compiled on them (see `jobs`): what was
    // declared is moved out for the jobs to share, and back.
    let share = parallel.filter(|_| reuse.is_none() && jobs::worth_sharing(&node_decls));
    let (declared, compiled_nodes) = match share {
        Some(parallel) => {
            let Declared {
                names: by_name,
                hints,
                ..
            } = declared;
            let scope = jobs::NodeScope {
                names: by_name,
                nodes: std::mem::take(&mut names.nodes),
                decl: std::mem::take(&mut tables.decl),
                asset_ids,
                limits: limits.clone(),
                incomplete,
            };
            let held = (&mut handles[..], &keeps as &dyn Fn(usize) -> bool);
            let (scope, node_decls, done) = jobs::run(parallel, scope, node_decls, held, parsed);
            names.nodes = scope.nodes;
            tables.decl = scope.decl;
            let declared = Declared {
                names: scope.names,
                nodes: NodeIndex::new(&names.nodes, tables.decl.at()),
                hints,
            };
            let asset_ids = &scope.asset_ids;
            let mut known =
                Known::interning(&tables.decl, &mut names.choices, &declared, asset_ids);
            let held = (&mut handles[..], &keeps as &dyn Fn(usize) -> bool);
            let given = (&node_decls[..], done);
            let compiled = jobs::take(&mut cx, &mut known, given, held, parsed);
            (declared, compiled)
        }
        None => {
            let mut known =
                Known::interning(&tables.decl, &mut names.choices, &declared, &asset_ids);
            let compiled = compile_nodes(
                &mut cx,
                &mut known,
                &node_decls,
                keep_unchanged.map(|r| (r, &previous_defs)),
                (&mut handles, &keeps),
                parsed,
            );
            (declared, compiled)
        }
    };
    let CompiledNodes {
        nodes,
        facts: compiled,
        tried,
    } = compiled_nodes;
    let calls = Calls::of(kept_facts, &compiled);

    // The warnings of the nodes kept, as compiling them found: as they were placed, where
    // their file's text is the same.
    let mut resolved = Vec::new();
    let mut keep = |cx: &mut Ctx<'_>, id: NodeId, warning: &tables::Kept| {
        let Some(at) = declared.nodes.at(id) else {
            return;
        };
        let text = cx.files.get(at.file.0 as usize).map(SourceFile::print);
        match text.and_then(|t| warning.placed_in(t)) {
            Some(diagnostic) => resolved.push(Arc::clone(diagnostic)),
            None => cx.findings.push(Finding {
                file: at.file,
                ..warning.finding.clone()
            }),
        }
    };
    if let Some(facts) = kept_facts {
        for (id, warnings) in &facts.warnings {
            if !tried.contains(id) {
                warnings.iter().for_each(|w| keep(&mut cx, *id, w));
            }
        }
    }
    // A command or function that no node calls. A node with an error is left out of the
    // story, so its calls would look missing.
    let has_errors = cx.findings.iter().any(|f| f.severity == Severity::Error);
    if !incomplete && !has_errors {
        let interned = (&names.commands, &names.functions);
        warn_unused(&mut cx, interned, &calls, &commands, &functions);
    }

    // Warning: nodes unreachable from every flow's start, and endless loops. When no edge
    // can have changed, neither can they, and the running story's stand.
    let graph_unchanged = !incomplete
        && keep_unchanged.is_some_and(|r| r.same_graph((&held_before, &handles), parsed));
    let graph = match kept_facts {
        Some(facts) if graph_unchanged => {
            facts.graph.iter().for_each(|(id, w)| keep(&mut cx, *id, w));
            None
        }
        // Reachability through a file that was not read is unknown.
        _ if incomplete => Some(Vec::new()),
        _ => {
            let mut graph = Vec::new();
            if !flows.is_empty() {
                graph.extend(warn_unreachable(&tables.decl, &names.nodes, &flows));
            }
            graph.extend(warn_endless_loops(&tables.decl, &names.nodes));
            cx.findings.extend(graph.iter().map(|(_, w)| w.clone()));
            Some(graph)
        }
    };

    // The parses still held (those read, and the main file's): kept, or let go of.
    for &i in to_read.iter().chain(&[0]) {
        settle(&mut handles, parsed, i, keeps(i));
    }
    let save_id = main.id.clone().unwrap_or_else(|| main.title.clone());
    let data = StoryData {
        title: main.title.clone(),
        save_id,
        root,
        files: Vec::new(),
        names: Names::default(),
        variables,
        assets,
        flows,
        nodes,
        commands,
        functions,
        translations: Vec::new(),
        voices: Vec::new(),
    };
    // Only a reload that declared every file afresh can have removed a node.
    let removed = match reuse.filter(|_| incremental.is_none()) {
        Some(r) => r
            .story
            .node_ids()
            .filter(|&id| declared.nodes.at(id).is_none())
            .collect(),
        None => Vec::new(),
    };
    Compiled {
        data: Some(data),
        files,
        partial: keep_unchanged.is_some(),
        removed,
        resolved,
        facts: FactsUpdate {
            partial: keep_unchanged.is_some(),
            nodes: compiled,
            calls,
            graph,
        },
    }
}

/// A node compiled: its id, its warnings and the commands and functions it calls.
type NodeFacts = (NodeId, Box<[Finding]>, Uses);

/// The nodes compiled, with what was found in each that compiled.
struct CompiledNodes {
    nodes: Vec<NodeData>,
    /// With nodes kept, every node compiled; else those with a warning or a call.
    facts: Vec<NodeFacts>,
    /// With nodes kept, every node compiled, with errors or not; else none.
    tried: HashSet<NodeId>,
}

/// The nodes declared in `node_decls`, compiled, with what was found in each; with `keep`,
/// only those of files read anew whose definition differs from the running story's (its
/// nodes by name). Each file's parse is taken from `handles`, and let go of once the file's
/// nodes are compiled unless `keeps` says to keep it: a story's parses are then not all
/// held beside the nodes compiled from them.
fn compile_nodes(
    cx: &mut Ctx<'_>,
    known: &mut Known<'_>,
    node_decls: &[NodeDecl],
    keep: Option<(Reuse<'_>, &Before<'_>)>,
    (handles, keeps): (&mut Handles, &dyn Fn(usize) -> bool),
    parsed: &[Option<Arc<FileParse>>],
) -> CompiledNodes {
    // Sized once at a load, where every node is compiled.
    let all = if keep.is_none() { node_decls.len() } else { 0 };
    let mut nodes = Vec::with_capacity(all);
    let mut facts = Vec::new();
    let mut tried = HashSet::default();
    let done_with = |file: usize, handles: &mut Handles| {
        if !keeps(file) {
            settle(handles, parsed, file, false);
        }
    };
    let mut current: Option<(usize, Arc<Parsed>)> = None;
    for &(file, id, index) in node_decls {
        let f = file.0 as usize;
        if current.as_ref().is_none_or(|(at, _)| *at != f) {
            if let Some((done, _)) = current.take() {
                done_with(done, handles);
            }
            current = handles.get(f).cloned().flatten().map(|p| (f, p));
        }
        if keep.is_some_and(|(r, _)| !r.fresh.get(f).copied().unwrap_or(true)) {
            continue;
        }
        let Some((_, parse)) = &current else {
            continue;
        };
        let Some((name, def)) = nodes_of(parse).0.get(index as usize) else {
            continue;
        };
        if keep.is_some_and(|(_, before)| before.same(name, def)) {
            continue;
        }
        // Without nodes kept, nothing asks which were compiled.
        if keep.is_some() {
            tried.insert(id);
        }
        let out = (&mut nodes, &mut facts);
        compile_into(cx, known, (file, id, name), def, keep.is_some(), out);
    }
    if let Some((done, _)) = current.take() {
        done_with(done, handles);
    }
    CompiledNodes {
        nodes,
        facts,
        tried,
    }
}

/// Compiles node `id` of `file`, named `name`, into `nodes` when it compiles, noting in
/// `facts` what was found in it: for every node compiled with `every`, else for one with a
/// warning or a call (one with neither adds nothing to facts that start empty). Whether
/// it compiled.
fn compile_into(
    cx: &mut Sink<'_>,
    known: &mut Known<'_>,
    (file, id, name): (FileId, NodeId, &str),
    def: &NodeDef,
    every: bool,
    (nodes, facts): (&mut Vec<NodeData>, &mut Vec<NodeFacts>),
) -> bool {
    let before = cx.findings.len();
    let Some(node) = compile_node(cx, known, file, (id, name), def) else {
        return false;
    };
    let warnings: Box<[Finding]> = cx.findings[before..].iter().cloned().collect();
    let uses = uses_of(&node);
    if every || !warnings.is_empty() || !uses.is_empty() {
        facts.push((id, warnings, uses));
    }
    nodes.push(node);
    true
}

/// The commands and functions a compiled node calls, each once.
fn uses_of(node: &NodeData) -> Uses {
    let mut uses = Uses::default();
    let effects =
        std::iter::once(&node.on_enter.0).chain(node.choices.iter().map(|c| &c.effects.0));
    let mut exprs: Vec<&Expr> = Vec::new();
    for action in effects.flat_map(Effects::actions) {
        match action {
            Action::Command(call) => {
                uses.commands.push(call.command);
                exprs.extend(call.args());
            }
            Action::Set(effect) => exprs.push(effect.value()),
        }
    }
    exprs.extend(node.text.template.exprs());
    for choice in &node.choices {
        exprs.extend(choice.text.template.exprs());
        exprs.extend(choice.condition.0.as_deref().map(|(_, e)| e));
    }
    for e in exprs {
        e.functions(&mut uses.functions);
    }
    uses.commands.sort_unstable();
    uses.commands.dedup();
    uses.functions.sort_unstable();
    uses.functions.dedup();
    uses
}

/// Where a value of a node is written: the node and up to four more steps. The path a
/// finding needs is made only when there is a finding; most values have none.
#[derive(Clone, Copy)]
struct Place<'p> {
    node: &'p str,
    steps: [Step; 4],
    len: u8,
}

#[derive(Clone, Copy)]
enum Step {
    Field(&'static str),
    Index(usize),
}

impl<'p> Place<'p> {
    fn node(name: &'p str) -> Place<'p> {
        Place {
            node: name,
            steps: [Step::Index(0); 4],
            len: 0,
        }
    }

    fn then(mut self, step: Step) -> Place<'p> {
        debug_assert!(
            (self.len as usize) < self.steps.len(),
            "a place four steps deep"
        );
        if let Some(slot) = self.steps.get_mut(self.len as usize) {
            *slot = step;
            self.len += 1;
        }
        self
    }

    fn field(self, field: &'static str) -> Place<'p> {
        self.then(Step::Field(field))
    }

    fn index(self, i: usize) -> Place<'p> {
        self.then(Step::Index(i))
    }

    fn path(self) -> Vec<Seg> {
        let steps = self.steps.iter().take(self.len as usize).map(|s| match *s {
            Step::Field(f) => Seg::Field(f),
            Step::Index(i) => Seg::Index(i),
        });
        [Seg::Field("nodes"), Seg::Key(self.node.to_owned())]
            .into_iter()
            .chain(steps)
            .collect()
    }
}

/// The ids of the names a node leads to, from its links (interned when it was declared),
/// so that compiling it looks none of them up again: its choices' `call` and `to`, then
/// its `next` and `call` (the order of [`tables::Links::edges`]).
#[derive(Clone, Copy)]
struct Targets<'l> {
    edges: Option<&'l [NodeId]>,
}

impl<'l> Targets<'l> {
    /// The targets of `def`, declared as `id`, from `decl`'s links; none when the links
    /// are not of this definition.
    fn of(decl: &'l Decl, id: NodeId, def: &NodeDef) -> Targets<'l> {
        let written = def.edges().count();
        let edges = decl
            .links(id)
            .filter(|l| l.id == Some(id) && l.edges.len() == written)
            .map(|l| &l.edges[..]);
        Targets { edges }
    }

    /// The id at `i`, if the links give one.
    fn at(self, i: usize) -> Option<NodeId> {
        self.edges.and_then(|e| e.get(i)).copied()
    }

    /// The ids of a choice's `call` and `to`, whose targets start at `first`.
    fn of_choice(self, first: usize, c: &ChoiceDef) -> (Option<NodeId>, Option<NodeId>) {
        let call = c.call().and_then(|_| self.at(first));
        let to = (c.to.as_ref()).and_then(|_| self.at(first + usize::from(c.call().is_some())));
        (call, to)
    }

    /// The ids of the node's `next` and `call`, the last of its targets.
    fn onward(self, def: &NodeDef) -> (Option<NodeId>, Option<NodeId>) {
        let Some(edges) = self.edges else {
            return (None, None);
        };
        let first = edges.len().saturating_sub(def.onward().count());
        let next = def.next.as_ref().and_then(|_| self.at(first));
        let call = def
            .call()
            .and_then(|_| self.at(first + usize::from(def.next.is_some())));
        (next, call)
    }
}

/// The node a field names, when it names one: `Some(None)` when the story has no such
/// node (reported at `place`, with `unknown`'s message). `interned` is the name's id when
/// the node's links give it (see [`Targets`]).
fn node_ref(
    cx: &mut Sink<'_>,
    declared: &Declared<'_>,
    file: FileId,
    place: Place<'_>,
    (name, interned): (Option<&str>, Option<NodeId>),
    unknown: impl FnOnce(&str) -> String,
) -> Option<Option<NodeId>> {
    let name = name?;
    let found = match interned {
        Some(id) => declared.nodes.at(id).map(|_| id),
        None => declared.nodes.get(name),
    };
    if found.is_none() {
        let hint = cx.hint(name, || declared.nodes.names());
        cx.unknown(file, place.path(), unknown(name) + &hint);
    }
    Some(found)
}

/// A choice compiled, or `None` when it has errors (reported) or `identity` gives none;
/// `identity` is asked only when the rest compiled.
fn compile_choice(
    cx: &mut Sink<'_>,
    declared: &Declared<'_>,
    file: FileId,
    place: Place<'_>,
    (c, targets, first): (&ChoiceDef, Targets<'_>, usize),
    text: (Arc<str>, &str),
    identity: impl FnOnce() -> Option<Choice>,
) -> Option<ChoiceData> {
    let at = |field: &'static str| place.field(field);
    let (call_id, to_id) = targets.of_choice(first, c);
    let to = node_ref(
        cx,
        declared,
        file,
        at("to"),
        (c.to.as_deref(), to_id),
        |n| format!("choice leads to `{n}`, which does not exist"),
    );
    let call = node_ref(
        cx,
        declared,
        file,
        at("call"),
        (c.call().map(|c| &**c), call_id),
        |n| format!("choice calls `{n}`, which does not exist"),
    );
    if c.fallback() && c.call().is_some() && c.to.is_none() {
        cx.error(
            file,
            at("call").path(),
            "a fallback choice that calls needs a `to`: back at its node after the call, it \
             would be taken again",
        );
    }
    let target = match (to, call) {
        (None, None) => {
            cx.error(
                file,
                place.path(),
                "a choice needs `to` (where it leads), `call` (a node it calls first), or both",
            );
            None
        }
        (Some(Some(to)), None) => Some(Target::To(to)),
        (then, Some(Some(call))) => match then {
            Some(None) => None,
            then => Some(Target::Call {
                call,
                then: then.flatten(),
            }),
        },
        _ => None,
    };
    let condition = match &c.when {
        Some(src) => match Expr::parse_condition(src, declared, cx.limits.expr()) {
            Ok(e) => {
                if e.constant() == Some(Value::Bool(false)) {
                    cx.findings.push(Finding::warning(
                        file,
                        at("when").path(),
                        format!("condition `{src}` can never hold"),
                    ));
                }
                Some((Arc::from(&**src), e))
            }
            Err(e) => {
                cx.expr_error(file, at("when").path(), e);
                None
            }
        },
        None => None,
    };
    let text = compile_text(cx, declared, file, at("text"), text);
    let effects = compile_effects(cx, declared, file, at("set"), &c.set);
    let (Some(text), Some(target)) = (text, target) else {
        return None;
    };
    Some(ChoiceData {
        choice: identity()?,
        text,
        target,
        condition: Condition(condition.map(Box::new)),
        effects: ChoiceEffects(effects),
        flags: ChoiceFlags {
            once: c.once(),
            fallback: c.fallback(),
        },
        tags: Tags(c.tags().iter().map(|t| Arc::from(&**t)).collect()),
    })
}

/// What a node's compile resolves names against, and where its choices get their ids.
struct Known<'k> {
    /// The declarations, with each node's links.
    decl: &'k Decl,
    choices: ChoiceIds<'k>,
    declared: &'k Declared<'k>,
    asset_ids: &'k HashMap<String, AssetId>,
}

/// Where a compile's choices get their ids.
enum ChoiceIds<'k> {
    /// Interned as each choice compiles.
    Interned(ChoiceInterner<'k>),
    /// Noted in order, to intern once the nodes of every file are compiled: what a thread
    /// that compiles some files' nodes does (see [`jobs`]), so that ids are given in the
    /// order a compile on one thread gives them.
    Noted(&'k mut Vec<jobs::NotedChoice>),
}

/// The story's choice ids, interned as choices compile.
struct ChoiceInterner<'k> {
    interner: &'k mut Interner<ChoiceId>,
    /// By node id, the choice id named as that node: the id of most choices (named after
    /// their target), found once per target rather than looked up by name for each
    /// choice (a cache miss each in a large story). A map, not a table by id: a reload
    /// compiles a few nodes of a large story.
    named_after: HashMap<NodeId, ChoiceId>,
}

impl<'k> ChoiceInterner<'k> {
    fn new(interner: &'k mut Interner<ChoiceId>) -> ChoiceInterner<'k> {
        ChoiceInterner {
            interner,
            named_after: HashMap::default(),
        }
    }

    /// The id of a choice named `name`, after node `target` when it is named after one.
    fn intern(&mut self, nodes: &NodeIndex<'_>, target: Option<NodeId>, name: &str) -> ChoiceId {
        let Some(target) = target else {
            return self.interner.intern(name);
        };
        if let Some(&id) = self.named_after.get(&target) {
            // The caller's target is the choice's own, as its links give it.
            debug_assert!(nodes.name_arc(target).is_some_and(|n| *n == *name));
            return id;
        }
        // The node's name, shared with the node interner; only a name that is the
        // node's is kept for the node.
        match nodes.name_arc(target) {
            Some(shared) if *shared == *name => {
                let id = self.interner.intern_shared(&shared);
                self.named_after.insert(target, id);
                id
            }
            _ => self.interner.intern(name),
        }
    }
}

impl<'k> Known<'k> {
    /// What a compile resolves names against, interning choice ids into `choices` as
    /// choices compile.
    fn interning(
        decl: &'k Decl,
        choices: &'k mut Interner<ChoiceId>,
        declared: &'k Declared<'k>,
        asset_ids: &'k HashMap<String, AssetId>,
    ) -> Known<'k> {
        Known {
            decl,
            choices: ChoiceIds::Interned(ChoiceInterner::new(choices)),
            declared,
            asset_ids,
        }
    }

    /// The id of the choice at `index` among its node's choices compiled, named `name`
    /// (after node `target` when it is named after one); with ids noted, a stand-in until
    /// it is interned.
    fn choice_id(&mut self, target: Option<NodeId>, name: &str, index: usize) -> ChoiceId {
        let nodes = &self.declared.nodes;
        match &mut self.choices {
            ChoiceIds::Interned(interner) => interner.intern(nodes, target, name),
            ChoiceIds::Noted(noted) => {
                noted.push(jobs::NotedChoice::new(nodes, target, name, index));
                ChoiceId::from_index(0)
            }
        }
    }
}

/// A warning for every node that no flow's start leads to, with the node. Edges come from
/// what was written (the tables' links), so that a choice with an error elsewhere does not
/// make its target look unreachable.
fn warn_unreachable(
    decl: &Decl,
    names: &Interner<NodeId>,
    flows: &[(FlowId, NodeId)],
) -> Vec<(NodeId, Finding)> {
    // The graph laid out flat first, in the order the story declares its nodes (one pass
    // over the tables' links), so that the walk reads two compact arrays rather than
    // following a node's file, links and edges for every node it reaches: at 100,000
    // nodes that was three quarters of a reload that edits the graph.
    let n_ids = decl.n_ids();
    // Each declared node's place in that order (none for a name not declared).
    let mut place: Vec<Option<u32>> = vec![None; n_ids];
    let mut starts = vec![0usize];
    let mut edges: Vec<NodeId> = Vec::new();
    for (k, (_, id, links)) in decl.in_order().enumerate() {
        if let Some(p) = place.get_mut(id.index()) {
            *p = u32::try_from(k).ok();
        }
        edges.extend_from_slice(&links.edges);
        starts.push(edges.len());
    }
    let mut reached = vec![false; n_ids];
    let mut stack: Vec<NodeId> = flows.iter().map(|&(_, start)| start).collect();
    while let Some(n) = stack.pop() {
        let Some(seen) = reached.get_mut(n.index()) else {
            continue;
        };
        if std::mem::replace(seen, true) {
            continue;
        }
        // A target that is not declared has no place: it leads nowhere.
        let Some(k) = place.get(n.index()).copied().flatten() else {
            continue;
        };
        let k = k as usize;
        if let (Some(&from), Some(&to)) = (starts.get(k), starts.get(k + 1)) {
            stack.extend(edges.get(from..to).into_iter().flatten());
        }
    }
    let mut warnings = Vec::new();
    for (file, id, _) in decl.in_order() {
        if !reached.get(id.index()).copied().unwrap_or(false) {
            let name = names.name(id);
            let warning = Finding::warning(
                file,
                vec![Seg::Field("nodes"), Seg::Key(name.to_owned())],
                format!("node `{name}` is unreachable from every flow's start"),
            );
            warnings.push((id, warning));
        }
    }
    warnings
}

/// Warns of each declared command that no effect calls, and each declared function that
/// no expression calls.
fn warn_unused(
    cx: &mut Ctx<'_>,
    (command_names, function_names): (&Interner<CommandId>, &Interner<FunctionId>),
    calls: &Calls,
    commands: &[(CommandId, Box<[qnce_core::value::Type]>)],
    functions: &[FunctionDecl],
) {
    let unused_commands = commands
        .iter()
        .filter(|(c, _)| !calls.command(*c))
        .map(|(c, _)| {
            (
                "commands",
                "command",
                "no effect calls it",
                command_names.name(*c),
            )
        });
    let unused_functions = functions.iter().filter(|f| !calls.function(f.id)).map(|f| {
        (
            "functions",
            "function",
            "no expression calls it",
            function_names.name(f.id),
        )
    });
    for (field, what, why, name) in unused_commands.chain(unused_functions) {
        cx.findings.push(Finding::warning(
            declare::MAIN_FILE,
            vec![Seg::Field(field), Seg::Key(name.to_owned())],
            format!("{what} `{name}` is declared but {why}"),
        ));
    }
}

/// A warning for each node of each loop of automatic advances that nothing can stop:
/// nodes that show no choice and each certainly go on to the next (by `next`, or by a
/// first fallback choice with no condition and not `once`), round to the first. Effects on
/// the way cannot matter, since no condition is read; playing into such a loop fails at the
/// chain limit. Each node of a loop is reported where it says where to go.
fn warn_endless_loops(decl: &Decl, names: &Interner<NodeId>) -> Vec<(NodeId, Finding)> {
    let n_ids = decl.n_ids();
    // The node each node certainly advances to, and where that is written.
    let mut onward: Vec<Option<(NodeId, FileId, bool)>> = vec![None; n_ids];
    for (file, id, links) in decl.in_order() {
        if let (Some((to, by_next)), Some(slot)) = (links.advance, onward.get_mut(id.index()))
            && decl.declares(to)
        {
            *slot = Some((to, file, by_next));
        }
    }
    // Each node has at most one way on: walk from every node, marking each walk, and a
    // walk that meets its own mark has found a loop. Walks start in the order nodes are
    // declared, so that a loop is told from the same node whatever the ids.
    let mut warnings = Vec::new();
    let mut walk_of: Vec<usize> = vec![0; n_ids];
    for (k, (_, start, _)) in decl.in_order().enumerate() {
        let walk = k + 1;
        let mut at = start.index();
        if at >= n_ids {
            continue;
        }
        let closed = loop {
            if walk_of[at] != 0 {
                break walk_of[at] == walk;
            }
            walk_of[at] = walk;
            match &onward[at] {
                Some((to, ..)) if to.index() < n_ids => at = to.index(),
                _ => break false,
            }
        };
        if !closed {
            continue;
        }
        // `at` is on a loop found by this walk: report it once, from `at`.
        let mut members = vec![at];
        while let Some((to, ..)) = &onward[*members.last().unwrap_or(&at)] {
            if to.index() == at {
                break;
            }
            members.push(to.index());
        }
        let name = |i: usize| names.name(NodeId::from_index(i as u32));
        let round: Vec<&str> = members
            .iter()
            .chain(std::iter::once(&at))
            .map(|&i| name(i))
            .collect();
        let round = round.join(" → ");
        for &member in &members {
            if let Some((_, file, by_next)) = onward[member] {
                let mut path = vec![Seg::Field("nodes"), Seg::Key(name(member).to_owned())];
                if by_next {
                    path.push(Seg::Field("next"));
                } else {
                    path.extend([Seg::Field("choices"), Seg::Index(0), Seg::Field("to")]);
                }
                let warning = Finding::warning(
                    file,
                    path,
                    format!(
                        "node `{}` advances in a loop that nothing stops ({round}): no choice \
                         is shown and no condition is read, so play ends in an error at the \
                         chain limit",
                        name(member)
                    ),
                );
                warnings.push((NodeId::from_index(member as u32), warning));
            }
        }
    }
    warnings
}

/// Where a node certainly goes on to without showing a choice, and whether `next` says
/// so: `next` when it has no choices, or its first choice (`false`) when every choice is
/// a fallback and that one has no condition and is not `once`.
pub(crate) fn certain_advance(def: &NodeDef) -> Option<(&str, bool)> {
    if def.choices.iter().any(|c| !c.fallback()) {
        return None;
    }
    // A call may end anywhere its callee's chain does: only plain ways on are certain.
    match def.choices.first() {
        Some(c) if c.call().is_none() && c.when.is_none() && !c.once() => {
            Some((c.to.as_deref()?, false))
        }
        Some(_) => None,
        None if def.call().is_some() => None,
        None => def.next.as_deref().map(|n| (n, true)),
    }
}

fn compile_node(
    cx: &mut Sink<'_>,
    known: &mut Known<'_>,
    file: FileId,
    (id, node_name): (NodeId, &str),
    def: &NodeDef,
) -> Option<NodeData> {
    let (declared, asset_ids) = (known.declared, known.asset_ids);
    let place = Place::node(node_name);
    let at = |field: &'static str| place.field(field);
    let errors_before = cx.findings.len();
    // A node's own line id is its name unless written: the interned name, shared.
    let line = match (def.line(), declared.nodes.name_arc(id)) {
        (None, Some(name)) => name,
        _ => lines::node_line(node_name, def).into(),
    };
    let text = compile_text(cx, declared, file, at("text"), (line, &def.text));
    let targets = Targets::of(known.decl, id, def);
    let (next_id, call_id) = targets.onward(def);
    let next = node_ref(
        cx,
        declared,
        file,
        at("next"),
        (def.next.as_deref(), next_id),
        |n| format!("`next` points to `{n}`, which does not exist"),
    )
    .flatten();
    let call = node_ref(
        cx,
        declared,
        file,
        at("call"),
        (def.call().map(|c| &**c), call_id),
        |n| format!("`call` calls `{n}`, which does not exist"),
    )
    .flatten();
    if def.call().is_some() && def.next.is_none() {
        cx.error(
            file,
            at("call").path(),
            "a node's `call` needs a `next`: where play goes on when the call returns",
        );
    }
    if def.returns() && def.next.is_some() {
        cx.error(
            file,
            at("return").path(),
            "a `return: true` node cannot also have `next`: it returns where no choice is available",
        );
    }
    let on_enter = compile_effects(cx, declared, file, at("on_enter"), &def.on_enter);
    let mut node_assets = Vec::new();
    for (i, a) in def.assets().iter().enumerate() {
        match asset_ids.get(&**a) {
            Some(&asset) => node_assets.push(asset),
            None => {
                let hint = cx.hint(a, || asset_ids.keys().map(String::as_str));
                let path = at("assets").index(i).path();
                cx.unknown(file, path, format!("unknown asset `{a}`{hint}"));
            }
        }
    }
    let choice_ids = choice_ids(cx, file, at("choices"), &def.choices);
    let mut choices = Vec::with_capacity(def.choices.len());
    let mut first_target = 0;
    for (i, (c, choice_id)) in def.choices.iter().zip(choice_ids).enumerate() {
        let place = at("choices").index(i);
        let first = first_target;
        first_target += c.targets().count();
        let line = choice_id.as_deref().map_or_else(
            || "".into(),
            |cid| lines::choice_line(&mut cx.scratch, node_name, cid, c),
        );
        // The choice's id is interned only once the rest of it compiled.
        let named_after = (choice_id.as_deref() == Some(c.named()))
            .then(|| {
                let (call, to) = targets.of_choice(first, c);
                to.or(call)
            })
            .flatten();
        let index = choices.len();
        let identity = || {
            let choice_id = choice_id?;
            Some(Choice {
                node: id,
                id: known.choice_id(named_after, &choice_id, index),
                explicit_id: c.id.is_some(),
            })
        };
        let text = (line, &*c.text);
        let choice = (c, targets, first);
        choices.extend(compile_choice(
            cx, declared, file, place, choice, text, identity,
        ));
    }
    let had_errors = cx.findings[errors_before..]
        .iter()
        .any(|f| f.severity == crate::diagnostic::Severity::Error);
    if had_errors {
        return None;
    }
    Some(NodeData {
        node: Node { id },
        text: text?,
        choices,
        next: Next(next),
        call: NodeCall(call),
        returns: Return(def.returns()),
        on_enter: OnEnter(on_enter),
        tags: Tags(def.tags.iter().map(|t| Arc::from(&**t)).collect()),
        assets: NodeAssets(node_assets.into()),
    })
}

/// The stable id of each choice: its `id` when written, else derived from its target, and
/// when several choices of the node share a target, from target and text
/// (`target/slug-of-text`). Reordering choices never changes a derived id.
fn choice_ids<'c>(
    cx: &mut Sink<'_>,
    file: FileId,
    place: Place<'_>,
    choices: &'c [ChoiceDef],
) -> Vec<Option<Cow<'c, str>>> {
    let ids = lines::choice_ids(choices);
    // For each choice, the latest one before it with its id: found by walking back for a
    // node of a few choices, through a map for a wide one.
    let earlier: Vec<Option<usize>> = if choices.len() > 16 {
        let mut seen: HashMap<&str, usize> = HashMap::default();
        (ids.iter().enumerate())
            .map(|(i, id)| (!id.is_empty()).then(|| seen.insert(id, i)).flatten())
            .collect()
    } else {
        (ids.iter().enumerate())
            .map(|(i, id)| (0..i).rev().find(|&j| !id.is_empty() && ids[j] == *id))
            .collect()
    };
    let mut out: Vec<Option<Cow<'c, str>>> = Vec::with_capacity(choices.len());
    for (i, ((c, id), first)) in choices.iter().zip(ids).zip(earlier).enumerate() {
        let p = place.index(i);
        if id.is_empty() {
            cx.error(file, p.field("id").path(), "a choice id may not be empty");
            out.push(None);
            continue;
        }
        if let Some(first) = first {
            let what = if c.id.is_some() {
                ""
            } else {
                " (derived from target and text; give these choices explicit ids)"
            };
            cx.error(
                file,
                p.path(),
                format!(
                    "choice id `{id}` is used by choice {} and {}{what}",
                    first + 1,
                    i + 1
                ),
            );
            out.push(None);
            continue;
        }
        out.push(Some(id));
    }
    out
}

fn compile_text(
    cx: &mut Sink<'_>,
    declared: &Declared,
    file: FileId,
    place: Place<'_>,
    (line, src): (Arc<str>, &str),
) -> Option<Text> {
    if src.len() > cx.limits.max_text_len {
        cx.error(
            file,
            place.path(),
            format!(
                "text of {} bytes exceeds the limit of {}",
                src.len(),
                cx.limits.max_text_len
            ),
        );
        return None;
    }
    let dedented = Dedented::new(src);
    match Template::parse(&dedented.text, declared, cx.limits.expr()) {
        Ok(template) => Some(Text { line, template }),
        Err(e) => {
            // Placed where it is written, indentation and all.
            let at = dedented.source_offset(e.at);
            cx.expr_error(file, place.path(), ExprError { at, ..e });
            None
        }
    }
}

fn compile_effects(
    cx: &mut Sink<'_>,
    declared: &Declared,
    file: FileId,
    place: Place<'_>,
    srcs: &[Str],
) -> Effects {
    let mut effects = Vec::with_capacity(srcs.len());
    for (i, src) in srcs.iter().enumerate() {
        match Action::parse(src, declared, cx.limits.expr()) {
            Ok(e) => effects.push((Box::from(&**src), e)),
            Err(e) => cx.expr_error(file, place.index(i).path(), e),
        }
    }
    Effects::new(effects)
}
