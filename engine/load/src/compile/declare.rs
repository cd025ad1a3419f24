//! The declaring half of compiling: every file's variables, assets and node ids, and the
//! story's flows, each name once (duplicates reported at their second place), so that
//! compiling the nodes can resolve every reference, forward ones included.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use super::Ctx;
use super::tables::{Decl, Links};
use crate::format::{AssetDef, Entries, FunctionDef, NodeDef, StoryFile, TypeName};
use crate::locate::Seg;
use crate::read::FileParse;
use crate::{Finding, Parsed, contained};
use qnce_core::expr::{BUILT_IN_FUNCTIONS, Expr, NameKind, Scope};
use qnce_core::story::components::AssetSource;
use qnce_core::story::{
    AssetId, CommandId, FileId, FlowId, FunctionDecl, FunctionId, Id, Interner, Names, NodeId,
    VarId,
};
use qnce_core::value::{Type, Value};

/// Names declared so far, for resolving expressions.
pub(super) struct Declared<'n> {
    /// Shared with the threads that compile nodes (see `NodesJob`); made mutable only while
    /// declaring, when nothing else holds it.
    pub(super) names: Arc<DeclaredNames>,
    pub(super) nodes: NodeIndex<'n>,
    /// How many more unknown names in expressions get a "did you mean" (see
    /// [`Hints`]).
    pub(super) hints: Hints,
}

/// The variables, assets, commands and functions declared, by name.
#[derive(Clone, Default)]
pub(super) struct DeclaredNames {
    pub(super) vars: HashMap<Box<str>, (VarId, Type)>,
    pub(super) assets: HashSet<Box<str>>,
    pub(super) commands: HashMap<Box<str>, (CommandId, Box<[Type]>)>,
    pub(super) functions: HashMap<Box<str>, Signature>,
}

/// A function's id, its parameters' types and its return type.
pub(super) type Signature = (FunctionId, Box<[Type]>, Type);

impl Declared<'_> {
    /// The names declared, to declare more.
    pub(super) fn names_mut(&mut self) -> &mut DeclaredNames {
        Arc::make_mut(&mut self.names)
    }
}

/// A budget of "did you mean" hints: each compares a name with every name of its kind, so
/// that a story with many unknown names (or a large one whose errors are dropped) would
/// otherwise cost their product.
pub(crate) struct Hints {
    left: std::cell::Cell<usize>,
    /// Whether a hint was asked for once none was left.
    wanted: std::cell::Cell<bool>,
}

impl Hints {
    /// The most unknown names of one compile (or one translation) that get a hint.
    pub(crate) const MAX: usize = 100;

    /// `n` hints to give.
    pub(crate) fn new(n: usize) -> Hints {
        Hints {
            left: std::cell::Cell::new(n),
            wanted: std::cell::Cell::new(false),
        }
    }

    /// The hints of one compile: none when part of the story was not read, since its
    /// errors about unknown names are not reported.
    pub(crate) fn for_compile(incomplete: bool) -> Hints {
        Hints::new(if incomplete { 0 } else { Hints::MAX })
    }

    /// Whether a hint is left; takes it.
    pub(crate) fn take(&self) -> bool {
        let left = self.left.get();
        self.left.set(left.saturating_sub(1));
        self.wanted.set(self.wanted.get() || left == 0);
        left > 0
    }

    /// Whether any are left.
    pub(super) fn left(&self) -> bool {
        self.left.get() > 0
    }

    /// Whether a hint was asked for once none was left: with none to give from the start
    /// (a node compiled on another thread), whether its errors would have had one.
    pub(super) fn wanted(&self) -> bool {
        self.wanted.get()
    }
}

