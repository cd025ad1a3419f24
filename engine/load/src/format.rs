//! The serde shapes of story files, as written by authors (see docs/story-format.md).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

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

/// A node as written. The fields most nodes leave out are boxed together (see
/// [`NodeRare`]), since a story's parses are held while its nodes are compiled (and
/// some for its reloads).
#[derive(Debug, PartialEq, Hash, Deserialize)]
#[serde(from = "NodeWritten")]
pub(crate) struct NodeDef {
    pub(crate) text: Str,
    pub(crate) choices: Box<[ChoiceDef]>,
    pub(crate) next: Option<Str>,
    pub(crate) on_enter: Box<[Str]>,
    pub(crate) tags: Box<[Str]>,
    /// `None` when every field of it is left out.
    rare: Option<Box<NodeRare>>,
}

/// The fields of a node that most nodes leave out.
#[derive(Debug, PartialEq, Hash)]
struct NodeRare {
    line: Option<Str>,
    call: Option<Str>,
    returns: bool,
    assets: Box<[Str]>,
}

impl From<NodeWritten> for NodeDef {
    fn from(n: NodeWritten) -> NodeDef {
        let rare = (n.line.is_some() || n.call.is_some() || n.returns || !n.assets.is_empty())
            .then(|| {
                Box::new(NodeRare {
                    line: n.line,
                    call: n.call,
                    returns: n.returns,
                    assets: n.assets,
                })
            });
        NodeDef {
            text: n.text,
            choices: n.choices,
            next: n.next,
            on_enter: n.on_enter,
            tags: n.tags,
            rare,
        }
    }
}

/// A node as the story format writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Node")]
struct NodeWritten {
    text: Str,
    /// The text's line id, fixed by the author (else the node's name).
    #[serde(default)]
    line: Option<Str>,
    #[serde(default)]
    choices: Box<[ChoiceDef]>,
    #[serde(default)]
    next: Option<Str>,
    /// A node called when no choice is available; play goes on at `next` on return.
    #[serde(default)]
    call: Option<Str>,
    /// Whether reaching this node with no choice available returns from a call.
    #[serde(default, rename = "return")]
    returns: bool,
    #[serde(default)]
    on_enter: Box<[Str]>,
    #[serde(default)]
    tags: Box<[Str]>,
    #[serde(default)]
    assets: Box<[Str]>,
}

/// A choice as written, its fields most choices leave out boxed together (see
/// [`ChoiceRare`]).
#[derive(Debug, PartialEq, Hash, Deserialize)]
#[serde(from = "ChoiceWritten")]
pub(crate) struct ChoiceDef {
    pub(crate) id: Option<Str>,
    pub(crate) text: Str,
    pub(crate) to: Option<Str>,
    pub(crate) when: Option<Str>,
    pub(crate) set: Box<[Str]>,
    /// `None` when every field of it is left out.
    rare: Option<Box<ChoiceRare>>,
}

/// The fields of a choice that most choices leave out.
#[derive(Debug, PartialEq, Hash)]
struct ChoiceRare {
    line: Option<Str>,
    call: Option<Str>,
    once: bool,
    fallback: bool,
    tags: Box<[Str]>,
}

impl From<ChoiceWritten> for ChoiceDef {
    fn from(c: ChoiceWritten) -> ChoiceDef {
        let written = c.line.is_some() || c.call.is_some() || c.once || c.fallback;
        let rare = (written || !c.tags.is_empty()).then(|| {
            Box::new(ChoiceRare {
                line: c.line,
                call: c.call,
                once: c.once,
                fallback: c.fallback,
                tags: c.tags,
            })
        });
        ChoiceDef {
            id: c.id,
            text: c.text,
            to: c.to,
            when: c.when,
            set: c.set,
            rare,
        }
    }
}

/// A choice as the story format writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Choice")]
struct ChoiceWritten {
    #[serde(default)]
    id: Option<Str>,
    text: Str,
    /// The text's line id, fixed by the author (else `node.choice`).
    #[serde(default)]
    line: Option<Str>,
    #[serde(default)]
    to: Option<Str>,
    /// A node called first; play goes on at `to` on return, else back at this node.
    #[serde(default)]
    call: Option<Str>,
    #[serde(default)]
    when: Option<Str>,
    #[serde(default)]
    set: Box<[Str]>,
    #[serde(default)]
    once: bool,
    #[serde(default)]
    fallback: bool,
    #[serde(default)]
    tags: Box<[Str]>,
}

impl NodeDef {
    /// The text's line id, fixed by the author (else the node's name).
    pub(crate) fn line(&self) -> Option<&Str> {
        self.rare.as_ref()?.line.as_ref()
    }

    /// A node called when no choice is available; play goes on at `next` on return.
    pub(crate) fn call(&self) -> Option<&Str> {
        self.rare.as_ref()?.call.as_ref()
    }

