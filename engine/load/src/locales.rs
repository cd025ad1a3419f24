//! Translations loaded with the story: every `locales/TAG.po` beside `story.ron`, each
//! entry parsed and type-checked like the text it translates, mistakes reported where
//! they are in the `.po` file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use qnce_core::expr::{ExprLimits, Scope, Template};
use qnce_core::ids::Id;
use qnce_core::internal::StoryInternals;
use qnce_core::story::{
    CommandId, FileId, FunctionDecl, FunctionId, Names, NodeData, NodeId, SourceFile, Story,
    StoryData, Translation, TranslationOp, VarId, reads_any,
};
use qnce_core::value::{Type, Value};

use crate::cache::Changes;
use crate::compile::Hints;
use crate::diagnostic::{Diagnostics, Severity};
use crate::po::{Catalogue, Entry};
use crate::source::{FileSystem, Source};
use crate::{Finding, Limits, resolve_findings};

/// A locale's coverage: how many of the story's texts it translates, and voices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The locale's tag.
    pub locale: String,
    /// Texts with a translation in use.
    pub translated: usize,
    /// Texts with a voice file of the locale's own (`locales/TAG/voice/`).
    pub voiced: usize,
    /// Texts in the story.
    pub total: usize,
}

/// Each locale's coverage of `story`'s texts: every locale with a translation or voice
/// files.
pub fn coverage(story: &qnce_core::Story) -> Vec<Coverage> {
    let total: usize = story
        .node_ids()
        .map(|n| 1 + story.node_choices(n).count())
        .sum();
    // Only the lines the story has now count (a live edit may have removed some).
    let lines: FxHashSet<&str> = story
        .node_ids()
        .flat_map(|n| story.node_texts(n).map(|(line, _, _)| line))
        .collect();
    let count =
        |keys: &mut dyn Iterator<Item = &Arc<str>>| keys.filter(|l| lines.contains(&***l)).count();
    let mut out: Vec<Coverage> = story
        .translations()
        .iter()
        .map(|t| Coverage {
            locale: t.locale.to_string(),
            translated: count(&mut t.lines.keys()),
            voiced: 0,
            total,
        })
        .collect();
    for voices in story.voices() {
        let Some(locale) = &voices.locale else {
            continue;
        };
        let i = match out.iter().position(|c| c.locale == **locale) {
            Some(i) => i,
            None => {
                out.push(Coverage {
                    locale: locale.to_string(),
                    translated: 0,
                    voiced: 0,
                    total,
                });
                out.len() - 1
            }
        };
        out[i].voiced = count(&mut voices.lines.keys());
    }
    out
}

/// The translations read and their files (for diagnostics).
pub(crate) struct Locales {
    pub(crate) translations: Vec<Translation>,
    pub(crate) files: Vec<SourceFile>,
    pub(crate) cache: LocaleCache,
}

/// The translation files as last taken, kept between reloads so that a reload checks
/// only the entries an edit can have changed.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct LocaleCache {
    files: Vec<LocaleFile>,
}

/// One translation file as taken: its text and every entry it translates.
#[derive(Debug)]
struct LocaleFile {
    /// The path as [`file_key`] makes it.
    key: PathBuf,
    /// The path as the source names it.
    path: PathBuf,
    locale: Arc<str>,
    text: Arc<str>,
    /// The entries with a translation, by line id (obsolete ones left out).
    entries: FxHashMap<Arc<str>, Msg>,
}

/// An entry of a translation file: what checking it needs.
#[derive(Debug, PartialEq, Eq)]
struct Msg {
    line: Arc<str>,
    source: Box<str>,
    translation: Box<str>,
    fuzzy: bool,
    /// Where `msgstr`'s string starts (1-based line and column).
    at: (usize, usize),
}

impl Msg {
    fn of(entry: Entry) -> Msg {
        Msg {
            line: entry.line.into(),
            source: entry.source.into(),
            translation: entry.translation.into(),
            fuzzy: entry.fuzzy,
            at: entry.translation_at,
        }
    }

    /// Whether both say the same (wherever they are written).
    fn same(&self, other: &Msg) -> bool {
        (&self.source, &self.translation, self.fuzzy)
            == (&other.source, &other.translation, other.fuzzy)
    }
}

