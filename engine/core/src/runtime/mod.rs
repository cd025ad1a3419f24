//! The runtime: a [`Session`] plays a story.
//!
//! A session is plain state (positions, variables, visits, history, the undo log and a
//! seeded generator) and borrows the [`Story`] for each call, so a host can patch the story
//! between steps. It does no I/O and reads no clock: a seed and a list of choices replay
//! exactly. Calls return the [`Event`]s that happened instead of calling back, which keeps
//! the session `Send`.

mod error;
mod event;
mod explore;
mod host;
mod owned;
mod plurals;
mod reload;
mod render;
mod rng;
mod save;
mod step;
mod undo;

use rustc_hash::{FxHashMap, FxHashSet};

pub use error::{ErrorSite, RuntimeError};
pub use event::{ArgsRef, Event, TextRef};
pub use explore::Observed;
pub use host::{HostFn, HostFunctions};
pub use owned::{Shared, StoryEvent, StoryOption};
use plurals::Plurals;
pub use plurals::plural_categories;
pub use rng::Rng;
pub use save::{
    SAVE_VERSION, SaveData, SaveError, SavedChange, SavedFlow, SavedFrame, SavedVariation,
};

use crate::expr::{Env, EvalError, VariationKind, WithArgs};
use crate::story::{ChoiceId, FlowId, FunctionId, Id, NodeId, Story, VarId};
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
    /// Deepest nesting of calls (`call` in choices and nodes) before a step fails with
    /// [`RuntimeError::CallTooDeep`].
    pub max_call_depth: usize,
    /// Longest string, in bytes, that an effect may store in a variable or a host may set,
    /// and longest text a node or choice may render to. A step that would pass it fails
    /// with [`EvalError::StringTooLong`] and
    /// changes nothing.
    pub max_string_len: usize,
    /// The functions the game provides to the story (see [`HostFunctions`]).
    pub functions: HostFunctions,
    /// The language texts show in (`de`, `de-AT`): each text in the most specific of
    /// its translations (`de-AT`, then `de`), else as written. `None`: as written.
    pub locale: Option<String>,
    /// Draws to take instead of the generator's: each `random(…)` and `shuffle` draw,
    /// from the start, takes the next value (brought into its range); past the last, the
    /// range's low end. `None`: the seeded generator. What `qnce explore --all-random`
    /// found replays with these (`qnce play --draws`).
    pub draws: Option<Vec<i64>>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            seed: 0,
            max_chain: 1_000,
            undo_limit: 256,
            max_call_depth: 64,
            max_string_len: 1 << 20,
            functions: HostFunctions::default(),
            locale: None,
            draws: None,
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

    /// This configuration with `f` bound as the story's function `name` (see
    /// [`HostFunctions::bind`]).
    pub fn with_function(
        mut self,
        name: &str,
        f: impl Fn(&[Value]) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.functions.bind(name, f);
        self
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
    /// Calls in progress, innermost last.
    pub(crate) calls: Vec<Frame>,
}

impl FlowState {
    fn new(id: FlowId, history: Vec<NodeId>, render_rng: Rng) -> FlowState {
        FlowState {
            id,
            node: None,
            history,
            render_rng,
            calls: Vec::new(),
        }
    }
}

/// A call in progress: where play goes on when the called chain reaches a node with
/// `return: true` and no choice available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The node that called (a node with `call`, or the node of a choice with `call`).
    pub(crate) caller: NodeId,
    /// Where play goes on: the choice's `to` or the node's `next`; `None` for back at
    /// the caller, shown again.
    pub(crate) resume: Option<NodeId>,
    /// The generator state the caller was rendered with, so that it shows the same text
    /// again.
    pub(crate) render_rng: Rng,
    /// The length of the flow's history when the call was made: a return target an edit
    /// removed is relocated along the history up to there.
    pub(crate) history_len: usize,
}

/// A displayed choice of the current node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceView {
    /// The choice's position in its node's list.
    pub(crate) index: u32,
    /// The choice's stable id.
    pub id: ChoiceId,
    text: TextRef,
}

