//! Saves: a session as a versioned RON document keyed by stable names, and its restore
//! against a story that may have been edited since.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::undo::Change;
use super::{FlowState, Frame, Rng, RuntimeError, Session, SessionConfig};
use crate::story::{FlowId, NodeId, Story};
use crate::value::Value;

/// The save format version this build writes and reads.
pub const SAVE_VERSION: u32 = 1;

/// A saved session. Everything is keyed by names, never by positions, so a save survives
/// edits to the story.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Save", deny_unknown_fields)]
pub struct SaveData {
    /// The save format version.
    pub version: u32,
    /// The story's save identity.
    pub story: String,
    /// The seed the session started with.
    pub seed: u64,
    /// The generator's state.
    pub rng: u64,
    /// Choices made.
    pub turn: u64,
    /// The current flow.
    pub current_flow: String,
    /// Every started flow.
    pub flows: Vec<SavedFlow>,
    /// Variable values.
    pub variables: BTreeMap<String, Value>,
    /// Visit counts of visited nodes.
    pub visits: BTreeMap<String, u32>,
    /// The turn each visited node was last entered at (for `turns_since`; a save without
    /// it reads as nodes never entered).
    #[serde(default)]
    pub entered: BTreeMap<String, u64>,
    /// How often each variation of a text was shown (a save without them reads as never).
    #[serde(default)]
    pub variations: Vec<SavedVariation>,
    /// Choices ever chosen, as (node, choice id).
    pub chosen: Vec<(String, String)>,
    /// Undoable steps, oldest first.
    pub undo: Vec<Vec<SavedChange>>,
    /// Redoable steps, in stack order.
    pub redo: Vec<Vec<SavedChange>>,
}

/// A variation of a story text and how often it was shown, by names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedVariation {
    /// The node whose text holds it.
    pub node: String,
    /// The choice whose text holds it (`None`: the node's own text).
    pub choice: Option<String>,
    /// Its number in the order the text writes its variations, from 0.
    pub ordinal: u16,
    /// How often it was shown at an entry.
    pub shown: u32,
}

/// A saved flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFlow {
    /// The flow's name.
    pub name: String,
    /// Its current node.
    pub node: Option<String>,
    /// The nodes it entered, oldest first.
    pub history: Vec<String>,
    /// The generator state its current node was rendered with.
    pub render_rng: u64,
    /// Calls in progress, outermost first (a save without them reads as none).
    #[serde(default)]
    pub calls: Vec<SavedFrame>,
}

/// A call in progress, by names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFrame {
    /// The node that called.
    pub caller: String,
    /// Where play goes on at the return (`None`: back at the caller).
    pub resume: Option<String>,
    /// The generator state the caller was rendered with.
    pub render_rng: u64,
    /// The length of the flow's history when the call was made.
    pub history_len: usize,
}

/// A saved undo-log change (see the runtime's undo module), by names: what undoing a step
/// puts back. Each `old` is the value before the step, each `new` the value after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SavedChange {
    /// A variable changed (`None`: it had no value).
    Var {
        /// The variable's name.
        var: String,
        /// Its value before.
        old: Option<Value>,
        /// Its value after.
        new: Option<Value>,
    },
    /// A node was visited once more.
    Visit {
        /// The node's name.
        node: String,
        /// The turn it was last entered at before (`None`: never).
        #[serde(default)]
        entered_before: Option<u64>,
        /// The turn of this entry.
        #[serde(default)]
        entered: Option<u64>,
    },
    /// A flow's position moved to another node (`None`: it was at no node).
    Enter {
        /// The flow's name.
        flow: String,
        /// The node before.
        old: Option<String>,
        /// The node after.
        new: String,
    },
    /// A flow's text-variation generator advanced.
    RenderRng {
        /// The flow's name.
        flow: String,
        /// Its state before.
        old: u64,
        /// Its state after.
        new: u64,
    },
    /// A choice was taken for the first time.
    Chosen {
        /// The node the choice belongs to.
        node: String,
        /// The choice's name.
        choice: String,
    },
    /// The turn counter advanced.
    Turn,
    /// The story's random generator advanced.
    Rng {
        /// Its state before.
        old: u64,
        /// Its state after.
        new: u64,
    },
    /// The current flow changed.
    Current {
        /// The flow before.
        old: String,
        /// The flow after.
        new: String,
    },
    /// A variation was shown at an entry: its count went up from `old`.
    Variation {
        /// The node whose text holds it.
        node: String,
        /// The choice whose text holds it (`None`: the node's own text).
        choice: Option<String>,
        /// Its number in its text.
        ordinal: u16,
        /// Its count before.
        old: u32,
    },
    /// A flow made a call.
    Call {
        /// The flow's name.
        flow: String,
        /// The call.
        frame: SavedFrame,
    },
    /// A call returned.
    Return {
        /// The flow's name.
        flow: String,
        /// The call.
        frame: SavedFrame,
    },
    /// A flow went back to its caller after a return, without an entry.
    Resume {
        /// The flow's name.
        flow: String,
        /// The node before.
        old: Option<String>,
        /// The caller.
        new: String,
    },
}

