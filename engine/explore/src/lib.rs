//! qnce-explore: every playthrough of a story, breadth first, to find what a player could
//! run into before one does: run-time errors, dead ends, endings, and what no player can
//! reach.
//!
//! From each flow's start, every displayed choice is taken at every step, over the whole
//! session state that decides what happens next (positions and calls of every flow,
//! variables, the visits and turns the story reads, variation counters, `once` choices
//! taken, the random generator: [`Session::fingerprint`]). A state seen before is not
//! explored again, so exploration ends on any story whose state space is finite, and the
//! first path found to anything is a shortest one. `random(…)` follows the session's seed:
//! the explorer sees the playthroughs of that seed.
//!
//! Bounds ([`Config`]): the number of states, the depth (choices from the start), the
//! time, and the memory the states waiting to be explored hold. When exploration ends without cutting anything off, what it did not find does not
//! exist ([`Report::complete`]): a node never entered is unreachable, proven. Otherwise it
//! was not reached within the bounds.
//!
//! Work is spread over threads through a [`Parallel`] the caller passes in (the engine's
//! thread pool is one); this crate starts no thread. Results do not depend on it: each
//! level's states are merged in order.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use qnce_core::expr::VariationKind;
use qnce_core::runtime::Observed;
use qnce_core::story::{ChoiceId, FlowId, NodeId, Story, VarId};
use qnce_core::{Event, RuntimeError, Session, SessionConfig, Value};
use rustc_hash::{FxHashMap, FxHashSet};

/// How far to explore.
#[derive(Clone, Debug)]
pub struct Config {
    /// Most distinct states; exploration stops there.
    pub max_states: usize,
    /// Most choices from a flow's start; `None` for no bound.
    pub max_depth: Option<u32>,
    /// Longest time; `None` for no bound.
    pub time: Option<Duration>,
    /// The sessions' seed: what `random(…)` draws.
    pub seed: u64,
    /// Most bytes the states waiting to be explored may hold (each is a whole session,
    /// whose tables grow with the story).
    pub max_memory: usize,
    /// Branch on the outcomes of every random draw (`random(…)`, `shuffle`) instead of
    /// following the seed: every value of a range of at most [`ALL_VALUES`] values, and
    /// the low end, middle and high end of a wider one.
    pub all_random: bool,
}

/// The widest range of a random draw whose every value `--all-random` explores.
pub const ALL_VALUES: i64 = 8;

/// The most outcomes of one step's draws `--all-random` explores.
pub const MAX_OUTCOMES: usize = 256;

impl Default for Config {
    fn default() -> Self {
        Config {
            max_states: 1_000_000,
            max_depth: None,
            time: None,
            seed: 0,
            max_memory: 2 << 30,
            all_random: false,
        }
    }
}

/// Which bound cut exploration short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// [`Config::max_states`].
    States,
    /// [`Config::max_depth`].
    Depth,
    /// [`Config::time`].
    Time,
    /// [`Config::max_memory`].
    Memory,
    /// [`MAX_OUTCOMES`]: a step's draws had more outcomes than were tried.
    Outcomes,
}

/// The choices that reproduce something from a flow's start: 1-based numbers of the
/// displayed choices, as `qnce play --choices` takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The flow played (its start is where the path begins; `main` unless another).
    pub flow: FlowId,
    /// The choices, 1-based.
    pub choices: Vec<u32>,
    /// With [`Config::all_random`], the value every random draw took, in order from the
    /// start (as `qnce play --draws` takes them); empty otherwise.
    pub draws: Vec<i64>,
}

/// A run-time error and the shortest path found to it.
#[derive(Clone, Debug)]
pub struct ErrorFound {
    /// The error.
    pub error: RuntimeError,
    /// The choices that raise it: the last one fails.
    pub path: Path,
}

/// A node where play stopped although the node has choices: every one hidden, no
/// fallback available and no `next`.
#[derive(Clone, Debug)]
pub struct DeadEnd {
    /// The node.
    pub node: NodeId,
    /// The choices that lead there.
    pub path: Path,
}

