//! `qnce play`: full-screen in a terminal (see `qnce_cli::tui`), else in line mode:
//! `--plain` reads commands from standard input, `--choices` takes them from the command
//! line, `--json` prints a machine-readable transcript. `--watch` applies every save of the
//! story's files while playing. Every command reaches the session as a `qnce::input::Input`
//! through `Controls::apply`, as keys and controller buttons do in the full-screen runner.

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::{Receiver, select};
use qnce::input::{Controls, Input, Outcome};
use qnce::persist::{read_save, remove_stale_temporaries, write_save};
use qnce::reload::{Host, SessionKey, Settle};
use qnce::services::Services;
use qnce::watch::WatchConfig;
use qnce::{Limits, LoadError, Session, SessionConfig, Story};
use qnce_cli::signals::{self, Signal};
use qnce_cli::tui::slots::Slots;
use qnce_cli::tui::term::{TermConfig, run as run_full_screen};
use qnce_cli::tui::{App, AppConfig};

use crate::observe::ObserveArgs;
use crate::transcript::Transcript;
use crate::{EXIT_ERRORS, EXIT_USAGE};

/// Where a save goes when `save` is typed and no `--save` was given.
const DEFAULT_SAVE: &str = "qnce-save.ron";

#[derive(clap::Args)]
pub(crate) struct PlayArgs {
    /// A story directory (holding story.ron) or a .ron file.
    path: PathBuf,
    /// Line mode: print text and numbered choices, read one command per line from
    /// standard input: a choice number, undo, redo, flow NAME, save, load, quit (save and
    /// load use the --save file, else qnce-save.ron in the current directory).
    #[arg(long)]
    plain: bool,
    /// Scripted input instead of standard input: line mode's commands separated by commas
    /// (1-based choice numbers, undo, redo, flow NAME, save, load, quit).
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
    /// Take these values for the story's random draws (`random(…)`, `shuffle`), in order,
    /// instead of the seeded generator's; past the last, each draw takes its low end. For
    /// replaying what `qnce explore --all-random` found.
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        value_name = "N,N,…"
    )]
    draws: Option<Vec<i64>>,
    /// Play in this language (`de`, `de-AT` falls back to `de`): the story's
    /// `locales/TAG.po`; a text it does not translate shows as written.
    #[arg(long, value_name = "TAG")]
    locale: Option<String>,
    /// Write the session to FILE when play stops.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Resume the session saved in FILE.
    #[arg(long, value_name = "FILE")]
    load: Option<PathBuf>,
    /// Full screen: the directory of the save slots (default: saves/STORY in qnce's data
    /// directory: $XDG_DATA_HOME/qnce or ~/.local/share/qnce on Linux, ~/Library/Application
    /// Support/qnce on macOS, %APPDATA%\qnce\data on Windows).
    #[arg(long, value_name = "DIR")]
    save_dir: Option<PathBuf>,
    /// Full screen: do not read game controllers.
    #[arg(long)]
    no_gamepad: bool,
    #[command(flatten)]
    observe: ObserveArgs,
}

impl PlayArgs {
    /// Whether to play full-screen: no line-mode option was given and standard output is
    /// a terminal.
    fn full_screen(&self) -> bool {
        !self.plain && !self.json && self.choices.is_none() && std::io::stdout().is_terminal()
    }
}

/// Where commands come from: scripted tokens first, then standard input's lines when
/// reading it.
struct Commands {
    script: VecDeque<String>,
    lines: Option<Receiver<String>>,
    /// Signals that end play.
    signals: Receiver<Signal>,
    /// Whether to print a prompt before waiting for a line.
    prompt: bool,
}

/// What the loop waits for next.
enum Next {
    Command(String),
    Batch(qnce::watch::Batch),
    /// The deadline passed (a held rejected reload is due).
    Due,
    Signal(Signal),
    End,
}

