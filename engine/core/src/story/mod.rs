//! The story model: a loaded story stored in a bevy_ecs [`World`].
//!
//! This module does no I/O. `qnce-load` reads files and builds a [`StoryData`], which
//! [`Story::from_data`] writes into the world: one entity per node, asset, flow and
//! variable, with a component per editable field (see [`components`]); a node's choices
//! are one of its components, side by side in one list. Tables indexed by id map each
//! stable id to its entity.

mod apply;
pub mod components;
mod patch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bevy_ecs::prelude::{Entity, World};
use bevy_ecs::world::EntityRef;

pub use crate::ids::{
    AssetId, ChoiceId, CommandId, FlowId, FunctionId, Id, Interner, Names, NodeId, VarId,
};
pub use apply::reads_any;
#[doc(hidden)]
pub use patch::diff;
pub use patch::{Delta, NodeField, NodeSummary, Patch, TextPiece, TranslationOp};

use crate::expr::{Expr, Template};
use crate::value::Value;
use components::*;

/// Index of a source file of a story (the main file is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A source file of a story, kept for diagnostics and reloads: its path, and its text or
/// what tells that text from another ([`TextPrint`]).
///
/// A story loaded from the file system by path holds none of its files' texts: a file's
/// parse holds its text while the parse is held, and most parses are let go of once
/// compiled. What needs a text again, to place a diagnostic or to parse the file again
/// for a reload, reads the file at its path (relative paths from the current directory)
/// and takes what it reads only when it has the same print: else the file changed since
/// it was loaded, and a reload reads it anew.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The file's path as given or resolved from an `include`.
    pub path: PathBuf,
    text: Option<Arc<str>>,
    /// Made on first need while the text is held (a file whose text is kept, as `qnce
    /// lsp` keeps them, is compared whole and seldom needs one); always there once the
    /// text is let go of.
    print: std::sync::OnceLock<TextPrint>,
}

impl SourceFile {
    /// The file at `path`, holding `text`.
    pub fn new(path: PathBuf, text: Arc<str>) -> SourceFile {
        SourceFile {
            path,
            text: Some(text),
            print: std::sync::OnceLock::new(),
        }
    }

    /// The file's text, while it is held.
    pub fn text(&self) -> Option<&Arc<str>> {
        self.text.as_ref()
    }

    /// What tells the file's text from another.
    pub fn print(&self) -> TextPrint {
        *self.print.get_or_init(|| {
            // Made before the text is let go of.
            TextPrint::of(self.text.as_deref().unwrap_or_default())
        })
    }

    /// Lets go of the text; its print is kept.
    pub fn let_go_of_text(&mut self) {
        self.print();
        self.text = None;
    }

    /// Whether `other` has this file's text: compared whole while both hold it, else by
    /// print.
    pub fn same_text(&self, other: &SourceFile) -> bool {
        match (&self.text, &other.text) {
            (Some(a), Some(b)) => a == b,
            _ => self.print() == other.print(),
        }
    }
}

/// What tells a text from another: its length in bytes and a 64-bit fingerprint of it
/// (std's `DefaultHasher`, SipHash today; prints are compared within one process only).
/// Two texts of the same length that differ have the same print with a chance of about
/// 2⁻⁶⁴.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TextPrint {
    bytes: u64,
    hash: u64,
}

impl TextPrint {
    /// The print of `text`.
    pub fn of(text: &str) -> TextPrint {
        use std::hash::{Hash as _, Hasher as _};
        let mut hasher = std::hash::DefaultHasher::new();
        text.hash(&mut hasher);
        TextPrint {
            bytes: text.len() as u64,
            hash: hasher.finish(),
        }
    }

