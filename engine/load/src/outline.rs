//! A RON file's values as a tree, each with its byte range: what diagnostics are placed
//! by (the locator finds paths in it) and what an editor reads a story by (`qnce lsp`:
//! declarations, references, the value under the cursor).
//!
//! ron reports positions only for syntax errors, so this walks the text itself. It is
//! lenient, because an editor's buffer seldom parses: on text it does not understand it
//! stops, keeping every value read so far, and the values still open run to the end of
//! the text.

use std::ops::Range;

/// The values of one RON file, in the order they start (a value before those inside it).
#[derive(Clone, Debug, Default)]
pub struct Outline {
    values: Vec<Value>,
}

/// One value of a file: a string, a struct or tuple, a list, a map, or anything else.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The index of the value this one is inside ([`Outline::values`]); `None` for the
    /// file's top value.
    pub parent: Option<usize>,
    /// How the parent holds it.
    pub step: Step,
    /// The value's text, `Some(` of `Some("x")` included.
    pub span: Range<usize>,
    /// What it is.
    pub kind: Kind,
}

/// How a value is held by the value it is inside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The file's top value.
    Root,
    /// A struct's field, with where the field's name is written.
    Field {
        /// The field's name.
        name: String,
        /// Where the name is written.
        span: Range<usize>,
    },
    /// A map's entry, with its key (unescaped) and where the key is written.
    Key {
        /// The key, unescaped.
        key: String,
        /// Where the key is written, quotes included.
        span: Range<usize>,
    },
    /// A list's element.
    Index(usize),
    /// A tuple's element (or what `Some(…)` wraps).
    Position(usize),
}

/// What a value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string, unescaped.
    Str(String),
    /// A struct or tuple, with its name when written (`Story`, `Some`).
    Struct(Option<String>),
    /// A list.
    Seq,
    /// A map.
    Map,
    /// A number, a character, a boolean or any other bare word.
    Atom,
}

impl Outline {
    /// The outline of `text`.
    pub fn of(text: &str) -> Outline {
        let mut walker = Walker {
            text,
            bytes: text.as_bytes(),
            i: 0,
            values: Vec::new(),
            open: Vec::new(),
        };
        walker.skip_attributes();
        walker.value(Step::Root);
        // What was still open when the walk stopped runs to the end.
        for v in &mut walker.values {
            if v.span.end == OPEN {
                v.span.end = text.len();
            }
        }
        Outline {
            values: walker.values,
        }
    }

    /// Every value, in the order they start.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The steps from the top value down to value `index`, the top value's own left out.
    pub fn path(&self, index: usize) -> Vec<&Step> {
        let mut path = Vec::new();
        let mut at = Some(index);
        while let Some(i) = at {
            let Some(v) = self.values.get(i) else { break };
            if v.step != Step::Root {
                path.push(&v.step);
            }
            at = v.parent;
        }
        path.reverse();
        path
    }

    /// The innermost value whose text holds `offset` (its end counting, so that a cursor
    /// just after a word is on it).
    pub fn value_at(&self, offset: usize) -> Option<usize> {
        self.values
            .iter()
            .rposition(|v| v.span.start <= offset && offset <= v.span.end)
    }

    /// The value whose map key or field name is written over `offset` (its end counting).
    pub fn key_at(&self, offset: usize) -> Option<usize> {
        self.values.iter().position(|v| match &v.step {
            Step::Key { span, .. } | Step::Field { span, .. } => {
                span.start <= offset && offset <= span.end
            }
            _ => false,
        })
    }

