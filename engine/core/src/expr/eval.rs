//! Evaluation of checked expressions against an [`Env`].

use super::template::VariationKind;
use super::{ArithOp, CmpOp, Expr, ExprKind};
use crate::ids::{FunctionId, NodeId, VarId};
use crate::value::{Type, Value};

/// The state an expression reads: implemented by the runtime's session.
pub trait Env {
    /// The current value of a variable.
    fn var(&self, var: VarId) -> Option<&Value>;
    /// How often a node was entered.
    fn visits(&self, node: NodeId) -> u32;
    /// How many choices were made.
    fn turns(&self) -> u64;
    /// Choices made since the node was last entered, or -1 if it never was.
    fn turns_since(&self, node: NodeId) -> i64;
    /// A number in `lo..=hi` from the session's seeded generator.
    fn random(&mut self, lo: i64, hi: i64) -> i64;
    /// The branch a text's variation number `ordinal` (in the order the text writes them)
    /// shows now, of its `n` branches, or `None` for nothing. Sessions count showings per
    /// node and choice; without a session, the first showing.
    fn variation(&mut self, ordinal: u16, kind: VariationKind, n: usize) -> Option<usize> {
        let _ = ordinal;
        kind.pick(0, n, || 0)
    }
    /// The longest string, in bytes, an expression may build or a text may render to.
    /// Sessions pass their `SessionConfig::max_string_len`.
    fn max_string_len(&self) -> usize {
        usize::MAX
    }
    /// The answer of a host function to `args` (already of its parameters' types): the
    /// game's binding, or else the function's fallback.
    ///
    /// # Errors
    /// [`EvalError::UnboundFunction`] when there is neither, or an error of the fallback.
    fn call(&mut self, function: FunctionId, args: &[Value]) -> Result<Value, EvalError> {
        let _ = args;
        Err(EvalError::UnboundFunction { function })
    }
    /// Argument `i` of the function whose fallback is being evaluated.
    fn param(&self, i: u16) -> Option<&Value> {
        let _ = i;
        None
    }
    /// The plural category of `n` in the language being rendered. Without a session:
    /// English's (`one` for 1, else `other`).
    fn plural(&self, n: i64) -> super::template::PluralCategory {
        english_plural(n)
    }
}

/// English's plural rule: `one` for 1, `other` for every other count.
pub fn english_plural(n: i64) -> super::template::PluralCategory {
    if n == 1 {
        super::template::PluralCategory::One
    } else {
        super::template::PluralCategory::Other
    }
}

/// Why evaluation failed. Checked expressions fail only on these runtime conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Integer arithmetic overflowed.
    #[error("integer overflow")]
    Overflow,
    /// Integer division or remainder by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// The state holds no value for a variable the expression reads.
    #[error("a variable has no value")]
    UnsetVariable,
    /// A value had an unexpected type; checking makes this unreachable.
    #[error("type mismatch")]
    Type,
    /// A string or a rendered text would have been longer than the session allows.
    #[error("a string would be longer than the limit of {limit} bytes")]
    StringTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A host function returned a value of another type than it declares.
    #[error("the game's function returned {found}, but it is declared to return {expected}")]
    FunctionReturned {
        /// The function.
        function: FunctionId,
        /// The declared return type.
        expected: Type,
        /// The type of the value returned.
        found: Type,
    },
    /// A host function has neither a binding nor a fallback (it was declared by a live
    /// edit after the session started).
    #[error("the game does not provide this function and it has no `fallback`")]
    UnboundFunction {
        /// The function.
        function: FunctionId,
    },
}

impl EvalError {
    /// The host function the error is about, if any.
    pub fn function(&self) -> Option<FunctionId> {
        match *self {
            EvalError::FunctionReturned { function, .. }
            | EvalError::UnboundFunction { function } => Some(function),
            _ => None,
        }
    }
}

/// `Ok` when `len` bytes fit the environment's string limit.
pub(crate) fn fits<E: Env + ?Sized>(env: &E, len: usize) -> Result<(), EvalError> {
    let limit = env.max_string_len();
    if len > limit {
        return Err(EvalError::StringTooLong { limit });
    }
    Ok(())
}

/// An environment with no state, for folding constants.
pub(super) struct NoState;

impl Env for NoState {
    fn var(&self, _: VarId) -> Option<&Value> {
        None
    }
    fn visits(&self, _: NodeId) -> u32 {
        0
    }
    fn turns(&self) -> u64 {
        0
    }
    fn turns_since(&self, _: NodeId) -> i64 {
        -1
    }
    fn random(&mut self, lo: i64, _: i64) -> i64 {
        lo
    }
}

/// The environment a function's fallback is evaluated in: `env`, with the call's
/// arguments as the parameters. Fallbacks call no host functions (checked at load).
pub(crate) struct WithArgs<'e, E: ?Sized> {
    pub(crate) env: &'e mut E,
    pub(crate) args: &'e [Value],
}

