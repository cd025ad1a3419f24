//! Go to definition, find references and rename: every name the story's files declare or
//! use, matched by kind and name across all of them.

use std::collections::HashMap;

use lsp_types::{Location, Range, TextEdit, Uri, WorkspaceEdit};
use qnce_core::expr::BUILT_IN_FUNCTIONS;

use crate::index::{FileIndex, Item, StoryFiles, Sym, params};
use crate::uri;

/// Where `item` is written.
pub(crate) fn location(file: &FileIndex, span: std::ops::Range<usize>) -> Option<Location> {
    Some(Location::new(
        uri::from_path(&file.path)?,
        file.lines.range(&file.text, span),
    ))
}

/// Where what is written over `offset` of `file` is declared: a node, variable, function,
/// command, asset or flow, or an included file.
pub(crate) fn definition(story: &StoryFiles, file: &FileIndex, offset: usize) -> Vec<Location> {
    if let Some(path) = file.include_at(offset, story.root()) {
        return uri::from_path(&path)
            .map(|uri| Location::new(uri, Range::default()))
            .into_iter()
            .collect();
    }
    let Some(item) = file.item_at(offset) else {
        return Vec::new();
    };
    story
        .decls(item.sym, &item.name)
        .filter_map(|(f, it)| location(f, it.span.clone()))
        .collect()
}

/// Every place that names what is written over `offset`, declarations included when
/// asked.
pub(crate) fn references(
    story: &StoryFiles,
    file: &FileIndex,
    offset: usize,
    with_declaration: bool,
) -> Vec<Location> {
    let Some(item) = file.item_at(offset) else {
        return Vec::new();
    };
    same(story, item)
        .filter(|(_, it)| with_declaration || !it.decl)
        .filter_map(|(f, it)| location(f, it.span.clone()))
        .collect()
}

/// The items naming what `item` names.
fn same<'s>(
    story: &'s StoryFiles,
    item: &'s Item,
) -> impl Iterator<Item = (&'s std::sync::Arc<FileIndex>, &'s Item)> {
    story
        .items()
        .filter(move |(_, it)| it.sym == item.sym && it.name == item.name)
}

/// What can be renamed at `offset`: a declared name (not a built-in function), with the
/// range of the name under the cursor.
pub(crate) fn prepare_rename<'f>(
    story: &StoryFiles,
    file: &'f FileIndex,
    offset: usize,
) -> Result<(&'f Item, Range), String> {
    let item = file
        .item_at(offset)
        .ok_or_else(|| "nothing to rename here: put the cursor on a name".to_owned())?;
    if item.sym == Sym::Function && BUILT_IN_FUNCTIONS.contains(&item.name.as_str()) {
        return Err(format!("`{}` is a built-in function", item.name));
    }
    if story.decls(item.sym, &item.name).next().is_none() {
        return Err(format!(
            "no {} `{}` is declared: nothing to rename",
            item.sym.noun(),
            item.name
        ));
    }
    Ok((item, file.lines.range(&file.text, item.span.clone())))
}

