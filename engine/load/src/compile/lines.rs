//! Line ids: the stable name of each translatable text, which string tables, saves of
//! translations and voice-over files are keyed by. A node's text is its node's name, a
//! choice's text `node.choice` (its choice id), unless the author fixes one with
//! `line: "…"`. They come from ids the author already writes, so they do not change when
//! the text, the order of choices or other nodes change, with one exception the story
//! format states: choices without an id that share a target are told apart by their text,
//! so rewording one renames its line; give such choices ids (or `line`).

use std::borrow::Cow;

use rustc_hash::FxHashMap as HashMap;

use std::sync::Arc;

use super::declare::{FileParts, NodeAt, NodeIndex};
use super::{Ctx, nodes_of};
use crate::Parsed;
use crate::format::{ChoiceDef, NodeDef};
use crate::locate::Seg;
use crate::read::FileParse;

/// The id each choice has when none is written: its target (`to`, else `call`), or, when
/// several choices of the node without ids share it, the target and a slug of the text
/// (`river/swim-across`). Explicit ids as written.
pub(super) fn choice_ids(choices: &[ChoiceDef]) -> Vec<Cow<'_, str>> {
    // Whether another choice without an id has the same target: a scan for the few
    // choices of most nodes, a count by target for wide ones.
    let shared: Vec<bool> = if choices.len() <= 16 {
        choices
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.id.is_none()
                    && choices
                        .iter()
                        .enumerate()
                        .any(|(j, d)| j != i && d.id.is_none() && d.named() == c.named())
            })
            .collect()
    } else {
        let mut per_target: HashMap<&str, usize> = HashMap::default();
        for c in choices.iter().filter(|c| c.id.is_none()) {
            *per_target.entry(c.named()).or_default() += 1;
        }
        choices
            .iter()
            .map(|c| c.id.is_none() && per_target.get(c.named()) != Some(&1))
            .collect()
    };
    choices
        .iter()
        .zip(shared)
        .map(|(c, shared)| match &c.id {
            Some(id) => Cow::Borrowed(&**id),
            None if !shared => Cow::Borrowed(c.named()),
            None => Cow::Owned(format!("{}/{}", c.named(), slug(&c.text))),
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
    def.line().map_or(name, |l| &**l).to_owned()
}

/// The line id of a choice's text, `choice` being its choice id (made in `scratch`, so
/// that the one allocation is the shared string's).
pub(super) fn choice_line(
    scratch: &mut String,
    node: &str,
    choice: &str,
    def: &ChoiceDef,
) -> Arc<str> {
    if let Some(line) = def.line() {
        return Arc::from(&**line);
    }
    scratch.clear();
    scratch.extend([node, ".", choice]);
    Arc::from(&**scratch)
}

/// Reports each line id given to two texts, at the later one, naming the earlier; and an
/// empty explicit one.
///
/// Node names are unique, and so are a node's choice ids, so default ids (`node`,
/// `node.choice`) can only meet when a name or a choice id has a `.` in it. Only such
/// "special" lines and explicit ones are gathered and compared with each other and with
/// the plain default ids (found through `nodes`); a story with none costs one pass and
/// no allocation.
///
/// Whether a file has no special or empty line is found once per parse of it and kept
/// with the parse, so that a reload visits the nodes of only the files that have some
/// (which keep their parse: they are notable, see `Decl::to_read`). A parse made again
/// finds it again.
///
/// `parts` must hold every file whose line ids are not all plain; `written` finds any node.
pub(super) fn check_line_ids(
    cx: &mut Ctx<'_>,
    parts: &[FileParts<'_>],
    written: &Written<'_>,
    nodes: &NodeIndex<'_>,
) {
    let dotted = |s: &str| s.contains('.');
    let mut special: Vec<(Cow<'_, str>, Owner)> = Vec::new();
    let mut empty: Vec<Owner> = Vec::new();
    for p in parts {
        if plain(p) {
            continue;
        }
        for (index, (name, def)) in p.nodes().0.iter().enumerate() {
            let at = NodeAt {
                file: p.file(),
                index: index as u32,
            };
            // Only the declaration that counts: not an empty name, not a duplicate.
            if nodes.get(name).and_then(|id| nodes.at(id)) != Some(at) {
                continue;
            }
            match def.line() {
                Some(line) if line.is_empty() => empty.push((at, None)),
                Some(line) => special.push((Cow::Borrowed(line), (at, None))),
                None if dotted(name) => special.push((Cow::Borrowed(name), (at, None))),
                None => {}
            }
            let id_dotted = |c: &ChoiceDef| c.id.as_deref().map_or(dotted(c.named()), dotted);
            if !def
                .choices
                .iter()
                .any(|c| c.line().is_some() || dotted(name) || id_dotted(c))
            {
                continue;
            }
            for (i, (c, id)) in def.choices.iter().zip(choice_ids(&def.choices)).enumerate() {
                match c.line() {
                    Some(line) if line.is_empty() => empty.push((at, Some(i))),
                    Some(line) => special.push((Cow::Borrowed(line), (at, Some(i)))),
                    None if dotted(name) || dotted(&id) => {
                        special.push((Cow::Owned(format!("{name}.{id}")), (at, Some(i))));
                    }
                    None => {}
                }
            }
        }
    }
    let mut clashes: Vec<(Owner, Owner)> = Vec::new();
    let mut first: HashMap<&str, Owner> = HashMap::default();
    for (line, owner) in &special {
        if let Some(&earlier) = first.get(&**line) {
            clashes.push((*owner, earlier));
            continue;
        }
        first.insert(line, *owner);
        if let Some(plain) = plain_owner(line, nodes, written) {
            clashes.push((plain.max(*owner), plain.min(*owner)));
        }
    }
    for owner in empty {
        let path = path_of(written, owner);
        cx.error(owner.0.file, path, "a line id may not be empty");
    }
    clashes.sort();
    for (owner, earlier) in clashes {
        cx.error(
            owner.0.file,
            path_of(written, owner),
            format!(
                "line id `{}` is already the id of {} (give one an explicit, different `line`)",
                line_of(written, owner),
                place_of(written, earlier)
            ),
        );
    }
}

/// The nodes of every file as written, by file id: from the parses a compile holds, else
/// from the file's parse made again (each file's at most once per check).
pub(super) struct Written<'p> {
    handles: &'p [Option<Arc<Parsed>>],
    parsed: &'p [Option<Arc<FileParse>>],
    made: std::cell::RefCell<HashMap<usize, Arc<Parsed>>>,
}

impl<'p> Written<'p> {
    pub(super) fn new(
        handles: &'p [Option<Arc<Parsed>>],
        parsed: &'p [Option<Arc<FileParse>>],
    ) -> Written<'p> {
        Written {
            handles,
            parsed,
            made: Default::default(),
        }
    }

    /// `f` of the node declared at `at`: its name and definition.
    fn node<R>(&self, at: NodeAt, f: impl FnOnce(&str, &NodeDef) -> R) -> Option<R> {
        let i = at.file.0 as usize;
        let parse = match self.handles.get(i).cloned().flatten() {
            Some(parse) => parse,
            None => {
                let made = self.made.borrow().get(&i).cloned();
                match made {
                    Some(parse) => parse,
                    None => {
                        let parse = self.parsed.get(i)?.as_ref()?.get()?;
                        self.made.borrow_mut().insert(i, Arc::clone(&parse));
                        parse
                    }
                }
            }
        };
        let (name, def) = nodes_of(&parse).0.get(at.index as usize)?;
        Some(f(name, def))
    }
}

/// Whether every line id of a file is a plain default: found once per parse, and kept
/// with it.
pub(super) fn plain(p: &FileParts<'_>) -> bool {
    *p.plain_lines()
        .get_or_init(|| p.nodes().0.iter().all(|(name, def)| is_plain(name, def)))
}

/// Whether every text of a node has its plain default line id: no explicit `line`, and
/// no `.` in the node's name or a choice's id (such ids are all the check compares).
fn is_plain(name: &str, def: &NodeDef) -> bool {
    let dotted = |s: &str| s.contains('.');
    def.line().is_none()
        && !dotted(name)
        && def
            .choices
            .iter()
            .all(|c| c.line().is_none() && !c.id.as_deref().map_or(dotted(c.named()), dotted))
}

/// A text: where its node is declared, and its choice's index (none for the node's own
/// text). Ordered as the story declares them.
type Owner = (NodeAt, Option<usize>);

/// The text whose plain default id (a node name without `.`, or `node.choice` with a `.`
/// in neither) is `line`, if any.
fn plain_owner(line: &str, nodes: &NodeIndex<'_>, written: &Written<'_>) -> Option<Owner> {
    let at = |name: &str| nodes.at(nodes.get(name)?);
    match line.split_once('.') {
        None => {
            let at = at(line)?;
            let plain = written.node(at, |_, def| def.line().is_none())?;
            plain.then_some((at, None))
        }
        Some((node, choice)) if !choice.contains('.') => {
            let at = at(node)?;
            written
                .node(at, |_, def| {
                    let i = (choice_ids(&def.choices).iter()).position(|id| id == choice)?;
                    def.choices[i].line().is_none().then_some((at, Some(i)))
                })
                .flatten()
        }
        Some(_) => None,
    }
}

/// Where a text's line id is written: its `line` field, else its node or choice.
fn path_of(written: &Written<'_>, (at, choice): Owner) -> Vec<Seg> {
    let path = |name: &str, def: &NodeDef| {
        let mut path = vec![Seg::Field("nodes"), Seg::Key(name.to_owned())];
        if let Some(i) = choice {
            path.extend([Seg::Field("choices"), Seg::Index(i)]);
        }
        let explicit = match choice {
            Some(i) => def.choices[i].line().is_some(),
            None => def.line().is_some(),
        };
        if explicit {
            path.push(Seg::Field("line"));
        }
        path
    };
    written.node(at, path).unwrap_or_default()
}

fn line_of(written: &Written<'_>, (at, choice): Owner) -> String {
    let line = |name: &str, def: &NodeDef| match choice {
        None => node_line(name, def),
        Some(i) => {
            let ids = choice_ids(&def.choices);
            choice_line(&mut String::new(), name, &ids[i], &def.choices[i]).to_string()
        }
    };
    written.node(at, line).unwrap_or_default()
}

fn place_of(written: &Written<'_>, (at, choice): Owner) -> String {
    let name = written
        .node(at, |name, _| name.to_owned())
        .unwrap_or_default();
    match choice {
        None => format!("the text of node `{name}`"),
        Some(i) => format!("the text of choice {} of node `{name}`", i + 1),
    }
}
