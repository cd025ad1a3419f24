//! Byte offsets in a file's text and LSP positions (a line and a column in UTF-16 code
//! units, the protocol's default) both ways.

use std::ops::Range;

use lsp_types::Position;

/// Where a text's lines start, for converting positions.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The LSP position of byte `offset` (clamped to the text, and back to a character
    /// boundary).
    pub(crate) fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of an LSP position: a column past the line's end is its end, a line
    /// past the text's end is the text's end.
    pub(crate) fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(position.line as usize + 1)
            .map_or(text.len(), |&e| e - 1);
        let mut units = 0;
        for (i, ch) in text[start..end].char_indices() {
            if units >= position.character as usize {
                return start + i;
            }
            units += ch.len_utf16();
        }
        end
    }

    /// The LSP range of a byte range.
    pub(crate) fn range(&self, text: &str, span: Range<usize>) -> lsp_types::Range {
        lsp_types::Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is one unit and two bytes; `𝄞` is two units and four bytes.
        let text = "ab\né𝄞x\n";
        let lines = LineIndex::new(text);
        let x = text.find('x').expect("x");
        assert_eq!(lines.position(text, x), Position::new(1, 3));
        assert_eq!(lines.offset(text, Position::new(1, 3)), x);
        assert_eq!(
            lines.offset(text, Position::new(1, 99)),
            x + 1,
            "past the end"
        );
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(lines.position(text, x - 1), Position::new(1, 1), "inside 𝄞");
    }
}