/// An ending reached: a node without choices where play stops.
#[derive(Clone, Debug)]
pub struct Ending {
    /// The node.
    pub node: NodeId,
    /// How many distinct ways into it were found: (state, choice) pairs whose step ends
    /// there.
    pub paths: u64,
    /// A shortest path to it.
    pub path: Path,
}

/// The values a variable took.
#[derive(Clone, Debug, PartialEq)]
pub enum Range {
    /// Integers from `min` to `max`.
    Int {
        /// The least.
        min: i64,
        /// The greatest.
        max: i64,
    },
    /// Floats from `min` to `max`.
    Float {
        /// The least.
        min: f64,
        /// The greatest.
        max: f64,
    },
    /// The booleans seen.
    Bool {
        /// Whether `false` was seen.
        r#false: bool,
        /// Whether `true` was seen.
        r#true: bool,
    },
    /// Strings: the first few distinct values seen, and whether there were more.
    Str {
        /// Up to [`Range::MAX_STRINGS`] values.
        values: Vec<String>,
        /// Whether more were seen.
        more: bool,
    },
}

impl Range {
    /// How many string values a range keeps.
    pub const MAX_STRINGS: usize = 4;

    fn of(value: &Value) -> Range {
        match value {
            Value::Int(i) => Range::Int { min: *i, max: *i },
            Value::Float(f) => Range::Float { min: *f, max: *f },
            Value::Bool(b) => Range::Bool {
                r#false: !b,
                r#true: *b,
            },
            Value::Str(s) => Range::Str {
                values: vec![s.to_string()],
                more: false,
            },
        }
    }

    fn add(&mut self, value: &Value) {
        match (self, value) {
            (Range::Int { min, max }, Value::Int(i)) => {
                *min = (*min).min(*i);
                *max = (*max).max(*i);
            }
            (Range::Float { min, max }, Value::Float(f)) => {
                *min = min.min(*f);
                *max = max.max(*f);
            }
            (Range::Bool { r#false, r#true }, Value::Bool(b)) => {
                *r#false |= !b;
                *r#true |= b;
            }
            (Range::Str { values, more }, Value::Str(s)) if !values.iter().any(|v| **v == **s) => {
                if values.len() < Range::MAX_STRINGS {
                    values.push(s.to_string());
                } else {
                    *more = true;
                }
            }
            _ => {}
        }
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Range::Int { min, max } if min == max => write!(f, "always {min}"),
            Range::Int { min, max } => write!(f, "{min}..={max}"),
            Range::Float { min, max } if min == max => write!(f, "always {min}"),
            Range::Float { min, max } => write!(f, "{min}..={max}"),
            Range::Bool { r#false, r#true } => match (r#false, r#true) {
                (true, true) => f.write_str("false and true"),
                (false, true) => f.write_str("always true"),
                _ => f.write_str("always false"),
            },
            Range::Str { values, more } => {
                let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                write!(f, "{}{}", quoted.join(", "), if *more { ", …" } else { "" })
            }
        }
    }
}

/// A choice never displayed.
#[derive(Clone, Debug)]
pub struct Undisplayed {
    /// The node.
    pub node: NodeId,
    /// The choice.
    pub choice: ChoiceId,
    /// Whether its node was ever entered (else the choice had no chance).
    pub node_entered: bool,
    /// Whether its node ever waited for a choice (else play always went on at once,
    /// through a fallback or `next`).
    pub node_shown: bool,
    /// Its condition as written, if it has one.
    pub condition: Option<String>,
    /// The values the condition's variables took: wherever the node was shown, when it
    /// was, else in every state explored.
    pub ranges: Vec<(VarId, Range)>,
}

/// A condition that gave the same answer every time it was evaluated.
#[derive(Clone, Debug)]
pub struct Constant {
    /// The node.
    pub node: NodeId,
    /// The choice.
    pub choice: ChoiceId,
    /// The condition as written.
    pub condition: String,
    /// What it always gave.
    pub value: bool,
    /// How many distinct states evaluated it.
    pub evaluations: u64,
}

