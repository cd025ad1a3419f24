//! Document symbols (a file's nodes with their choices, and its declarations) and
//! workspace symbols (every declaration of the stories the server knows, by a fuzzy
//! match of their names).

use lsp_types::{DocumentSymbol, Location, OneOf, SymbolKind, WorkspaceSymbol};

use crate::index::{FileIndex, StoryFiles, Sym};
use crate::uri;

fn symbol_kind(sym: Sym) -> SymbolKind {
    match sym {
        Sym::Node => SymbolKind::MODULE,
        Sym::Variable => SymbolKind::VARIABLE,
        Sym::Function => SymbolKind::FUNCTION,
        Sym::Command => SymbolKind::EVENT,
        Sym::Asset => SymbolKind::FILE,
        Sym::Flow => SymbolKind::ENUM_MEMBER,
    }
}

/// The declarations of `file`, nodes with their choices as children.
#[expect(
    deprecated,
    reason = "DocumentSymbol's `deprecated` field must be given; it is superseded by `tags`"
)]
pub(crate) fn document_symbols(file: &FileIndex) -> Vec<DocumentSymbol> {
    let outline = &file.outline;
    let values = outline.values();
    file.items
        .iter()
        .filter(|it| it.decl)
        .map(|it| {
            let entry = &values[it.value];
            let key_start = match &entry.step {
                qnce_load::outline::Step::Key { span, .. } => span.start,
                _ => it.span.start,
            };
            let choices = (it.sym == Sym::Node)
                .then(|| outline.field(it.value, "choices"))
                .flatten()
                .map(|c| outline.children(c).collect::<Vec<_>>())
                .unwrap_or_default();
            let children: Vec<DocumentSymbol> = choices
                .into_iter()
                .filter_map(|choice| {
                    let (text_at, text) = outline
                        .field(choice, "text")
                        .and_then(|t| outline.string(t))?;
                    let target = ["to", "call"]
                        .iter()
                        .find_map(|f| outline.field(choice, f).and_then(|v| outline.string(v)));
                    Some(DocumentSymbol {
                        name: if text.trim().is_empty() {
                            "…".to_owned()
                        } else {
                            text.trim().to_owned()
                        },
                        detail: target.map(|(_, t)| format!("→ {t}")),
                        kind: SymbolKind::EVENT,
                        tags: None,
                        deprecated: None,
                        range: file.lines.range(&file.text, values[choice].span.clone()),
                        selection_range: file.lines.range(&file.text, values[text_at].span.clone()),
                        children: None,
                    })
                })
                .collect();
            let detail = (it.sym == Sym::Node)
                .then(|| {
                    outline
                        .field(it.value, "text")
                        .and_then(|t| outline.string(t))
                })
                .flatten()
                .map(|(_, s)| s.trim().lines().next().unwrap_or("").to_owned());
            DocumentSymbol {
                name: it.name.clone(),
                detail: detail.or_else(|| Some(it.sym.noun().to_owned())),
                kind: symbol_kind(it.sym),
                tags: None,
                deprecated: None,
                range: file.lines.range(&file.text, key_start..entry.span.end),
                selection_range: file.lines.range(&file.text, it.span.clone()),
                children: (!children.is_empty()).then_some(children),
            }
        })
        .collect()
}

/// The declarations of `stories` whose names hold `query`'s characters in order
/// (ignoring case), best matches first: a name starting with the query, then one holding
/// it, then the rest.
pub(crate) fn workspace_symbols(stories: &[StoryFiles], query: &str) -> Vec<WorkspaceSymbol> {
    let query = query.to_lowercase();
    let mut found: Vec<(u8, WorkspaceSymbol)> = Vec::new();
    for story in stories {
        for (file, it) in story.items().filter(|(_, it)| it.decl) {
            let name = it.name.to_lowercase();
            let Some(rank) = rank(&name, &query) else {
                continue;
            };
            let Some(uri) = uri::from_path(&file.path) else {
                continue;
            };
            let range = file.lines.range(&file.text, it.span.clone());
            found.push((
                rank,
                WorkspaceSymbol {
                    name: it.name.clone(),
                    kind: symbol_kind(it.sym),
                    tags: None,
                    container_name: Some(
                        story
                            .root()
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    ),
                    location: OneOf::Left(Location::new(uri, range)),
                    data: None,
                },
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    found.into_iter().map(|(_, s)| s).take(1000).collect()
}

/// 0 for a name starting with the query, 1 for one holding it, 2 for one holding its
/// characters in order; `None` for no match.
fn rank(name: &str, query: &str) -> Option<u8> {
    if name.starts_with(query) {
        return Some(0);
    }
    if name.contains(query) {
        return Some(1);
    }
    let mut chars = name.chars();
    query.chars().all(|q| chars.any(|c| c == q)).then_some(2)
}
