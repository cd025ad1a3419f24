//! The bevy_ecs components a loaded story is made of.
//!
//! Each node, asset, flow and variable is an entity. Every field of theirs that a live edit
//! can change is a component of its own, so that a patch writes exactly the components it
//! changes and bevy_ecs change detection (`Ref::is_changed`, `Changed<T>`) shows what it
//! touched. A node's choices are one component, [`Choices`]: the records a step reads,
//! side by side in display order (a patch that changes any of them writes the list).

use std::path::PathBuf;
use std::sync::Arc;

use bevy_ecs::prelude::Component;
use serde::Deserialize;

use super::{AssetId, ChoiceData, ChoiceId, FlowId, NodeId, VarId};
use crate::expr::{Action, Expr, Template};
use crate::value::Value;

/// Identity of a node entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's stable id.
    pub id: NodeId,
}

/// Story text, kept as written and compiled (the template keeps it as written: its
/// literal runs are ranges of it).
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Text {
    /// The text's line id: the key of its translations and voice-over (see the story
    /// format's localization).
    pub line: Arc<str>,
    /// The compiled text.
    pub template: Template,
}

impl Text {
    /// The text as written, `{expr}` included.
    pub fn source(&self) -> &str {
        self.template.source()
    }
}

/// A node's choices, in display order.
#[derive(Component, Clone, Debug, PartialEq, Default)]
pub struct Choices(pub Vec<ChoiceData>);

/// Where a node advances to by itself when no choice is available.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Next(pub Option<NodeId>);

/// A node a node calls when no choice is available, going on at its `next` on return.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NodeCall(pub Option<NodeId>);

/// Whether reaching a node with no choice available returns from the innermost call.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Return(pub bool);

/// Effects with their source text, side by side in one list.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Effects(Box<[(Box<str>, Action)]>);

impl Effects {
    /// Effects in order, each as written and compiled.
    pub fn new(effects: Vec<(Box<str>, Action)>) -> Effects {
        Effects(effects.into_boxed_slice())
    }

    /// The effects in order, each as written and compiled.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Action)> {
        self.0.iter().map(|(source, action)| (&**source, action))
    }

    /// The compiled effects in order.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = &Action> {
        self.0.iter().map(|(_, action)| action)
    }

    /// The effects as written, in order.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.iter().map(|(source, _)| &**source)
    }
}

/// Effects run every time a node is entered.
#[derive(Component, Clone, Debug, PartialEq, Default)]
pub struct OnEnter(pub Effects);

/// Tags of a node or choice.
#[derive(Component, Clone, Debug, PartialEq, Eq, Default)]
pub struct Tags(pub Box<[Arc<str>]>);

/// Assets a node uses.
#[derive(Component, Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeAssets(pub Box<[AssetId]>);

/// Identity of a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The node the choice belongs to.
    pub node: NodeId,
    /// The choice's stable id within its node.
    pub id: ChoiceId,
    /// Whether the id was written in the story (else derived).
    pub explicit_id: bool,
}

/// Where a choice leads: a node it goes `to`, or a node it `call`s first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `to`: the node entered next.
    To(NodeId),
    /// `call` (with `to` or without): the node called, and where play goes on when the
    /// call returns (`None`: back at the choice's node, shown again).
    Call {
        /// The node called.
        call: NodeId,
        /// Where play goes on after the return.
        then: Option<NodeId>,
    },
}

impl Target {
    /// The node a choice is named after when it has no explicit id: its `to`, else its
    /// `call`.
    pub fn named(self) -> NodeId {
        match self {
            Target::To(to) | Target::Call { then: Some(to), .. } => to,
            Target::Call { call, then: None } => call,
        }
    }

    /// The nodes the choice leads to: the call first.
    pub fn nodes(self) -> impl Iterator<Item = NodeId> {
        let (a, b) = match self {
            Target::To(to) => (Some(to), None),
            Target::Call { call, then } => (Some(call), then),
        };
        a.into_iter().chain(b)
    }
}

/// When a choice is available: the condition as written and compiled (boxed: most
/// choices have none).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Condition(pub Option<Box<(Arc<str>, Expr)>>);

/// Effects run when a choice is chosen, before its target is entered.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChoiceEffects(pub Effects);

/// How a choice is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChoiceFlags {
    /// Hidden after it was chosen once.
    pub once: bool,
    /// Never displayed; taken when no other choice is available.
    pub fallback: bool,
}

/// The kind of an asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub enum AssetKind {
    /// Text.
    Text,
    /// An image.
    Image,
    /// Sound.
    Audio,
    /// Anything else.
    Other,
}

/// Identity of an asset entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The asset's stable id.
    pub id: AssetId,
}

/// Where an asset's file is and what it holds.
#[derive(Component, Clone, Debug, PartialEq, Eq)]
pub struct AssetSource {
    /// Path relative to the story directory.
    pub path: PathBuf,
    /// What the file holds.
    pub kind: AssetKind,
}

/// Identity of a flow entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The flow's stable id.
    pub id: FlowId,
}

/// The node a flow starts at.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowStart(pub NodeId);

/// Identity of a variable entity.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The variable's stable id.
    pub id: VarId,
}

/// A variable's declared initial value (its type is the value's type).
#[derive(Component, Clone, Debug, PartialEq)]
pub struct Initial(pub Value);
