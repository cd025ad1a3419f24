//! Completion: node ids where a node is named (`to: "`, `next: "`, `call: "`, `start: "`,
//! `visits('`), variables, functions and commands inside expressions, and the fields a
//! node, a choice or a declaration may still take.

use std::ops::Range;

use lsp_types::{CompletionItem, CompletionItemKind, CompletionTextEdit, TextEdit};
use qnce_load::outline::{Kind, Step, string_offset, unescaped_offset};

use crate::hover::{BUILT_INS, signature};
use crate::index::{FileIndex, Role, StoryFiles, Sym, logical_path, role};

/// The fields of each kind of struct, with what they are for.
const STORY_FIELDS: &[(&str, &str)] = &[
    ("title", "the story's title"),
    ("id", "the save identity (default: the title)"),
    ("start", "the node play starts at"),
    ("variables", "variables by name, with their initial values"),
    ("assets", "assets by name: path and kind"),
    ("flows", "flows by name, each with its start node"),
    ("commands", "commands for the game, with their parameters"),
    ("functions", "functions the game provides"),
    ("include", "more files of nodes"),
    ("nodes", "the nodes, by id"),
];
const INCLUDE_FIELDS: &[(&str, &str)] = &[
    ("variables", "variables by name, with their initial values"),
    ("assets", "assets by name: path and kind"),
    ("include", "more files of nodes"),
    ("nodes", "the nodes, by id"),
];
const NODE_FIELDS: &[(&str, &str)] = &[
    ("text", "the node's text, with {expr} interpolation"),
    ("choices", "the choices, in display order"),
    ("next", "node to go on to when no choice is available"),
    (
        "call",
        "node to call when no choice is available, before `next`",
    ),
    (
        "return",
        "true: return from the innermost call when no choice is available",
    ),
    ("on_enter", "effects run on every entry"),
    ("tags", "strings for the game"),
    ("assets", "asset names the node uses"),
    ("line", "the text's line id, for translations"),
];
const CHOICE_FIELDS: &[(&str, &str)] = &[
    ("text", "the choice's text, with {expr} interpolation"),
    ("to", "the node it leads to"),
    ("call", "a node it calls first"),
    ("when", "a Bool condition: displayed only when it holds"),
    ("set", "effects run when chosen"),
    ("once", "hidden after it was chosen once"),
    (
        "fallback",
        "never displayed; taken when no other choice is available",
    ),
    ("id", "a stable identity within the node"),
    ("tags", "strings for the game"),
    ("line", "the text's line id, for translations"),
];
const FUNCTION_FIELDS: &[(&str, &str)] = &[
    ("params", "the parameters: [(\"name\", Int)]"),
    ("returns", "the return type"),
    (
        "fallback",
        "an expression answering where the game binds nothing",
    ),
];
const COMMAND_FIELDS: &[(&str, &str)] = &[("params", "the parameters: [(\"name\", Int)]")];
const ASSET_FIELDS: &[(&str, &str)] = &[
    ("path", "the file, relative to the story"),
    ("kind", "Image, Audio or Text"),
];

/// The completions at `offset` of `file`.
pub(crate) fn complete(story: &StoryFiles, file: &FileIndex, offset: usize) -> Vec<CompletionItem> {
    if let Some(start) = node_name_typed(&file.text, offset) {
        return names(story, file, Sym::Node, start..offset);
    }
    let outline = &file.outline;
    if let Some(index) = outline.value_at(offset)
        && let Kind::Str(s) = &outline.values()[index].kind
        && offset > outline.values()[index].span.start
        && let content = crate::index::unquoted(&file.text, outline.values()[index].span.clone())
        // After the closing quote is outside the string.
        && offset <= content.end
    {
        let path = logical_path(outline, index);
        let literal = outline.values()[index].span.start;
        return match role(&path) {
            Some(Role::NodeName) => names(story, file, Sym::Node, content.start..offset),
            Some(Role::AssetName) => names(story, file, Sym::Asset, content.start..offset),
            Some(role @ (Role::Code | Role::Effect | Role::Text)) => {
                code(story, file, s, literal, offset, role)
            }
            _ => Vec::new(),
        };
    }
    fields(file, offset)
}