    /// The text's length in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// A validated story, ready to be written into a world.
#[derive(Clone, Debug)]
pub struct StoryData {
    /// The title.
    pub title: String,
    /// The identity saves are keyed by.
    pub save_id: String,
    /// The story directory; asset paths are relative to it.
    pub root: PathBuf,
    /// Source files, indexed by [`FileId`].
    pub files: Vec<SourceFile>,
    /// Interned names.
    pub names: Names,
    /// Variables in declaration order.
    pub variables: Vec<(VarId, Value)>,
    /// Assets in declaration order.
    pub assets: Vec<(AssetId, AssetSource)>,
    /// Flows in declaration order, `main` first.
    pub flows: Vec<(FlowId, NodeId)>,
    /// Nodes in declaration order.
    pub nodes: Vec<NodeData>,
    /// Commands for the game, with their parameters' types, in declaration order.
    pub commands: Vec<(CommandId, Box<[crate::value::Type]>)>,
    /// Functions the game provides, in declaration order.
    pub functions: Vec<FunctionDecl>,
    /// Translations, one per locale.
    pub translations: Vec<Translation>,
    /// Voice files, of the source language and of each locale that has them.
    pub voices: Vec<Voices>,
}

/// The voice files of one language, by line id: the source language's in `voice/`, a
/// locale's in `locales/TAG/voice/`, each named `LINE_ID.ogg` (or `.opus`, `.wav`, `.mp3`,
/// `.flac`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Voices {
    /// The locale's tag; `None` for the source language.
    pub locale: Option<Arc<str>>,
    /// Each voiced line's file, relative to the story directory.
    pub lines: rustc_hash::FxHashMap<Arc<str>, PathBuf>,
}

/// Whether two locale tags are the same: without case (BCP 47), and `pt_BR` is `pt-BR`.
fn same_tag(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes().zip(b.bytes()).all(|(x, y)| {
            x.eq_ignore_ascii_case(&y) || (x, y) == (b'_', b'-') || (x, y) == (b'-', b'_')
        })
}

/// Whether a session in `locale` reads the translation of `tag`: `tag` is `locale` or one
/// of the less specific tags it falls back to (`de` for `de-AT`).
pub(crate) fn falls_back_to(locale: &str, tag: &str) -> bool {
    let mut candidate = locale;
    loop {
        if same_tag(candidate, tag) {
            return true;
        }
        match candidate.rfind(['-', '_']) {
            Some(i) => candidate = &candidate[..i],
            None => return false,
        }
    }
}

/// Where a choice leads ([`Story::choice_target`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceTarget {
    /// The node entered (after the call returns, when the choice calls); `None` for a
    /// call that returns to the choice's own node.
    pub to: Option<NodeId>,
    /// The node called, for a choice with `call`.
    pub call: Option<NodeId>,
}

/// How a node goes on by itself ([`Story::node_flow`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NodeFlow {
    /// `next`.
    pub next: Option<NodeId>,
    /// `call` (made before going on at `next`).
    pub call: Option<NodeId>,
    /// `return: true`.
    pub returns: bool,
}

/// A story's texts in one language: compiled templates by line id, for the texts
/// translated (the others show their source).
#[derive(Clone, Debug, Default)]
pub struct Translation {
    /// The locale's tag (`de`, `pt-BR`), from its file's name.
    pub locale: Arc<str>,
    /// The translated texts, by line id.
    pub lines: rustc_hash::FxHashMap<Arc<str>, Template>,
}

/// A function the story declares for the game to provide.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDecl {
    /// The function.
    pub id: FunctionId,
    /// Its parameters' types.
    pub params: Box<[crate::value::Type]>,
    /// The type of its answer.
    pub returns: crate::value::Type,
    /// The answer where the game binds nothing: an expression over the parameters.
    pub fallback: Option<Expr>,
    /// Where it is declared (`path:line:col`), for the error of a session started with
    /// neither a binding nor a fallback.
    pub declared_at: Arc<str>,
}

/// A validated node.
#[derive(Clone, Debug)]
pub struct NodeData {
    /// Identity.
    pub node: Node,
    /// Text.
    pub text: Text,
    /// Choices in order.
    pub choices: Vec<ChoiceData>,
    /// Automatic advance.
    pub next: Next,
    /// A call before the automatic advance.
    pub call: NodeCall,
    /// Whether the node returns from a call.
    pub returns: Return,
    /// Effects on entry.
    pub on_enter: OnEnter,
    /// Tags.
    pub tags: Tags,
    /// Assets.
    pub assets: NodeAssets,
}

