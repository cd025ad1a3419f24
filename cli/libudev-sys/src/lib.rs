//! `libudev-sys` for gilrs, with libudev loaded at run time instead of linked at build
//! time.
//!
//! The registry's `libudev-sys` 0.1.4 links libudev through pkg-config, so building any
//! crate that reaches it (gilrs, for game controllers) needs pkg-config and libudev's
//! development headers. Games, SDL, Godot and Firefox instead open the runtime library,
//! `libudev.so.1`, which nearly every Linux system has, while the `-dev` package is not.
//! The workspace's `[patch.crates-io]` swaps this crate in under the same name and
//! version; it re-exports `libudev-sys-azul`, an API-identical fork that resolves every
//! `udev_*` function from `libudev.so.1` on first use. Where the library cannot be opened,
//! each function returns null or 0: `udev_new()` fails, gilrs reports that controllers
//! are unavailable, and the runner plays with the keyboard and says so.
//!
//! The `unsafe` lives in the fork (one macro that declares the function pointers and the
//! `extern "C"` wrappers); this crate has none.

#![forbid(unsafe_code)]

pub use libudev_sys_azul::*;
