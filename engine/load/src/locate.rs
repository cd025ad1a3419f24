//! Finds where a value stands in a RON source file, for diagnostics: a [`SourceMap`]
//! indexes a file's [`Outline`] by path (`nodes` → `"river"` → `choices` → `1` → `to`).
//! It is built only for files that have a finding.

use std::collections::HashMap;

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
        let outline = Outline::of(text);
        // Each value's path; a tuple's elements (and what `Some(…)` wraps) stand at their
        // parent's path and are not recorded themselves.
        let mut paths: Vec<Vec<OwnedSeg>> = Vec::with_capacity(outline.values().len());
        let mut offsets: HashMap<Vec<OwnedSeg>, Vec<usize>> = HashMap::new();
        for v in outline.values() {
            let mut path = v.parent.map(|p| paths[p].clone()).unwrap_or_default();
            let at = match &v.step {
                Step::Root => Some(v.span.start),
                Step::Field { name, .. } => {
                    path.push(OwnedSeg::Field(name.clone()));
                    Some(v.span.start)
                }
                Step::Index(i) => {
                    path.push(OwnedSeg::Index(*i));
                    Some(v.span.start)
                }
                // A map entry is found by its key.
                Step::Key { key, span } => {
                    path.push(OwnedSeg::Key(key.clone()));
                    Some(span.start)
                }
                Step::Position(_) => None,
            };
            if let Some(at) = at {
                offsets.entry(path.clone()).or_default().push(at);
            }
            paths.push(path);
        }
        SourceMap {
            text,
            offsets,
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