/// Why a save could not be written, read or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The save could not be written as RON text (not expected of plain data; reported,
    /// not hidden, if it ever happens).
    #[error("the save could not be written as RON: {0}")]
    Serialize(ron::Error),
    /// The text is not a valid save document.
    #[error("{line}:{col}: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
    /// The save was written by a format version this build does not read.
    #[error("save format version {0} is not supported (this build reads version {SAVE_VERSION})")]
    UnsupportedVersion(u32),
    /// The save belongs to another story.
    #[error("this save belongs to story `{saved}`, not `{loaded}`")]
    DifferentStory {
        /// The save's story.
        saved: String,
        /// The loaded story.
        loaded: String,
    },
    /// The restored node could not be rendered.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl SaveData {
    /// The save as pretty RON text.
    ///
    /// # Errors
    /// [`SaveError::Serialize`] if ron cannot write it.
    pub fn to_ron(&self) -> Result<String, SaveError> {
        let config = ron::ser::PrettyConfig::new().depth_limit(3);
        ron::ser::to_string_pretty(self, config).map_err(SaveError::Serialize)
    }

    /// Reads a save from RON text.
    ///
    /// # Errors
    /// [`SaveError::Parse`] with the line and column of the problem, or
    /// [`SaveError::UnsupportedVersion`].
    pub fn from_ron(text: &str) -> Result<SaveData, SaveError> {
        let data: SaveData = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .map_err(|e| SaveError::Parse {
                line: e.span.start.line,
                col: e.span.start.col,
                message: e.code.to_string(),
            })?;
        if data.version != SAVE_VERSION {
            return Err(SaveError::UnsupportedVersion(data.version));
        }
        Ok(data)
    }
}

impl Session {
    /// The session as save data.
    pub fn save(&self, story: &Story) -> SaveData {
        let names = story.names();
        let node = |n: NodeId| names.nodes.name(n).to_owned();
        let saved = |c: &Change| self.saved_change(names, c);
        let mut chosen: Vec<(String, String)> = self
            .chosen
            .iter()
            .map(|(n, c)| (node(*n), names.choices.name(*c).to_owned()))
            .collect();
        chosen.sort();
        SaveData {
            version: SAVE_VERSION,
            story: story.save_id().to_owned(),
            seed: self.config.seed,
            rng: self.rng.state(),
            turn: self.turn,
            current_flow: names.flows.name(self.current_flow()).to_owned(),
            flows: self
                .flows
                .iter()
                .map(|f| SavedFlow {
                    name: names.flows.name(f.id).to_owned(),
                    node: f.node.map(node),
                    history: f.history.iter().map(|&n| node(n)).collect(),
                    render_rng: f.render_rng.state(),
                    calls: f.calls.iter().map(|c| saved_frame(names, c)).collect(),
                })
                .collect(),
            variables: story
                .var_ids()
                .iter()
                .filter_map(|&v| Some((names.vars.name(v).to_owned(), self.var(v)?.clone())))
                .collect(),
            visits: by_node_name(names, &self.visits, |&n| (n > 0).then_some(n)),
            entered: by_node_name(names, &self.entered, |e| e.checked_sub(1)),
            variations: {
                let mut saved: Vec<SavedVariation> = self
                    .variations
                    .iter()
                    .filter(|&(_, &shown)| shown > 0)
                    .map(|(key, &shown)| SavedVariation {
                        node: node(key.node),
                        choice: key.choice.map(|c| names.choices.name(c).to_owned()),
                        ordinal: key.ordinal,
                        shown,
                    })
                    .collect();
                saved.sort_by(|a, b| {
                    (&a.node, &a.choice, a.ordinal).cmp(&(&b.node, &b.choice, b.ordinal))
                });
                saved
            },
            chosen,
            undo: self
                .log
                .undo
                .iter()
                .map(|s| s.iter().map(saved).collect())
                .collect(),
            redo: self
                .log
                .redo
                .iter()
                .map(|s| s.iter().map(saved).collect())
                .collect(),
        }
    }

