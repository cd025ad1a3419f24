//! Hover: what a name under the cursor declares, read from its declaration as written: a
//! node's text and choices, a variable's type and initial value, a function's or a
//! command's signature.

use std::fmt::Write as _;

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};
use qnce_load::outline::Kind;

use crate::index::{FileIndex, Item, StoryFiles, Sym};

/// The built-in functions' signatures and what they do.
pub(crate) const BUILT_INS: [(&str, &str, &str); 7] = [
    (
        "visits",
        "visits(node) -> Int",
        "how many times the node was entered",
    ),
    (
        "turns_since",
        "turns_since(node) -> Int",
        "choices made since the node was last entered (0: entered after the last choice; \
         -1: never)",
    ),
    ("turns", "turns() -> Int", "choices made"),
    (
        "random",
        "random(lo: Int, hi: Int) -> Int",
        "an Int from lo to hi inclusive, from the session's seeded generator",
    ),
    ("min", "min(a, b)", "the smaller number"),
    ("max", "max(a, b)", "the larger number"),
    ("abs", "abs(a)", "the number without its sign"),
];

/// The hover of what is written over `offset`.
pub(crate) fn hover(story: &StoryFiles, file: &FileIndex, offset: usize) -> Option<Hover> {
    let item = file.item_at(offset)?;
    let text = describe(story, item)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(file.lines.range(&file.text, item.span.clone())),
    })
}

/// A name's description in Markdown, from its first declaration.
pub(crate) fn describe(story: &StoryFiles, item: &Item) -> Option<String> {
    if item.sym == Sym::Function
        && let Some((_, signature, doc)) = BUILT_INS.iter().find(|(n, ..)| *n == item.name)
    {
        return Some(format!("```\n{signature}\n```\nbuilt-in: {doc}"));
    }
    let (file, decl) = story.decls(item.sym, &item.name).next()?;
    let at = file.lines.position(&file.text, decl.span.start);
    let place = format!(
        "{}:{}",
        file.path
            .strip_prefix(story.root())
            .unwrap_or(&file.path)
            .display(),
        at.line + 1
    );
    let outline = &file.outline;
    let value = decl.value;
    let mut out = String::new();
    match item.sym {
        Sym::Node => {
            let _ = writeln!(out, "**node** `{}` ({place})\n", item.name);
            if let Some((_, text)) = outline.field(value, "text").and_then(|t| outline.string(t)) {
                for line in text.trim().lines().take(12) {
                    let _ = writeln!(out, "> {line}");
                }
                out.push('\n');
            }
            for (n, choice) in outline
                .field(value, "choices")
                .map(|c| outline.children(c).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                let field = |name| {
                    outline
                        .field(choice, name)
                        .and_then(|v| outline.string(v))
                        .map(|(_, s)| s)
                };
                let _ = write!(out, "{}. {}", n + 1, field("text").unwrap_or("…"));
                if let Some(call) = field("call") {
                    let _ = write!(out, " ↪ `{call}`");
                }
                if let Some(to) = field("to") {
                    let _ = write!(out, " → `{to}`");
                }
                if let Some(when) = field("when") {
                    let _ = write!(out, " [when `{when}`]");
                }
                out.push('\n');
            }
            for onward in ["next", "call"] {
                if let Some((_, to)) = outline.field(value, onward).and_then(|v| outline.string(v))
                {
                    let _ = writeln!(out, "\n{onward}: `{to}`");
                }
            }
        }
        Sym::Variable => {
            // Written `Int(0)`, `Str("a")`: the type, then the value.
            let (ty, written) = match &outline.values()[value].kind {
                Kind::Struct(Some(ty)) => {
                    let inner = outline
                        .children(value)
                        .next()
                        .map_or("", |v| file.text[outline.values()[v].span.clone()].trim());
                    (ty.as_str(), inner)
                }
                _ => ("?", file.text[outline.values()[value].span.clone()].trim()),
            };
            let _ = write!(
                out,
                "```\n{}: {ty} = {written}\n```\nvariable ({place})",
                item.name
            );
        }
        Sym::Function | Sym::Command => {
            let params = signature(file, value);
            let returns = outline
                .field(value, "returns")
                .map(|r| format!(" -> {}", file.text[outline.values()[r].span.clone()].trim()))
                .unwrap_or_default();
            let _ = write!(
                out,
                "```\n{}({params}){returns}\n```\n{} ({place})",
                item.name,
                item.sym.noun()
            );
            if item.sym == Sym::Function {
                match outline
                    .field(value, "fallback")
                    .and_then(|f| outline.string(f))
                {
                    Some((_, fallback)) => {
                        let _ = write!(out, "\n\nfallback: `{fallback}`");
                    }
                    None => out.push_str("\n\nno fallback: the game must bind it"),
                }
            }
        }
        Sym::Asset => {
            let field = |name| {
                outline.field(value, name).map(|v| {
                    file.text[outline.values()[v].span.clone()]
                        .trim()
                        .to_owned()
                })
            };
            let _ = write!(
                out,
                "**asset** `{}` ({place})\n\n{} {}",
                item.name,
                field("kind").unwrap_or_default(),
                field("path").unwrap_or_default()
            );
        }
        Sym::Flow => {
            let start = outline.string(value).map(|(_, s)| s).unwrap_or("…");
            let _ = write!(
                out,
                "**flow** `{}` ({place}), starts at `{start}`",
                item.name
            );
        }
    }
    Some(out)
}

/// A function's or command's parameters as written: `item: Str, n: Int`.
pub(crate) fn signature(file: &FileIndex, value: usize) -> String {
    let outline = &file.outline;
    let Some(params) = outline.field(value, "params") else {
        return String::new();
    };
    outline
        .children(params)
        .map(|param| {
            let mut parts = outline.children(param);
            let name = parts
                .next()
                .and_then(|n| outline.string(n))
                .map_or("?", |(_, s)| s);
            let ty = parts
                .next()
                .map_or("?", |t| file.text[outline.values()[t].span.clone()].trim());
            format!("{name}: {ty}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
