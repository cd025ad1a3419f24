//! A story's string table: the base catalogue of its translatable texts ([`extract`]),
//! and a translation brought up to date with it ([`merge`]), as `msgmerge` does for
//! gettext: unchanged entries keep their translation, a changed source marks the
//! translation fuzzy (with the source it was made from), new entries are untranslated,
//! and entries whose text is gone are kept as obsolete.

use std::collections::{BTreeSet, HashMap};

use qnce_core::internal::StoryInternals;
use qnce_core::story::Story;
use qnce_core::story::components::{Choices, Tags, Text};

use crate::locate::{Seg, SourceMap};
use crate::po::{Catalogue, Entry};

/// The base catalogue of `story`: one entry per node text and choice text, in the order
/// of the story's nodes, keyed by line id, with the source text, where it is written
/// (`path:line`), the node's tags and the variables the text uses as notes.
pub fn extract(story: &Story) -> Catalogue {
    // A file whose text the story let go of is read again; one that changed since has no
    // map, and its texts no reference.
    let maps: Vec<Option<SourceMap>> = story
        .files()
        .iter()
        .map(|f| crate::read::text_of(f).map(SourceMap::new))
        .collect();
    // Where each node is written, found once: a text is then looked for in its node's
    // file alone.
    let nodes = [Seg::Field("nodes")];
    let mut file_of: HashMap<&str, usize> = HashMap::new();
    for (i, map) in maps.iter().enumerate() {
        let Some(map) = map else { continue };
        for key in map.keys(&nodes) {
            file_of.entry(key).or_insert(i);
        }
    }
    let world = story.world();
    let mut entries = Vec::new();
    for node in story.node_ids() {
        let Some(entity) = story.node_entity(node) else {
            continue;
        };
        let name = story.node_name(node);
        let tags = world.get::<Tags>(entity).map_or(&[][..], |t| &t.0[..]);
        let node_path = vec![Seg::Field("nodes"), Seg::Key(name.to_owned())];
        let mut texts = Vec::new();
        if let Some(text) = world.get::<Text>(entity) {
            let mut path = node_path.clone();
            path.push(Seg::Field("text"));
            texts.push((text, path));
        }
        let choices = world.get::<Choices>(entity).map_or(&[][..], |c| &c.0[..]);
        for (i, choice) in choices.iter().enumerate() {
            let mut path = node_path.clone();
            path.extend([Seg::Field("choices"), Seg::Index(i), Seg::Field("text")]);
            texts.push((&choice.text, path));
        }
        let file = file_of.get(name).copied();
        for (text, path) in texts {
            entries.push(entry(story, (&maps, file), text, &path, tags));
        }
    }
    Catalogue {
        header: vec![
            ("Project-Id-Version".into(), story.title().into()),
            ("Content-Type".into(), "text/plain; charset=UTF-8".into()),
            ("Content-Transfer-Encoding".into(), "8bit".into()),
            ("X-Generator".into(), "qnce strings extract".into()),
        ],
        entries,
    }
}

/// The catalogue entry of one text; `file` is where its node is written (by file id),
/// when found.
fn entry(
    story: &Story,
    (maps, file): (&[Option<SourceMap>], Option<usize>),
    text: &Text,
    path: &[Seg],
    tags: &[std::sync::Arc<str>],
) -> Entry {
    let mut notes = Vec::new();
    if !tags.is_empty() {
        notes.push(format!("tags: {}", tags.join(", ")));
    }
    let mut vars = Vec::new();
    for e in text.template.exprs() {
        e.vars(&mut vars);
    }
    let names: BTreeSet<&str> = vars.iter().map(|&v| story.var_name(v)).collect();
    if !names.is_empty() {
        notes.push(format!(
            "variables: {}",
            names.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let references = file
        .and_then(|i| {
            let (file, map) = (story.files().get(i)?, maps.get(i)?.as_ref()?);
            let at = map.line_col(map.exact(path)?);
            // Relative to the story directory, as the catalogue travels with it.
            let file = file.path.strip_prefix(story.root()).unwrap_or(&file.path);
            Some(format!("{}:{}", file.display(), at.line))
        })
        .into_iter()
        .collect();
    Entry {
        line: text.line.to_string(),
        source: text.source().to_owned(),
        notes,
        references,
        ..Entry::default()
    }
}

/// What [`merge`] did to a translation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Entries whose source is unchanged, translation kept.
    pub kept: usize,
    /// Entries whose source changed: the translation is kept, marked fuzzy.
    pub stale: usize,
    /// Entries new to the translation, untranslated.
    pub new: usize,
    /// Entries whose text is gone, kept as obsolete.
    pub obsolete: usize,
}

/// `translation` brought up to `base`: the base's entries, in its order, with the
/// translation's work carried over (see the module documentation), and the
/// translation's own header.
pub fn merge(base: &Catalogue, translation: &Catalogue) -> (Catalogue, Merged) {
    let mut counts = Merged::default();
    let old: HashMap<&str, &Entry> = translation
        .entries
        .iter()
        .rev()
        .map(|e| (e.line.as_str(), e))
        .collect();
    let mut entries = Vec::new();
    for b in &base.entries {
        let mut e = Entry {
            translation_at: (0, 0),
            source_at: (0, 0),
            ..b.clone()
        };
        if let Some(o) = old.get(b.line.as_str()) {
            e.comments.clone_from(&o.comments);
        }
        match old.get(b.line.as_str()) {
            Some(o) if !o.translation.is_empty() => {
                e.translation = o.translation.clone();
                if o.source == b.source && !o.fuzzy {
                    counts.kept += 1;
                } else {
                    // Fuzzy until a translator checks it against the new source.
                    // The source the translation was made from: the earliest one, however
                    // often the text changed since.
                    e.fuzzy = true;
                    e.previous = if o.fuzzy {
                        o.previous.clone().or_else(|| Some(o.source.clone()))
                    } else {
                        Some(o.source.clone())
                    };
                    counts.stale += 1;
                }
            }
            _ => counts.new += 1,
        }
        entries.push(e);
    }
    let in_base: BTreeSet<&str> = base.entries.iter().map(|e| e.line.as_str()).collect();
    for o in &translation.entries {
        if !in_base.contains(o.line.as_str()) && !o.translation.is_empty() {
            entries.push(Entry {
                obsolete: true,
                translation_at: (0, 0),
                source_at: (0, 0),
                ..o.clone()
            });
            counts.obsolete += 1;
        }
    }
    let header = if translation.header.is_empty() {
        base.header.clone()
    } else {
        translation.header.clone()
    };
    (Catalogue { header, entries }, counts)
}
