//! Events a game owns: the last call's [`Event`]s with their text, names, tags and
//! values copied out, `Send + 'static`, for a channel, an engine's messages or a log.
//!
//! Stepping itself allocates nothing: its events point into the session's buffers.
//! A game that wants owned events asks for them after the call
//! ([`Session::owned_events`]), and pays for the copies then.

use std::sync::Arc;

use super::{Event, Session};
use crate::story::Story;
use crate::story::components::Text;
use crate::value::Value;

/// A name or a text shared cheaply: cloning it bumps a count.
pub type Shared = Arc<str>;

/// A text's line id, shared with the story (no copy); empty for no text.
fn line_of(text: Option<&Text>) -> Shared {
    text.map_or_else(|| Arc::from(""), |t| Arc::clone(&t.line))
}

/// One thing that happened, owned. Nodes, choices, flows and variables are named as the
/// story names them (the ids saves use).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StoryEvent {
    /// A node's text to show: the node was entered (`entered`), or is shown again (after
    /// a call returned to it, an undo, a reload that changed it).
    Line {
        /// The flow.
        flow: Shared,
        /// The node.
        node: Shared,
        /// The text's line id: the key of its translations and of its voice-over file.
        line: Shared,
        /// Its rendered text.
        text: Shared,
        /// The node's tags.
        tags: Arc<[Shared]>,
        /// Whether the node was entered (else shown again).
        entered: bool,
    },
    /// The choices the player has now, after the call's last line.
    Options {
        /// The node they belong to.
        node: Shared,
        /// The choices, in display order.
        options: Vec<StoryOption>,
    },
    /// A choice was taken.
    ChoiceMade {
        /// The node it belongs to.
        node: Shared,
        /// Its stable id.
        choice: Shared,
        /// Its text as it was displayed (empty for a fallback, which is not displayed).
        text: Shared,
        /// Its tags.
        tags: Arc<[Shared]>,
        /// Whether it was a fallback taken automatically.
        fallback: bool,
    },
    /// A command for the game, with its arguments' values.
    Command {
        /// The command's name.
        name: Shared,
        /// Its arguments.
        args: Vec<Value>,
    },
    /// A variable changed value.
    VariableChanged {
        /// The variable.
        name: Shared,
        /// Its value before.
        old: Value,
        /// Its value now.
        new: Value,
    },
    /// A reload changed a variable's type, and it was reset.
    VariableReset {
        /// The variable.
        name: Shared,
        /// Its value before, of the old type.
        old: Option<Value>,
        /// Its new initial value.
        new: Value,
    },
    /// The current flow changed.
    FlowSwitched {
        /// The flow left.
        from: Shared,
        /// The flow now current.
        to: Shared,
    },
    /// A reload removed the node a flow was at; it moved (see
    /// [`Event::Relocated`]).
    Relocated {
        /// The flow.
        flow: Shared,
        /// The removed node.
        from: Shared,
        /// Where the flow is now.
        to: Shared,
    },
    /// A reload removed where a call was to return; it returns elsewhere (see
    /// [`Event::ReturnRelocated`]).
    ReturnRelocated {
        /// The flow.
        flow: Shared,
        /// The removed node.
        from: Shared,
        /// Where the call returns now.
        to: Shared,
    },
    /// The flow ended.
    Ended {
        /// The flow.
        flow: Shared,
        /// The ending node.
        node: Shared,
    },
}

/// A choice on display, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryOption {
    /// Its index, for [`Session::choose`].
    pub index: usize,
    /// Its stable id.
    pub id: Shared,
    /// Its text's line id.
    pub line: Shared,
    /// Its rendered text.
    pub text: Shared,
    /// Its tags.
    pub tags: Arc<[Shared]>,
}

/// The empty tag list, allocated once.
fn no_tags() -> Arc<[Shared]> {
    static EMPTY: std::sync::OnceLock<Arc<[Shared]>> = std::sync::OnceLock::new();
    Arc::clone(EMPTY.get_or_init(|| Arc::from(Vec::new())))
}

