//! Compiling a story's nodes on several threads at once, some files per job, through the
//! caller's [`ParallelMap`]: what a load on the pool does once every name is declared.
//!
//! A job compiles its files' nodes against what the compile declared ([`NodeScope`],
//! shared and read only), and lets go of each file's parse as soon as the file's nodes
//! are compiled, on the thread that goes on to compile more. An allocator such as glibc's
//! keeps a freed block in the arena of the thread that took it, for that thread alone to
//! take again: parses freed where nodes are compiled are memory those nodes reuse, where
//! parses made on the pool and freed on the loading thread would stay unused beside them.
//! The lists of nodes and choices a job fills, the largest, and the node declarations it
//! reads are made and freed by the loading thread.
//!
//! What depends on order is left to the loading thread, which takes the jobs' results in
//! the files' order ([`take`]): choice ids are interned there, in the order a compile on
//! one thread interns them, and a file whose errors would have had a "did you mean",
//! while some are left to give, is compiled again there. The result is the one a compile
//! on one thread gives.

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::declare::{Declared, DeclaredNames, Hints, NodeDecl, NodeIndex};
use super::tables::Decl;
use super::{
    ChoiceIds, CompiledNodes, Ctx, Handles, Known, NodeFacts, Sink, compile_into, compile_nodes,
    fetch_all, nodes_of, settle,
};
use crate::read::FileParse;
use crate::{Finding, Limits, ParallelMap, Parsed};
use qnce_core::story::{AssetId, FileId, Interner, NodeData, NodeId};

/// How many files a job compiles: few enough that the threads share the work evenly,
/// enough that a job costs little beside its nodes.
const FILES_PER_JOB: usize = 8;

/// The nodes of some files, to compile on any thread (see [`ParallelMap::map_nodes`]).
pub struct NodesJob {
    shared: Arc<Shared>,
    files: Vec<FileNodes>,
}

/// What every job reads.
struct Shared {
    scope: NodeScope,
    /// Every file's node declarations, in one list, given back to the loading thread: a
    /// list per file, made on the loading thread and freed on a job's, raised the peak of
    /// a load of 100,000 nodes by 12 MiB (measured with the scaling bench's loads on the
    /// pool).
    node_decls: Vec<NodeDecl>,
}

/// What compiling a [`NodesJob`] gave.
pub struct NodesDone {
    files: Vec<FileDone>,
}

/// What every job compiles against: what the compile declared, moved out of it while the
/// jobs run (see [`run`]).
#[derive(Clone)]
pub(super) struct NodeScope {
    pub(super) names: Arc<DeclaredNames>,
    pub(super) nodes: Interner<NodeId>,
    pub(super) decl: Decl,
    pub(super) asset_ids: HashMap<String, AssetId>,
    pub(super) limits: Limits,
    pub(super) incomplete: bool,
}

/// One file's nodes to compile.
struct FileNodes {
    file: FileId,
    /// Where its node declarations are in `Shared::node_decls`.
    decls: std::ops::Range<usize>,
    parse: Arc<Parsed>,
    /// The file's parse, held again or let go of once its nodes are compiled (`keep`).
    held: Arc<FileParse>,
    keep: bool,
    /// Made on the loading thread, with room for every node and choice of the file.
    nodes: Vec<NodeData>,
    noted: Vec<NotedChoice>,
}

/// One file's nodes compiled, with what was found in them.
pub(super) struct FileDone {
    file: FileId,
    nodes: Vec<NodeData>,
    facts: Vec<NodeFacts>,
    findings: Vec<Finding>,
    noted: Vec<NotedChoice>,
    /// Whether an error would have had a "did you mean", had one been left: of a field
    /// (`Sink::hints`), of an expression (`Declared::hints`).
    wanted: (bool, bool),
    /// The file's parse, when `wanted` says that the file may be compiled again.
    parse: Option<Arc<Parsed>>,
}

/// A choice compiled by a job, whose id the loading thread interns.
pub(super) struct NotedChoice {
    /// The node it is named after, if it is.
    target: Option<NodeId>,
    /// Its id: its target's name (shared) when that is it.
    name: Arc<str>,
    /// Its node's place among the file's nodes compiled; `None` for a node with errors,
    /// whose choices' ids are interned all the same.
    node: Option<u32>,
    /// Its place among its node's choices compiled.
    choice: u32,
}

