//! Line ids: the stable name of each translatable text, which string tables, saves of
//! translations and voice-over files are keyed by. A node's text is its node's name, a
//! choice's text `node.choice` (its choice id), unless the author fixes one with
//! `line: "…"`. They come from ids the author already writes, so they do not change when
//! the text, the order of choices or other nodes change, with one exception the story
//! format states: choices without an id that share a target are told apart by their text,
//! so rewording one renames its line; give such choices ids (or `line`).

use rustc_hash::FxHashMap as HashMap;

use super::Ctx;
use super::declare::NodeDecl;
use crate::format::{ChoiceDef, NodeDef};
use crate::locate::Seg;
use qnce_core::story::FileId;

/// The id each choice has when none is written: its target (`to`, else `call`), or, when
/// several choices of the node without ids share it, the target and a slug of the text
/// (`river/swim-across`). Explicit ids as written.
pub(super) fn choice_ids(choices: &[ChoiceDef]) -> Vec<String> {
    let mut per_target: HashMap<&str, usize> = HashMap::default();
    for c in choices.iter().filter(|c| c.id.is_none()) {
        *per_target.entry(c.named()).or_default() += 1;
    }
    choices
        .iter()
        .map(|c| match &c.id {
            Some(id) => id.clone(),
            None if per_target.get(c.named()) == Some(&1) => c.named().to_owned(),
            None => format!("{}/{}", c.named(), slug(&c.text)),
        })
        .collect()
}

/// Lowercase letters and digits of `text`, runs of anything else as one `-`.
fn slug(text: &str) -> String {
    let mut s = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            s.extend(ch.to_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_matches('-').to_owned()
}

/// The line id of node `name`'s text.
pub(super) fn node_line(name: &str, def: &NodeDef) -> String {
    def.line.clone().unwrap_or_else(|| name.to_owned())
}

/// The line id of a choice's text, `choice` being its choice id.
pub(super) fn choice_line(node: &str, choice: &str, def: &ChoiceDef) -> String {
    def.line
        .clone()
        .unwrap_or_else(|| format!("{node}.{choice}"))
}

/// Reports each line id given to two texts, at the second, naming the first; and an
/// empty explicit one.
pub(super) fn check_line_ids(cx: &mut Ctx<'_>, node_defs: &[NodeDecl<'_>]) {
    let mut first: HashMap<String, (FileId, String)> = HashMap::default();
    for &(file, _, name, def) in node_defs {
        let node_path = || vec![Seg::Field("nodes"), Seg::Key(name.to_owned())];
        let mut texts = vec![(node_line(name, def), def.line.is_some(), node_path())];
        for ((i, c), id) in def.choices.iter().enumerate().zip(choice_ids(&def.choices)) {
            let mut path = node_path();
            path.extend([Seg::Field("choices"), Seg::Index(i)]);
            texts.push((choice_line(name, &id, c), c.line.is_some(), path));
        }
        for (line, explicit, mut path) in texts {
            if explicit {
                path.push(Seg::Field("line"));
                if line.is_empty() {
                    cx.error(file, path, "a line id may not be empty");
                    continue;
                }
            }
            let place = match path.get(1..) {
                Some([Seg::Key(node)]) => format!("the text of node `{node}`"),
                Some([Seg::Key(node), _, Seg::Index(i), ..]) => {
                    format!("the text of choice {} of node `{node}`", i + 1)
                }
                _ => "another text".to_owned(),
            };
            match first.get(&line) {
                Some((_, earlier)) => cx.error(
                    file,
                    path,
                    format!(
                        "line id `{line}` is already the id of {earlier} (give one an explicit, \
                         different `line`)"
                    ),
                ),
                None => {
                    first.insert(line, (file, place));
                }
            }
        }
    }
}
