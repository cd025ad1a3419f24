//! Rendering the current node: its text and the choices on display, into buffers the
//! session reuses.

use bevy_ecs::prelude::Entity;

use super::{ChoiceView, ErrorSite, Event, RuntimeError, Session, TextRef};
use crate::expr::EvalError;
use crate::story::components::*;
use crate::story::{ChoiceData, NodeId, Story};

impl Session {
    pub(super) fn push_passage(&mut self) -> TextRef {
        let start = self.passage.len() as u32;
        self.passage.push_str(&self.text);
        TextRef {
            start,
            end: self.passage.len() as u32,
        }
    }

    /// Renders the current node again with the generator state it was first rendered with.
    pub(super) fn show(&mut self, story: &Story) -> Result<(), RuntimeError> {
        let Some(flow) = self.flows.get(self.current) else {
            return Ok(());
        };
        let (flow_id, render_rng) = (flow.id, flow.render_rng);
        let Some(node) = flow.node else {
            return Ok(());
        };
        let entity = story
            .node_entity(node)
            .ok_or_else(|| RuntimeError::MissingNode(story.node_name(node).into()))?;
        let live_rng = std::mem::replace(&mut self.rng, render_rng);
        let result = self.render(story, node, entity, false);
        self.rng = live_rng;
        result?;
        // A node that returns from a call in progress is no ending, like one with `next`.
        let world = story.world();
        let in_call = self
            .flows
            .get(self.current)
            .is_some_and(|f| !f.calls.is_empty());
        let passes_on = world.get::<Next>(entity).is_some_and(|n| n.0.is_some())
            || (in_call && world.get::<Return>(entity).is_some_and(|r| r.0));
        self.ended = self.choices.is_empty()
            && !passes_on
            && self.available_fallback(story, node, entity)?.is_none();
        let text = self.push_passage();
        self.events.push(Event::NodeShown {
            flow: flow_id,
            node,
            text,
        });
        Ok(())
    }

    /// The template a text shows in the session's language: its translation, else the
    /// text as written.
    fn template_of<'s>(&self, story: &'s Story, text: &'s Text) -> &'s crate::expr::Template {
        self.config
            .locale
            .as_deref()
            .and_then(|locale| story.translated(locale, &text.line))
            .unwrap_or(&text.template)
    }

    pub(super) fn eval_error(
        story: &Story,
        node: NodeId,
        site: ErrorSite,
        what: impl Into<String>,
        e: EvalError,
    ) -> RuntimeError {
        let mut what = what.into();
        if let Some(function) = e.function() {
            what = format!("{what}, function `{}`", story.function_name(function));
        }
        RuntimeError::Eval {
            node: story.node_name(node).into(),
            what,
            site,
            source: e,
        }
    }

    /// Renders a node's text and its displayed choices into the session's buffers. At an
    /// `entry` of the node, the showings of its variations count.
    pub(super) fn render(
        &mut self,
        story: &Story,
        node: NodeId,
        entity: Entity,
        entry: bool,
    ) -> Result<(), RuntimeError> {
        let world = story.world();
        self.text.clear();
        self.choices.clear();
        self.choice_text.clear();
        self.ended = false;
        if let Some(text) = world.get::<Text>(entity) {
            let mut out = std::mem::take(&mut self.text);
            let template = self.template_of(story, text);
            let r = template.render(&mut self.text_state(story, (node, None), entry), &mut out);
            self.text = out;
            r.map_err(|e| Self::eval_error(story, node, ErrorSite::Text, "text", e))?;
        }
        let Some(choices) = world.get::<Choices>(entity) else {
            return Ok(());
        };
        for (index, c) in choices.0.iter().enumerate() {
            if c.flags.fallback || !self.is_available(story, node, c)? {
                continue;
            }
            let id = c.choice.id;
            let start = self.choice_text.len() as u32;
            let mut out = std::mem::take(&mut self.choice_text);
            let template = self.template_of(story, &c.text);
            let mut state = self.text_state(story, (node, Some(id)), entry);
            let r = template.render(&mut state, &mut out);
            self.choice_text = out;
            r.map_err(|e| {
                Self::eval_error(
                    story,
                    node,
                    ErrorSite::ChoiceText(id),
                    format!("text of choice `{}`", story.choice_name(id)),
                    e,
                )
            })?;
            self.choices.push(ChoiceView {
                index: index as u32,
                id,
                text: TextRef {
                    start,
                    end: self.choice_text.len() as u32,
                },
            });
        }
        Ok(())
    }

    fn is_available(
        &mut self,
        story: &Story,
        node: NodeId,
        c: &ChoiceData,
    ) -> Result<bool, RuntimeError> {
        let id = c.choice.id;
        if c.flags.once && self.chosen.contains(&(node, id)) {
            return Ok(false);
        }
        match c.condition.0.as_deref() {
            Some((source, cond)) => {
                let _span = tracing::trace_span!("eval").entered();
                let held = cond.eval_bool(&mut self.state(story)).map_err(|e| {
                    let site = ErrorSite::Condition(id);
                    Self::eval_error(story, node, site, format!("condition `{source}`"), e)
                })?;
                self.conditions.push((node, id, held));
                Ok(held)
            }
            None => Ok(true),
        }
    }

    /// The first fallback choice of the node (entity `entity`) that is available, as its
    /// position in the node's list.
    pub(super) fn available_fallback(
        &mut self,
        story: &Story,
        node: NodeId,
        entity: Entity,
    ) -> Result<Option<u32>, RuntimeError> {
        let Some(choices) = story.world().get::<Choices>(entity) else {
            return Ok(None);
        };
        for (index, c) in choices.0.iter().enumerate() {
            if c.flags.fallback && self.is_available(story, node, c)? {
                return Ok(Some(index as u32));
            }
        }
        Ok(None)
    }
}