impl Scope for Declared<'_> {
    fn var(&self, name: &str) -> Option<(VarId, Type)> {
        self.names.vars.get(name).copied()
    }
    fn node(&self, name: &str) -> Option<NodeId> {
        self.nodes.get(name)
    }
    fn command(&self, name: &str) -> Option<(CommandId, &[Type])> {
        self.names
            .commands
            .get(name)
            .map(|(id, params)| (*id, &params[..]))
    }
    fn function(&self, name: &str) -> Option<(FunctionId, &[Type], Type)> {
        self.names
            .functions
            .get(name)
            .map(|(id, params, returns)| (*id, &params[..], *returns))
    }
    fn names(&self, kind: NameKind) -> Vec<&str> {
        if !self.hints.take() {
            return Vec::new();
        }
        // In hash order: `suggest::closest` breaks ties by name, not by order.
        match kind {
            NameKind::Variable => self.names.vars.keys().map(|k| &**k).collect(),
            NameKind::Node => self.nodes.names().collect(),
            NameKind::Function => self.names.functions.keys().map(|k| &**k).collect(),
            NameKind::Command => self.names.commands.keys().map(|k| &**k).collect(),
        }
    }
}

/// Where a node is declared: its file, and its place among the file's nodes as written.
/// Ordered as the story declares nodes: by file, then in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NodeAt {
    pub(crate) file: FileId,
    pub(crate) index: u32,
}

/// The story's node names: which are declared, and where. Looked up through the node
/// interner, so that nothing is built per name beyond the table by id.
#[derive(Clone, Copy)]
pub(super) struct NodeIndex<'n> {
    names: Option<&'n Interner<NodeId>>,
    /// By node id; `None` for a name interned but not declared (any more).
    at: &'n [Option<NodeAt>],
}

impl<'n> NodeIndex<'n> {
    /// No node at all: what names resolve against before nodes are declared.
    pub(super) const EMPTY: NodeIndex<'static> = NodeIndex {
        names: None,
        at: &[],
    };

    pub(super) fn new(names: &'n Interner<NodeId>, at: &'n [Option<NodeAt>]) -> NodeIndex<'n> {
        NodeIndex {
            names: Some(names),
            at,
        }
    }

    /// The node declared as `name`.
    pub(super) fn get(&self, name: &str) -> Option<NodeId> {
        let id = self.names?.lookup(name)?;
        self.at(id).map(|_| id)
    }

    /// The interned name of node `id`, shared.
    pub(super) fn name_arc(&self, id: NodeId) -> Option<Arc<str>> {
        Some(self.names?.name_arc(id))
    }

    /// Where node `id` is declared, if it is.
    pub(super) fn at(&self, id: NodeId) -> Option<NodeAt> {
        self.at.get(id.index()).copied().flatten()
    }

    /// The names of every declared node, in id order.
    pub(super) fn names(&self) -> impl Iterator<Item = &'n str> + use<'n> {
        let (names, at) = (self.names, self.at);
        at.iter()
            .enumerate()
            .filter(|(_, at)| at.is_some())
            .filter_map(move |(i, _)| Some(names?.name(NodeId::from_index(i as u32))))
    }
}

/// What a function's fallback resolves names against: its parameters, then the story's
/// variables and nodes. It calls no host function (and so never itself) and no command.
struct FallbackScope<'d> {
    declared: &'d Declared<'d>,
    params: &'d [(String, TypeName)],
}

impl Scope for FallbackScope<'_> {
    fn var(&self, name: &str) -> Option<(VarId, Type)> {
        self.declared.var(name)
    }
    fn node(&self, name: &str) -> Option<NodeId> {
        self.declared.node(name)
    }
    fn param(&self, name: &str) -> Option<(u16, Type)> {
        let i = self.params.iter().position(|(p, _)| p == name)?;
        Some((u16::try_from(i).ok()?, self.params[i].1.ty()))
    }
    fn names(&self, kind: NameKind) -> Vec<&str> {
        let mut names = self.declared.names(kind);
        if kind == NameKind::Variable {
            names.extend(self.params.iter().map(|(p, _)| p.as_str()));
        }
        names
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !matches!(name, "true" | "false")
}