impl Commands {
    fn new(args: &PlayArgs, signals: Receiver<Signal>) -> Commands {
        let script: VecDeque<String> = args
            .choices
            .iter()
            .flatten()
            .map(|t| t.trim().to_owned())
            .collect();
        let read_stdin = args.choices.is_none() || args.watch;
        Commands {
            script,
            lines: read_stdin.then(stdin_lines),
            signals,
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

    /// The next thing to do: a signal, a scripted command, then whichever comes first of a
    /// line, a batch of changes and `deadline`.
    fn next(&mut self, batches: &Receiver<qnce::watch::Batch>, deadline: Option<Instant>) -> Next {
        if let Ok(signal) = self.signals.try_recv() {
            return Next::Signal(signal);
        }
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
        let due = deadline.map_or_else(crossbeam_channel::never, crossbeam_channel::at);
        select! {
            recv(lines) -> line => line.map_or(Next::End, Next::Command),
            recv(batches) -> batch => batch.map_or(Next::End, Next::Batch),
            recv(self.signals) -> signal => signal.map_or(Next::End, Next::Signal),
            recv(due) -> _ => Next::Due,
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

/// The host of the story at `path`, its files read, parsed and compiled on the services'
/// pool.
fn open(path: &Path, services: &Services) -> Result<Host, u8> {
    match Host::open_attached(path, &Limits::default(), services) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{}", crate::check::render(w));
            }
            Ok(loaded.value)
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

/// The session saved at `path`, its warnings printed; a save that cannot be read or
/// restored is an error on `out`.
fn restore(
    host: &Host,
    path: &Path,
    config: SessionConfig,
    out: &Transcript,
) -> Result<Session, u8> {
    let save = read_save(path).map_err(|e| {
        out.error(&e);
        EXIT_ERRORS
    })?;
    let (session, warnings) = Session::restore(host.story(), &save, config).map_err(|e| {
        out.error(&format!("{}: {e}", path.display()));
        EXIT_ERRORS
    })?;
    for w in warnings {
        eprintln!("qnce: warning: {w}");
    }
    Ok(session)
}

fn start_session(args: &PlayArgs, host: &mut Host) -> Result<SessionKey, u8> {
    if let Some(path) = &args.load {
        let session = restore(
            host,
            path,
            SessionConfig {
                locale: args.locale.clone(),
                ..SessionConfig::default()
            },
            &Transcript { json: args.json },
        )?;
        return Ok(host.insert_session(session));
    }
    let seed = args.seed.unwrap_or_else(random_seed);
    host.add_session(SessionConfig {
        locale: args.locale.clone(),
        draws: args.draws.clone(),
        ..SessionConfig::with_seed(seed)
    })
    .map_err(|e| {
        Transcript { json: args.json }.runtime_error(host.story(), &e);
        EXIT_ERRORS
    })
}

pub(crate) fn run(args: &PlayArgs) -> u8 {
    // Started first, so that loading the story is timed and traced too.
    let observed = match crate::observe::start(&args.observe) {
        Ok(observed) => observed,
        Err(e) => {
            eprintln!("qnce: {e}");
            return EXIT_USAGE;
        }
    };
    let code = match open(&args.path, observed.services()) {
        Ok(host) => play(args, host),
        Err(code) => code,
    };
    observed.shutdown();
    code
}

fn play(args: &PlayArgs, mut host: Host) -> u8 {
    // From here on a signal ends play through the runner, which saves and restores the
    // terminal first. (While the story loads, a signal ends the program at once.)
    let signals = match signals::catch() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("qnce: cannot catch signals: {e}");
            return EXIT_USAGE;
        }
    };
    clean_save_dirs(args, host.story());
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
        if !args.json && !args.full_screen() {
            eprintln!("(watching {} for changes)", args.path.display());
        }
    }
    if args.full_screen() {
        return full_screen(args, host, player, signals);
    }
    let out = Transcript { json: args.json };
    let Some((story, session)) = host.play(player) else {
        return EXIT_ERRORS;
    };
    out.start(story, session);
    if args.load.is_some() {
        // Show where the save resumes.
        if let Err(e) = session.refresh(story) {
            out.runtime_error(story, &e);
            return EXIT_ERRORS;
        }
    }
    out.events(story, session);
    let mut commands = Commands::new(args, signals);
    let stop = play_loop(args, &mut host, player, &mut commands, &out);
    let Some((story, session)) = host.play(player) else {
        return EXIT_ERRORS;
    };
    if stop == Stop::Code(0) || (commands.scripted() && matches!(stop, Stop::Code(_))) {
        out.finish(story, session);
    }
    save_on_exit(args, story, session, stop)
}

/// Removes the temporary files an earlier run left beside `--save` and in the slot
/// directory when it was killed while writing.
fn clean_save_dirs(args: &PlayArgs, story: &Story) {
    let beside_save = args.save.as_ref().map(|path| match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    });
    for dir in beside_save.into_iter().chain([save_dir(args, story)]) {
        match remove_stale_temporaries(&dir) {
            Ok(0) => {}
            Ok(n) => eprintln!(
                "removed {n} temporary file(s) that an interrupted save left in {}",
                dir.display()
            ),
            Err(e) => eprintln!("qnce: cannot clean {}: {e}", dir.display()),
        }
    }
}

/// How play stopped: with an exit code, or by a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Code(u8),
    Signal(Signal),
}

