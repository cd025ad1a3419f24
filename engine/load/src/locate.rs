//! Finds where a value stands in a RON source file, for diagnostics.
//!
//! ron reports positions only for syntax errors, so after a file parsed this module walks
//! its text once more and records the byte offset of every value under its path
//! (`nodes` → `"river"` → `choices` → `1` → `to`). It is built only for files that have a
//! finding, and is lenient: on text it does not understand it stops recording.

use std::collections::HashMap;

/// One step of a path into a RON document.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// A struct field.
    Field(&'static str),
    /// A map key (the entry's key is what is located).
    Key(String),
    /// A sequence element.
    Index(usize),
}

/// A 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineCol {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// The located values of one file.
pub(crate) struct SourceMap<'t> {
    text: &'t str,
    offsets: HashMap<Vec<OwnedSeg>, Vec<usize>>,
    line_starts: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum OwnedSeg {
    Field(String),
    Key(String),
    Index(usize),
}

fn own(path: &[Seg]) -> Vec<OwnedSeg> {
    path.iter()
        .map(|s| match s {
            Seg::Field(f) => OwnedSeg::Field((*f).to_owned()),
            Seg::Key(k) => OwnedSeg::Key(k.clone()),
            Seg::Index(i) => OwnedSeg::Index(*i),
        })
        .collect()
}

impl<'t> SourceMap<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut walker = Walker {
            text,
            bytes: text.as_bytes(),
            i: 0,
            path: Vec::new(),
            offsets: HashMap::new(),
            depth: 0,
        };
        walker.skip_attributes();
        walker.value(true);
        SourceMap {
            text,
            offsets: walker.offsets,
            line_starts,
        }
    }

    /// Where the value (or map key) at `path` starts; `last` picks the last of duplicate
    /// keys. Falls back to the nearest located ancestor.
    pub(crate) fn offset(&self, path: &[Seg], last: bool) -> usize {
        let mut owned = own(path);
        loop {
            if let Some(v) = self.offsets.get(&owned) {
                let pick = if last { v.last() } else { v.first() };
                return pick.copied().unwrap_or(0);
            }
            if owned.pop().is_none() {
                return 0;
            }
        }
    }

    /// Where the value (or map key) at exactly `path` starts, if the file has it.
    pub(crate) fn exact(&self, path: &[Seg]) -> Option<usize> {
        self.offsets
            .get(&own(path))
            .and_then(|v| v.first().copied())
    }

    /// The file offset of byte `inner` of the decoded string whose literal starts at
    /// `literal` (a `Some(` wrapper before the quote is skipped).
    pub(crate) fn string_offset(&self, literal: usize, inner: usize) -> usize {
        let bytes = self.text.as_bytes();
        let Some(quote) = self.text[literal..].find('"').map(|q| literal + q) else {
            return literal;
        };
        let raw = quote > 0 && matches!(bytes[quote - 1], b'r' | b'#');
        let mut i = quote + 1;
        let mut decoded = 0;
        while i < bytes.len() && decoded < inner {
            let ch = self.text[i..].chars().next().unwrap_or('"');
            if ch == '"' && !raw {
                break;
            }
            if ch == '\\' && !raw {
                let esc = self.text[i + 1..].chars().next().unwrap_or(' ');
                if esc == 'u' {
                    // `\u{XXXX}`: one decoded char of up to 4 bytes.
                    let close = self.text[i..].find('}').map_or(i + 2, |c| i + c + 1);
                    let ch = u32::from_str_radix(
                        self.text[i..close]
                            .trim_start_matches("\\u{")
                            .trim_end_matches('}'),
                        16,
                    )
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(' ');
                    decoded += ch.len_utf8();
                    i = close;
                } else {
                    decoded += 1;
                    i += 1 + esc.len_utf8();
                }
                continue;
            }
            decoded += ch.len_utf8();
            i += ch.len_utf8();
        }
        i
    }

    /// The line and column of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        LineCol { line, col }
    }

    /// The text of a 1-based line, without its newline.
    pub(crate) fn line_text(&self, line: usize) -> Option<&'t str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&e| e - 1);
        self.text.get(start..end).map(|l| l.trim_end_matches('\r'))
    }
}

/// Nesting deeper than this is not recorded (ron rejects it anyway).
const MAX_DEPTH: usize = 256;

