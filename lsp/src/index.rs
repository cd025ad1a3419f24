//! What a story's files declare and name, and where: read from each file's text (the
//! editor's buffer when it has one) through its [`Outline`] and the expression language's
//! own name scanner, so that navigation works on text that does not load yet.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qnce_core::expr::{NameKind, Written, names_in_code, names_in_effect, names_in_text};
use qnce_load::outline::{Kind, Outline, Step, string_offset};

use crate::lines::LineIndex;

/// A kind of name a story declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Sym {
    Node,
    Variable,
    Function,
    Command,
    Asset,
    Flow,
}

impl Sym {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Sym::Node => "node",
            Sym::Variable => "variable",
            Sym::Function => "function",
            Sym::Command => "command",
            Sym::Asset => "asset",
            Sym::Flow => "flow",
        }
    }

    /// The kind of name an expression or a text writes for it, if it writes one.
    pub(crate) fn written(self) -> Option<NameKind> {
        Some(match self {
            Sym::Node => NameKind::Node,
            Sym::Variable => NameKind::Variable,
            Sym::Function => NameKind::Function,
            Sym::Command => NameKind::Command,
            Sym::Asset | Sym::Flow => return None,
        })
    }

    fn of(kind: NameKind) -> Sym {
        match kind {
            NameKind::Variable => Sym::Variable,
            NameKind::Node => Sym::Node,
            NameKind::Function => Sym::Function,
            NameKind::Command => Sym::Command,
        }
    }
}

/// A name written in a file: a declaration or a use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) sym: Sym,
    pub(crate) name: String,
    /// The name's text: inside the quotes of a string or key.
    pub(crate) span: Range<usize>,
    pub(crate) decl: bool,
    /// The outline value it is read from: the declared entry, or the string naming it.
    pub(crate) value: usize,
}

/// How a string value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A node's name (`to`, `next`, `call`, `start`, a flow's start).
    NodeName,
    /// An asset's name (a node's `assets`).
    AssetName,
    /// A condition or a function's fallback.
    Code,
    /// An effect (`set`, `on_enter`).
    Effect,
    /// A node's or a choice's text.
    Text,
    /// An included file's path.
    Include,
}