/// Writes `--save` if given, and returns the exit code: a failed save is an error, and a
/// signal's code is 128 and its number.
fn save_on_exit(args: &PlayArgs, story: &Story, session: &Session, stop: Stop) -> u8 {
    if let Stop::Signal(signal) = stop {
        eprintln!("qnce: {}: stopping", signal.name());
    }
    if let Some(path) = &args.save {
        match write_save(path, &session.save(story)) {
            Ok(()) if matches!(stop, Stop::Signal(_)) => eprintln!("saved to {}", path.display()),
            Ok(()) => {}
            Err(e) => {
                eprintln!("qnce: cannot save: {e}");
                return EXIT_ERRORS;
            }
        }
    }
    match stop {
        Stop::Code(code) => code,
        Stop::Signal(signal) => signal.exit_code(),
    }
}

/// The slot directory for `story`: `--save-dir`, else `saves/STORY` in the platform's data
/// directory for qnce (`directories`: `$XDG_DATA_HOME/qnce` or `~/.local/share/qnce` on
/// Linux, `~/Library/Application Support/qnce` on macOS, `%APPDATA%\qnce\data` on
/// Windows), else `qnce-saves` in the current directory when there is no home directory.
fn save_dir(args: &PlayArgs, story: &qnce::Story) -> PathBuf {
    if let Some(dir) = &args.save_dir {
        return dir.clone();
    }
    let data = directories::ProjectDirs::from("", "", "qnce").map(|d| d.data_dir().to_owned());
    let slug: String = story
        .save_id()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    match data {
        Some(data) => data.join("saves").join(slug),
        None => PathBuf::from("qnce-saves").join(slug),
    }
}

fn full_screen(args: &PlayArgs, host: Host, player: SessionKey, signals: Receiver<Signal>) -> u8 {
    /// How many save slots the full-screen runner offers.
    const N_SLOTS: usize = 5;
    let slots = Slots::new(save_dir(args, host.story()), N_SLOTS);
    let config = AppConfig {
        slots,
        watching: args.watch,
    };
    let mut app = App::new(host, player, config);
    let result = run_full_screen(
        &mut app,
        TermConfig {
            pads: !args.no_gamepad,
            signals,
        },
    );
    // The terminal is restored here, whatever happened.
    let stop = match result {
        Ok(None) => Stop::Code(0),
        Ok(Some(signal)) => Stop::Signal(signal),
        Err(e) => {
            eprintln!("qnce: terminal: {e}");
            return EXIT_USAGE;
        }
    };
    let mut host = app.into_host();
    let Some((story, session)) = host.play(player) else {
        return EXIT_ERRORS;
    };
    save_on_exit(args, story, session, stop)
}