impl LocaleCache {
    /// Takes what a reload read: files checked anew replace their old versions.
    pub fn update(&mut self, update: LocaleUpdate) {
        self.files.retain(|f| {
            !update.removed.contains(&f.key) && !update.replaced.iter().any(|r| r.key == f.key)
        });
        self.files.extend(update.replaced);
        self.files.sort_by(|a, b| a.key.cmp(&b.key));
    }

    /// Whether `key` is one of the translation files taken.
    pub fn contains(&self, key: &Path) -> bool {
        self.files.iter().any(|f| f.key == key)
    }
}

/// The translation files a reload read anew and took, and those it found removed.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct LocaleUpdate {
    replaced: Vec<LocaleFile>,
    removed: Vec<PathBuf>,
}

/// Which node ids a story declares.
enum NodeSet<'d> {
    Ids(FxHashSet<NodeId>),
    /// A story as a reload leaves it: its nodes less `removed`, and the nodes compiled
    /// anew (new ones among them).
    Reload {
        story: &'d Story,
        removed: FxHashSet<NodeId>,
        compiled: FxHashSet<NodeId>,
    },
    Story(&'d Story),
}

impl NodeSet<'_> {
    fn contains(&self, id: NodeId) -> bool {
        match self {
            NodeSet::Ids(ids) => ids.contains(&id),
            NodeSet::Reload {
                story,
                removed,
                compiled,
            } => {
                compiled.contains(&id)
                    || (story.node_entity(id).is_some() && !removed.contains(&id))
            }
            NodeSet::Story(story) => story.node_entity(id).is_some(),
        }
    }
}

/// What a translation is checked against: the story's texts by line id (their source and
/// compiled template), and the variables, nodes and functions its text may name.
struct Against<'d> {
    names: &'d Names,
    vars: FxHashMap<&'d str, (VarId, Type)>,
    nodes: NodeSet<'d>,
    functions: &'d [FunctionDecl],
    texts: FxHashMap<&'d str, (&'d str, &'d Template)>,
    /// How many more unknown names in translated texts get a "did you mean".
    hints: Hints,
}