/// The edits that rename what is written over `offset` to `new_name` in every file:
/// declarations, references, names inside expressions and texts, and in the texts of the
/// translations; with a warning for the author when the rename leaves something to do.
///
/// # Errors
/// When nothing renameable is there, when `new_name` is not a valid name of its kind, or
/// when the story already declares it.
#[expect(
    clippy::mutable_key_type,
    reason = "lsp-types keys a WorkspaceEdit by Uri, whose inner cell never changes its hash"
)]
pub(crate) fn rename(
    story: &StoryFiles,
    file: &FileIndex,
    offset: usize,
    new_name: &str,
) -> Result<(WorkspaceEdit, Option<String>), String> {
    let (item, _) = prepare_rename(story, file, offset)?;
    valid_name(item.sym, new_name)?;
    if new_name == item.name {
        return Ok((WorkspaceEdit::default(), None));
    }
    // Variables, functions and commands share the names of expressions.
    let rivals: &[Sym] = match item.sym {
        Sym::Variable | Sym::Function | Sym::Command => {
            &[Sym::Variable, Sym::Function, Sym::Command]
        }
        sym => std::slice::from_ref(match sym {
            Sym::Node => &Sym::Node,
            Sym::Asset => &Sym::Asset,
            _ => &Sym::Flow,
        }),
    };
    if let Some((f, taken)) = rivals
        .iter()
        .find_map(|&sym| story.decls(sym, new_name).next())
    {
        let at = f.lines.position(&f.text, taken.span.start);
        return Err(format!(
            "a {} `{new_name}` already exists ({}:{}:{})",
            taken.sym.noun(),
            f.path.display(),
            at.line + 1,
            at.character + 1
        ));
    }
    // A fallback reads its parameters before variables of the same name.
    if item.sym == Sym::Variable
        && let Some((_, function)) = story.items().find(|(f, it)| {
            it.decl
                && it.sym == Sym::Function
                && params(&f.outline, it.value).iter().any(|p| p == new_name)
        })
    {
        return Err(format!(
            "`{new_name}` is a parameter of function `{}`: its fallback would read the \
             parameter where it read the variable",
            function.name
        ));
    }
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (f, it) in same(story, item) {
        let Some(uri) = uri::from_path(&f.path) else {
            continue;
        };
        changes.entry(uri).or_default().push(TextEdit::new(
            f.lines.range(&f.text, it.span.clone()),
            new_name.to_owned(),
        ));
    }
    let mut unread = Vec::new();
    for po in &story.translations {
        let Some(kind) = item.sym.written() else {
            break;
        };
        match po.rename(kind, &item.name, new_name) {
            Some(edits) if !edits.is_empty() => {
                if let Some(uri) = uri::from_path(&po.path) {
                    changes.entry(uri).or_default().extend(edits);
                }
            }
            Some(_) => {}
            None => unread.push(po.path.display().to_string()),
        }
    }
    let mut warning = Vec::new();
    if !unread.is_empty() {
        warning.push(format!(
            "not renamed in {}, which does not read as a translation file",
            unread.join(", ")
        ));
    }
    if item.sym == Sym::Node && !story.translations.is_empty() {
        warning.push(format!(
            "translations are keyed by line ids made from node names: those of `{}` (and of \
             choices leading to it) are now `{new_name}`'s; run `qnce strings extract` and \
             carry their translations over, or give the node a fixed `line`",
            item.name
        ));
    }
    let warning = (!warning.is_empty()).then(|| warning.join("; "));
    Ok((WorkspaceEdit::new(changes), warning))
}

/// Whether `name` can name a `sym`: a name in expressions is an identifier that is not a
/// keyword; a node, asset or flow name is written in quotes, so none of `"`, `'`, `\`,
/// braces or control characters, and no spaces around it.
fn valid_name(sym: Sym, name: &str) -> Result<(), String> {
    let noun = sym.noun();
    if name.is_empty() {
        return Err(format!("a {noun} needs a name"));
    }
    match sym {
        Sym::Variable | Sym::Function | Sym::Command => {
            let mut chars = name.chars();
            let first_ok = chars
                .next()
                .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
            if !first_ok || !chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(format!(
                    "`{name}` is not a {noun} name: letters, digits and `_`, not starting with \
                     a digit"
                ));
            }
            // `if`, `elif`, `else` and `end` open and close blocks in text.
            let reserved = ["true", "false", "if", "elif", "else", "end"];
            if reserved.contains(&name) || BUILT_IN_FUNCTIONS.contains(&name) {
                return Err(format!("`{name}` is reserved"));
            }
        }
        Sym::Node | Sym::Asset | Sym::Flow => {
            let bad = |c: char| matches!(c, '"' | '\'' | '\\' | '{' | '}') || c.is_control();
            if name.chars().any(bad) || name.trim() != name {
                return Err(format!(
                    "`{name}` cannot name a {noun}: no quotes, backslashes, braces or control \
                     characters, and no spaces around it"
                ));
            }
        }
    }
    Ok(())
}