impl NotedChoice {
    pub(super) fn new(
        nodes: &NodeIndex<'_>,
        target: Option<NodeId>,
        name: &str,
        choice: usize,
    ) -> NotedChoice {
        let name = match target.and_then(|t| nodes.name_arc(t)) {
            Some(shared) if *shared == *name => shared,
            _ => Arc::from(name),
        };
        NotedChoice {
            target,
            name,
            node: None,
            choice: choice as u32,
        }
    }
}

/// Whether the nodes of `node_decls` (grouped by file) are worth compiling through jobs:
/// at least two jobs' worth of files.
pub(super) fn worth_sharing(node_decls: &[NodeDecl]) -> bool {
    node_decls.chunk_by(|a, b| a.0 == b.0).count() >= 2 * FILES_PER_JOB
}

/// Compiles the nodes of `node_decls` (grouped by file, in the files' order) through
/// `parallel`, against `scope`, each file's parse taken from `handles`; gives back
/// `scope`, `node_decls` and what each file gave, in order, for [`take`].
pub(super) fn run(
    parallel: &dyn ParallelMap,
    scope: NodeScope,
    node_decls: Vec<NodeDecl>,
    (handles, keeps): (&mut Handles, &dyn Fn(usize) -> bool),
    parsed: &[Option<Arc<FileParse>>],
) -> (NodeScope, Vec<NodeDecl>, Vec<FileDone>) {
    // A file whose nodes came in two runs would have its parse taken for the first: the
    // second is compiled by `take`, on this thread.
    let mut files = Vec::new();
    let mut at = 0;
    for decls in node_decls.chunk_by(|a, b| a.0 == b.0) {
        let range = at..at + decls.len();
        at = range.end;
        let Some(&(file, _, _)) = decls.first() else {
            continue;
        };
        let f = file.0 as usize;
        let held = parsed.get(f).and_then(Option::clone);
        let (Some(parse), Some(held)) = (handles.get_mut(f).and_then(Option::take), held) else {
            continue;
        };
        let written = nodes_of(&parse);
        let choices = (decls.iter())
            .filter_map(|&(_, _, i)| written.0.get(i as usize))
            .map(|(_, def)| def.choices.len())
            .sum();
        files.push(FileNodes {
            file,
            nodes: Vec::with_capacity(decls.len()),
            noted: Vec::with_capacity(choices),
            decls: range,
            parse,
            held,
            keep: keeps(f),
        });
    }
    let shared = Arc::new(Shared { scope, node_decls });
    let mut jobs = Vec::new();
    let mut files = files.into_iter().peekable();
    while files.peek().is_some() {
        jobs.push(NodesJob {
            shared: Arc::clone(&shared),
            files: files.by_ref().take(FILES_PER_JOB).collect(),
        });
    }
    let done = parallel.map_nodes(jobs, compile_job);
    let done = done.into_iter().flat_map(|d| d.files).collect();
    // Every job is done with it (a `ParallelMap` that kept one would cost a copy).
    let Shared { scope, node_decls } = Arc::try_unwrap(shared).unwrap_or_else(|shared| Shared {
        scope: shared.scope.clone(),
        node_decls: shared.node_decls.clone(),
    });
    (scope, node_decls, done)
}

fn compile_job(job: NodesJob) -> NodesDone {
    let NodesJob { shared, files } = job;
    NodesDone {
        files: (files.into_iter())
            .map(|file| compile_file(&shared, file))
            .collect(),
    }
}