impl<'d> Against<'d> {
    /// The story being loaded.
    fn data(data: &'d StoryData) -> Against<'d> {
        Against {
            names: &data.names,
            vars: data
                .variables
                .iter()
                .map(|(id, v)| (data.names.vars.name(*id), (*id, v.ty())))
                .collect(),
            nodes: NodeSet::Ids(data.nodes.iter().map(|n| n.node.id).collect()),
            functions: &data.functions,
            texts: texts_of(&data.nodes),
            hints: Hints::new(Hints::MAX),
        }
    }

    /// The running story as a reload leaves it: `story`, with the nodes compiled anew
    /// (when story files changed) taking the place of its own. `every_text` gathers the
    /// texts of the whole story; without it, only those compiled anew.
    fn reload(story: &'d Story, new: Option<&'d NewVersion<'d>>, every_text: bool) -> Against<'d> {
        let names = story.names();
        let (vars, nodes, functions) = match new {
            Some(new) => (
                new.data
                    .variables
                    .iter()
                    .map(|(id, v)| (names.vars.name(*id), (*id, v.ty())))
                    .collect(),
                NodeSet::Reload {
                    story,
                    removed: new.removed.iter().copied().collect(),
                    compiled: new.data.nodes.iter().map(|n| n.node.id).collect(),
                },
                &new.data.functions[..],
            ),
            None => (
                story
                    .var_ids()
                    .iter()
                    .filter_map(|&id| {
                        Some((names.vars.name(id), (id, story.var_initial(id)?.ty())))
                    })
                    .collect(),
                NodeSet::Story(story),
                story.functions(),
            ),
        };
        let mut texts = FxHashMap::default();
        if every_text {
            // Nodes compiled anew have their texts from the new version only: a line id
            // the edit removed from a node is gone.
            let compiled: FxHashSet<NodeId> = new
                .map(|new| new.data.nodes.iter().map(|n| n.node.id).collect())
                .unwrap_or_default();
            for id in story
                .node_ids()
                .filter(|&id| nodes.contains(id) && !compiled.contains(&id))
            {
                for (line, source, template) in story.node_texts(id) {
                    texts.insert(line, (source, template));
                }
            }
        }
        if let Some(new) = new {
            texts.extend(texts_of(&new.data.nodes));
        }
        Against {
            names,
            vars,
            nodes,
            functions,
            texts,
            hints: Hints::new(Hints::MAX),
        }
    }
}

impl Scope for Against<'_> {
    fn var(&self, name: &str) -> Option<(VarId, Type)> {
        self.vars.get(name).copied()
    }
    fn node(&self, name: &str) -> Option<NodeId> {
        let id = self.names.nodes.lookup(name)?;
        self.nodes.contains(id).then_some(id)
    }
    fn command(&self, _: &str) -> Option<(CommandId, &[Type])> {
        None
    }
    fn function(&self, name: &str) -> Option<(FunctionId, &[Type], Type)> {
        let id = self.names.functions.lookup(name)?;
        let f = self.functions.iter().find(|f| f.id == id)?;
        Some((f.id, &f.params[..], f.returns))
    }
    fn names(&self, kind: qnce_core::expr::NameKind) -> Vec<&str> {
        use qnce_core::expr::NameKind;
        if !self.hints.take() {
            return Vec::new();
        }
        match kind {
            NameKind::Variable => self.vars.keys().copied().collect(),
            NameKind::Node => (0..self.names.nodes.len())
                .map(|i| NodeId::from_index(i as u32))
                .filter(|&id| self.nodes.contains(id))
                .map(|id| self.names.nodes.name(id))
                .collect(),
            NameKind::Function => self
                .functions
                .iter()
                .map(|f| self.names.functions.name(f.id))
                .collect(),
            NameKind::Command => Vec::new(),
        }
    }
}

/// Reads every `locales/*.po` of the story at `root`; findings name the files as the
/// ids from `first_file` on.
pub(crate) fn load(
    source: &dyn Source,
    root: &Path,
    data: &StoryData,
    limits: &Limits,
    first_file: usize,
    findings: &mut Vec<Finding>,
) -> Locales {
    let mut out = Locales {
        translations: Vec::new(),
        files: Vec::new(),
        cache: LocaleCache::default(),
    };
    let paths = translation_files(source, root);
    if paths.is_empty() {
        return out;
    }
    let against = Against::data(data);
    for path in paths {
        let file = FileId((first_file + out.files.len()) as u32);
        let Some(read) = read_file(source, &path, limits, file, &mut out.files, findings) else {
            continue;
        };
        let mut translation = Translation {
            locale: read.locale.clone(),
            lines: FxHashMap::default(),
        };
        let checked = check_file(read, &against, None, limits, file, findings);
        for (line, template) in checked.templates {
            translation.lines.extend(template.map(|t| (line, t)));
        }
        out.translations.push(translation);
        out.cache.files.push(checked.file);
    }
    out
}

/// The translation files of the story at `root`, in order of their paths.
fn translation_files(source: &dyn Source, root: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<_> = source
        .files_in(&root.join("locales"))
        .into_iter()
        .filter(|p| is_translation_file(p))
        .collect();
    paths.sort();
    paths
}

/// Whether `path` names a translation file: `NAME.po`, not hidden.
#[doc(hidden)]
pub fn is_translation_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "po")
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'))
}

/// A translation file read and parsed.
struct ReadFile {
    key: PathBuf,
    path: PathBuf,
    locale: Arc<str>,
    text: Arc<str>,
    catalogue: Catalogue,
}

/// Reads and parses the translation file at `path`, pushing it to `files` (as `file`)
/// for diagnostics; `None` with a finding when it cannot be read or parsed.
fn read_file(
    source: &dyn Source,
    path: &Path,
    limits: &Limits,
    file: FileId,
    files: &mut Vec<SourceFile>,
    findings: &mut Vec<Finding>,
) -> Option<ReadFile> {
    // `pt_BR.po` (Poedit's name) is the locale `pt-BR`.
    let locale = path.file_stem()?.to_str()?.replace('_', "-");
    let text = crate::read::read_text(source, path, limits);
    let shown: Arc<str> = Arc::from(text.as_deref().unwrap_or(""));
    files.push(SourceFile::new(path.to_owned(), shown.clone()));
    // A translation that cannot be read is an error, not a language gone quietly.
    let at = |(line, col): (usize, usize), message: String| Finding {
        at: Some((line, col)),
        ..Finding::error(file, Vec::new(), message)
    };
    let text = match text {
        Ok(text) => text,
        Err(crate::read::ReadFailure::Finding(d)) => {
            findings.push(at((d.line, d.col), d.message));
            return None;
        }
        Err(crate::read::ReadFailure::Io(e)) => {
            findings.push(at((1, 1), format!("cannot read the translation: {e}")));
            return None;
        }
    };
    match Catalogue::parse(&text) {
        Ok(catalogue) => Some(ReadFile {
            key: crate::file_key(path),
            path: path.to_owned(),
            locale: locale.into(),
            text: shown,
            catalogue,
        }),
        Err(e) => {
            findings.push(at((e.line, e.col), e.message));
            None
        }
    }
}

