//! What a session reports after each call: returned values, not callbacks.

use crate::story::{ChoiceId, CommandId, FlowId, NodeId, VarId};
use crate::value::Value;

/// A range of the session's passage buffer holding rendered text; valid until the next
/// call that changes the session. Read it with [`crate::Session::passage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextRef {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// A range of the session's buffer of command arguments; valid until the next call that
/// changes the session. Read it with [`crate::Session::command_args`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgsRef {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// Something that happened during a call to the session.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A flow was entered, at `node`, with its rendered text.
    NodeEntered {
        /// The flow.
        flow: FlowId,
        /// The node entered.
        node: NodeId,
        /// The node's rendered text.
        text: TextRef,
    },
    /// The current node is shown again without being entered: after undo, redo, switching
    /// back to a flow, or a reload that changed it.
    NodeShown {
        /// The flow.
        flow: FlowId,
        /// The current node.
        node: NodeId,
        /// The node's rendered text.
        text: TextRef,
    },
    /// A choice was taken.
    ChoiceMade {
        /// The flow.
        flow: FlowId,
        /// The node the choice belongs to.
        node: NodeId,
        /// The choice's stable id.
        choice: ChoiceId,
        /// The choice's text as it was displayed (empty for a fallback, which is not).
        text: TextRef,
        /// Whether it was a fallback taken automatically.
        fallback: bool,
    },
    /// A command the story declares ran (in an effect list, in order with the step's
    /// other events): the game acts on it. Undo and redo do not run commands again.
    Command {
        /// The command.
        command: CommandId,
        /// Its arguments' values (see [`crate::Session::command_args`]).
        args: ArgsRef,
    },
    /// A variable changed value through an effect.
    VariableChanged {
        /// The variable.
        var: VarId,
        /// Its value before.
        old: Value,
        /// Its value now.
        new: Value,
    },
    /// The current flow changed.
    FlowSwitched {
        /// The flow left.
        from: FlowId,
        /// The flow now current.
        to: FlowId,
    },
    /// A reload removed the node a flow was at, and the flow moved to the most recent node
    /// of its history that still exists, else to its start. The move is not an entry: no
    /// visit is counted and no effect runs.
    Relocated {
        /// The flow.
        flow: FlowId,
        /// The removed node.
        from: NodeId,
        /// The node the flow is at now.
        to: NodeId,
    },
    /// A reload removed the node a call in progress was to return to, and the return
    /// goes to the most recent node of the flow's history before the call that still
    /// exists, else to the flow's start.
    ReturnRelocated {
        /// The flow.
        flow: FlowId,
        /// The removed node.
        from: NodeId,
        /// Where the return goes now.
        to: NodeId,
    },
    /// A reload changed a variable's type, and the session reset it to the new initial
    /// value.
    VariableReset {
        /// The variable.
        var: VarId,
        /// Its value before, of the old type.
        old: Option<Value>,
        /// The new initial value.
        new: Value,
    },
    /// The flow reached a node with no choice and no `next`.
    StoryEnded {
        /// The flow.
        flow: FlowId,
        /// The ending node.
        node: NodeId,
    },
}
