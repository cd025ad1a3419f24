//! A minimal game loop around the engine: load a story, show its text and choices, pick
//! choices (here from the command line instead of a player), react to events, and save.
//!
//! `cargo run -p qnce --example embed -- stories/crossroads 1 2 1`
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example program prints what it plays"
)]

use qnce::{Event, Limits, Session, SessionConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "stories/crossroads".into());
    let picks: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();

    let loaded = qnce::load(&path, &Limits::default())?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let story = loaded.value;
    let mut session = Session::new(&story, SessionConfig::with_seed(2024))?;

    for pick in picks {
        println!("{}", session.text());
        for (i, (_, text)) in session.choices().enumerate() {
            println!("  {}. {text}", i + 1);
        }
        if session.is_ended() {
            break;
        }
        // The session returns what happened; the game decides what to do with it.
        let events = session.choose(&story, pick.saturating_sub(1))?.to_vec();
        for event in events {
            match event {
                Event::VariableChanged { var, old, new } => {
                    println!("[{} {old} -> {new}]", story.var_name(var));
                }
                Event::StoryEnded { node, .. } => println!("[ended at {}]", story.node_name(node)),
                _ => {}
            }
        }
    }
    println!("{}", session.text());
    // A save is keyed by names, so it survives edits to the story.
    let save = session.save(&story);
    println!(
        "\n{} bytes of save, turn {}",
        save.to_ron()?.len(),
        save.turn
    );
    Ok(())
}
