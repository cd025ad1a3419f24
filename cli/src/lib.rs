//! The parts of the `qnce` runner that are more than argument parsing: the full-screen
//! terminal UI ([`tui`]) and what keys and buttons ask of it ([`action`]), game
//! controllers ([`pad`], with the `gamepad` feature), reload outcomes in words
//! ([`report`]) and the `qnce perf` client and dashboard ([`perf`]). The `qnce` binary is a thin shell around them; tests and
//! benches drive them directly (a ratatui `TestBackend`, a real `Gilrs` fed with
//! synthetic events).
#![forbid(unsafe_code)]

pub mod action;
#[cfg(feature = "gamepad")]
pub mod pad;
pub mod perf;
pub mod report;
pub mod signals;
pub mod tui;