    /// An undo-log change by names, flows named by this session's flow table.
    fn saved_change(&self, names: &crate::story::Names, c: &Change) -> SavedChange {
        let node = |n: NodeId| names.nodes.name(n).to_owned();
        let flow_name = |i: usize| {
            self.flows
                .get(i)
                .map_or_else(String::new, |f| names.flows.name(f.id).to_owned())
        };
        match c {
            Change::Var { var, old, new } => SavedChange::Var {
                var: names.vars.name(*var).to_owned(),
                old: old.clone(),
                new: new.clone(),
            },
            Change::Visit { node: n, old, new } => SavedChange::Visit {
                node: node(*n),
                entered_before: old.checked_sub(1),
                entered: new.checked_sub(1),
            },
            Change::Enter { flow, old, new } => SavedChange::Enter {
                flow: flow_name(*flow),
                old: old.map(node),
                new: node(*new),
            },
            Change::RenderRng { flow, old, new } => SavedChange::RenderRng {
                flow: flow_name(*flow),
                old: old.state(),
                new: new.state(),
            },
            Change::Chosen { key } => SavedChange::Chosen {
                node: node(key.0),
                choice: names.choices.name(key.1).to_owned(),
            },
            Change::Turn => SavedChange::Turn,
            Change::Rng { old, new } => SavedChange::Rng {
                old: old.state(),
                new: new.state(),
            },
            Change::Current { old, new } => SavedChange::Current {
                old: flow_name(*old),
                new: flow_name(*new),
            },
            Change::Variation { key, old } => SavedChange::Variation {
                node: node(key.node),
                choice: key.choice.map(|c| names.choices.name(c).to_owned()),
                ordinal: key.ordinal,
                old: *old,
            },
            Change::Call { flow, frame } => SavedChange::Call {
                flow: flow_name(*flow),
                frame: saved_frame(names, frame),
            },
            Change::Return { flow, frame } => SavedChange::Return {
                flow: flow_name(*flow),
                frame: saved_frame(names, frame),
            },
            Change::Resume { flow, old, new } => SavedChange::Resume {
                flow: flow_name(*flow),
                old: old.map(node),
                new: node(*new),
            },
        }
    }

    /// Restores a saved session against `story`, which may have been edited since the save:
    /// new variables get their initial value, removed ones are dropped, a variable whose
    /// type changed is reset, and a current node that no longer exists falls back to the
    /// most recent node of its history that still exists (else the flow's start). Each
    /// such migration adds a warning.
    ///
    /// # Errors
    /// A save of another story, or a restored node that fails to render.
    pub fn restore(
        story: &Story,
        save: &SaveData,
        config: SessionConfig,
    ) -> Result<(Session, Vec<String>), SaveError> {
        if save.story != story.save_id() {
            return Err(SaveError::DifferentStory {
                saved: save.story.clone(),
                loaded: story.save_id().to_owned(),
            });
        }
        super::check_functions(story, &config.functions, false)?;
        let mut warnings = Vec::new();
        let mut s = Session::blank(
            story,
            SessionConfig {
                seed: save.seed,
                ..config
            },
        );
        s.rng = Rng::from_state(save.rng);
        s.turn = save.turn;
        s.restore_state(story, save, &mut warnings);
        s.restore_flows(story, save, &mut warnings);
        match (
            restore_steps(story, &s.flows, &save.undo),
            restore_steps(story, &s.flows, &save.redo),
        ) {
            (Some(undo), Some(redo)) if s.history_fits(story, &undo, &redo) => {
                s.log.undo = undo.into();
                s.log.redo = redo;
            }
            (Some(_), Some(_)) => warnings.push(
                "the undo history does not lead to the saved state (a damaged save, or \
                 values of another type); it was cleared"
                    .into(),
            ),
            _ => warnings.push(
                "the undo history refers to parts of the story that changed; it was cleared".into(),
            ),
        }
        s.events.clear();
        s.show(story)?;
        Ok((s, warnings))
    }