/// A string value's role, from its path (`Some(…)` looked through); `None` for strings
/// that name nothing.
pub(crate) fn role(path: &[&Step]) -> Option<Role> {
    use Step::{Field, Index, Key};
    let names: Vec<Option<&str>> = path
        .iter()
        .map(|s| match s {
            Field { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let is_key = |i: usize| matches!(path.get(i), Some(Key { .. }));
    let is_index = |i: usize| matches!(path.get(i), Some(Index(_)));
    Some(match names.as_slice() {
        [Some("start")] => Role::NodeName,
        [Some("flows"), None] if is_key(1) => Role::NodeName,
        [Some("include"), None] if is_index(1) => Role::Include,
        [Some("functions"), None, Some("fallback")] if is_key(1) => Role::Code,
        [Some("nodes"), None, Some(f)] if is_key(1) => match *f {
            "next" | "call" => Role::NodeName,
            "text" => Role::Text,
            _ => return None,
        },
        [Some("nodes"), None, Some(f), None] if is_key(1) && is_index(3) => match *f {
            "on_enter" => Role::Effect,
            "assets" => Role::AssetName,
            _ => return None,
        },
        [Some("nodes"), None, Some("choices"), None, Some(f)] if is_key(1) && is_index(3) => {
            match *f {
                "to" | "call" => Role::NodeName,
                "text" => Role::Text,
                "when" => Role::Code,
                _ => return None,
            }
        }
        [
            Some("nodes"),
            None,
            Some("choices"),
            None,
            Some("set"),
            None,
        ] if is_key(1) && is_index(3) && is_index(5) => Role::Effect,
        _ => return None,
    })
}

/// The steps down to value `index`, a `Some(…)`'s wrapping left out.
pub(crate) fn logical_path(outline: &Outline, index: usize) -> Vec<&Step> {
    let values = outline.values();
    let mut path = outline.path(index);
    let wrapped = matches!(values[index].step, Step::Position(0))
        && values[index]
            .parent
            .is_some_and(|p| values[p].kind == Kind::Struct(Some("Some".to_owned())));
    if wrapped {
        path.pop();
    }
    path
}

/// The names one file declares and uses.
#[derive(Debug)]
pub(crate) struct FileIndex {
    pub(crate) path: PathBuf,
    pub(crate) text: Arc<str>,
    pub(crate) lines: LineIndex,
    pub(crate) outline: Outline,
    pub(crate) items: Vec<Item>,
    /// The files it includes, as written, with where.
    pub(crate) includes: Vec<(String, Range<usize>)>,
    /// When read from disk: the file's modification time and length then.
    pub(crate) stamp: Option<(std::time::SystemTime, u64)>,
}

impl FileIndex {
    pub(crate) fn new(path: PathBuf, text: Arc<str>) -> FileIndex {
        let outline = Outline::of(&text);
        let mut file = FileIndex {
            path,
            lines: LineIndex::new(&text),
            text,
            outline,
            items: Vec::new(),
            includes: Vec::new(),
            stamp: None,
        };
        file.read_items();
        file
    }

    /// Whether this reads as an include file (`Include(…)`).
    pub(crate) fn is_include(&self) -> bool {
        self.outline
            .values()
            .first()
            .is_some_and(|v| v.kind == Kind::Struct(Some("Include".to_owned())))
    }

    /// Whether this is a main file (`Story(…)`), not an include.
    pub(crate) fn is_main(&self) -> bool {
        self.outline
            .values()
            .first()
            .is_some_and(|v| v.kind == Kind::Struct(Some("Story".to_owned())))
    }

    fn read_items(&mut self) {
        let values = self.outline.values();
        let mut items = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let path = logical_path(&self.outline, i);
            if let (Step::Key { key, span }, [Step::Field { name, .. }, Step::Key { .. }]) =
                (&v.step, path.as_slice())
            {
                let sym = match name.as_str() {
                    "nodes" => Some(Sym::Node),
                    "variables" => Some(Sym::Variable),
                    "functions" => Some(Sym::Function),
                    "commands" => Some(Sym::Command),
                    "assets" => Some(Sym::Asset),
                    "flows" => Some(Sym::Flow),
                    _ => None,
                };
                if let Some(sym) = sym {
                    items.push(Item {
                        sym,
                        name: key.clone(),
                        span: unquoted(&self.text, span.clone()),
                        decl: true,
                        value: i,
                    });
                }
            }
            let Kind::Str(s) = &v.kind else { continue };
            let Some(role) = role(&path) else { continue };
            let literal = v.span.start;
            let simple = |sym| Item {
                sym,
                name: s.clone(),
                span: unquoted(&self.text, v.span.clone()),
                decl: false,
                value: i,
            };
            let written = match role {
                Role::NodeName => {
                    items.push(simple(Sym::Node));
                    continue;
                }
                Role::AssetName => {
                    items.push(simple(Sym::Asset));
                    continue;
                }
                Role::Include => {
                    self.includes
                        .push((s.clone(), unquoted(&self.text, v.span.clone())));
                    continue;
                }
                Role::Code => names_in_code(s),
                Role::Effect => names_in_effect(s),
                Role::Text => names_in_text(s),
            };
            let params = fallback_params(&self.outline, &path);
            self.code_items(&written, literal, i, &params, &mut items);
        }
        self.items = items;
    }

    fn code_items(
        &self,
        written: &Written,
        literal: usize,
        value: usize,
        params: &[String],
        items: &mut Vec<Item>,
    ) {
        for name in &written.names {
            let sym = Sym::of(name.kind);
            if sym == Sym::Variable && params.contains(&name.name) {
                continue;
            }
            items.push(Item {
                sym,
                name: name.name.clone(),
                span: string_offset(&self.text, literal, name.span.start)
                    ..string_offset(&self.text, literal, name.span.end),
                decl: false,
                value,
            });
        }
    }

    /// The item written over `offset` (its end counting).
    pub(crate) fn item_at(&self, offset: usize) -> Option<&Item> {
        self.items
            .iter()
            .find(|it| it.span.start <= offset && offset <= it.span.end)
    }

    /// The include written over `offset`, resolved against the story's directory.
    pub(crate) fn include_at(&self, offset: usize, root: &Path) -> Option<PathBuf> {
        self.includes
            .iter()
            .find(|(_, span)| span.start <= offset && offset <= span.end)
            .map(|(path, _)| normalize(&root.join(path)))
    }
}

/// A story's files, main file first, each indexed.
#[derive(Clone, Debug)]
pub(crate) struct StoryFiles {
    pub(crate) main: PathBuf,
    pub(crate) files: Vec<Arc<FileIndex>>,
    /// Its translation files (`locales/*.po`).
    pub(crate) translations: Vec<crate::translations::PoFile>,
}

impl StoryFiles {
    /// The directory includes and assets are relative to.
    pub(crate) fn root(&self) -> &Path {
        self.main.parent().unwrap_or(Path::new("/"))
    }

    /// Every item, with its file.
    pub(crate) fn items(&self) -> impl Iterator<Item = (&Arc<FileIndex>, &Item)> {
        self.files
            .iter()
            .flat_map(|f| f.items.iter().map(move |it| (f, it)))
    }

    /// The declarations of `name`, with their files.
    pub(crate) fn decls<'s>(
        &'s self,
        sym: Sym,
        name: &'s str,
    ) -> impl Iterator<Item = (&'s Arc<FileIndex>, &'s Item)> {
        self.items()
            .filter(move |(_, it)| it.decl && it.sym == sym && it.name == name)
    }

    /// The names declared of a kind, each once, sorted.
    pub(crate) fn declared(&self, sym: Sym) -> Vec<(&Arc<FileIndex>, &Item)> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<_> = self
            .items()
            .filter(|(_, it)| it.decl && it.sym == sym && seen.insert(it.name.as_str()))
            .collect();
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        out
    }
}

