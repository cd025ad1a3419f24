//! The names an expression or a text writes, and where: what an editor needs to go to a
//! declaration, find references and rename. Read from the tokens alone, with no scope and
//! no type checking, so that source being typed (which seldom parses) still yields the
//! names written before the mistake.

use std::ops::Range;

use super::NameKind;
use super::lex::{Spanned, Tok, lex};
use super::template::{Tag, tag};

/// A name as written in source: what it names, the name, and its byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenName {
    /// A variable, a node (the argument of `visits` and `turns_since`), a function (a
    /// built-in one too) or a command.
    pub kind: NameKind,
    /// The name (a node's unescaped).
    pub name: String,
    /// Where it is written: the identifier, or a node name's text inside its quotes.
    pub span: Range<usize>,
}

/// The names one source writes, and the stretches of it that are code (all of an
/// expression; the `{…}` of a text), by byte range.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The names, in order.
    pub names: Vec<WrittenName>,
    /// The code, in order; an interpolation not yet closed runs to the end.
    pub code: Vec<Range<usize>>,
}

/// The names an expression (a condition, a fallback, an `{…}`) writes.
pub fn names_in_code(src: &str) -> Written {
    let mut written = Written::default();
    names_of(&tokens(src, false), 0, false, &mut written.names);
    written.code.push(0..src.len());
    written
}

/// The names an effect (`x += 1`, or a command call `shake(0.5)`) writes.
pub fn names_in_effect(src: &str) -> Written {
    let mut written = Written::default();
    names_of(&tokens(src, false), 0, true, &mut written.names);
    written.code.push(0..src.len());
    written
}

/// The names a node's or a choice's text writes in its `{…}`: interpolations, `{if}` and
/// `{elif}` conditions, and plural counts.
pub fn names_in_text(src: &str) -> Written {
    let mut written = Written::default();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"{{") || bytes[i..].starts_with(b"}}") {
            i += 2;
            continue;
        }
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        let body = i + 1;
        i = match tag(src, body) {
            Tag::Interpolation => code(src, body, &mut written),
            Tag::Branch { cond_at, .. } => code(src, cond_at, &mut written),
            Tag::Plural { count, count_at } => {
                names_of(&tokens(count, false), count_at, false, &mut written.names);
                written.code.push(count_at..count_at + count.len());
                count_at + count.len() + 1
            }
            Tag::Variation(_, branches) => branches,
            Tag::Else | Tag::End => src[body..].find('}').map_or(src.len(), |c| body + c + 1),
        };
    }
    written
}

/// Reads the code of an interpolation or condition starting at `at` through its `}`;
/// returns where the text goes on.
fn code(src: &str, at: usize, written: &mut Written) -> usize {
    let toks = tokens(&src[at..], true);
    let end = match toks.last() {
        Some(Spanned {
            tok: Tok::RBrace,
            at: brace,
            ..
        }) => at + brace,
        _ => src.len(),
    };
    names_of(&toks, at, false, &mut written.names);
    written.code.push(at..end);
    (end + 1).min(src.len())
}

/// The tokens of `src`, as far as it lexes: a mistake ends them where it is.
fn tokens(src: &str, stop_at_brace: bool) -> Vec<Spanned<'_>> {
    let mut end = src.len();
    loop {
        match lex(&src[..end], stop_at_brace) {
            Ok((toks, _)) => return toks,
            // An interpolation not closed yet: its code runs to the end.
            Err(e) if stop_at_brace && e.at == end => return tokens(&src[..end], false),
            Err(e) if e.at < end => end = e.at,
            Err(_) => return Vec::new(),
        }
    }
}

