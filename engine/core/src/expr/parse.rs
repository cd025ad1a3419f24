//! The expression parser: precedence climbing with type checking as it goes.

use super::lex::{Spanned, Tok, lex, recycle};
use super::{
    ArithOp, CmpOp, CommandCall, Effect, EffectOp, Expr, ExprError, ExprKind, ExprLimits,
    FunctionCall, NameKind, Scope,
};
use crate::suggest::did_you_mean;
use crate::value::Type;

pub(super) fn parse_expr(
    src: &str,
    scope: &dyn Scope,
    limits: ExprLimits,
) -> Result<Expr, ExprError> {
    let (toks, _) = lex(src, false)?;
    let mut p = Parser::new(toks, scope, limits);
    let expr = p.ternary()?;
    p.expect_end()?;
    Ok(expr)
}

/// Parses an interpolation starting at `src`; returns the expression and the byte offset of
/// the closing `}`.
pub(super) fn parse_interpolation(
    src: &str,
    scope: &dyn Scope,
    limits: ExprLimits,
) -> Result<(Expr, usize), ExprError> {
    let (toks, end) = lex(src, true)?;
    let mut p = Parser::new(toks, scope, limits);
    if p.peek() == &Tok::RBrace {
        return Err(ExprError::new(
            0,
            "empty `{}` in text (write `{{` for a literal brace)",
        ));
    }
    let expr = p.ternary()?;
    if p.peek() != &Tok::RBrace {
        return Err(p.unexpected("`}`"));
    }
    Ok((expr, end))
}

/// `src` as a call of a command the scope declares (`name(args…)`), checked against its
/// parameters; `None` when it is not one (an effect, or an error that `parse_effect`
/// reports).
pub(super) fn parse_command(
    src: &str,
    scope: &dyn Scope,
    limits: ExprLimits,
) -> Result<Option<CommandCall>, ExprError> {
    let (toks, _) = lex(src, false)?;
    let (Some(Tok::Ident(name)), Some(Tok::LParen)) =
        (toks.first().map(|t| &t.tok), toks.get(1).map(|t| &t.tok))
    else {
        recycle(toks);
        return Ok(None);
    };
    let Some((command, params)) = scope.command(name) else {
        let hint = match crate::suggest::closest(name, scope.names(NameKind::Command)) {
            Some(meant) => format!("did you mean `{meant}`? Else declare it under `commands`"),
            None => "declare it under `commands`".to_owned(),
        };
        return Err(ExprError::unknown_name(
            0,
            format!("`{name}` is not a command the story declares ({hint})"),
        ));
    };
    let name: &str = name;
    let mut p = Parser::new(toks, scope, limits);
    p.bump();
    p.bump();
    let args = p.args()?;
    p.expect_end()?;
    Ok(Some(CommandCall {
        command,
        args: typed_args(name, params, 0, args)?,
        params: params.into(),
    }))
}

/// The arguments of a call of `name`, checked against its parameters' types: an argument
/// of the wrong type is reported where it starts, a wrong count at `at`.
fn typed_args(
    name: &str,
    params: &[Type],
    at: usize,
    args: Vec<(usize, Expr)>,
) -> Result<Box<[Expr]>, ExprError> {
    for (i, ((arg_at, arg), want)) in args.iter().zip(params).enumerate() {
        if !(arg.ty == *want || (*want == Type::Float && arg.ty == Type::Int)) {
            return Err(ExprError::new(
                *arg_at,
                format!(
                    "argument {} of `{name}` must be {want}, found {}",
                    i + 1,
                    arg.ty
                ),
            ));
        }
    }
    if args.len() != params.len() {
        return Err(ExprError::new(
            at,
            format!(
                "`{name}` takes {} argument(s), found {}",
                params.len(),
                args.len()
            ),
        ));
    }
    Ok(args.into_iter().map(|(_, e)| e).collect())
}

