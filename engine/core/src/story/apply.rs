//! Applying a [`Patch`] to a story's world, writing only the components it changes, and
//! reading back through bevy_ecs change detection what the last patch touched.

use bevy_ecs::change_detection::DetectChanges;
use bevy_ecs::component::Component;
use bevy_ecs::prelude::Entity;

use super::components::*;
use super::patch::{AssetOp, Delta, FlowOp, NodeChange, NodeField};
use super::patch::{NodeOp, Patch, PatchFiles, TranslationOp, VarOp};
use super::{NodeId, Story, Translation, set, unset};

/// Writes `value` into the entity's component, which marks it changed.
fn write<T: Component<Mutability = bevy_ecs::component::Mutable>>(
    world: &mut bevy_ecs::world::World,
    e: Entity,
    value: Option<T>,
) {
    if let Some(value) = value
        && let Some(mut c) = world.get_mut::<T>(e)
    {
        *c = value;
    }
}

/// Whether `template` reads one of `vars`, the visits or turns of one of `nodes`, or
/// calls one of `functions`.
pub fn reads_any(
    template: &crate::expr::Template,
    vars: &[crate::ids::VarId],
    nodes: &[NodeId],
    functions: &[crate::ids::FunctionId],
) -> bool {
    let (mut read, mut visited, mut called) = (Vec::new(), Vec::new(), Vec::new());
    for e in template.exprs() {
        e.vars(&mut read);
        e.nodes(&mut visited);
        e.functions(&mut called);
    }
    read.iter().any(|v| vars.contains(v))
        || visited.iter().any(|n| nodes.contains(n))
        || called.iter().any(|f| functions.contains(f))
}

impl Story {
    /// Applies a patch as one transaction and returns what it changed.
    ///
    /// Change detection is reset first, so that afterwards `Ref::is_changed` and
    /// `Changed<T>` queries on the story's world
    /// ([`StoryInternals::world`](crate::internal::StoryInternals::world)) show exactly
    /// the components this patch wrote (see [`Story::changed_fields`]). A node's choices
    /// are one component, [`Choices`]: an edit of any of them flags it.
    pub fn apply(&mut self, patch: Patch) -> Delta {
        let _span = tracing::debug_span!("apply").entered();
        let mut delta = patch.delta();
        self.drop_broken_translations(&mut delta);
        self.apply_translations(patch.translations, &mut delta);
        if let Some(voices) = patch.voices
            && voices != self.voices
        {
            self.voices = voices;
            delta.voices_changed = true;
        }
        // An edit that changes nothing a session sees (a save of the same text, a comment)
        // is no new version: sessions are not made to catch up with it.
        if !delta.is_empty() {
            self.version += 1;
            self.deltas.push_back((self.version, delta.clone()));
            while self.deltas.len() > Story::KEPT_DELTAS {
                self.deltas.pop_front();
            }
        }
        self.world.clear_trackers();
        self.title = patch.title;
        self.save_id = patch.save_id;
        match patch.files {
            PatchFiles::All(files) => self.files = files,
            PatchFiles::Some(files) => {
                for (id, file) in files {
                    if let Some(slot) = self.files.get_mut(id.0 as usize) {
                        *slot = file;
                    }
                }
            }
        }
        self.commands = patch.commands;
        self.functions = patch.functions;

        for op in patch.vars {
            match op {
                VarOp::Add(id, value) => {
                    let e = self.world.spawn((Variable { id }, Initial(value))).id();
                    set(&mut self.vars, id, e);
                }
                VarOp::Remove(id) => {
                    if let Some(e) = unset(&mut self.vars, id) {
                        self.world.despawn(e);
                    }
                }
                VarOp::Initial { var, value, .. } => {
                    if let Some(e) = super::lookup(&self.vars, var) {
                        write(&mut self.world, e, Some(Initial(value)));
                    }
                }
            }
        }
        self.var_order = patch.var_order;

        for op in patch.assets {
            match op {
                AssetOp::Add(id, source) => {
                    let e = self.world.spawn((Asset { id }, source)).id();
                    set(&mut self.assets, id, e);
                }
                AssetOp::Remove(id) => {
                    if let Some(e) = unset(&mut self.assets, id) {
                        self.world.despawn(e);
                    }
                }
                AssetOp::Change(id, source) => {
                    if let Some(e) = super::lookup(&self.assets, id) {
                        write(&mut self.world, e, Some(source));
                    }
                }
            }
        }

        for op in patch.flows {
            match op {
                FlowOp::Add(id, start) => {
                    let e = self.world.spawn((Flow { id }, FlowStart(start))).id();
                    set(&mut self.flows, id, e);
                }
                FlowOp::Remove(id) => {
                    if let Some(e) = unset(&mut self.flows, id) {
                        self.world.despawn(e);
                    }
                }
                FlowOp::Start(id, start) => {
                    if let Some(e) = super::lookup(&self.flows, id) {
                        write(&mut self.world, e, Some(FlowStart(start)));
                    }
                }
            }
        }
        self.flow_order = patch.flow_order;

        for op in patch.nodes {
            match op {
                NodeOp::Add(node) => {
                    self.spawn_node(*node);
                }
                NodeOp::Remove(id) => self.despawn_node(id),
                NodeOp::Change(change) => self.change_node(*change),
            }
        }
        delta
    }

