//! What validation keeps between reloads, so that a live edit costs the files it changed
//! rather than the whole story:
//!
//! - [`Decl`]: where each node is declared, by node id, with which parse of each file it was
//!   taken from. A reload takes again only the files whose parse is not that one, so
//!   it follows whatever the files are now, a reload that failed included.
//! - [`Facts`]: what compiling found in each node of the running story (its warnings, the
//!   commands and functions it calls) and the warnings of the story's graph. They change
//!   only when a reload's new version is taken ([`Tables::commit`]), so that they always
//!   describe the running story, whose nodes a reload keeps as compiled.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::declare::{FileParts, NodeAt, NodeDecl};
use super::nodes_of;
use crate::Finding;
use crate::diagnostic::Diagnostic;
use crate::finding::Placed;
use crate::format::NodeDef;
use crate::read::FileParse;
use qnce_core::story::{
    CommandId, FileId, FunctionId, Interner, NodeId, SourceFile, TextPrint, grow,
};

/// What validation keeps between reloads (see the module's documentation).
#[derive(Default)]
pub(crate) struct Tables {
    pub(super) decl: Decl,
    /// `None` until a compile's findings are committed, and after a reload that was
    /// planned from these tables was not taken.
    pub(super) facts: Option<Facts>,
}

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tables")
            .field("nodes", &self.decl.count)
            .field("files", &self.decl.files.len())
            .field("valid", &self.decl.valid)
            .field("facts", &self.facts.is_some())
            .finish()
    }
}

impl Tables {
    /// Whether file `file` always keeps its parse: the main file, and those every update
    /// reads (see `Decl::to_read`).
    pub(crate) fn keeps_parse(&self, file: usize) -> bool {
        file == 0 || self.decl.is_notable(file)
    }

    /// Takes what compiling found as describing the running story: the version just
    /// compiled, from `files`, has become it. Each warning keeps the diagnostic `placed`
    /// gave it, so that the next reload reports it as it is while its file's text is.
    pub(crate) fn commit(&mut self, update: FactsUpdate, files: &[SourceFile], placed: &Placed) {
        let facts = match (update.partial, &mut self.facts) {
            (true, Some(facts)) => facts,
            (_, facts) => facts.insert(Facts::default()),
        };
        for (id, warnings, uses) in update.nodes {
            if warnings.is_empty() {
                facts.warnings.remove(&id);
            } else {
                facts
                    .warnings
                    .insert(id, warnings.into_iter().map(Kept::new).collect());
            }
            if uses.is_empty() {
                facts.uses.remove(&id);
            } else {
                facts.uses.insert(id, uses);
            }
        }
        facts.calls = update.calls;
        if let Some(graph) = update.graph {
            facts.graph = graph
                .into_iter()
                .map(|(id, w)| (id, Kept::new(w)))
                .collect();
        }
        // The declarations are the running story's now.
        self.decl.dirty.clear();
        // Each warning's diagnostic, where its file's text is not the one it was placed in.
        let decl = &self.decl;
        let kept = (facts.warnings.iter_mut())
            .flat_map(|(id, ws)| ws.iter_mut().map(move |w| (*id, w)))
            .chain(facts.graph.iter_mut().map(|(id, w)| (*id, w)));
        for (id, warning) in kept {
            let Some(at) = decl.node_at(id) else {
                continue;
            };
            let Some(file) = files.get(at.file.0 as usize) else {
                continue;
            };
            if warning.placed_in(file.print()).is_some() {
                continue;
            }
            let finding = Finding {
                file: at.file,
                ..warning.finding.clone()
            };
            warning.placed = placed
                .get(file.print(), &finding)
                .map(|d| (file.print(), Arc::clone(d)));
        }
    }
}

/// A warning found compiling the running story, with the diagnostic it was given.
#[derive(Clone, Debug)]
pub(crate) struct Kept {
    /// As found (its file is where its node is declared, found again each time).
    pub(super) finding: Finding,
    /// Its diagnostic, and the print of the text of the file it was placed in.
    placed: Option<(TextPrint, Arc<Diagnostic>)>,
}

impl Kept {
    fn new(finding: Finding) -> Kept {
        Kept {
            finding,
            placed: None,
        }
    }

    /// Its diagnostic, when it was placed in a text of print `text`.
    pub(super) fn placed_in(&self, text: TextPrint) -> Option<&Arc<Diagnostic>> {
        let (placed_in, diagnostic) = self.placed.as_ref()?;
        (*placed_in == text).then_some(diagnostic)
    }
}

