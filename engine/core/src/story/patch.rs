//! The field-level patch between a running story and its edited version: computing it
//! ([`diff`]) and what it says it changes ([`Delta`]).
//!
//! A diff reads the running story's world and the freshly compiled [`StoryData`] and
//! records only what differs: a node whose text changed yields one new `Text` component
//! and nothing else. Choices are matched by id; choices left over without an explicit id
//! are aligned with a sequence diff, so that a reworded or retargeted choice keeps its
//! identity and the sessions' `once` state. A node whose choices changed in any way gets
//! its whole new list.

use std::ops::Range;

use bevy_ecs::prelude::Entity;
use similar::{Algorithm, DiffOp, capture_diff_slices_by_key};

use super::components::*;
use super::{
    AssetId, ChoiceData, ChoiceId, FlowId, NodeData, NodeId, SourceFile, Story, StoryData, VarId,
};
use crate::expr::Template;
use crate::value::Value;
use std::sync::Arc;

/// The source files a patch writes.
#[derive(Clone, Debug)]
pub(crate) enum PatchFiles {
    /// Every file, in place of the story's.
    All(Vec<SourceFile>),
    /// Only these, by file id: the story's other files are the same.
    Some(Vec<(super::FileId, SourceFile)>),
}

/// What a patch writes; built by [`diff`], applied by [`Story::apply`].
#[derive(Clone, Debug)]
pub struct Patch {
    pub(crate) title: String,
    pub(crate) save_id: String,
    pub(crate) files: PatchFiles,
    pub(crate) var_order: Vec<VarId>,
    pub(crate) flow_order: Vec<FlowId>,
    pub(crate) vars: Vec<VarOp>,
    pub(crate) assets: Vec<AssetOp>,
    pub(crate) flows: Vec<FlowOp>,
    pub(crate) nodes: Vec<NodeOp>,
    pub(crate) commands: Vec<(crate::ids::CommandId, Box<[crate::value::Type]>)>,
    pub(crate) functions: Vec<super::FunctionDecl>,
    /// Functions declared, removed, or changed (signature or fallback).
    pub(crate) functions_changed: Vec<crate::ids::FunctionId>,
    /// Translated texts set, removed, or whole locales dropped.
    pub(crate) translations: Vec<TranslationOp>,
    /// The voice files found again, when they changed.
    pub(crate) voices: Option<Vec<super::Voices>>,
}

/// A change to the story's translations, which a reload computes from edited
/// translation files (`locales/*.po`) and from story edits that change a translated text.
#[derive(Clone, Debug)]
pub enum TranslationOp {
    /// A locale's text for a line id: a new or changed translation (`Some`), or none any
    /// more (`None`: the source text shows).
    Line {
        /// The locale's tag.
        locale: Arc<str>,
        /// The line id.
        line: Arc<str>,
        /// The translated text, compiled against the story.
        template: Option<Template>,
    },
    /// A locale added (its file taken for the first time), with no text yet: the `Line`
    /// ops after it fill it.
    AddLocale(Arc<str>),
    /// A locale dropped whole (its file removed).
    RemoveLocale(Arc<str>),
}

#[derive(Clone, Debug)]
pub(crate) enum VarOp {
    Add(VarId, Value),
    Remove(VarId),
    /// The initial value changed; `retyped` when its type changed too.
    Initial {
        var: VarId,
        value: Value,
        retyped: bool,
    },
}

#[derive(Clone, Debug)]
pub(crate) enum AssetOp {
    Add(AssetId, AssetSource),
    Remove(AssetId),
    Change(AssetId, AssetSource),
}

#[derive(Clone, Debug)]
pub(crate) enum FlowOp {
    Add(FlowId, NodeId),
    Remove(FlowId),
    Start(FlowId, NodeId),
}

#[derive(Clone, Debug)]
pub(crate) enum NodeOp {
    Add(Box<NodeData>),
    Remove(NodeId),
    Change(Box<NodeChange>),
}

/// The changed components of one node; `None` where a field is unchanged.
#[derive(Clone, Debug)]
pub(crate) struct NodeChange {
    pub(crate) id: NodeId,
    pub(crate) text: Option<Text>,
    pub(crate) next: Option<Next>,
    pub(crate) call: Option<NodeCall>,
    pub(crate) returns: Option<Return>,
    pub(crate) on_enter: Option<OnEnter>,
    pub(crate) tags: Option<Tags>,
    pub(crate) assets: Option<NodeAssets>,
    /// The new choice list, when any choice changed, came, went or moved.
    pub(crate) choices: Option<Vec<ChoiceData>>,
    /// The summary, with the text's word diff.
    pub(crate) summary: NodeSummary,
}

