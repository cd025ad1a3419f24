//! The undo log: each step is a list of reversible changes.
//!
//! A step records only what it changed (a variable's old and new value, a visit, an entry
//! into a node), so undo and redo cost as much as the step did, not the size of the story.
//! Step buffers are recycled, so a long game does not allocate once the log is full.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

use super::rng::Rng;
use super::{Frame, VariationKey};
use crate::story::{ChoiceId, NodeId, VarId};
use crate::value::Value;

/// One reversible change of session state.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Change {
    /// A variable's value changed.
    Var {
        var: VarId,
        old: Option<Value>,
        new: Option<Value>,
    },
    /// A node's visit count went up by one, and the turn of its last entry moved (kept
    /// as the turn plus one; 0: never entered).
    Visit { node: NodeId, old: u64, new: u64 },
    /// A flow entered a node: its position moved and the node joined its history.
    Enter {
        flow: usize,
        old: Option<NodeId>,
        new: NodeId,
    },
    /// The generator state used to render a flow's current node changed.
    RenderRng { flow: usize, old: Rng, new: Rng },
    /// A choice was chosen for the first time.
    Chosen { key: (NodeId, ChoiceId) },
    /// The turn count went up by one.
    Turn,
    /// The random generator moved.
    Rng { old: Rng, new: Rng },
    /// The current flow changed.
    Current { old: usize, new: usize },
    /// A variation was shown at an entry: its count of showings went up from `old`.
    Variation { key: VariationKey, old: u32 },
    /// A flow made a call: the frame was pushed on its call stack.
    Call { flow: usize, frame: Frame },
    /// A call returned: the frame was popped off the flow's call stack.
    Return { flow: usize, frame: Frame },
    /// A flow went back to its caller after a call returned: its position moved without
    /// an entry (no history, no visit).
    Resume {
        flow: usize,
        old: Option<NodeId>,
        new: NodeId,
    },
}

/// Undo and redo stacks of steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct UndoLog {
    pub(crate) undo: VecDeque<Vec<Change>>,
    pub(crate) redo: Vec<Vec<Change>>,
    spare: Vec<Vec<Change>>,
}

impl UndoLog {
    /// An empty step buffer, recycled where possible.
    pub(crate) fn fresh(&mut self) -> Vec<Change> {
        let mut v = self.spare.pop().unwrap_or_default();
        v.clear();
        v
    }

    /// Returns a buffer for reuse.
    pub(crate) fn recycle(&mut self, mut step: Vec<Change>) {
        step.clear();
        self.spare.push(step);
    }

    /// Forgets every step, keeping their buffers for reuse.
    pub(crate) fn clear(&mut self) {
        while let Some(step) = self.undo.pop_back() {
            self.recycle(step);
        }
        while let Some(step) = self.redo.pop() {
            self.recycle(step);
        }
    }

    /// Every step, undoable and redoable.
    fn steps_mut(&mut self) -> impl Iterator<Item = &mut Vec<Change>> {
        self.undo.iter_mut().chain(self.redo.iter_mut())
    }

    /// Drops the changes of variables that a reload removed or reset, so that undo never
    /// brings back a value of a type the variable no longer has.
    pub(crate) fn forget_vars(&mut self, vars: &[VarId]) {
        for step in self.steps_mut() {
            step.retain(|c| !matches!(c, Change::Var { var, .. } if vars.contains(var)));
        }
    }