pub(super) fn parse_effect(
    src: &str,
    scope: &dyn Scope,
    limits: ExprLimits,
) -> Result<Effect, ExprError> {
    let (toks, _) = lex(src, false)?;
    let mut p = Parser::new(toks, scope, limits);
    let at = p.at();
    let Tok::Ident(name) = p.peek().clone() else {
        return Err(ExprError::new(
            at,
            "an effect starts with a variable: `x = e`, `x += e` or `x -= e`",
        ));
    };
    let (var, var_ty) = scope.var(name).ok_or_else(|| {
        let hint = did_you_mean(name, scope.names(NameKind::Variable));
        ExprError::unknown_name(at, format!("undeclared variable `{name}`{hint}"))
    })?;
    p.bump();
    let op_at = p.at();
    let op = match p.bump() {
        Tok::Assign => EffectOp::Assign,
        Tok::PlusAssign => EffectOp::Add,
        Tok::MinusAssign => EffectOp::Sub,
        _ => return Err(ExprError::new(op_at, "expected `=`, `+=` or `-=`")),
    };
    let value_at = p.at();
    let value = p.ternary()?;
    p.expect_end()?;
    let fits = match op {
        EffectOp::Assign => value.ty == var_ty || (var_ty == Type::Float && value.ty == Type::Int),
        EffectOp::Add if var_ty == Type::Str => true,
        EffectOp::Add | EffectOp::Sub => {
            var_ty.is_numeric()
                && value.ty.is_numeric()
                && (var_ty == Type::Float || value.ty == Type::Int)
        }
    };
    if !fits {
        let sym = match op {
            EffectOp::Assign => "=",
            EffectOp::Add => "+=",
            EffectOp::Sub => "-=",
        };
        return Err(ExprError::new(
            value_at,
            format!(
                "`{name} {sym}` needs a value that fits {var_ty}, found {}",
                value.ty
            ),
        ));
    }
    Ok(Effect {
        var,
        op,
        var_ty,
        value,
    })
}

struct Parser<'s> {
    toks: Vec<Spanned<'s>>,
    pos: usize,
    /// The parser's own recursion: parentheses, unary operators, `?:` and calls.
    depth: usize,
    /// Nodes built so far.
    size: usize,
    limits: ExprLimits,
    scope: &'s dyn Scope,
}

fn node(kind: ExprKind, ty: Type) -> Expr {
    Expr::new(kind, ty)
}

impl<'s> Parser<'s> {
    fn new(toks: Vec<Spanned<'s>>, scope: &'s dyn Scope, limits: ExprLimits) -> Self {
        Parser {
            toks,
            pos: 0,
            depth: 0,
            size: 0,
            limits,
            scope,
        }
    }
}

impl Drop for Parser<'_> {
    /// The token buffer goes back for the next expression (see [`recycle`]).
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.toks));
    }
}

impl<'s> Parser<'s> {
    /// `e`, just built at `at`, if the expression stays within its limits: every node
    /// counts towards the size, and every level of operators towards the depth.
    fn built(&mut self, e: Expr, at: usize) -> Result<Expr, ExprError> {
        self.size += 1;
        if self.size > self.limits.max_size {
            return Err(ExprError::new(
                at,
                format!(
                    "expression longer than the limit of {} operators and operands \
                     (split it across variables)",
                    self.limits.max_size
                ),
            ));
        }
        if usize::from(e.height) > self.limits.max_depth {
            return Err(self.too_deep(at));
        }
        Ok(e)
    }

    fn too_deep(&self, at: usize) -> ExprError {
        ExprError::new(
            at,
            format!(
                "expression nested deeper than the limit of {} (each operator of a chain \
                 counts: split a long chain across variables)",
                self.limits.max_depth
            ),
        )
    }