/// A field of a node that an edit can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodeField {
    /// The text.
    Text,
    /// The choices: added, removed, reordered or changed.
    Choices,
    /// The automatic advance.
    Next,
    /// The call before the automatic advance.
    Call,
    /// Whether the node returns from a call.
    Return,
    /// The effects on entry.
    OnEnter,
    /// The tags.
    Tags,
    /// The assets.
    Assets,
}

impl NodeField {
    /// The field's name in the story format.
    pub fn name(self) -> &'static str {
        match self {
            NodeField::Text => "text",
            NodeField::Choices => "choices",
            NodeField::Next => "next",
            NodeField::Call => "call",
            NodeField::Return => "return",
            NodeField::OnEnter => "on_enter",
            NodeField::Tags => "tags",
            NodeField::Assets => "assets",
        }
    }
}

/// A piece of a word-level text diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextPiece {
    /// Words in both texts.
    Same(String),
    /// Words only in the old text.
    Removed(String),
    /// Words only in the new text.
    Added(String),
}

/// What changed in one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSummary {
    /// The node.
    pub node: NodeId,
    /// The fields written, in the order of [`NodeField`].
    pub fields: Vec<NodeField>,
    /// The word-level diff of the text, when the text changed.
    pub text_diff: Vec<TextPiece>,
    /// Choices added.
    pub choices_added: Vec<ChoiceId>,
    /// Choices removed.
    pub choices_removed: Vec<ChoiceId>,
    /// Choices kept whose content changed.
    pub choices_changed: Vec<ChoiceId>,
    /// Choices kept under a new derived id (old, new): a reworded choice that shares its
    /// target with another, for example. Sessions move their `once` state along.
    pub choices_renamed: Vec<(ChoiceId, ChoiceId)>,
}

impl NodeSummary {
    fn new(node: NodeId) -> NodeSummary {
        NodeSummary {
            node,
            fields: Vec::new(),
            text_diff: Vec::new(),
            choices_added: Vec::new(),
            choices_removed: Vec::new(),
            choices_changed: Vec::new(),
            choices_renamed: Vec::new(),
        }
    }
}

/// What a patch changes, for sessions and for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Nodes added.
    pub nodes_added: Vec<NodeId>,
    /// Nodes removed.
    pub nodes_removed: Vec<NodeId>,
    /// Nodes changed, with their fields.
    pub nodes_changed: Vec<NodeSummary>,
    /// Variables added.
    pub vars_added: Vec<VarId>,
    /// Variables removed.
    pub vars_removed: Vec<VarId>,
    /// Variables whose initial value changed with the same type; sessions keep theirs.
    pub vars_initial: Vec<VarId>,
    /// Variables whose type changed; sessions reset them to the new initial value.
    pub vars_retyped: Vec<VarId>,
    /// Assets added.
    pub assets_added: Vec<AssetId>,
    /// Assets removed.
    pub assets_removed: Vec<AssetId>,
    /// Assets whose path or kind changed.
    pub assets_changed: Vec<AssetId>,
    /// Flows added.
    pub flows_added: Vec<FlowId>,
    /// Flows removed.
    pub flows_removed: Vec<FlowId>,
    /// Flows whose start changed.
    pub flows_restarted: Vec<FlowId>,
    /// Host functions declared, removed, or changed (signature or fallback): text that
    /// calls one may now read differently.
    pub functions_changed: Vec<crate::ids::FunctionId>,
    /// Translated texts that changed, as (locale, line id): translated anew, translated
    /// differently, or no longer translated (the source text shows again).
    pub lines_retranslated: Vec<(Arc<str>, Arc<str>)>,
    /// Whether voice files were added or removed.
    pub voices_changed: bool,
}

