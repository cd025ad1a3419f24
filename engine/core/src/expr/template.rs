//! Story text with `{expr}` interpolation and conditional blocks
//! (`{if c}…{elif c}…{else}…{end}`); `{{` and `}}` stand for literal braces.
//!
//! A template is a flat list of parts that rendering walks with an index: a block is a
//! jump past a branch whose condition does not hold and a jump to the block's end after
//! one that does. Nesting costs no recursion, and rendering allocates nothing.

use std::sync::Arc;

use super::parse::parse_interpolation;
use super::{Env, EvalError, Expr, ExprError, ExprLimits, Scope};
use crate::value::Type;

/// A checked piece of story text: literal runs, interpolated expressions and conditional
/// blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The text as written; the literal runs are ranges of it.
    written: Written,
    parts: Box<[Part]>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// A literal run: a byte range of the text as written (for an escaped brace, the first
    /// of the two).
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
    /// A plural block (boxed: the largest part, and a rare one).
    Plural(Box<Plural>),
    /// A variation: the environment picks one of `branches` (part indexes), or none (go
    /// to part `end`).
    Variation {
        kind: VariationKind,
        ordinal: u16,
        branches: Box<[u32]>,
        end: u32,
    },
}

/// A plural block: the branch labelled with the category of `count` in the environment's
/// language (else the `other` branch).
#[derive(Clone, Debug, PartialEq)]
struct Plural {
    count: Expr,
    labels: Box<[PluralCategory]>,
    branches: Box<[u32]>,
    end: u32,
}

/// A template's text as written: kept inline when short (a choice's few words cost no
/// allocation, and rendering them follows no pointer), else shared (cloning a template
/// copies no text).
#[derive(Clone)]
enum Written {
    Inline {
        len: u8,
        bytes: [u8; Written::INLINE],
    },
    Shared(Arc<str>),
}

impl Written {
    /// The most bytes kept inline: what fits beside the tag and length in the size of the
    /// shared form.
    const INLINE: usize = 22;

    fn new(text: &str) -> Written {
        match Written::inline(text) {
            Some(inline) => inline,
            None => Written::Shared(text.into()),
        }
    }

    fn inline(text: &str) -> Option<Written> {
        let mut bytes = [0; Written::INLINE];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(Written::Inline {
            len: text.len() as u8,
            bytes,
        })
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied from a `str` whole, so always UTF-8.
            Written::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Written::Shared(text) => text,
        }
    }
}

impl std::ops::Deref for Written {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Written {
    fn eq(&self, other: &Written) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Debug for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// A CLDR plural category: which form of a word a number takes in a language (English
/// has `one` and `other`; Polish `one`, `few`, `many` and `other`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluralCategory {
    /// `zero`.
    Zero,
    /// `one`.
    One,
    /// `two`.
    Two,
    /// `few`.
    Few,
    /// `many`.
    Many,
    /// `other`.
    Other,
}

impl PluralCategory {
    /// The category's name as written in a plural block.
    pub fn name(self) -> &'static str {
        match self {
            PluralCategory::Zero => "zero",
            PluralCategory::One => "one",
            PluralCategory::Two => "two",
            PluralCategory::Few => "few",
            PluralCategory::Many => "many",
            PluralCategory::Other => "other",
        }
    }

    fn from_name(name: &str) -> Option<PluralCategory> {
        Some(match name {
            "zero" => PluralCategory::Zero,
            "one" => PluralCategory::One,
            "two" => PluralCategory::Two,
            "few" => PluralCategory::Few,
            "many" => PluralCategory::Many,
            "other" => PluralCategory::Other,
            _ => return None,
        })
    }
}

/// How a variation picks its branch, from how often it was shown before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariationKind {
    /// One branch per showing, staying on the last.
    Sequence,
    /// One branch per showing, wrapping around.
    Cycle,
    /// One branch per showing, then nothing.
    Once,
    /// A branch drawn from the session's seeded generator.
    Shuffle,
}

