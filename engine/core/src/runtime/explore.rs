//! What a tool that explores every playthrough of a story (`qnce explore`) reads of a
//! session: a fingerprint of the state that decides what can happen from here, and how the
//! current node's conditions evaluate.

use std::hash::{DefaultHasher, Hash, Hasher};

use rustc_hash::FxHashMap;

use super::Session;
use crate::expr::{Expr, Quantity, Use, VariationKind};
use crate::ids::{ChoiceId, NodeId};
use crate::story::Story;
use crate::story::components::{OnEnter, Text};
use crate::value::Value;

/// How much of a number an explorer keeps in a state's fingerprint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Its exact value.
    Exact,
    /// Its value up to this cap: every larger value acts the same (see [`Observed`]).
    UpTo(i64),
}

impl Keep {
    fn of(&self, n: i64) -> i64 {
        match *self {
            Keep::Exact => n,
            Keep::UpTo(cap) => n.min(cap),
        }
    }
}

/// What of a session's state a story can observe, so that two sessions that differ only
/// in what it cannot are one state to an explorer.
///
/// - A node's visits, the turns since it was entered and the turn count are kept only
///   when an expression reads them.
/// - A number that expressions only compare with constants (`courage >= 3`), and that
///   only grows or is reset to a constant (visits, turns, turns since a node, an integer
///   variable only written by `+=` a non-negative constant or `random` of such, or `=` a
///   constant), is kept up to one past the largest constant: beyond it every comparison
///   gives what it will give until the number is reset.
/// - Showing a number in a text (`{courage}`, `{coins >= 5 ? … : …}`) does not make it
///   exact: what a text shows does not decide what happens next. A text that computes
///   with it (`{10 / coins}`, which can fail) does.
/// - Variation counters are kept as far as they decide the next branch.
///
/// So states that differ only in what is shown, or in how far past a threshold a counter
/// went, are merged, and stories whose counters grow in loops have finite state spaces.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// By variable index.
    vars: Vec<Option<Keep>>,
    /// By node index: how much of the node's visits to keep (`None`: unread).
    visits: Vec<Option<Keep>>,
    /// By node index: how much of `turns_since(node)` to keep (`None`: unread).
    since: Vec<Option<Keep>>,
    /// How much of the turn count to keep (`None`: unread).
    turns: Option<Keep>,
    /// Each variation's kind and number of branches.
    variations: FxHashMap<(NodeId, Option<ChoiceId>, u16), (VariationKind, usize)>,
    /// The `once` choices: whether one was taken decides whether it shows.
    once: rustc_hash::FxHashSet<(NodeId, ChoiceId)>,
}

/// What the uses of one quantity allow.
#[derive(Clone, Copy, Default)]
struct Uses {
    read: bool,
    exact: bool,
    largest: Option<i64>,
}

impl Uses {
    fn keep(&self) -> Option<Keep> {
        self.read.then_some(if self.exact {
            Keep::Exact
        } else {
            Keep::UpTo(self.largest.map_or(0, |c| c.saturating_add(1)))
        })
    }
}

/// Every quantity's uses, gathered over the story's expressions.
#[derive(Default)]
struct Gathered {
    vars: Vec<Uses>,
    visits: Vec<Uses>,
    since: Vec<Uses>,
    turns: Uses,
}

impl Gathered {
    fn slot(&mut self, q: Quantity) -> &mut Uses {
        match q {
            Quantity::Var(v) => crate::story::grow(&mut self.vars, v.index()),
            Quantity::Visits(n) => crate::story::grow(&mut self.visits, n.index()),
            Quantity::Turns => &mut self.turns,
            Quantity::TurnsSince(n) => crate::story::grow(&mut self.since, n.index()),
        }
    }

    fn take(&mut self, u: Use) {
        match u {
            Use::Compared(q, c) => {
                let slot = self.slot(q);
                slot.read = true;
                slot.largest = Some(slot.largest.map_or(c, |l| l.max(c)));
            }
            Use::Other(q) => {
                let slot = self.slot(q);
                slot.read = true;
                slot.exact = true;
            }
        }
    }

    /// An expression that decides what happens (a condition, an effect, a fallback).
    fn deciding(&mut self, e: &Expr) {
        e.uses(&mut |u| self.take(u));
    }

    /// An interpolation of a text: showing a number leaves it free; anything else
    /// counts.
    fn shown(&mut self, e: &Expr) {
        if e.quantity().is_none() {
            self.deciding(e);
        }
    }

    fn effects(&mut self, story: &Story, effects: &crate::story::components::Effects) {
        for action in effects.actions() {
            match action {
                crate::expr::Action::Set(effect) => {
                    let int = matches!(story.var_initial(effect.var), Some(Value::Int(_)));
                    if !(int && effect.raises_or_resets()) {
                        self.take(Use::Other(Quantity::Var(effect.var)));
                    }
                    self.deciding(effect.value());
                }
                crate::expr::Action::Command(_) => {
                    for e in action.exprs() {
                        self.deciding(e);
                    }
                }
            }
        }
    }
}

