//! Writes a generated story: `gen-story DIR [NODES [FILES [SEED]]]`
//! (defaults: 10,000 nodes over 100 files, seed 1).
#![expect(
    clippy::print_stderr,
    reason = "a command-line tool reports on standard error"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use qnce_benches::generate::{StoryShape, write_story};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // An option is never a directory to write into (`gen-story --help` once wrote a
    // story named `--help`).
    let Some(dir) = args
        .first()
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
    else {
        eprintln!("usage: gen-story DIR [NODES [FILES [SEED]]]");
        return ExitCode::from(2);
    };
    let num = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let shape = StoryShape {
        n_nodes: num(1, 10_000) as usize,
        n_files: num(2, 100) as usize,
        seed: num(3, 1),
    };
    match write_story(&dir, shape) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-story: {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
