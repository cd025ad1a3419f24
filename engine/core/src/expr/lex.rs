//! The expression lexer: source text to tokens with byte offsets.

use std::cell::Cell;
use std::sync::Arc;

use super::ExprError;

/// A token of the expression language.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok<'s> {
    Int(i64),
    Float(f64),
    /// A string literal (shared: taking a token while parsing copies no text).
    Str(Arc<str>),
    /// A name, as written in the source.
    Ident(&'s str),
    True,
    False,
    Bang,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    AndAnd,
    OrOr,
    LParen,
    RParen,
    Comma,
    Question,
    Colon,
    Assign,
    PlusAssign,
    MinusAssign,
    /// A `}` that closes an interpolation; only the template scanner asks for it.
    RBrace,
    Eof,
}

/// A token, the byte offset where it starts and the offset just past it.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<'s> {
    pub(crate) tok: Tok<'s>,
    pub(crate) at: usize,
    pub(crate) end: usize,
}

thread_local! {
    /// The token buffer of the last expression parsed on this thread, emptied: loading a
    /// story parses hundreds of thousands of expressions, each a few tokens, and each
    /// would otherwise allocate a buffer of its own and free it.
    static SPARE: Cell<Vec<Spanned<'static>>> = const { Cell::new(Vec::new()) };
}

/// An empty token buffer: the thread's spare one, else a new one with room for most
/// expressions (`x += 1`, `a < 3`).
fn spare<'s>() -> Vec<Spanned<'s>> {
    // None while the thread's locals are being torn down.
    let spare = SPARE.try_with(Cell::take).unwrap_or_default();
    if spare.capacity() == 0 {
        Vec::with_capacity(8)
    } else {
        spare
    }
}

/// Keeps `toks`' buffer, emptied, for the next expression parsed on this thread (see
/// [`SPARE`]); a buffer grown past a long expression's is let go.
pub(crate) fn recycle(mut toks: Vec<Spanned<'_>>) {
    const KEPT: usize = 64;
    if toks.capacity() > KEPT {
        return;
    }
    toks.clear();
    // An empty buffer outlives the text its tokens borrowed: collecting it in place
    // keeps its allocation and gives it the longer lifetime.
    #[expect(
        clippy::unnecessary_filter_map,
        reason = "a filter would keep the tokens' lifetime; this gives the buffer a new one"
    )]
    let empty: Vec<Spanned<'static>> = toks.into_iter().filter_map(|_| None).collect();
    // A parser dropped while the thread's locals are torn down lets its buffer go.
    _ = SPARE.try_with(|spare| spare.set(empty));
}

/// Splits `src` into tokens. Stops at the first `}` outside a string when `stop_at_brace`
/// (interpolations), returning the offset just past the tokens.
pub(crate) fn lex(src: &str, stop_at_brace: bool) -> Result<(Vec<Spanned<'_>>, usize), ExprError> {
    let bytes = src.as_bytes();
    let mut out = spare();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        let (tok, end) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'}' if stop_at_brace => {
                out.push(Spanned {
                    tok: Tok::RBrace,
                    at,
                    end: at + 1,
                });
                return Ok((out, i));
            }
            b'0'..=b'9' => number(src, at)?,
            b'"' | b'\'' => {
                let (text, end) = string(src, at)?;
                (Tok::Str(text.into()), end)
            }
            c if c == b'_' || c.is_ascii_alphabetic() => word(src, at),
            _ => match operator(&bytes[at..]) {
                Some((tok, len)) => (tok, at + len),
                None => {
                    let ch = src[at..].chars().next().unwrap_or('?');
                    return Err(ExprError::new(at, format!("unexpected character `{ch}`")));
                }
            },
        };
        out.push(Spanned { tok, at, end });
        i = end;
    }
    if stop_at_brace {
        return Err(ExprError::new(src.len(), "unclosed `{` in text"));
    }
    out.push(Spanned {
        tok: Tok::Eof,
        at: src.len(),
        end: src.len(),
    });
    Ok((out, src.len()))
}

