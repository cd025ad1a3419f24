//! qnce-core: the engine's model and runtime, with no I/O, no threads and no clock.
//!
//! [`Story`] holds a compiled story in a bevy_ecs `World`; a [`Session`] plays it, returning
//! [`Event`]s from each call, with undo, flows and saves keyed by names ([`SaveData`]).
//! Expressions ([`expr`]) are parsed and type-checked once; [`input`] is the one path from
//! any device to a session. Stories reach this crate already compiled: `qnce-load` reads
//! and compiles files, `qnce-live` patches a running story, and the `qnce` facade puts the
//! layers together for games.
#![forbid(unsafe_code)]

pub mod expr;
pub mod ids;
pub mod input;
pub mod internal;
pub mod runtime;
pub mod story;
pub mod suggest;
pub mod value;

pub use runtime::{
    ChoiceView, Event, HostFn, HostFunctions, RuntimeError, SaveData, SaveError, Session,
    SessionConfig, StoryEvent, StoryOption, TextRef,
};
pub use story::{AssetId, ChoiceId, CommandId, FlowId, FunctionId, NodeId, Story, VarId};
pub use value::{FromValue, Type, Value};

/// The name of the default flow, which starts at the story's `start` node.
pub const MAIN_FLOW: &str = "main";