/// Where each node is declared, with which parse of each file it was taken from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Decl {
    /// By file id: which parse the file's nodes were declared from, and their links in the
    /// order written.
    files: Vec<Option<DeclFile>>,
    /// By node id: where the node is declared; `None` when it is not (any more).
    at: Vec<Option<NodeAt>>,
    /// How many nodes are declared.
    count: usize,
    /// Whether taking a file's ids out leaves exactly the other files' declarations: no
    /// name was declared twice or empty.
    valid: bool,
    /// The files whose parse here may not be the running story's (those read anew since
    /// the running story was compiled), in order: with the files read anew, the only
    /// ones an update must look at.
    dirty: Vec<usize>,
    /// The files that declare variables or assets, or a line id that could meet another
    /// (see [`FileParts::notable`]), in order: with the changed files, the only ones an
    /// update must read.
    notable: Vec<usize>,
}

#[derive(Clone, Debug)]
struct DeclFile {
    /// The parse the nodes were declared from (see [`crate::read::FileParse::serial`]): it
    /// is not kept itself, so that it can be let go of.
    serial: u64,
    /// For each node as written (by its place in the file), its links.
    links: Vec<Links>,
}

impl DeclFile {
    /// The nodes the file declares, in the order written.
    fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.links.iter().filter_map(|l| l.id)
    }

    /// The links of the entry at `index`, taken, when they are those of `def` declared as
    /// `name`: the same node, leading to the same nodes by the same ways. Each name is
    /// compared with the name of the id linked, not looked up: in a large story a lookup
    /// is a few cache misses.
    fn same_links(
        &mut self,
        index: usize,
        (name, def): (&str, &NodeDef),
        nodes: &Interner<NodeId>,
    ) -> Option<Links> {
        let links = self.links.get_mut(index)?;
        let is = |id: NodeId, n: &str| nodes.is_named(id, n);
        let advance = super::certain_advance(def);
        let same = links.id.is_some_and(|id| is(id, name))
            && {
                let mut edges = links.edges.iter();
                def.edges().all(|n| edges.next().is_some_and(|&e| is(e, n)))
                    && edges.next().is_none()
            }
            && match (advance, links.advance) {
                (Some((n, by_next)), Some((to, was_by_next))) => {
                    by_next == was_by_next && is(to, n)
                }
                (None, None) => true,
                _ => false,
            };
        same.then(|| std::mem::take(links))
    }
}

/// A node's place in the story's graph, by id: what reachability and loops are found
/// from, without reading the node again.
#[derive(Clone, Debug, Default)]
pub(super) struct Links {
    /// The node; `None` for an entry that declares none (an empty or duplicate name).
    pub(super) id: Option<NodeId>,
    /// Where it can lead, as written: its choices' targets, then `next` and `call`.
    pub(super) edges: Box<[NodeId]>,
    /// The node it certainly goes on to (see `certain_advance`), and whether it says so
    /// with `next` (else with its first choice).
    pub(super) advance: Option<(NodeId, bool)>,
}

impl Links {
    /// The links of node `id` written as `def`, interning the names it leads to (so that
    /// a target declared later, or in another file, has its id already).
    pub(super) fn of(id: NodeId, def: &NodeDef, nodes: &mut Interner<NodeId>) -> Links {
        let edges = def.edges().map(|t| nodes.intern(t)).collect();
        let advance = super::certain_advance(def).map(|(to, by_next)| (nodes.intern(to), by_next));
        Links {
            id: Some(id),
            edges,
            advance,
        }
    }
}

impl Decl {
    /// Forgets every declaration, before declaring afresh (ids below `n_ids` exist).
    pub(super) fn reset(&mut self, n_ids: usize) {
        self.files.clear();
        self.at.clear();
        self.at.resize(n_ids, None);
        self.count = 0;
        self.valid = true;
        self.dirty.clear();
        self.notable.clear();
    }

    /// Notes the files read anew by the compile that declared these (all of them, or
    /// updated them): where the tables may differ from the running story's files.
    pub(super) fn read_anew(&mut self, fresh: &[usize]) {
        self.dirty = fresh.to_vec();
    }

    /// The files an update must read, in order: those that may have changed (`fresh`,
    /// and those [`Decl::read_anew`] noted, unless declared from the very parse they have
    /// now, whose serial `serial` gives) and the notable ones. (After a reload that was
    /// declared afresh and not taken, every file is noted, and most are declared from the
    /// parse they have.)
    pub(super) fn to_read(
        &self,
        fresh: &[usize],
        serial: impl Fn(usize) -> Option<u64>,
    ) -> Vec<usize> {
        let declared_from = |i: usize| self.files.get(i)?.as_ref().map(|f| f.serial);
        let dirty = (self.dirty.iter())
            .filter(|&&i| declared_from(i).is_none_or(|from| Some(from) != serial(i)));
        let mut files: Vec<usize> = (fresh.iter().chain(dirty).chain(&self.notable))
            .copied()
            .collect();
        files.sort_unstable();
        files.dedup();
        files
    }