/// The number starting at `start` (digits, `_` separators, an optional fraction), and the
/// offset just past it.
fn number(src: &str, start: usize) -> Result<(Tok<'static>, usize), ExprError> {
    let bytes = src.as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
            i += 1;
        }
        i
    };
    let mut i = digits_from(start);
    let is_float = i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit();
    if is_float {
        i = digits_from(i + 1);
    }
    // Separators dropped (a copy only when there are some).
    let written = &src[start..i];
    let text: std::borrow::Cow<'_, str> = if written.contains('_') {
        written
            .chars()
            .filter(|&c| c != '_')
            .collect::<String>()
            .into()
    } else {
        written.into()
    };
    let tok = if is_float {
        text.parse()
            .map(Tok::Float)
            .map_err(|_| ExprError::new(start, "invalid number"))?
    } else {
        text.parse().map(Tok::Int).map_err(|_| {
            ExprError::new(start, format!("integer `{text}` does not fit in 64 bits"))
        })?
    };
    Ok((tok, i))
}

/// The identifier or keyword starting at `start`, and the offset just past it.
fn word(src: &str, start: usize) -> (Tok<'_>, usize) {
    let end = src[start..]
        .bytes()
        .position(|b| !(b == b'_' || b.is_ascii_alphanumeric()))
        .map_or(src.len(), |len| start + len);
    let tok = match &src[start..end] {
        "true" => Tok::True,
        "false" => Tok::False,
        word => Tok::Ident(word),
    };
    (tok, end)
}

/// The string literal whose opening quote (`"` or `'`) is at `start`, unescaped, and the
/// offset just past its closing quote: the same kind of quote. Single quotes spare the
/// escapes of double quotes inside a RON string (`when: "visits('a') > 0"`); either quote
/// may be escaped in either kind.
fn string(src: &str, start: usize) -> Result<(String, usize), ExprError> {
    let quote = if src.as_bytes()[start] == b'\'' {
        '\''
    } else {
        '"'
    };
    let mut i = start + 1;
    let mut s = String::new();
    loop {
        let Some(ch) = src[i..].chars().next() else {
            return Err(ExprError::new(start, "unterminated string"));
        };
        i += ch.len_utf8();
        match ch {
            ch if ch == quote => return Ok((s, i)),
            '\\' => {
                let Some(esc) = src[i..].chars().next() else {
                    return Err(ExprError::new(start, "unterminated string"));
                };
                i += esc.len_utf8();
                s.push(match esc {
                    'n' => '\n',
                    't' => '\t',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => '\\',
                    other => {
                        return Err(ExprError::new(
                            i - 1 - other.len_utf8(),
                            format!("unknown escape `\\{other}`"),
                        ));
                    }
                });
            }
            ch => s.push(ch),
        }
    }
}

/// The operator or punctuation `rest` starts with, and its length in bytes.
fn operator(rest: &[u8]) -> Option<(Tok<'static>, usize)> {
    let two = match rest.get(..2) {
        Some(b"<=") => Some(Tok::Le),
        Some(b">=") => Some(Tok::Ge),
        Some(b"==") => Some(Tok::EqEq),
        Some(b"!=") => Some(Tok::Ne),
        Some(b"&&") => Some(Tok::AndAnd),
        Some(b"||") => Some(Tok::OrOr),
        Some(b"+=") => Some(Tok::PlusAssign),
        Some(b"-=") => Some(Tok::MinusAssign),
        _ => None,
    };
    if let Some(tok) = two {
        return Some((tok, 2));
    }
    let one = match rest.first()? {
        b'!' => Tok::Bang,
        b'-' => Tok::Minus,
        b'+' => Tok::Plus,
        b'*' => Tok::Star,
        b'/' => Tok::Slash,
        b'%' => Tok::Percent,
        b'<' => Tok::Lt,
        b'>' => Tok::Gt,
        b'(' => Tok::LParen,
        b')' => Tok::RParen,
        b',' => Tok::Comma,
        b'?' => Tok::Question,
        b':' => Tok::Colon,
        b'=' => Tok::Assign,
        _ => return None,
    };
    Some((one, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spare buffer is the one given back, not a new one: collecting an emptied
    /// buffer in place keeps its allocation, which the standard library does but does not
    /// promise.
    #[test]
    fn a_buffer_given_back_is_taken_again() {
        // More tokens than a new buffer has room for: a new one would be smaller.
        let (toks, _) = lex("a + 1 < b && c - 2 > d", false).expect("lexes");
        let (at, capacity) = (toks.as_ptr() as usize, toks.capacity());
        assert!(capacity > spare().capacity());
        recycle(toks);
        let again = spare();
        assert_eq!((again.as_ptr() as usize, again.capacity()), (at, capacity));
        assert!(again.is_empty());
    }
}
