//! Story text with `{expr}` interpolation and conditional blocks
//! (`{if c}…{elif c}…{else}…{end}`); `{{` and `}}` stand for literal braces.
//!
//! A template is a flat list of parts that rendering walks with an index: a block is a
//! jump past a branch whose condition does not hold and a jump to the block's end after
//! one that does. Nesting costs no recursion, and rendering allocates nothing.

use super::parse::parse_interpolation;
use super::{Env, EvalError, Expr, ExprError, ExprLimits, Scope};
use crate::value::Type;

/// A checked piece of story text: literal runs, interpolated expressions and conditional
/// blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    literal: Box<str>,
    parts: Box<[Part]>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// A byte range of `literal`.
    Lit(u32, u32),
    Expr(Expr),
    /// The start of a branch: rendered on when `cond` holds, else go to part `otherwise`.
    If {
        cond: Expr,
        otherwise: u32,
    },
    /// The end of a branch: go to part `to`, past the block.
    Jump {
        to: u32,
    },
}

/// A block being parsed: where its branches' parts must be pointed once it ends.
struct Open {
    /// Where `{if` is, for an error if the block is never closed.
    at: usize,
    /// The last branch's `If`, whose `otherwise` is the next branch or the end.
    branch: Option<usize>,
    /// The `Jump`s at the ends of branches, to point at the end.
    jumps: Vec<usize>,
}

/// What a `{…}` holds.
enum Tag<'s> {
    /// `{if c}` or `{elif c}`, with the condition's source and where it starts.
    Branch {
        elif: bool,
        cond: &'s str,
        cond_at: usize,
    },
    Else,
    End,
    /// `{expr}`.
    Interpolation,
}

/// The block keyword a `{` at `body - 1` opens with, if any.
fn tag(src: &str, body: usize) -> Tag<'_> {
    let rest = &src[body..];
    let trimmed = rest.trim_start();
    let lead = rest.len() - trimmed.len();
    let word_len = trimmed
        .bytes()
        .position(|b| !(b == b'_' || b.is_ascii_alphanumeric()))
        .unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(word_len);
    let closes = after.trim_start().starts_with('}');
    match word {
        "if" | "elif" => Tag::Branch {
            elif: word == "elif",
            cond: after,
            cond_at: body + lead + word_len,
        },
        "else" if closes => Tag::Else,
        "end" if closes => Tag::End,
        _ => Tag::Interpolation,
    }
}