    /// Notes a name declared twice or empty: the tables can only be declared afresh.
    pub(super) fn invalidate(&mut self) {
        self.valid = false;
    }

    pub(super) fn at_mut(&mut self) -> &mut Vec<Option<NodeAt>> {
        &mut self.at
    }

    pub(super) fn at(&self) -> &[Option<NodeAt>] {
        &self.at
    }

    /// Records the nodes a file declares, from its parse: the links of each of its
    /// entries (see [`Links`]).
    pub(super) fn set_file(&mut self, part: &FileParts<'_>, links: Vec<Links>) {
        let declared = DeclFile {
            serial: part.serial(),
            links,
        };
        self.count += declared.ids().count();
        let file = part.file().0 as usize;
        *grow(&mut self.files, file) = Some(declared);
        match (self.notable.binary_search(&file), part.notable()) {
            (Err(at), true) => self.notable.insert(at, file),
            (Ok(at), false) => {
                self.notable.remove(at);
            }
            _ => {}
        }
    }

    /// Whether file `file` is one every update reads (see [`Decl::to_read`]).
    pub(super) fn is_notable(&self, file: usize) -> bool {
        self.notable.binary_search(&file).is_ok()
    }

    /// Where node `id` is declared, if it is.
    fn node_at(&self, id: NodeId) -> Option<NodeAt> {
        self.at.get(id.index()).copied().flatten()
    }

    /// The links of node `id`, when it is declared.
    pub(super) fn links(&self, id: NodeId) -> Option<&Links> {
        let at = self.node_at(id)?;
        let file = self.files.get(at.file.0 as usize)?.as_ref()?;
        file.links.get(at.index as usize)
    }

    /// Whether node `id` is declared.
    pub(super) fn declares(&self, id: NodeId) -> bool {
        self.node_at(id).is_some()
    }

    /// Every declared node with its file and links, in the order the story declares them.
    pub(super) fn in_order(&self) -> impl Iterator<Item = (FileId, NodeId, &Links)> {
        (self.files.iter().enumerate())
            .filter_map(|(f, file)| Some((FileId(f as u32), file.as_ref()?)))
            .flat_map(|(f, file)| (file.links.iter()).filter_map(move |l| Some((f, l.id?, l))))
    }

    /// How many ids the tables know (declared or not).
    pub(super) fn n_ids(&self) -> usize {
        self.at.len()
    }

