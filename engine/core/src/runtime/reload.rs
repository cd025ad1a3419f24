//! Bringing a session along after its story was patched by a reload.
//!
//! Everything the player built up survives: variables, visit counts, history, the undo
//! log, the random generator and the position in every flow. What the edit made invalid
//! is repaired, and said: a removed current node moves its flow back along its history,
//! a variable whose type changed is reset to its new initial value.

use super::undo::slot;
use super::{ChoiceView, Event, Frame, RuntimeError, Session, VariationKey};
use crate::story::components::{Next, NodeCall};
use crate::story::{ChoiceId, Delta, FlowId, Id, NodeId, Story, VarId};

/// What the current node showed before a reload, to tell whether it shows anything else
/// after.
struct Shown {
    text: String,
    choice_text: String,
    choices: Vec<ChoiceView>,
    ended: bool,
}

impl Session {
    /// Brings the session along after every edit applied to `story` since it last caught
    /// up (nothing when it is up to date), and returns what happened:
    /// [`Event::Relocated`] for each flow moved off a removed node,
    /// [`Event::ReturnRelocated`] for each call whose return target was removed,
    /// [`Event::VariableReset`] for each variable reset, [`Event::FlowSwitched`] when the
    /// current flow was removed, and [`Event::NodeShown`] when the current node now shows
    /// something else (its text, its choices, or whether it ends). The current node is
    /// rendered again with the generator state it was first rendered with.
    ///
    /// The story keeps the last [`Story::KEPT_DELTAS`] edits' deltas; a session further
    /// behind is resynced from the story as it is: variables it no longer has are
    /// dropped, new ones take their initial value, retyped ones are reset, positions and
    /// calls are repaired, and the current node is shown again. Only what a delta alone
    /// says is lost then: which choices an edit renamed (a renamed `once` choice shows
    /// again).
    ///
    /// # Errors
    /// [`RuntimeError::OtherStory`] for another story than the session's; an expression
    /// of the current node that fails to evaluate (the session's state is still brought
    /// along).
    pub fn catch_up(&mut self, story: &Story) -> Result<&[Event], RuntimeError> {
        if story.identity() != self.story_identity || story.version() < self.story_version {
            return Err(RuntimeError::OtherStory);
        }
        if story.version() == self.story_version {
            self.clear_report();
            return Ok(&self.events);
        }
        let (delta, resync) = match story.changes_since(self.story_version) {
            Some(delta) => (delta, false),
            None => (self.resync_delta(story), true),
        };
        self.story_version = story.version();
        self.bring_along(story, &delta, resync)?;
        Ok(&self.events)
    }

    /// What a session too far behind must take from the story as it is: the variables
    /// it holds that the story dropped, the story's variables it lacks, and those whose
    /// type changed.
    fn resync_delta(&self, story: &Story) -> Delta {
        let mut delta = Delta::default();
        for (i, value) in self.vars.iter().enumerate() {
            let var = VarId::from_index(i as u32);
            match (value, story.var_initial(var)) {
                (Some(_), None) => delta.vars_removed.push(var),
                (Some(v), Some(initial)) if v.ty() != initial.ty() => {
                    delta.vars_retyped.push(var);
                }
                _ => {}
            }
        }
        for &var in story.var_ids() {
            if self.var(var).is_none() {
                delta.vars_added.push(var);
            }
        }
        delta
    }