struct Walker<'t> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    path: Vec<OwnedSeg>,
    offsets: HashMap<Vec<OwnedSeg>, Vec<usize>>,
    depth: usize,
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
            self.i += 1;
        }
    }

    fn record(&mut self) {
        self.offsets
            .entry(self.path.clone())
            .or_default()
            .push(self.i);
    }

    /// Reads a string literal and returns its decoded text.
    fn string(&mut self) -> Option<String> {
        if self.peek() == Some(b'r') {
            self.i += 1;
            let hashes = self.bytes[self.i..]
                .iter()
                .take_while(|&&b| b == b'#')
                .count();
            self.i += hashes + 1;
            let close: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            let end = self.text[self.i..].find(&close)? + self.i;
            let s = self.text[self.i..end].to_owned();
            self.i = end + close.len();
            return Some(s);
        }
        self.i += 1;
        let mut s = String::new();
        loop {
            let ch = self.text[self.i..].chars().next()?;
            self.i += ch.len_utf8();
            match ch {
                '"' => return Some(s),
                '\\' => {
                    let esc = self.text[self.i..].chars().next()?;
                    self.i += esc.len_utf8();
                    s.push(match esc {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                }
                ch => s.push(ch),
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

    fn value(&mut self, record: bool) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        if record {
            self.record();
        }
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'r' if matches!(self.bytes.get(self.i + 1), Some(b'"' | b'#')) => {
                self.string()?;
            }
            b'\'' => {
                self.i += 1;
                if self.peek() == Some(b'\\') {
                    self.i += 1;
                }
                let ch = self.text[self.i..].chars().next()?;
                self.i += ch.len_utf8() + 1;
            }
            b'(' => self.paren()?,
            b'[' => self.seq()?,
            b'{' => self.map()?,
            _ => {
                if self.word().is_empty() {
                    return None;
                }
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    self.paren()?;
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn paren(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            self.skip_ws();
            if self.peek()? == b')' {
                self.i += 1;
                return Some(());
            }
            let save = self.i;
            let word = self.word().to_owned();
            self.skip_ws();
            let is_field = !word.is_empty()
                && self.peek() == Some(b':')
                && self.bytes.get(self.i + 1) != Some(&b':');
            if is_field {
                self.i += 1;
                self.path.push(OwnedSeg::Field(word));
                self.value(true)?;
                self.path.pop();
            } else {
                self.i = save;
                self.value(false)?;
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
            self.path.push(OwnedSeg::Index(index));
            self.value(true)?;
            self.path.pop();
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
            let key = match self.peek()? {
                b'"' | b'r' => self.string()?,
                _ => self.word().to_owned(),
            };
            self.path.push(OwnedSeg::Key(key));
            self.offsets
                .entry(self.path.clone())
                .or_default()
                .push(key_at);
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.value(false)?;
            self.path.pop();
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.i += 1;
            }
        }
    }
}

/// A place in a story's files: path, line and column.
pub type Location = (std::path::PathBuf, usize, usize);

/// Finds where a story writes its nodes, choices and expressions. Each file's map of
/// values is built once, on first need, so that a tool placing thousands of findings (as
/// `qnce explore` does) walks each file once, not once per finding.
pub struct Locator<'s> {
    story: &'s qnce_core::Story,
    maps: Vec<std::cell::OnceCell<SourceMap<'s>>>,
}

impl<'s> Locator<'s> {
    /// A locator over `story`'s files.
    pub fn new(story: &'s qnce_core::Story) -> Locator<'s> {
        Locator {
            story,
            maps: story
                .files()
                .iter()
                .map(|_| std::cell::OnceCell::new())
                .collect(),
        }
    }

    /// Where the value at `path` is written, in whichever file has it.
    fn find(&self, path: &[Seg]) -> Option<Location> {
        self.story
            .files()
            .iter()
            .zip(&self.maps)
            .find_map(|(file, map)| {
                let map = map.get_or_init(|| SourceMap::new(&file.text));
                let at = map.line_col(map.exact(path)?);
                Some((file.path.clone(), at.line, at.col))
            })
    }

    /// Where node `name` is declared (its key).
    pub fn node(&self, name: &str) -> Option<Location> {
        self.find(&[Seg::Field("nodes"), Seg::Key(name.to_owned())])
    }

    /// Where choice `index` (0-based, as written) of node `node` is written, or its field
    /// `field` (`when`, `text`) when given and written.
    pub fn choice(
        &self,
        node: &str,
        index: usize,
        field: Option<&'static str>,
    ) -> Option<Location> {
        let mut path = vec![
            Seg::Field("nodes"),
            Seg::Key(node.to_owned()),
            Seg::Field("choices"),
            Seg::Index(index),
        ];
        path.extend(field.map(Seg::Field));
        self.find(&path)
    }

    /// Where a run-time error was raised: for an expression that failed
    /// ([`RuntimeError::Eval`](qnce_core::RuntimeError::Eval)), the expression as
    /// written (the node's text, a choice's text, `when` or `set` entry, an `on_enter`
    /// entry); for any other error that names a node, the node's declaration.
    pub fn error(&self, error: &qnce_core::RuntimeError) -> Option<Location> {
        use qnce_core::runtime::ErrorSite;
        let node = error.node()?;
        let qnce_core::RuntimeError::Eval { site, .. } = error else {
            return self.node(node);
        };
        let story = self.story;
        let id = story.node_id(node)?;
        let choice_index = |c| story.node_choices(id).position(|(choice, _)| choice == c);
        let mut path = vec![Seg::Field("nodes"), Seg::Key(node.to_owned())];
        match *site {
            ErrorSite::Text => path.push(Seg::Field("text")),
            ErrorSite::OnEnter(i) => path.extend([Seg::Field("on_enter"), Seg::Index(i)]),
            ErrorSite::ChoiceText(c) | ErrorSite::Condition(c) | ErrorSite::ChoiceEffect(c, _) => {
                path.extend([Seg::Field("choices"), Seg::Index(choice_index(c)?)]);
                match *site {
                    ErrorSite::ChoiceText(_) => path.push(Seg::Field("text")),
                    ErrorSite::Condition(_) => path.push(Seg::Field("when")),
                    ErrorSite::ChoiceEffect(_, i) => {
                        path.extend([Seg::Field("set"), Seg::Index(i)]);
                    }
                    _ => {}
                }
            }
        }
        self.find(&path).or_else(|| self.node(node))
    }
}

/// Where a story declares node `name`: the file, line and column of its key, for
/// run-time errors that name the node. Each file is walked until one declares it, so
/// this costs a walk of the story's text; it is meant for errors, not for play (a
/// [`Locator`] places many findings for one walk).
pub fn node_location(story: &qnce_core::Story, name: &str) -> Option<Location> {
    Locator::new(story).node(name)
}

/// Where a run-time error was raised (see [`Locator::error`]). Costs a walk of the
/// story's text, as [`node_location`].
pub fn error_location(
    story: &qnce_core::Story,
    error: &qnce_core::RuntimeError,
) -> Option<Location> {
    Locator::new(story).error(error)
}