impl Observed {
    /// What `story`'s expressions read, and how: its texts, conditions, effects and
    /// function fallbacks.
    pub fn of(story: &Story) -> Observed {
        let mut g = Gathered::default();
        let mut out = Observed::default();
        let world = story.world();
        for f in story.functions() {
            if let Some(fallback) = &f.fallback {
                g.deciding(fallback);
            }
        }
        for node in story.node_ids() {
            let Some(entity) = story.node_entity(node) else {
                continue;
            };
            let node_text = world.get::<Text>(entity).map(|t| (None, t));
            let choices = story.choices_of(node);
            for c in choices.iter().filter(|c| c.flags.once) {
                out.once.insert((node, c.choice.id));
            }
            let texts = node_text
                .into_iter()
                .chain(choices.iter().map(|c| (Some(c.choice.id), &c.text)));
            for (choice, text) in texts {
                for expr in text.template.interpolations() {
                    g.shown(expr);
                }
                // What picks a branch decides what renders next: an expression that
                // may fail, a draw, a variation.
                for expr in text.template.selectors() {
                    g.deciding(expr);
                }
                for (ordinal, kind, n) in text.template.variations() {
                    out.variations.insert((node, choice, ordinal), (kind, n));
                }
            }
            for c in choices {
                if let Some(condition) = &c.condition.0 {
                    g.deciding(&condition.1);
                }
                g.effects(story, &c.effects.0);
            }
            if let Some(effects) = world.get::<OnEnter>(entity) {
                g.effects(story, &effects.0);
            }
        }
        // An integer nothing reads (but interpolations) and that only grows or is reset
        // is kept as `min(v, 0)`: no expression can tell its values apart. Other
        // variables are kept exactly.
        out.vars = story.var_ids().iter().fold(Vec::new(), |mut vars, v| {
            let uses = g.vars.get(v.index()).copied().unwrap_or_default();
            let keep = match story.var_initial(*v) {
                Some(Value::Int(_)) if !uses.exact => Uses { read: true, ..uses }.keep(),
                _ => Some(Keep::Exact),
            };
            *crate::story::grow(&mut vars, v.index()) = keep;
            vars
        });
        out.visits = g.visits.iter().map(Uses::keep).collect();
        out.since = g.since.iter().map(Uses::keep).collect();
        out.turns = g.turns.keep();
        out
    }

    /// Each variation of the story's texts: (node, choice, ordinal) and its kind and
    /// number of branches.
    pub fn variations(
        &self,
    ) -> impl Iterator<Item = ((NodeId, Option<ChoiceId>, u16), (VariationKind, usize))> + '_ {
        self.variations.iter().map(|(k, v)| (*k, *v))
    }
}

impl Session {
    /// A fingerprint of everything of the session's state that decides what it shows and
    /// what can happen from here, as far as `observed` (of the session's story) says the
    /// story can see it: positions and calls of every flow, the current flow, variables,
    /// the visits and turns expressions read, variation counters (as far as they still
    /// matter), `once` choices taken, and the random generator. Two sessions with the same
    /// fingerprint are the same state to an explorer (128 bits: a collision is not a
    /// concern at any number of states a machine holds). Not the history or the undo log.
    pub fn fingerprint(&self, observed: &Observed) -> u128 {
        let mut a = DefaultHasher::new();
        let mut b = DefaultHasher::new();
        0x9e37_79b9_u32.hash(&mut b);
        let mut both = |f: &dyn Fn(&mut DefaultHasher)| {
            f(&mut a);
            f(&mut b);
        };
        both(&|h| {
            self.current.hash(h);
            self.rng.state().hash(h);
            for flow in &self.flows {
                flow.id.hash(h);
                flow.node.hash(h);
                flow.render_rng.state().hash(h);
                for call in &flow.calls {
                    (call.caller, call.resume, call.render_rng.state()).hash(h);
                }
                u32::MAX.hash(h);
            }
            for (i, value) in self.vars.iter().enumerate() {
                match (value, observed.vars.get(i).copied().flatten()) {
                    (Some(Value::Int(n)), Some(keep)) => (1u8, keep.of(*n)).hash(h),
                    (value, _) => hash_value(value.as_ref(), h),
                }
            }
            for (i, &visits) in self.visits.iter().enumerate() {
                if let Some(keep) = observed.visits.get(i).copied().flatten() {
                    (i, keep.of(i64::from(visits))).hash(h);
                }
                if let Some(keep) = observed.since.get(i).copied().flatten() {
                    let entered = self.entered.get(i).copied().unwrap_or(0);
                    (i, keep.of(super::turns_since(self.turn, entered))).hash(h);
                }
            }
            if let Some(keep) = observed.turns {
                keep.of(i64::try_from(self.turn).unwrap_or(i64::MAX))
                    .hash(h);
            }
        });
        // Sets and maps: each entry hashed alone, combined in any order.
        let mut unordered = (0u64, 0u64);
        for key in self.chosen.iter().filter(|k| observed.once.contains(k)) {
            let (x, y) = entry_hash(&(0u8, key));
            unordered.0 = unordered.0.wrapping_add(x);
            unordered.1 = unordered.1.wrapping_add(y);
        }
        for (key, &shown) in &self.variations {
            let kind = observed
                .variations
                .get(&(key.node, key.choice, key.ordinal));
            let (x, y) = entry_hash(&(1u8, key.node, key.choice, key.ordinal, normal(kind, shown)));
            unordered.0 = unordered.0.wrapping_add(x);
            unordered.1 = unordered.1.wrapping_add(y);
        }
        both(&|h| unordered.hash(h));
        (u128::from(a.finish()) << 64) | u128::from(b.finish())
    }

