//! The runtime: a [`Session`] plays a story.
//!
//! A session is plain state (positions, variables, visits, history, the undo log and a
//! seeded generator) and borrows the [`Story`] for each call, so a host can patch the story
//! between steps. It does no I/O and reads no clock: a seed and a list of choices replay
//! exactly. Calls return the [`Event`]s that happened instead of calling back, which keeps
//! the session `Send`.

mod error;
mod event;
mod reload;
mod render;
mod rng;
mod save;
mod undo;

use rustc_hash::FxHashSet;

use bevy_ecs::prelude::Entity;

pub use error::RuntimeError;
pub use event::{Event, TextRef};
pub use rng::Rng;
pub use save::{SAVE_VERSION, SaveData, SaveError, SavedChange, SavedFlow};

use crate::expr::Env;
use crate::story::components::*;
use crate::story::{ChoiceId, FlowId, Id, NodeId, Story, VarId};
use crate::value::Value;
use undo::{Change, UndoLog};

/// How a session behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// The seed of the session's random generator.
    pub seed: u64,
    /// Most automatic advances (`next` and fallback choices) in one step before it stops
    /// with [`RuntimeError::ChainTooLong`].
    pub max_chain: usize,
    /// Most steps kept for undo.
    pub undo_limit: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            seed: 0,
            max_chain: 1_000,
            undo_limit: 256,
        }
    }
}

impl SessionConfig {
    /// The default configuration with the given seed.
    pub fn with_seed(seed: u64) -> Self {
        SessionConfig {
            seed,
            ..SessionConfig::default()
        }
    }
}

/// The state of one flow.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FlowState {
    pub(crate) id: FlowId,
    /// The current node; `None` before the flow was first entered.
    pub(crate) node: Option<NodeId>,
    /// Every node entered, oldest first.
    pub(crate) history: Vec<NodeId>,
    /// The generator state the current node was rendered with, so that showing it again
    /// renders the same text.
    pub(crate) render_rng: Rng,
}

/// A displayed choice of the current node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceView {
    /// The choice's entity in the story's world.
    pub entity: Entity,
    /// The choice's stable id.
    pub id: ChoiceId,
    text: TextRef,
}

/// State read by expressions.
struct State<'a> {
    vars: &'a [Option<Value>],
    visits: &'a [u32],
    turn: u64,
    rng: &'a mut Rng,
}

impl Env for State<'_> {
    fn var(&self, var: VarId) -> Option<&Value> {
        self.vars.get(var.index()).and_then(Option::as_ref)
    }
    fn visits(&self, node: NodeId) -> u32 {
        self.visits.get(node.index()).copied().unwrap_or(0)
    }
    fn turns(&self) -> u64 {
        self.turn
    }
    fn random(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo, hi)
    }
}