    /// Whether undo and redo logs read from a save fit the restored state: every value
    /// has its variable's type and fits the string limit, and undoing each step from the
    /// current state (and redoing each undone one) starts where the step says it ends.
    fn history_fits(&self, story: &Story, undo: &[Vec<Change>], redo: &[Vec<Change>]) -> bool {
        let typed = |var: crate::story::VarId, v: &Option<Value>| {
            v.as_ref().is_some_and(|v| {
                story.var_initial(var).map(Value::ty) == Some(v.ty()) && self.fits_limit(v)
            })
        };
        let values_fit = undo.iter().chain(redo).flatten().all(|c| match c {
            Change::Var { var, old, new } => typed(*var, old) && typed(*var, new),
            _ => true,
        });
        if !values_fit {
            return false;
        }
        // Undo goes back from the newest step; redo forward from the top of its stack.
        self.replays(undo.iter().rev(), false) && self.replays(redo.iter().rev(), true)
    }

    /// Whether `steps`, applied (`forward`) or reverted one after the other from the
    /// current state, each start where the state is.
    fn replays<'c>(&self, steps: impl Iterator<Item = &'c Vec<Change>>, forward: bool) -> bool {
        // Tried on a copy: the session is left as it is.
        let mut copy = self.clone();
        let mut t = copy.undo_target();
        let mut take = |c: &Change| {
            let fits = c.fits(&t, forward);
            c.apply(&mut t, forward);
            fits
        };
        for step in steps {
            let fits = if forward {
                step.iter().all(&mut take)
            } else {
                step.iter().rev().all(&mut take)
            };
            if !fits {
                return false;
            }
        }
        true
    }

    /// Whether a value fits the session's string limit.
    fn fits_limit(&self, v: &Value) -> bool {
        !matches!(v, Value::Str(s) if s.len() > self.config.max_string_len)
    }

    /// Restores variables (those the story still has, with their types), visit counts and
    /// the choices taken.
    fn restore_state(&mut self, story: &Story, save: &SaveData, warnings: &mut Vec<String>) {
        let s = self;
        for (name, value) in &save.variables {
            let Some(var) = story.var_id(name) else {
                warnings.push(format!(
                    "variable `{name}` no longer exists; its value was dropped"
                ));
                continue;
            };
            let initial = story.var_initial(var);
            if initial.map(Value::ty) != Some(value.ty()) {
                warnings.push(format!(
                    "variable `{name}` changed type; it was reset to its initial value"
                ));
            } else if !s.fits_limit(value) {
                warnings.push(format!(
                    "variable `{name}` holds a string longer than the limit of {} bytes; it \
                     was reset to its initial value",
                    s.config.max_string_len
                ));
            } else {
                s.vars[var.index()] = Some(value.clone());
            }
        }
        for (name, &n) in &save.visits {
            if let Some(node) = story.node_id(name) {
                *super::undo::slot(&mut s.visits, node.index()) = n;
            }
        }
        for v in &save.variations {
            if let Some(key) = variation_key(story, &v.node, v.choice.as_deref(), v.ordinal) {
                s.variations.insert(key, v.shown);
            }
        }
        for (name, &turn) in &save.entered {
            if let Some(node) = story.node_id(name) {
                // A turn past the save's own count is clamped to it.
                *super::undo::slot(&mut s.entered, node.index()) =
                    turn.min(save.turn).saturating_add(1);
            }
        }
        for (node, choice) in &save.chosen {
            if let (Some(node), Some(choice)) =
                (story.node_id(node), story.names().choices.lookup(choice))
            {
                s.chosen.insert((node, choice));
            }
        }
    }

    /// Restores each flow the story still has at its node (or, for a node an edit
    /// removed, the most recent one of its history that remains), and the current flow.
    fn restore_flows(&mut self, story: &Story, save: &SaveData, warnings: &mut Vec<String>) {
        let s = self;
        for f in &save.flows {
            let Some(flow) = story.flow_id(&f.name) else {
                warnings.push(format!(
                    "flow `{}` no longer exists; it was dropped",
                    f.name
                ));
                continue;
            };
            let history: Vec<NodeId> = f.history.iter().filter_map(|n| story.node_id(n)).collect();
            let node = match &f.node {
                Some(n) => match story.node_id(n) {
                    Some(id) => Some(id),
                    None => {
                        let fallback = history.last().copied().or_else(|| story.flow_start(flow));
                        let to = fallback.map_or("nothing", |id| story.node_name(id));
                        warnings.push(format!(
                            "node `{n}` of flow `{}` no longer exists; moved to `{to}`",
                            f.name
                        ));
                        fallback
                    }
                },
                None => None,
            };
            let (calls, relocated) = restore_calls(story, flow, &f.calls, &history);
            if relocated {
                warnings.push(format!(
                    "a call in flow `{}` returns to a node that no longer exists; it returns \
                     elsewhere",
                    f.name
                ));
            }
            let calls = if calls.len() <= s.config.max_call_depth {
                calls
            } else {
                warnings.push(format!(
                    "flow `{}` is nested in calls deeper than the limit of {}; its calls were \
                     dropped",
                    f.name, s.config.max_call_depth
                ));
                Vec::new()
            };
            s.flows.push(FlowState {
                id: flow,
                node,
                history,
                render_rng: Rng::from_state(f.render_rng),
                calls,
            });
        }
        if !s.flows.iter().any(|f| f.id == story.main_flow()) {
            warnings.push(format!(
                "the save has no position in flow `{}`; it starts at `{}`",
                crate::MAIN_FLOW,
                story
                    .flow_start(story.main_flow())
                    .map_or("nothing", |n| story.node_name(n))
            ));
            s.flows.insert(
                0,
                FlowState {
                    node: story.flow_start(story.main_flow()),
                    ..FlowState::new(story.main_flow(), Vec::new(), s.rng)
                },
            );
        }
        let current = story
            .flow_id(&save.current_flow)
            .and_then(|id| s.flows.iter().position(|f| f.id == id));
        s.current = current.unwrap_or_else(|| {
            warnings.push(format!(
                "flow `{}` no longer exists; playing `main`",
                save.current_flow
            ));
            0
        });
    }
}