    /// Whether reaching this node with no choice available returns from a call.
    pub(crate) fn returns(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.returns)
    }

    /// The assets the node uses.
    pub(crate) fn assets(&self) -> &[Str] {
        self.rare.as_ref().map_or(&[], |r| &r.assets)
    }

    /// The nodes this node names as ways on: `next` and `call`.
    pub(crate) fn onward(&self) -> impl Iterator<Item = &str> {
        self.next.iter().chain(self.call()).map(|n| &**n)
    }

    /// Every node this node leads to, as written: its choices' targets, then its ways on.
    pub(crate) fn edges(&self) -> impl Iterator<Item = &str> {
        (self.choices.iter().flat_map(ChoiceDef::targets)).chain(self.onward())
    }
}

impl ChoiceDef {
    /// The text's line id, fixed by the author (else `node.choice`).
    pub(crate) fn line(&self) -> Option<&Str> {
        self.rare.as_ref()?.line.as_ref()
    }

    /// A node called first; play goes on at `to` on return, else back at this node.
    pub(crate) fn call(&self) -> Option<&Str> {
        self.rare.as_ref()?.call.as_ref()
    }

    /// Hidden after it was chosen once.
    pub(crate) fn once(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.once)
    }

    /// Never displayed; taken when no other choice is available.
    pub(crate) fn fallback(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.fallback)
    }

    /// The choice's tags.
    pub(crate) fn tags(&self) -> &[Str] {
        self.rare.as_ref().map_or(&[], |r| &r.tags)
    }

    /// The node the choice is named after when it has no `id`: its `to`, else its `call`.
    pub(crate) fn named(&self) -> &str {
        self.to
            .as_deref()
            .or(self.call().map(|c| &**c))
            .unwrap_or("")
    }

    /// The nodes the choice leads to: `call` and `to`.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &str> {
        self.call().into_iter().chain(&self.to).map(|n| &**n)
    }
}

/// A string of a story file as written: a range of the file's text, which it shares, so
/// that the strings of a parse (held while its file's nodes are compiled, and some for
/// reloads) are not an allocation each. A string
/// written with escapes, which the text does not hold as it reads, has a text of its own
/// (and [`Str::WHOLE`] for a start).
///
/// The text is reached through a thin pointer (the file's shared text, shared once more
/// by the parse), so that a string is 16 bytes: a story's parses are mostly strings.
#[derive(Clone)]
pub(crate) struct Str {
    text: Arc<Arc<str>>,
    start: u32,
    len: u32,
}

impl Str {
    /// The start of a string that is its whole text.
    const WHOLE: u32 = u32::MAX;

    pub(crate) fn as_str(&self) -> &str {
        if self.start == Str::WHOLE {
            return &self.text;
        }
        let (start, end) = (self.start as usize, self.start as usize + self.len as usize);
        self.text.get(start..end).unwrap_or_default()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str {
            text: Arc::new(Arc::from(s)),
            start: Str::WHOLE,
            len: 0,
        }
    }
}

impl std::ops::Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str {}

impl std::hash::Hash for Str {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl<'de> Deserialize<'de> for Str {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;

        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Str, E> {
                Ok(TEXT
                    .with_borrow(|text| text.as_ref().and_then(|t| t.range_of(s)))
                    .unwrap_or_else(|| Str::from(s)))
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Str, E> {
                Ok(Str::from(s))
            }
        }

        deserializer.deserialize_str(StrVisitor)
    }
}

/// The text of the file being parsed on this thread, which its strings share.
struct Parsing {
    text: Arc<Arc<str>>,
}

impl Parsing {
    /// `s` as a range of the text, when it is one.
    fn range_of(&self, s: &str) -> Option<Str> {
        let base = self.text.as_ptr() as usize;
        let start = (s.as_ptr() as usize).checked_sub(base)?;
        let in_text = start.checked_add(s.len())? <= self.text.len();
        Some(Str {
            text: Arc::clone(&self.text),
            start: u32::try_from(start).ok().filter(|&s| s != Str::WHOLE)?,
            len: u32::try_from(s.len()).ok()?,
        })
        .filter(|_| in_text)
    }
}

/// Runs `parse` over `text` with the strings it reads sharing `text` (see [`Str`]). The
/// thread's text before is back afterwards, even if `parse` panics (a pool's worker
/// goes on to other work).
pub(crate) fn sharing_text<R>(text: &Arc<str>, parse: impl FnOnce(&str) -> R) -> R {
    struct Restore(Option<Parsing>);
    impl Drop for Restore {
        fn drop(&mut self) {
            TEXT.set(self.0.take());
        }
    }
    let _outer = Restore(TEXT.replace(Some(Parsing {
        text: Arc::new(Arc::clone(text)),
    })));
    parse(text)
}

thread_local! {
    /// The text being parsed on this thread (see [`sharing_text`]).
    static TEXT: std::cell::RefCell<Option<Parsing>> = const { std::cell::RefCell::new(None) };
    /// The most entries a map of the file being parsed on this thread may hold: the
    /// story's node limit, so that a file past it stops parsing at the entry that passes
    /// it, not after the whole file (see [`with_max_entries`]).
    static MAX_ENTRIES: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Runs `parse` with maps bounded to `max` entries each (the bound before is back
/// afterwards, even if `parse` panics).
pub(crate) fn with_max_entries<R>(max: usize, parse: impl FnOnce() -> R) -> R {
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            MAX_ENTRIES.set(self.0);
        }
    }
    let _outer = Restore(MAX_ENTRIES.replace(max));
    parse()
}

