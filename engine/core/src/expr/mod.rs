//! The expression language: conditions, effects and `{expr}` interpolation in text.
//!
//! Every expression is parsed and type-checked once, when the story loads, into an [`Expr`]
//! whose variables and node names are resolved to ids; evaluation walks that tree and never
//! looks at source text again. Evaluation reads state through the [`Env`] trait, so this
//! module knows nothing of sessions.

mod eval;
mod lex;
mod names;
mod parse;
mod template;

use std::fmt;
use std::sync::Arc;

pub(crate) use eval::WithArgs;
pub use eval::english_plural;
pub use eval::{Env, EvalError};
/// The names of the built-in functions, which no declaration may take.
pub use names::{Written, WrittenName, names_in_code, names_in_effect, names_in_text};
pub use parse::BUILT_IN as BUILT_IN_FUNCTIONS;
pub use template::{PluralCategory, Template, VariationKind};

use crate::ids::{CommandId, FunctionId, NodeId, VarId};
use crate::value::{Type, Value};

/// Resolves names while an expression is checked.
pub trait Scope {
    /// The id and type of a declared variable.
    fn var(&self, name: &str) -> Option<(VarId, Type)>;
    /// The id of a node, for `visits("node")` and `turns_since("node")`.
    fn node(&self, name: &str) -> Option<NodeId>;
    /// A command the story declares for the game: its id and its parameters' types.
    fn command(&self, name: &str) -> Option<(CommandId, &[Type])> {
        let _ = name;
        None
    }
    /// A function the story declares for the game to provide: its id, its parameters'
    /// types and its return type.
    fn function(&self, name: &str) -> Option<(FunctionId, &[Type], Type)> {
        let _ = name;
        None
    }
    /// A parameter of the function whose fallback is being checked: its position and
    /// type. Parameters hide variables of the same name.
    fn param(&self, name: &str) -> Option<(u16, Type)> {
        let _ = name;
        None
    }
    /// The names of a kind the scope knows, for "did you mean" (none by default).
    fn names(&self, kind: NameKind) -> Vec<&str> {
        let _ = kind;
        Vec::new()
    }
}

/// A kind of name an expression uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A variable (or a fallback's parameter).
    Variable,
    /// A node.
    Node,
    /// A function the story declares.
    Function,
    /// A command the story declares.
    Command,
}

/// A parse or type error at a byte offset of the expression's source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the source text where the problem is.
    pub at: usize,
    /// What is wrong.
    pub message: String,
    /// Whether the error is a name the scope does not know (a variable or a node): when
    /// part of a story could not be read, such errors may only follow from that.
    pub unknown_name: bool,
}

impl ExprError {
    pub(crate) fn new(at: usize, message: impl Into<String>) -> Self {
        ExprError {
            at,
            message: message.into(),
            unknown_name: false,
        }
    }

    pub(crate) fn unknown_name(at: usize, message: impl Into<String>) -> Self {
        ExprError {
            unknown_name: true,
            ..ExprError::new(at, message)
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.at)
    }
}

/// How large one expression may be. Both bounds are checked while parsing, as each
/// operator or operand is added, so an expression past either is refused before the work
/// it would cost: every walk of a checked expression (evaluation, folding, `Drop`) recurses
/// at most `max_depth` deep and visits at most `max_size` nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExprLimits {
    /// Deepest nesting, every level counting: a value is one level, and each operator
    /// adds one over its operands (`a + b + c` is three levels), as do unary operators,
    /// `?:`, calls and parentheses.
    pub max_depth: usize,
    /// Most operators and operands.
    pub max_size: usize,
}

impl Default for ExprLimits {
    fn default() -> Self {
        ExprLimits {
            max_depth: 64,
            max_size: 4096,
        }
    }
}

/// A checked, typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    kind: ExprKind,
    ty: Type,
    /// Levels from here to the deepest leaf (a leaf is 1).
    height: u16,
}

// A story holds an expression per interpolation, condition and effect, and steps read
// them: keep them small.
const _: () = assert!(std::mem::size_of::<Expr>() == 24);

#[derive(Clone, Debug, PartialEq)]
enum ExprKind {
    // Literals; a string's text boxed (the widest, and the rarest), so that an expression
    // is 24 bytes rather than 32.
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Box<Arc<str>>),
    Var(VarId),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    // An operator's operands are side by side in one allocation.
    Arith(ArithOp, Box<[Expr; 2]>),
    Concat(Box<[Expr; 2]>),
    Cmp(CmpOp, Box<[Expr; 2]>),
    And(Box<[Expr; 2]>),
    Or(Box<[Expr; 2]>),
    /// Condition, then, else.
    Cond(Box<[Expr; 3]>),
    Visits(NodeId),
    TurnsSince(NodeId),
    Turns,
    Random(Box<[Expr; 2]>),
    Min(Box<[Expr; 2]>),
    Max(Box<[Expr; 2]>),
    Abs(Box<Expr>),
    /// A parameter of the function whose fallback this is.
    Param(u16),
    /// A call of a host function.
    Call(Box<FunctionCall>),
}