/// The names among `toks`, offset by `base`. In an effect a call at the start is a
/// command's.
fn names_of(toks: &[Spanned], base: usize, effect: bool, out: &mut Vec<WrittenName>) {
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(name) = &t.tok else { continue };
        let span = base + t.at..base + t.end;
        let called = matches!(
            toks.get(i + 1),
            Some(Spanned {
                tok: Tok::LParen,
                ..
            })
        );
        if !called {
            out.push(WrittenName {
                kind: NameKind::Variable,
                name: name.to_string(),
                span,
            });
            continue;
        }
        let kind = if effect && i == 0 {
            NameKind::Command
        } else {
            NameKind::Function
        };
        out.push(WrittenName {
            kind,
            name: name.to_string(),
            span,
        });
        if (&**name == "visits" || &**name == "turns_since")
            && let Some(Spanned {
                tok: Tok::Str(node),
                at,
                end,
            }) = toks.get(i + 2)
        {
            out.push(WrittenName {
                kind: NameKind::Node,
                name: node.to_string(),
                span: base + at + 1..base + end - 1,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(written: &Written, src: &str) -> Vec<(NameKind, String, String)> {
        written
            .names
            .iter()
            .map(|n| (n.kind, n.name.clone(), src[n.span.clone()].to_owned()))
            .collect()
    }

    fn n(kind: NameKind, name: &str, text: &str) -> (NameKind, String, String) {
        (kind, name.to_owned(), text.to_owned())
    }

    #[test]
    fn code_names_variables_functions_and_nodes() {
        let src = "visits('the \\'inn\\'') > 0 && has(gold + min(a, 2))";
        assert_eq!(
            names(&names_in_code(src), src),
            [
                n(NameKind::Function, "visits", "visits"),
                n(NameKind::Node, "the 'inn'", "the \\'inn\\'"),
                n(NameKind::Function, "has", "has"),
                n(NameKind::Variable, "gold", "gold"),
                n(NameKind::Function, "min", "min"),
                n(NameKind::Variable, "a", "a"),
            ]
        );
    }

    #[test]
    fn an_effect_starting_with_a_call_calls_a_command() {
        let src = "shake(power, f(2))";
        assert_eq!(
            names(&names_in_effect(src), src),
            [
                n(NameKind::Command, "shake", "shake"),
                n(NameKind::Variable, "power", "power"),
                n(NameKind::Function, "f", "f"),
            ]
        );
        let src = "gold += 1";
        assert_eq!(
            names(&names_in_effect(src), src),
            [n(NameKind::Variable, "gold", "gold")]
        );
    }

    #[test]
    fn text_names_come_from_its_code_only() {
        let src = "{{gold}} {if gold > 1}rich {sequence: a {name} | b}{else}poor{end} \
                   {plural coins: one: coin | other: coins} {turns_since(\"inn\")}";
        let written = names_in_text(src);
        assert_eq!(
            names(&written, src),
            [
                n(NameKind::Variable, "gold", "gold"),
                n(NameKind::Variable, "name", "name"),
                n(NameKind::Variable, "coins", "coins"),
                n(NameKind::Function, "turns_since", "turns_since"),
                n(NameKind::Node, "inn", "inn"),
            ]
        );
        let code: Vec<&str> = written.code.iter().map(|r| &src[r.clone()]).collect();
        assert_eq!(code, ["gold > 1", "name", " coins", "turns_since(\"inn\")"]);
    }

    #[test]
    fn source_being_typed_still_yields_its_names() {
        // An unclosed string, an unclosed interpolation, a stray character.
        let src = "gold > 1 && visits('riv";
        assert_eq!(
            names(&names_in_code(src), src),
            [
                n(NameKind::Variable, "gold", "gold"),
                n(NameKind::Function, "visits", "visits"),
            ]
        );
        let src = "You have {gold + co";
        let written = names_in_text(src);
        assert_eq!(
            names(&written, src),
            [
                n(NameKind::Variable, "gold", "gold"),
                n(NameKind::Variable, "co", "co"),
            ]
        );
        assert_eq!(
            written.code,
            vec![Range {
                start: 10,
                end: src.len()
            }]
        );
        let src = "a # b";
        assert_eq!(
            names(&names_in_code(src), src),
            [n(NameKind::Variable, "a", "a")]
        );
    }
}
