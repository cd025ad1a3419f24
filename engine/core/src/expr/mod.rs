//! The expression language: conditions, effects and `{expr}` interpolation in text.
//!
//! Every expression is parsed and type-checked once, when the story loads, into an [`Expr`]
//! whose variables and node names are resolved to ids; evaluation walks that tree and never
//! looks at source text again. Evaluation reads state through the [`Env`] trait, so this
//! module knows nothing of sessions.

mod eval;
mod lex;
mod parse;
mod template;

use std::fmt;

pub use eval::{Env, EvalError};
pub use template::Template;

use crate::ids::{NodeId, VarId};
use crate::value::{Type, Value};

/// Resolves names while an expression is checked.
pub trait Scope {
    /// The id and type of a declared variable.
    fn var(&self, name: &str) -> Option<(VarId, Type)>;
    /// The id of a node, for `visits("node")`.
    fn node(&self, name: &str) -> Option<NodeId>;
}

/// A parse or type error at a byte offset of the expression's source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the source text where the problem is.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

impl ExprError {
    pub(crate) fn new(at: usize, message: impl Into<String>) -> Self {
        ExprError {
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.at)
    }
}

/// A checked, typed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    kind: ExprKind,
    ty: Type,
}

#[derive(Clone, Debug, PartialEq)]
enum ExprKind {
    Lit(Value),
    Var(VarId),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Visits(NodeId),
    Turns,
    Random(Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    Abs(Box<Expr>),
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

impl Expr {
    /// The static type of the expression.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Parses and checks a condition, which must be `Bool`.
    ///
    /// # Errors
    /// A syntax error, an unknown name, a type error, or nesting deeper than `max_depth`.
    pub fn parse_condition(
        src: &str,
        scope: &dyn Scope,
        max_depth: usize,
    ) -> Result<Expr, ExprError> {
        let expr = parse::parse_expr(src, scope, max_depth)?;
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
    /// A syntax error, an unknown name, a type error, or nesting deeper than `max_depth`.
    pub fn parse(src: &str, scope: &dyn Scope, max_depth: usize) -> Result<Expr, ExprError> {
        parse::parse_expr(src, scope, max_depth)
    }

    /// The value of the expression if it reads no state (no variables, visits, turns or
    /// random numbers): used to warn about conditions that can never hold.
    pub fn constant(&self) -> Option<Value> {
        // `false && x` and `true || x` are constant whatever `x` reads.
        match &self.kind {
            ExprKind::And(a, b)
                if [a, b]
                    .iter()
                    .any(|e| e.constant() == Some(Value::Bool(false))) =>
            {
                return Some(Value::Bool(false));
            }
            ExprKind::Or(a, b)
                if [a, b]
                    .iter()
                    .any(|e| e.constant() == Some(Value::Bool(true))) =>
            {
                return Some(Value::Bool(true));
            }
            _ => {}
        }
        if self.reads_state() {
            return None;
        }
        self.eval(&mut eval::NoState).ok()
    }

    fn reads_state(&self) -> bool {
        use ExprKind::*;
        match &self.kind {
            Lit(_) => false,
            Var(_) | Visits(_) | Turns | Random(..) => true,
            Not(a) | Neg(a) | Abs(a) => a.reads_state(),
            Arith(_, a, b)
            | Concat(a, b)
            | Cmp(_, a, b)
            | And(a, b)
            | Or(a, b)
            | Min(a, b)
            | Max(a, b) => a.reads_state() || b.reads_state(),
            Cond(c, a, b) => c.reads_state() || a.reads_state() || b.reads_state(),
        }
    }

    /// Every variable the expression reads, in order of appearance.
    pub fn vars(&self, out: &mut Vec<VarId>) {
        use ExprKind::*;
        match &self.kind {
            Var(v) => out.push(*v),
            Lit(_) | Visits(_) | Turns => {}
            Not(a) | Neg(a) | Abs(a) => a.vars(out),
            Arith(_, a, b)
            | Concat(a, b)
            | Cmp(_, a, b)
            | And(a, b)
            | Or(a, b)
            | Min(a, b)
            | Max(a, b)
            | Random(a, b) => {
                a.vars(out);
                b.vars(out);
            }
            Cond(c, a, b) => {
                c.vars(out);
                a.vars(out);
                b.vars(out);
            }
        }
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
    pub fn parse(src: &str, scope: &dyn Scope, max_depth: usize) -> Result<Effect, ExprError> {
        parse::parse_effect(src, scope, max_depth)
    }

    /// The expression on the right-hand side.
    pub fn value(&self) -> &Expr {
        &self.value
    }

    /// The variable's new value, computed from the current state.
    ///
    /// # Errors
    /// Arithmetic overflow, division by zero, or a variable the state does not hold.
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
                        Value::Str(format!("{a}{b}").into())
                    }
                    (a, b) => eval::arith(op, a, b)?,
                }
            }
        };
        new.coerce(self.var_ty).ok_or(EvalError::Type)
    }
}