fn compile_file(shared: &Shared, file: FileNodes) -> FileDone {
    let scope = &shared.scope;
    let FileNodes {
        file,
        decls,
        parse,
        held,
        keep,
        mut nodes,
        mut noted,
    } = file;
    // No hints to give: whether one was asked for is what counts (see `take`).
    let declared = Declared {
        names: Arc::clone(&scope.names),
        nodes: NodeIndex::new(&scope.nodes, scope.decl.at()),
        hints: Hints::new(0),
    };
    let mut findings = Vec::new();
    let mut cx = Sink {
        limits: &scope.limits,
        findings: &mut findings,
        incomplete: scope.incomplete,
        scratch: String::new(),
        hints: Hints::new(0),
    };
    let mut known = Known {
        decl: &scope.decl,
        choices: ChoiceIds::Noted(&mut noted),
        declared: &declared,
        asset_ids: &scope.asset_ids,
    };
    let mut facts = Vec::new();
    let written = nodes_of(&parse);
    for &(_, id, index) in shared.node_decls.get(decls).unwrap_or_default() {
        let Some((name, def)) = written.0.get(index as usize) else {
            continue;
        };
        let at = nodes.len() as u32;
        let noted_before = known.choices.noted().map_or(0, |n| n.len());
        let out = (&mut nodes, &mut facts);
        if compile_into(&mut cx, &mut known, (file, id, name), def, false, out)
            && let Some(noted) = known.choices.noted()
        {
            let this_node = noted.get_mut(noted_before..).unwrap_or_default();
            this_node.iter_mut().for_each(|c| c.node = Some(at));
        }
    }
    let wanted = (cx.hints.wanted(), declared.hints.wanted());
    drop(known);
    let parse = if wanted.0 || wanted.1 {
        Some(parse)
    } else {
        held.settle(parse, keep);
        None
    };
    FileDone {
        file,
        nodes,
        facts,
        findings,
        noted,
        wanted,
        parse,
    }
}

impl ChoiceIds<'_> {
    /// The choices noted so far, when ids are noted.
    fn noted(&mut self) -> Option<&mut Vec<NotedChoice>> {
        match self {
            ChoiceIds::Noted(noted) => Some(noted),
            ChoiceIds::Interned(_) => None,
        }
    }
}

/// Takes what the jobs of [`run`] gave for the nodes of `node_decls`, file by file in
/// order, into what [`compile_nodes`] gives for them: their findings reported through
/// `cx`, the ids of their choices interned through `known`, each parse that a job did not
/// settle settled. A file whose errors would have had a "did you mean" while some are
/// left is compiled again here, with them, and so is a file no job gave back.
pub(super) fn take(
    cx: &mut Ctx<'_>,
    known: &mut Known<'_>,
    (node_decls, done): (&[NodeDecl], Vec<FileDone>),
    (handles, keeps): (&mut Handles, &dyn Fn(usize) -> bool),
    parsed: &[Option<Arc<FileParse>>],
) -> CompiledNodes {
    let mut nodes = Vec::with_capacity(node_decls.len());
    let mut facts = Vec::new();
    let mut done = done.into_iter().peekable();
    for decls in node_decls.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(file, _, _)) = decls.first() else {
            continue;
        };
        let f = file.0 as usize;
        let mut given = done.next_if(|d| d.file == file);
        if let Some(parse) = given.as_mut().and_then(|d| d.parse.take())
            && let Some(slot) = handles.get_mut(f)
        {
            *slot = Some(parse);
        }
        let again = given.as_ref().is_none_or(|d| {
            let (field, expression) = d.wanted;
            (field && cx.hints.left()) || (expression && known.declared.hints.left())
        });
        let Some(given) = given.filter(|_| !again) else {
            fetch_all((handles, &mut HashSet::default()), parsed, &[f]);
            let compiled = compile_nodes(cx, known, decls, None, (handles, keeps), parsed);
            nodes.extend(compiled.nodes);
            facts.extend(compiled.facts);
            continue;
        };
        settle(handles, parsed, f, keeps(f));
        cx.findings.extend(given.findings);
        facts.extend(given.facts);
        let first = nodes.len();
        nodes.extend(given.nodes);
        for noted in given.noted {
            let id = known.choice_id(noted.target, &noted.name, noted.choice as usize);
            let node = noted.node.and_then(|n| nodes.get_mut(first + n as usize));
            if let Some(choice) = node.and_then(|n| n.choices.get_mut(noted.choice as usize)) {
                choice.choice.id = id;
            }
        }
    }
    CompiledNodes {
        nodes,
        facts,
        tried: HashSet::default(),
    }
}