/// The names of the parameters of the function whose fallback `path` is in (none
/// elsewhere).
fn fallback_params(outline: &Outline, path: &[&Step]) -> Vec<String> {
    let [Step::Field { name, .. }, Step::Key { key, .. }, ..] = path else {
        return Vec::new();
    };
    if name != "functions" {
        return Vec::new();
    }
    let values = outline.values();
    let Some(function) = values.iter().position(|v| {
        matches!(&v.step, Step::Key { key: k, .. } if k == key)
            && v.parent.is_some_and(
                |p| matches!(&values[p].step, Step::Field { name, .. } if name == "functions"),
            )
    }) else {
        return Vec::new();
    };
    params(outline, function)
}

/// The names of the parameters of the function declared by value `function`.
pub(crate) fn params(outline: &Outline, function: usize) -> Vec<String> {
    let Some(params) = outline.field(function, "params") else {
        return Vec::new();
    };
    outline
        .children(params)
        .filter_map(|param| {
            let first = outline.children(param).next()?;
            outline.string(first).map(|(_, s)| s.to_owned())
        })
        .collect()
}

/// The text inside the quotes of a string or key written over `span` (a raw string's
/// `r#"…"#` too; `Some("…")` looked through).
pub(crate) fn unquoted(text: &str, span: Range<usize>) -> Range<usize> {
    let written = &text[span.clone()];
    let Some(open) = written.find('"') else {
        return span;
    };
    let Some(close) = written.rfind('"').filter(|&c| c > open) else {
        return span.start + open + 1..span.end;
    };
    span.start + open + 1..span.start + close
}

/// `path` with `.` and `..` taken out lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<(Sym, String, String, bool)> {
        let file = FileIndex::new(PathBuf::from("/s/story.ron"), Arc::from(text));
        file.items
            .iter()
            .map(|it| {
                (
                    it.sym,
                    it.name.clone(),
                    text[it.span.clone()].to_owned(),
                    it.decl,
                )
            })
            .collect()
    }

    #[test]
    fn declarations_and_uses_are_found_where_written() {
        let text = r#"Story(title: "t", start: "a", variables: { "gold": 0 },
            functions: { "f": (params: [("gold", Int)], returns: Int, fallback: "gold + x") },
            include: ["more.ron"],
            nodes: {
                "a": (text: "You have {gold}.", on_enter: ["ping(gold)"],
                      choices: [(text: "Go", to: Some("b"), when: "visits(\"a\") > f(1)", set: ["gold += 1"])]),
            })"#;
        let found = items(text);
        let want = [
            (Sym::Node, "a", "a", false),
            (Sym::Variable, "gold", "gold", true),
            (Sym::Function, "f", "f", true),
            // The fallback's `gold` is the parameter.
            (Sym::Variable, "x", "x", false),
            (Sym::Node, "a", "a", true),
            (Sym::Variable, "gold", "gold", false),
            (Sym::Command, "ping", "ping", false),
            (Sym::Variable, "gold", "gold", false),
            (Sym::Node, "b", "b", false),
            (Sym::Function, "visits", "visits", false),
            (Sym::Node, "a", "a", false),
            (Sym::Function, "f", "f", false),
            (Sym::Variable, "gold", "gold", false),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(s, n, t, d)| (*s, (*n).to_owned(), (*t).to_owned(), *d))
            .collect();
        assert_eq!(found, want);
    }

    #[test]
    fn every_place_that_names_a_node_is_a_use_of_it() {
        let text = r#"Story(title: "t", start: "a", flows: { "side": "b" },
            assets: { "bell": (path: "bell.ogg", kind: Audio) },
            nodes: {
                "a": (text: "{turns_since('b')}", next: "b", assets: ["bell"]),
                "b": (text: "B", call: "a", next: "a", choices: [(text: "c", call: "a", to: "b")]),
            })"#;
        let uses: Vec<(Sym, String)> = items(text)
            .into_iter()
            .filter(|(_, _, _, decl)| !decl)
            .filter(|(sym, ..)| *sym != Sym::Function)
            .map(|(sym, name, ..)| (sym, name))
            .collect();
        let want = [
            (Sym::Node, "a"), // start
            (Sym::Node, "b"), // the flow's start
            (Sym::Node, "b"), // turns_since
            (Sym::Node, "b"), // next
            (Sym::Asset, "bell"),
            (Sym::Node, "a"), // call
            (Sym::Node, "a"), // next
            (Sym::Node, "a"), // the choice's call
            (Sym::Node, "b"), // the choice's to
        ];
        let want: Vec<(Sym, String)> = want.iter().map(|(s, n)| (*s, (*n).to_owned())).collect();
        assert_eq!(uses, want);
    }
}