/// How much of the story exploration saw: (seen, total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Nodes entered.
    pub nodes: (usize, usize),
    /// Choices displayed (fallback choices, never displayed, are left out).
    pub choices: (usize, usize),
    /// Branches of `sequence`, `cycle` and `once` variations shown (`shuffle` branches
    /// are drawn at random and left out).
    pub branches: (usize, usize),
}

/// What exploration found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Distinct states explored.
    pub states: usize,
    /// Choices taken (steps), duplicates of states included.
    pub steps: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// The deepest level reached (choices from a flow's start).
    pub depth: u32,
    /// The bound that cut exploration short; `None` when every state was explored, so
    /// that what the report says was never reached is unreachable (proven) for the seed.
    pub cut: Option<Bound>,
    /// Run-time errors, each with a shortest path found.
    pub errors: Vec<ErrorFound>,
    /// Dead ends.
    pub dead_ends: Vec<DeadEnd>,
    /// Endings reached.
    pub endings: Vec<Ending>,
    /// Nodes never entered, in declaration order.
    pub unentered: Vec<NodeId>,
    /// Choices never displayed.
    pub undisplayed: Vec<Undisplayed>,
    /// Conditions that always gave the same answer.
    pub constant: Vec<Constant>,
    /// Coverage.
    pub coverage: Coverage,
}

impl Report {
    /// Whether exploration ended without cutting anything off.
    pub fn complete(&self) -> bool {
        self.cut.is_none()
    }

    /// States explored per second.
    pub fn states_per_second(&self) -> f64 {
        self.states as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A batch of states to expand on some thread: every choice of each is taken.
pub struct Job {
    story: Arc<Story>,
    observed: Arc<Observed>,
    all_random: bool,
    states: Vec<(u32, Session)>,
}

/// What expanding a [`Job`] gave: each state's children, in order.
pub struct Expanded {
    children: Vec<Child>,
    /// Whether a step had more outcomes of its draws than [`MAX_OUTCOMES`].
    truncated: bool,
}

/// Runs jobs on several threads at once, the calling thread helping, results in the
/// jobs' order. The engine's thread pool is one (`qnce::pool::Pool`); without one,
/// exploration runs on the calling thread.
pub trait Parallel: Send + Sync {
    /// Runs `work` on every job; the results come back in the jobs' order.
    fn run(&self, jobs: Vec<Job>, work: fn(Job) -> Expanded) -> Vec<Expanded>;
}

/// One choice taken from a state.
struct Child {
    parent: u32,
    /// 1-based.
    choice: u32,
    /// The values the step's draws took (with `all_random`).
    draws: Vec<i64>,
    outcome: Result<Step, RuntimeError>,
}

/// How a state was reached: its parent state (`u32::MAX` for a flow's start), the choice
/// taken there (1-based) and the values the step's draws took.
struct Link {
    parent: u32,
    choice: u32,
    draws: Vec<i64>,
}

/// A step that went through: the state it led to and what it saw on the way.
struct Step {
    session: Session,
    fingerprint: u128,
    /// Nodes entered on the way (a chain of `next`s enters several).
    entered: Vec<NodeId>,
}

fn expand(job: Job) -> Expanded {
    let Job {
        story,
        observed,
        all_random,
        states,
    } = job;
    let mut children = Vec::new();
    let mut truncated = false;
    for (id, session) in states {
        let n = session.choices().len();
        for i in 0..n {
            // The draws to force, one list per outcome to explore: none forced first
            // (every draw takes its low end), then, for each draw made, its other values.
            let mut pending: Vec<Vec<i64>> = vec![Vec::new()];
            let mut tried = 0;
            while let Some(prefix) = pending.pop() {
                tried += 1;
                let mut next = session.clone();
                if all_random {
                    next.force_draws(prefix.clone());
                }
                let result = next.choose(&story, i).map(entered);
                let made: Vec<(i64, i64, i64)> = next.draws().to_vec();
                if all_random {
                    truncated |= branch(&made, prefix.len(), tried, &mut pending);
                }
                let outcome = result.map(|entered| Step {
                    fingerprint: next.fingerprint(&observed),
                    session: next,
                    entered,
                });
                children.push(Child {
                    parent: id,
                    choice: i as u32 + 1,
                    draws: made.iter().map(|d| d.2).collect(),
                    outcome,
                });
                if tried >= MAX_OUTCOMES {
                    truncated |= !pending.is_empty();
                    break;
                }
            }
        }
    }
    Expanded {
        children,
        truncated,
    }
}

/// Queues the other outcomes of the draws `made` past the `forced` ones: for each such
/// draw, each of its values but the low end it took, after the values the draws before it
/// took. Returns whether some were left out, [`MAX_OUTCOMES`] having been reached
/// (`tried` tried, and those already waiting).
fn branch(
    made: &[(i64, i64, i64)],
    forced: usize,
    tried: usize,
    pending: &mut Vec<Vec<i64>>,
) -> bool {
    for k in forced..made.len() {
        let (lo, hi, _) = made[k];
        for v in outcomes(lo, hi).filter(|&v| v != lo) {
            // No more waiting than can still be tried.
            if tried + pending.len() >= MAX_OUTCOMES {
                return true;
            }
            let mut values: Vec<i64> = made[..k].iter().map(|d| d.2).collect();
            values.push(v);
            pending.push(values);
        }
    }
    false
}

/// The values of a draw in `lo..=hi` that `--all-random` explores: all of a small range,
/// the ends and middle of a wide one.
fn outcomes(lo: i64, hi: i64) -> impl Iterator<Item = i64> {
    let small = hi.saturating_sub(lo) < ALL_VALUES;
    // The middle in 128 bits: `hi - lo` overflows for the widest ranges.
    let middle = i64::try_from((i128::from(lo) + i128::from(hi)) / 2).unwrap_or(lo);
    let wide = [lo, middle, hi];
    let every = (lo..=hi).take(ALL_VALUES as usize);
    let (a, b) = if small {
        (Some(every), None)
    } else {
        (None, Some(wide.into_iter()))
    };
    a.into_iter().flatten().chain(b.into_iter().flatten())
}

fn entered(events: &[Event]) -> Vec<NodeId> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::NodeEntered { node, .. } => Some(*node),
            _ => None,
        })
        .collect()
}