    fn peek(&self) -> &Tok<'s> {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn at(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(0, |t| t.at)
    }

    fn bump(&mut self) -> Tok<'s> {
        let tok = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        tok
    }

    fn unexpected(&self, wanted: &str) -> ExprError {
        let found = describe(self.peek());
        ExprError::new(self.at(), format!("expected {wanted}, found {found}"))
    }

    fn expect_end(&self) -> Result<(), ExprError> {
        if self.peek() == &Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected("the end of the expression"))
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(self.too_deep(self.at()));
        }
        Ok(())
    }

    fn ternary(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let at = self.at();
        let cond = self.binary(0)?;
        let result = if self.peek() == &Tok::Question {
            if cond.ty != Type::Bool {
                return Err(ExprError::new(
                    at,
                    format!("`?` needs a Bool condition, found {}", cond.ty),
                ));
            }
            self.bump();
            let then_at = self.at();
            let then = self.ternary()?;
            if self.bump() != Tok::Colon {
                self.pos -= 1;
                return Err(self.unexpected("`:`"));
            }
            let other = self.ternary()?;
            let ty = unify(then.ty, other.ty).ok_or_else(|| {
                ExprError::new(
                    then_at,
                    format!(
                        "the branches of `?:` differ in type: {} and {}",
                        then.ty, other.ty
                    ),
                )
            })?;
            let e = node(ExprKind::Cond(Box::new([cond, then, other])), ty);
            self.built(e, at)?
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    /// Precedence climbing over the binary operators; level 0 binds loosest.
    fn binary(&mut self, level: usize) -> Result<Expr, ExprError> {
        const LEVELS: usize = 6;
        if level == LEVELS {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        loop {
            let tok = self.peek().clone();
            let at = self.at();
            let in_level = matches!(
                (level, &tok),
                (0, Tok::OrOr)
                    | (1, Tok::AndAnd)
                    | (2, Tok::EqEq | Tok::Ne)
                    | (3, Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)
                    | (4, Tok::Plus | Tok::Minus)
                    | (5, Tok::Star | Tok::Slash | Tok::Percent)
            );
            if !in_level {
                break;
            }
            self.bump();
            let rhs = self.binary(level + 1)?;
            let e = combine(&tok, lhs, rhs).map_err(|m| ExprError::new(at, m))?;
            lhs = self.built(e, at)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        match self.peek() {
            Tok::Bang => {
                self.bump();
                self.enter()?;
                let e = self.unary()?;
                self.depth -= 1;
                if e.ty != Type::Bool {
                    return Err(ExprError::new(
                        at,
                        format!("`!` needs Bool, found {}", e.ty),
                    ));
                }
                self.built(node(ExprKind::Not(Box::new(e)), Type::Bool), at)
            }
            Tok::Minus => {
                self.bump();
                self.enter()?;
                let e = self.unary()?;
                self.depth -= 1;
                if !e.ty.is_numeric() {
                    return Err(ExprError::new(
                        at,
                        format!("`-` needs a number, found {}", e.ty),
                    ));
                }
                let ty = e.ty;
                self.built(node(ExprKind::Neg(Box::new(e)), ty), at)
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let at = self.at();
        let leaf = match self.bump() {
            Tok::Int(v) => node(ExprKind::Int(v), Type::Int),
            Tok::Float(v) => node(ExprKind::Float(v), Type::Float),
            Tok::Str(s) => node(ExprKind::Str(Box::new(s)), Type::Str),
            Tok::True => node(ExprKind::Bool(true), Type::Bool),
            Tok::False => node(ExprKind::Bool(false), Type::Bool),
            Tok::LParen => {
                let e = self.ternary()?;
                if self.peek() != &Tok::RParen {
                    return Err(self.unexpected("`)`"));
                }
                self.bump();
                return Ok(e);
            }
            Tok::Ident(name) if self.peek() == &Tok::LParen => {
                self.enter()?;
                let call = self.call(name, at)?;
                self.depth -= 1;
                return self.built(call, at);
            }
            Tok::Ident(name) => {
                if let Some((i, ty)) = self.scope.param(name) {
                    return self.built(node(ExprKind::Param(i), ty), at);
                }
                let (var, ty) = self.scope.var(name).ok_or_else(|| {
                    let hint = did_you_mean(name, self.scope.names(NameKind::Variable));
                    ExprError::unknown_name(at, format!("undeclared variable `{name}`{hint}"))
                })?;
                node(ExprKind::Var(var), ty)
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a value"));
            }
        };
        self.built(leaf, at)
    }

    /// The arguments of a call, after its `(` and through its `)`, each with the offset
    /// where it starts.
    fn args(&mut self) -> Result<Vec<(usize, Expr)>, ExprError> {
        let mut args = Vec::new();
        if self.peek() != &Tok::RParen {
            loop {
                let at = self.at();
                args.push((at, self.ternary()?));
                if self.peek() == &Tok::Comma {
                    self.bump();
                    continue;
                }
                break;
            }
        }
        if self.peek() != &Tok::RParen {
            return Err(self.unexpected("`,` or `)`"));
        }
        self.bump();
        Ok(args)
    }

    fn call(&mut self, name: &str, at: usize) -> Result<Expr, ExprError> {
        self.bump(); // `(`
        if name == "visits" || name == "turns_since" {
            return self.node_function(name, at);
        }
        let scope = self.scope;
        if !BUILT_IN.contains(&name)
            && let Some((function, params, returns)) = scope.function(name)
        {
            let args = self.args()?;
            let call = FunctionCall {
                function,
                args: typed_args(name, params, at, args)?,
                params: params.into(),
            };
            return Ok(node(ExprKind::Call(Box::new(call)), returns));
        }
        let args = self.args()?;
        check_call(name, at, &args).map_err(|mut e| {
            if e.unknown_name {
                let functions = self.scope.names(NameKind::Function);
                let hint = did_you_mean(name, BUILT_IN.into_iter().chain(functions));
                e.message.push_str(&hint);
            }
            e
        })?;
        let mut args = args.into_iter().map(|(_, e)| Box::new(e));
        let mut next = || {
            args.next()
                .ok_or_else(|| ExprError::new(at, "missing argument"))
        };
        Ok(match name {
            "turns" => node(ExprKind::Turns, Type::Int),
            "abs" => {
                let a = next()?;
                let ty = a.ty;
                node(ExprKind::Abs(a), ty)
            }
            "random" => node(ExprKind::Random(Box::new([*next()?, *next()?])), Type::Int),
            _ => {
                let ab = Box::new([*next()?, *next()?]);
                let ty = unify(ab[0].ty, ab[1].ty).unwrap_or(Type::Float);
                if name == "min" {
                    node(ExprKind::Min(ab), ty)
                } else {
                    node(ExprKind::Max(ab), ty)
                }
            }
        })
    }

    /// `visits("node")` or `turns_since("node")` after its `(`: the argument is a node
    /// name, resolved now, not an expression.
    fn node_function(&mut self, name: &str, at: usize) -> Result<Expr, ExprError> {
        let usage = || format!("`{name}` takes a node name in quotes");
        if self.peek() == &Tok::RParen {
            return Err(ExprError::new(at, usage()));
        }
        let str_at = self.at();
        let Tok::Str(node_name) = self.bump() else {
            return Err(ExprError::new(str_at, usage()));
        };
        let id = self.scope.node(&node_name).ok_or_else(|| {
            let hint = did_you_mean(&node_name, self.scope.names(NameKind::Node));
            ExprError::unknown_name(str_at, format!("unknown node `{node_name}`{hint}"))
        })?;
        if self.peek() != &Tok::RParen {
            return Err(self.unexpected("`)`"));
        }
        self.bump();
        let kind = if name == "visits" {
            ExprKind::Visits(id)
        } else {
            ExprKind::TurnsSince(id)
        };
        Ok(node(kind, Type::Int))
    }
}

/// The built-in functions of expressions, which no declaration may take as its name.
pub const BUILT_IN: [&str; 7] = [
    "visits",
    "turns_since",
    "turns",
    "random",
    "min",
    "max",
    "abs",
];

/// Checks a call of a built-in function other than `visits`: the name, the number of
/// arguments and their types (each with where it starts).
fn check_call(name: &str, at: usize, args: &[(usize, Expr)]) -> Result<(), ExprError> {
    let arity = match name {
        "turns" => 0,
        "abs" => 1,
        "random" | "min" | "max" => 2,
        _ => {
            return Err(ExprError::unknown_name(
                at,
                format!(
                    "unknown function `{name}` (built in: {}; a function the game provides \
                     is declared under `functions`)",
                    BUILT_IN.join(", ")
                ),
            ));
        }
    };
    if args.len() != arity {
        return Err(ExprError::new(
            at,
            format!("`{name}` takes {arity} argument(s), found {}", args.len()),
        ));
    }
    for &(a_at, ref arg) in args {
        let ok = if name == "random" {
            arg.ty == Type::Int
        } else {
            arg.ty.is_numeric()
        };
        if !ok {
            let want = if name == "random" { "Int" } else { "a number" };
            return Err(ExprError::new(
                a_at,
                format!("`{name}` needs {want}, found {}", arg.ty),
            ));
        }
    }
    Ok(())
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Int(v) => format!("`{v}`"),
        Tok::Float(v) => format!("`{v}`"),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::True => "`true`".into(),
        Tok::False => "`false`".into(),
        Tok::Bang => "`!`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Plus => "`+`".into(),
        Tok::Star => "`*`".into(),
        Tok::Slash => "`/`".into(),
        Tok::Percent => "`%`".into(),
        Tok::Lt => "`<`".into(),
        Tok::Le => "`<=`".into(),
        Tok::Gt => "`>`".into(),
        Tok::Ge => "`>=`".into(),
        Tok::EqEq => "`==`".into(),
        Tok::Ne => "`!=`".into(),
        Tok::AndAnd => "`&&`".into(),
        Tok::OrOr => "`||`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Question => "`?`".into(),
        Tok::Colon => "`:`".into(),
        Tok::Assign => "`=` (use `==` to compare)".into(),
        Tok::PlusAssign => "`+=`".into(),
        Tok::MinusAssign => "`-=`".into(),
        Tok::RBrace => "`}`".into(),
        Tok::Eof => "the end".into(),
    }
}

/// The common type of two branches or operands: equal types, or `Float` for mixed numbers.
fn unify(a: Type, b: Type) -> Option<Type> {
    if a == b {
        Some(a)
    } else if a.is_numeric() && b.is_numeric() {
        Some(Type::Float)
    } else {
        None
    }
}

fn combine(op: &Tok, lhs: Expr, rhs: Expr) -> Result<Expr, String> {
    let (lt, rt) = (lhs.ty, rhs.ty);
    let lr = Box::new([lhs, rhs]);
    // The operator as the error messages name it, made only for an error.
    let sym = || describe(op);
    match op {
        Tok::OrOr | Tok::AndAnd => {
            if lt != Type::Bool || rt != Type::Bool {
                return Err(format!(
                    "{} needs Bool on both sides, found {lt} and {rt}",
                    sym()
                ));
            }
            let kind = if op == &Tok::OrOr {
                ExprKind::Or(lr)
            } else {
                ExprKind::And(lr)
            };
            Ok(node(kind, Type::Bool))
        }
        Tok::EqEq | Tok::Ne => {
            if unify(lt, rt).is_none() {
                return Err(format!("cannot compare {lt} with {rt}"));
            }
            let cmp = if op == &Tok::EqEq {
                CmpOp::Eq
            } else {
                CmpOp::Ne
            };
            Ok(node(ExprKind::Cmp(cmp, lr), Type::Bool))
        }
        Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
            let ordered =
                (lt.is_numeric() && rt.is_numeric()) || (lt == Type::Str && rt == Type::Str);
            if !ordered {
                return Err(format!(
                    "{} needs two numbers or two strings, found {lt} and {rt}",
                    sym()
                ));
            }
            let cmp = match op {
                Tok::Lt => CmpOp::Lt,
                Tok::Le => CmpOp::Le,
                Tok::Gt => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            Ok(node(ExprKind::Cmp(cmp, lr), Type::Bool))
        }
        Tok::Plus if lt == Type::Str || rt == Type::Str => {
            Ok(node(ExprKind::Concat(lr), Type::Str))
        }
        _ => {
            if !lt.is_numeric() || !rt.is_numeric() {
                return Err(format!("{} needs numbers, found {lt} and {rt}", sym()));
            }
            let arith = match op {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                _ => ArithOp::Rem,
            };
            let ty = unify(lt, rt).unwrap_or(Type::Float);
            Ok(node(ExprKind::Arith(arith, lr), ty))
        }
    }
}