/// A checked call of a host function.
#[derive(Clone, Debug, PartialEq)]
struct FunctionCall {
    function: FunctionId,
    args: Box<[Expr]>,
    /// The parameters' types, which the arguments' values take (an `Int` for a `Float`).
    params: Box<[Type]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl ExprKind {
    /// A literal.
    fn literal(value: Value) -> ExprKind {
        match value {
            Value::Int(i) => ExprKind::Int(i),
            Value::Float(f) => ExprKind::Float(f),
            Value::Bool(b) => ExprKind::Bool(b),
            Value::Str(s) => ExprKind::Str(Box::new(s)),
        }
    }

    /// The value, for a literal.
    fn literal_value(&self) -> Option<Value> {
        Some(match self {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Str(s) => Value::Str(Arc::clone(s)),
            _ => return None,
        })
    }

    /// The operands, left to right.
    fn children(&self) -> impl Iterator<Item = &Expr> {
        use ExprKind::*;
        let operands: &[Expr] = match self {
            Int(_) | Float(_) | Bool(_) | Str(_) => &[],
            Var(_) | Visits(_) | TurnsSince(_) | Turns | Param(_) => &[],
            Not(a) | Neg(a) | Abs(a) => std::slice::from_ref(&**a),
            Arith(_, ab)
            | Concat(ab)
            | Cmp(_, ab)
            | And(ab)
            | Or(ab)
            | Min(ab)
            | Max(ab)
            | Random(ab) => &**ab,
            Cond(cab) => &**cab,
            Call(call) => &call.args,
        };
        operands.iter()
    }
}

impl Expr {
    /// A node over `kind`'s operands, one level above the highest of them.
    fn new(kind: ExprKind, ty: Type) -> Expr {
        let below = kind.children().map(|c| c.height).max().unwrap_or(0);
        Expr {
            kind,
            ty,
            height: below.saturating_add(1),
        }
    }

    /// The static type of the expression.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Parses and checks a condition, which must be `Bool`.
    ///
    /// # Errors
    /// A syntax error, an unknown name, a type error, or an expression past `limits`.
    pub fn parse_condition(
        src: &str,
        scope: &dyn Scope,
        limits: ExprLimits,
    ) -> Result<Expr, ExprError> {
        let expr = parse::parse_expr(src, scope, limits)?;
        if expr.ty != Type::Bool {
            return Err(ExprError::new(
                0,
                format!("a condition must be Bool, this is {}", expr.ty),
            ));
        }
        Ok(expr)
    }

    /// Parses and checks an expression of any type.
    ///
    /// # Errors
    /// A syntax error, an unknown name, a type error, or an expression past `limits`.
    pub fn parse(src: &str, scope: &dyn Scope, limits: ExprLimits) -> Result<Expr, ExprError> {
        parse::parse_expr(src, scope, limits)
    }

    /// The value of the expression if it does not depend on state (variables, visits,
    /// turns or random numbers): used to warn about conditions that can never hold.
    /// `false && x`, `true || x` and a `?:` whose condition is constant are constant
    /// whatever the rest reads. One pass: each node is folded once, from its operands'
    /// folded values.
    pub fn constant(&self) -> Option<Value> {
        use ExprKind::*;
        match &self.kind {
            Int(_) | Float(_) | Bool(_) | Str(_) => self.kind.literal_value(),
            // A host function's answer is the game's state; a parameter is an argument's.
            Var(_) | Visits(_) | TurnsSince(_) | Turns | Random(..) | Param(_) | Call(_) => None,
            And(ab) | Or(ab) => {
                let [a, b] = &**ab;
                // `false` absorbs `&&`, `true` absorbs `||`; the other value is neutral.
                let absorbing = Value::Bool(matches!(self.kind, Or(..)));
                match (a.constant(), b.constant()) {
                    (Some(x), _) | (_, Some(x)) if x == absorbing => Some(absorbing),
                    (Some(_), Some(y)) => Some(y),
                    _ => None,
                }
            }
            Cond(cab) => {
                let [c, a, b] = &**cab;
                let (c, a, b) = (c.constant(), a.constant(), b.constant());
                match c? {
                    Value::Bool(true) => a?.coerce(self.ty),
                    Value::Bool(false) => b?.coerce(self.ty),
                    _ => None,
                }
            }
            _ => {
                let operands = self
                    .kind
                    .children()
                    .map(Expr::constant)
                    .collect::<Option<Vec<_>>>()?;
                self.over_literals(operands)?.eval(&mut eval::NoState).ok()
            }
        }
    }