/// How many states a job takes: enough to outweigh handing it to a thread.
const JOB_STATES: usize = 64;

/// How many states are expanded between two checks of the bounds.
const BATCH_STATES: usize = 64 * JOB_STATES;

/// Everything exploration has seen so far.
struct Explorer<'s> {
    story: &'s Story,
    /// Each state's parent (`u32::MAX` for a flow's start), the choice that led to it
    /// and its flow.
    /// With the values its step's draws took (with `all_random`).
    states: Vec<(u32, u32, FlowId, Vec<i64>)>,
    seen: FxHashSet<u128>,
    entered: FxHashSet<NodeId>,
    displayed: FxHashSet<(NodeId, ChoiceId)>,
    /// Per conditional choice: how often it held, and how often not, over distinct states.
    outcomes: FxHashMap<(NodeId, ChoiceId), (u64, u64)>,
    ranges: FxHashMap<(NodeId, ChoiceId), Vec<(VarId, Range)>>,
    /// Every variable's values over all states.
    all_ranges: FxHashMap<VarId, Range>,
    shown_nodes: FxHashSet<NodeId>,
    errors: Vec<ErrorFound>,
    error_keys: FxHashSet<String>,
    dead_ends: FxHashMap<NodeId, Path>,
    endings: FxHashMap<NodeId, (u64, Path)>,
    /// The most showings seen of each variation.
    showings: FxHashMap<(NodeId, Option<ChoiceId>, u16), u32>,
    steps: u64,
    depth: u32,
    cut: Option<Bound>,
}