/// A RON map read in file order, keeping duplicate keys so that they can be reported.
/// (Keys and the strings of node and choice definitions share the file's text, and their
/// slices are boxed, as long as written: a story's parses are held while its nodes are
/// compiled.)
#[derive(Debug)]
pub(crate) struct Entries<T>(pub(crate) Vec<(Str, T)>);

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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{IncludeFile, Str, sharing_text};

    fn parse(text: &str) -> (Arc<str>, IncludeFile) {
        let text: Arc<str> = Arc::from(text);
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let parsed = sharing_text(&text, |t| options.from_str::<IncludeFile>(t));
        (text, parsed.expect("parses"))
    }

    fn shares(s: &Str, text: &Arc<str>) -> bool {
        Arc::ptr_eq(&*s.text, text) && s.start != Str::WHOLE
    }

    #[test]
    fn strings_share_the_text_they_were_read_from_unless_written_with_escapes() {
        let (text, file) = parse(
            r##"Include(nodes: { "a": (text: "Plain", choices: [(text: "Say \"hi\"", to: "b"), (text: r#"Raw "quote""#, to: "b")]) })"##,
        );
        let (name, node) = &file.nodes.0[0];
        assert_eq!((name.as_str(), node.text.as_str()), ("a", "Plain"));
        assert!(shares(name, &text) && shares(&node.text, &text));
        let [said, raw] = &node.choices[..] else {
            panic!("two choices");
        };
        // An escape: the string is not in the text as written, and has its own.
        assert_eq!(&*said.text, "Say \"hi\"");
        assert!(!shares(&said.text, &text));
        assert_eq!(&*raw.text, r#"Raw "quote""#);
        assert!(shares(&raw.text, &text));
        assert!(said.to.as_ref().is_some_and(|to| shares(to, &text)));
    }

    #[test]
    fn strings_compare_and_hash_by_what_they_say_not_where_they_are() {
        use std::hash::BuildHasher;
        let (_, one) = parse(r#"Include(nodes: { "a": (text: "Same") })"#);
        let (_, two) = parse(r#"Include(nodes: {   "a":   (text:   "Same") })"#);
        assert_eq!(one.nodes.0, two.nodes.0);
        let (a, b) = (&one.nodes.0[0].0, &two.nodes.0[0].0);
        let hasher = std::collections::hash_map::RandomState::new();
        assert_eq!(hasher.hash_one(a), hasher.hash_one(b));
        assert_eq!(hasher.hash_one(a), hasher.hash_one("a"));
        // Outside a parse sharing a text, a string has its own.
        assert!(super::TEXT.with_borrow(Option::is_none));
        let own: Str = ron::from_str(r#""own""#).expect("a string");
        assert_eq!((&*own, own.start), ("own", Str::WHOLE));
    }

    #[test]
    fn fields_written_as_their_defaults_read_as_left_out() {
        let (_, file) = parse(
            r#"Include(nodes: {
                "a": (text: "A", choices: [
                    (text: "Go", to: "b"),
                    (text: "Go", to: "b", once: false, fallback: false, tags: []),
                    (text: "Go", to: "b", once: true),
                    (text: "Go", to: "b", call: "c", tags: ["t"]),
                    (text: "Go", fallback: true),
                    (text: "Go", tags: ["t"]),
                ]),
                "b": (text: "A", choices: [], return: false, assets: []),
                "c": (text: "A", return: true, assets: ["x"], line: "l", call: "d", next: "e"),
            })"#,
        );
        let [(_, a), (_, b), (_, c)] = &file.nodes.0[..] else {
            panic!("three nodes");
        };
        let [left_out, defaults, once, called, fallback, tagged] = &a.choices[..] else {
            panic!("six choices");
        };
        assert_eq!(left_out, defaults);
        assert!(left_out.rare.is_none() && defaults.rare.is_none());
        assert!(once.once() && !once.fallback() && once != left_out);
        assert_eq!(called.call().map(|c| c.as_str()), Some("c"));
        assert_eq!(called.tags(), ["t".into()]);
        assert!(fallback.fallback() && !fallback.once());
        assert_eq!(tagged.tags(), ["t".into()]);
        assert!(b.rare.is_none() && !b.returns() && b.assets().is_empty());
        assert!(c.returns() && c.assets().len() == 1);
        assert_eq!(c.line().map(|l| l.as_str()), Some("l"));
        assert_eq!(c.onward().collect::<Vec<_>>(), ["e", "d"]);
    }

    #[test]
    fn a_parse_that_panics_leaves_the_thread_as_it_found_it() {
        let text: Arc<str> = Arc::from("\"unused\"");
        let caught = std::panic::catch_unwind(|| {
            super::with_max_entries(3, || sharing_text(&text, |_| panic!("a parse failing")))
        });
        assert!(caught.is_err());
        assert!(super::TEXT.with_borrow(Option::is_none));
        assert_eq!(super::MAX_ENTRIES.get(), usize::MAX);
    }
}