impl<E: Env + ?Sized> Env for WithArgs<'_, E> {
    fn var(&self, var: VarId) -> Option<&Value> {
        self.env.var(var)
    }
    fn visits(&self, node: NodeId) -> u32 {
        self.env.visits(node)
    }
    fn turns(&self) -> u64 {
        self.env.turns()
    }
    fn turns_since(&self, node: NodeId) -> i64 {
        self.env.turns_since(node)
    }
    fn random(&mut self, lo: i64, hi: i64) -> i64 {
        self.env.random(lo, hi)
    }
    fn max_string_len(&self) -> usize {
        self.env.max_string_len()
    }
    fn param(&self, i: u16) -> Option<&Value> {
        self.args.get(usize::from(i))
    }
    fn plural(&self, n: i64) -> super::template::PluralCategory {
        self.env.plural(n)
    }
}

fn num(v: &Value) -> Result<f64, EvalError> {
    match *v {
        Value::Int(i) => Ok(i as f64),
        Value::Float(f) => Ok(f),
        _ => Err(EvalError::Type),
    }
}

pub(super) fn arith(op: ArithOp, a: Value, b: Value) -> Result<Value, EvalError> {
    if let (Value::Int(a), Value::Int(b)) = (&a, &b) {
        let (a, b) = (*a, *b);
        let r = match op {
            ArithOp::Add => a.checked_add(b).ok_or(EvalError::Overflow)?,
            ArithOp::Sub => a.checked_sub(b).ok_or(EvalError::Overflow)?,
            ArithOp::Mul => a.checked_mul(b).ok_or(EvalError::Overflow)?,
            ArithOp::Div | ArithOp::Rem if b == 0 => return Err(EvalError::DivisionByZero),
            ArithOp::Div => a.checked_div(b).ok_or(EvalError::Overflow)?,
            ArithOp::Rem => a.checked_rem(b).ok_or(EvalError::Overflow)?,
        };
        return Ok(Value::Int(r));
    }
    let (a, b) = (num(&a)?, num(&b)?);
    Ok(Value::Float(match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div => a / b,
        ArithOp::Rem => a % b,
    }))
}

fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<bool, EvalError> {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => num(a)?.partial_cmp(&num(b)?),
    };
    Ok(match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    })
}