/// A validated choice, as its node's [`Choices`] hold it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceData {
    /// Identity.
    pub choice: Choice,
    /// Text.
    pub text: Text,
    /// Where it leads.
    pub target: Target,
    /// Availability.
    pub condition: Condition,
    /// Effects when chosen.
    pub effects: ChoiceEffects,
    /// Once and fallback.
    pub flags: ChoiceFlags,
    /// Tags.
    pub tags: Tags,
}

/// A loaded story: its world of entities and the indexes into it.
///
/// `Story` is `Send + Sync`; sessions borrow it immutably for each step, and a reload
/// mutates it between steps.
pub struct Story {
    world: World,
    names: Names,
    title: String,
    save_id: String,
    root: PathBuf,
    files: Vec<SourceFile>,
    nodes: Vec<Option<Entity>>,
    vars: Vec<Option<Entity>>,
    assets: Vec<Option<Entity>>,
    flows: Vec<Option<Entity>>,
    var_order: Vec<VarId>,
    flow_order: Vec<FlowId>,
    n_nodes: usize,
    /// The choices of wide nodes (more than [`Story::WIDE_NODE`] choices) by id, as
    /// positions in their node's list, so that asking about one choice of a node with a
    /// hundred thousand does not walk them all. A narrower node's list is walked.
    wide_choices: rustc_hash::FxHashMap<(NodeId, ChoiceId), u32>,
    main_flow: FlowId,
    commands: Vec<(CommandId, Box<[crate::value::Type]>)>,
    functions: Vec<FunctionDecl>,
    translations: Vec<Translation>,
    voices: Vec<Voices>,
    /// Which story this is (unique in the process), so that a session played against
    /// another story is caught.
    identity: u64,
    /// How many patches were applied.
    version: u64,
    /// The most recent patches' deltas, with the version each made, oldest first; at
    /// most [`Story::KEPT_DELTAS`].
    deltas: std::collections::VecDeque<(u64, Delta)>,
}

impl std::fmt::Debug for Story {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Story")
            .field("title", &self.title)
            .field("n_nodes", &self.n_nodes)
            .finish_non_exhaustive()
    }
}

/// The element at `i`, growing the table with defaults when the index is new (ids
/// interned after the table was made).
#[doc(hidden)]
pub fn grow<T: Default + Clone>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}

/// The components of a node's entity.
/// The items of a list in order, its storage shrinking as they are taken, so that what
/// they are moved into and the list are not both whole at once.
struct Draining<T> {
    /// The items not yet taken, last first.
    rest: Vec<T>,
}

impl<T> Draining<T> {
    /// The storage is given back each time this many items were taken.
    const SHRINK_EVERY: usize = 4096;

    fn new(mut items: Vec<T>) -> Draining<T> {
        items.reverse();
        Draining { rest: items }
    }
}

impl<T> Iterator for Draining<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let item = self.rest.pop()?;
        if self.rest.len().is_multiple_of(Self::SHRINK_EVERY) {
            self.rest.shrink_to_fit();
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rest.len(), Some(self.rest.len()))
    }
}

impl<T> ExactSizeIterator for Draining<T> {}

fn node_bundle(
    node: NodeData,
) -> (
    Node,
    Text,
    Choices,
    Next,
    NodeCall,
    Return,
    OnEnter,
    Tags,
    NodeAssets,
) {
    (
        node.node,
        node.text,
        Choices(node.choices),
        node.next,
        node.call,
        node.returns,
        node.on_enter,
        node.tags,
        node.assets,
    )
}

/// Takes an id's entity out of its table.
fn unset<I: Id>(table: &mut [Option<Entity>], id: I) -> Option<Entity> {
    table.get_mut(id.index()).and_then(Option::take)
}

fn set<I: Id>(table: &mut Vec<Option<Entity>>, id: I, entity: Entity) {
    *grow(table, id.index()) = Some(entity);
}

fn ids_of<I: Id>(table: &[Option<Entity>]) -> impl Iterator<Item = I> + '_ {
    table
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is_some())
        .map(|(i, _)| I::from_index(i as u32))
}

/// A new story identity: a counter, so identities never repeat in a process.
fn next_identity() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn lookup<I: Id>(table: &[Option<Entity>], id: I) -> Option<Entity> {
    table.get(id.index()).copied().flatten()
}

