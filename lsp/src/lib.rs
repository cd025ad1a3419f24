//! qnce-lsp: the language server of qnce stories (`qnce lsp`), over stdio.
//!
//! What the editor shows is what the engine says: diagnostics come from the engine's own
//! loader ([`qnce_load::load_from`]) reading the editor's unsaved buffers in front of the
//! files, so they are exactly `qnce check`'s, in every file of the story (included files
//! not open in the editor too). Navigation reads each file's [`Outline`] and the names
//! its expressions and texts write ([`qnce_core::expr::names_in_text`]), which works on
//! text that does not load yet.
//!
//! | request | what it does |
//! | --- | --- |
//! | diagnostics | on open, change, save and close, after [`DEBOUNCE`] of quiet, on a thread of their own |
//! | definition | from a node id (`to`, `next`, `call`, `start`, a flow, `visits('…')`, `turns_since('…')`), a variable, function or command in an expression, an asset, an include's path |
//! | references | every use of a node, variable, function, command or asset, in every file |
//! | completion | node ids in `to: "`, `next: "`, `call: "`, `start: "` and `visits('`; variables, functions and commands in expressions; a node's or choice's fields |
//! | hover | a node's text and choices; a variable's type and initial value; a function's or command's signature |
//! | rename | a node, variable, function, command, asset or flow in every file, expressions and texts included; a name that exists is refused |
//! | symbols | a file's nodes (choices inside), variables, functions, commands, assets, flows; the workspace's by fuzzy name |
//!
//! Positions are UTF-16 code units, the protocol's default.
//!
//! [`Outline`]: qnce_load::outline::Outline
//!
//! # Examples
//! ```no_run
//! // What `qnce lsp` runs: serve the editor on standard input and output.
//! qnce_lsp::serve_stdio()?;
//! # Ok::<(), qnce_lsp::Error>(())
//! ```

#![forbid(unsafe_code)]

mod check;
mod complete;
mod hover;
mod index;
mod lines;
mod navigate;
mod overlay;
mod server;
mod symbols;
#[cfg(test)]
mod tests;
mod translations;
mod uri;

pub use server::DEBOUNCE;

/// Why the server stopped before the editor shut it down.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The editor broke the protocol (no `initialize` first, a malformed message).
    #[error("protocol error: {0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// A message's parameters could not be read or written.
    #[error("malformed message: {0}")]
    Json(#[from] serde_json::Error),
    /// Standard input or output failed, or the checking thread could not start.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The editor's side of the connection closed while a message was being sent.
    #[error("the editor closed the connection")]
    Disconnected,
    /// The editor said `exit` without asking the server to shut down first.
    #[error("exit without shutdown")]
    ExitWithoutShutdown,
}

/// Serves one editor over standard input and output until it shuts the server down.
///
/// # Errors
/// As [`Error`].
pub fn serve_stdio() -> Result<(), Error> {
    let (connection, io) = lsp_server::Connection::stdio();
    serve(connection)?;
    io.join()?;
    Ok(())
}

/// Serves one editor over `connection` (`Connection::memory()` in a test) until it shuts
/// the server down.
///
/// # Errors
/// As [`Error`].
pub fn serve(connection: lsp_server::Connection) -> Result<(), Error> {
    server::Server::start(connection)?.run()
}