impl Session {
    /// The last call's events, owned (see [`StoryEvent`]), followed by the choices on
    /// display ([`StoryEvent::Options`]) when the flow goes on. This allocates (the texts,
    /// the tag lists, the arguments); stepping without it does not.
    pub fn owned_events(&self, story: &Story) -> Vec<StoryEvent> {
        let mut out = Vec::with_capacity(self.events.len() + 1);
        self.owned_events_into(story, &mut out);
        out
    }

    /// As [`Session::owned_events`], appended to `out`.
    pub fn owned_events_into(&self, story: &Story, out: &mut Vec<StoryEvent>) {
        let names = story.names();
        let node_name = |n| names.nodes.name_arc(n);
        let flow_name = |f| names.flows.name_arc(f);
        let var_name = |v| names.vars.name_arc(v);
        // Most nodes and choices have no tags: they share one empty list.
        let empty = no_tags();
        let tags = |t: &[Arc<str>]| -> Arc<[Shared]> {
            if t.is_empty() {
                Arc::clone(&empty)
            } else {
                t.iter().cloned().collect()
            }
        };
        for event in &self.events {
            out.push(match event {
                Event::NodeEntered { flow, node, text } | Event::NodeShown { flow, node, text } => {
                    StoryEvent::Line {
                        flow: flow_name(*flow),
                        node: node_name(*node),
                        line: line_of(story.node(*node).and_then(|n| n.get::<Text>())),
                        text: self.passage(*text).into(),
                        tags: tags(story.node_tags(*node)),
                        entered: matches!(event, Event::NodeEntered { .. }),
                    }
                }
                Event::ChoiceMade {
                    node,
                    choice,
                    text,
                    fallback,
                    ..
                } => StoryEvent::ChoiceMade {
                    node: node_name(*node),
                    choice: names.choices.name_arc(*choice),
                    text: self.passage(*text).into(),
                    tags: tags(story.choice_tags(*node, *choice)),
                    fallback: *fallback,
                },
                Event::Command { command, args } => StoryEvent::Command {
                    name: names.commands.name_arc(*command),
                    args: self.command_args(*args).to_vec(),
                },
                Event::VariableChanged { var, old, new } => StoryEvent::VariableChanged {
                    name: var_name(*var),
                    old: old.clone(),
                    new: new.clone(),
                },
                Event::VariableReset { var, old, new } => StoryEvent::VariableReset {
                    name: var_name(*var),
                    old: old.clone(),
                    new: new.clone(),
                },
                Event::FlowSwitched { from, to } => StoryEvent::FlowSwitched {
                    from: flow_name(*from),
                    to: flow_name(*to),
                },
                Event::Relocated { flow, from, to } => StoryEvent::Relocated {
                    flow: flow_name(*flow),
                    from: node_name(*from),
                    to: node_name(*to),
                },
                Event::ReturnRelocated { flow, from, to } => StoryEvent::ReturnRelocated {
                    flow: flow_name(*flow),
                    from: node_name(*from),
                    to: node_name(*to),
                },
                Event::StoryEnded { flow, node } => StoryEvent::Ended {
                    flow: flow_name(*flow),
                    node: node_name(*node),
                },
            });
        }
        // The options follow a line of their node: a call that showed nothing (a catch-up
        // that changed nothing visible) repeats no options.
        let shown = self.events.iter().any(|e| {
            matches!(e, Event::NodeEntered { node, .. } | Event::NodeShown { node, .. }
                if Some(*node) == self.current_node())
        });
        if let (true, false, Some(node)) = (
            shown,
            self.ended || self.choices.is_empty(),
            self.current_node(),
        ) {
            let options = self
                .choices()
                .enumerate()
                .map(|(index, (view, text))| StoryOption {
                    index,
                    id: names.choices.name_arc(view.id),
                    line: line_of(story.choice(node, view.id).map(|c| &c.text)),
                    text: text.into(),
                    tags: tags(story.choice_tags(node, view.id)),
                })
                .collect();
            out.push(StoryEvent::Options {
                node: node_name(node),
                options,
            });
        }
    }
}