    /// Brings the session along `delta`; with `show`, the current node is shown again
    /// whatever the delta says.
    fn bring_along(
        &mut self,
        story: &Story,
        delta: &Delta,
        show: bool,
    ) -> Result<(), RuntimeError> {
        self.clear_report();

        for &var in &delta.vars_removed {
            *slot(&mut self.vars, var.index()) = None;
        }
        for &var in &delta.vars_added {
            *slot(&mut self.vars, var.index()) = story.var_initial(var).cloned();
        }
        let mut reset = Vec::new();
        for &var in &delta.vars_retyped {
            // A variable added by an earlier edit of the same catch-up holds its initial
            // value already; one retyped twice is reset once.
            if delta.vars_added.contains(&var) || reset.contains(&var) {
                continue;
            }
            reset.push(var);
            let Some(new) = story.var_initial(var).cloned() else {
                continue;
            };
            let old = slot(&mut self.vars, var.index()).replace(new.clone());
            self.events.push(Event::VariableReset { var, old, new });
        }
        let forgotten: Vec<_> = delta
            .vars_removed
            .iter()
            .chain(&delta.vars_retyped)
            .copied()
            .collect();
        if !forgotten.is_empty() {
            self.log.forget_vars(&forgotten);
        }

        for node in &delta.nodes_changed {
            for &(old, new) in &node.choices_renamed {
                if self.chosen.remove(&(node.node, old)) {
                    self.chosen.insert((node.node, new));
                }
                self.rename_choice_variations(node.node, old, new);
                self.log.rename_choice(node.node, old, new);
            }
        }

        let moved = self.repair_position(story);
        let current = self.current_node();
        // A node removed and added again by edits the session missed together is a new
        // node under the same name: it is shown afresh.
        let replaced =
            |n: NodeId| delta.nodes_added.contains(&n) || delta.nodes_removed.contains(&n);
        let touched = show
            || moved
            || !delta.vars_retyped.is_empty()
            || !delta.functions_changed.is_empty()
            || current.is_some_and(|n| delta.changed(n).is_some() || replaced(n))
            || self.shows_retranslated(story, delta);
        if touched {
            let was_ended = self.ended;
            self.show_if_different(story, moved)?;
            // An edit that made the node an ending ends the flow there.
            if self.ended
                && !was_ended
                && let Some(node) = current
            {
                let flow = self.current_flow();
                self.events.push(Event::StoryEnded { flow, node });
            }
            if !self.ended && self.choices.is_empty() {
                self.advance(story)?;
            }
        }
        Ok(())
    }

    /// Whether the delta translates anew, in the session's language, a text the current
    /// node shows: its own or a displayed choice's.
    fn shows_retranslated(&self, story: &Story, delta: &Delta) -> bool {
        let (Some(locale), Some(node)) = (self.locale(), self.current_node()) else {
            return false;
        };
        if delta.lines_retranslated.is_empty() {
            return false;
        }
        let shown: Vec<&str> = std::iter::once(story.node_line(node))
            .chain(self.choices.iter().map(|c| story.choice_line(node, c.id)))
            .collect();
        delta
            .lines_retranslated
            .iter()
            .any(|(tag, line)| shown.contains(&&**line) && crate::story::falls_back_to(locale, tag))
    }

    /// Moves the variation counts of a renamed choice's text to its new id.
    fn rename_choice_variations(&mut self, node: NodeId, old: ChoiceId, new: ChoiceId) {
        let moved: Vec<_> = self
            .variations
            .iter()
            .filter(|(k, _)| k.node == node && k.choice == Some(old))
            .map(|(k, &shown)| (*k, shown))
            .collect();
        for (key, shown) in moved {
            self.variations.remove(&key);
            self.variations.insert(
                VariationKey {
                    choice: Some(new),
                    ..key
                },
                shown,
            );
        }
    }

    /// Follows the current node's fallback or `next` as a step of its own, for a node that
    /// an edit left with nothing to choose but a way on (it gained a `next`, or lost its
    /// last available choice). Play would have advanced there by itself; so does a reload.
    pub(super) fn advance(&mut self, story: &Story) -> Result<(), RuntimeError> {
        // Keep what the reload reported, except the showing of the node being left.
        let mut reported = std::mem::take(&mut self.events);
        reported.retain(|e| !matches!(e, Event::NodeShown { .. }));
        self.begin();
        let result = self.advance_inner(story);
        let outcome = self.finish(story, result, true);
        reported.append(&mut self.events);
        self.events = reported;
        outcome
    }

    pub(super) fn advance_inner(&mut self, story: &Story) -> Result<(), RuntimeError> {
        let Some(node) = self.current_node() else {
            return Ok(());
        };
        let entity = story
            .node_entity(node)
            .ok_or_else(|| RuntimeError::MissingNode(story.node_name(node).into()))?;
        match self.onward(story, node, entity)? {
            Some(arrival) => self.play_chain(story, arrival),
            None => Ok(()),
        }
    }

    /// Moves the current flow to `main` when its flow is gone, and every flow off a node
    /// that is gone. Returns whether the current position moved.
    pub(super) fn repair_position(&mut self, story: &Story) -> bool {
        let mut moved = false;
        let current_flow = self.current_flow();
        if story.flow_start(current_flow).is_none()
            && let Some(main) = self.flows.iter().position(|f| f.id == story.main_flow())
        {
            self.current = main;
            self.events.push(Event::FlowSwitched {
                from: current_flow,
                to: story.main_flow(),
            });
            moved = true;
        }
        for i in 0..self.flows.len() {
            let flow = &self.flows[i];
            let Some(node) = flow.node else {
                continue;
            };
            if story.node_entity(node).is_some() {
                continue;
            }
            // The most recent node of the history that still exists, else the start.
            let kept = flow
                .history
                .iter()
                .rposition(|&n| story.node_entity(n).is_some());
            let Some(to) = kept
                .map(|k| flow.history[k])
                .or_else(|| relocation(story, flow.id, &[]))
            else {
                continue;
            };
            // Calls made at or after the node moved to are over: the flow is back before
            // them.
            let made_before = kept.unwrap_or(0);
            self.flows[i].calls.retain(|c| c.history_len <= made_before);
            self.flows[i].node = Some(to);
            self.events.push(Event::Relocated {
                flow: self.flows[i].id,
                from: node,
                to,
            });
            moved |= i == self.current;
        }
        self.repair_calls(story);
        moved
    }

