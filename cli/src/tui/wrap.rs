//! Word wrapping for the runner: one algorithm (textwrap's first fit, with display widths
//! from unicode-width) for measuring a panel's height and for drawing it, so the two never
//! disagree. Words break at spaces; a word wider than the line is cut where it overflows;
//! the text's own line breaks are kept.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use textwrap::core::{Fragment, Word};
use textwrap::{Options, WordSeparator, WrapAlgorithm};

/// Wraps `text` to `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let options = Options::new(width.max(1))
        .wrap_algorithm(WrapAlgorithm::FirstFit)
        .word_separator(WordSeparator::AsciiSpace)
        .break_words(true);
    textwrap::wrap(text, options)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect()
}

/// A word with the style of the span it came from.
#[derive(Debug)]
struct StyledWord<'a> {
    word: Word<'a>,
    style: Style,
}

impl Fragment for StyledWord<'_> {
    fn width(&self) -> f64 {
        self.word.width()
    }

    fn whitespace_width(&self) -> f64 {
        self.word.whitespace_width()
    }

    fn penalty_width(&self) -> f64 {
        self.word.penalty_width()
    }
}

/// Wraps a styled line to `width` columns, each piece keeping its style.
pub fn wrap_line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let columns = f64::from(u32::try_from(width).unwrap_or(u32::MAX));
    let mut words = Vec::new();
    for span in &line.spans {
        let style = line.style.patch(span.style);
        for word in WordSeparator::AsciiSpace.find_words(&span.content) {
            // Only a word wider than the line is cut (`break_apart` would drop a span of
            // blanks alone, an empty word with whitespace, and the gap it makes).
            if word.width() <= columns {
                words.push(StyledWord { word, style });
            } else {
                words.extend(
                    word.break_apart(width)
                        .map(|word| StyledWord { word, style }),
                );
            }
        }
    }
    if words.is_empty() {
        return vec![Line::default().style(line.style)];
    }
    textwrap::wrap_algorithms::wrap_first_fit(&words, &[columns])
        .into_iter()
        .map(|row| {
            let last = row.len() - 1;
            let spans: Vec<Span<'static>> = row
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let mut text = w.word.word.to_owned();
                    if i < last {
                        text.push_str(w.word.whitespace);
                    }
                    Span::styled(text, w.style)
                })
                .collect();
            Line::from(spans).style(line.style)
        })
        .collect()
}

/// Wraps every line of `lines` to `width` columns.
pub fn wrap_lines<'a>(
    lines: impl IntoIterator<Item = &'a Line<'a>>,
    width: usize,
) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .flat_map(|line| wrap_line(line, width))
        .collect()
}