/// What changed in the story since a translation file was taken, which its entries may
/// depend on.
#[derive(Default)]
struct Changed<'d> {
    /// The line ids of the texts compiled anew.
    lines: FxHashSet<&'d str>,
    /// Variables removed or retyped.
    vars: Vec<VarId>,
    /// Nodes removed.
    nodes: Vec<NodeId>,
    /// Functions declared, removed or changed.
    functions: Vec<FunctionId>,
}

impl<'d> Changed<'d> {
    fn of(story: &Story, new: Option<&'d NewVersion<'d>>) -> Changed<'d> {
        let Some(new) = new else {
            return Changed::default();
        };
        let mut now: Vec<Option<Type>> = Vec::new();
        for (id, value) in &new.data.variables {
            *qnce_core::story::grow(&mut now, id.index()) = Some(value.ty());
        }
        let vars = story
            .var_ids()
            .iter()
            .copied()
            .filter(|&id| {
                story.var_initial(id).map(Value::ty) != now.get(id.index()).copied().flatten()
            })
            .collect();
        let nodes = new.removed.to_vec();
        let old = story.functions();
        let now = &new.data.functions;
        let functions = old
            .iter()
            .filter(|f| !now.contains(f))
            .chain(now.iter().filter(|f| !old.contains(f)))
            .map(|f| f.id)
            .collect();
        // A text compiled anew but written as before (a node recompiled whole for an
        // edit of another field, or every node of a reload that kept none) reaches no
        // translation: its source is what the entries were checked against, and a name
        // it reads that changed is in `vars`, `nodes` or `functions`.
        let mut lines = FxHashSet::default();
        let mut before: Vec<(&str, &str)> = Vec::new();
        for n in &new.data.nodes {
            before.clear();
            before.extend(story.node_texts(n.node.id).map(|(l, s, _)| (l, s)));
            let texts = std::iter::once(&n.text).chain(n.choices.iter().map(|c| &c.text));
            for t in texts {
                if !before.contains(&(&*t.line, t.source())) {
                    lines.insert(&*t.line);
                }
            }
        }
        Changed {
            lines,
            vars,
            nodes,
            functions,
        }
    }

    /// Whether a translated text may read differently now.
    fn breaks(&self, template: &Template) -> bool {
        !(self.vars.is_empty() && self.nodes.is_empty() && self.functions.is_empty())
            && reads_any(template, &self.vars, &self.nodes, &self.functions)
    }

    /// Whether the names translations depend on changed.
    fn names_changed(&self) -> bool {
        !(self.vars.is_empty() && self.nodes.is_empty() && self.functions.is_empty())
    }
}

/// The new version of a story's files, compiled by a reload: its data (with the nodes
/// compiled anew), which node ids it declares, and whether it kept the other nodes.
#[doc(hidden)]
pub struct NewVersion<'d> {
    /// The data compiled.
    pub data: &'d StoryData,
    /// The running story's nodes that the new version does not declare.
    pub removed: &'d [NodeId],
    /// Whether only changed nodes were compiled.
    pub partial: bool,
}

/// What a reload does to the translations.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct Retranslated {
    /// The changes to the story's translations.
    pub ops: Vec<TranslationOp>,
    /// Warnings of the entries checked anew.
    pub warnings: Diagnostics,
    /// Errors of translation files not taken: each keeps its last good version (less the
    /// entries that no longer hold), and is read again at the next reload.
    pub errors: Diagnostics,
    /// The translation files with errors (as [`file_key`] makes their paths).
    pub rejected: Vec<PathBuf>,
    /// The files read anew and taken, for the reloader's cache.
    pub update: LocaleUpdate,
    /// The translation files read anew (as [`file_key`] makes their paths).
    pub read: Vec<PathBuf>,
}

