//! `qnce play` in line mode: `--plain` reads commands from standard input, `--choices`
//! takes them from the command line, `--json` prints a machine-readable transcript, and
//! `--watch` applies every save of the story's files while playing.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, select};
use qnce::persist::{read_save, write_save};
use qnce::reload::{Host, SessionKey};
use qnce::watch::WatchConfig;
use qnce::{Limits, LoadError, RuntimeError, Session, SessionConfig};

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
    /// Watch the story's files and apply every save while playing; the session keeps its
    /// state. Commands are read from standard input (after any --choices) until it ends.
    #[arg(long)]
    watch: bool,
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

/// Where commands come from: scripted tokens first, then standard input's lines when
/// reading it.
struct Input {
    script: VecDeque<String>,
    lines: Option<Receiver<String>>,
    /// Whether to print a prompt before waiting for a line.
    prompt: bool,
}

/// What the loop waits for next.
enum Next {
    Command(String),
    Batch(qnce::watch::Batch),
    End,
}

impl Input {
    fn new(args: &PlayArgs) -> Input {
        let script: VecDeque<String> = args
            .choices
            .iter()
            .flatten()
            .map(|t| t.trim().to_owned())
            .collect();
        let read_stdin = args.choices.is_none() || args.watch;
        Input {
            script,
            lines: read_stdin.then(stdin_lines),
            prompt: read_stdin
                && !args.json
                && args.choices.is_none()
                && std::io::stdin().is_terminal(),
        }
    }

    /// Whether a bad command ends play (scripts), rather than being reported.
    fn scripted(&self) -> bool {
        self.lines.is_none()
    }

    fn next(&mut self, batches: &Receiver<qnce::watch::Batch>) -> Next {
        if let Some(token) = self.script.pop_front() {
            return Next::Command(token);
        }
        let Some(lines) = &self.lines else {
            return Next::End;
        };
        if self.prompt {
            print!("> ");
            let _ = std::io::stdout().flush();
        }
        select! {
            recv(lines) -> line => line.map_or(Next::End, Next::Command),
            recv(batches) -> batch => batch.map_or(Next::End, Next::Batch),
        }
    }
}

/// Standard input's lines, read on a thread of their own so that the loop can wait on
/// them and on the watcher at once. The channel closes at the end of input.
fn stdin_lines() -> Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line.trim().to_owned()).is_err() {
                break;
            }
        }
    });
    rx
}

fn random_seed() -> u64 {
    use std::hash::BuildHasher;
    // The CLI may read the clock; the engine never does.
    std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now()) >> 11
}

fn open(path: &Path) -> Result<Host, u8> {
    match Host::open(path, Limits::default()) {
        Ok((host, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            Ok(host)
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

fn start_session(args: &PlayArgs, host: &mut Host) -> Result<SessionKey, u8> {
    if let Some(path) = &args.load {
        let save = read_save(path).map_err(|e| {
            eprintln!("qnce: {e}");
            EXIT_ERRORS
        })?;
        let (session, warnings) = Session::restore(host.story(), &save, SessionConfig::default())
            .map_err(|e| {
            eprintln!("qnce: {}: {e}", path.display());
            EXIT_ERRORS
        })?;
        for w in warnings {
            eprintln!("qnce: warning: {w}");
        }
        return Ok(host.insert_session(session));
    }
    let seed = args.seed.unwrap_or_else(random_seed);
    host.add_session(SessionConfig::with_seed(seed))
        .map_err(|e| {
            eprintln!("qnce: {e}");
            EXIT_ERRORS
        })
}

pub(crate) fn run(args: &PlayArgs) -> u8 {
    let mut host = match open(&args.path) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let player = match start_session(args, &mut host) {
        Ok(k) => k,
        Err(code) => return code,
    };
    if args.watch {
        // Watching starts before the first line is printed: an edit made after the reader
        // saw the start is never missed.
        if let Err(e) = host.watch(&WatchConfig::default()) {
            eprintln!("qnce: {e}");
            return EXIT_USAGE;
        }
        if !args.json {
            eprintln!("(watching {} for changes)", args.path.display());
        }
    }
    let out = Transcript { json: args.json };
    let Some((story, session)) = host.play(player) else {
        return EXIT_ERRORS;
    };
    out.start(story, session);
    if args.load.is_some() {
        // Show where the save resumes.
        if let Err(e) = session.refresh(story) {
            eprintln!("qnce: {e}");
            return EXIT_ERRORS;
        }
    }
    out.events(story, session);
    let mut input = Input::new(args);
    let code = play_loop(args, &mut host, player, &mut input, &out);
    let Some((story, session)) = host.play(player) else {
        return EXIT_ERRORS;
    };
    if code == 0 || input.scripted() {
        out.finish(story, session);
    }
    if let Some(path) = &args.save
        && let Err(e) = write_save(path, &session.save(story))
    {
        eprintln!("qnce: cannot save: {e}");
        return EXIT_ERRORS;
    }
    code
}

fn play_loop(
    args: &PlayArgs,
    host: &mut Host,
    player: SessionKey,
    input: &mut Input,
    out: &Transcript,
) -> u8 {
    let never = crossbeam_channel::never();
    loop {
        let batches = host.watcher().map_or(&never, |w| w.batches());
        let command = match input.next(batches) {
            Next::End => return 0,
            Next::Batch(batch) => {
                if let Some(reloaded) = host.handle(&batch) {
                    out.reload(host.story(), &reloaded, host.session(player));
                }
                continue;
            }
            Next::Command(c) => c,
        };
        let Some((story, session)) = host.play(player) else {
            return EXIT_ERRORS;
        };
        let result: Result<(), RuntimeError> = match command.as_str() {
            "" => continue,
            "quit" | "q" => return 0,
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
}