    /// Drops each translated text that reads a variable the patch removes or retypes, or
    /// the visits of a node it removes, or calls a function it changes: that text shows
    /// as written rather than failing to render. (A reload re-checks these texts and
    /// sends a translation of them again where it still holds; this is the safety net.)
    fn drop_broken_translations(&mut self, delta: &mut Delta) {
        let vars: Vec<_> = delta
            .vars_removed
            .iter()
            .chain(&delta.vars_retyped)
            .copied()
            .collect();
        if vars.is_empty() && delta.functions_changed.is_empty() && delta.nodes_removed.is_empty() {
            return;
        }
        let mut dropped = Vec::new();
        for t in &mut self.translations {
            t.lines.retain(|line, template| {
                let broken = reads_any(
                    template,
                    &vars,
                    &delta.nodes_removed,
                    &delta.functions_changed,
                );
                if broken {
                    dropped.push((t.locale.clone(), line.clone()));
                }
                !broken
            });
        }
        delta.lines_retranslated.extend(dropped);
    }

    /// Applies a patch's translation changes, recording each line that changed.
    fn apply_translations(&mut self, ops: Vec<TranslationOp>, delta: &mut Delta) {
        for op in ops {
            match op {
                TranslationOp::AddLocale(locale) => {
                    if !self.translations.iter().any(|t| t.locale == locale) {
                        self.translations.push(Translation {
                            locale,
                            lines: Default::default(),
                        });
                    }
                }
                TranslationOp::Line {
                    locale,
                    line,
                    template,
                } => {
                    let Some(t) = self.translations.iter_mut().find(|t| t.locale == locale) else {
                        continue;
                    };
                    let lines = &mut t.lines;
                    let changed = match template {
                        Some(template) => {
                            lines.insert(line.clone(), template.clone()).as_ref() != Some(&template)
                        }
                        None => lines.remove(&line).is_some(),
                    };
                    if changed {
                        delta.lines_retranslated.push((locale, line));
                    }
                }
                TranslationOp::RemoveLocale(locale) => {
                    if let Some(i) = self.translations.iter().position(|t| t.locale == locale) {
                        let t = self.translations.remove(i);
                        delta
                            .lines_retranslated
                            .extend(t.lines.into_keys().map(|line| (locale.clone(), line)));
                    }
                }
            }
        }
        // A text dropped as broken and translated again is one change.
        delta.lines_retranslated.sort_unstable();
        delta.lines_retranslated.dedup();
    }

    fn despawn_node(&mut self, id: NodeId) {
        let Some(e) = unset(&mut self.nodes, id) else {
            return;
        };
        self.index_choices(id, e, false);
        self.world.despawn(e);
        self.n_nodes -= 1;
    }

    fn change_node(&mut self, change: NodeChange) {
        let Some(e) = super::lookup(&self.nodes, change.id) else {
            return;
        };
        let id = change.id;
        let reindex = change.choices.is_some();
        if reindex {
            self.index_choices(id, e, false);
        }
        self.write_node(e, change);
        if reindex {
            self.index_choices(id, e, true);
        }
    }

    fn write_node(&mut self, e: Entity, change: NodeChange) {
        let world = &mut self.world;
        write(world, e, change.text);
        write(world, e, change.next);
        write(world, e, change.call);
        write(world, e, change.returns);
        write(world, e, change.on_enter);
        write(world, e, change.tags);
        write(world, e, change.assets);
        write(world, e, change.choices.map(Choices));
    }

    /// The fields of a node that the last applied patch wrote, read from bevy_ecs change
    /// detection of the node's components. Empty for a node the patch did not touch; every field of a node
    /// the patch added (and of every node before the first patch).
    pub fn changed_fields(&self, id: NodeId) -> Vec<NodeField> {
        let Some(node) = self.node(id) else {
            return Vec::new();
        };
        let is_changed = |f: NodeField| match f {
            NodeField::Text => node.get_ref::<Text>().is_some_and(|c| c.is_changed()),
            NodeField::Next => node.get_ref::<Next>().is_some_and(|c| c.is_changed()),
            NodeField::Call => node.get_ref::<NodeCall>().is_some_and(|c| c.is_changed()),
            NodeField::Return => node.get_ref::<Return>().is_some_and(|c| c.is_changed()),
            NodeField::OnEnter => node.get_ref::<OnEnter>().is_some_and(|c| c.is_changed()),
            NodeField::Tags => node.get_ref::<Tags>().is_some_and(|c| c.is_changed()),
            NodeField::Assets => node.get_ref::<NodeAssets>().is_some_and(|c| c.is_changed()),
            NodeField::Choices => node.get_ref::<Choices>().is_some_and(|c| c.is_changed()),
        };
        [
            NodeField::Text,
            NodeField::Choices,
            NodeField::Next,
            NodeField::Call,
            NodeField::Return,
            NodeField::OnEnter,
            NodeField::Tags,
            NodeField::Assets,
        ]
        .into_iter()
        .filter(|&f| is_changed(f))
        .collect()
    }
}