/// Brings a story's translations along a reload. Translation files among `changes` are
/// read again and checked whole (an entry said as before keeps its compiled text); the
/// others are checked where the story's edit reaches them: texts compiled anew (`new`)
/// and texts that read a variable, node or function the edit removed or changed.
#[doc(hidden)]
pub fn retranslate(
    root: &Path,
    limits: &Limits,
    cache: &LocaleCache,
    changes: &Changes,
    story: &Story,
    new: Option<&NewVersion<'_>>,
) -> Retranslated {
    let source = &FileSystem;
    let mut out = Retranslated::default();
    let mut files = Vec::new();
    let mut findings = Vec::new();

    // The translation files to read again.
    let mut reread: Vec<PathBuf> = match changes {
        Changes::All => {
            let mut keys: Vec<_> = translation_files(source, root)
                .iter()
                .map(|p| crate::file_key(p))
                .collect();
            keys.extend(cache.files.iter().map(|f| f.key.clone()));
            keys
        }
        Changes::Paths(paths) => {
            let dir = crate::file_key(&root.join("locales"));
            let mut keys: Vec<PathBuf> = paths
                .iter()
                .filter(|p| p.parent() == Some(&*dir) && is_translation_file(p))
                .cloned()
                .collect();
            // The directory itself (made, removed or renamed whole): every file in it.
            if paths.contains(&dir) {
                keys.extend(
                    translation_files(source, root)
                        .iter()
                        .map(|p| crate::file_key(p)),
                );
                keys.extend(cache.files.iter().map(|f| f.key.clone()));
            }
            keys
        }
    };
    reread.sort();
    reread.dedup();
    out.read.clone_from(&reread);
    if reread.is_empty() && cache.files.is_empty() {
        // A story without translations.
        return out;
    }
    let changed = Changed::of(story, new);

    // Most story edits reach no translated text: then nothing is checked.
    let reached = changed.names_changed()
        || cache
            .files
            .iter()
            .any(|f| changed.lines.iter().any(|l| f.entries.contains_key(*l)));
    if reread.is_empty() && !reached {
        return out;
    }
    let every_text = !reread.is_empty() || changed.names_changed();
    let against = Against::reload(story, new, every_text);
    let mut rejected_ids = Vec::new();
    let mut taken = Vec::new();
    for key in &reread {
        let old = cache.files.iter().find(|f| &f.key == key);
        if !source.is_file(key) {
            if let Some(old) = old {
                out.ops
                    .push(TranslationOp::RemoveLocale(old.locale.clone()));
                out.update.removed.push(key.clone());
            }
            taken.push(key.clone());
            continue;
        }
        let file = FileId(files.len() as u32);
        let before = findings.len();
        // Named as at load (`locales/de.po` under the story's path), not by its key.
        let path = old.map_or_else(
            || {
                root.join("locales")
                    .join(key.file_name().unwrap_or_default())
            },
            |old| old.path.clone(),
        );
        let read = read_file(source, &path, limits, file, &mut files, &mut findings);
        let memo = old.map(|old| Memo {
            old,
            current: story.translations().iter().find(|t| t.locale == old.locale),
            changed: &changed,
        });
        if let Some(read) = read {
            let mut checked = check_file(read, &against, memo, limits, file, &mut findings);
            if !has_error(&findings[before..]) {
                let locale = checked.file.locale.clone();
                if memo.and_then(|m| m.current).is_none() {
                    out.ops.push(TranslationOp::AddLocale(locale.clone()));
                }
                let in_use: FxHashSet<&str> =
                    checked.templates.iter().map(|(line, _)| &**line).collect();
                if let Some(current) = memo.and_then(|m| m.current) {
                    for line in current.lines.keys().filter(|l| !in_use.contains(&***l)) {
                        out.ops.push(TranslationOp::Line {
                            locale: locale.clone(),
                            line: line.clone(),
                            template: None,
                        });
                    }
                }
                for (line, template) in std::mem::take(&mut checked.templates) {
                    if template.is_some() {
                        out.ops.push(TranslationOp::Line {
                            locale: locale.clone(),
                            line,
                            template,
                        });
                    }
                }
                out.update.replaced.push(checked.file);
                taken.push(key.clone());
                continue;
            }
        }
        rejected_ids.push((file, key.clone()));
    }

    // Files kept as they were: checked where the edit reaches them.
    for old in cache.files.iter().filter(|f| !taken.contains(&f.key)) {
        let current = story.translations().iter().find(|t| t.locale == old.locale);
        let mut lines: Vec<&Arc<str>> = changed
            .lines
            .iter()
            .filter_map(|l| old.entries.get_key_value(*l).map(|(k, _)| k))
            .collect();
        if changed.names_changed()
            && let Some(current) = current
        {
            lines.extend(
                current
                    .lines
                    .iter()
                    .filter(|(_, t)| changed.breaks(t))
                    .map(|(l, _)| l),
            );
        }
        if lines.is_empty() {
            continue;
        }
        lines.sort();
        lines.dedup();
        // Its last good version: its findings point into that text (a rejected new
        // version of the file has its own).
        files.push(SourceFile::new(old.path.clone(), old.text.clone()));
        let file = FileId(files.len() as u32 - 1);
        let before = findings.len();
        let needed = qnce_core::runtime::plural_categories(&old.locale);
        for line in lines {
            let Some(msg) = old.entries.get(line) else {
                continue;
            };
            let place = Place {
                file,
                text: &old.text,
            };
            let template = check_msg(
                msg,
                &against,
                needed.as_deref(),
                &old.locale,
                limits,
                place,
                &mut findings,
            );
            out.ops.push(TranslationOp::Line {
                locale: old.locale.clone(),
                line: line.clone(),
                template,
            });
        }
        if has_error(&findings[before..]) && !rejected_ids.iter().any(|(_, k)| *k == old.key) {
            rejected_ids.push((file, old.key.clone()));
        }
    }

    let diagnostics = resolve_findings(&files, findings);
    for d in diagnostics.iter() {
        if d.is_error() {
            out.errors.push(d.clone());
        } else {
            out.warnings.push(d.clone());
        }
    }
    out.rejected = rejected_ids.into_iter().map(|(_, key)| key).collect();
    out
}