impl Delta {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Delta::default()
    }

    /// The summary of a changed node.
    pub fn changed(&self, node: NodeId) -> Option<&NodeSummary> {
        self.nodes_changed.iter().find(|c| c.node == node)
    }

    /// Appends what a later patch changed, so that bringing a session along the merged
    /// delta does what bringing it along each in turn would.
    pub fn merge(&mut self, later: &Delta) {
        self.nodes_added.extend_from_slice(&later.nodes_added);
        self.nodes_removed.extend_from_slice(&later.nodes_removed);
        self.nodes_changed
            .extend(later.nodes_changed.iter().cloned());
        self.vars_added.extend_from_slice(&later.vars_added);
        self.vars_removed.extend_from_slice(&later.vars_removed);
        self.vars_initial.extend_from_slice(&later.vars_initial);
        self.vars_retyped.extend_from_slice(&later.vars_retyped);
        self.assets_added.extend_from_slice(&later.assets_added);
        self.assets_removed.extend_from_slice(&later.assets_removed);
        self.assets_changed.extend_from_slice(&later.assets_changed);
        self.flows_added.extend_from_slice(&later.flows_added);
        self.flows_removed.extend_from_slice(&later.flows_removed);
        self.flows_restarted
            .extend_from_slice(&later.flows_restarted);
        self.functions_changed
            .extend_from_slice(&later.functions_changed);
        self.lines_retranslated
            .extend_from_slice(&later.lines_retranslated);
        self.voices_changed |= later.voices_changed;
    }
}

impl Patch {
    /// What the patch changes.
    pub fn delta(&self) -> Delta {
        let mut d = Delta::default();
        for op in &self.nodes {
            match op {
                NodeOp::Add(n) => d.nodes_added.push(n.node.id),
                NodeOp::Remove(id) => d.nodes_removed.push(*id),
                NodeOp::Change(c) => d.nodes_changed.push(c.summary.clone()),
            }
        }
        for op in &self.vars {
            match op {
                VarOp::Add(v, _) => d.vars_added.push(*v),
                VarOp::Remove(v) => d.vars_removed.push(*v),
                VarOp::Initial { var, retyped, .. } if *retyped => d.vars_retyped.push(*var),
                VarOp::Initial { var, .. } => d.vars_initial.push(*var),
            }
        }
        for op in &self.assets {
            match op {
                AssetOp::Add(a, _) => d.assets_added.push(*a),
                AssetOp::Remove(a) => d.assets_removed.push(*a),
                AssetOp::Change(a, _) => d.assets_changed.push(*a),
            }
        }
        for op in &self.flows {
            match op {
                FlowOp::Add(f, _) => d.flows_added.push(*f),
                FlowOp::Remove(f) => d.flows_removed.push(*f),
                FlowOp::Start(f, _) => d.flows_restarted.push(*f),
            }
        }
        d.functions_changed.clone_from(&self.functions_changed);
        d
    }

    /// A patch that changes nothing of the story as it is: the start of a reload that
    /// changes only translations ([`Patch::set_translations`]).
    pub fn unchanged(story: &Story) -> Patch {
        Patch {
            title: story.title.clone(),
            save_id: story.save_id.clone(),
            files: PatchFiles::Some(Vec::new()),
            var_order: story.var_order.clone(),
            flow_order: story.flow_order.clone(),
            vars: Vec::new(),
            assets: Vec::new(),
            flows: Vec::new(),
            nodes: Vec::new(),
            commands: story.commands.clone(),
            functions: story.functions.clone(),
            functions_changed: Vec::new(),
            translations: Vec::new(),
            voices: None,
        }
    }

    /// Makes the patch change the story's translations too, after its other changes.
    pub fn set_translations(&mut self, ops: Vec<TranslationOp>) {
        self.translations = ops;
    }

    /// Makes the patch write only `files` (by file id), rather than every file: what a
    /// reload that read the same files as before, only some of them anew, knows.
    pub fn set_changed_files(&mut self, files: Vec<(super::FileId, SourceFile)>) {
        self.files = PatchFiles::Some(files);
    }

    /// Makes the patch replace the story's voice files with `voices` (where they differ).
    pub fn set_voices(&mut self, voices: Vec<super::Voices>) {
        self.voices = Some(voices);
    }
}

/// The functions declared in only one of `old` and `new`, or differently in each.
fn changed_functions(
    old: &[super::FunctionDecl],
    new: &[super::FunctionDecl],
) -> Vec<crate::ids::FunctionId> {
    // Where a function is declared is not what it does: a line moved is no change.
    let same = |f: &super::FunctionDecl, g: &super::FunctionDecl| {
        f.id == g.id && f.params == g.params && f.returns == g.returns && f.fallback == g.fallback
    };
    let differs = |a: &[super::FunctionDecl], b: &[super::FunctionDecl]| {
        a.iter()
            .filter(|f| !b.iter().any(|g| same(f, g)))
            .map(|f| f.id)
            .collect::<Vec<_>>()
    };
    let mut changed = differs(old, new);
    changed.extend(differs(new, old));
    changed.sort_unstable();
    changed.dedup();
    changed
}