    /// This node with its operands replaced by the literals `values`, for folding: a
    /// node of height 2, so evaluating it does not walk the operands again.
    fn over_literals(&self, values: Vec<Value>) -> Option<Expr> {
        use ExprKind::*;
        let mut values = values.into_iter().map(|v| {
            let ty = v.ty();
            Expr::new(ExprKind::literal(v), ty)
        });
        let mut next = || values.next();
        let mut pair = || Some(Box::new([next()?, next()?]));
        let kind = match &self.kind {
            Not(_) => Not(Box::new(next()?)),
            Neg(_) => Neg(Box::new(next()?)),
            Abs(_) => Abs(Box::new(next()?)),
            Arith(op, _) => Arith(*op, pair()?),
            Concat(_) => Concat(pair()?),
            Cmp(op, _) => Cmp(*op, pair()?),
            Min(_) => Min(pair()?),
            Max(_) => Max(pair()?),
            _ => return None,
        };
        Some(Expr::new(kind, self.ty))
    }

    /// Every variable the expression reads, in order of appearance.
    pub fn vars(&self, out: &mut Vec<VarId>) {
        if let ExprKind::Var(v) = self.kind {
            out.push(v);
        }
        for child in self.kind.children() {
            child.vars(out);
        }
    }

    /// How the expression uses each quantity of a session's state it reads (for an
    /// explorer's abstraction, [`Observed`](crate::runtime::Observed)): compared with an
    /// integer constant, or read in any other way.
    pub(crate) fn uses(&self, f: &mut impl FnMut(Use)) {
        if let ExprKind::Cmp(_, ab) = &self.kind {
            let [a, b] = &**ab;
            let compared = match (a.quantity(), b.int_lit(), b.quantity(), a.int_lit()) {
                (Some(q), Some(c), _, _) | (_, _, Some(q), Some(c)) => Some((q, c)),
                _ => None,
            };
            if let Some((q, c)) = compared {
                f(Use::Compared(q, c));
                return;
            }
        }
        if let Some(q) = self.quantity() {
            f(Use::Other(q));
        }
        for child in self.kind.children() {
            child.uses(f);
        }
    }

    /// The quantity the expression is, when it is one: a variable, a node's visits, the
    /// turn count.
    pub(crate) fn quantity(&self) -> Option<Quantity> {
        match self.kind {
            ExprKind::Var(v) => Some(Quantity::Var(v)),
            ExprKind::Visits(n) => Some(Quantity::Visits(n)),
            ExprKind::Turns => Some(Quantity::Turns),
            ExprKind::TurnsSince(n) => Some(Quantity::TurnsSince(n)),
            _ => None,
        }
    }

    fn int_lit(&self) -> Option<i64> {
        match &self.kind {
            ExprKind::Int(i) => Some(*i),
            ExprKind::Neg(e) => e.int_lit().and_then(i64::checked_neg),
            _ => None,
        }
    }

    /// Every node the expression reads the visits or turns of, in order of appearance.
    pub fn nodes(&self, out: &mut Vec<NodeId>) {
        if let ExprKind::Visits(n) | ExprKind::TurnsSince(n) = self.kind {
            out.push(n);
        }
        for child in self.kind.children() {
            child.nodes(out);
        }
    }

    /// Every host function the expression calls, in order of appearance.
    pub fn functions(&self, out: &mut Vec<FunctionId>) {
        if let ExprKind::Call(call) = &self.kind {
            out.push(call.function);
        }
        for child in self.kind.children() {
            child.functions(out);
        }
    }
}

/// One entry of an effect list (`set`, `on_enter`): a change of a variable, or a call of
/// a command the story declares, which reaches the game as an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `x = e`, `x += e`, `x -= e`.
    Set(Effect),
    /// `command(args…)`.
    Command(CommandCall),
}

