//! Finds where a value stands in a RON source file, for diagnostics: a [`SourceMap`]
//! finds a path (`nodes` → `"river"` → `choices` → `1` → `to`) in a file's [`Outline`].
//! It is built only for files that have a finding.

use crate::outline::{Outline, Step};

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

/// The located values of one file: its outline, with each value's first child and next
/// sibling, so that a path is found by walking down from the top value. No value's path is
/// built: a file is mapped for the few findings placed in it, and a 100-node file has
/// thousands of values.
pub(crate) struct SourceMap<'t> {
    text: &'t str,
    outline: Outline,
    /// For each value, its first child (`NONE` for none).
    first_child: Vec<u32>,
    /// For each value, the next child of its parent (`NONE` for none).
    next_sibling: Vec<u32>,
    line_starts: Vec<usize>,
}

/// No value: the end of a list of children.
const NONE: u32 = u32::MAX;

impl<'t> SourceMap<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let outline = Outline::of(text);
        let n = outline.values().len();
        let mut first_child = vec![NONE; n];
        let mut next_sibling = vec![NONE; n];
        // Values come before those inside them, and siblings in order: each is linked
        // after its parent's last child so far.
        let mut last_child = vec![NONE; n];
        for (i, v) in outline.values().iter().enumerate() {
            let (Some(p), Ok(i)) = (v.parent, u32::try_from(i)) else {
                continue;
            };
            match last_child.get(p).copied() {
                Some(NONE) => first_child[p] = i,
                Some(last) => next_sibling[last as usize] = i,
                None => continue,
            }
            last_child[p] = i;
        }
        SourceMap {
            text,
            outline,
            first_child,
            next_sibling,
            line_starts,
        }
    }

    /// The values inside value `of` that a path steps to: its children, and for a tuple's
    /// element (or what `Some(…)` wraps), which stands at its parent's path, that
    /// element's own, in the order they start.
    fn children(&self, of: usize, out: &mut Vec<usize>) {
        let mut child = self.first_child.get(of).copied().unwrap_or(NONE);
        while child != NONE {
            let c = child as usize;
            match self.outline.values().get(c).map(|v| &v.step) {
                Some(Step::Position(_)) => self.children(c, out),
                Some(_) => out.push(c),
                None => break,
            }
            child = self.next_sibling.get(c).copied().unwrap_or(NONE);
        }
    }

    /// Where each value (or map key) at `path` starts, in order (a map may repeat a key);
    /// `found` is cleared first.
    fn starts(&self, path: &[Seg], found: &mut Vec<usize>) {
        found.clear();
        if self.outline.values().is_empty() {
            return;
        }
        // The values at the path so far, in the order they start.
        let mut at = vec![0];
        let mut inside = Vec::new();
        for seg in path {
            inside.clear();
            for &v in &at {
                self.children(v, &mut inside);
            }
            let values = self.outline.values();
            inside.retain(|&c| match (seg, &values[c].step) {
                (Seg::Field(f), Step::Field { name, .. }) => name == f,
                (Seg::Key(k), Step::Key { key, .. }) => key == k,
                (Seg::Index(i), Step::Index(j)) => i == j,
                _ => false,
            });
            std::mem::swap(&mut at, &mut inside);
            if at.is_empty() {
                return;
            }
        }
        let values = self.outline.values();
        found.extend(at.iter().map(|&v| match &values[v].step {
            // A map entry is found by its key.
            Step::Key { span, .. } => span.start,
            _ => values[v].span.start,
        }));
    }

    /// Where the value (or map key) at `path` starts; `last` picks the last of duplicate
    /// keys. Falls back to the nearest located ancestor.
    pub(crate) fn offset(&self, path: &[Seg], last: bool) -> usize {
        let mut found = Vec::new();
        for len in (0..=path.len()).rev() {
            self.starts(&path[..len], &mut found);
            let pick = if last { found.last() } else { found.first() };
            if let Some(&at) = pick {
                return at;
            }
        }
        0
    }

    /// Where the value (or map key) at exactly `path` starts, if the file has it.
    pub(crate) fn exact(&self, path: &[Seg]) -> Option<usize> {
        let mut found = Vec::new();
        self.starts(path, &mut found);
        found.first().copied()
    }

    /// The file offset of byte `inner` of the decoded string whose literal starts at
    /// `literal` (a `Some(` wrapper before the quote is skipped).
    pub(crate) fn string_offset(&self, literal: usize, inner: usize) -> usize {
        crate::outline::string_offset(self.text, literal, inner)
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Every value's path with where it starts, each path built whole: the index this map
    /// replaced, kept as the reference it must agree with.
    fn all_paths(text: &str) -> HashMap<Vec<Seg>, Vec<usize>> {
        let outline = Outline::of(text);
        let mut paths: Vec<Vec<Seg>> = Vec::new();
        let mut starts: HashMap<Vec<Seg>, Vec<usize>> = HashMap::new();
        for v in outline.values() {
            let mut path = v.parent.map(|p| paths[p].clone()).unwrap_or_default();
            let at = match &v.step {
                Step::Root => Some(v.span.start),
                Step::Field { name, .. } => {
                    // The test's names live as long as the test.
                    path.push(Seg::Field(Box::leak(name.clone().into_boxed_str())));
                    Some(v.span.start)
                }
                Step::Index(i) => {
                    path.push(Seg::Index(*i));
                    Some(v.span.start)
                }
                Step::Key { key, span } => {
                    path.push(Seg::Key(key.clone()));
                    Some(span.start)
                }
                Step::Position(_) => None,
            };
            if let Some(at) = at {
                starts.entry(path.clone()).or_default().push(at);
            }
            paths.push(path);
        }
        starts
    }

    #[test]
    fn paths_are_found_as_an_index_of_every_path_finds_them() {
        let texts = [
            r#"Story(title: "t", start: "a", nodes: {"a": (text: "x", choices: [(text: "go", to: "b"), (text: "stay", to: "a", when: "v > 1")]), "b": (text: "y")})"#,
            // A key written twice, values wrapped in `Some(…)`, tuples and nested lists.
            "Include(nodes: {\"a\": (text: \"1\"), \"a\": (text: \"2\", line: Some(\"l\"))}, variables: {\"v\": (1, [2, (3, 4)])})",
            // Broken text: what was read before the walk stopped is found.
            r#"Include(nodes: {"a": (text: "x", choices: [(text: "#,
            "",
        ];
        for text in texts {
            let map = SourceMap::new(text);
            let reference = all_paths(text);
            for (path, starts) in &reference {
                let last = starts[starts.len() - 1];
                assert_eq!(
                    map.exact(path),
                    starts.first().copied(),
                    "{path:?} in {text}"
                );
                assert_eq!(map.offset(path, false), starts[0], "{path:?} in {text}");
                assert_eq!(map.offset(path, true), last, "{path:?}");
                // A path one step past any value falls back to that value.
                let mut deeper = path.clone();
                deeper.push(Seg::Field("nowhere"));
                assert_eq!(map.exact(&deeper), None);
                assert_eq!(map.offset(&deeper, true), last);
            }
            assert!(reference.len() > 1 || text.len() < 50, "{text}");
        }
    }
}
