//! qnce-live: a story that follows its files. [`watch`] reports which story files changed
//! (notify, debounced); [`reload`]'s `Reloader` reads and compiles only those, diffs the
//! result against the running story and applies the patch as one transaction, and its
//! `Host` owns a story and its sessions and brings every session along after each reload.
//! With the `services` feature, `Host::attach` reports to telemetry, preloads assets and
//! parses several changed files at once on the engine's pool.
#![forbid(unsafe_code)]

pub mod reload;
pub mod watch;