impl Story {
    /// How many applied patches' deltas a story keeps for sessions to catch up with
    /// ([`Session::catch_up`](crate::Session::catch_up)); a session further behind is
    /// brought along in one resync instead.
    pub const KEPT_DELTAS: usize = 64;

    /// Past how many choices a node's choices are indexed by id (a narrower node's are
    /// found by walking its list).
    pub(crate) const WIDE_NODE: usize = 16;

    /// The story's version: how many patches (live edits) were applied to it.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Which story this is, unique in the process: sessions check it to refuse being
    /// played against another story.
    pub fn identity(&self) -> u64 {
        self.identity
    }

    /// What the patches after version `since` changed, merged in order; `None` when the
    /// story no longer keeps all of them.
    pub fn changes_since(&self, since: u64) -> Option<Delta> {
        let mut merged = Delta::default();
        let mut next = since + 1;
        for (version, delta) in self.deltas.iter().filter(|(v, _)| *v > since) {
            if *version != next {
                return None;
            }
            merged.merge(delta);
            next += 1;
        }
        (next == self.version + 1).then_some(merged)
    }

    /// Writes validated story data into a new world.
    pub fn from_data(data: StoryData) -> Story {
        let mut names = data.names;
        let main_flow = names.flows.intern(crate::MAIN_FLOW);
        let mut story = Story {
            world: World::new(),
            names,
            title: data.title,
            save_id: data.save_id,
            root: data.root,
            files: data.files,
            nodes: Vec::new(),
            vars: Vec::new(),
            assets: Vec::new(),
            flows: Vec::new(),
            var_order: Vec::new(),
            flow_order: Vec::new(),
            n_nodes: 0,
            wide_choices: rustc_hash::FxHashMap::default(),
            main_flow,
            commands: data.commands,
            functions: data.functions,
            translations: data.translations,
            voices: data.voices,
            identity: next_identity(),
            version: 0,
            deltas: std::collections::VecDeque::new(),
        };
        for (id, value) in data.variables {
            let e = story.world.spawn((Variable { id }, Initial(value))).id();
            set(&mut story.vars, id, e);
            story.var_order.push(id);
        }
        for (id, source) in data.assets {
            let e = story.world.spawn((Asset { id }, source)).id();
            set(&mut story.assets, id, e);
        }
        for (id, start) in data.flows {
            let e = story.world.spawn((Flow { id }, FlowStart(start))).id();
            set(&mut story.flows, id, e);
            story.flow_order.push(id);
        }
        // In one batch, so that the world's tables are sized to the story, not to the next
        // power of two; the list of nodes shrinks as the tables fill.
        let ids: Vec<NodeId> = data.nodes.iter().map(|n| n.node.id).collect();
        let entities: Vec<Entity> = story
            .world
            .spawn_batch(Draining::new(data.nodes).map(node_bundle))
            .collect();
        story
            .nodes
            .reserve_exact(ids.iter().map(|id| id.index() + 1).max().unwrap_or(0));
        for (id, e) in ids.into_iter().zip(entities) {
            story.add_node(id, e);
        }
        story
    }

    fn spawn_node(&mut self, node: NodeData) -> Entity {
        let id = node.node.id;
        let e = self.world.spawn(node_bundle(node)).id();
        self.add_node(id, e);
        e
    }

    /// Records node `id`'s new entity `e`.
    fn add_node(&mut self, id: NodeId, e: Entity) {
        set(&mut self.nodes, id, e);
        self.n_nodes += 1;
        self.index_choices(id, e, true);
    }

    /// Adds (or, with `add` false, removes) node `id`'s choices in the index of wide
    /// nodes' choices, if it is wide.
    pub(crate) fn index_choices(&mut self, id: NodeId, e: Entity, add: bool) {
        let Some(choices) = self.world.get::<Choices>(e) else {
            return;
        };
        if choices.0.len() <= Story::WIDE_NODE {
            return;
        }
        for (i, c) in choices.0.iter().enumerate() {
            let key = (id, c.choice.id);
            if add {
                // The first of two choices with one id, as a walk would find it.
                self.wide_choices.entry(key).or_insert(i as u32);
            } else {
                self.wide_choices.remove(&key);
            }
        }
    }