impl Action {
    /// The expressions the entry evaluates: the value written, or the command's
    /// arguments.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let (value, args): (Option<&Expr>, &[Expr]) = match self {
            Action::Set(effect) => (Some(&effect.value), &[]),
            Action::Command(call) => (None, &call.args),
        };
        value.into_iter().chain(args)
    }

    /// Parses and checks an entry of an effect list: a call of a declared command, or an
    /// effect.
    ///
    /// # Errors
    /// As [`Effect::parse`]; for a command, a wrong number or type of arguments.
    pub fn parse(src: &str, scope: &dyn Scope, limits: ExprLimits) -> Result<Action, ExprError> {
        match parse::parse_command(src, scope, limits)? {
            Some(call) => Ok(Action::Command(call)),
            None => Effect::parse(src, scope, limits).map(Action::Set),
        }
    }
}

/// A checked call of a declared command: which, and its arguments, evaluated when it
/// runs.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandCall {
    /// The command.
    pub command: CommandId,
    args: Box<[Expr]>,
    /// The parameters' types, which the arguments' values take (an `Int` for a `Float`).
    params: Box<[Type]>,
}

impl CommandCall {
    /// The arguments, in order.
    pub fn args(&self) -> &[Expr] {
        &self.args
    }

    /// The type of parameter `i`.
    pub fn param(&self, i: usize) -> Option<Type> {
        self.params.get(i).copied()
    }
}

/// How an effect changes its variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectOp {
    /// `x = e`
    Assign,
    /// `x += e`: numeric addition, or appending to a string.
    Add,
    /// `x -= e`
    Sub,
}

/// A quantity of a session's state that expressions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantity {
    Var(VarId),
    Visits(NodeId),
    Turns,
    TurnsSince(NodeId),
}

/// How an expression reads a quantity (see [`Expr::uses`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// Compared with an integer constant (`coins >= 5`).
    Compared(Quantity, i64),
    /// Read any other way: its exact value matters.
    Other(Quantity),
}

/// A checked effect: `var = e`, `var += e` or `var -= e`.
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The variable written.
    pub var: VarId,
    /// How it is written.
    pub op: EffectOp,
    var_ty: Type,
    value: Expr,
}

impl Effect {
    /// Parses and checks an effect.
    ///
    /// # Errors
    /// A syntax error, an undeclared variable, or a value whose type does not fit.
    pub fn parse(src: &str, scope: &dyn Scope, limits: ExprLimits) -> Result<Effect, ExprError> {
        parse::parse_effect(src, scope, limits)
    }

    /// The expression on the right-hand side.
    pub fn value(&self) -> &Expr {
        &self.value
    }

    /// Whether the effect only ever raises its variable or sets it to a constant: `x +=`
    /// a non-negative integer constant or `random` of such, or `x =` an integer constant.
    /// A variable only written so, and only compared with constants, behaves the same for
    /// every value past the largest constant.
    pub(crate) fn raises_or_resets(&self) -> bool {
        match (self.op, &self.value.kind) {
            // `random` draws between its bounds in either order: both must be >= 0.
            (EffectOp::Add, ExprKind::Random(bounds)) => {
                let [lo, hi] = &**bounds;
                lo.int_lit().is_some_and(|lo| lo >= 0) && hi.int_lit().is_some_and(|hi| hi >= 0)
            }
            (EffectOp::Add, _) => self.value.int_lit().is_some_and(|c| c >= 0),
            (EffectOp::Assign, _) => self.value.int_lit().is_some(),
            (EffectOp::Sub, _) => false,
        }
    }

    /// The variable's new value, computed from the current state.
    ///
    /// # Errors
    /// Arithmetic overflow, division by zero, a variable the state does not hold, or a
    /// string longer than the environment's limit.
    pub fn compute<E: Env>(&self, env: &mut E) -> Result<Value, EvalError> {
        let _span = tracing::trace_span!("eval").entered();
        let rhs = self.value.eval(env)?;
        let new = match self.op {
            EffectOp::Assign => rhs,
            EffectOp::Add | EffectOp::Sub => {
                let current = env.var(self.var).cloned().ok_or(EvalError::UnsetVariable)?;
                let op = if self.op == EffectOp::Add {
                    ArithOp::Add
                } else {
                    ArithOp::Sub
                };
                match (current, rhs) {
                    (Value::Str(a), b) if op == ArithOp::Add => {
                        // Checked before the string is built.
                        let b_len = if let Value::Str(b) = &b { b.len() } else { 0 };
                        eval::fits(env, a.len().saturating_add(b_len))?;
                        Value::Str(format!("{a}{b}").into())
                    }
                    (a, b) => eval::arith(op, a, b)?,
                }
            }
        };
        if let Value::Str(s) = &new {
            eval::fits(env, s.len())?;
        }
        new.coerce(self.var_ty).ok_or(EvalError::Type)
    }
}