fn has_error(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// What a file checked again may keep from its last version: the entries said as before
/// keep the story's compiled text, unless the edit reaches them.
#[derive(Clone, Copy)]
struct Memo<'a> {
    old: &'a LocaleFile,
    current: Option<&'a Translation>,
    changed: &'a Changed<'a>,
}

impl Memo<'_> {
    /// Whether the story's compiled text of `msg` stands.
    fn keeps(&self, msg: &Msg) -> bool {
        let Some(template) = self.current.and_then(|t| t.lines.get(&msg.line)) else {
            return false;
        };
        self.old
            .entries
            .get(&msg.line)
            .is_some_and(|old| old.same(msg))
            && !self.changed.lines.contains(&*msg.line)
            && !self.changed.breaks(template)
    }
}

/// A translation file checked: its record for the cache, and each entry in use with its
/// compiled text (`None` where the story's current one stands).
struct Checked {
    file: LocaleFile,
    templates: Vec<(Arc<str>, Option<Template>)>,
}

fn check_file(
    read: ReadFile,
    against: &Against<'_>,
    memo: Option<Memo<'_>>,
    limits: &Limits,
    file: FileId,
    findings: &mut Vec<Finding>,
) -> Checked {
    let needed = qnce_core::runtime::plural_categories(&read.locale);
    let mut templates = Vec::new();
    let mut entries = FxHashMap::default();
    for entry in read.catalogue.entries {
        if entry.obsolete || entry.translation.is_empty() {
            continue;
        }
        let msg = Msg::of(entry);
        if memo.is_some_and(|m| m.keeps(&msg)) {
            templates.push((msg.line.clone(), None));
        } else if let Some(t) = check_msg(
            &msg,
            against,
            needed.as_deref(),
            &read.locale,
            limits,
            Place {
                file,
                text: &read.text,
            },
            findings,
        ) {
            templates.push((msg.line.clone(), Some(t)));
        }
        entries.insert(msg.line.clone(), msg);
    }
    Checked {
        file: LocaleFile {
            key: read.key,
            path: read.path,
            locale: read.locale,
            text: read.text,
            entries,
        },
        templates,
    }
}

