//! A story's translation files (`locales/*.po`), for renames: the names written in the
//! `{…}` of each entry's source copy (`msgid`) and translation (`msgstr`), and where, so
//! that renaming a variable, function or node keeps every translation valid and not
//! stale.

use std::path::PathBuf;
use std::sync::Arc;

use lsp_types::{Position, Range, TextEdit};
use qnce_core::expr::{NameKind, names_in_text};
use qnce_load::po::{Catalogue, string_position};

/// One translation file as the editor has it.
#[derive(Clone, Debug)]
pub(crate) struct PoFile {
    pub(crate) path: PathBuf,
    pub(crate) text: Arc<str>,
}

impl PoFile {
    /// The edits that rename `name` (a `kind`) to `new_name` in every entry's texts;
    /// `None` when the file does not read as a catalogue.
    pub(crate) fn rename(
        &self,
        kind: NameKind,
        name: &str,
        new_name: &str,
    ) -> Option<Vec<TextEdit>> {
        let catalogue = Catalogue::parse(&self.text).ok()?;
        let mut edits = Vec::new();
        // Obsolete entries (`#~`) are not read by the story; their continuation lines
        // carry the prefix, which placing names does not follow.
        for entry in catalogue.entries.iter().filter(|e| !e.obsolete) {
            for (text, at) in [
                (&entry.source, entry.source_at),
                (&entry.translation, entry.translation_at),
            ] {
                if at == (0, 0) {
                    continue;
                }
                for written in names_in_text(text).names {
                    if written.kind != kind || written.name != name {
                        continue;
                    }
                    let start = string_position(&self.text, at, written.span.start);
                    let end = string_position(&self.text, at, written.span.end);
                    edits.push(TextEdit::new(
                        Range::new(self.position(start), self.position(end)),
                        new_name.to_owned(),
                    ));
                }
            }
        }
        Some(edits)
    }

    /// The LSP position of a 1-based line and column in characters.
    fn position(&self, (line, col): (usize, usize)) -> Position {
        let text = self.text.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let units: usize = text
            .chars()
            .take(col.saturating_sub(1))
            .map(char::len_utf16)
            .sum();
        Position::new(
            u32::try_from(line.saturating_sub(1)).unwrap_or(u32::MAX),
            u32::try_from(units).unwrap_or(u32::MAX),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_renamed_in_sources_and_translations_across_lines() {
        // Trailing blanks after the first string, as editors leave them.
        let text = "msgctxt \"hall\"\nmsgid \"Gold: {gold}\"  \nmsgstr \"\"\n\"Or: \"\n\"é {gold > 1 ? 'viel' : 'wenig'}\"\n\n#~ msgctxt \"gone\"\n#~ msgid \"\"\n#~ \"{gold}\"\n#~ msgstr \"{gold}\"\n";
        let file = PoFile {
            path: PathBuf::from("/s/locales/de.po"),
            text: Arc::from(text),
        };
        let edits = file
            .rename(NameKind::Variable, "gold", "coins")
            .expect("reads");
        let at: Vec<(u32, u32, u32)> = edits
            .iter()
            .map(|e| {
                (
                    e.range.start.line,
                    e.range.start.character,
                    e.range.end.character,
                )
            })
            .collect();
        // `msgid "Gold: {gold}"`: columns 14 to 18; the continuation line after `"é {`.
        assert_eq!(at, [(1, 14, 18), (4, 4, 8)]);
    }
}