impl Template {
    /// Parses and checks text with interpolations and conditional blocks.
    ///
    /// # Errors
    /// An unclosed `{`, a lone `}`, an error in an interpolated expression or a condition
    /// (which must be `Bool`), `{elif}` or `{else}` or `{end}` outside a block, `{elif}`
    /// after `{else}`, or an `{if}` never closed; offsets are byte offsets into `src`.
    pub fn parse(src: &str, scope: &dyn Scope, limits: ExprLimits) -> Result<Template, ExprError> {
        let mut literal = String::with_capacity(src.len());
        let mut parts = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        let mut run_start = 0;
        let bytes = src.as_bytes();
        let mut i = 0;
        let flush = |literal: &mut String, parts: &mut Vec<Part>, run_start: &mut usize| {
            if literal.len() > *run_start {
                parts.push(Part::Lit(*run_start as u32, literal.len() as u32));
            }
            *run_start = literal.len();
        };
        let interpolation = |text: &str, at: usize| {
            parse_interpolation(text, scope, limits).map_err(|e| ExprError { at: at + e.at, ..e })
        };
        while i < bytes.len() {
            match bytes[i] {
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    literal.push('{');
                    i += 2;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    literal.push('}');
                    i += 2;
                }
                b'}' => {
                    return Err(ExprError::new(
                        i,
                        "lone `}` in text (write `}}` for a literal brace)",
                    ));
                }
                b'{' => {
                    flush(&mut literal, &mut parts, &mut run_start);
                    let body = i + 1;
                    i = match tag(src, body) {
                        Tag::Interpolation => {
                            let (expr, end) = interpolation(&src[body..], body)?;
                            parts.push(Part::Expr(expr));
                            body + end + 1
                        }
                        Tag::Branch {
                            elif,
                            cond,
                            cond_at,
                        } => {
                            if cond.trim_start().starts_with('}') || cond.trim().is_empty() {
                                let word = if elif { "elif" } else { "if" };
                                return Err(ExprError::new(
                                    i,
                                    format!("`{{{word}}}` needs a condition: `{{{word} x > 0}}`"),
                                ));
                            }
                            let (cond, end) = interpolation(cond, cond_at)?;
                            if cond.ty() != Type::Bool {
                                return Err(ExprError::new(
                                    cond_at,
                                    format!(
                                        "the condition of a block must be Bool, this is {}",
                                        cond.ty()
                                    ),
                                ));
                            }
                            if elif {
                                let block = open.last_mut().ok_or_else(|| {
                                    ExprError::new(i, "`{elif}` outside an `{if}` block")
                                })?;
                                let Some(branch) = block.branch else {
                                    return Err(ExprError::new(i, "`{elif}` after `{else}`"));
                                };
                                block.jumps.push(parts.len());
                                parts.push(Part::Jump { to: 0 });
                                let next = parts.len();
                                point(&mut parts, branch, next);
                                block.branch = Some(parts.len());
                            } else {
                                open.push(Open {
                                    at: i,
                                    branch: Some(parts.len()),
                                    jumps: Vec::new(),
                                });
                            }
                            parts.push(Part::If { cond, otherwise: 0 });
                            cond_at + end + 1
                        }
                        Tag::Else => {
                            let block = open.last_mut().ok_or_else(|| {
                                ExprError::new(i, "`{else}` outside an `{if}` block")
                            })?;
                            let Some(branch) = block.branch.take() else {
                                return Err(ExprError::new(i, "a second `{else}` in one block"));
                            };
                            block.jumps.push(parts.len());
                            parts.push(Part::Jump { to: 0 });
                            let next = parts.len();
                            point(&mut parts, branch, next);
                            body + src[body..].find('}').unwrap_or(0) + 1
                        }
                        Tag::End => {
                            let block = open.pop().ok_or_else(|| {
                                ExprError::new(i, "`{end}` without an `{if}` to close")
                            })?;
                            let end = parts.len();
                            if let Some(branch) = block.branch {
                                point(&mut parts, branch, end);
                            }
                            for jump in block.jumps {
                                point(&mut parts, jump, end);
                            }
                            body + src[body..].find('}').unwrap_or(0) + 1
                        }
                    };
                }
                _ => {
                    let ch_len = src[i..].chars().next().map_or(1, char::len_utf8);
                    literal.push_str(&src[i..i + ch_len]);
                    i += ch_len;
                }
            }
        }
        if let Some(block) = open.last() {
            return Err(ExprError::new(block.at, "`{if}` without `{end}`"));
        }
        flush(&mut literal, &mut parts, &mut run_start);
        Ok(Template {
            literal: literal.into_boxed_str(),
            parts: parts.into_boxed_slice(),
        })
    }

    /// A template of plain text with no interpolation.
    pub fn plain(text: &str) -> Template {
        let parts: Box<[Part]> = if text.is_empty() {
            Box::new([])
        } else {
            Box::new([Part::Lit(0, text.len() as u32)])
        };
        Template {
            literal: text.into(),
            parts,
        }
    }

    /// Appends the rendered text to `out`.
    ///
    /// # Errors
    /// As [`Expr::eval`], and [`EvalError::StringTooLong`] when the text would be longer
    /// than the environment's string limit.
    pub fn render<E: Env>(&self, env: &mut E, out: &mut String) -> Result<(), EvalError> {
        let _span = tracing::trace_span!("eval").entered();
        let start = out.len();
        let mut at = 0;
        while let Some(part) = self.parts.get(at) {
            at += 1;
            match part {
                Part::Lit(a, b) => out.push_str(&self.literal[*a as usize..*b as usize]),
                Part::Expr(e) => e.display(env, out)?,
                Part::If { cond, otherwise } => {
                    if !cond.eval_bool(env)? {
                        at = *otherwise as usize;
                    }
                    continue;
                }
                Part::Jump { to } => {
                    at = *to as usize;
                    continue;
                }
            }
            super::eval::fits(env, out.len() - start)?;
        }
        Ok(())
    }

    /// The interpolated expressions and the blocks' conditions, in order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) | Part::If { cond: e, .. } => Some(e),
            Part::Lit(..) | Part::Jump { .. } => None,
        })
    }
}

/// Points the `If` or `Jump` at `part` to part `to`.
fn point(parts: &mut [Part], part: usize, to: usize) {
    let to = u32::try_from(to).unwrap_or(u32::MAX);
    match parts.get_mut(part) {
        Some(Part::If { otherwise, .. }) => *otherwise = to,
        Some(Part::Jump { to: target }) => *target = to,
        _ => {}
    }
}