impl VariationKind {
    /// The branch shown at a showing of a variation of `n` branches that was shown `shown`
    /// times before; `None` for nothing. `Shuffle` draws with `draw` instead.
    pub fn pick(self, shown: u32, n: usize, draw: impl FnOnce() -> usize) -> Option<usize> {
        let shown = shown as usize;
        match self {
            _ if n == 0 => None,
            VariationKind::Sequence => Some(shown.min(n - 1)),
            VariationKind::Cycle => Some(shown % n),
            VariationKind::Once => (shown < n).then_some(shown),
            VariationKind::Shuffle => Some(draw().min(n - 1)),
        }
    }
}

/// A block being parsed: where its branches' parts must be pointed once it ends.
struct Open {
    /// Where the block's `{` is, for an error if it is never closed.
    at: usize,
    /// The last branch's `If`, whose `otherwise` is the next branch or the end (an
    /// `{if}` block), or the `Variation` part (a variation).
    branch: Option<usize>,
    /// The `Jump`s at the ends of branches, to point at the end.
    jumps: Vec<usize>,
    /// Where each branch starts, for a variation or a plural block.
    variation: Option<Vec<u32>>,
    /// Each branch's category, for a plural block.
    labels: Option<Vec<PluralCategory>>,
}

impl Open {
    /// What the block is, for messages: a variation or a plural block (`None` for an
    /// `{if}` block).
    fn kind(&self) -> Option<&'static str> {
        match (&self.variation, &self.labels) {
            (Some(_), Some(_)) => Some("plural block"),
            (Some(_), None) => Some("variation"),
            (None, _) => None,
        }
    }
}

/// What a `{…}` holds.
pub(super) enum Tag<'s> {
    /// `{if c}` or `{elif c}`, with the condition's source and where it starts.
    Branch {
        elif: bool,
        cond: &'s str,
        cond_at: usize,
    },
    Else,
    End,
    /// `{sequence: …}`, `{cycle: …}`, `{once: …}` or `{shuffle: …}`, with where its first
    /// branch starts.
    Variation(VariationKind, usize),
    /// `{plural count: …}`: the count's source and where it starts.
    Plural {
        count: &'s str,
        count_at: usize,
    },
    /// `{expr}`.
    Interpolation,
}