/// `Ok` when every function the story declares is bound or has a fallback; with
/// `bound_declared`, also when every function bound is one the story declares (a new
/// session catches a misspelt binding; a restart or a restore goes on after an edit that
/// removed a function the game still binds).
pub(crate) fn check_functions(
    story: &Story,
    bound: &HostFunctions,
    bound_declared: bool,
) -> Result<(), RuntimeError> {
    if let Some(name) = bound.names().filter(|_| bound_declared).find(|&n| {
        !story
            .functions()
            .iter()
            .any(|d| story.function_name(d.id) == n)
    }) {
        return Err(RuntimeError::UnknownFunction(name.into()));
    }
    for decl in story.functions() {
        let name = story.function_name(decl.id);
        if decl.fallback.is_none() && !bound.contains(name) {
            return Err(RuntimeError::UnboundFunction {
                name: name.into(),
                declared_at: decl.declared_at.to_string(),
            });
        }
    }
    Ok(())
}

/// Turns since an entry recorded as `entered` (the turn plus one; 0: never), or -1.
pub(crate) fn turns_since(turn: u64, entered: u64) -> i64 {
    match entered.checked_sub(1) {
        Some(at) => i64::try_from(turn.saturating_sub(at)).unwrap_or(i64::MAX),
        None => -1,
    }
}

/// A variation of a story text: the node's own text (`choice: None`) or a choice's, and
/// its number in the order the text writes its variations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct VariationKey {
    pub(crate) node: NodeId,
    pub(crate) choice: Option<ChoiceId>,
    pub(crate) ordinal: u16,
}

/// State read by expressions.
struct State<'a> {
    story: &'a Story,
    plurals: &'a Plurals,
    functions: &'a HostFunctions,
    vars: &'a [Option<Value>],
    visits: &'a [u32],
    entered: &'a [u64],
    turn: u64,
    rng: &'a mut Rng,
    /// Draws to take instead of `rng`'s.
    forced: Option<&'a mut Forced>,
    max_string_len: usize,
    /// How often each variation was shown at an entry.
    variations: &'a mut FxHashMap<VariationKey, u32>,
    /// The text being rendered (node, choice), for its variations.
    text: Option<(NodeId, Option<ChoiceId>)>,
    /// At an entry, where a variation's showing is recorded (it counts); `None` when a
    /// node is shown again, which picks what its last entry showed.
    entry: Option<&'a mut Vec<Change>>,
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
    fn turns_since(&self, node: NodeId) -> i64 {
        turns_since(
            self.turn,
            self.entered.get(node.index()).copied().unwrap_or(0),
        )
    }
    fn random(&mut self, lo: i64, hi: i64) -> i64 {
        draw(self.rng, self.forced.as_deref_mut(), lo, hi)
    }
    fn max_string_len(&self) -> usize {
        self.max_string_len
    }
    fn plural(&self, n: i64) -> crate::expr::PluralCategory {
        self.plurals.select(n)
    }
    fn call(&mut self, function: FunctionId, args: &[Value]) -> Result<Value, EvalError> {
        let story = self.story;
        if let Some(f) = self.functions.get(story.function_name(function)) {
            return Ok(f(args));
        }
        match story.function(function).and_then(|d| d.fallback.as_ref()) {
            Some(fallback) => fallback.eval(&mut WithArgs { env: self, args }),
            None => Err(EvalError::UnboundFunction { function }),
        }
    }
    fn variation(&mut self, ordinal: u16, kind: VariationKind, n: usize) -> Option<usize> {
        let Some((node, choice)) = self.text else {
            return kind.pick(0, n, || 0);
        };
        let key = VariationKey {
            node,
            choice,
            ordinal,
        };
        let last = i64::try_from(n).unwrap_or(i64::MAX).saturating_sub(1);
        let (rng, forced) = (&mut *self.rng, self.forced.as_deref_mut());
        let draw = || usize::try_from(draw(rng, forced, 0, last)).unwrap_or(0);
        match self.entry.as_deref_mut() {
            Some(step) => {
                // One lookup: the count is read and bumped in place.
                let count = self.variations.entry(key).or_insert(0);
                let shown = *count;
                *count = shown.saturating_add(1);
                step.push(Change::Variation { key, old: shown });
                kind.pick(shown, n, draw)
            }
            None => {
                let shown = self.variations.get(&key).copied().unwrap_or(0);
                kind.pick(shown.saturating_sub(1), n, draw)
            }
        }
    }
}

