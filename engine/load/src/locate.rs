//! Finds where a value stands in a RON source file, for diagnostics: a [`SourceMap`]
//! finds a path (`nodes` → `"river"` → `choices` → `1` → `to`) in a file's [`Outline`].
//! It is built only for files that have a finding.

use std::sync::Arc;

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

/// The located values of one file: its outline, with what each value steps to sorted by
/// step, so that a path is found by walking down from the top value, a binary search at
/// each step. No value's path is built (a 100-node file has thousands of values).
pub(crate) struct SourceMap {
    text: Arc<str>,
    outline: Outline,
    /// Every value a path steps to (all but the top value and tuples' elements), grouped
    /// by the value it is stepped to from, each group sorted by step and then in the
    /// order the values start.
    steps: Vec<u32>,
    /// For each value, where its group starts in `steps`; one more entry ends the last.
    groups: Vec<u32>,
    line_starts: Vec<usize>,
}

/// The values a path leads to: most often one.
enum Found {
    One(u32),
    Many(Vec<u32>),
}

impl Found {
    /// The first value, or with `last` the last.
    fn pick(&self, last: bool) -> Option<u32> {
        match self {
            Found::One(v) => Some(*v),
            Found::Many(values) if last => values.last().copied(),
            Found::Many(values) => values.first().copied(),
        }
    }
}

/// A step as a path and the outline both write it, for ordering: fields, then keys, then
/// indexes.
type StepKey<'s> = (u8, &'s str, usize);

fn step_key(step: &Step) -> StepKey<'_> {
    match step {
        Step::Field { name, .. } => (0, name, 0),
        Step::Key { key, .. } => (1, key, 0),
        Step::Index(i) => (2, "", *i),
        Step::Root | Step::Position(_) => (3, "", 0),
    }
}

fn seg_key(seg: &Seg) -> StepKey<'_> {
    match seg {
        Seg::Field(f) => (0, f, 0),
        Seg::Key(k) => (1, k, 0),
        Seg::Index(i) => (2, "", *i),
    }
}