    /// Brings the declarations up to the story's `n_files` files, taking again only the
    /// files whose parse is not the one declared from, and returns those files' nodes.
    /// `parts` must hold every file that may have changed (see [`Decl::to_read`]). `None`
    /// when it cannot: the tables were not valid, the story has other files than before,
    /// a name is declared twice or empty, there are more than `max_nodes`, or a node the
    /// running story has (in `previous`, the versions it was compiled from, for each file
    /// read anew) is not declared any more, so that a node elsewhere may name it. The
    /// tables must then be declared afresh.
    pub(super) fn update(
        &mut self,
        parts: &[FileParts<'_>],
        n_files: usize,
        previous: &[Option<Arc<FileParse>>],
        nodes: &mut Interner<NodeId>,
        max_nodes: usize,
    ) -> Option<Vec<NodeDecl>> {
        if !self.valid || n_files != self.files.len() {
            return None;
        }
        let changed: Vec<&FileParts<'_>> = parts
            .iter()
            .filter(|p| {
                self.files
                    .get(p.file().0 as usize)
                    .and_then(Option::as_ref)
                    .is_none_or(|kept| kept.serial != p.serial())
            })
            .collect();
        // Not valid again until every changed file is declared.
        self.valid = false;
        let (node_defs, links) = self.redeclare(&changed, nodes)?;
        let mut declared = node_defs.iter().zip(links);
        for p in &changed {
            let links = (declared.by_ref().take(p.nodes().0.len()))
                .zip(&p.nodes().0)
                .map(|((&(_, id, _), same), (_, def))| {
                    same.unwrap_or_else(|| Links::of(id, def, nodes))
                })
                .collect();
            self.set_file(p, links);
        }
        let declared = |name: &str| {
            nodes
                .lookup(name)
                .is_some_and(|id| self.at.get(id.index()).is_some_and(Option::is_some))
        };
        let all_still_declared = changed.iter().all(|p| {
            let before = previous.get(p.file().0 as usize).and_then(Option::as_deref);
            before.is_none_or(|before| match before.held() {
                Some(parse) => nodes_of(&parse).0.iter().all(|(n, _)| declared(n)),
                // A version before that cannot be made again is taken to be gone.
                None => before.prints().is_some_and(|p| p.names().all(declared)),
            })
        });
        if self.count > max_nodes || !all_still_declared {
            return None;
        }
        self.valid = true;
        Some(node_defs)
    }

    /// Takes the nodes of the `changed` files as declared, in place of the tables' own:
    /// each node's declaration, and its links where the tables' are still right (see
    /// [`DeclFile::same_links`]). `None` for a name empty or declared twice (the changed
    /// files' entries are then gone: the tables must be declared afresh).
    fn redeclare(
        &mut self,
        changed: &[&FileParts<'_>],
        nodes: &mut Interner<NodeId>,
    ) -> Option<(Vec<NodeDecl>, Vec<Option<Links>>)> {
        let mut kept_files = Vec::with_capacity(changed.len());
        for p in changed {
            let kept = self
                .files
                .get_mut(p.file().0 as usize)
                .and_then(Option::take);
            for id in kept.iter().flat_map(DeclFile::ids) {
                self.at[id.index()] = None;
                self.count -= 1;
            }
            kept_files.push(kept);
        }
        // Every name first, then each node's links (as when declaring every file). A node
        // written at the same place with the same name and targets as the tables had it
        // keeps its links: its names are not looked up again.
        let mut node_defs = Vec::new();
        let mut links = Vec::new();
        for (p, kept) in changed.iter().zip(&mut kept_files) {
            for (index, (name, def)) in p.nodes().0.iter().enumerate() {
                if name.is_empty() {
                    return None;
                }
                let same = (kept.as_mut()).and_then(|k| k.same_links(index, (name, def), nodes));
                let id = match same.as_ref().and_then(|l| l.id) {
                    Some(id) => id,
                    None => nodes.intern(name),
                };
                links.push(same);
                let slot = grow(&mut self.at, id.index());
                if slot.is_some() {
                    return None;
                }
                *slot = Some(NodeAt {
                    file: p.file(),
                    index: index as u32,
                });
                node_defs.push((p.file(), id, index as u32));
            }
        }
        Some((node_defs, links))
    }
}

/// What compiling found in each node of the running story, and in its graph.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// The warnings of each node that has some.
    pub(super) warnings: HashMap<NodeId, Box<[Kept]>>,
    /// The commands and functions each node calls, for nodes that call some.
    pub(super) uses: HashMap<NodeId, Uses>,
    /// How many nodes call each command and function.
    pub(super) calls: Calls,
    /// Warnings about the graph (unreachable nodes, endless loops), each with the node it
    /// is about.
    pub(super) graph: Vec<(NodeId, Kept)>,
}

/// The commands and functions one node calls, each once.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Uses {
    pub(super) commands: Vec<CommandId>,
    pub(super) functions: Vec<FunctionId>,
}

impl Uses {
    pub(super) fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.functions.is_empty()
    }
}

/// How many nodes call each command and each function, by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Calls {
    commands: Vec<u32>,
    functions: Vec<u32>,
}

impl Calls {
    /// The calls of `old` (the running story's, when nodes were kept from it) with those of
    /// the nodes compiled anew in place of their old ones.
    pub(super) fn of(old: Option<&Facts>, compiled: &[(NodeId, Box<[Finding]>, Uses)]) -> Calls {
        let mut calls = old.map(|f| f.calls.clone()).unwrap_or_default();
        for (id, _, uses) in compiled {
            if let Some(before) = old.and_then(|f| f.uses.get(id)) {
                calls.count(before, false);
            }
            calls.count(uses, true);
        }
        calls
    }

    fn count(&mut self, uses: &Uses, add: bool) {
        let step = |counts: &mut Vec<u32>, i: usize| {
            let n = grow(counts, i);
            *n = if add {
                n.saturating_add(1)
            } else {
                n.saturating_sub(1)
            };
        };
        for c in &uses.commands {
            step(&mut self.commands, c.index());
        }
        for f in &uses.functions {
            step(&mut self.functions, f.index());
        }
    }

    /// Whether some node calls command `id`.
    pub(super) fn command(&self, id: CommandId) -> bool {
        self.commands.get(id.index()).is_some_and(|&n| n > 0)
    }

    /// Whether some node calls function `id`.
    pub(super) fn function(&self, id: FunctionId) -> bool {
        self.functions.get(id.index()).is_some_and(|&n| n > 0)
    }
}

/// What a compile found, to keep once its version of the story is the running one (see
/// [`Tables::commit`]).
#[derive(Debug, Default)]
pub(crate) struct FactsUpdate {
    /// Whether nodes were kept from the running story (else every node was compiled).
    pub(super) partial: bool,
    /// Each node compiled, with its warnings and what it calls: when `partial`, every
    /// one; else those with a warning or a call (the facts are made afresh).
    pub(super) nodes: Vec<(NodeId, Box<[Finding]>, Uses)>,
    /// The calls of the whole new version.
    pub(super) calls: Calls,
    /// The graph's warnings, when they were found again.
    pub(super) graph: Option<Vec<(NodeId, Finding)>>,
}