/// A playthrough of a story.
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("qnce-doc-session-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("story.ron"), r#"Story(title: "t", start: "a", nodes: {
///     "a": (text: "Hello", choices: [(text: "On", to: "b")]),
///     "b": (text: "Bye"),
/// })"#)?;
/// let story = qnce_load::load(&dir, &qnce_load::Limits::default())?.story;
/// let mut session = qnce_core::Session::new(&story, qnce_core::SessionConfig::with_seed(7))?;
/// assert_eq!(session.text(), "Hello");
/// session.choose(&story, 0)?;
/// assert!(session.is_ended());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Session {
    config: SessionConfig,
    rng: Rng,
    turn: u64,
    vars: Vec<Option<Value>>,
    visits: Vec<u32>,
    chosen: FxHashSet<(NodeId, ChoiceId)>,
    flows: Vec<FlowState>,
    current: usize,
    log: UndoLog,
    step: Vec<Change>,
    // What the current node shows.
    text: String,
    choices: Vec<ChoiceView>,
    choice_text: String,
    ended: bool,
    // What the last call reported.
    events: Vec<Event>,
    passage: String,
}

impl Session {
    /// Starts a session at the story's `start` node in the `main` flow.
    ///
    /// # Errors
    /// Any error of entering the start node (an expression that fails, a chain of
    /// automatic advances that is too long).
    pub fn new(story: &Story, config: SessionConfig) -> Result<Session, RuntimeError> {
        let mut session = Session::blank(story, config);
        session.enter_start(story, Vec::new())?;
        Ok(session)
    }

    /// Enters the main flow's start, with `history` (empty) as the flow's history buffer.
    fn enter_start(&mut self, story: &Story, history: Vec<NodeId>) -> Result<(), RuntimeError> {
        let main = story.main_flow();
        self.flows.push(FlowState {
            id: main,
            node: None,
            history,
            render_rng: self.rng,
        });
        let start = story
            .flow_start(main)
            .ok_or_else(|| RuntimeError::UnknownFlow(crate::MAIN_FLOW.into()))?;
        self.begin();
        let result = self.enter_chain(story, start);
        // Starting is not a step that can be undone.
        self.finish(story, result, false)
    }

    /// Starts over at the story's `start` node with `seed`, as [`Session::new`] would,
    /// keeping the session's buffers (undo steps, history, text), so that a new game in
    /// a long-running process allocates nothing once they have grown.
    ///
    /// # Errors
    /// As [`Session::new`]. Unlike other calls, a failed restart does not leave the
    /// session as it was: it is reset, at no node; restart again once the story is fixed.
    pub fn restart(&mut self, story: &Story, seed: u64) -> Result<&[Event], RuntimeError> {
        self.config.seed = seed;
        self.rng = Rng::new(seed);
        self.turn = 0;
        self.vars.clear();
        self.vars.resize(story.names().vars.len(), None);
        for &v in story.var_ids() {
            self.vars[v.index()] = story.var_initial(v).cloned();
        }
        self.visits.clear();
        self.visits.resize(story.names().nodes.len(), 0);
        self.chosen.clear();
        let mut history = self
            .flows
            .first_mut()
            .map(|f| std::mem::take(&mut f.history))
            .unwrap_or_default();
        history.clear();
        self.flows.clear();
        self.current = 0;
        self.log.clear();
        self.ended = false;
        self.enter_start(story, history)?;
        Ok(&self.events)
    }

    fn blank(story: &Story, config: SessionConfig) -> Session {
        let mut vars = vec![None; story.names().vars.len()];
        for &v in story.var_ids() {
            vars[v.index()] = story.var_initial(v).cloned();
        }
        Session {
            rng: Rng::new(config.seed),
            config,
            turn: 0,
            vars,
            visits: vec![0; story.names().nodes.len()],
            chosen: FxHashSet::default(),
            flows: Vec::new(),
            current: 0,
            log: UndoLog::default(),
            step: Vec::new(),
            text: String::new(),
            choices: Vec::new(),
            choice_text: String::new(),
            ended: false,
            events: Vec::new(),
            passage: String::new(),
        }
    }

    /// The seed the session started with.
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The session's configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// How many choices the player made.
    pub fn turns(&self) -> u64 {
        self.turn
    }

    /// The current flow.
    pub fn current_flow(&self) -> FlowId {
        self.flows
            .get(self.current)
            .map_or_else(|| FlowId::from_index(0), |f| f.id)
    }

    /// The current flow's current node.
    pub fn current_node(&self) -> Option<NodeId> {
        self.flows.get(self.current).and_then(|f| f.node)
    }

    /// Flows started so far, with their current node.
    pub fn flows(&self) -> impl Iterator<Item = (FlowId, Option<NodeId>)> + '_ {
        self.flows.iter().map(|f| (f.id, f.node))
    }

    /// The current node's rendered text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many choices are displayed.
    pub fn n_choices(&self) -> usize {
        self.choices.len()
    }

    /// The displayed choices, in order; index them from 0 in [`Session::choose`].
    pub fn choices(&self) -> impl ExactSizeIterator<Item = (ChoiceView, &str)> + '_ {
        self.choices
            .iter()
            .map(|c| (*c, self.slice(&self.choice_text, c.text)))
    }

    /// Whether the current flow has ended.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The events of the last call.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The text an event refers to.
    pub fn passage(&self, text: TextRef) -> &str {
        self.slice(&self.passage, text)
    }

    fn slice<'s>(&self, buf: &'s str, r: TextRef) -> &'s str {
        buf.get(r.start as usize..r.end as usize).unwrap_or("")
    }

    /// A variable's current value.
    pub fn var(&self, var: VarId) -> Option<&Value> {
        self.vars.get(var.index()).and_then(Option::as_ref)
    }

    /// Sets a variable from the host; the value must have the variable's type (an `Int`
    /// is accepted for a `Float`). The change is not a step: undo does not revert it, and
    /// the current node is rendered again only by [`Session::refresh`].
    ///
    /// # Errors
    /// An unknown variable or a value of another type.
    pub fn set_var(&mut self, story: &Story, name: &str, value: Value) -> Result<(), RuntimeError> {
        let var = story
            .var_id(name)
            .ok_or_else(|| RuntimeError::UnknownVariable(name.into()))?;
        let expected = story.var_initial(var).map_or(value.ty(), Value::ty);
        let found = value.ty();
        let value = value.coerce(expected).ok_or(RuntimeError::VariableType {
            name: name.into(),
            expected,
            found,
        })?;
        *undo::slot(&mut self.vars, var.index()) = Some(value);
        Ok(())
    }

    /// How often a node was entered.
    pub fn visits(&self, node: NodeId) -> u32 {
        self.visits.get(node.index()).copied().unwrap_or(0)
    }

    /// The nodes a flow entered, oldest first (empty for a flow not started).
    pub fn history(&self, flow: FlowId) -> &[NodeId] {
        self.flows
            .iter()
            .find(|f| f.id == flow)
            .map_or(&[], |f| &f.history)
    }

    /// Whether a choice was ever chosen (what `once` hides).
    pub fn was_chosen(&self, node: NodeId, choice: ChoiceId) -> bool {
        self.chosen.contains(&(node, choice))
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.log.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.log.redo.is_empty()
    }

    /// Takes the displayed choice at `index` (0-based) and advances until the player has a
    /// choice to make or the flow ends.
    ///
    /// # Errors
    /// An index that is not displayed, an ended flow, or an error while advancing; the
    /// session is then unchanged.
    pub fn choose(&mut self, story: &Story, index: usize) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("step").entered();
        self.begin();
        let result = self.choose_inner(story, index);
        self.finish(story, result, true)?;
        Ok(&self.events)
    }

    fn choose_inner(&mut self, story: &Story, index: usize) -> Result<(), RuntimeError> {
        let node = self
            .current_node()
            .ok_or_else(|| RuntimeError::MissingNode("?".into()))?;
        if self.ended {
            return Err(RuntimeError::Ended {
                node: story.node_name(node).into(),
            });
        }
        let Some(view) = self.choices.get(index).copied() else {
            return Err(RuntimeError::NoSuchChoice {
                node: story.node_name(node).into(),
                number: index + 1,
                n_choices: self.choices.len(),
            });
        };
        self.record(Change::Turn);
        let target = self.take(story, node, view.entity, false)?;
        self.enter_chain(story, target)
    }

    /// Switches to another flow, starting it at its start node the first time.
    ///
    /// # Errors
    /// An unknown flow, or an error while entering its start.
    pub fn switch_flow(&mut self, story: &Story, flow: FlowId) -> Result<&[Event], RuntimeError> {
        let start = story
            .flow_start(flow)
            .ok_or_else(|| RuntimeError::UnknownFlow(story.flow_name(flow).into()))?;
        self.begin();
        let index = match self.flows.iter().position(|f| f.id == flow) {
            Some(i) => i,
            None => {
                self.flows.push(FlowState {
                    id: flow,
                    node: None,
                    history: Vec::new(),
                    render_rng: self.rng,
                });
                self.flows.len() - 1
            }
        };
        let from = self.current_flow();
        let result = self.switch_inner(story, index, from, flow, start);
        self.finish(story, result, true)?;
        Ok(&self.events)
    }

    fn switch_inner(
        &mut self,
        story: &Story,
        index: usize,
        from: FlowId,
        to: FlowId,
        start: NodeId,
    ) -> Result<(), RuntimeError> {
        self.record(Change::Current {
            old: self.current,
            new: index,
        });
        self.events.push(Event::FlowSwitched { from, to });
        if self.flows[index].node.is_none() {
            self.enter_chain(story, start)
        } else {
            self.show(story)
        }
    }

    /// Undoes the last step.
    ///
    /// # Errors
    /// [`RuntimeError::NothingToUndo`], or an error rendering the restored node.
    pub fn undo(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("undo").entered();
        let step = self
            .log
            .undo
            .pop_back()
            .ok_or(RuntimeError::NothingToUndo)?;
        self.replay(&step, false);
        self.log.redo.push(step);
        self.events.clear();
        self.passage.clear();
        // The step may lead back to a node or flow that a reload removed since.
        self.repair_position(story);
        self.show(story)?;
        Ok(&self.events)
    }

    /// Redoes the last undone step.
    ///
    /// # Errors
    /// [`RuntimeError::NothingToRedo`], or an error rendering the restored node.
    pub fn redo(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("redo").entered();
        let step = self.log.redo.pop().ok_or(RuntimeError::NothingToRedo)?;
        self.replay(&step, true);
        self.log.undo.push_back(step);
        self.events.clear();
        self.passage.clear();
        self.repair_position(story);
        self.show(story)?;
        Ok(&self.events)
    }

    /// Renders the current node again (after the host set variables, or the story
    /// changed), reporting it with [`Event::NodeShown`].
    ///
    /// # Errors
    /// An expression that fails to evaluate.
    pub fn refresh(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        self.events.clear();
        self.passage.clear();
        self.show(story)?;
        Ok(&self.events)
    }

    fn begin(&mut self) {
        self.events.clear();
        self.passage.clear();
        self.step = self.log.fresh();
        let rng = self.rng;
        self.step.push(Change::Rng { old: rng, new: rng });
    }

    /// Commits the step on success; reverts it and shows the old node on failure.
    fn finish(
        &mut self,
        story: &Story,
        result: Result<(), RuntimeError>,
        undoable: bool,
    ) -> Result<(), RuntimeError> {
        let mut step = std::mem::take(&mut self.step);
        match result {
            Ok(()) => {
                if let Some(Change::Rng { new, .. }) = step.first_mut() {
                    *new = self.rng;
                }
                if undoable {
                    self.log.commit(step, self.config.undo_limit);
                } else {
                    self.log.recycle(step);
                }
                Ok(())
            }
            Err(e) => {
                self.replay(&step, false);
                self.log.recycle(step);
                self.events.clear();
                self.passage.clear();
                if self.current_node().is_some() {
                    // The old node rendered before; it renders the same way again.
                    let _ = self.show(story);
                    self.events.clear();
                    self.passage.clear();
                }
                Err(e)
            }
        }
    }

    fn replay(&mut self, step: &[Change], forward: bool) {
        let mut target = self.undo_target();
        if forward {
            step.iter().for_each(|c| c.apply(&mut target, true));
        } else {
            step.iter().rev().for_each(|c| c.apply(&mut target, false));
        }
    }

    /// The state that undo-log changes apply to.
    fn undo_target(&mut self) -> undo::Target<'_> {
        undo::Target {
            vars: &mut self.vars,
            visits: &mut self.visits,
            flows: &mut self.flows,
            chosen: &mut self.chosen,
            turn: &mut self.turn,
            rng: &mut self.rng,
            current: &mut self.current,
        }
    }

    /// Applies a change now and records it in the current step.
    fn record(&mut self, change: Change) {
        let mut target = self.undo_target();
        change.apply(&mut target, true);
        self.step.push(change);
    }

    fn state(&mut self) -> State<'_> {
        State {
            vars: &self.vars,
            visits: &self.visits,
            turn: self.turn,
            rng: &mut self.rng,
        }
    }

    /// Takes a choice: marks it chosen, runs its effects, and returns its target.
    fn take(
        &mut self,
        story: &Story,
        node: NodeId,
        choice: Entity,
        fallback: bool,
    ) -> Result<NodeId, RuntimeError> {
        let world = story.world();
        let (Some(key), Some(target)) = (world.get::<Choice>(choice), world.get::<Target>(choice))
        else {
            return Err(RuntimeError::MissingNode(story.node_name(node).into()));
        };
        let flow = self.current_flow();
        self.events.push(Event::ChoiceMade {
            flow,
            node,
            choice: key.id,
            fallback,
        });
        if !self.chosen.contains(&(node, key.id)) {
            self.record(Change::Chosen {
                key: (node, key.id),
            });
        }
        if let Some(effects) = world.get::<ChoiceEffects>(choice) {
            self.run_effects(story, node, &effects.0)?;
        }
        Ok(target.0)
    }

    fn run_effects(
        &mut self,
        story: &Story,
        node: NodeId,
        effects: &Effects,
    ) -> Result<(), RuntimeError> {
        for (effect, source) in effects.compiled.iter().zip(&effects.sources) {
            let new = effect
                .compute(&mut self.state())
                .map_err(|e| RuntimeError::Eval {
                    node: story.node_name(node).into(),
                    what: format!("effect `{source}`"),
                    source: e,
                })?;
            let old = self.var(effect.var).cloned();
            if old.as_ref() == Some(&new) {
                continue;
            }
            self.record(Change::Var {
                var: effect.var,
                old: old.clone(),
                new: Some(new.clone()),
            });
            if let Some(old) = old {
                self.events.push(Event::VariableChanged {
                    var: effect.var,
                    old,
                    new,
                });
            }
        }
        Ok(())
    }

    /// Enters `node` in the current flow and follows automatic advances.
    fn enter_chain(&mut self, story: &Story, mut node: NodeId) -> Result<(), RuntimeError> {
        let flow_index = self.current;
        let flow = self.current_flow();
        for _ in 0..self.config.max_chain {
            let entity = story
                .node_entity(node)
                .ok_or_else(|| RuntimeError::MissingNode(story.node_name(node).into()))?;
            let old = self.flows.get(flow_index).and_then(|f| f.node);
            self.record(Change::Enter {
                flow: flow_index,
                old,
                new: node,
            });
            self.record(Change::Visit { node });
            if let Some(on_enter) = story.world().get::<OnEnter>(entity) {
                self.run_effects(story, node, &on_enter.0)?;
            }
            let old_rng = self
                .flows
                .get(flow_index)
                .map_or(self.rng, |f| f.render_rng);
            self.record(Change::RenderRng {
                flow: flow_index,
                old: old_rng,
                new: self.rng,
            });
            self.render(story, node, entity)?;
            let text = self.push_passage();
            self.events.push(Event::NodeEntered { flow, node, text });
            if !self.choices.is_empty() {
                return Ok(());
            }
            if let Some(fallback) = self.available_fallback(story, node, entity)? {
                node = self.take(story, node, fallback, true)?;
                continue;
            }
            if let Some(next) = story.world().get::<Next>(entity).and_then(|n| n.0) {
                node = next;
                continue;
            }
            self.ended = true;
            self.events.push(Event::StoryEnded { flow, node });
            return Ok(());
        }
        Err(RuntimeError::ChainTooLong {
            node: story.node_name(node).into(),
            limit: self.config.max_chain,
        })
    }
}