/// Explores every playthrough of `story` from each flow's start, within `config`'s
/// bounds, on `parallel` when given.
pub fn explore(story: Arc<Story>, config: &Config, parallel: Option<&dyn Parallel>) -> Report {
    let started = Instant::now();
    let observed = Arc::new(Observed::of(&story));
    let mut x = Explorer {
        story: &story,
        states: Vec::new(),
        seen: FxHashSet::default(),
        entered: FxHashSet::default(),
        displayed: FxHashSet::default(),
        outcomes: FxHashMap::default(),
        ranges: FxHashMap::default(),
        all_ranges: FxHashMap::default(),
        shown_nodes: FxHashSet::default(),
        errors: Vec::new(),
        error_keys: FxHashSet::default(),
        dead_ends: FxHashMap::default(),
        endings: FxHashMap::default(),
        showings: FxHashMap::default(),
        steps: 0,
        depth: 0,
        cut: None,
    };
    let session_config = SessionConfig {
        undo_limit: 0,
        ..SessionConfig::with_seed(config.seed)
    };
    let out_of_time = || config.time.is_some_and(|t| started.elapsed() >= t);
    'flows: for &flow in story.flow_ids() {
        // The flow's start: with `all_random`, one for each outcome of its draws.
        let mut frontier = Vec::new();
        let mut pending: Vec<Vec<i64>> = vec![Vec::new()];
        let mut tried = 0;
        while let Some(prefix) = pending.pop() {
            tried += 1;
            let start_config = SessionConfig {
                draws: config.all_random.then(|| prefix.clone()),
                ..session_config.clone()
            };
            let start = Session::new(&story, start_config).and_then(|mut s| {
                let mut all = entered(s.events());
                if flow != story.main_flow() {
                    all.extend(entered(s.switch_flow(&story, flow)?));
                }
                Ok((s, all))
            });
            let (session, entered_nodes) = match start {
                Ok(start) => start,
                Err(error) => {
                    let path = Path {
                        flow,
                        choices: Vec::new(),
                        draws: prefix,
                    };
                    x.error(error, path);
                    continue;
                }
            };
            let made: Vec<(i64, i64, i64)> = session.draws().to_vec();
            if branch(&made, prefix.len(), tried, &mut pending) {
                x.cut.get_or_insert(Bound::Outcomes);
            }
            let step = Step {
                fingerprint: session.fingerprint(&observed),
                session,
                entered: entered_nodes,
            };
            let link = Link {
                parent: u32::MAX,
                choice: 0,
                draws: made.iter().map(|d| d.2).collect(),
            };
            if let Some(state) = x.arrive(link, flow, step, config.max_states) {
                frontier.push(state);
            }
        }
        let mut level = 0u32;
        while !frontier.is_empty() {
            if config.max_depth.is_some_and(|d| level >= d) {
                x.cut = Some(Bound::Depth);
                break;
            }
            level += 1;
            x.depth = x.depth.max(level);
            let mut next: Vec<(u32, Session)> = Vec::new();
            let mut next_bytes = 0usize;
            // A level in batches, so that the bounds are checked as it goes.
            let mut rest = std::mem::take(&mut frontier).into_iter().peekable();
            while rest.peek().is_some() {
                if out_of_time() {
                    x.cut = Some(Bound::Time);
                    break 'flows;
                }
                let batch: Vec<_> = rest.by_ref().take(BATCH_STATES).collect();
                let jobs = chunk(&story, &observed, config.all_random, batch);
                let expanded = match parallel {
                    Some(parallel) if jobs.len() > 1 => parallel.run(jobs, expand),
                    _ => jobs.into_iter().map(expand).collect(),
                };
                if expanded.iter().any(|e| e.truncated) {
                    x.cut.get_or_insert(Bound::Outcomes);
                }
                for child in expanded.into_iter().flat_map(|e| e.children) {
                    x.steps += 1;
                    let link = Link {
                        parent: child.parent,
                        choice: child.choice,
                        draws: child.draws,
                    };
                    match child.outcome {
                        Ok(step) => {
                            let state = x.arrive(link, flow, step, config.max_states);
                            if let Some(state) = state {
                                next_bytes += state.1.approx_bytes();
                                next.push(state);
                            }
                        }
                        Err(error) => {
                            let path = x.path_to(&link, flow);
                            x.error(error, path);
                        }
                    }
                    if x.cut == Some(Bound::States) {
                        break 'flows;
                    }
                    if next_bytes > config.max_memory {
                        x.cut = Some(Bound::Memory);
                        break 'flows;
                    }
                }
            }
            frontier = next;
        }
    }
    x.report(&observed, started.elapsed())
}

