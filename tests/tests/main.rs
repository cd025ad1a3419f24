//! The integration tests: the public API of `qnce` and the built `qnce` binary.
//!
//! - `architecture`: ARCHITECTURE.md's crate graph and invariants, against the manifests
//! - `golden`: scripted playthroughs of every example story against stored transcripts
//! - `cli`: the binary's modes, exit codes and saves
//! - `diagnostics`: one case per diagnostic `qnce check` reports, with its position
//! - `bad_input`: inputs that must give errors, never panics
//! - `runtime`: sessions: undo and redo, flows, chains, host variables, saves
//! - `bevy`: the Bevy plugin in a headless `App`: messages out and in, live edits, two NPCs
//! - `embedding`: a game's sessions on its own threads beside one reloader, stale
//!   sessions, owned events, game-side variables
//! - `expressions`: precedence, types and errors of the expression language
//! - `explore`: `qnce explore` on stories built to hold each kind of problem, and replays
//! - `graph`: `qnce graph` as SVG (read back as XML), DOT and Mermaid
//! - `assets`: the asset cache and preloading's hit rate on the example stories
//! - `telemetry`: telemetry sinks, budgets, span timings, `/metrics` over loopback
//! - `perf`: `qnce perf` against a running `qnce play`, the live dashboard (also in a pty)
//! - `pool`: the thread pool: priorities, full queues, panics, shutdown
//! - `properties`: property tests over random input and random playthroughs
//! - `fuzz`: hostile input as properties: every operator chained and nested, byte edits
//!   of the example stories
//! - `localization`: line ids, `qnce strings extract` and merging translations
//! - `lsp`: `qnce lsp` over stdio as an editor speaks to it: diagnostics of unsaved
//!   buffers, definition, references, completion, hover, rename, symbols
//! - `reload`: live reload through the engine API, one test per kind of edit
//! - `reload_files`: which files a reload reads, keeps pending or parses on the pool
//! - `incremental`: random edit sequences, each reload against a load from scratch: the
//!   same diagnostics and the same story
//! - `watch`: live reload end to end, the real watcher and the real binary
//! - `signals`: signals that end play: the save written, the terminal restored
//! - `storm`: hundreds of saves, some broken, through the real watcher
//! - `input`: the engine's input type: the one path from any device to a session
//! - `gamepad`: controller mapping through gilrs's own events in a real `Gilrs`
//! - `tui`: the full-screen runner drawn into a `TestBackend`, with screen snapshots
//! - `fullscreen`: the real binary full-screen in a pseudo-terminal, keys in, screens out
//!
//! `support` holds the shared helpers (temporary stories, the `qnce` binary); the
//! full-screen tests' terminal is the `qnce-terminal` crate beside this one.
#![expect(
    clippy::unwrap_used,
    unreachable_pub,
    reason = "tests fail by panicking, and their helpers are public to the test modules"
)]

mod architecture;
mod assets;
mod bad_input;
mod bevy;
mod cli;
mod diagnostics;
mod embedding;
mod explore;
mod expressions;
mod fullscreen;
mod fuzz;
mod gamepad;
mod golden;
mod graph;
mod incremental;
mod input;
mod localization;
mod lsp;
mod perf;
mod pool;
mod properties;
mod reload;
mod reload_files;
mod runtime;
mod signals;
mod storm;
mod support;
mod telemetry;
mod tui;
mod watch;