/// Where a node name being typed starts, when the text before `offset` on its line is a
/// node field and an open quote (`to: "riv`, `next: Some("`): read from the line alone,
/// because a string not yet closed throws the rest of the file off.
fn node_name_typed(text: &str, offset: usize) -> Option<usize> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let quote = before.rfind('"')?;
    let typed = &before[quote + 1..];
    if typed.contains('\\') {
        return None;
    }
    let lead = before[..quote].trim_end();
    let lead = lead.strip_suffix("Some(").unwrap_or(lead).trim_end();
    let field = lead.strip_suffix(':')?.trim_end();
    let word_start = word_start(field);
    matches!(&field[word_start..], "to" | "next" | "call" | "start")
        .then_some(line_start + quote + 1)
}

/// Where the name that `text` ends with starts (letters, digits, `_`); its end when it
/// ends with none.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The declared names of a kind, each replacing `range`.
fn names(
    story: &StoryFiles,
    file: &FileIndex,
    sym: Sym,
    range: Range<usize>,
) -> Vec<CompletionItem> {
    story
        .declared(sym)
        .into_iter()
        .map(|(f, it)| {
            let detail = match sym {
                Sym::Node => f
                    .outline
                    .field(it.value, "text")
                    .and_then(|t| f.outline.string(t))
                    .map(|(_, s)| first_line(s)),
                Sym::Variable => match &f.outline.values()[it.value].kind {
                    Kind::Struct(Some(ty)) => Some(ty.clone()),
                    _ => None,
                },
                Sym::Function | Sym::Command => {
                    Some(format!("({}) {}", signature(f, it.value), sym.noun()))
                }
                _ => None,
            };
            item(file, &it.name, kind(sym), detail, range.clone())
        })
        .collect()
}

/// Completions inside the expression or text `s`, whose literal starts at `literal`.
fn code(
    story: &StoryFiles,
    file: &FileIndex,
    s: &str,
    literal: usize,
    offset: usize,
    role: Role,
) -> Vec<CompletionItem> {
    let Some(at) = unescaped_offset(&file.text, literal, offset) else {
        return Vec::new();
    };
    let written = match role {
        Role::Text => qnce_core::expr::names_in_text(s),
        _ => qnce_core::expr::names_in_code(s),
    };
    if !written.code.iter().any(|r| r.start <= at && at <= r.end) {
        return Vec::new();
    }
    let Some(before) = s.get(..at) else {
        return Vec::new();
    };
    // A node name being typed in `visits('…` or `turns_since("…`: any characters.
    if let Some(quote) = before.rfind(['\'', '"'])
        && let lead = before[..quote].trim_end()
        && (lead.ends_with("visits(") || lead.ends_with("turns_since("))
    {
        let range = string_offset(&file.text, literal, quote + 1)..offset;
        return names(story, file, Sym::Node, range);
    }
    let word = word_start(before);
    let range = string_offset(&file.text, literal, word)..offset;
    let mut out = names(story, file, Sym::Variable, range.clone());
    out.extend(names(story, file, Sym::Function, range.clone()));
    for (name, signature, _) in BUILT_INS {
        out.push(item(
            file,
            name,
            CompletionItemKind::FUNCTION,
            Some(signature.to_owned()),
            range.clone(),
        ));
    }
    // A command is a whole effect: only where an effect starts.
    let statement_start = s[..word].trim().is_empty();
    if role == Role::Effect && statement_start {
        out.extend(names(story, file, Sym::Command, range));
    }
    out
}

