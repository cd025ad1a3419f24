//! gettext PO catalogues: the string tables translators open in Poedit, Weblate, Crowdin
//! or Transifex. One entry per translatable text: `msgctxt` is its line id, `msgid` the
//! source text, `msgstr` the translation, `#.` notes for the translator, `#:` where the
//! text is written, `#, fuzzy` for a translation whose source changed since, `#|` the
//! source it was made from, and `#~` for entries whose text is gone.
//!
//! Written here rather than with a PO crate so that reading keeps each string's line and
//! column: a mistake in a translation is reported where it is in the `.po` file.

use std::fmt::Write as _;

/// A catalogue: its header (`msgid ""`) fields and its entries in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    /// The header's `Name: value` fields (`Language`, `Plural-Forms`, …).
    pub header: Vec<(String, String)>,
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// One translatable text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// The line id (`msgctxt`).
    pub line: String,
    /// The source text (`msgid`).
    pub source: String,
    /// The translation (`msgstr`); empty when not translated.
    pub translation: String,
    /// The translator's own comments (`# `), one per line, kept across merges.
    pub comments: Vec<String>,
    /// Notes for the translator (`#.`), one per line.
    pub notes: Vec<String>,
    /// Where the text is written (`#:`), `path:line`.
    pub references: Vec<String>,
    /// Whether the translation was made for another source text (`#, fuzzy`).
    pub fuzzy: bool,
    /// The source text the translation was made for, when it is fuzzy (`#| msgid`).
    pub previous: Option<String>,
    /// Whether the text is gone from the story (`#~`), kept for its translation.
    pub obsolete: bool,
    /// Where `msgstr`'s string starts in the file read (1-based line and column).
    pub translation_at: (usize, usize),
    /// Where `msgid`'s string starts in the file read (1-based line and column).
    pub source_at: (usize, usize),
}

/// A syntax error in a PO file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct PoError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl Catalogue {
    /// The entry for line id `line`, obsolete ones aside.
    pub fn entry(&self, line: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.line == line && !e.obsolete)
    }

    /// The catalogue as PO text.
    pub fn to_po(&self) -> String {
        let mut out = String::new();
        out.push_str("msgid \"\"\nmsgstr \"\"\n");
        for (name, value) in &self.header {
            let _ = writeln!(out, "{}", quoted(&format!("{name}: {value}\n")));
        }
        for e in self.entries.iter().filter(|e| !e.obsolete) {
            out.push('\n');
            write_entry(&mut out, e, "");
        }
        for e in self.entries.iter().filter(|e| e.obsolete) {
            out.push('\n');
            write_entry(&mut out, e, "#~ ");
        }
        out
    }

    /// Reads PO text.
    ///
    /// # Errors
    /// The first syntax error, with its line and column.
    pub fn parse(text: &str) -> Result<Catalogue, PoError> {
        Parser::new(text).catalogue()
    }
}

fn write_entry(out: &mut String, e: &Entry, prefix: &str) {
    for comment in &e.comments {
        let _ = writeln!(out, "# {comment}");
    }
    for note in &e.notes {
        let _ = writeln!(out, "#. {note}");
    }
    for r in &e.references {
        let _ = writeln!(out, "#: {r}");
    }
    if e.fuzzy {
        out.push_str("#, fuzzy\n");
    }
    if let Some(previous) = &e.previous {
        let _ = writeln!(out, "#| msgid {}", quoted(previous).replace('\n', "\n#| "));
    }
    for (keyword, value) in [
        ("msgctxt", &e.line),
        ("msgid", &e.source),
        ("msgstr", &e.translation),
    ] {
        let value = quoted(value).replace('\n', &format!("\n{prefix}"));
        let _ = writeln!(out, "{prefix}{keyword} {value}");
    }
}

/// A PO string: one quoted line, or for text of several lines `""` and then one quoted
/// line per line of text (each but the last ending in `\n`), as gettext writes them.
fn quoted(s: &str) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for ch in s.chars() {
            match ch {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let trimmed = s.strip_suffix('\n').unwrap_or(s);
    if !trimmed.contains('\n') {
        return escape(s);
    }
    let mut out = String::from("\"\"");
    for piece in s.split_inclusive('\n') {
        out.push('\n');
        out.push_str(&escape(piece));
    }
    out
}

struct Parser<'t> {
    lines: Vec<&'t str>,
    /// The next line to read (0-based).
    at: usize,
}

