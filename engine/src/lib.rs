//! qnce: a hot-reloadable interactive-narrative engine.
//!
//! Stories are written in RON (see `docs/story-format.md`), loaded by [`load()`], and
//! played by a [`Session`], which returns [`Event`]s from each call and can be saved and
//! restored by stable names.
//!
//! This crate is a facade over the engine's layers, each a crate of its own:
//! `qnce-core` (the story model, sessions, saves; no I/O), `qnce-load` (the compiler:
//! files to story, with `path:line:col` diagnostics), `qnce-live` (watching and live
//! reload; feature `watch`) and `qnce-services` (thread pool, assets, telemetry, the
//! `/metrics` endpoint; feature `services`). Both features are on by default; a game that
//! only loads and plays a story can turn them off (`default-features = false`) and builds
//! neither notify nor the HTTP server.
//!
//! # Examples
//! A minimal game loop: load, show the text and choices, choose, until the story ends.
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use qnce::{Event, Limits, Session, SessionConfig};
//!
//! # let dir = std::env::temp_dir().join(format!("qnce-doc-lib-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # std::fs::write(dir.join("story.ron"), r#"Story(
//! #     title: "Door", start: "hall", variables: { "keys": Int(0) },
//! #     nodes: {
//! #         "hall": (text: "A door. Keys: {keys}.", choices: [
//! #             (text: "Take the key", to: "hall", set: ["keys += 1"], once: true),
//! #             (text: "Open the door", to: "out", when: "keys > 0"),
//! #         ]),
//! #         "out": (text: "You are out."),
//! #     },
//! # )"#)?;
//! let story = qnce::load(&dir, &Limits::default())?.value;
//! let mut session = Session::new(&story, SessionConfig::with_seed(42))?;
//! while !session.is_ended() {
//!     println!("{}", session.text());
//!     for (i, (_, text)) in session.choices().enumerate() {
//!         println!("  {}. {text}", i + 1);
//!     }
//!     // A game would ask the player; this one always takes the first choice.
//!     for event in session.choose(&story, 0)? {
//!         if let Event::VariableChanged { var, new, .. } = event {
//!             println!("({} is now {new})", story.var_name(*var));
//!         }
//!     }
//! }
//! assert_eq!(session.text(), "You are out.");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub use qnce_core::{
    AssetId, ChoiceId, ChoiceView, CommandId, Event, FlowId, FromValue, FunctionId, HostFn,
    HostFunctions, NodeId, RuntimeError, SaveData, SaveError, Session, SessionConfig, Story,
    StoryEvent, StoryOption, TextRef, Type, Value, VarId,
};
pub use qnce_core::{MAIN_FLOW, expr, input, runtime, value};
/// A loaded story and what a reload changed in it (from `qnce-core`'s `story`). The ECS
/// world, its components and entities, the interners and the story data the loader builds
/// are the engine's own (`qnce_core::internal`) and are not part of this API: a story is
/// read through [`Story`]'s accessors.
pub mod story {
    pub use qnce_core::story::components::{AssetKind, AssetSource};
    pub use qnce_core::story::{
        AssetId, ChoiceId, ChoiceTarget, CommandId, Delta, FlowId, FunctionDecl, FunctionId,
        NodeField, NodeFlow, NodeId, NodeSummary, Story, TextPiece, VarId,
    };
}
pub use qnce_load::{
    Coverage, Diagnostic, Diagnostics, DiagnosticsIter, FileSystem, Limits, LoadError, Loaded,
    Location, Locator, MemoryFiles, Severity, Source, SourceError, coverage, error_location, load,
    load_from, load_untranslated, node_location,
};
pub use qnce_load::{diagnostic, persist, po, strings};
/// Loading: reads a story's files, parses them and validates the whole story (the
/// `qnce-load` crate).
pub mod load {
    pub use qnce_load::{
        FileJob, FileRead, FileSystem, Limits, LoadError, Loaded, MemoryFiles, NodesDone, NodesJob,
        ParallelMap, Source, SourceError, load, load_data, load_from,
    };
}
/// Every playthrough of a story, to find run-time errors, dead ends and what no player
/// can reach (the `qnce-explore` crate; `qnce explore` on the command line).
pub use qnce_explore as explore;
#[cfg(feature = "watch")]
pub use qnce_live::{reload, watch};
#[cfg(feature = "services")]
pub use qnce_services::{assets, pool, telemetry};
/// The engine's background machinery in one place (the `qnce-services` crate's
/// [`Services`](qnce_services::Services)).
#[cfg(feature = "services")]
pub mod services {
    pub use qnce_services::{Services, ServicesConfig};
}

#[cfg(test)]
mod tests {
    /// The session, the host and the services cross threads: games run them off the
    /// render thread.
    #[test]
    fn session_and_story_are_send() {
        fn is_send<T: Send>() {}
        fn is_sync<T: Sync>() {}
        is_send::<crate::Session>();
        is_send::<crate::Story>();
        is_sync::<crate::Story>();
        // A game may keep its host and services on another thread than the renderer's.
        #[cfg(all(feature = "watch", feature = "services"))]
        {
            is_send::<crate::reload::Host>();
            is_send::<crate::services::Services>();
            is_sync::<crate::services::Services>();
        }
    }
}