    /// The values directly inside value `index`.
    pub fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.values
            .iter()
            .enumerate()
            .skip(index + 1)
            .take_while(move |(_, v)| v.span.start < self.values[index].span.end)
            .filter(move |(_, v)| v.parent == Some(index))
            .map(|(i, _)| i)
    }

    /// Field `name` of struct value `index`, looking through a `Some(…)`.
    pub fn field(&self, index: usize, name: &str) -> Option<usize> {
        self.children(index)
            .find(|&c| matches!(&self.values[c].step, Step::Field { name: n, .. } if n == name))
    }

    /// Value `index` as a string, looking through a `Some(…)`.
    pub fn string(&self, index: usize) -> Option<(usize, &str)> {
        match &self.values.get(index)?.kind {
            Kind::Str(s) => Some((index, s)),
            Kind::Struct(Some(name)) if name == "Some" => {
                let inner = self.children(index).next()?;
                match &self.values[inner].kind {
                    Kind::Str(s) => Some((inner, s)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The byte offset in the file of byte `inner` of the unescaped string whose literal
/// starts at `literal` (a `Some(` before the quote is skipped).
pub fn string_offset(text: &str, literal: usize, inner: usize) -> usize {
    let mut at = literal;
    let mut found = None;
    walk_string(text, literal, |file, decoded| {
        at = file;
        if decoded >= inner {
            found = Some(file);
            return false;
        }
        true
    });
    found.unwrap_or(at)
}

/// The byte offset in the unescaped string whose literal starts at `literal` of file
/// offset `offset`; `None` when `offset` is not inside the string's text.
pub fn unescaped_offset(text: &str, literal: usize, offset: usize) -> Option<usize> {
    let mut found = None;
    walk_string(text, literal, |file, decoded| {
        if file == offset {
            found = Some(decoded);
        }
        file < offset
    });
    found
}

/// Calls `visit(file offset, unescaped offset)` at each character boundary of the string
/// whose literal starts at `literal`, its closing quote included, while `visit` says on.
fn walk_string(text: &str, literal: usize, mut visit: impl FnMut(usize, usize) -> bool) {
    let bytes = text.as_bytes();
    let Some(quote) = text
        .get(literal..)
        .and_then(|t| t.find('"'))
        .map(|q| literal + q)
    else {
        return;
    };
    let hashes = bytes[..quote]
        .iter()
        .rev()
        .take_while(|&&b| b == b'#')
        .count();
    let raw = quote > hashes && bytes[quote - hashes - 1] == b'r';
    let close: String = std::iter::once('"')
        .chain("#".repeat(hashes).chars())
        .collect();
    let mut i = quote + 1;
    let mut decoded = 0;
    while i <= bytes.len() {
        // A continuation stands for nothing: no place of the string is in it.
        if !raw
            && bytes.get(i) == Some(&b'\\')
            && let Some((None, next)) = escape(text, i)
        {
            i = next;
            continue;
        }
        if !visit(i, decoded) {
            return;
        }
        let Some(ch) = text[i..].chars().next() else {
            return;
        };
        if raw && text[i..].starts_with(&close) || !raw && ch == '"' {
            return;
        }
        if ch == '\\' && !raw {
            let Some((ch, next)) = escape(text, i) else {
                return;
            };
            decoded += ch.map_or(0, char::len_utf8);
            i = next;
            continue;
        }
        decoded += ch.len_utf8();
        i += ch.len_utf8();
    }
}

/// The character the escape whose `\\` is at `at` stands for, and where the text goes on
/// after it, as ron reads escapes: `\\n`, `\\r`, `\\t`, `\\0`, `\\\\`, `\\"`, `\\'`, `\\u{…}`
/// (one to six hex digits), `\\xNN` (one byte; up to four in a row make one UTF-8
/// character), and a line break (a continuation: no character). `None` for any other,
/// which ron refuses.
fn escape(text: &str, at: usize) -> Option<(Option<char>, usize)> {
    let bytes = text.as_bytes();
    // A `\` at the end of a line continues the string past the line break and the
    // blanks that follow: it stands for nothing.
    let line_end = match bytes.get(at + 1..) {
        Some([b'\n', ..]) => Some(at + 2),
        Some([b'\r', b'\n', ..]) => Some(at + 3),
        _ => None,
    };
    if let Some(mut i) = line_end {
        while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        return Some((None, i));
    }
    let simple = match *bytes.get(at + 1)? {
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'0' => '\0',
        b'\\' => '\\',
        b'"' => '"',
        b'\'' => '\'',
        b'u' => {
            let digits = text.get(at + 3..)?;
            let close = digits.find('}')?;
            if bytes.get(at + 2) != Some(&b'{') || close == 0 || close > 6 {
                return None;
            }
            let hex = &digits[..close];
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            return Some((Some(ch), at + 3 + close + 1));
        }
        b'x' => {
            let mut utf8 = Vec::with_capacity(4);
            let mut i = at;
            while utf8.len() < 4 && bytes.get(i..i + 2) == Some(b"\\x") {
                let hex = text.get(i + 2..i + 4)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                utf8.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
                if let Ok(s) = std::str::from_utf8(&utf8) {
                    return Some((Some(s.chars().next()?), i));
                }
            }
            return None;
        }
        _ => return None,
    };
    Some((Some(simple), at + 2))
}

/// Nesting deeper than this is not read (ron rejects it anyway).
const MAX_DEPTH: usize = 256;

/// The end of a value not closed yet.
const OPEN: usize = usize::MAX;

struct Walker<'t> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    values: Vec<Value>,
    /// The values being read, innermost last.
    open: Vec<usize>,
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(b'/') if self.bytes.get(self.i + 1) == Some(&b'/') => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.bytes.get(self.i + 1) == Some(&b'*') => {
                    let mut nesting = 0usize;
                    while self.i < self.bytes.len() {
                        if self.bytes[self.i..].starts_with(b"/*") {
                            nesting += 1;
                            self.i += 2;
                        } else if self.bytes[self.i..].starts_with(b"*/") {
                            nesting -= 1;
                            self.i += 2;
                            if nesting == 0 {
                                break;
                            }
                        } else {
                            self.i += 1;
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn skip_attributes(&mut self) {
        loop {
            self.skip_ws();
            if !self.bytes[self.i..].starts_with(b"#![") {
                return;
            }
            while !matches!(self.peek(), None | Some(b']')) {
                self.i += 1;
            }
            // Past the `]`, or at the end when there is none.
            self.i = (self.i + 1).min(self.bytes.len());
        }
    }

    /// The text from the walker on (`None` at the end, or inside a character: text that
    /// does not read).
    fn rest(&self) -> Option<&str> {
        self.text.get(self.i..).filter(|r| !r.is_empty())
    }

    /// Reads a string literal and returns its unescaped text.
    fn string(&mut self) -> Option<String> {
        if self.peek() == Some(b'r') {
            self.i += 1;
            let hashes = self.bytes[self.i..]
                .iter()
                .take_while(|&&b| b == b'#')
                .count();
            self.i += hashes;
            if self.peek()? != b'"' {
                return None;
            }
            self.i += 1;
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let end = self.rest()?.find(&close)? + self.i;
            let s = self.text[self.i..end].to_owned();
            self.i = end + close.len();
            return Some(s);
        }
        self.i += 1;
        let mut s = String::new();
        loop {
            let ch = self.rest()?.chars().next()?;
            match ch {
                '"' => {
                    self.i += 1;
                    return Some(s);
                }
                '\\' => {
                    let (ch, next) = escape(self.text, self.i)?;
                    s.extend(ch);
                    self.i = next;
                }
                ch => {
                    s.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
    }

    fn word(&mut self) -> &str {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-') {
                self.i += 1;
            } else {
                break;
            }
        }
        &self.text[start..self.i]
    }

    /// Reads one value held by the open value through `step`.
    fn value(&mut self, step: Step) -> Option<()> {
        if self.open.len() > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        let index = self.values.len();
        self.values.push(Value {
            parent: self.open.last().copied(),
            step,
            span: self.i..OPEN,
            kind: Kind::Atom,
        });
        self.open.push(index);
        let kind = match self.peek()? {
            b'"' => Kind::Str(self.string()?),
            b'r' if matches!(self.bytes.get(self.i + 1), Some(b'"' | b'#')) => {
                Kind::Str(self.string()?)
            }
            b'\'' => {
                self.i += 1;
                if self.peek() == Some(b'\\') {
                    self.i += 1;
                }
                let ch = self.rest()?.chars().next()?;
                self.i += ch.len_utf8();
                if self.peek()? != b'\'' {
                    return None;
                }
                self.i += 1;
                Kind::Atom
            }
            b'(' => {
                self.values[index].kind = Kind::Struct(None);
                self.paren()?;
                Kind::Struct(None)
            }
            b'[' => {
                self.values[index].kind = Kind::Seq;
                self.seq()?;
                Kind::Seq
            }
            b'{' => {
                self.values[index].kind = Kind::Map;
                self.map()?;
                Kind::Map
            }
            _ => {
                let word = self.word().to_owned();
                if word.is_empty() {
                    return None;
                }
                let end = self.i;
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    self.values[index].kind = Kind::Struct(Some(word.clone()));
                    self.paren()?;
                    Kind::Struct(Some(word))
                } else {
                    self.i = end;
                    Kind::Atom
                }
            }
        };
        self.values[index].kind = kind;
        self.values[index].span.end = self.i;
        self.open.pop();
        Some(())
    }

    fn paren(&mut self) -> Option<()> {
        self.i += 1;
        let mut position = 0;
        loop {
            self.skip_ws();
            if self.peek()? == b')' {
                self.i += 1;
                return Some(());
            }
            let save = self.i;
            let word = self.word().to_owned();
            let word_end = self.i;
            self.skip_ws();
            let is_field = !word.is_empty()
                && self.peek() == Some(b':')
                && self.bytes.get(self.i + 1) != Some(&b':');
            if is_field {
                self.i += 1;
                self.value(Step::Field {
                    name: word,
                    span: save..word_end,
                })?;
            } else {
                self.i = save;
                self.value(Step::Position(position))?;
                position += 1;
            }
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
    }

    fn seq(&mut self) -> Option<()> {
        self.i += 1;
        let mut index = 0;
        loop {
            self.skip_ws();
            if self.peek()? == b']' {
                self.i += 1;
                return Some(());
            }
            self.value(Step::Index(index))?;
            index += 1;
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
    }

    fn map(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            self.skip_ws();
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(());
            }
            let key_at = self.i;
            let raw =
                self.peek()? == b'r' && matches!(self.bytes.get(self.i + 1), Some(b'"' | b'#'));
            let key = match self.peek()? {
                b'"' => self.string()?,
                _ if raw => self.string()?,
                _ => self.word().to_owned(),
            };
            let span = key_at..self.i;
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.value(Step::Key { key, span })?;
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'o>(outline: &'o Outline, text: &str, path: &str) -> &'o Value {
        let found = (0..outline.values().len()).find(|&i| {
            let steps: Vec<String> = outline
                .path(i)
                .iter()
                .map(|s| match s {
                    Step::Field { name, .. } => name.clone(),
                    Step::Key { key, .. } => format!("[{key}]"),
                    Step::Index(i) | Step::Position(i) => i.to_string(),
                    Step::Root => String::new(),
                })
                .collect();
            steps.join("/") == path
        });
        let Some(i) = found else {
            panic!("no value at {path} in {text}");
        };
        &outline.values()[i]
    }

    #[test]
    fn values_have_their_paths_and_ranges() {
        let text = r##"Story(start: "a", nodes: { "a": (text: r#"Hi"#, choices: [(text: "Go", to: Some("b"))]) })"##;
        let outline = Outline::of(text);
        let to = find(&outline, text, "nodes/[a]/choices/0/to");
        assert_eq!(&text[to.span.clone()], r#"Some("b")"#);
        let b = find(&outline, text, "nodes/[a]/choices/0/to/0");
        assert_eq!(b.kind, Kind::Str("b".to_owned()));
        let node = find(&outline, text, "nodes/[a]");
        let Step::Key { key, span } = &node.step else {
            panic!("{node:?}")
        };
        assert_eq!((key.as_str(), &text[span.clone()]), ("a", "\"a\""));
        let raw = find(&outline, text, "nodes/[a]/text");
        assert_eq!(raw.kind, Kind::Str("Hi".to_owned()));
    }

    #[test]
    fn text_that_does_not_read_keeps_what_came_before() {
        let text = "Story(start: \"a\", nodes: { \"a\": (text: \"unclosed";
        let outline = Outline::of(text);
        let start = find(&outline, text, "start");
        assert_eq!(start.kind, Kind::Str("a".to_owned()));
        let node = find(&outline, text, "nodes/[a]");
        assert_eq!(node.span.end, text.len(), "still open, so to the end");
    }

    #[test]
    fn text_that_stops_inside_a_character_does_not_read() {
        // A character literal or a raw string whose next character is not what closes or
        // opens it stops the walk, wherever the multibyte character falls.
        for text in [
            "Story(start: 'xé')",
            "Story(start: r#é)",
            "Story(start: r#\"a\"#, x: 'é",
            "{ r#é: 1 }",
        ] {
            let outline = Outline::of(text);
            assert!(
                outline.values().iter().all(|v| v.span.end <= text.len()),
                "{text}"
            );
        }
    }

    #[test]
    fn strings_are_unescaped_as_ron_reads_them() {
        for (written, unescaped) in [
            (r#""Caf\u{e9} {gold}""#, "Café {gold}"),
            (r#""\x41\xc3\xa9\n\t\0\'\"\\""#, "Aé\n\t\0'\"\\"),
            (r#""\u{1F30A}""#, "🌊"),
        ] {
            let outline = Outline::of(written);
            assert_eq!(
                outline.values()[0].kind,
                Kind::Str(unescaped.to_owned()),
                "{written}"
            );
            // Every unescaped offset maps to the file and back.
            for (inner, _) in unescaped.char_indices() {
                let file = string_offset(written, 0, inner);
                assert_eq!(
                    unescaped_offset(written, 0, file),
                    Some(inner),
                    "{written} {inner}"
                );
            }
        }
        // A `\` at the end of a line continues the string after the next line's blanks.
        let continued = "\"Hello \\\n      world\"";
        let outline = Outline::of(continued);
        assert_eq!(
            outline.values()[0].kind,
            Kind::Str("Hello world".to_owned())
        );
        assert_eq!(
            string_offset(continued, 0, 6),
            continued.find('w').expect("a w")
        );
        // An escape ron refuses ends the string's reading.
        assert_eq!(Outline::of(r#""a\qb""#).values()[0].span.end, 6);
    }

    #[test]
    fn an_attribute_never_closed_reads_nothing() {
        for text in ["#![", "#![enable(implicit_some)\nInclude(nodes: {})"] {
            let outline = Outline::of(text);
            assert!(outline.values().iter().all(|v| v.span.end <= text.len()));
        }
    }

    #[test]
    fn string_offsets_go_both_ways_through_escapes() {
        let text = r#"x: "a\"é\u{e9}b""#;
        let literal = 3;
        // Unescaped: a " é é b
        for (inner, file) in [(0, 4), (1, 5), (2, 7), (4, 9), (6, 15), (7, 16)] {
            assert_eq!(string_offset(text, literal, inner), file, "inner {inner}");
            assert_eq!(
                unescaped_offset(text, literal, file),
                Some(inner),
                "file {file}"
            );
        }
        assert_eq!(unescaped_offset(text, literal, 6), None, "inside an escape");
        let raw = r##"r#"a"b"#"##;
        assert_eq!(string_offset(raw, 0, 2), 5);
        assert_eq!(unescaped_offset(raw, 0, 6), Some(3));
    }
}