/// A call by names.
fn saved_frame(names: &crate::story::Names, frame: &Frame) -> SavedFrame {
    SavedFrame {
        caller: names.nodes.name(frame.caller).to_owned(),
        resume: frame.resume.map(|n| names.nodes.name(n).to_owned()),
        render_rng: frame.render_rng.state(),
        history_len: frame.history_len,
    }
}

/// A call from names, if the story has its nodes; a history length past the flow's
/// history (`history_len`) is clamped to it.
fn restore_frame(story: &Story, frame: &SavedFrame, history_len: usize) -> Option<Frame> {
    Some(Frame {
        caller: story.node_id(&frame.caller)?,
        resume: match &frame.resume {
            Some(n) => Some(story.node_id(n)?),
            None => None,
        },
        render_rng: Rng::from_state(frame.render_rng),
        history_len: frame.history_len.min(history_len),
    })
}

/// A flow's calls from names, each whose return target the story no longer has given a
/// new one as a reload would (see `repaired_return`), and whether any was.
fn restore_calls(
    story: &Story,
    flow: FlowId,
    calls: &[SavedFrame],
    history: &[NodeId],
) -> (Vec<Frame>, bool) {
    let exists = |name: &str| {
        story
            .node_id(name)
            .filter(|&id| story.node_entity(id).is_some())
    };
    let mut relocated = false;
    let frames = calls
        .iter()
        .filter_map(|c| {
            let history_len = c.history_len.min(history.len());
            let caller = exists(&c.caller);
            let resume = c.resume.as_deref().map(exists);
            relocated |= resume == Some(None) || (caller.is_none() && resume.is_none());
            let (caller, resume) = super::reload::repaired_return(
                story,
                flow,
                caller,
                resume,
                &history[..history_len],
            )?;
            Some(Frame {
                caller,
                resume,
                render_rng: Rng::from_state(c.render_rng),
                history_len,
            })
        })
        .collect();
    (frames, relocated)
}