/// The fields the struct around `offset` may still take.
fn fields(file: &FileIndex, offset: usize) -> Vec<CompletionItem> {
    let outline = &file.outline;
    let values = outline.values();
    // The field name being typed, a bare word being typed, or the struct itself.
    let (owner, typed) = if let Some(v) = outline.key_at(offset)
        && let Step::Field { span, .. } = &values[v].step
    {
        (values[v].parent, span.start)
    } else if let Some(v) = outline.value_at(offset) {
        match (&values[v].kind, &values[v].step) {
            (Kind::Atom, Step::Position(_)) => (values[v].parent, values[v].span.start),
            (Kind::Struct(_), _) => (Some(v), offset),
            _ => (None, offset),
        }
    } else {
        (None, offset)
    };
    let Some(owner) = owner else {
        return Vec::new();
    };
    let path = logical_path(outline, owner);
    let field = |i: usize| match path.get(i) {
        Some(Step::Field { name, .. }) => Some(name.as_str()),
        _ => None,
    };
    let is_key = |i: usize| matches!(path.get(i), Some(Step::Key { .. }));
    let list = match (path.len(), field(0), field(2)) {
        (0, ..) if file.is_main() => STORY_FIELDS,
        (0, ..) => INCLUDE_FIELDS,
        (2, Some("nodes"), _) if is_key(1) => NODE_FIELDS,
        (4, Some("nodes"), Some("choices")) if is_key(1) => CHOICE_FIELDS,
        (2, Some("functions"), _) if is_key(1) => FUNCTION_FIELDS,
        (2, Some("commands"), _) if is_key(1) => COMMAND_FIELDS,
        (2, Some("assets"), _) if is_key(1) => ASSET_FIELDS,
        _ => return Vec::new(),
    };
    let present: Vec<&str> = outline
        .children(owner)
        .filter(|&c| !(values[c].span.start <= offset && offset <= values[c].span.end))
        .filter_map(|c| match &values[c].step {
            Step::Field { name, span } if !(span.start <= offset && offset <= span.end) => {
                Some(name.as_str())
            }
            _ => None,
        })
        .collect();
    list.iter()
        .filter(|(name, _)| !present.contains(name))
        .map(|(name, doc)| {
            let mut it = item(
                file,
                name,
                CompletionItemKind::FIELD,
                Some((*doc).to_owned()),
                typed..offset,
            );
            if let Some(CompletionTextEdit::Edit(edit)) = &mut it.text_edit {
                edit.new_text = format!("{name}: ");
            }
            it
        })
        .collect()
}

fn item(
    file: &FileIndex,
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    range: Range<usize>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail,
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            file.lines.range(&file.text, range),
            label.to_owned(),
        ))),
        ..CompletionItem::default()
    }
}

/// The completion kind each declared name shows as (the same as its symbol's).
pub(crate) fn kind(sym: Sym) -> CompletionItemKind {
    match sym {
        Sym::Node => CompletionItemKind::MODULE,
        Sym::Variable => CompletionItemKind::VARIABLE,
        Sym::Function => CompletionItemKind::FUNCTION,
        Sym::Command => CompletionItemKind::EVENT,
        Sym::Asset => CompletionItemKind::FILE,
        Sym::Flow => CompletionItemKind::ENUM_MEMBER,
    }
}

fn first_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    match line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;

    fn labels_at(text: &str, cursor: &str) -> Vec<String> {
        let offset = text.find(cursor).expect("the cursor's place") + cursor.len();
        let path = PathBuf::from("/s/story.ron");
        let file = Arc::new(FileIndex::new(path.clone(), Arc::from(text)));
        let story = StoryFiles {
            main: path,
            files: vec![file.clone()],
            translations: Vec::new(),
        };
        complete(&story, &file, offset)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn commands_complete_where_an_effect_starts_only() {
        let text = r#"Story(title: "t", start: "a", variables: { "gold": Int(0) },
            commands: { "shake": (params: [("strength", Float)]) },
            nodes: { "a": (text: "A", on_enter: ["sh"], choices: [(text: "c", to: "a", when: "go", set: ["gold += g"])]) })"#;
        let start = labels_at(text, "[\"sh");
        assert!(start.contains(&"shake".to_owned()), "{start:?}");
        let value = labels_at(text, "gold += g");
        assert!(value.contains(&"gold".to_owned()) && !value.contains(&"shake".to_owned()));
        let condition = labels_at(text, "\"go");
        assert!(!condition.contains(&"shake".to_owned()), "{condition:?}");
    }
}