/// Computes the patch that turns `story` into `new`.
///
/// `removed` are the nodes of `story` that `new` no longer declares. `new.nodes` may hold
/// only the nodes that were compiled again (see [`crate::load`]'s reuse of unchanged
/// files): every other node of `story` is unchanged.
#[doc(hidden)]
pub fn diff(story: &Story, new: StoryData, removed: &[NodeId]) -> Patch {
    let _span = tracing::debug_span!("diff").entered();
    let mut patch = Patch {
        title: new.title,
        save_id: new.save_id,
        files: PatchFiles::All(new.files),
        var_order: new.variables.iter().map(|(v, _)| *v).collect(),
        flow_order: new.flows.iter().map(|(f, _)| *f).collect(),
        vars: Vec::new(),
        assets: Vec::new(),
        flows: Vec::new(),
        nodes: Vec::new(),
        commands: new.commands,
        functions_changed: changed_functions(story.functions(), &new.functions),
        translations: Vec::new(),
        voices: None,
        functions: new.functions,
    };

    // Variables, assets and flows are few: compare them all.
    for &old in story.var_ids() {
        if !new.variables.iter().any(|(v, _)| *v == old) {
            patch.vars.push(VarOp::Remove(old));
        }
    }
    for (var, value) in new.variables {
        match story.var_initial(var) {
            None => patch.vars.push(VarOp::Add(var, value)),
            Some(old) if *old != value => patch.vars.push(VarOp::Initial {
                var,
                retyped: old.ty() != value.ty(),
                value,
            }),
            Some(_) => {}
        }
    }
    for old in story.asset_ids() {
        if !new.assets.iter().any(|(a, _)| *a == old) {
            patch.assets.push(AssetOp::Remove(old));
        }
    }
    for (asset, source) in new.assets {
        match story.asset(asset) {
            None => patch.assets.push(AssetOp::Add(asset, source)),
            Some(old) if *old != source => patch.assets.push(AssetOp::Change(asset, source)),
            Some(_) => {}
        }
    }
    for &old in story.flow_ids() {
        if !new.flows.iter().any(|(f, _)| *f == old) {
            patch.flows.push(FlowOp::Remove(old));
        }
    }
    for (flow, start) in new.flows {
        match story.flow_start(flow) {
            None => patch.flows.push(FlowOp::Add(flow, start)),
            Some(old) if old != start => patch.flows.push(FlowOp::Start(flow, start)),
            Some(_) => {}
        }
    }

    // Nodes: the removed ones go; the compiled ones are added or compared.
    patch
        .nodes
        .extend(removed.iter().map(|&id| NodeOp::Remove(id)));
    for node in new.nodes {
        match story.node_entity(node.node.id) {
            None => patch.nodes.push(NodeOp::Add(Box::new(node))),
            Some(e) => {
                if let Some(change) = diff_node(story, e, node) {
                    patch.nodes.push(NodeOp::Change(Box::new(change)));
                }
            }
        }
    }
    patch
}

/// A changed component: the new value when it differs from the world's.
fn changed<T: bevy_ecs::component::Component + PartialEq>(
    story: &Story,
    e: Entity,
    new: T,
) -> Option<T> {
    (story.world().get::<T>(e) != Some(&new)).then_some(new)
}

fn diff_node(story: &Story, e: Entity, new: NodeData) -> Option<NodeChange> {
    let id = new.node.id;
    let old_text = story.world().get::<Text>(e).map(Text::source);
    let mut change = NodeChange {
        id,
        text: changed(story, e, new.text),
        next: changed(story, e, new.next),
        call: changed(story, e, new.call),
        returns: changed(story, e, new.returns),
        on_enter: changed(story, e, new.on_enter),
        tags: changed(story, e, new.tags),
        assets: changed(story, e, new.assets),
        choices: None,
        summary: NodeSummary::new(id),
    };
    let old_choices = story
        .world()
        .get::<Choices>(e)
        .map_or(&[][..], |c| &c.0[..]);
    change.choices = diff_choices(old_choices, new.choices, &mut change.summary);

    let s = &mut change.summary;
    let fields = [
        (NodeField::Text, change.text.is_some()),
        (NodeField::Choices, change.choices.is_some()),
        (NodeField::Next, change.next.is_some()),
        (NodeField::Call, change.call.is_some()),
        (NodeField::Return, change.returns.is_some()),
        (NodeField::OnEnter, change.on_enter.is_some()),
        (NodeField::Tags, change.tags.is_some()),
        (NodeField::Assets, change.assets.is_some()),
    ];
    s.fields = fields.iter().filter(|f| f.1).map(|f| f.0).collect();
    if s.fields.is_empty() {
        return None;
    }
    if let (Some(old), Some(new)) = (old_text, &change.text) {
        s.text_diff = word_diff(old, new.source());
    }
    Some(change)
}