/// The block keyword a `{` at `body - 1` opens with, if any.
pub(super) fn tag(src: &str, body: usize) -> Tag<'_> {
    let rest = &src[body..];
    let trimmed = rest.trim_start();
    let lead = rest.len() - trimmed.len();
    let word_len = trimmed
        .bytes()
        .position(|b| !(b == b'_' || b.is_ascii_alphanumeric()))
        .unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(word_len);
    let closes = after.trim_start().starts_with('}');
    let variation = |kind| {
        let colon = after.trim_start();
        let branches = body + lead + word_len + (after.len() - colon.len()) + 1;
        Tag::Variation(kind, branches)
    };
    let labelled = after.trim_start().starts_with(':');
    // `{plural count: one: … | other: …}`: the count runs to the first `:` (a `?:` in it
    // goes in parentheses).
    if word == "plural" && after.starts_with(char::is_whitespace) {
        let count_at = body + lead + word_len;
        let brace = after.find('}').unwrap_or(after.len());
        if let Some(colon) = after.find(':').filter(|&c| c < brace) {
            return Tag::Plural {
                count: &src[count_at..count_at + colon],
                count_at,
            };
        }
    }
    match word {
        "sequence" if labelled => variation(VariationKind::Sequence),
        "cycle" if labelled => variation(VariationKind::Cycle),
        "once" if labelled => variation(VariationKind::Once),
        "shuffle" if labelled => variation(VariationKind::Shuffle),
        "if" | "elif" => Tag::Branch {
            elif: word == "elif",
            cond: after.trim_start(),
            cond_at: body + lead + word_len + (after.len() - after.trim_start().len()),
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
        // Text without braces (most text) is plain: its literal alone.
        if !src.contains(['{', '}']) {
            return Ok(Template {
                written: Written::new(src),
                parts: Box::new([]),
            });
        }
        let mut parts = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        let mut n_variations: u16 = 0;
        // Where the literal run being read starts: literal runs are ranges of `src`.
        let mut run_start = 0;
        let bytes = src.as_bytes();
        let mut i = 0;
        let flush = |parts: &mut Vec<Part>, start: usize, end: usize| {
            if end > start {
                parts.push(Part::Lit(start as u32, end as u32));
            }
        };
        let interpolation = |text: &str, at: usize| {
            parse_interpolation(text, scope, limits).map_err(|e| ExprError { at: at + e.at, ..e })
        };
        while i < bytes.len() {
            match bytes[i] {
                // An escaped brace: the run goes on to its first brace.
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    flush(&mut parts, run_start, i + 1);
                    i += 2;
                    run_start = i;
                }
                // In a variation, `|` ends a branch and `}` the variation (`}}` does not
                // escape there: it closes two variations).
                b'|' | b'}' if open.last().is_some_and(|b| b.variation.is_some()) => {
                    // The spaces around a branch are not part of it.
                    flush(
                        &mut parts,
                        run_start,
                        run_start + src[run_start..i].trim_end().len(),
                    );
                    let Some(block) = open.last_mut() else { break };
                    block.jumps.push(parts.len());
                    parts.push(Part::Jump { to: 0 });
                    if bytes[i] == b'|' {
                        if let Some(starts) = &mut block.variation {
                            starts.push(u32::try_from(parts.len()).unwrap_or(u32::MAX));
                        }
                    } else if let Some(block) = open.pop() {
                        close_variation(&mut parts, block, i)?;
                    }
                    i += 1;
                    if bytes[i - 1] == b'|' {
                        i = skip_spaces(bytes, i);
                        if let Some(labels) = open.last_mut().and_then(|b| b.labels.as_mut()) {
                            let (label, next) = plural_label(src, i)?;
                            if labels.contains(&label) {
                                return Err(ExprError::new(
                                    i,
                                    format!(
                                        "a second `{}:` branch in one plural block",
                                        label.name()
                                    ),
                                ));
                            }
                            labels.push(label);
                            i = next;
                        }
                    }
                    run_start = i;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    flush(&mut parts, run_start, i + 1);
                    i += 2;
                    run_start = i;
                }
                // A `|` in a block inside a variation would read as text; say so.
                b'|' if open.iter().any(|b| b.variation.is_some()) => {
                    let kind = open
                        .iter()
                        .rev()
                        .find_map(Open::kind)
                        .unwrap_or("variation");
                    return Err(ExprError::new(
                        i,
                        format!(
                            "`|` inside an `{{if}}` block in a {kind}: close the block before \
                             the next branch, or write a literal `|` as `{{'|'}}`"
                        ),
                    ));
                }
                b'}' => {
                    // Inside a variation, an `{if}` still open is what is wrong.
                    if let Some(block) = open.last()
                        && let Some(kind) = open.iter().rev().find_map(Open::kind)
                    {
                        return Err(ExprError::new(
                            block.at,
                            format!("`{{if}}` without `{{end}}` before its {kind}'s `}}`"),
                        ));
                    }
                    return Err(ExprError::new(
                        i,
                        "lone `}` in text (write `}}` for a literal brace)",
                    ));
                }
                b'{' => {
                    flush(&mut parts, run_start, i);
                    let body = i + 1;
                    i = match tag(src, body) {
                        Tag::Variation(kind, branches) => {
                            open.push(Open {
                                at: i,
                                branch: Some(parts.len()),
                                jumps: Vec::new(),
                                variation: Some(vec![parts.len() as u32 + 1]),
                                labels: None,
                            });
                            parts.push(Part::Variation {
                                kind,
                                ordinal: n_variations,
                                branches: Box::new([]),
                                end: 0,
                            });
                            n_variations = n_variations.saturating_add(1);
                            skip_spaces(bytes, branches)
                        }
                        Tag::Plural { count, count_at } => {
                            let count_expr = super::parse::parse_expr(count, scope, limits)
                                .map_err(|e| ExprError {
                                    at: count_at + e.at,
                                    ..e
                                })?;
                            if count_expr.ty() != Type::Int {
                                return Err(ExprError::new(
                                    count_at,
                                    format!(
                                        "the count of a plural block must be Int, this is {}",
                                        count_expr.ty()
                                    ),
                                ));
                            }
                            let (label, next) = plural_label(src, count_at + count.len() + 1)?;
                            open.push(Open {
                                at: i,
                                branch: Some(parts.len()),
                                jumps: Vec::new(),
                                variation: Some(vec![parts.len() as u32 + 1]),
                                labels: Some(vec![label]),
                            });
                            parts.push(Part::Plural(Box::new(Plural {
                                count: count_expr,
                                labels: Box::new([]),
                                branches: Box::new([]),
                                end: 0,
                            })));
                            next
                        }
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
                                let block = if_block(&mut open, i, "elif")?;
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
                                    variation: None,
                                    labels: None,
                                });
                            }
                            parts.push(Part::If { cond, otherwise: 0 });
                            cond_at + end + 1
                        }
                        Tag::Else => {
                            let block = if_block(&mut open, i, "else")?;
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
                            if_block(&mut open, i, "end")?;
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
                    run_start = i;
                }
                _ => i += src[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        if let Some(block) = open.last() {
            let message = match block.kind() {
                Some(kind) => format!("a {kind} without its closing `}}`"),
                None => "`{if}` without `{end}`".to_owned(),
            };
            return Err(ExprError::new(block.at, message));
        }
        flush(&mut parts, run_start, src.len());
        Ok(Template {
            written: Written::new(src),
            parts: parts.into_boxed_slice(),
        })
    }

    /// The text as written, `{expr}` and all (what [`Template::parse`] was given).
    pub fn source(&self) -> &str {
        &self.written
    }

    /// Appends the rendered text to `out`.
    ///
    /// # Errors
    /// As [`Expr::eval`], and [`EvalError::StringTooLong`] when the text would be longer
    /// than the environment's string limit.
    pub fn render<E: Env>(&self, env: &mut E, out: &mut String) -> Result<(), EvalError> {
        let _span = tracing::trace_span!("eval").entered();
        let start = out.len();
        if self.parts.is_empty() {
            out.push_str(&self.written);
            return super::eval::fits(env, out.len() - start);
        }
        let mut at = 0;
        while let Some(part) = self.parts.get(at) {
            at += 1;
            match part {
                Part::Lit(a, b) => out.push_str(&self.written[*a as usize..*b as usize]),
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
                Part::Plural(plural) => {
                    let Plural {
                        count,
                        labels,
                        branches,
                        end,
                    } = &**plural;
                    let n = count.eval_int_value(env)?;
                    let category = env.plural(n);
                    let pick = labels
                        .iter()
                        .position(|&l| l == category)
                        .or_else(|| labels.iter().position(|&l| l == PluralCategory::Other));
                    at = pick.and_then(|k| branches.get(k)).map_or(*end, |&b| b) as usize;
                    continue;
                }
                Part::Variation {
                    kind,
                    ordinal,
                    branches,
                    end,
                } => {
                    at = match env.variation(*ordinal, *kind, branches.len()) {
                        Some(k) => branches.get(k).map_or(*end, |&b| b) as usize,
                        None => *end as usize,
                    };
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
            Part::Plural(plural) => Some(&plural.count),
            Part::Lit(..) | Part::Jump { .. } | Part::Variation { .. } => None,
        })
    }
}

impl Template {
    /// The text's interpolations (`{expr}`): what it shows.
    pub fn interpolations(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e),
            _ => None,
        })
    }

    /// The expressions that pick what the text shows: `{if}` conditions and plural
    /// counts.
    pub fn selectors(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match p {
            Part::If { cond: e, .. } => Some(e),
            Part::Plural(plural) => Some(&plural.count),
            _ => None,
        })
    }

    /// Every variation of the text: its ordinal, kind and number of branches.
    pub fn variations(&self) -> impl Iterator<Item = (u16, VariationKind, usize)> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Variation {
                kind,
                ordinal,
                branches,
                ..
            } => Some((*ordinal, *kind, branches.len())),
            _ => None,
        })
    }

    /// The categories of every plural block, each block's in order.
    pub fn plural_blocks(&self) -> impl Iterator<Item = &[PluralCategory]> {
        self.parts.iter().filter_map(|p| match p {
            Part::Plural(plural) => Some(&plural.labels[..]),
            _ => None,
        })
    }
}

