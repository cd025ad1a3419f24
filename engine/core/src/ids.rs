//! Interned, stable identifiers for nodes, choices, variables, assets and flows.
//!
//! An interner only ever grows: a name keeps its id for the whole life of a [`Story`]
//! (reloads included), so session state keyed by ids stays valid when the story is edited.
//! Ids never leave the process; saves use the names.
//!
//! [`Story`]: crate::Story

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The dense index of this id, for tables indexed by id.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl Id for $name {
            fn from_index(index: u32) -> Self {
                $name(index)
            }

            fn index(self) -> usize {
                $name::index(self)
            }
        }
    };
}

id_type!(
    /// The stable id of a node (its name in the story file).
    NodeId
);
id_type!(
    /// The stable id of a choice within its node (explicit `id`, or derived; see the story format).
    ChoiceId
);
id_type!(
    /// The stable id of a story variable.
    VarId
);
id_type!(
    /// The stable id of an asset.
    AssetId
);
id_type!(
    /// The stable id of a flow; the default flow is `main`.
    FlowId
);

id_type!(
    /// The stable id of a command the story declares for the game.
    CommandId
);
id_type!(
    /// The stable id of a function the story declares for the game to provide.
    FunctionId
);

/// An id type made by an [`Interner`].
pub trait Id: Copy {
    /// Makes the id with the given dense index.
    fn from_index(index: u32) -> Self;
    /// The dense index of this id.
    fn index(self) -> usize;
}

/// Maps names to dense ids and back. Append-only.
#[derive(Clone, Debug)]
pub struct Interner<I> {
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, I>,
}

impl<I> Default for Interner<I> {
    fn default() -> Self {
        Interner {
            names: Vec::new(),
            ids: HashMap::default(),
        }
    }
}

impl<I: Id> Interner<I> {
    /// The id of `name`, making one if the name is new.
    pub fn intern(&mut self, name: &str) -> I {
        match self.ids.get(name) {
            Some(&id) => id,
            None => self.insert(Arc::from(name)),
        }
    }

    /// The id of `name`, as [`Interner::intern`], keeping `name` itself (no copy) when
    /// the name is new: for a name another interner holds already.
    pub fn intern_shared(&mut self, name: &Arc<str>) -> I {
        match self.ids.get(&**name) {
            Some(&id) => id,
            None => self.insert(Arc::clone(name)),
        }
    }

    /// Gives `name`, not interned yet, the next id.
    fn insert(&mut self, name: Arc<str>) -> I {
        let index = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let id = I::from_index(index);
        self.names.push(Arc::clone(&name));
        self.ids.insert(name, id);
        id
    }

    /// Makes room for `additional` more names.
    pub fn reserve(&mut self, additional: usize) {
        self.names.reserve(additional);
        self.ids.reserve(additional);
    }

    /// The id of `name`, if it was ever interned.
    pub fn lookup(&self, name: &str) -> Option<I> {
        self.ids.get(name).copied()
    }

    /// The name of `id`. Ids come only from this interner, so the index is in range.
    pub fn name(&self, id: I) -> &str {
        self.names.get(id.index()).map_or("?", |n| n)
    }

    /// Whether `id` is interned as `name`: one comparison, no lookup.
    pub fn is_named(&self, id: I, name: &str) -> bool {
        self.names.get(id.index()).is_some_and(|n| **n == *name)
    }

    /// The shared name of `id`.
    pub fn name_arc(&self, id: I) -> Arc<str> {
        self.names
            .get(id.index())
            .cloned()
            .unwrap_or_else(|| "?".into())
    }

    /// How many names were interned; every id's index is below this.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The interners of one story.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// Node names.
    pub nodes: Interner<NodeId>,
    /// Choice ids (unique within their node).
    pub choices: Interner<ChoiceId>,
    /// Variable names.
    pub vars: Interner<VarId>,
    /// Asset names.
    pub assets: Interner<AssetId>,
    /// Flow names.
    pub flows: Interner<FlowId>,
    /// Command names.
    pub commands: Interner<CommandId>,
    /// Host function names.
    pub functions: Interner<FunctionId>,
}