/// The word-level diff of two texts, with neighbouring pieces of one kind merged.
pub(crate) fn word_diff(old: &str, new: &str) -> Vec<TextPiece> {
    let diff = similar::TextDiff::from_words(old, new);
    let mut out: Vec<TextPiece> = Vec::new();
    for change in diff.iter_all_changes() {
        let word = change.value();
        let piece = match change.tag() {
            similar::ChangeTag::Equal => TextPiece::Same(word.to_owned()),
            similar::ChangeTag::Delete => TextPiece::Removed(word.to_owned()),
            similar::ChangeTag::Insert => TextPiece::Added(word.to_owned()),
        };
        match (out.last_mut(), piece) {
            (Some(TextPiece::Same(a)), TextPiece::Same(b))
            | (Some(TextPiece::Removed(a)), TextPiece::Removed(b))
            | (Some(TextPiece::Added(a)), TextPiece::Added(b)) => a.push_str(&b),
            (_, piece) => out.push(piece),
        }
    }
    out
}

/// Pairs old and new choices and records what changed; the new list, or `None` when
/// nothing changed.
fn diff_choices(
    old: &[ChoiceData],
    new: Vec<ChoiceData>,
    summary: &mut NodeSummary,
) -> Option<Vec<ChoiceData>> {
    let (pair_of_new, paired_old) = pair_choices(old, &new);
    let mut changed = old.len() != new.len();
    for (j, c) in new.iter().enumerate() {
        let new_id = c.choice.id;
        match pair_of_new[j] {
            None => {
                summary.choices_added.push(new_id);
                changed = true;
            }
            Some(i) => {
                let o = &old[i];
                changed |= i != j;
                if o.choice.id != new_id {
                    summary.choices_renamed.push((o.choice.id, new_id));
                }
                if *o != *c {
                    summary.choices_changed.push(new_id);
                    changed = true;
                }
            }
        }
    }
    for (o, _) in old.iter().zip(&paired_old).filter(|(_, paired)| !**paired) {
        summary.choices_removed.push(o.choice.id);
        changed = true;
    }
    changed.then_some(new)
}

/// Pairs each new choice with the old one it continues, if any: by id first, wherever it
/// moved; then the left-over choices without explicit ids by target, with a sequence diff
/// (a reworded or retargeted choice pairs with the one it replaces). Returns, for each new
/// choice, its old choice's index, and for each old choice whether it was paired.
fn pair_choices(old: &[ChoiceData], new: &[ChoiceData]) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut pair_of_new: Vec<Option<usize>> = vec![None; new.len()];
    let mut paired_old = vec![false; old.len()];
    for (j, c) in new.iter().enumerate() {
        if let Some(i) = old.iter().position(|o| o.choice.id == c.choice.id) {
            pair_of_new[j] = Some(i);
            paired_old[i] = true;
        }
    }
    let old_left: Vec<usize> = (0..old.len())
        .filter(|&i| !paired_old[i] && !old[i].choice.explicit_id)
        .collect();
    let new_left: Vec<usize> = (0..new.len())
        .filter(|&j| pair_of_new[j].is_none() && !new[j].choice.explicit_id)
        .collect();
    if !old_left.is_empty() && !new_left.is_empty() {
        let old_targets: Vec<NodeId> = old_left.iter().map(|&i| old[i].target.named()).collect();
        let new_targets: Vec<NodeId> = new_left.iter().map(|&j| new[j].target.named()).collect();
        let ops = capture_diff_slices_by_key(Algorithm::Myers, &old_targets, &new_targets, |t| *t);
        for op in ops {
            let (_, olds, news): (_, Range<usize>, Range<usize>) = op.as_tag_tuple();
            if matches!(op, DiffOp::Delete { .. } | DiffOp::Insert { .. }) {
                continue;
            }
            for (a, b) in olds.zip(news) {
                pair_of_new[new_left[b]] = Some(old_left[a]);
                paired_old[old_left[a]] = true;
            }
        }
    }
    (pair_of_new, paired_old)
}
