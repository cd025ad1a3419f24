//! `qnce`: play stories in the terminal and check them.
//!
//! The binary is thin: it parses arguments with clap, calls the engine, prints, and maps
//! outcomes to exit codes (0 success, 1 story or play errors, 2 could not run).
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the binary is where the CLI prints"
)]

/// `println!` that ends the process quietly when standard output is closed (a reader such
/// as `head` went away), instead of panicking as `println!` does.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(i32::from(crate::EXIT_BROKEN_PIPE));
        }
    }};
}

mod check;
mod explore;
mod graph;
mod observe;
mod perf_command;
mod play;
mod strings;
mod transcript;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code when the story or the play had errors.
const EXIT_ERRORS: u8 = 1;
/// Exit code when the command could not run at all.
const EXIT_USAGE: u8 = 2;
/// Exit code when standard output was closed, as a shell reports death by SIGPIPE.
const EXIT_BROKEN_PIPE: u8 = 141;

#[derive(Parser)]
#[command(name = "qnce", version, about = "Play and check qnce stories")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load and validate a story without playing it.
    Check {
        /// A story directory (holding story.ron) or a .ron file.
        path: PathBuf,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
        /// Also report how much of the story this locale translates.
        #[arg(long, value_name = "TAG")]
        locale: Option<String>,
    },
    /// Play a story.
    Play(Box<play::PlayArgs>),
    /// Play every playthrough: find run-time errors, dead ends, endings and what no player
    /// can reach, each with the choices that replay it.
    Explore(Box<explore::ExploreArgs>),
    /// Draw the story as a graph: DOT, Mermaid, or SVG and HTML laid out by qnce itself.
    Graph(Box<graph::GraphArgs>),
    /// Watch a running engine (`qnce play --metrics-addr`) from outside.
    Perf(perf_command::PerfArgs),
    /// Translatable texts: the string table for translators.
    #[command(subcommand)]
    Strings(StringsCommand),
    /// Serve an editor over the Language Server Protocol on standard input and output:
    /// diagnostics as you type, go to definition, references, completion, hover, rename.
    Lsp {
        /// Accepted for editors that pass it (stdio is the only transport).
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Subcommand)]
enum StringsCommand {
    /// Write the base catalogue (`template.pot`) and bring every translation beside it
    /// (`*.po`) up to date: changed texts are marked fuzzy, removed ones obsolete.
    Extract {
        /// A story directory (holding story.ron) or a .ron file.
        path: PathBuf,
        /// Where the catalogues are (default: the story's `locales` directory).
        #[arg(short = 'o', long = "out")]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check { path, json, locale } => check::run(&path, json, locale.as_deref()),
        Command::Play(args) => play::run(&args),
        Command::Explore(args) => explore::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Perf(args) => perf_command::run(&args),
        Command::Strings(StringsCommand::Extract { path, out }) => {
            strings::extract_run(&path, out.as_deref())
        }
        Command::Lsp { stdio: _ } => match qnce_lsp::serve_stdio() {
            Ok(()) => 0,
            // The protocol asks for 1 when the editor exits without a shutdown.
            Err(qnce_lsp::Error::ExitWithoutShutdown) => EXIT_ERRORS,
            Err(e) => {
                eprintln!("qnce lsp: {e}");
                EXIT_USAGE
            }
        },
    };
    ExitCode::from(code)
}