    /// The world holding the story's entities, for queries and change detection.
    pub(crate) fn world(&self) -> &World {
        &self.world
    }

    /// The story's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The identity that saves are keyed by: the story's `id` field, else its title.
    pub fn save_id(&self) -> &str {
        &self.save_id
    }

    /// The story directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The story's source files, the main file first.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The interned names.
    pub(crate) fn names(&self) -> &Names {
        &self.names
    }

    /// The interned names, mutably: a reload interns new names before it diffs. Interners
    /// only grow, so names interned by a reload that fails are unused but harmless.
    pub(crate) fn names_mut(&mut self) -> &mut Names {
        &mut self.names
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.n_nodes
    }

    /// The default flow, `main`.
    pub fn main_flow(&self) -> FlowId {
        self.main_flow
    }

    /// The id of a node by name, if the story has it.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.names
            .nodes
            .lookup(name)
            .filter(|&id| self.node_entity(id).is_some())
    }

    /// The name of a node.
    pub fn node_name(&self, id: NodeId) -> &str {
        self.names.nodes.name(id)
    }

    /// The entity of a node, if the story has it.
    pub(crate) fn node_entity(&self, id: NodeId) -> Option<Entity> {
        lookup(&self.nodes, id)
    }

    /// The node's entity as a read-only view, if the story has it.
    pub(crate) fn node(&self, id: NodeId) -> Option<EntityRef<'_>> {
        self.node_entity(id)
            .and_then(|e| self.world.get_entity(e).ok())
    }

    /// Node ids in no particular order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        ids_of(&self.nodes)
    }

    /// The node's text component.
    pub fn node_text(&self, id: NodeId) -> Option<&Template> {
        self.node(id)?.get::<Text>().map(|t| &t.template)
    }

    /// The node's tags, as written (empty for a node the story does not have).
    pub fn node_tags(&self, id: NodeId) -> &[Arc<str>] {
        self.node(id)
            .and_then(|n| n.get::<Tags>())
            .map_or(&[], |t| &t.0[..])
    }

    /// The tags of a node's choice, as written (empty for a choice the node does not have).
    /// A displayed choice's id is [`ChoiceView::id`](crate::ChoiceView::id).
    pub fn choice_tags(&self, node: NodeId, choice: ChoiceId) -> &[Arc<str>] {
        self.choice(node, choice).map_or(&[], |c| &c.tags.0[..])
    }

    /// A node's choices, displayed or not, in order (empty for a node the story does not
    /// have).
    pub(crate) fn choices_of(&self, node: NodeId) -> &[ChoiceData] {
        self.node(node)
            .and_then(|n| n.get::<Choices>())
            .map_or(&[], |c| c.0.as_slice())
    }

    /// A node's choice, by its id.
    pub(crate) fn choice(&self, node: NodeId, choice: ChoiceId) -> Option<&ChoiceData> {
        let choices = self.choices_of(node);
        if choices.len() > Story::WIDE_NODE {
            let i = *self.wide_choices.get(&(node, choice))?;
            choices.get(i as usize).filter(|c| c.choice.id == choice)
        } else {
            choices.iter().find(|c| c.choice.id == choice)
        }
    }

    /// A choice's condition (`when`), as written and compiled; `None` for a choice
    /// without one.
    pub fn choice_condition(&self, node: NodeId, choice: ChoiceId) -> Option<(&str, &Expr)> {
        let (source, expr) = self.choice(node, choice)?.condition.0.as_deref()?;
        Some((source, expr))
    }

    /// Where a choice leads: its `to` (or the node a `call` without `to` returns to:
    /// `None`), and the node it calls, if any.
    pub fn choice_target(&self, node: NodeId, choice: ChoiceId) -> Option<ChoiceTarget> {
        Some(match self.choice(node, choice)?.target {
            Target::To(to) => ChoiceTarget {
                to: Some(to),
                call: None,
            },
            Target::Call { call, then } => ChoiceTarget {
                to: then,
                call: Some(call),
            },
        })
    }

    /// A node's `next`, `call` and whether it returns (`return: true`).
    pub fn node_flow(&self, id: NodeId) -> NodeFlow {
        let node = self.node(id);
        NodeFlow {
            next: node.and_then(|n| n.get::<Next>()).and_then(|n| n.0),
            call: node.and_then(|n| n.get::<NodeCall>()).and_then(|c| c.0),
            returns: node.and_then(|n| n.get::<Return>()).is_some_and(|r| r.0),
        }
    }

    /// Whether a choice is a fallback: never displayed, taken when no other choice is
    /// available.
    pub fn choice_is_fallback(&self, node: NodeId, choice: ChoiceId) -> bool {
        self.choice(node, choice).is_some_and(|c| c.flags.fallback)
    }

    /// A node's text as written, `{…}` and all (empty for a node the story does not
    /// have); a session renders it ([`Session::text`](crate::Session::text)).
    pub fn node_source(&self, id: NodeId) -> &str {
        self.node(id)
            .and_then(|n| n.get::<Text>())
            .map_or("", Text::source)
    }

    /// The translations, one per locale.
    pub fn translations(&self) -> &[Translation] {
        &self.translations
    }

    /// The text with line id `line` in `locale`, trying the locale and then each less
    /// specific tag (`de-AT`, then `de`); `None` where none translates it (the source
    /// text shows).
    pub fn translated(&self, locale: &str, line: &str) -> Option<&Template> {
        let mut tag = locale;
        loop {
            if let Some(t) = self.translations.iter().find(|t| same_tag(&t.locale, tag))
                && let Some(template) = t.lines.get(line)
            {
                return Some(template);
            }
            tag = &tag[..tag.rfind(['-', '_'])?];
        }
    }

    /// The voice files, per language.
    pub fn voices(&self) -> &[Voices] {
        &self.voices
    }

    /// The voice file of line `line` for a session in `locale` (relative to the story
    /// directory): the locale's own, else that of each less specific tag (`de-AT`, then
    /// `de`), else the source language's; `None` where the line is not voiced.
    pub fn voice(&self, locale: Option<&str>, line: &str) -> Option<&Path> {
        if let Some(locale) = locale {
            let mut tag = locale;
            loop {
                let found = self
                    .voices
                    .iter()
                    .filter(|v| v.locale.as_deref().is_some_and(|l| same_tag(l, tag)))
                    .find_map(|v| v.lines.get(line));
                if let Some(path) = found {
                    return Some(path);
                }
                match tag.rfind(['-', '_']) {
                    Some(i) => tag = &tag[..i],
                    None => break,
                }
            }
        }
        self.voices
            .iter()
            .filter(|v| v.locale.is_none())
            .find_map(|v| v.lines.get(line))
            .map(PathBuf::as_path)
    }

    /// The line id of a node's text (empty for a node the story does not have).
    pub fn node_line(&self, id: NodeId) -> &str {
        self.node(id)
            .and_then(|n| n.get::<Text>())
            .map_or("", |t| &t.line)
    }

    /// The line id of a node's choice's text (empty for a choice the node does not have).
    pub fn choice_line(&self, node: NodeId, choice: ChoiceId) -> &str {
        self.choice(node, choice).map_or("", |c| &c.text.line)
    }

    /// The assets a node uses, in order.
    pub fn node_assets(&self, id: NodeId) -> &[AssetId] {
        self.node(id)
            .and_then(|n| n.get::<NodeAssets>())
            .map_or(&[], |a| &a.0[..])
    }

    /// A node's texts, its own and then each choice's in order, as (line id, source as
    /// written, compiled text); none for a node the story does not have. What
    /// translations and voice files are keyed by.
    pub fn node_texts(&self, id: NodeId) -> impl Iterator<Item = (&str, &str, &Template)> + '_ {
        self.node(id)
            .and_then(|n| n.get::<Text>())
            .into_iter()
            .chain(self.choices_of(id).iter().map(|c| &c.text))
            .map(|t| (&*t.line, t.source(), &t.template))
    }

    /// A node's choices, displayed or not, in order: their ids and texts as written.
    pub fn node_choices(&self, id: NodeId) -> impl Iterator<Item = (ChoiceId, &str)> + '_ {
        self.choices_of(id)
            .iter()
            .map(|c| (c.choice.id, c.text.source()))
    }

    /// The id of a variable by name, if declared.
    pub fn var_id(&self, name: &str) -> Option<VarId> {
        self.names
            .vars
            .lookup(name)
            .filter(|&id| lookup(&self.vars, id).is_some())
    }

    /// The name of a variable.
    pub fn var_name(&self, id: VarId) -> &str {
        self.names.vars.name(id)
    }

    /// Declared variables, in declaration order.
    pub fn var_ids(&self) -> &[VarId] {
        &self.var_order
    }

    /// A variable's declared initial value.
    pub fn var_initial(&self, id: VarId) -> Option<&Value> {
        let e = lookup(&self.vars, id)?;
        self.world.get::<Initial>(e).map(|i| &i.0)
    }

    /// The id of a flow by name, if the story has it.
    pub fn flow_id(&self, name: &str) -> Option<FlowId> {
        self.names
            .flows
            .lookup(name)
            .filter(|&id| lookup(&self.flows, id).is_some())
    }

    /// The name of a flow.
    pub fn flow_name(&self, id: FlowId) -> &str {
        self.names.flows.name(id)
    }

    /// Flows in declaration order, `main` first.
    pub fn flow_ids(&self) -> &[FlowId] {
        &self.flow_order
    }

    /// The node a flow starts at.
    pub fn flow_start(&self, id: FlowId) -> Option<NodeId> {
        let e = lookup(&self.flows, id)?;
        self.world.get::<FlowStart>(e).map(|s| s.0)
    }

    /// The id of an asset by name, if the story has it.
    pub fn asset_id(&self, name: &str) -> Option<AssetId> {
        self.names
            .assets
            .lookup(name)
            .filter(|&id| lookup(&self.assets, id).is_some())
    }

    /// Assets in no particular order.
    pub fn asset_ids(&self) -> impl Iterator<Item = AssetId> + '_ {
        ids_of(&self.assets)
    }

    /// An asset's source.
    pub fn asset(&self, id: AssetId) -> Option<&AssetSource> {
        let e = lookup(&self.assets, id)?;
        self.world.get::<AssetSource>(e)
    }

    /// The id of a choice by name (its `id` field, else the id derived from its target;
    /// see the story format), if a node of the story has had a choice of that name. A
    /// choice id is unique within its node, not the story: pair it with its node, as
    /// [`Session::was_chosen`](crate::Session::was_chosen) does.
    pub fn choice_id(&self, name: &str) -> Option<ChoiceId> {
        self.names.choices.lookup(name)
    }

    /// The commands the story declares for the game, with their parameters' types, in
    /// declaration order.
    pub fn commands(&self) -> &[(CommandId, Box<[crate::value::Type]>)] {
        &self.commands
    }

    /// The name of a command (as an [`Event::Command`](crate::Event::Command) reports it).
    pub fn command_name(&self, id: CommandId) -> &str {
        self.names.commands.name(id)
    }

    /// The functions the story declares for the game to provide, in declaration order.
    pub fn functions(&self) -> &[FunctionDecl] {
        &self.functions
    }

    /// A declared function. Stories declare few, so this is a scan.
    pub fn function(&self, id: FunctionId) -> Option<&FunctionDecl> {
        self.functions.iter().find(|f| f.id == id)
    }

    /// The name of a function.
    pub fn function_name(&self, id: FunctionId) -> &str {
        self.names.functions.name(id)
    }

    /// The name of a choice id.
    pub fn choice_name(&self, id: ChoiceId) -> &str {
        self.names.choices.name(id)
    }
}

#[cfg(test)]
mod tests {
    use super::Draining;

    #[test]
    fn draining_gives_the_items_in_order_and_shrinks_the_list() {
        let n = 3 * Draining::<u32>::SHRINK_EVERY + 5;
        let mut draining = Draining::new((0..n as u32).collect());
        assert_eq!(draining.len(), n);
        let taken: Vec<u32> = draining.by_ref().take(n - 10).collect();
        assert_eq!(taken, (0..(n - 10) as u32).collect::<Vec<_>>());
        assert_eq!(draining.len(), 10);
        assert!(draining.rest.capacity() <= Draining::<u32>::SHRINK_EVERY);
        assert_eq!(
            draining.collect::<Vec<_>>(),
            ((n - 10) as u32..n as u32).collect::<Vec<_>>()
        );
    }
}