/// Whether `name` can name a declared `what` (a variable, a command): an identifier that is
/// neither a keyword nor a built-in function; else an error at `path`.
fn valid_name(cx: &mut Ctx<'_>, file: FileId, path: &[Seg], what: &str, name: &str) -> bool {
    let valid = is_identifier(name) && !BUILT_IN_FUNCTIONS.contains(&name);
    if !valid {
        cx.error(
            file,
            path.to_vec(),
            format!(
                "`{name}` is not a valid {what} name (letters, digits and `_`, not a keyword or \
                 function)"
            ),
        );
    }
    valid
}

/// Where each declared name was first seen, for duplicate reports.
pub(super) type FirstSeen<'p> = HashMap<&'p str, FileId>;

pub(super) struct FileParts<'p> {
    file: FileId,
    /// The parse's serial (see [`FileParse::serial`]).
    serial: u64,
    variables: &'p Entries<Value>,
    assets: &'p Entries<AssetDef>,
    nodes: &'p Entries<NodeDef>,
    plain_lines: &'p std::sync::OnceLock<bool>,
}

impl<'p> FileParts<'p> {
    /// Which file these are.
    pub(super) fn file(&self) -> FileId {
        self.file
    }

    /// What tells the parse these are from from any other (see [`FileParse::serial`]).
    pub(super) fn serial(&self) -> u64 {
        self.serial
    }

    /// Whether the file is one every validation must read, beyond its nodes: it declares
    /// variables or assets, or a line id that could meet another.
    pub(super) fn notable(&self) -> bool {
        !self.variables.0.is_empty() || !self.assets.0.is_empty() || !super::lines::plain(self)
    }

    /// The file's nodes, as written.
    pub(super) fn nodes(&self) -> &'p Entries<NodeDef> {
        self.nodes
    }

    /// Whether every line id of the file is a plain default, once found for its parse.
    pub(super) fn plain_lines(&self) -> &'p std::sync::OnceLock<bool> {
        self.plain_lines
    }
}

/// The declarations of file `i`, from its parse among `handles`, if it is there.
pub(super) fn file_part<'p>(
    parsed: &[Option<Arc<FileParse>>],
    handles: &'p [Option<Arc<Parsed>>],
    i: usize,
) -> Option<FileParts<'p>> {
    part_of(parsed, i, handles.get(i)?.as_ref()?)
}

/// The declarations of file `i`, from `parse`.
pub(super) fn part_of<'p>(
    parsed: &[Option<Arc<FileParse>>],
    i: usize,
    parse: &'p Parsed,
) -> Option<FileParts<'p>> {
    let file = FileId(i as u32);
    let serial = parsed.get(i)?.as_ref()?.serial();
    match parse {
        Parsed::Main(m) => Some(FileParts {
            file,
            serial,
            variables: &m.variables,
            assets: &m.assets,
            nodes: &m.nodes,
            plain_lines: &m.plain_lines,
        }),
        Parsed::Include(f) => Some(FileParts {
            file,
            serial,
            variables: &f.variables,
            assets: &f.assets,
            nodes: &f.nodes,
            plain_lines: &f.plain_lines,
        }),
    }
}

/// Declares every file's variables; returns their initial values.
pub(super) fn declare_variables<'p>(
    cx: &mut Ctx<'_>,
    parts: &[FileParts<'p>],
    names: &mut Names,
    declared: &mut Declared<'_>,
) -> Vec<(VarId, Value)> {
    let mut variables = Vec::new();
    let mut seen = FirstSeen::default();
    for p in parts {
        for (name, value) in &p.variables.0 {
            let path = vec![Seg::Field("variables"), Seg::Key(name.to_string())];
            if !valid_name(cx, p.file, &path, "variable", name) {
                continue;
            }
            if !cx.declare(&mut seen, "variable", name, p.file, || path) {
                continue;
            }
            let id = names.vars.intern(name);
            (declared.names_mut().vars).insert(Box::from(&**name), (id, value.ty()));
            variables.push((id, value.clone()));
        }
    }
    variables
}

