//! qnce: a hot-reloadable interactive-narrative engine.
//!
//! Stories are written in RON (see `docs/story-format.md`), loaded into a bevy_ecs
//! [`World`](bevy_ecs::world::World) by [`load`], and played by a [`Session`], which
//! returns [`Event`]s from each call and can be saved and restored by stable names.
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
//! let story = qnce::load(&dir, &Limits::default())?.story;
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

pub mod assets;
pub mod diagnostic;
pub mod expr;
pub mod input;
pub mod load;
pub mod persist;
pub mod pool;
pub mod reload;
pub mod runtime;
pub mod services;
pub mod story;
pub mod telemetry;
pub mod value;
pub mod watch;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use load::{Limits, LoadError, Loaded, load};
pub use runtime::{
    ChoiceView, Event, RuntimeError, SaveData, SaveError, Session, SessionConfig, TextRef,
};
pub use story::{AssetId, ChoiceId, FlowId, NodeId, Story, VarId};
pub use value::{Type, Value};

/// The name of the default flow, which starts at the story's `start` node.
pub const MAIN_FLOW: &str = "main";

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
        is_send::<crate::reload::Host>();
        is_send::<crate::services::Services>();
        is_sync::<crate::services::Services>();
    }
}