fn play_loop(
    args: &PlayArgs,
    host: &mut Host,
    player: SessionKey,
    commands: &mut Commands,
    out: &Transcript,
) -> Stop {
    let never = crossbeam_channel::never();
    let mut controls = Controls::default();
    // A rejected reload is printed once the files settle (see `Settle`).
    let mut settle = Settle::default();
    loop {
        let batches = host.watcher().map_or(&never, |w| w.batches());
        let command = match commands.next(batches, settle.deadline()) {
            Next::End => return Stop::Code(0),
            Next::Signal(signal) => return Stop::Signal(signal),
            Next::Batch(batch) => {
                if let Some(reloaded) = host.handle(&batch)
                    && let Some(reloaded) = settle.offer(reloaded, Instant::now())
                {
                    out.reload(host.story(), &reloaded, host.session(player));
                }
                continue;
            }
            Next::Due => {
                if let Some(reloaded) = settle.due(Instant::now()) {
                    out.reload(host.story(), &reloaded, host.session(player));
                }
                continue;
            }
            Next::Command(c) => c,
        };
        if command.is_empty() {
            continue;
        }
        let read_at = Instant::now();
        let input = match Input::parse(&command, host.story()) {
            Ok(input) => input,
            Err(e) => {
                out.error(&e);
                if commands.scripted() {
                    return Stop::Code(EXIT_ERRORS);
                }
                continue;
            }
        };
        let Some(result) = host.input(player, &mut controls, input) else {
            return Stop::Code(EXIT_ERRORS);
        };
        let Some((story, session)) = host.play(player) else {
            return Stop::Code(EXIT_ERRORS);
        };
        match result {
            Ok(Outcome::Played) => {
                out.events(story, session);
                // Line mode's latency: the command read to its events printed.
                if let Some(telemetry) = host.telemetry() {
                    telemetry.input_latency(read_at.elapsed());
                }
            }
            Ok(Outcome::ForRunner(Input::Quit)) => return Stop::Code(0),
            Ok(Outcome::ForRunner(Input::Save)) => save_line_mode(args, story, session),
            Ok(Outcome::ForRunner(Input::Load)) => {
                if let Err(code) = load_line_mode(args, host, player, out) {
                    return Stop::Code(code);
                }
            }
            Ok(Outcome::ForRunner(_)) => {
                eprintln!("qnce: `{command}` works in the full-screen runner only");
            }
            // Moved, Nothing, and outcomes a later engine may add: nothing to print.
            Ok(_) => {}
            Err(e) => {
                out.runtime_error(story, &e);
                if commands.scripted() {
                    return Stop::Code(EXIT_ERRORS);
                }
            }
        }
    }
}

/// Line mode's `save`: the session to `--save`, else `qnce-save.ron`.
fn save_line_mode(args: &PlayArgs, story: &Story, session: &Session) {
    let path = save_file(args);
    match write_save(&path, &session.save(story)) {
        Ok(()) => eprintln!("saved to {}", path.display()),
        Err(e) => eprintln!("qnce: cannot save: {e}"),
    }
}

/// Line mode's `load`: the player's session replaced by the save's, shown again. A save
/// that cannot be restored leaves the session as it was (`restore` said why).
fn load_line_mode(
    args: &PlayArgs,
    host: &mut Host,
    player: SessionKey,
    out: &Transcript,
) -> Result<(), u8> {
    let path = save_file(args);
    let config = host.play(player).ok_or(EXIT_ERRORS)?.1.config().clone();
    let Ok(restored) = restore(host, &path, config, out) else {
        return Ok(());
    };
    host.replace_session(player, restored);
    let (story, session) = host.play(player).ok_or(EXIT_ERRORS)?;
    eprintln!("loaded {}", path.display());
    if let Err(e) = session.refresh(story) {
        out.runtime_error(story, &e);
    }
    out.events(story, session);
    Ok(())
}

/// Where line mode's `save` and `load` go: `--save`, else `qnce-save.ron`.
fn save_file(args: &PlayArgs) -> PathBuf {
    args.save
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SAVE))
}