/// Declares the main file's commands; returns them with their parameters' types.
pub(super) fn declare_commands(
    cx: &mut Ctx<'_>,
    main: &StoryFile,
    names: &mut Names,
    declared: &mut Declared<'_>,
) -> Vec<(CommandId, Box<[Type]>)> {
    let mut commands = Vec::new();
    let mut seen = FirstSeen::default();
    for (name, def) in &main.commands.0 {
        let path = vec![Seg::Field("commands"), Seg::Key(name.to_string())];
        if !valid_name(cx, MAIN_FILE, &path, "command", name) {
            continue;
        }
        if !cx.declare(&mut seen, "command", name, MAIN_FILE, || path.clone()) {
            continue;
        }
        check_params(cx, &path, name, &def.params);
        let id = names.commands.intern(name);
        let params = param_types(&def.params);
        (declared.names_mut().commands).insert(Box::from(name.as_str()), (id, params.clone()));
        commands.push((id, params));
    }
    commands
}

/// The types of a declaration's parameters, in order.
fn param_types(params: &[(String, TypeName)]) -> Box<[Type]> {
    params.iter().map(|(_, t)| t.ty()).collect()
}

/// Reports each parameter of a declaration that is not a name or is given twice.
fn check_params(cx: &mut Ctx<'_>, path: &[Seg], name: &str, params: &[(String, TypeName)]) {
    let mut params_seen = HashSet::default();
    for (i, (param, _)) in params.iter().enumerate() {
        if !is_identifier(param) || !params_seen.insert(param.as_str()) {
            let mut at = path.to_vec();
            at.extend([Seg::Field("params"), Seg::Index(i)]);
            cx.error(
                MAIN_FILE,
                at,
                format!("parameter `{param}` of `{name}` is not a name, or is given twice"),
            );
        }
    }
}

/// A function declared by name and signature, its fallback not compiled yet.
pub(super) type FunctionSignature<'p> = (FunctionId, &'p str, &'p FunctionDef);

/// Declares the main file's functions (after its commands, whose names they may not
/// take); their fallbacks are compiled by [`compile_fallbacks`] once every name is known.
pub(super) fn declare_functions<'p>(
    cx: &mut Ctx<'_>,
    main: &'p StoryFile,
    names: &mut Names,
    declared: &mut Declared<'_>,
) -> Vec<FunctionSignature<'p>> {
    let mut functions = Vec::new();
    let mut seen = FirstSeen::default();
    for (name, def) in &main.functions.0 {
        let path = vec![Seg::Field("functions"), Seg::Key(name.to_string())];
        if !valid_name(cx, MAIN_FILE, &path, "function", name) {
            continue;
        }
        if declared.names.commands.contains_key(name.as_str()) {
            cx.error(
                MAIN_FILE,
                path,
                format!("`{name}` is declared both as a command and as a function"),
            );
            continue;
        }
        if !cx.declare(&mut seen, "function", name, MAIN_FILE, || path.clone()) {
            continue;
        }
        check_params(cx, &path, name, &def.params);
        let id = names.functions.intern(name);
        let params = param_types(&def.params);
        (declared.names_mut().functions)
            .insert(Box::from(name.as_str()), (id, params, def.returns.ty()));
        functions.push((id, name.as_str(), def));
    }
    functions
}