/// Splits a level's states into jobs.
fn chunk(
    story: &Arc<Story>,
    observed: &Arc<Observed>,
    all_random: bool,
    states: Vec<(u32, Session)>,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    let mut rest = states.into_iter().peekable();
    while rest.peek().is_some() {
        jobs.push(Job {
            story: Arc::clone(story),
            observed: Arc::clone(observed),
            all_random,
            states: rest.by_ref().take(JOB_STATES).collect(),
        });
    }
    jobs
}

impl Explorer<'_> {
    /// Takes a step's outcome: what it saw, and its state when new (to explore next).
    fn arrive(
        &mut self,
        link: Link,
        flow: FlowId,
        step: Step,
        max_states: usize,
    ) -> Option<(u32, Session)> {
        let story = self.story;
        self.entered.extend(step.entered.iter().copied());
        let session = step.session;
        let node = session.current_node();
        if session.is_ended()
            && let Some(node) = node
        {
            let has_choices = story.node_choices(node).next().is_some();
            if has_choices {
                if !self.dead_ends.contains_key(&node) {
                    let path = self.path_to(&link, flow);
                    self.dead_ends.insert(node, path);
                }
            } else {
                match self.endings.get_mut(&node) {
                    Some(entry) => entry.0 += 1,
                    None => {
                        let path = self.path_to(&link, flow);
                        self.endings.insert(node, (1, path));
                    }
                }
            }
        }
        if !self.seen.insert(step.fingerprint) {
            return None;
        }
        if self.seen.len() > max_states {
            self.cut = Some(Bound::States);
            return None;
        }
        let id = self.states.len() as u32;
        self.states
            .push((link.parent, link.choice, flow, link.draws));
        if let Some(node) = node {
            self.shown_nodes.insert(node);
            for (view, _) in session.choices() {
                self.displayed.insert((node, view.id));
            }
            for &(at, c, held) in session.conditions() {
                let counts = self.outcomes.entry((at, c)).or_default();
                if held {
                    counts.0 += 1;
                } else {
                    counts.1 += 1;
                }
                if at == node {
                    self.record_ranges(&session, node, c);
                }
            }
        }
        for &var in story.var_ids() {
            if let Some(value) = session.var(var) {
                match self.all_ranges.get_mut(&var) {
                    Some(range) => range.add(value),
                    None => {
                        self.all_ranges.insert(var, Range::of(value));
                    }
                }
            }
        }
        for (key, count) in session.variation_counts() {
            let most = self.showings.entry(key).or_default();
            *most = (*most).max(count);
        }
        (!session.is_ended()).then_some((id, session))
    }

    /// Widens the ranges of the variables a choice's condition reads by their values now.
    fn record_ranges(&mut self, session: &Session, node: NodeId, choice: ChoiceId) {
        let Some((_, cond)) = self.story.choice_condition(node, choice) else {
            return;
        };
        let mut vars = Vec::new();
        cond.vars(&mut vars);
        vars.dedup();
        let ranges = self.ranges.entry((node, choice)).or_default();
        for var in vars {
            let Some(value) = session.var(var) else {
                continue;
            };
            match ranges.iter_mut().find(|(v, _)| *v == var) {
                Some((_, range)) => range.add(value),
                None => ranges.push((var, Range::of(value))),
            }
        }
    }

    fn error(&mut self, error: RuntimeError, path: Path) {
        // An expression that failed was in a node the step reached.
        if let RuntimeError::Eval { node, .. } = &error
            && let Some(node) = self.story.node_id(node)
        {
            self.entered.insert(node);
        }
        // One finding per place: an expression's node and site, else the message.
        let key = match &error {
            RuntimeError::Eval { node, site, .. } => format!("{node}\u{0}{site:?}"),
            other => other.to_string(),
        };
        if self.error_keys.insert(key) {
            self.errors.push(ErrorFound { error, path });
        }
    }

    /// The path to state `id`.
    fn path(&self, mut id: u32) -> Path {
        let mut choices = Vec::new();
        let mut draws: Vec<&[i64]> = Vec::new();
        let mut flow = None;
        while let Some((parent, choice, f, d)) = self.states.get(id as usize) {
            flow.get_or_insert(*f);
            draws.push(d);
            if *parent == u32::MAX {
                break;
            }
            choices.push(*choice);
            id = *parent;
        }
        choices.reverse();
        draws.reverse();
        Path {
            flow: flow.unwrap_or_else(|| self.story.main_flow()),
            choices,
            draws: draws.concat(),
        }
    }

    /// The path through `link`: its parent's, and its choice and draws.
    fn path_to(&self, link: &Link, flow: FlowId) -> Path {
        if link.parent == u32::MAX {
            return Path {
                flow,
                choices: Vec::new(),
                draws: link.draws.clone(),
            };
        }
        let mut path = self.path(link.parent);
        path.choices.push(link.choice);
        path.draws.extend_from_slice(&link.draws);
        path
    }

    fn report(self, observed: &Observed, elapsed: Duration) -> Report {
        let story = self.story;
        let nodes: Vec<NodeId> = story.node_ids().collect();
        let unentered: Vec<NodeId> = nodes
            .iter()
            .copied()
            .filter(|n| !self.entered.contains(n))
            .collect();
        let mut undisplayed = Vec::new();
        let mut n_choices = 0;
        let mut constant = Vec::new();
        for &node in &nodes {
            for (choice, _) in story.node_choices(node) {
                if story.choice_is_fallback(node, choice) {
                    continue;
                }
                n_choices += 1;
                let condition = story
                    .choice_condition(node, choice)
                    .map(|(s, _)| s.to_owned());
                if let (Some(condition), Some(&(held, not))) =
                    (&condition, self.outcomes.get(&(node, choice)))
                    && (held == 0) != (not == 0)
                {
                    constant.push(Constant {
                        node,
                        choice,
                        condition: condition.clone(),
                        value: held > 0,
                        evaluations: held + not,
                    });
                }
                if !self.displayed.contains(&(node, choice)) {
                    let ranges = match self.ranges.get(&(node, choice)) {
                        Some(ranges) => ranges.clone(),
                        None => {
                            let mut vars = Vec::new();
                            if let Some((_, cond)) = story.choice_condition(node, choice) {
                                cond.vars(&mut vars);
                            }
                            vars.dedup();
                            vars.into_iter()
                                .filter_map(|v| Some((v, self.all_ranges.get(&v)?.clone())))
                                .collect()
                        }
                    };
                    undisplayed.push(Undisplayed {
                        node,
                        choice,
                        node_entered: self.entered.contains(&node),
                        node_shown: self.shown_nodes.contains(&node),
                        condition,
                        ranges,
                    });
                }
            }
        }
        let (mut seen_branches, mut n_branches) = (0, 0);
        for (key, (kind, n)) in observed.variations() {
            if kind == VariationKind::Shuffle {
                continue;
            }
            n_branches += n;
            let shown = self.showings.get(&key).copied().unwrap_or(0) as usize;
            seen_branches += shown.min(n);
        }
        let order = |n: &NodeId| nodes.iter().position(|m| m == n);
        let mut dead_ends: Vec<DeadEnd> = self
            .dead_ends
            .into_iter()
            .map(|(node, path)| DeadEnd { node, path })
            .collect();
        dead_ends.sort_by_key(|d| order(&d.node));
        let mut endings: Vec<Ending> = self
            .endings
            .into_iter()
            .map(|(node, (paths, path))| Ending { node, paths, path })
            .collect();
        endings.sort_by_key(|e| order(&e.node));
        Report {
            states: self.states.len(),
            steps: self.steps,
            elapsed,
            depth: self.depth,
            cut: self.cut,
            errors: self.errors,
            dead_ends,
            endings,
            coverage: Coverage {
                nodes: (nodes.len() - unentered.len(), nodes.len()),
                choices: (n_choices - undisplayed.len(), n_choices),
                branches: (seen_branches, n_branches),
            },
            unentered,
            undisplayed,
            constant,
        }
    }
}