    /// Gives every call whose return target is gone (the node it goes on at, or the
    /// caller it goes back to) a new one (see [`repaired_return`]), in the flow's stack and
    /// in the undo log alike, and says so.
    fn repair_calls(&mut self, story: &Story) {
        for i in 0..self.flows.len() {
            for k in 0..self.flows[i].calls.len() {
                let flow = &self.flows[i];
                let frame = flow.calls[k];
                let exists = |n: NodeId| story.node_entity(n).is_some().then_some(n);
                let before = &flow.history[..frame.history_len.min(flow.history.len())];
                let resume = frame.resume.map(exists);
                let Some((caller, resume)) =
                    repaired_return(story, flow.id, exists(frame.caller), resume, before)
                else {
                    continue;
                };
                let repaired = Frame {
                    caller,
                    resume,
                    ..frame
                };
                if repaired == frame {
                    continue;
                }
                let from = match frame.resume {
                    Some(to) if exists(to).is_none() => to,
                    _ => frame.caller,
                };
                let id = flow.id;
                self.flows[i].calls[k] = repaired;
                self.log.replace_frame(i, frame, repaired);
                self.events.push(Event::ReturnRelocated {
                    flow: id,
                    from,
                    to: resume.unwrap_or(caller),
                });
            }
        }
    }

    /// Renders the current node again; keeps the [`Event::NodeShown`] only when the
    /// position `moved` or the node shows something other than before.
    pub(super) fn show_if_different(
        &mut self,
        story: &Story,
        moved: bool,
    ) -> Result<(), RuntimeError> {
        let before = Shown {
            text: self.text.clone(),
            choice_text: self.choice_text.clone(),
            choices: self.choices.clone(),
            ended: self.ended,
        };
        let (n_events, n_passage) = (self.events.len(), self.passage.len());
        self.show(story)?;
        let same = before.text == self.text
            && before.ended == self.ended
            && before.choices.len() == self.choices.len()
            && before.choices.iter().zip(&self.choices).all(|(a, b)| {
                a.id == b.id
                    && self.slice(&before.choice_text, a.text)
                        == self.slice(&self.choice_text, b.text)
            });
        if same && !moved {
            self.events.truncate(n_events);
            self.passage.truncate(n_passage);
        }
        Ok(())
    }
}

/// The caller and the return target of a call once an edit removed some of them
/// (`None`: gone; `resume: None`: the call returns to its caller): for a call a node
/// makes, its `next` as it is now; for a choice's, back at the caller; without the
/// caller, the most recent node of the flow's history `before` the call that still
/// exists (else the flow's start), entered there. `None` when there is nowhere to go.
pub(super) fn repaired_return(
    story: &Story,
    flow: FlowId,
    caller: Option<NodeId>,
    resume: Option<Option<NodeId>>,
    before: &[NodeId],
) -> Option<(NodeId, Option<NodeId>)> {
    match (caller, resume) {
        (Some(caller), None) => Some((caller, None)),
        (caller, Some(Some(to))) => Some((caller.unwrap_or(to), Some(to))),
        (Some(caller), Some(None)) => {
            let entity = story.node_entity(caller)?;
            let world = story.world();
            let node_call = world.get::<NodeCall>(entity).is_some_and(|c| c.0.is_some());
            let next = world.get::<Next>(entity).and_then(|n| n.0);
            Some((caller, if node_call { next } else { None }))
        }
        (None, _) => {
            let to = relocation(story, flow, before)?;
            Some((to, Some(to)))
        }
    }
}

/// Where a flow goes when its node was removed: the most recent node of its history that
/// still exists, else its start.
fn relocation(story: &Story, flow: FlowId, history: &[NodeId]) -> Option<NodeId> {
    history
        .iter()
        .rev()
        .copied()
        .find(|&n| story.node_entity(n).is_some())
        .or_else(|| story.flow_start(flow))
        .or_else(|| story.flow_start(story.main_flow()))
}
