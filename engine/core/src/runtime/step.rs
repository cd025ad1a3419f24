//! A session's steps: choosing, switching flows, undoing and redoing, and what each step
//! does inside (taking a choice, running effects, entering a chain of nodes), recorded in
//! the undo log so that a failed step changes nothing.

use bevy_ecs::prelude::Entity;

use super::{
    ArgsRef, Change, ErrorSite, Event, FlowState, Frame, RuntimeError, Session, State, TextRef,
    undo,
};
use crate::expr::{Action, CommandCall};
use crate::story::components::{Effects, Next, NodeCall, OnEnter, Return, Target};
use crate::story::{ChoiceId, FlowId, NodeId, Story};
use crate::value::{Type, Value};

impl Session {
    /// Takes the displayed choice at `index` (0-based) and advances until the player has a
    /// choice to make or the flow ends.
    ///
    /// # Errors
    /// An index that is not displayed, an ended flow, or an error while advancing; the
    /// session is then unchanged.
    pub fn choose(&mut self, story: &Story, index: usize) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("step").entered();
        self.check_story(story)?;
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
        let target = self.take(story, node, view.index, false)?;
        let first = self.follow(story, node, target)?;
        self.play_chain(story, Arrival::Enter(first))
    }

    /// Switches to another flow, starting it at its start node the first time.
    ///
    /// # Errors
    /// An unknown flow, or an error while entering its start.
    pub fn switch_flow(&mut self, story: &Story, flow: FlowId) -> Result<&[Event], RuntimeError> {
        self.check_story(story)?;
        let start = story
            .flow_start(flow)
            .ok_or_else(|| RuntimeError::UnknownFlow(story.flow_name(flow).into()))?;
        self.begin();
        let index = match self.flows.iter().position(|f| f.id == flow) {
            Some(i) => i,
            None => {
                self.flows.push(FlowState::new(flow, Vec::new(), self.rng));
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
    /// [`RuntimeError::NothingToUndo`] when there is no step to undo, or when every step
    /// left leads back only to nodes that play now passes by (nothing is undone then); or
    /// an error rendering the restored node.
    pub fn undo(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("undo").entered();
        self.check_story(story)?;
        if self.log.undo.is_empty() {
            return Err(RuntimeError::NothingToUndo);
        }
        // A step begins where the player could choose, but a reload since may have made
        // that node one that play passes by (it gained a `next`): undo goes on back to the
        // last place that is still a choice. With none left, nothing is undone.
        let mut undone = 0;
        while let Some(step) = self.log.undo.pop_back() {
            self.replay(&step, false);
            self.log.redo.push(step);
            undone += 1;
            self.show_replayed(story)?;
            if self.ended || !self.choices.is_empty() {
                return Ok(&self.events);
            }
        }
        for _ in 0..undone {
            if let Some(step) = self.log.redo.pop() {
                self.replay(&step, true);
                self.log.undo.push_back(step);
            }
        }
        self.show_replayed(story)?;
        Err(RuntimeError::NothingToUndo)
    }

    /// Shows the node an undo or redo left the session at, afresh; a removed node or flow
    /// is repaired first.
    fn show_replayed(&mut self, story: &Story) -> Result<(), RuntimeError> {
        self.clear_report();
        self.repair_position(story);
        self.show(story)
    }

    /// Redoes the last undone step. A step may lead to a node or flow that a reload
    /// removed since (the position is repaired), or to a node that an edit left with
    /// nothing to choose but a way on (a `next`, a fallback): redo goes on through the
    /// steps undone after it, and past the last one play goes on from there as from any
    /// entry, as a step of its own.
    ///
    /// # Errors
    /// [`RuntimeError::NothingToRedo`], or an error rendering the restored node.
    pub fn redo(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        let _span = tracing::debug_span!("redo").entered();
        self.check_story(story)?;
        let step = self.log.redo.pop().ok_or(RuntimeError::NothingToRedo)?;
        self.replay(&step, true);
        self.log.undo.push_back(step);
        self.show_replayed(story)?;
        while !self.ended && self.choices.is_empty() {
            let Some(step) = self.log.redo.pop() else {
                self.advance(story)?;
                break;
            };
            self.replay(&step, true);
            self.log.undo.push_back(step);
            self.show_replayed(story)?;
        }
        Ok(&self.events)
    }

    /// Renders the current node again (after the host set variables, or the story
    /// changed), reporting it with [`Event::NodeShown`].
    ///
    /// # Errors
    /// An expression that fails to evaluate.
    pub fn refresh(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        self.check_story(story)?;
        self.clear_report();
        self.show(story)?;
        Ok(&self.events)
    }

    /// Forgets what the last call reported: its events, their text and their commands'
    /// arguments.
    pub(super) fn clear_report(&mut self) {
        self.events.clear();
        self.passage.clear();
        self.command_args.clear();
    }

    pub(super) fn begin(&mut self) {
        self.clear_report();
        self.conditions.clear();
        self.step = self.log.fresh();
        let rng = self.rng;
        self.step.push(Change::Rng { old: rng, new: rng });
    }

    /// Commits the step on success; reverts it and shows the old node on failure.
    pub(super) fn finish(
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
                self.clear_report();
                if self.current_node().is_some() {
                    // The old node rendered before; it renders the same way again.
                    let _ = self.show(story);
                    self.clear_report();
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
    pub(super) fn undo_target(&mut self) -> undo::Target<'_> {
        undo::Target {
            vars: &mut self.vars,
            visits: &mut self.visits,
            entered: &mut self.entered,
            variations: &mut self.variations,
            flows: &mut self.flows,
            chosen: &mut self.chosen,
            turn: &mut self.turn,
            rng: &mut self.rng,
            current: &mut self.current,
        }
    }

    /// Applies a change now and records it in the current step.
    pub(super) fn record(&mut self, change: Change) {
        let mut target = self.undo_target();
        change.apply(&mut target, true);
        self.step.push(change);
    }

    /// The state a text renders against: `text` names it for its variations, and at an
    /// `entry` its variations' showings count (recorded in the step).
    pub(super) fn text_state<'a>(
        &'a mut self,
        story: &'a Story,
        text: (NodeId, Option<ChoiceId>),
        entry: bool,
    ) -> State<'a> {
        self.state_of(story, Some(text), entry)
    }

    /// The state conditions and effects read.
    pub(super) fn state<'a>(&'a mut self, story: &'a Story) -> State<'a> {
        self.state_of(story, None, false)
    }

    fn state_of<'a>(
        &'a mut self,
        story: &'a Story,
        text: Option<(NodeId, Option<ChoiceId>)>,
        entry: bool,
    ) -> State<'a> {
        State {
            story,
            plurals: &self.plurals,
            functions: &self.config.functions,
            vars: &self.vars,
            visits: &self.visits,
            entered: &self.entered,
            turn: self.turn,
            rng: &mut self.rng,
            forced: self.forced.as_mut(),
            max_string_len: self.config.max_string_len,
            variations: &mut self.variations,
            text,
            entry: entry.then_some(&mut self.step),
        }
    }

    /// Takes the choice at `index` in the node's list: marks it chosen, runs its effects,
    /// and returns where it leads.
    pub(super) fn take(
        &mut self,
        story: &Story,
        node: NodeId,
        index: u32,
        fallback: bool,
    ) -> Result<Target, RuntimeError> {
        let Some(choice) = story.choices_of(node).get(index as usize) else {
            return Err(RuntimeError::MissingNode(story.node_name(node).into()));
        };
        let key = &choice.choice;
        let flow = self.current_flow();
        // The text as displayed, kept with the call's other texts.
        let start = self.passage.len() as u32;
        if let Some(view) = self.choices.iter().find(|v| v.index == index)
            && let Some(shown) = self
                .choice_text
                .get(view.text.start as usize..view.text.end as usize)
        {
            self.passage.push_str(shown);
        }
        let text = TextRef {
            start,
            end: self.passage.len() as u32,
        };
        self.events.push(Event::ChoiceMade {
            flow,
            node,
            choice: key.id,
            text,
            fallback,
        });
        if !self.chosen.contains(&(node, key.id)) {
            self.record(Change::Chosen {
                key: (node, key.id),
            });
        }
        self.run_effects(story, node, Some(key.id), &choice.effects.0)?;
        Ok(choice.target)
    }

    /// The node a choice of `node` enters first: its `to`, or the node it calls (the
    /// call is made).
    pub(super) fn follow(
        &mut self,
        story: &Story,
        node: NodeId,
        target: Target,
    ) -> Result<NodeId, RuntimeError> {
        match target {
            Target::To(to) => Ok(to),
            Target::Call { call, then } => {
                self.push_call(story, node, then)?;
                Ok(call)
            }
        }
    }

    /// Makes a call from `caller` (the current node), to go on at `resume` on return.
    fn push_call(
        &mut self,
        story: &Story,
        caller: NodeId,
        resume: Option<NodeId>,
    ) -> Result<(), RuntimeError> {
        let flow = self.current;
        let Some(f) = self.flows.get(flow) else {
            return Ok(());
        };
        if f.calls.len() >= self.config.max_call_depth {
            return Err(RuntimeError::CallTooDeep {
                node: story.node_name(caller).into(),
                limit: self.config.max_call_depth,
            });
        }
        let frame = Frame {
            caller,
            resume,
            render_rng: f.render_rng,
            history_len: f.history.len(),
        };
        self.record(Change::Call { flow, frame });
        Ok(())
    }

    /// Where play goes from `node` when it shows no choice: a fallback choice, a call
    /// before `next`, `next`, or the return of a `return: true` node; `None` at an
    /// ending.
    ///
    /// # Errors
    /// A failing condition or effect of the fallback, a call past the depth limit, or a
    /// return outside any call.
    pub(super) fn onward(
        &mut self,
        story: &Story,
        node: NodeId,
        entity: Entity,
    ) -> Result<Option<Arrival>, RuntimeError> {
        if let Some(fallback) = self.available_fallback(story, node, entity)? {
            let target = self.take(story, node, fallback, true)?;
            return Ok(Some(Arrival::Enter(self.follow(story, node, target)?)));
        }
        let world = story.world();
        let next = world.get::<Next>(entity).and_then(|n| n.0);
        let call = world.get::<NodeCall>(entity).and_then(|c| c.0);
        if let (Some(call), Some(next)) = (call, next) {
            self.push_call(story, node, Some(next))?;
            return Ok(Some(Arrival::Enter(call)));
        }
        if let Some(next) = next {
            return Ok(Some(Arrival::Enter(next)));
        }
        if !world.get::<Return>(entity).is_some_and(|r| r.0) {
            return Ok(None);
        }
        let flow = self.current;
        let Some(&frame) = self.flows.get(flow).and_then(|f| f.calls.last()) else {
            return Err(RuntimeError::ReturnOutsideCall {
                node: story.node_name(node).into(),
            });
        };
        self.record(Change::Return { flow, frame });
        Ok(Some(match frame.resume {
            Some(to) => Arrival::Enter(to),
            None => Arrival::Resume(frame),
        }))
    }

    /// Runs a list of effects: a choice's (`choice`) or the node's `on_enter` (`None`).
    fn run_effects(
        &mut self,
        story: &Story,
        node: NodeId,
        choice: Option<ChoiceId>,
        effects: &Effects,
    ) -> Result<(), RuntimeError> {
        for (i, (source, action)) in effects.iter().enumerate() {
            let site = match choice {
                Some(c) => ErrorSite::ChoiceEffect(c, i),
                None => ErrorSite::OnEnter(i),
            };
            let effect = match action {
                Action::Set(effect) => effect,
                Action::Command(call) => {
                    self.run_command(story, node, site, call, source)?;
                    continue;
                }
            };
            let new = effect.compute(&mut self.state(story)).map_err(|e| {
                Self::eval_error(story, node, site, format!("effect `{source}`"), e)
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

    /// Evaluates a command's arguments into the session's buffer and reports it, in order
    /// with the step's other events.
    fn run_command(
        &mut self,
        story: &Story,
        node: NodeId,
        site: ErrorSite,
        call: &CommandCall,
        source: &str,
    ) -> Result<(), RuntimeError> {
        let start = self.command_args.len();
        for (i, arg) in call.args().iter().enumerate() {
            let value = arg.eval(&mut self.state(story)).map_err(|e| {
                Self::eval_error(story, node, site, format!("command `{source}`"), e)
            })?;
            // An `Int` for a `Float` parameter arrives as a `Float`.
            let value = match (call.param(i), value) {
                (Some(Type::Float), Value::Int(n)) => Value::Float(n as f64),
                (_, value) => value,
            };
            self.command_args.push(value);
        }
        self.events.push(Event::Command {
            command: call.command,
            args: ArgsRef {
                start: start as u32,
                end: self.command_args.len() as u32,
            },
        });
        Ok(())
    }

    /// Enters `node` in the current flow and follows automatic advances.
    pub(super) fn enter_chain(&mut self, story: &Story, node: NodeId) -> Result<(), RuntimeError> {
        self.play_chain(story, Arrival::Enter(node))
    }

    /// Arrives at a node in the current flow and follows automatic advances (fallbacks,
    /// calls, `next`, returns) until the player has a choice to make or the flow ends.
    pub(super) fn play_chain(
        &mut self,
        story: &Story,
        mut arrival: Arrival,
    ) -> Result<(), RuntimeError> {
        let flow = self.current_flow();
        for _ in 0..self.config.max_chain {
            let node = arrival.node();
            let entity = story
                .node_entity(node)
                .ok_or_else(|| RuntimeError::MissingNode(story.node_name(node).into()))?;
            match arrival {
                Arrival::Enter(_) => self.arrive(story, node, entity)?,
                Arrival::Resume(frame) => self.resume(story, frame)?,
            }
            if !self.choices.is_empty() {
                return Ok(());
            }
            match self.onward(story, node, entity)? {
                Some(next) => arrival = next,
                None => {
                    self.ended = true;
                    self.events.push(Event::StoryEnded { flow, node });
                    return Ok(());
                }
            }
        }
        // The node the chain would have gone on to.
        Err(RuntimeError::ChainTooLong {
            node: story.node_name(arrival.node()).into(),
            limit: self.config.max_chain,
        })
    }

    /// Enters `node`: the flow moves there, a visit counts, `on_enter` runs, and the
    /// text renders afresh.
    fn arrive(&mut self, story: &Story, node: NodeId, entity: Entity) -> Result<(), RuntimeError> {
        let flow_index = self.current;
        let flow = self.current_flow();
        let old = self.flows.get(flow_index).and_then(|f| f.node);
        self.record(Change::Enter {
            flow: flow_index,
            old,
            new: node,
        });
        let old = self.entered.get(node.index()).copied().unwrap_or(0);
        self.record(Change::Visit {
            node,
            old,
            new: self.turn.saturating_add(1),
        });
        if let Some(on_enter) = story.world().get::<OnEnter>(entity) {
            self.run_effects(story, node, None, &on_enter.0)?;
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
        self.render(story, node, entity, true)?;
        let text = self.push_passage();
        self.events.push(Event::NodeEntered { flow, node, text });
        Ok(())
    }

    /// Goes back to the caller of a call that returned: the flow moves there without an
    /// entry, and it is shown again as it was rendered when the call was made.
    fn resume(&mut self, story: &Story, frame: Frame) -> Result<(), RuntimeError> {
        let flow = self.current;
        let Some(f) = self.flows.get(flow) else {
            return Ok(());
        };
        let (old, old_rng) = (f.node, f.render_rng);
        self.record(Change::Resume {
            flow,
            old,
            new: frame.caller,
        });
        self.record(Change::RenderRng {
            flow,
            old: old_rng,
            new: frame.render_rng,
        });
        self.show(story)
    }
}

/// How play arrives at a node of a chain.
#[derive(Clone, Copy, Debug)]
pub(super) enum Arrival {
    /// Entered: a visit counts, `on_enter` runs, the text renders afresh.
    Enter(NodeId),
    /// Back at the caller of a call that returned: shown again, not entered.
    Resume(Frame),
}

impl Arrival {
    fn node(self) -> NodeId {
        match self {
            Arrival::Enter(node) => node,
            Arrival::Resume(frame) => frame.caller,
        }
    }
}