impl SourceMap {
    pub(crate) fn new(text: Arc<str>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let outline = Outline::of(&text);
        let values = outline.values();
        // The value each value's children are stepped to from: itself, but for a tuple's
        // element (or what `Some(…)` wraps), which stands at its parent's path, its
        // parent's. Parents come before what they hold.
        let mut from: Vec<u32> = Vec::with_capacity(values.len());
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let (Ok(i), parent) = (u32::try_from(i), v.parent) else {
                break;
            };
            let parents_from = parent.and_then(|p| from.get(p).copied());
            from.push(match (&v.step, parents_from) {
                (Step::Position(_), Some(up)) => up,
                _ => i,
            });
            if let (Some(up), false) = (parents_from, matches!(v.step, Step::Position(_))) {
                pairs.push((up, i));
            }
        }
        let key = |i: u32| step_key(&values[i as usize].step);
        pairs.sort_unstable_by(|a, b| (a.0, key(a.1), a.1).cmp(&(b.0, key(b.1), b.1)));
        let mut groups = vec![0u32; from.len() + 1];
        for &(up, _) in &pairs {
            groups[up as usize + 1] += 1;
        }
        for i in 1..groups.len() {
            groups[i] += groups[i - 1];
        }
        SourceMap {
            text,
            steps: pairs.into_iter().map(|(_, v)| v).collect(),
            groups,
            outline,
            line_starts,
        }
    }

    /// The values `seg` steps to from value `v`, in the order they start.
    fn step(&self, v: u32, seg: &Seg) -> &[u32] {
        let group = self.group(v);
        let values = self.outline.values();
        let want = seg_key(seg);
        let key = |&c: &u32| step_key(&values[c as usize].step);
        let lo = group.partition_point(|c| key(c) < want);
        let hi = group.partition_point(|c| key(c) <= want);
        &group[lo..hi]
    }

    /// Every value stepped to from value `v`, sorted by step (none for no such value).
    fn group(&self, v: u32) -> &[u32] {
        let v = v as usize;
        let range = || Some(*self.groups.get(v)? as usize..*self.groups.get(v + 1)? as usize);
        range().and_then(|r| self.steps.get(r)).unwrap_or_default()
    }

    /// The values at the longest part of `path` the file has, in the order they start,
    /// with that part's length; none for an empty outline. Most paths lead to one value
    /// at each step, and are walked without allocating.
    fn deepest(&self, path: &[Seg]) -> (usize, Found) {
        if self.outline.values().is_empty() {
            return (0, Found::Many(Vec::new()));
        }
        let mut at = Found::One(0);
        for (depth, seg) in path.iter().enumerate() {
            let next = match &at {
                Found::One(v) => match self.step(*v, seg) {
                    [] => None,
                    [one] => Some(Found::One(*one)),
                    many => Some(Found::Many(many.to_vec())),
                },
                Found::Many(values) => {
                    let mut next = Vec::new();
                    for &v in values {
                        next.extend_from_slice(self.step(v, seg));
                    }
                    (!next.is_empty()).then_some(Found::Many(next))
                }
            };
            match next {
                Some(next) => at = next,
                None => return (depth, at),
            }
        }
        (path.len(), at)
    }

    /// Where value `v` (or its map key) starts.
    fn start(&self, v: u32) -> usize {
        match self.outline.values().get(v as usize) {
            // A map entry is found by its key.
            Some(value) => match &value.step {
                Step::Key { span, .. } => span.start,
                _ => value.span.start,
            },
            None => 0,
        }
    }

    /// Where the value (or map key) at `path` starts; `last` picks the last of duplicate
    /// keys. Falls back to the nearest located ancestor.
    pub(crate) fn offset(&self, path: &[Seg], last: bool) -> usize {
        let (_, at) = self.deepest(path);
        at.pick(last).map_or(0, |v| self.start(v))
    }

    /// Where the value (or map key) at exactly `path` starts, if the file has it.
    pub(crate) fn exact(&self, path: &[Seg]) -> Option<usize> {
        match self.deepest(path) {
            (depth, at) if depth == path.len() => at.pick(false).map(|v| self.start(v)),
            _ => None,
        }
    }

    /// The keys of the maps at `path`, in the order written.
    pub(crate) fn keys(&self, path: &[Seg]) -> Vec<&str> {
        let (depth, at) = self.deepest(path);
        let values = match at {
            _ if depth < path.len() => Vec::new(),
            Found::One(v) => vec![v],
            Found::Many(values) => values,
        };
        let mut keys: Vec<(u32, &str)> = Vec::new();
        for v in values {
            keys.extend(self.group(v).iter().filter_map(|&c| {
                match &self.outline.values()[c as usize].step {
                    Step::Key { key, .. } => Some((c, key.as_str())),
                    _ => None,
                }
            }));
        }
        // Sorted by key within each map: put back in the order written.
        keys.sort_unstable_by_key(|&(c, _)| c);
        keys.into_iter().map(|(_, k)| k).collect()
    }

    /// The file offset of byte `inner` of the decoded string whose literal starts at
    /// `literal` (a `Some(` wrapper before the quote is skipped).
    pub(crate) fn string_offset(&self, literal: usize, inner: usize) -> usize {
        crate::outline::string_offset(&self.text, literal, inner)
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
    pub(crate) fn line_text(&self, line: usize) -> Option<&str> {
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
/// `qnce explore` does) walks each file once, not once per finding. A file whose text the
/// story let go of is read again (see [`SourceFile`](qnce_core::story::SourceFile)); one
/// that changed since is not searched.
pub struct Locator<'s> {
    story: &'s qnce_core::Story,
    maps: Vec<std::cell::OnceCell<Option<SourceMap>>>,
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

    /// The map of the story's file `file` (at `i`), built on first need: none when its
    /// text was let go of and the file changed since.
    fn map(&self, i: usize, file: &qnce_core::story::SourceFile) -> Option<&SourceMap> {
        let map = self.maps.get(i)?;
        map.get_or_init(|| crate::read::text_of(file).map(SourceMap::new))
            .as_ref()
    }

    /// Where the value at `path` is written, in whichever file has it.
    fn find(&self, path: &[Seg]) -> Option<Location> {
        (self.story.files().iter().enumerate()).find_map(|(i, file)| {
            let map = self.map(i, file)?;
            let at = map.line_col(map.exact(path)?);
            Some((file.path.clone(), at.line, at.col))
        })
    }

    /// The text of line `line` (1-based, without its newline) of the story's file at
    /// `path`.
    pub fn line_text(&self, path: &std::path::Path, line: usize) -> Option<String> {
        let mut files = self.story.files().iter().enumerate();
        let (i, file) = files.find(|(_, f)| f.path == path)?;
        let text = self.map(i, file)?.line_text(line)?;
        Some(text.to_owned())
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

    /// Checks `text`'s map against the reference: every path, the first and the last of
    /// duplicates, one step past each path, and the keys of the maps at each path.
    fn agrees_with_every_path(text: &str) {
        let map = SourceMap::new(text.into());
        let reference = all_paths(text);
        for (path, starts) in &reference {
            let last = starts[starts.len() - 1];
            assert_eq!(map.exact(path), Some(starts[0]), "{path:?} in {text}");
            assert_eq!(map.offset(path, false), starts[0], "{path:?} in {text}");
            assert_eq!(map.offset(path, true), last, "{path:?} in {text}");
            // A path one step past any value falls back to that value.
            let mut deeper = path.clone();
            deeper.push(Seg::Field("nowhere"));
            assert_eq!(map.exact(&deeper), None);
            assert_eq!(map.offset(&deeper, true), last, "{deeper:?} in {text}");
            // The keys of the maps at the path, in the order written.
            let mut keys: Vec<(usize, &str)> = (reference.iter())
                .filter(|(p, _)| p.len() == path.len() + 1 && p.starts_with(path))
                .filter_map(|(p, s)| match p.last() {
                    Some(Seg::Key(k)) => Some(s.iter().map(move |&at| (at, k.as_str()))),
                    _ => None,
                })
                .flatten()
                .collect();
            keys.sort_unstable();
            let keys: Vec<&str> = keys.into_iter().map(|(_, k)| k).collect();
            assert_eq!(map.keys(path), keys, "{path:?} in {text}");
        }
    }

    /// A seeded generator of small numbers (a linear congruential one: the test needs
    /// variety, not quality).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = (self.0)
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    /// A random RON value of at most `depth` levels: structs, maps whose keys repeat,
    /// lists, tuples, `Some(…)`, strings with escapes, atoms.
    fn value(rng: &mut Rng, depth: u32, out: &mut String) {
        let kind = if depth == 0 {
            5 + rng.below(2)
        } else {
            rng.below(7)
        };
        let (open, close) = match kind {
            0 => ("S(", ")"),
            1 => ("{", "}"),
            2 => ("[", "]"),
            3 => ("(", ")"),
            4 => ("Some(", ")"),
            5 => {
                out.push_str(["\"s\"", "\"a\\\"b\"", "r#\"x\"#"][rng.below(3) as usize]);
                return;
            }
            _ => {
                out.push_str(["1", "true", "-2.5"][rng.below(3) as usize]);
                return;
            }
        };
        out.push_str(open);
        let items = if kind == 4 { 1 } else { rng.below(4) };
        for i in 0..items {
            if i > 0 {
                out.push_str(", ");
            }
            match kind {
                0 => out.push_str(["a: ", "b: ", "text: ", "nodes: "][rng.below(4) as usize]),
                1 => out.push_str(["\"k\": ", "\"n\": ", "\"k\\\"q\": "][rng.below(3) as usize]),
                _ => {}
            }
            value(rng, depth - 1, out);
        }
        out.push_str(close);
    }

    #[test]
    fn random_files_and_their_prefixes_agree_with_every_path() {
        let mut rng = Rng(7);
        for _ in 0..300 {
            // Two fields of a struct, as a story file's top value is.
            let mut text = String::from("Include(nodes: ");
            value(&mut rng, 4, &mut text);
            text.push_str(", nodes: ");
            value(&mut rng, 4, &mut text);
            text.push(')');
            agrees_with_every_path(&text);
            // Cut anywhere (the text is ASCII): what was read before the walk stopped is
            // found.
            let cut = rng.below(text.len() as u64 + 1) as usize;
            agrees_with_every_path(&text[..cut]);
        }
    }

    #[test]
    fn paths_are_found_as_an_index_of_every_path_finds_them() {
        let texts = [
            r#"Story(title: "t", start: "a", nodes: {"a": (text: "x", choices: [(text: "go", to: "b"), (text: "stay", to: "a", when: "v > 1")]), "b": (text: "y")})"#,
            // A key written twice, values wrapped in `Some(…)`, tuples and nested lists.
            "Include(nodes: {\"a\": (text: \"1\"), \"a\": (text: \"2\", line: Some(\"l\"))}, variables: {\"v\": (1, [2, (3, 4)])})",
            // A tuple in a tuple, a key repeated inside a key repeated, lists in a map.
            r#"Include(variables: {"t": ((1, (x: 2)), [3, (y: [4])])}, nodes: {"a": (choices: [(text: "1")]), "b": (text: "2"), "a": (choices: [(text: "3"), (to: "a")], tags: {"k": 1, "k": 2})})"#,
            // Broken text: what was read before the walk stopped is found.
            r#"Include(nodes: {"a": (text: "x", choices: [(text: "#,
            "",
        ];
        for text in texts {
            agrees_with_every_path(text);
            let (map, reference) = (SourceMap::new(text.into()), all_paths(text));
            assert!(reference.len() > 1 || text.len() < 50, "{text}");
            // A key missing in the middle of a path falls back to what it is in.
            let missing = [
                Seg::Field("nodes"),
                Seg::Key("zz".into()),
                Seg::Field("text"),
            ];
            let nodes = reference.get(&missing[..1]).map_or(0, |s| s[0]);
            assert_eq!(map.offset(&missing, false), nodes, "{text}");
        }
    }
}
