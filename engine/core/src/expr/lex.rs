//! The expression lexer: source text to tokens with byte offsets.

use super::ExprError;

/// A token of the expression language.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
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

/// A token and the byte offset where it starts.
#[derive(Clone, Debug)]
pub(crate) struct Spanned {
    pub(crate) tok: Tok,
    pub(crate) at: usize,
}

/// Splits `src` into tokens. Stops at the first `}` outside a string when `stop_at_brace`
/// (interpolations), returning the offset just past the tokens.
pub(crate) fn lex(src: &str, stop_at_brace: bool) -> Result<(Vec<Spanned>, usize), ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let at = i;
        let two = |s: &[u8]| bytes.get(i..i + 2) == Some(s);
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'}' if stop_at_brace => {
                out.push(Spanned {
                    tok: Tok::RBrace,
                    at,
                });
                return Ok((out, i));
            }
            b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                    i += 1;
                }
                let mut is_float = false;
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    is_float = true;
                    i += 1;
                    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                        i += 1;
                    }
                }
                let text: String = src[start..i].chars().filter(|&c| c != '_').collect();
                let tok = if is_float {
                    text.parse()
                        .map(Tok::Float)
                        .map_err(|_| ExprError::new(at, "invalid number"))?
                } else {
                    text.parse().map(Tok::Int).map_err(|_| {
                        ExprError::new(at, format!("integer `{text}` does not fit in 64 bits"))
                    })?
                };
                out.push(Spanned { tok, at });
                continue;
            }
            b'"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(ch) = src[i..].chars().next() else {
                        return Err(ExprError::new(at, "unterminated string"));
                    };
                    i += ch.len_utf8();
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(esc) = src[i..].chars().next() else {
                                return Err(ExprError::new(at, "unterminated string"));
                            };
                            i += esc.len_utf8();
                            s.push(match esc {
                                'n' => '\n',
                                't' => '\t',
                                '"' => '"',
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
                out.push(Spanned {
                    tok: Tok::Str(s),
                    at,
                });
                continue;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                let word = &src[start..i];
                let tok = match word {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(word.to_owned()),
                };
                out.push(Spanned { tok, at });
                continue;
            }
            _ if two(b"<=") => Tok::Le,
            _ if two(b">=") => Tok::Ge,
            _ if two(b"==") => Tok::EqEq,
            _ if two(b"!=") => Tok::Ne,
            _ if two(b"&&") => Tok::AndAnd,
            _ if two(b"||") => Tok::OrOr,
            _ if two(b"+=") => Tok::PlusAssign,
            _ if two(b"-=") => Tok::MinusAssign,
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
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError::new(at, format!("unexpected character `{ch}`")));
            }
        };
        i += match tok {
            Tok::Le
            | Tok::Ge
            | Tok::EqEq
            | Tok::Ne
            | Tok::AndAnd
            | Tok::OrOr
            | Tok::PlusAssign
            | Tok::MinusAssign => 2,
            _ => 1,
        };
        out.push(Spanned { tok, at });
    }
    if stop_at_brace {
        return Err(ExprError::new(src.len(), "unclosed `{` in text"));
    }
    out.push(Spanned {
        tok: Tok::Eof,
        at: src.len(),
    });
    Ok((out, src.len()))
}