/// Each text of the story by line id: its source and compiled template.
fn texts_of(nodes: &[NodeData]) -> FxHashMap<&str, (&str, &Template)> {
    let mut map = FxHashMap::default();
    for node in nodes {
        map.insert(&*node.text.line, (node.text.source(), &node.text.template));
        for c in &node.choices {
            map.insert(&*c.text.line, (c.text.source(), &c.text.template));
        }
    }
    map
}

/// One entry checked against the text it translates, with its plural blocks: its
/// template, when it is in use.
fn check_msg(
    msg: &Msg,
    against: &Against<'_>,
    needed: Option<&[qnce_core::expr::PluralCategory]>,
    locale: &str,
    limits: &Limits,
    place: Place<'_>,
    findings: &mut Vec<Finding>,
) -> Option<Template> {
    let template = check(msg, place, against, limits.expr(), findings)?;
    if let Some(needed) = needed {
        check_plurals(&template, needed, locale, msg, place, findings);
    }
    Some(template)
}

/// The translation file an entry is in: its id for findings, and its text, to place them.
#[derive(Clone, Copy)]
struct Place<'t> {
    file: FileId,
    text: &'t str,
}

/// One entry checked against the text it translates: its template, when it is in use.
fn check(
    entry: &Msg,
    Place { file, text }: Place<'_>,
    scope: &Against<'_>,
    limits: ExprLimits,
    findings: &mut Vec<Finding>,
) -> Option<Template> {
    let at = |offset: usize| crate::po::string_position(text, entry.at, offset);
    let finding = |severity: Severity, offset: usize, message: String| Finding {
        severity,
        at: Some(at(offset)),
        ..Finding::error(file, Vec::new(), message)
    };
    let Some(&(source, source_template)) = scope.texts.get(&*entry.line) else {
        findings.push(finding(
            Severity::Warning,
            0,
            format!(
                "no text has line id `{}` (re-extract with `qnce strings extract`)",
                entry.line
            ),
        ));
        return None;
    };
    if entry.fuzzy || &*entry.source != source {
        findings.push(finding(
            Severity::Warning,
            0,
            format!(
                "stale translation of `{}`: its source changed since it was translated (check it \
                 against the new source, then remove `#, fuzzy`); the source text shows",
                entry.line
            ),
        ));
        return None;
    }
    let template = match Template::parse(&entry.translation, scope, limits) {
        Ok(t) => t,
        Err(e) => {
            findings.push(finding(Severity::Error, e.at, e.message));
            return None;
        }
    };
    let names = |t: &Template| {
        let mut vars = Vec::new();
        for e in t.exprs() {
            e.vars(&mut vars);
        }
        vars.into_iter()
            .map(|v| scope.names.vars.name(v).to_owned())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (want, have) = (names(source_template), names(&template));
    for missing in want.difference(&have) {
        findings.push(finding(
            Severity::Error,
            0,
            format!(
                "the translation of `{}` drops `{{{missing}}}`, which the source shows",
                entry.line
            ),
        ));
    }
    for extra in have.difference(&want) {
        findings.push(finding(
            Severity::Error,
            0,
            format!(
                "the translation of `{}` adds `{{{extra}}}`, which the source does not show",
                entry.line
            ),
        ));
    }
    (want == have).then_some(template)
}

/// Warns of each plural block of a translation that lacks a category its locale uses
/// (the `other` branch shows for those counts).
fn check_plurals(
    template: &Template,
    needed: &[qnce_core::expr::PluralCategory],
    locale: &str,
    entry: &Msg,
    Place { file, text }: Place<'_>,
    findings: &mut Vec<Finding>,
) {
    for labels in template.plural_blocks() {
        let missing: Vec<String> = needed
            .iter()
            .filter(|c| !labels.contains(c))
            .map(|c| format!("`{}:`", c.name()))
            .collect();
        if !missing.is_empty() {
            findings.push(Finding {
                severity: Severity::Warning,
                at: Some(crate::po::string_position(text, entry.at, 0)),
                ..Finding::error(
                    file,
                    Vec::new(),
                    format!(
                        "a plural block of `{}` has no {} branch, which `{locale}` uses for some \
                         counts (they show `other`)",
                        entry.line,
                        missing.join(", ")
                    ),
                )
            });
        }
    }
}
