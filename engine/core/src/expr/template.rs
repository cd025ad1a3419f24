//! Story text with `{expr}` interpolation; `{{` and `}}` stand for literal braces.

use super::parse::parse_interpolation;
use super::{Env, EvalError, Expr, ExprError, ExprLimits, Scope};

/// A checked piece of story text: literal runs and interpolated expressions.
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
}

impl Template {
    /// Parses and checks text with interpolations.
    ///
    /// # Errors
    /// An unclosed `{`, a lone `}`, or an error in an interpolated expression; offsets are
    /// byte offsets into `src`.
    pub fn parse(src: &str, scope: &dyn Scope, limits: ExprLimits) -> Result<Template, ExprError> {
        let mut literal = String::with_capacity(src.len());
        let mut parts = Vec::new();
        let mut run_start = 0;
        let bytes = src.as_bytes();
        let mut i = 0;
        let flush = |literal: &mut String, parts: &mut Vec<Part>, run_start: &mut usize| {
            if literal.len() > *run_start {
                parts.push(Part::Lit(*run_start as u32, literal.len() as u32));
            }
            *run_start = literal.len();
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
                    let (expr, end) =
                        parse_interpolation(&src[body..], scope, limits).map_err(|e| {
                            ExprError {
                                at: body + e.at,
                                ..e
                            }
                        })?;
                    parts.push(Part::Expr(expr));
                    i = body + end + 1;
                }
                _ => {
                    let ch_len = src[i..].chars().next().map_or(1, char::len_utf8);
                    literal.push_str(&src[i..i + ch_len]);
                    i += ch_len;
                }
            }
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
        for part in self.parts.iter() {
            match part {
                Part::Lit(a, b) => out.push_str(&self.literal[*a as usize..*b as usize]),
                Part::Expr(e) => e.display(env, out)?,
            }
            super::eval::fits(env, out.len() - start)?;
        }
        Ok(())
    }

    /// The interpolated expressions, in order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            Part::Lit(..) => None,
        })
    }
}