/// The `{if}` block innermost at `at`, for its `{word}`: an error outside one, or inside a
/// variation that is still open.
fn if_block<'o>(open: &'o mut [Open], at: usize, word: &str) -> Result<&'o mut Open, ExprError> {
    match open.last_mut() {
        Some(block) if block.variation.is_none() => Ok(block),
        Some(_) => Err(ExprError::new(
            at,
            format!("`{{{word}}}` inside a variation whose `}}` has not come yet"),
        )),
        None if word == "end" => Err(ExprError::new(at, "`{end}` without an `{if}` to close")),
        None => Err(ExprError::new(
            at,
            format!("`{{{word}}}` outside an `{{if}}` block"),
        )),
    }
}

/// Ends the variation `block` at the `}` at `at`: its branches and end are set, and every
/// branch's closing jump goes to the end.
fn close_variation(parts: &mut [Part], block: Open, at: usize) -> Result<(), ExprError> {
    let end = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    let kind = block.kind();
    let starts = block.variation.unwrap_or_default();
    // A variation whose every branch is empty shows nothing ever.
    let empty = starts
        .iter()
        .zip(block.jumps.iter())
        .all(|(&start, &jump)| start as usize == jump);
    if empty {
        let message = match kind {
            Some("plural block") => {
                "an empty plural block: give its branches text, \
                                     `{plural n: one: a coin | other: {n} coins}`"
            }
            _ => "an empty variation: give it branches, `{cycle: one | two}`",
        };
        return Err(ExprError::new(at, message));
    }
    for &jump in &block.jumps {
        point(parts, jump, end as usize);
    }
    match block.branch.and_then(|b| parts.get_mut(b)) {
        Some(Part::Variation {
            branches, end: e, ..
        }) => {
            *branches = starts.into_boxed_slice();
            *e = end;
        }
        Some(Part::Plural(plural)) => {
            let Plural {
                labels,
                branches,
                end: e,
                ..
            } = &mut **plural;
            let written = block.labels.unwrap_or_default();
            if !written.contains(&PluralCategory::Other) {
                return Err(ExprError::new(
                    block.at,
                    "a plural block needs an `other:` branch, for every count no other \
                     branch names",
                ));
            }
            *labels = written.into_boxed_slice();
            *branches = starts.into_boxed_slice();
            *e = end;
        }
        _ => {}
    }
    Ok(())
}

/// A plural branch's `category:` label at `at` (spaces before it skipped): the category
/// and where the branch's text starts.
fn plural_label(src: &str, at: usize) -> Result<(PluralCategory, usize), ExprError> {
    let at = skip_spaces(src.as_bytes(), at);
    let rest = &src[at..];
    let word_len = rest
        .bytes()
        .position(|b| !b.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let usage = || {
        ExprError::new(
            at,
            "a plural branch starts with its category: `zero:`, `one:`, `two:`, `few:`, \
             `many:` or `other:`",
        )
    };
    let category = PluralCategory::from_name(&rest[..word_len]).ok_or_else(usage)?;
    let after = &rest[word_len..];
    let colon = after.trim_start();
    if !colon.starts_with(':') {
        return Err(usage());
    }
    let next = at + word_len + (after.len() - colon.len()) + 1;
    Ok((category, skip_spaces(src.as_bytes(), next)))
}

/// The offset of the first byte at or after `i` that is not white space (as `trim_end`
/// trims the other side of a branch).
fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
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