/// Draws taken from a list instead of a generator (see [`SessionConfig::draws`]), and
/// the draws made.
#[derive(Clone, Debug, Default)]
pub(crate) struct Forced {
    values: Vec<i64>,
    next: usize,
    /// Each draw made: its range and the value taken.
    made: Vec<(i64, i64, i64)>,
}

impl Forced {
    fn new(values: Vec<i64>) -> Forced {
        Forced {
            values,
            next: 0,
            made: Vec::new(),
        }
    }
}

/// A number in `lo..=hi`: the next forced value (brought into the range), else the low
/// end once they run out; without forced values, the generator's.
fn draw(rng: &mut Rng, forced: Option<&mut Forced>, lo: i64, hi: i64) -> i64 {
    let Some(f) = forced else {
        return rng.range(lo, hi);
    };
    let value = f.values.get(f.next).map_or(lo, |v| (*v).clamp(lo, hi));
    f.next += 1;
    f.made.push((lo, hi, value));
    value
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
/// let story = qnce_load::load(&dir, &qnce_load::Limits::default())?.value;
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
    /// The turn each node was last entered at, plus one (0: never entered).
    entered: Vec<u64>,
    /// How often each variation of a text was shown at an entry.
    variations: FxHashMap<VariationKey, u32>,
    chosen: FxHashSet<(NodeId, ChoiceId)>,
    flows: Vec<FlowState>,
    current: usize,
    log: UndoLog,
    step: Vec<Change>,
    // What the current node shows.
    text: String,
    choices: Vec<ChoiceView>,
    choice_text: String,
    /// Draws taken from a list instead of the generator, when the config gives them.
    forced: Option<Forced>,
    /// What each condition evaluated in the last call gave, with its node: the choices
    /// of every node the call rendered (a chain renders several), for tools.
    conditions: Vec<(NodeId, ChoiceId, bool)>,
    ended: bool,
    // What the last call reported.
    events: Vec<Event>,
    passage: String,
    /// The arguments of the commands the last call reported.
    command_args: Vec<Value>,
    /// The story the session plays ([`Story::identity`]) and the version it last caught
    /// up with.
    story_identity: u64,
    story_version: u64,
    /// The plural rules of the session's locale.
    plurals: Plurals,
}

impl Session {
    /// Starts a session at the story's `start` node in the `main` flow.
    ///
    /// # Errors
    /// Any error of entering the start node (an expression that fails, a chain of
    /// automatic advances that is too long).
    pub fn new(story: &Story, config: SessionConfig) -> Result<Session, RuntimeError> {
        check_functions(story, &config.functions, true)?;
        let mut session = Session::blank(story, config);
        session.enter_start(story, Vec::new())?;
        Ok(session)
    }

