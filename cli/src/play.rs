//! `qnce play` in line mode: `--plain` reads commands from standard input, `--choices`
//! takes them from the command line, `--json` prints a machine-readable transcript.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use qnce::persist::{read_save, write_save};
use qnce::{Limits, LoadError, RuntimeError, Session, SessionConfig, Story};

use crate::transcript::Transcript;
use crate::{EXIT_ERRORS, EXIT_USAGE};

/// Where a save goes when `save` is typed and no `--save` was given.
const DEFAULT_SAVE: &str = "qnce-save.ron";

#[derive(clap::Args)]
pub(crate) struct PlayArgs {
    /// A story directory (holding story.ron) or a .ron file.
    path: PathBuf,
    /// Line mode: print text and numbered choices, read one command per line from
    /// standard input (a choice number, undo, redo, flow NAME, save, quit).
    #[arg(long)]
    plain: bool,
    /// Scripted input instead of standard input: 1-based choice numbers, undo, redo and
    /// flow:NAME, separated by commas.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    choices: Option<Vec<String>>,
    /// Print a JSON-lines transcript.
    #[arg(long)]
    json: bool,
    /// Seed of the story's random generator (default: random, always reported).
    #[arg(long, conflicts_with = "load")]
    seed: Option<u64>,
    /// Write the session to FILE when play stops.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Resume the session saved in FILE.
    #[arg(long, value_name = "FILE")]
    load: Option<PathBuf>,
}

/// Where commands come from.
enum Input {
    Script(VecDeque<String>),
    Lines(std::io::StdinLock<'static>),
}

impl Input {
    fn next(&mut self, prompt: bool) -> Option<String> {
        match self {
            Input::Script(tokens) => tokens.pop_front(),
            Input::Lines(stdin) => {
                if prompt {
                    print!("> ");
                    let _ = std::io::stdout().flush();
                }
                let mut line = String::new();
                match stdin.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line.trim().to_owned()),
                }
            }
        }
    }

    fn scripted(&self) -> bool {
        matches!(self, Input::Script(_))
    }
}

fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    // The CLI may read the clock; the engine never does.
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now()) >> 11
}

fn load_story(path: &Path) -> Result<Story, u8> {
    match qnce::load(path, &Limits::default()) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            Ok(loaded.story)
        }
        Err(LoadError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{}", crate::check::render(d));
            }
            Err(EXIT_ERRORS)
        }
        Err(e) => {
            eprintln!("qnce: {e}");
            Err(EXIT_USAGE)
        }
    }
}

fn start_session(args: &PlayArgs, story: &Story) -> Result<Session, u8> {
    if let Some(path) = &args.load {
        let save = read_save(path).map_err(|e| {
            eprintln!("qnce: {e}");
            EXIT_ERRORS
        })?;
        let (session, warnings) = Session::restore(story, &save, SessionConfig::default())
            .map_err(|e| {
                eprintln!("qnce: {}: {e}", path.display());
                EXIT_ERRORS
            })?;
        for w in warnings {
            eprintln!("qnce: warning: {w}");
        }
        return Ok(session);
    }
    let seed = args.seed.unwrap_or_else(random_seed);
    Session::new(story, SessionConfig::with_seed(seed)).map_err(|e| {
        eprintln!("qnce: {e}");
        EXIT_ERRORS
    })
}

pub(crate) fn run(args: &PlayArgs) -> u8 {
    let story = match load_story(&args.path) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut session = match start_session(args, &story) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let out = Transcript { json: args.json };
    out.start(&story, &session);
    if args.load.is_some() {
        // Show where the save resumes.
        if let Err(e) = session.refresh(&story) {
            eprintln!("qnce: {e}");
            return EXIT_ERRORS;
        }
    }
    out.events(&story, &session);
    let mut input = match &args.choices {
        Some(tokens) => Input::Script(tokens.iter().map(|t| t.trim().to_owned()).collect()),
        None => Input::Lines(std::io::stdin().lock()),
    };
    let prompt = !input.scripted() && !args.json && std::io::stdin().is_terminal();
    let code = play_loop(args, &story, &mut session, &mut input, &out, prompt);
    if code == 0 || input.scripted() {
        out.finish(&story, &session);
    }
    if let Some(path) = &args.save
        && let Err(e) = write_save(path, &session.save(&story))
    {
        eprintln!("qnce: cannot save: {e}");
        return EXIT_ERRORS;
    }
    code
}

fn play_loop(
    args: &PlayArgs,
    story: &Story,
    session: &mut Session,
    input: &mut Input,
    out: &Transcript,
    prompt: bool,
) -> u8 {
    while let Some(command) = input.next(prompt) {
        let result: Result<(), RuntimeError> = match command.as_str() {
            "" => continue,
            "quit" | "q" => break,
            "undo" => session.undo(story).map(|_| ()),
            "redo" => session.redo(story).map(|_| ()),
            "save" => {
                let path = args
                    .save
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_SAVE));
                match write_save(&path, &session.save(story)) {
                    Ok(()) => eprintln!("saved to {}", path.display()),
                    Err(e) => eprintln!("qnce: cannot save: {e}"),
                }
                continue;
            }
            c if c.starts_with("flow") => {
                let name = c
                    .trim_start_matches("flow")
                    .trim_start_matches([':', ' '])
                    .trim();
                match story.flow_id(name) {
                    Some(flow) => session.switch_flow(story, flow).map(|_| ()),
                    None => Err(RuntimeError::UnknownFlow(name.to_owned())),
                }
            }
            c => match c.parse::<usize>() {
                Ok(n) if n >= 1 => session.choose(story, n - 1).map(|_| ()),
                Ok(_) => Err(RuntimeError::NoSuchChoice {
                    node: session
                        .current_node()
                        .map_or("?", |n| story.node_name(n))
                        .to_owned(),
                    number: 0,
                    n_choices: session.n_choices(),
                }),
                Err(_) => {
                    eprintln!(
                        "qnce: unknown command `{c}` (a choice number, undo, redo, flow NAME, save, quit)"
                    );
                    if input.scripted() {
                        return EXIT_ERRORS;
                    }
                    continue;
                }
            },
        };
        match result {
            Ok(()) => out.events(story, session),
            Err(e) => {
                eprintln!("qnce: {e}");
                if input.scripted() {
                    return EXIT_ERRORS;
                }
            }
        }
    }
    0
}
