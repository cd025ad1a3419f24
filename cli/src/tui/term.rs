//! The terminal around [`App`]: raw mode and the alternate screen (restored on every
//! exit: normal, error and panic), the threads that read keys and controllers, and the
//! loop that waits on them, on the watcher and on the banner's timer at once.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event as TermEvent};

use super::{App, PadSupport};
use crate::signals::Signal;

/// Something the loop waits for, from the reading threads.
enum Message {
    /// A key that means an input, and when it was read.
    Key(crate::action::Action, Instant),
    /// The terminal was resized.
    Resize,
    /// Reading the terminal failed; play cannot go on.
    TerminalGone(std::io::Error),
    /// A controller's news, and when it was read.
    #[cfg(feature = "gamepad")]
    Pad(crate::pad::PadEvent, Instant),
}

/// Restores the terminal when dropped, so that an early return restores it too; a panic
/// is covered by the hook that `ratatui::try_init` installs.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The hook `ratatui::try_init` installs restores the terminal on any panic, but a panic
/// in an engine pool job is caught, counted and reported as telemetry, and play goes on:
/// for those, neither restore the terminal nor print over the screen.
fn keep_screen_on_pool_panics() {
    let restoring = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let on_pool = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with("qnce-pool-"));
        if !on_pool {
            restoring(info);
        }
    }));
}

/// How the terminal loop is set up.
#[derive(Clone, Debug)]
pub struct TermConfig {
    /// Whether to read game controllers (when built with them).
    pub pads: bool,
    /// Signals that end play (see [`crate::signals::catch`]).
    pub signals: Receiver<Signal>,
}

/// Runs `app` full-screen until the player quits (`None`) or a signal ends play. Either
/// way the terminal is restored when this returns.
///
/// # Errors
/// When the terminal cannot be set up, drawn to or read. The terminal is restored first.
pub fn run(app: &mut App, config: TermConfig) -> std::io::Result<Option<Signal>> {
    // The guard comes first: if setting up fails half-way (raw mode on, the alternate
    // screen refused), the early return still restores.
    let _restore = Restore;
    let mut terminal = ratatui::try_init()?;
    keep_screen_on_pool_panics();
    let (tx, rx) = crossbeam_channel::unbounded();
    let keys = tx.clone();
    std::thread::Builder::new()
        .name("qnce-keys".into())
        .spawn(move || read_terminal(&keys))?;
    start_pads(app, &config, &tx);
    drop(tx);
    event_loop(&mut terminal, app, &rx, &config.signals)
}

fn read_terminal(tx: &crossbeam_channel::Sender<Message>) {
    loop {
        let message = match event::read() {
            Ok(TermEvent::Key(key)) => match super::keys::input(key) {
                Some(input) => Message::Key(input, Instant::now()),
                None => continue,
            },
            Ok(TermEvent::Resize(..)) => Message::Resize,
            Ok(_) => continue,
            Err(e) => {
                let _ = tx.send(Message::TerminalGone(e));
                return;
            }
        };
        if tx.send(message).is_err() {
            return;
        }
    }
}

#[cfg(feature = "gamepad")]
fn start_pads(app: &mut App, config: &TermConfig, tx: &crossbeam_channel::Sender<Message>) {
    let now = Instant::now();
    if !config.pads {
        app.set_pads(
            PadSupport::Unavailable("controllers switched off".into()),
            now,
        );
        return;
    }
    let gilrs = match crate::pad::open() {
        Ok(gilrs) => gilrs,
        Err(e) => {
            app.set_pads(PadSupport::Unavailable(e), now);
            return;
        }
    };
    // The reading thread announces the controllers already connected; the status starts
    // empty and fills as they arrive.
    let n_connected = gilrs.gamepads().count();
    if n_connected == 0 {
        app.set_pads(PadSupport::Connected(Vec::new()), now);
    } else {
        app.pads = PadSupport::Connected(Vec::new());
    }
    let tx = tx.clone();
    let spawned = std::thread::Builder::new()
        .name("qnce-pads".into())
        .spawn(move || {
            crate::pad::read(gilrs, crate::pad::PadConfig::default(), |event, at| {
                tx.send(Message::Pad(event, at)).is_ok()
            });
        });
    if let Err(e) = spawned {
        app.set_pads(
            PadSupport::Unavailable(format!("cannot start the controller thread: {e}")),
            now,
        );
    }
}

#[cfg(not(feature = "gamepad"))]
fn start_pads(app: &mut App, _config: &TermConfig, _tx: &crossbeam_channel::Sender<Message>) {
    app.set_pads(PadSupport::NotBuilt, Instant::now());
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    rx: &Receiver<Message>,
    signals: &Receiver<Signal>,
) -> std::io::Result<Option<Signal>> {
    /// How long to wait when nothing is due.
    const IDLE: Duration = Duration::from_secs(3600);
    let mut batches = app
        .host()
        .watcher()
        .map_or_else(crossbeam_channel::never, |w| w.batches().clone());
    terminal.draw(|frame| app.draw(frame))?;
    loop {
        let timeout = app
            .next_deadline()
            .map_or(IDLE, |at| at.saturating_duration_since(Instant::now()));
        let mut read_at = None;
        select! {
            recv(rx) -> message => match message {
                Ok(Message::Key(input, at)) => {
                    app.input(input, Instant::now());
                    read_at = Some(at);
                }
                Ok(Message::Resize) => {}
                #[cfg(feature = "gamepad")]
                Ok(Message::Pad(event, at)) => {
                    let now = Instant::now();
                    match event {
                        crate::pad::PadEvent::Action(input) => {
                            app.input(input, now);
                            read_at = Some(at);
                        }
                        crate::pad::PadEvent::Connected(name) => app.pad_connected(name, now),
                        crate::pad::PadEvent::Disconnected(name) => app.pad_disconnected(&name, now),
                    }
                }
                Ok(Message::TerminalGone(e)) => return Err(e),
                Err(_) => return Ok(None),
            },
            recv(signals) -> signal => if let Ok(signal) = signal {
                return Ok(Some(signal));
            },
            recv(batches) -> batch => match batch {
                Ok(batch) => app.watched(&batch, Instant::now()),
                // The watcher stopped; play goes on without it.
                Err(_) => batches = crossbeam_channel::never(),
            },
            default(timeout) => {
                if !app.tick(Instant::now()) {
                    continue;
                }
            }
        }
        if app.should_quit() {
            return Ok(None);
        }
        terminal.draw(|frame| app.draw(frame))?;
        if let Some(at) = read_at {
            app.record_latency(at.elapsed());
        }
    }
}
