//! Access to a story's ECS world and interners for the engine's own crates.
//!
//! `qnce-load`, `qnce-live` and `qnce-services` read the components a story is stored in;
//! a game reads a story through [`Story`]'s accessors (tags, texts, assets, names) and
//! never sees its entities. This trait is how the engine's crates reach past that
//! line: the `qnce` facade does not re-export this module, so a game that depends on
//! `qnce` alone cannot name it, and the world's layout stays free to change.

use bevy_ecs::prelude::{Entity, World};
use bevy_ecs::world::EntityRef;

use crate::ids::{Names, NodeId};
use crate::story::Story;

/// A story's world, entities and interned names.
pub trait StoryInternals {
    /// The world holding the story's entities, for queries and change detection.
    fn world(&self) -> &World;
    /// The interned names.
    fn names(&self) -> &Names;
    /// The interned names, mutably: a reload interns new names before it diffs. Interners
    /// only grow, so names interned by a reload that fails are unused but harmless.
    fn names_mut(&mut self) -> &mut Names;
    /// The entity of a node, if the story has it.
    fn node_entity(&self, id: NodeId) -> Option<Entity>;
    /// The node's entity as a read-only view, if the story has it.
    fn node(&self, id: NodeId) -> Option<EntityRef<'_>>;
}

impl StoryInternals for Story {
    fn world(&self) -> &World {
        Story::world(self)
    }
    fn names(&self) -> &Names {
        Story::names(self)
    }
    fn names_mut(&mut self) -> &mut Names {
        Story::names_mut(self)
    }
    fn node_entity(&self, id: NodeId) -> Option<Entity> {
        Story::node_entity(self, id)
    }
    fn node(&self, id: NodeId) -> Option<EntityRef<'_>> {
        Story::node(self, id)
    }
}