    /// Makes every later draw take the next of `values` instead of the generator's, as
    /// [`SessionConfig::draws`](crate::SessionConfig::draws) does from the start, and
    /// forgets the draws made so far.
    pub fn force_draws(&mut self, values: Vec<i64>) {
        self.forced = Some(super::Forced::new(values));
    }

    /// The draws made since the session started or [`Session::force_draws`] was last
    /// called, when draws are forced: each one's range and the value taken.
    pub fn draws(&self) -> &[(i64, i64, i64)] {
        self.forced.as_ref().map_or(&[], |f| &f.made)
    }

    /// About how many bytes the session holds (its tables and buffers), for a tool that
    /// keeps many sessions at once and must bound its memory.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let flows: usize = self
            .flows
            .iter()
            .map(|f| {
                size_of::<super::FlowState>()
                    + f.history.len() * size_of::<NodeId>()
                    + f.calls.len() * size_of::<super::Frame>()
            })
            .sum();
        size_of::<Session>()
            + self.vars.len() * size_of::<Option<Value>>()
            + self.visits.len() * size_of::<u32>()
            + self.entered.len() * size_of::<u64>()
            + self.variations.len() * 24
            + self.chosen.len() * 16
            + flows
            + self.text.len()
            + self.choice_text.len()
            + self.passage.len()
            + self.choices.len() * size_of::<super::ChoiceView>()
            + self.events.len() * size_of::<super::Event>()
            + self.command_args.len() * size_of::<Value>()
            + self.step.len() * size_of::<super::undo::Change>()
    }

    /// How often each variation was shown at an entry, by (node, choice, ordinal).
    pub fn variation_counts(
        &self,
    ) -> impl Iterator<Item = ((NodeId, Option<ChoiceId>, u16), u32)> + '_ {
        self.variations
            .iter()
            .map(|(k, &n)| ((k.node, k.choice, k.ordinal), n))
    }

    /// What each condition the last call evaluated gave, as play evaluated it, with its
    /// node and choice: those of every node the call rendered (a node passed through by
    /// a fallback or `next` too), and of fallbacks looked for. A tool's view of why a
    /// choice is hidden. A `once` choice already taken is not evaluated, so not listed.
    pub fn conditions(&self) -> &[(NodeId, ChoiceId, bool)] {
        &self.conditions
    }
}

/// A value hashed with its type (floats by their bits).
fn hash_value(value: Option<&Value>, h: &mut DefaultHasher) {
    match value {
        None => 0u8.hash(h),
        Some(Value::Int(i)) => (1u8, i).hash(h),
        Some(Value::Float(f)) => (2u8, f.to_bits()).hash(h),
        Some(Value::Bool(b)) => (3u8, b).hash(h),
        Some(Value::Str(s)) => (4u8, &**s).hash(h),
    }
}

fn entry_hash(entry: &impl Hash) -> (u64, u64) {
    let mut a = DefaultHasher::new();
    let mut b = DefaultHasher::new();
    0x9e37_79b9_u32.hash(&mut b);
    entry.hash(&mut a);
    entry.hash(&mut b);
    (a.finish(), b.finish())
}

/// A variation's showing count as far as it still decides what shows (the count a
/// re-showing reads is one less): a `sequence` stays on its last branch, a `cycle` comes
/// round, a `once` ends, and a `shuffle` draws whatever the count.
fn normal(kind: Option<&(VariationKind, usize)>, shown: u32) -> u32 {
    let Some(&(kind, n)) = kind else {
        return shown;
    };
    let n = u32::try_from(n).unwrap_or(u32::MAX);
    match kind {
        VariationKind::Sequence => shown.min(n),
        VariationKind::Cycle if shown == 0 || n == 0 => shown,
        VariationKind::Cycle => 1 + (shown - 1) % n,
        VariationKind::Once => shown.min(n.saturating_add(1)),
        VariationKind::Shuffle => shown.min(1),
    }
}
