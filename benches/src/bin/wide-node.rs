//! Measures a node with very many choices: loading it, showing it (a session started at
//! it) and showing it again (`Session::refresh`, what a live edit or an undo does).
//!
//! `cargo run --release -p qnce-benches --bin wide-node [-- CHOICES]` (default 100000)
//!
//! The choices all lead to one node, with texts of their own (so each id is derived from
//! the target and a slug of its text), and every tenth has a condition.
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use qnce::{Limits, MemoryFiles, Session, SessionConfig};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut text = String::from(
        "Story(title: \"wide\", start: \"hub\", variables: { \"gold\": Int(5) }, nodes: {\n\
         \"hub\": (text: \"A crowd of {gold} doors.\", choices: [\n",
    );
    for i in 0..n {
        let when = if i % 10 == 0 {
            ", when: \"gold > 2\""
        } else {
            ""
        };
        let _ = writeln!(text, "(text: \"Door {i}\", to: \"room\"{when}),");
    }
    text.push_str(
        "]),\n\"room\": (text: \"A room.\", choices: [(text: \"Back\", to: \"hub\")]),\n})\n",
    );
    let files = MemoryFiles::default().with("story.ron", &text);
    let limits = Limits {
        max_file_bytes: 1 << 30,
        max_text_len: 1 << 20,
        ..Limits::default()
    };

    let started = Instant::now();
    let story = qnce::load_from(&files, "story.ron", &limits)?.value;
    let load = started.elapsed();

    let started = Instant::now();
    let mut session = Session::new(&story, SessionConfig::with_seed(1))?;
    let show = started.elapsed();
    assert_eq!(session.n_choices(), n);

    let mut again = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        session.refresh(&story)?;
        again.push(started.elapsed());
    }
    again.sort();

    // Entering it again by a step, and taking that step back.
    session.choose(&story, 1)?;
    let started = Instant::now();
    session.choose(&story, 0)?;
    let enter = started.elapsed();
    let started = Instant::now();
    session.undo(&story)?;
    let undo = started.elapsed();
    let started = Instant::now();
    session.redo(&story)?;
    let redo = started.elapsed();
    let started = Instant::now();
    let save = session.save(&story);
    let restored = Session::restore(&story, &save, SessionConfig::with_seed(1))?;
    let restore = started.elapsed();
    assert_eq!(restored.0.n_choices(), n);

    println!(
        "a node with {n} choices ({} KB of source)",
        text.len() / 1024
    );
    println!("  load:              {:9.1} ms", ms(load));
    println!("  show (start):      {:9.1} ms", ms(show));
    println!("  show again:        {:9.1} ms median of 5", ms(again[2]));
    println!("  entered by a step: {:9.1} ms", ms(enter));
    println!("  that step undone:  {:9.1} ms", ms(undo));
    println!("  and redone:        {:9.1} ms", ms(redo));
    println!("  saved and restored:{:9.1} ms", ms(restore));
    Ok(())
}