    /// Follows a choice to its new id.
    pub(crate) fn rename_choice(&mut self, node: NodeId, old: ChoiceId, new: ChoiceId) {
        for step in self.steps_mut() {
            for change in step.iter_mut() {
                match change {
                    Change::Chosen { key } if *key == (node, old) => *key = (node, new),
                    Change::Variation { key, .. }
                        if key.node == node && key.choice == Some(old) =>
                    {
                        key.choice = Some(new);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Puts `new` in the place of the call `old` of flow `flow` in every step, after a
    /// reload gave the call a new return target.
    pub(crate) fn replace_frame(&mut self, flow: usize, old: Frame, new: Frame) {
        for step in self.steps_mut() {
            for change in step.iter_mut() {
                if let Change::Call { flow: f, frame } | Change::Return { flow: f, frame } = change
                    && *f == flow
                    && *frame == old
                {
                    *frame = new;
                }
            }
        }
    }

    /// Commits a new step: it becomes undoable and the redo stack is dropped.
    pub(crate) fn commit(&mut self, step: Vec<Change>, limit: usize) {
        while let Some(s) = self.redo.pop() {
            self.recycle(s);
        }
        self.undo.push_back(step);
        while self.undo.len() > limit {
            if let Some(s) = self.undo.pop_front() {
                self.recycle(s);
            }
        }
    }
}

/// The parts of session state that changes apply to.
pub(crate) struct Target<'a> {
    pub(crate) vars: &'a mut Vec<Option<Value>>,
    pub(crate) visits: &'a mut Vec<u32>,
    pub(crate) entered: &'a mut Vec<u64>,
    pub(crate) variations: &'a mut FxHashMap<VariationKey, u32>,
    pub(crate) flows: &'a mut [super::FlowState],
    pub(crate) chosen: &'a mut FxHashSet<(NodeId, ChoiceId)>,
    pub(crate) turn: &'a mut u64,
    pub(crate) rng: &'a mut Rng,
    pub(crate) current: &'a mut usize,
}

/// The element at `i`, growing the table when the id was interned after the session
/// started.
pub(crate) use crate::story::grow as slot;

impl Change {
    /// Whether the change can be applied (`forward`) or reverted from the state `t`: the
    /// state is where the change starts, or where it leads. A log read from a save is
    /// checked this way, step by step, before it is trusted.
    pub(crate) fn fits(&self, t: &Target<'_>, forward: bool) -> bool {
        fn pick<T>(forward: bool, old: T, new: T) -> T {
            if forward { old } else { new }
        }
        match self {
            // A host sets variables outside of steps (`Session::set_var`), so a variable's
            // value need not be where the log left it; undo and redo assign, and the
            // values' types are checked apart.
            Change::Var { .. } => true,
            Change::Visit { node, old, new } => {
                let n = t.visits.get(node.index()).copied().unwrap_or(0);
                let entered = t.entered.get(node.index()).copied().unwrap_or(0);
                if forward {
                    n < u32::MAX && entered == *old
                } else {
                    n > 0 && entered == *new
                }
            }
            Change::Enter { flow, old, new } => t.flows.get(*flow).is_some_and(|f| {
                if forward {
                    f.node == *old
                } else {
                    f.node == Some(*new) && f.history.last() == Some(new)
                }
            }),
            Change::RenderRng { flow, old, new } => t
                .flows
                .get(*flow)
                .is_some_and(|f| f.render_rng == *pick(forward, old, new)),
            Change::Chosen { key } => t.chosen.contains(key) != forward,
            Change::Turn => {
                if forward {
                    *t.turn < u64::MAX
                } else {
                    *t.turn > 0
                }
            }
            Change::Rng { old, new } => *t.rng == *pick(forward, old, new),
            Change::Current { old, new } => {
                *t.current == *pick(forward, old, new) && *t.current < t.flows.len()
            }
            Change::Variation { key, old } => {
                let shown = t.variations.get(key).copied().unwrap_or(0);
                shown == if forward { *old } else { old.saturating_add(1) }
            }
            Change::Call { flow, frame } => t
                .flows
                .get(*flow)
                .is_some_and(|f| forward || f.calls.last() == Some(frame)),
            Change::Return { flow, frame } => t
                .flows
                .get(*flow)
                .is_some_and(|f| !forward || f.calls.last() == Some(frame)),
            Change::Resume { flow, old, new } => t
                .flows
                .get(*flow)
                .is_some_and(|f| f.node == if forward { *old } else { Some(*new) }),
        }
    }

    /// Applies the change (redo) or reverts it (undo).
    pub(crate) fn apply(&self, t: &mut Target<'_>, forward: bool) {
        match self {
            Change::Var { var, old, new } => {
                *slot(t.vars, var.index()) = if forward { new.clone() } else { old.clone() };
            }
            Change::Visit { node, old, new } => {
                let v = slot(t.visits, node.index());
                *v = if forward {
                    v.saturating_add(1)
                } else {
                    v.saturating_sub(1)
                };
                *slot(t.entered, node.index()) = if forward { *new } else { *old };
            }
            Change::Enter { flow, old, new } => {
                if let Some(f) = t.flows.get_mut(*flow) {
                    if forward {
                        f.node = Some(*new);
                        f.history.push(*new);
                    } else {
                        f.node = *old;
                        f.history.pop();
                    }
                }
            }
            Change::RenderRng { flow, old, new } => {
                if let Some(f) = t.flows.get_mut(*flow) {
                    f.render_rng = if forward { *new } else { *old };
                }
            }
            Change::Chosen { key } => {
                if forward {
                    t.chosen.insert(*key);
                } else {
                    t.chosen.remove(key);
                }
            }
            Change::Turn => {
                *t.turn = if forward {
                    t.turn.saturating_add(1)
                } else {
                    t.turn.saturating_sub(1)
                };
            }
            Change::Rng { old, new } => *t.rng = if forward { *new } else { *old },
            Change::Current { old, new } => *t.current = if forward { *new } else { *old },
            Change::Variation { key, old } => {
                t.variations
                    .insert(*key, if forward { old.saturating_add(1) } else { *old });
            }
            Change::Call { flow, frame } | Change::Return { flow, frame } => {
                if let Some(f) = t.flows.get_mut(*flow) {
                    if forward == matches!(self, Change::Call { .. }) {
                        f.calls.push(*frame);
                    } else {
                        f.calls.pop();
                    }
                }
            }
            Change::Resume { flow, old, new } => {
                if let Some(f) = t.flows.get_mut(*flow) {
                    f.node = if forward { Some(*new) } else { *old };
                }
            }
        }
    }
}