/// What a keyword line begins: which field, and whether the entry is obsolete.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Context,
    Id,
    Str,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Parser {
            lines: text.lines().collect(),
            at: 0,
        }
    }

    fn error(&self, line: usize, col: usize, message: impl Into<String>) -> PoError {
        PoError {
            line: line + 1,
            col,
            message: message.into(),
        }
    }

    fn catalogue(mut self) -> Result<Catalogue, PoError> {
        let mut catalogue = Catalogue::default();
        let mut entry = Entry::default();
        let mut seen: Option<Field> = None;
        while self.at < self.lines.len() {
            let n = self.at;
            let raw = self.lines[n];
            self.at += 1;
            let line = raw.trim_end();
            if line.trim().is_empty() {
                if seen.is_some() {
                    self.finish(&mut catalogue, &mut entry, &mut seen)?;
                }
                continue;
            }
            let (obsolete, body) = match line.strip_prefix("#~") {
                // `#~|` is an obsolete entry's earlier source, a comment like `#|`.
                Some(rest) if rest.starts_with('|') => (true, rest),
                Some(rest) => (true, rest.trim_start()),
                None => (false, line),
            };
            let comment = if obsolete && body.starts_with('|') {
                Some(body)
            } else {
                body.strip_prefix('#')
            };
            if let Some(comment) = comment {
                if seen == Some(Field::Str) {
                    self.finish(&mut catalogue, &mut entry, &mut seen)?;
                }
                let (kind, text) =
                    comment.split_at(comment.chars().next().map_or(0, char::len_utf8));
                let text = text.trim_start();
                match kind {
                    " " | "" => entry.comments.push(text.to_owned()),
                    "." => entry.notes.push(text.to_owned()),
                    ":" => entry.references.push(text.to_owned()),
                    "," => entry.fuzzy |= text.split(',').any(|f| f.trim() == "fuzzy"),
                    "|" => {
                        let value = text.strip_prefix("msgid").map(str::trim_start);
                        if let Some(value) = value {
                            let col = column(line, value);
                            entry.previous = Some(self.string(n, col, value, "#|")?);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let (field, rest) = if let Some(rest) = body.strip_prefix("msgctxt") {
                (Field::Context, rest)
            } else if body.starts_with("msgid_plural") {
                return Err(self.error(
                    n,
                    1,
                    "plural entries (`msgid_plural`) are not used: plurals are written in the \
                     text itself",
                ));
            } else if let Some(rest) = body.strip_prefix("msgid") {
                (Field::Id, rest)
            } else if let Some(rest) = body.strip_prefix("msgstr") {
                (Field::Str, rest)
            } else {
                return Err(self.error(
                    n,
                    1,
                    format!(
                        "expected `msgctxt`, `msgid`, `msgstr` or a comment, found `{}`",
                        body.chars().take(20).collect::<String>()
                    ),
                ));
            };
            if seen == Some(Field::Str) {
                self.finish(&mut catalogue, &mut entry, &mut seen)?;
            }
            let value = rest.trim_start();
            // Of the line without its trailing blanks, which `value` ends with.
            let col = column(line, value);
            let prefix = if obsolete { "#~" } else { "" };
            let text = self.string(n, col, value, prefix)?;
            entry.obsolete |= obsolete;
            match field {
                Field::Context => entry.line = text,
                Field::Id => {
                    entry.source = text;
                    entry.source_at = (n + 1, col);
                }
                Field::Str => {
                    entry.translation = text;
                    entry.translation_at = (n + 1, col);
                }
            }
            seen = Some(field);
        }
        if seen.is_some() {
            self.finish(&mut catalogue, &mut entry, &mut seen)?;
        }
        Ok(catalogue)
    }

    /// Ends the entry read so far: the header, or an entry of the catalogue.
    fn finish(
        &self,
        catalogue: &mut Catalogue,
        entry: &mut Entry,
        seen: &mut Option<Field>,
    ) -> Result<(), PoError> {
        let done = std::mem::take(entry);
        *seen = None;
        if done.line.is_empty() && done.source.is_empty() && catalogue.entries.is_empty() {
            catalogue.header = done
                .translation
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect();
            return Ok(());
        }
        catalogue.entries.push(done);
        Ok(())
    }

    /// A quoted string starting at `value` (column `col` of line `n`), continued by the
    /// quoted lines right after it (each with `prefix`).
    fn string(
        &mut self,
        n: usize,
        col: usize,
        value: &str,
        prefix: &str,
    ) -> Result<String, PoError> {
        let mut out = unquote(value).map_err(|(at, m)| self.error(n, col + at, m))?;
        while let Some(next) = self.lines.get(self.at) {
            let body = next.trim_start();
            let body = match body.strip_prefix(prefix) {
                Some(rest) if !prefix.is_empty() => rest.trim_start(),
                _ if prefix.is_empty() => body,
                _ => break,
            };
            if !body.starts_with('"') {
                break;
            }
            let line = self.at;
            let col = column(next, body);
            self.at += 1;
            out.push_str(
                &unquote(body.trim_end()).map_err(|(at, m)| self.error(line, col + at, m))?,
            );
        }
        Ok(out)
    }
}

/// The 1-based column, in characters, where `rest` (a tail of `line`) starts.
fn column(line: &str, rest: &str) -> usize {
    line[..line.len() - rest.len()].chars().count() + 1
}

/// Where, in the PO file `text`, byte `offset` of a string's unescaped text is written:
/// the 1-based line and column (in characters) of the character that holds it, following
/// the string from its opening quote at `at` (as [`Entry::translation_at`]) through
/// escapes and onto its continuation lines. The end of the string for an offset past it.
pub fn string_position(text: &str, at: (usize, usize), offset: usize) -> (usize, usize) {
    let mut left = offset;
    let mut end = at;
    for (i, raw) in text.lines().enumerate().skip(at.0.saturating_sub(1)) {
        let n = i + 1;
        // The segment's opening quote: at `at` on the first line, the line's first
        // character after blanks on the others (else the string ended).
        let quote = if n == at.0 {
            raw.char_indices()
                .nth(at.1.saturating_sub(1))
                .map(|(b, _)| b)
        } else {
            let body = raw.trim_start();
            body.starts_with('"').then(|| raw.len() - body.len())
        };
        let Some(quote) = quote.filter(|&q| raw[q..].starts_with('"')) else {
            break;
        };
        let mut col = raw[..=quote].chars().count() + 1;
        let mut chars = raw[quote + 1..].chars();
        while let Some(ch) = chars.next() {
            if ch == '"' {
                break;
            }
            if left == 0 {
                return (n, col);
            }
            let (len, width) = if ch == '\\' {
                (chars.next().map_or(0, |_| 1), 2)
            } else {
                (ch.len_utf8(), 1)
            };
            left = left.saturating_sub(len);
            col += width;
        }
        end = (n, col);
    }
    end
}

/// The text of one quoted PO string, or where (byte offset in `s`) and why it is not one.
fn unquote(s: &str) -> Result<String, (usize, String)> {
    let Some(body) = s.strip_prefix('"') else {
        return Err((0, "expected a string in double quotes".into()));
    };
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => {
                let rest = body[i + 1..].trim();
                if !rest.is_empty() {
                    return Err((i + 2, format!("unexpected `{rest}` after the string")));
                }
                return Ok(out);
            }
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((j, other)) => return Err((j + 1, format!("unknown escape `\\{other}`"))),
                None => return Err((i + 1, "a `\\` ends the line".into())),
            },
            c => out.push(c),
        }
    }
    Err((
        s.len(),
        "the string is not closed (a `\"` is missing)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_entries_with_every_field() {
        let catalogue = Catalogue {
            header: vec![("Language".into(), "de".into())],
            entries: vec![
                Entry {
                    line: "gate".into(),
                    source: "Lanterns \"sway\".\nYou have {coins} coins.".into(),
                    translation: "Laternen.\nDu hast {coins} Münzen.".into(),
                    comments: vec!["checked by Ada".into()],
                    notes: vec!["tags: act1".into(), "variables: coins".into()],
                    references: vec!["story.ron:12".into()],
                    fuzzy: true,
                    previous: Some("Old\ntext".into()),
                    ..Entry::default()
                },
                Entry {
                    line: "gone".into(),
                    source: "Gone".into(),
                    translation: "Weg".into(),
                    obsolete: true,
                    ..Entry::default()
                },
            ],
        };
        let text = catalogue.to_po();
        let mut read = Catalogue::parse(&text).expect("parses");
        for e in &mut read.entries {
            e.translation_at = (0, 0);
            e.source_at = (0, 0);
        }
        assert_eq!(read, catalogue, "{text}");
    }

    #[test]
    fn reads_gettexts_own_obsolete_entries_and_crlf() {
        let text = "msgid \"\"\r\nmsgstr \"\"\r\n\r\n#~| msgid \"Old\"\r\n#~ msgctxt \"gone\"\r\n#~ msgid \"Gone\"\r\n#~ msgstr \"Weg\"\r\n";
        let c = Catalogue::parse(text).expect("parses");
        assert_eq!(c.entries.len(), 1);
        let e = &c.entries[0];
        assert!(e.obsolete);
        assert_eq!((e.line.as_str(), e.translation.as_str()), ("gone", "Weg"));
        assert_eq!(e.previous.as_deref(), Some("Old"));
    }

    #[test]
    fn errors_point_into_the_file() {
        let e = Catalogue::parse("msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"unclosed\n")
            .expect_err("an error");
        assert_eq!((e.line, e.col), (3, 17), "{e}");
        let e =
            Catalogue::parse("msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\\q\"\n").expect_err("an error");
        assert_eq!((e.line, e.col), (3, 10), "{e}");
        let e = Catalogue::parse("hello\n").expect_err("an error");
        assert_eq!((e.line, e.col), (1, 1), "{e}");
    }
}