/// A variation's key from names, if the story has its node (and choice).
fn variation_key(
    story: &Story,
    node: &str,
    choice: Option<&str>,
    ordinal: u16,
) -> Option<super::VariationKey> {
    Some(super::VariationKey {
        node: story.node_id(node)?,
        choice: match choice {
            Some(c) => Some(story.choice_id(c)?),
            None => None,
        },
        ordinal,
    })
}

/// The entries of a table indexed by node id that `keep` keeps, by node name.
fn by_node_name<T, U>(
    names: &crate::story::Names,
    table: &[T],
    keep: impl Fn(&T) -> Option<U>,
) -> BTreeMap<String, U> {
    table
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let id = crate::story::Id::from_index(u32::try_from(i).ok()?);
            Some((names.nodes.name(id).to_owned(), keep(v)?))
        })
        .collect()
}

/// Converts saved steps back, or `None` when any names what the story no longer has.
fn restore_steps(
    story: &Story,
    flows: &[FlowState],
    steps: &[Vec<SavedChange>],
) -> Option<Vec<Vec<Change>>> {
    let flow = |name: &str| -> Option<usize> {
        let id: FlowId = story.flow_id(name)?;
        flows.iter().position(|f| f.id == id)
    };
    let node = |name: &str| story.node_id(name);
    let mut used_vars = HashSet::new();
    let out = steps
        .iter()
        .map(|step| {
            step.iter()
                .map(|c| {
                    Some(match c {
                        SavedChange::Var { var, old, new } => {
                            let id = story.var_id(var)?;
                            used_vars.insert(id);
                            Change::Var {
                                var: id,
                                old: old.clone(),
                                new: new.clone(),
                            }
                        }
                        SavedChange::Visit {
                            node: n,
                            entered_before,
                            entered,
                        } => Change::Visit {
                            node: node(n)?,
                            old: entered_before.map_or(0, |t| t.saturating_add(1)),
                            new: entered.map_or(0, |t| t.saturating_add(1)),
                        },
                        SavedChange::Enter { flow: f, old, new } => Change::Enter {
                            flow: flow(f)?,
                            old: match old {
                                Some(o) => Some(node(o)?),
                                None => None,
                            },
                            new: node(new)?,
                        },
                        SavedChange::RenderRng { flow: f, old, new } => Change::RenderRng {
                            flow: flow(f)?,
                            old: Rng::from_state(*old),
                            new: Rng::from_state(*new),
                        },
                        SavedChange::Chosen { node: n, choice } => Change::Chosen {
                            key: (node(n)?, story.names().choices.lookup(choice)?),
                        },
                        SavedChange::Turn => Change::Turn,
                        SavedChange::Rng { old, new } => Change::Rng {
                            old: Rng::from_state(*old),
                            new: Rng::from_state(*new),
                        },
                        SavedChange::Current { old, new } => Change::Current {
                            old: flow(old)?,
                            new: flow(new)?,
                        },
                        SavedChange::Variation {
                            node: n,
                            choice,
                            ordinal,
                            old,
                        } => Change::Variation {
                            key: variation_key(story, n, choice.as_deref(), *ordinal)?,
                            old: *old,
                        },
                        SavedChange::Call { flow: f, frame } => Change::Call {
                            flow: flow(f)?,
                            frame: restore_frame(story, frame, usize::MAX)?,
                        },
                        SavedChange::Return { flow: f, frame } => Change::Return {
                            flow: flow(f)?,
                            frame: restore_frame(story, frame, usize::MAX)?,
                        },
                        SavedChange::Resume { flow: f, old, new } => Change::Resume {
                            flow: flow(f)?,
                            old: match old {
                                Some(o) => Some(node(o)?),
                                None => None,
                            },
                            new: node(new)?,
                        },
                    })
                })
                .collect::<Option<Vec<_>>>()
        })
        .collect::<Option<Vec<_>>>()?;
    Some(out)
}