    /// Enters the main flow's start, with `history` (empty) as the flow's history buffer.
    fn enter_start(&mut self, story: &Story, history: Vec<NodeId>) -> Result<(), RuntimeError> {
        let main = story.main_flow();
        self.flows.push(FlowState::new(main, history, self.rng));
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
        check_functions(story, &self.config.functions, false)?;
        // Starting over plays `story` as it is now, whichever version the session knew.
        self.story_identity = story.identity();
        self.story_version = story.version();
        self.config.seed = seed;
        self.rng = Rng::new(seed);
        self.forced = self.config.draws.clone().map(Forced::new);
        self.turn = 0;
        self.vars.clear();
        self.vars.resize(story.names().vars.len(), None);
        for &v in story.var_ids() {
            self.vars[v.index()] = story.var_initial(v).cloned();
        }
        self.visits.clear();
        self.visits.resize(story.names().nodes.len(), 0);
        self.entered.clear();
        self.entered.resize(story.names().nodes.len(), 0);
        self.variations.clear();
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
        let forced = config.draws.clone().map(Forced::new);
        let plurals = Plurals::for_locale(config.locale.as_deref());
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
            entered: vec![0; story.names().nodes.len()],
            variations: FxHashMap::default(),
            chosen: FxHashSet::default(),
            flows: Vec::new(),
            current: 0,
            log: UndoLog::default(),
            step: Vec::new(),
            text: String::new(),
            choices: Vec::new(),
            choice_text: String::new(),
            forced,
            conditions: Vec::new(),
            ended: false,
            events: Vec::new(),
            passage: String::new(),
            command_args: Vec::new(),
            story_identity: story.identity(),
            story_version: story.version(),
            plurals,
        }
    }

    /// `Ok` when the session has caught up with every edit of `story`, the story it
    /// plays.
    ///
    /// # Errors
    /// [`RuntimeError::StaleSession`] when the story was edited since; bring the session
    /// along with [`Session::catch_up`]. [`RuntimeError::OtherStory`] for another story.
    pub fn check_story(&self, story: &Story) -> Result<(), RuntimeError> {
        if story.identity() != self.story_identity {
            return Err(RuntimeError::OtherStory);
        }
        match story.version().checked_sub(self.story_version) {
            Some(0) => Ok(()),
            Some(behind) => Err(RuntimeError::StaleSession { behind }),
            None => Err(RuntimeError::OtherStory),
        }
    }

    /// Whether the story was edited since the session last caught up with it.
    pub fn is_behind(&self, story: &Story) -> bool {
        story.version() != self.story_version
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

    /// Plays on in another language (`None`: as written): the current node is shown
    /// again in place, with [`Event::NodeShown`]. Nothing else changes.
    ///
    /// # Errors
    /// A session behind its story, or an expression of the node that fails to render.
    pub fn set_locale(
        &mut self,
        story: &Story,
        locale: Option<String>,
    ) -> Result<&[Event], RuntimeError> {
        self.check_story(story)?;
        let plurals = Plurals::for_locale(locale.as_deref());
        let old_plurals = std::mem::replace(&mut self.plurals, plurals);
        let old_locale = std::mem::replace(&mut self.config.locale, locale);
        if let Err(e) = self.refresh(story) {
            // The node shows as before, in the language it was in.
            self.plurals = old_plurals;
            self.config.locale = old_locale;
            let _ = self.refresh(story);
            self.clear_report();
            return Err(e);
        }
        Ok(&self.events)
    }

    /// The language the session plays in (`None`: as written).
    pub fn locale(&self) -> Option<&str> {
        self.config.locale.as_deref()
    }

    /// A variable's current value by name, as a Rust type: `i64`, `f64`, `bool`,
    /// `String`, `Arc<str>` or [`Value`]. `None` for a variable the story does not have,
    /// or of another type.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("qnce-doc-get-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # std::fs::write(dir.join("story.ron"), r#"Story(title: "t", start: "a",
    /// #     variables: { "coins": Int(3) }, nodes: { "a": (text: "Hi") })"#)?;
    /// # let story = qnce_load::load(&dir, &qnce_load::Limits::default())?.value;
    /// let session = qnce_core::Session::new(&story, qnce_core::SessionConfig::default())?;
    /// assert_eq!(session.get::<i64>(&story, "coins"), Some(3));
    /// assert_eq!(session.get::<bool>(&story, "coins"), None);
    /// # Ok(()) }
    /// ```
    pub fn get<T: crate::value::FromValue>(&self, story: &Story, name: &str) -> Option<T> {
        T::from_value(self.var(story.var_id(name)?)?)
    }

    /// Sets a variable from the game; the value must have the variable's type (an `Int`
    /// is accepted for a `Float`). Reports [`Event::VariableChanged`] when the value
    /// changed, and [`Event::NodeShown`] when the current node now reads differently (it
    /// is rendered again); a node left with nothing to choose but a way on (a fallback,
    /// `next`) goes on. Not a step: undo does not take it back (see
    /// [`Session::set_var_as_step`]), though undoing an earlier step that changed the
    /// same variable puts that step's value back.
    ///
    /// # Errors
    /// An unknown variable, a value of another type, a string longer than
    /// [`SessionConfig::max_string_len`], a session behind its story; or an expression of
    /// the current node that fails with the new value (nothing is changed then).
    pub fn set_var(
        &mut self,
        story: &Story,
        name: &str,
        value: Value,
    ) -> Result<&[Event], RuntimeError> {
        self.set_var_inner(story, name, value, false)
    }

    /// As [`Session::set_var`], recorded as a step of its own that undo takes back and
    /// redo puts back (a game's choice made outside the story, say).
    ///
    /// # Errors
    /// As [`Session::set_var`].
    pub fn set_var_as_step(
        &mut self,
        story: &Story,
        name: &str,
        value: Value,
    ) -> Result<&[Event], RuntimeError> {
        self.set_var_inner(story, name, value, true)
    }

    fn set_var_inner(
        &mut self,
        story: &Story,
        name: &str,
        value: Value,
        undoable: bool,
    ) -> Result<&[Event], RuntimeError> {
        self.check_story(story)?;
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
        if let Value::Str(s) = &value
            && s.len() > self.config.max_string_len
        {
            return Err(RuntimeError::StringTooLong {
                name: name.into(),
                limit: self.config.max_string_len,
            });
        }
        self.begin();
        let old = self.var(var).cloned();
        if old.as_ref() != Some(&value) {
            self.record(Change::Var {
                var,
                old: old.clone(),
                new: Some(value.clone()),
            });
            if let Some(old) = old {
                self.events.push(Event::VariableChanged {
                    var,
                    old,
                    new: value,
                });
            }
        }
        let result = if self.step.len() > 1 {
            self.show_if_different(story, false).and_then(|()| {
                // A node left with nothing to choose but a way on goes on, in this step.
                if !self.ended && self.choices.is_empty() {
                    self.advance_inner(story)
                } else {
                    Ok(())
                }
            })
        } else {
            Ok(())
        };
        // Only a change is a step.
        let undoable = undoable && self.step.len() > 1;
        self.finish(story, result, undoable)?;
        Ok(&self.events)
    }

    /// The arguments of a command an event reported.
    pub fn command_args(&self, args: ArgsRef) -> &[Value] {
        self.command_args
            .get(args.start as usize..args.end as usize)
            .unwrap_or(&[])
    }

    /// How often a node was entered.
    pub fn visits(&self, node: NodeId) -> u32 {
        self.visits.get(node.index()).copied().unwrap_or(0)
    }

    /// Choices made since the node was last entered (0 when it was entered after the last
    /// choice), or -1 when it never was: `turns_since("node")` in expressions.
    pub fn turns_since(&self, node: NodeId) -> i64 {
        turns_since(
            self.turn,
            self.entered.get(node.index()).copied().unwrap_or(0),
        )
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

    /// How deep the current flow is in calls: 0 outside any.
    pub fn call_depth(&self) -> usize {
        self.flows.get(self.current).map_or(0, |f| f.calls.len())
    }

    /// The nodes the current flow's calls were made from, outermost first.
    pub fn callers(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.flows
            .get(self.current)
            .into_iter()
            .flat_map(|f| f.calls.iter().map(|c| c.caller))
    }

    /// Whether there is a step to undo.
    pub fn can_undo(&self) -> bool {
        !self.log.undo.is_empty()
    }

    /// Whether there is a step to redo.
    pub fn can_redo(&self) -> bool {
        !self.log.redo.is_empty()
    }
}
