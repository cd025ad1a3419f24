//! Translations loaded with the story: every `locales/TAG.po` beside `story.ron`, each
//! entry parsed and type-checked like the text it translates, mistakes reported where
//! they are in the `.po` file.

use std::path::Path;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use qnce_core::expr::{ExprLimits, Scope, Template};
use qnce_core::story::{
    CommandId, FileId, FunctionId, NodeData, NodeId, SourceFile, StoryData, Translation, VarId,
};
use qnce_core::value::Type;

use crate::diagnostic::Severity;
use crate::po::{Catalogue, Entry};
use crate::source::Source;
use crate::{Finding, Limits};

/// A locale's coverage: how many of the story's texts it translates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The locale's tag.
    pub locale: String,
    /// Texts with a translation in use.
    pub translated: usize,
    /// Texts in the story.
    pub total: usize,
}

/// Each locale's coverage of `story`'s texts.
pub fn coverage(story: &qnce_core::Story) -> Vec<Coverage> {
    let total: usize = story
        .node_ids()
        .map(|n| 1 + story.node_choices(n).count())
        .sum();
    story
        .translations()
        .iter()
        .map(|t| Coverage {
            locale: t.locale.to_string(),
            translated: t.lines.len(),
            total,
        })
        .collect()
}

/// The translations read and their files (for diagnostics).
pub(crate) struct Locales {
    pub(crate) translations: Vec<Translation>,
    pub(crate) files: Vec<SourceFile>,
}

/// What a translation's text resolves names against: the story's variables, nodes and
/// functions, as compiled.
struct DataScope<'d> {
    data: &'d StoryData,
    vars: FxHashMap<&'d str, (VarId, Type)>,
    nodes: FxHashSet<NodeId>,
}

impl Scope for DataScope<'_> {
    fn var(&self, name: &str) -> Option<(VarId, Type)> {
        self.vars.get(name).copied()
    }
    fn node(&self, name: &str) -> Option<NodeId> {
        let id = self.data.names.nodes.lookup(name)?;
        self.nodes.contains(&id).then_some(id)
    }
    fn command(&self, _: &str) -> Option<(CommandId, &[Type])> {
        None
    }
    fn function(&self, name: &str) -> Option<(FunctionId, &[Type], Type)> {
        let id = self.data.names.functions.lookup(name)?;
        let f = self.data.functions.iter().find(|f| f.id == id)?;
        Some((f.id, &f.params[..], f.returns))
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
    };
    let mut paths: Vec<_> = source
        .files_in(&root.join("locales"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "po"))
        .collect();
    paths.sort();
    let sources = texts_by_line(&data.nodes);
    let scope = DataScope {
        data,
        vars: data
            .variables
            .iter()
            .map(|(id, v)| (data.names.vars.name(*id), (*id, v.ty())))
            .collect(),
        nodes: data.nodes.iter().map(|n| n.node.id).collect(),
    };
    for path in paths {
        // `pt_BR.po` (Poedit's name) is the locale `pt-BR`.
        let Some(locale) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(|s| s.replace('_', "-"))
        else {
            continue;
        };
        let file = FileId((first_file + out.files.len()) as u32);
        let text = crate::read::read_text(source, &path, limits);
        out.files.push(SourceFile {
            path: path.clone(),
            text: Arc::from(text.as_deref().unwrap_or("")),
        });
        // A translation that cannot be read is an error, not a language gone quietly.
        let text = match text {
            Ok(text) => text,
            Err(crate::read::ReadFailure::Finding(d)) => {
                findings.push(Finding {
                    at: Some((d.line, d.col)),
                    ..Finding::error(file, Vec::new(), d.message)
                });
                continue;
            }
            Err(crate::read::ReadFailure::Io(e)) => {
                findings.push(Finding {
                    at: Some((1, 1)),
                    ..Finding::error(
                        file,
                        Vec::new(),
                        format!("cannot read the translation: {e}"),
                    )
                });
                continue;
            }
        };
        let catalogue = match Catalogue::parse(&text) {
            Ok(c) => c,
            Err(e) => {
                findings.push(Finding {
                    at: Some((e.line, e.col)),
                    ..Finding::error(file, Vec::new(), e.message)
                });
                continue;
            }
        };
        let mut translation = Translation {
            locale: locale.as_str().into(),
            lines: FxHashMap::default(),
        };
        let needed = qnce_core::runtime::plural_categories(&locale);
        for entry in catalogue.entries.iter().filter(|e| !e.obsolete) {
            if let Some(template) = check(entry, &sources, &scope, limits.expr(), file, findings) {
                if let Some(needed) = &needed {
                    check_plurals(&template, needed, &locale, entry, file, findings);
                }
                translation
                    .lines
                    .insert(entry.line.as_str().into(), template);
            }
        }
        out.translations.push(translation);
    }
    out
}

/// Each text of the story by line id: its source and compiled template.
fn texts_by_line(nodes: &[NodeData]) -> FxHashMap<&str, (&str, &Template)> {
    let mut map = FxHashMap::default();
    for node in nodes {
        map.insert(&*node.text.line, (&*node.text.source, &node.text.template));
        for c in &node.choices {
            map.insert(&*c.text.line, (&*c.text.source, &c.text.template));
        }
    }
    map
}

/// One entry checked against the text it translates: its template, when it is in use.
fn check(
    entry: &Entry,
    sources: &FxHashMap<&str, (&str, &Template)>,
    scope: &DataScope<'_>,
    limits: ExprLimits,
    file: FileId,
    findings: &mut Vec<Finding>,
) -> Option<Template> {
    if entry.translation.is_empty() {
        return None;
    }
    let (line, col) = entry.translation_at;
    let at = |offset: usize| (line, col + 1 + offset);
    let finding = |severity: Severity, offset: usize, message: String| Finding {
        severity,
        at: Some(at(offset)),
        ..Finding::error(file, Vec::new(), message)
    };
    let Some(&(source, source_template)) = sources.get(entry.line.as_str()) else {
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
    if entry.fuzzy || entry.source != source {
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
            .map(|v| scope.data.names.vars.name(v).to_owned())
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
    entry: &Entry,
    file: FileId,
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
                at: Some((entry.translation_at.0, entry.translation_at.1 + 1)),
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