impl Expr {
    /// Evaluates the expression.
    ///
    /// # Errors
    /// Integer overflow, division by zero, or a variable the environment does not hold.
    pub fn eval<E: Env>(&self, env: &mut E) -> Result<Value, EvalError> {
        use ExprKind::*;
        Ok(match &self.kind {
            Int(i) => Value::Int(*i),
            Float(f) => Value::Float(*f),
            Bool(b) => Value::Bool(*b),
            Str(s) => Value::Str(std::sync::Arc::clone(s)),
            Var(id) => env.var(*id).cloned().ok_or(EvalError::UnsetVariable)?,
            Not(a) => Value::Bool(!a.eval_bool(env)?),
            Neg(a) => match a.eval(env)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or(EvalError::Overflow)?),
                Value::Float(f) => Value::Float(-f),
                _ => return Err(EvalError::Type),
            },
            Arith(op, ab) => arith(*op, ab[0].eval(env)?, ab[1].eval(env)?)?,
            Concat(..) => {
                let mut s = String::new();
                self.display(env, &mut s)?;
                Value::Str(s.into())
            }
            Cmp(op, ab) => Value::Bool(compare(*op, &ab[0].eval(env)?, &ab[1].eval(env)?)?),
            And(ab) => Value::Bool(ab[0].eval_bool(env)? && ab[1].eval_bool(env)?),
            Or(ab) => Value::Bool(ab[0].eval_bool(env)? || ab[1].eval_bool(env)?),
            Cond(cab) => {
                let [c, a, b] = &**cab;
                let v = if c.eval_bool(env)? {
                    a.eval(env)?
                } else {
                    b.eval(env)?
                };
                v.coerce(self.ty).ok_or(EvalError::Type)?
            }
            Visits(node) => Value::Int(i64::from(env.visits(*node))),
            TurnsSince(node) => Value::Int(env.turns_since(*node)),
            Turns => Value::Int(i64::try_from(env.turns()).unwrap_or(i64::MAX)),
            Random(bounds) => {
                let [lo, hi] = &**bounds;
                let (Value::Int(lo), Value::Int(hi)) = (lo.eval(env)?, hi.eval(env)?) else {
                    return Err(EvalError::Type);
                };
                Value::Int(env.random(lo.min(hi), lo.max(hi)))
            }
            Min(ab) | Max(ab) => {
                let (a, b) = (ab[0].eval(env)?, ab[1].eval(env)?);
                let a_less = compare(CmpOp::Lt, &a, &b)?;
                let pick_a = matches!(self.kind, Min(..)) == a_less;
                let v = if pick_a { a } else { b };
                v.coerce(self.ty).ok_or(EvalError::Type)?
            }
            Abs(a) => match a.eval(env)? {
                Value::Int(i) => Value::Int(i.checked_abs().ok_or(EvalError::Overflow)?),
                Value::Float(f) => Value::Float(f.abs()),
                _ => return Err(EvalError::Type),
            },
            Param(i) => env.param(*i).cloned().ok_or(EvalError::UnsetVariable)?,
            Call(call) => self.call(call, env)?,
        })
    }

    /// Calls a host function: its arguments are evaluated into a buffer on the stack (a
    /// call of up to four arguments allocates nothing), and its answer must have the
    /// declared type.
    fn call<E: Env>(&self, call: &super::FunctionCall, env: &mut E) -> Result<Value, EvalError> {
        let mut args: smallvec::SmallVec<[Value; 4]> = smallvec::SmallVec::new();
        for (arg, &ty) in call.args.iter().zip(&call.params) {
            let value = arg.eval(env)?;
            args.push(value.coerce(ty).ok_or(EvalError::Type)?);
        }
        let value = env.call(call.function, &args)?;
        if let Value::Str(s) = &value {
            fits(env, s.len())?;
        }
        let found = value.ty();
        value.coerce(self.ty).ok_or(EvalError::FunctionReturned {
            function: call.function,
            expected: self.ty,
            found,
        })
    }

    /// Evaluates a `Bool` expression.
    ///
    /// # Errors
    /// As [`Expr::eval`].
    pub fn eval_bool<E: Env>(&self, env: &mut E) -> Result<bool, EvalError> {
        use ExprKind::*;
        match &self.kind {
            // The common condition, integers compared, without building values.
            Cmp(op, ab) if ab[0].ty == Type::Int && ab[1].ty == Type::Int => {
                let [a, b] = &**ab;
                let (a, b) = (a.eval_int(env)?, b.eval_int(env)?);
                Ok(match op {
                    CmpOp::Eq => a == b,
                    CmpOp::Ne => a != b,
                    CmpOp::Lt => a < b,
                    CmpOp::Le => a <= b,
                    CmpOp::Gt => a > b,
                    CmpOp::Ge => a >= b,
                })
            }
            Not(a) => Ok(!a.eval_bool(env)?),
            And(ab) => Ok(ab[0].eval_bool(env)? && ab[1].eval_bool(env)?),
            Or(ab) => Ok(ab[0].eval_bool(env)? || ab[1].eval_bool(env)?),
            _ => match self.eval(env)? {
                Value::Bool(b) => Ok(b),
                _ => Err(EvalError::Type),
            },
        }
    }

    /// Evaluates an `Int` expression.
    ///
    /// # Errors
    /// As [`Expr::eval`].
    pub fn eval_int_value<E: Env>(&self, env: &mut E) -> Result<i64, EvalError> {
        self.eval_int(env)
    }

    /// Evaluates an `Int` expression; literals, variables and visits are read without
    /// building a value.
    fn eval_int<E: Env>(&self, env: &mut E) -> Result<i64, EvalError> {
        match &self.kind {
            ExprKind::Int(i) => Ok(*i),
            ExprKind::Var(id) => match env.var(*id) {
                Some(Value::Int(i)) => Ok(*i),
                Some(_) => Err(EvalError::Type),
                None => Err(EvalError::UnsetVariable),
            },
            ExprKind::Visits(node) => Ok(i64::from(env.visits(*node))),
            _ => match self.eval(env)? {
                Value::Int(i) => Ok(i),
                _ => Err(EvalError::Type),
            },
        }
    }

    /// Appends the expression's value as text to `out`. Strings, concatenations and the
    /// branches of `?:` are written straight into `out`, so rendering allocates nothing
    /// beyond the buffer's growth.
    ///
    /// # Errors
    /// As [`Expr::eval`].
    pub fn display<E: Env>(&self, env: &mut E, out: &mut String) -> Result<(), EvalError> {
        use ExprKind::*;
        match &self.kind {
            Str(s) => out.push_str(s),
            Var(id) => env.var(*id).ok_or(EvalError::UnsetVariable)?.write_to(out),
            // Each operand's text is within the limit (checked where it was built), so a
            // check after each keeps the buffer under twice the limit.
            Concat(ab) => {
                let [a, b] = &**ab;
                let start = out.len();
                a.display(env, out)?;
                fits(env, out.len() - start)?;
                b.display(env, out)?;
                fits(env, out.len() - start)?;
            }
            Cond(cab) if self.ty == cab[1].ty && self.ty == cab[2].ty => {
                let [c, a, b] = &**cab;
                if c.eval_bool(env)? {
                    a.display(env, out)?;
                } else {
                    b.display(env, out)?;
                }
            }
            _ => self.eval(env)?.write_to(out),
        }
        Ok(())
    }
}
