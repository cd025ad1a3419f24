//! The serde shapes of story files, as written by authors (see docs/story-format.md).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use qnce_core::value::Value;

/// The main file, `story.ron`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Story")]
pub(crate) struct StoryFile {
    pub(crate) title: String,
    /// The save identity; defaults to the title.
    #[serde(default)]
    pub(crate) id: Option<String>,
    pub(crate) start: String,
    #[serde(default)]
    pub(crate) variables: Entries<Value>,
    #[serde(default)]
    pub(crate) assets: Entries<AssetDef>,
    #[serde(default)]
    pub(crate) flows: Entries<String>,
    /// Commands for the game, by name.
    #[serde(default)]
    pub(crate) commands: Entries<CommandDef>,
    /// Functions the game provides, by name.
    #[serde(default)]
    pub(crate) functions: Entries<FunctionDef>,
    #[serde(default)]
    pub(crate) include: Vec<String>,
    #[serde(default)]
    pub(crate) nodes: Entries<NodeDef>,
    /// Whether every line id of the file is a plain default (see `compile::lines`).
    #[serde(skip)]
    pub(crate) plain_lines: std::sync::OnceLock<bool>,
}

/// A command the story declares for the game: its parameters, by name and type.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Command")]
pub(crate) struct CommandDef {
    #[serde(default)]
    pub(crate) params: Vec<(String, TypeName)>,
}

/// A function the story expects the game to provide: its parameters, its return type,
/// and the expression over the parameters that answers where the game binds nothing.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Function")]
pub(crate) struct FunctionDef {
    #[serde(default)]
    pub(crate) params: Vec<(String, TypeName)>,
    pub(crate) returns: TypeName,
    #[serde(default)]
    pub(crate) fallback: Option<String>,
}

/// A type as written in a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub(crate) enum TypeName {
    Int,
    Float,
    Bool,
    Str,
}

impl TypeName {
    pub(crate) fn ty(self) -> qnce_core::value::Type {
        use qnce_core::value::Type;
        match self {
            TypeName::Int => Type::Int,
            TypeName::Float => Type::Float,
            TypeName::Bool => Type::Bool,
            TypeName::Str => Type::Str,
        }
    }
}

/// An included file: more variables, assets and nodes, and further includes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename = "Include")]
pub(crate) struct IncludeFile {
    #[serde(default)]
    pub(crate) variables: Entries<Value>,
    #[serde(default)]
    pub(crate) assets: Entries<AssetDef>,
    #[serde(default)]
    pub(crate) include: Vec<String>,
    #[serde(default)]
    pub(crate) nodes: Entries<NodeDef>,
    /// Whether every line id of the file is a plain default (see `compile::lines`).
    #[serde(skip)]
    pub(crate) plain_lines: std::sync::OnceLock<bool>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Asset")]
pub(crate) struct AssetDef {
    pub(crate) path: String,
    pub(crate) kind: qnce_core::story::components::AssetKind,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Node")]
pub(crate) struct NodeDef {
    pub(crate) text: Box<str>,
    /// The text's line id, fixed by the author (else the node's name).
    #[serde(default)]
    pub(crate) line: Option<Box<str>>,
    #[serde(default)]
    pub(crate) choices: Box<[ChoiceDef]>,
    #[serde(default)]
    pub(crate) next: Option<Box<str>>,
    /// A node called when no choice is available; play goes on at `next` on return.
    #[serde(default)]
    pub(crate) call: Option<Box<str>>,
    /// Whether reaching this node with no choice available returns from a call.
    #[serde(default, rename = "return")]
    pub(crate) returns: bool,
    #[serde(default)]
    pub(crate) on_enter: Box<[Box<str>]>,
    #[serde(default)]
    pub(crate) tags: Box<[Box<str>]>,
    #[serde(default)]
    pub(crate) assets: Box<[Box<str>]>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename = "Choice")]
pub(crate) struct ChoiceDef {
    #[serde(default)]
    pub(crate) id: Option<Box<str>>,
    pub(crate) text: Box<str>,
    /// The text's line id, fixed by the author (else `node.choice`).
    #[serde(default)]
    pub(crate) line: Option<Box<str>>,
    #[serde(default)]
    pub(crate) to: Option<Box<str>>,
    /// A node called first; play goes on at `to` on return, else back at this node.
    #[serde(default)]
    pub(crate) call: Option<Box<str>>,
    #[serde(default)]
    pub(crate) when: Option<Box<str>>,
    #[serde(default)]
    pub(crate) set: Box<[Box<str>]>,
    #[serde(default)]
    pub(crate) once: bool,
    #[serde(default)]
    pub(crate) fallback: bool,
    #[serde(default)]
    pub(crate) tags: Box<[Box<str>]>,
}

impl NodeDef {
    /// The nodes this node names as ways on: `next` and `call`.
    pub(crate) fn onward(&self) -> impl Iterator<Item = &str> {
        self.next.iter().chain(&self.call).map(|n| &**n)
    }
}

impl ChoiceDef {
    /// The node the choice is named after when it has no `id`: its `to`, else its `call`.
    pub(crate) fn named(&self) -> &str {
        self.to.as_deref().or(self.call.as_deref()).unwrap_or("")
    }

    /// The nodes the choice leads to: `call` and `to`.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &str> {
        self.call.iter().chain(&self.to).map(|n| &**n)
    }
}

thread_local! {
    /// The most entries a map of the file being parsed on this thread may hold: the
    /// story's node limit, so that a file past it stops parsing at the entry that passes
    /// it, not after the whole file (see [`with_max_entries`]).
    static MAX_ENTRIES: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Runs `parse` with maps bounded to `max` entries each.
pub(crate) fn with_max_entries<R>(max: usize, parse: impl FnOnce() -> R) -> R {
    let outer = MAX_ENTRIES.replace(max);
    let result = parse();
    MAX_ENTRIES.set(outer);
    result
}

/// A RON map read in file order, keeping duplicate keys so that they can be reported.
/// (Node and choice definitions hold boxed strings and slices, which are as long as
/// written: a story's parses are kept for its reloads.)
#[derive(Debug)]
pub(crate) struct Entries<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let max = MAX_ENTRIES.get();
                let mut out = Vec::new();
                while let Some(key) = map.next_key()? {
                    // Checked before the entry's value is parsed.
                    if out.len() == max {
                        return Err(serde::de::Error::custom(format!(
                            "more than {max} entries in one map (the limit is the story's node \
                             limit, {max})"
                        )));
                    }
                    out.push((key, map.next_value()?));
                }
                out.shrink_to_fit();
                Ok(Entries(out))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}
