//! Text written over several lines: its common indentation and its leading and trailing
//! blank lines removed, so that a RON raw string can be indented with the file.

/// Text with the indentation of its lines removed, and where each kept line came from.
pub(crate) struct Dedented<'s> {
    pub(crate) text: std::borrow::Cow<'s, str>,
    /// For each line of `text`, where it starts there and in the source; empty for text
    /// kept as written.
    lines: Vec<(usize, usize)>,
}

impl<'s> Dedented<'s> {
    /// `src` dedented when it spans lines; a single line is kept as written (borrowed).
    pub(crate) fn new(src: &'s str) -> Dedented<'s> {
        if !src.contains('\n') {
            return Dedented {
                text: src.into(),
                lines: Vec::new(),
            };
        }
        // Lines with their start offsets in `src`.
        let mut all = Vec::new();
        let mut start = 0;
        for line in src.split('\n') {
            // A CRLF line ends at its `\r` too.
            all.push((start, line.strip_suffix('\r').unwrap_or(line)));
            start += line.len() + 1;
        }
        let blank = |line: &str| line.trim().is_empty();
        let first = all.iter().position(|(_, l)| !blank(l)).unwrap_or(all.len());
        let last = all
            .iter()
            .rposition(|(_, l)| !blank(l))
            .map_or(first, |i| i + 1);
        let kept = &all[first..last];
        // The indentation every line that is not blank starts with, as written: tabs and
        // spaces are not mixed up.
        let mut indent: Option<&str> = None;
        for (_, line) in kept.iter().filter(|(_, l)| !blank(l)) {
            let own = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
            indent = Some(match indent {
                None => own,
                Some(shared) => {
                    let common = shared
                        .bytes()
                        .zip(own.bytes())
                        .take_while(|(a, b)| a == b)
                        .count();
                    &shared[..common]
                }
            });
        }
        let indent = indent.map_or(0, str::len);
        let mut text = String::with_capacity(src.len());
        let mut lines = Vec::with_capacity(kept.len());
        for (i, &(at, line)) in kept.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            // A blank line may be shorter than the indentation; its own spaces go.
            let cut = if blank(line) { line.len() } else { indent };
            lines.push((text.len(), at + cut));
            text.push_str(&line[cut..]);
        }
        if lines.is_empty() {
            lines.push((0, 0));
        }
        Dedented {
            text: text.into(),
            lines,
        }
    }

    /// The offset in the source of the byte at `at` in the dedented text.
    pub(crate) fn source_offset(&self, at: usize) -> usize {
        if self.lines.is_empty() {
            return at;
        }
        let i = self
            .lines
            .partition_point(|&(start, _)| start <= at)
            .saturating_sub(1);
        let (start, source) = self.lines[i];
        source + (at - start)
    }
}

#[cfg(test)]
mod tests {
    use super::Dedented;

    #[test]
    fn common_indentation_and_outer_blank_lines_go() {
        let src = "\n    First line,\n      indented more.\n\n    Last.\n  ";
        let d = Dedented::new(src);
        assert_eq!(d.text, "First line,\n  indented more.\n\nLast.");
        // Each byte maps back to where it is written.
        for (at, ch) in d.text.char_indices() {
            if ch != '\n' {
                assert_eq!(src[d.source_offset(at)..].chars().next(), Some(ch), "{at}");
            }
        }
    }

    #[test]
    fn one_line_is_kept_as_written() {
        let d = Dedented::new("  spaced  ");
        assert_eq!(d.text, "  spaced  ");
        assert_eq!(d.source_offset(4), 4);
    }

    #[test]
    fn crlf_lines_lose_their_carriage_returns() {
        assert_eq!(
            Dedented::new("\r\n    Hello.\r\n    World.\r\n").text,
            "Hello.\nWorld."
        );
    }

    #[test]
    fn only_indentation_written_the_same_is_shared() {
        // A tab is not two spaces: the lines share no indentation.
        assert_eq!(Dedented::new("\n\t\tA\n    B\n").text, "\t\tA\n    B");
        assert_eq!(Dedented::new("\n  \tA\n  B\n").text, "\tA\nB");
    }

    #[test]
    fn tabs_count_as_indentation_and_blank_text_is_empty() {
        assert_eq!(Dedented::new("\n\tA\n\t\tB\n").text, "A\n\tB");
        assert_eq!(Dedented::new("\n   \n").text, "");
    }
}