/// Compiles each declared function's fallback against its parameters and the story's
/// variables and nodes, and notes where the function is declared.
pub(super) fn compile_fallbacks(
    cx: &mut Ctx<'_>,
    declared: &Declared<'_>,
    signatures: &[FunctionSignature<'_>],
) -> Vec<FunctionDecl> {
    let main = cx.files.first();
    // Placing reads the whole main file (again, where its text was let go of): only when
    // there is something to place.
    let map = main
        .filter(|_| !signatures.is_empty())
        .and_then(crate::read::text_of)
        .map(crate::locate::SourceMap::new);
    let mut functions = Vec::new();
    for &(id, name, def) in signatures {
        let path = vec![Seg::Field("functions"), Seg::Key(name.to_owned())];
        let returns = def.returns.ty();
        let scope = FallbackScope {
            declared,
            params: &def.params,
        };
        let mut fallback_at = path.clone();
        fallback_at.push(Seg::Field("fallback"));
        let fallback = match def
            .fallback
            .as_deref()
            .map(|src| Expr::parse(src, &scope, cx.limits.expr()))
        {
            None => None,
            Some(Ok(e)) if e.ty() == returns || (returns == Type::Float && e.ty() == Type::Int) => {
                Some(e)
            }
            Some(Ok(e)) => {
                cx.error(
                    MAIN_FILE,
                    fallback_at,
                    format!(
                        "the fallback of `{name}` is {}, but `{name}` returns {returns}",
                        e.ty()
                    ),
                );
                continue;
            }
            Some(Err(e)) => {
                cx.expr_error(MAIN_FILE, fallback_at, e);
                continue;
            }
        };
        let declared_at = match (main, &map) {
            (Some(file), Some(map)) => {
                let lc = map.line_col(map.offset(&path, false));
                format!("{}:{}:{}", file.path.display(), lc.line, lc.col)
            }
            _ => name.to_owned(),
        };
        functions.push(FunctionDecl {
            id,
            params: param_types(&def.params),
            returns,
            fallback,
            declared_at: declared_at.into(),
        });
    }
    functions
}

/// Declares every file's assets, checking that each file exists inside `root`.
pub(super) fn declare_assets<'p>(
    cx: &mut Ctx<'_>,
    root: &std::path::Path,
    parts: &[FileParts<'p>],
    names: &mut Names,
    declared: &mut Declared<'_>,
) -> Vec<(AssetId, AssetSource)> {
    let mut assets = Vec::new();
    let mut seen = FirstSeen::default();
    for p in parts {
        for (name, def) in &p.assets.0 {
            let path = vec![Seg::Field("assets"), Seg::Key(name.to_string())];
            if !cx.declare(&mut seen, "asset", name, p.file, || path.clone()) {
                continue;
            }
            declared.names_mut().assets.insert(Box::from(&**name));
            let mut field = path.clone();
            field.push(Seg::Field("path"));
            match contained(cx.source, root, &def.path) {
                None => cx.error(
                    p.file,
                    field,
                    format!(
                        "asset path `{}` points outside the story directory",
                        def.path
                    ),
                ),
                Some(full) if !cx.source.is_file(&full) => cx.error(
                    p.file,
                    field,
                    format!("asset file `{}` does not exist", def.path),
                ),
                Some(_) => {}
            }
            let id = names.assets.intern(name);
            assets.push((
                id,
                AssetSource {
                    path: PathBuf::from(&def.path),
                    kind: def.kind,
                },
            ));
        }
    }
    assets
}

/// A node declared: its file, id, and place among the file's nodes as written.
pub(super) type NodeDecl = (FileId, NodeId, u32);

/// Declares every file's node ids (first, so that references may point forward) into
/// `decl`, afresh; returns the nodes declared. Each name is looked up once, in the node
/// interner, and where it is declared is kept by id.
pub(super) fn declare_nodes(
    cx: &mut Ctx<'_>,
    parts: &[FileParts<'_>],
    nodes: &mut Interner<NodeId>,
    decl: &mut Decl,
) -> Vec<NodeDecl> {
    let n_written: usize = parts.iter().map(|p| p.nodes.0.len()).sum();
    nodes.reserve(n_written.saturating_sub(nodes.len()));
    decl.reset(nodes.len());
    let mut node_defs: Vec<NodeDecl> = Vec::with_capacity(n_written);
    // Every name first, so that ids follow the order nodes are declared in (what lists of
    // nodes follow); then each node's links, which intern the names it leads to.
    let mut declared_ids: Vec<Vec<Option<NodeId>>> = Vec::with_capacity(parts.len());
    for p in parts {
        let mut ids = Vec::with_capacity(p.nodes.0.len());
        for (index, (name, _)) in p.nodes.0.iter().enumerate() {
            let path = || vec![Seg::Field("nodes"), Seg::Key(name.to_string())];
            if name.is_empty() {
                cx.error(p.file, path(), "a node id may not be empty");
                decl.invalidate();
                ids.push(None);
                continue;
            }
            let id = nodes.intern(name);
            let slot = qnce_core::story::grow(decl.at_mut(), id.index());
            if let Some(first) = *slot {
                cx.duplicate("node", name, first.file, p.file, path());
                decl.invalidate();
                ids.push(None);
                continue;
            }
            *slot = Some(NodeAt {
                file: p.file,
                index: index as u32,
            });
            ids.push(Some(id));
            node_defs.push((p.file, id, index as u32));
        }
        declared_ids.push(ids);
    }
    for (p, ids) in parts.iter().zip(declared_ids) {
        let links = (p.nodes.0.iter().zip(ids))
            .map(|((_, def), id)| id.map_or_else(Links::default, |id| Links::of(id, def, nodes)))
            .collect();
        decl.set_file(p, links);
    }
    check_node_count(cx, node_defs.len());
    node_defs
}

/// Reports a story of more nodes than the limit.
fn check_node_count(cx: &mut Ctx<'_>, n: usize) {
    if n > cx.limits.max_nodes {
        let message = format!("{n} nodes exceed the limit of {}", cx.limits.max_nodes);
        cx.error(MAIN_FILE, vec![Seg::Field("nodes")], message);
    }
}

/// The main flow (from `start`) and the story's other flows, each with its start node.
pub(super) fn declare_flows(
    cx: &mut Ctx<'_>,
    main: &StoryFile,
    names: &mut Interner<FlowId>,
    declared: &Declared<'_>,
) -> Vec<(FlowId, NodeId)> {
    let mut flows = Vec::new();
    let start_path = vec![Seg::Field("start")];
    match declared.nodes.get(main.start.as_str()) {
        Some(start) => flows.push((names.intern(qnce_core::MAIN_FLOW), start)),
        None => {
            let hint = cx.hint(&main.start, || declared.nodes.names());
            let message = format!("start node `{}` does not exist{hint}", main.start);
            cx.unknown(MAIN_FILE, start_path, message);
        }
    }
    let mut seen_flows = HashSet::default();
    for (name, start) in &main.flows.0 {
        let path = vec![Seg::Field("flows"), Seg::Key(name.to_string())];
        if name.as_str() == qnce_core::MAIN_FLOW {
            cx.error(
                MAIN_FILE,
                path,
                "flow `main` is the default flow; its start is the story's `start`",
            );
            continue;
        }
        if !seen_flows.insert(name.clone()) {
            let first = cx.first_place(MAIN_FILE, &path);
            cx.findings.push(Finding {
                last: true,
                ..Finding::error(
                    MAIN_FILE,
                    path,
                    format!("duplicate flow `{name}` (first declared at {first})"),
                )
            });
            continue;
        }
        match declared.nodes.get(start.as_str()) {
            Some(node) => flows.push((names.intern(name), node)),
            None => {
                let hint = cx.hint(start, || declared.nodes.names());
                let message =
                    format!("flow `{name}` starts at `{start}`, which does not exist{hint}");
                cx.unknown(MAIN_FILE, path, message);
            }
        }
    }
    flows
}

/// The main file: flows and the start are declared there.
pub(super) const MAIN_FILE: FileId = FileId(0);
