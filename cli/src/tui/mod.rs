//! The full-screen runner, apart from the terminal: [`App`] takes inputs, reloads and
//! controller news with the time they happened, and draws itself into any ratatui frame
//! (the terminal, or a `TestBackend` in tests). [`term::run`] is the terminal around it.
//!
//! Every input, from the keyboard, a controller or a menu, reaches the session through
//! [`Controls::apply`], the same path that line mode and scripts take.

pub mod keys;
mod overlay;
pub mod passage;
pub mod slots;
pub mod term;
mod view;
pub mod wrap;

use std::time::{Duration, Instant};

use qnce::input::{Controls, Input, Outcome};

use crate::action::Action;
use qnce::reload::{Host, Reloaded, SessionKey, Settle};
use qnce::story::TextPiece;
use qnce::{Session, Story};
use ratatui::Frame;

use overlay::{MenuItem, Overlay, SlotMode};
use passage::Passage;
use qnce::telemetry::Histogram;
use slots::Slots;

/// How long a banner stays up unless another replaces it.
pub const BANNER_TIME: Duration = Duration::from_secs(6);

/// How the runner is set up.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// Where `s` and `l` save and load.
    pub slots: Slots,
    /// Whether the story's files are watched (shown in the status line).
    pub watching: bool,
}

/// Whether game controllers can be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PadSupport {
    /// The binary was built without the `gamepad` feature.
    NotBuilt,
    /// gilrs could not start; why.
    Unavailable(String),
    /// Controllers are read; these are connected.
    Connected(Vec<String>),
}

/// How a banner reads: news, a reload, or a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BannerKind {
    /// Saved, loaded, a controller connected.
    Info,
    /// A reload succeeded.
    Reload,
    /// Something failed; play goes on.
    Problem,
}

pub use crate::report::Tone;

/// A short message over the story, gone after [`BANNER_TIME`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// Its kind.
    pub kind: BannerKind,
    /// Its title.
    pub title: String,
    /// Its lines, each in pieces of one tone.
    pub lines: Vec<Vec<(String, Tone)>>,
    until: Instant,
}

/// The full-screen runner's state.
#[derive(Debug)]
pub struct App {
    host: Host,
    player: SessionKey,
    controls: Controls,
    passage: Passage,
    /// Lines scrolled back from the end of the passage.
    scroll: usize,
    /// The passage pane's height at the last draw, for scrolling by pages.
    page: usize,
    show_variables: bool,
    overlay: Option<Overlay>,
    banner: Option<Banner>,
    /// A rejected reload held until the story's files settle.
    settle: Settle,
    /// The last rejected reload's errors, shown until an edit loads again.
    errors: Vec<String>,
    pads: PadSupport,
    /// Input latency since play started, in the engine's log-linear histogram (the
    /// quantiles `/metrics` and `qnce perf` report are computed the same way).
    latency: Histogram,
    config: AppConfig,
    quit: bool,
}

impl App {
    /// A runner for `player`, a session of `host`.
    ///
    /// # Panics
    /// When `host` holds no session `player`.
    pub fn new(host: Host, player: SessionKey, config: AppConfig) -> App {
        let session = host
            .session(player)
            .expect("the player's session is in the host");
        let passage = Passage::new(host.story(), session);
        let mut controls = Controls::default();
        controls.reset(session);
        App {
            host,
            player,
            controls,
            passage,
            scroll: 0,
            page: 10,
            show_variables: false,
            overlay: None,
            banner: None,
            settle: Settle::default(),
            errors: Vec::new(),
            pads: PadSupport::NotBuilt,
            latency: Histogram::default(),
            config,
            quit: false,
        }
    }

    /// The host: the story, the sessions, the watcher.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The story.
    pub fn story(&self) -> &Story {
        self.host.story()
    }

    /// The player's session.
    pub fn session(&self) -> &Session {
        self.host
            .session(self.player)
            .expect("the player's session stays in the host")
    }

    /// The highlighted choice.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// The passage so far.
    pub fn passage(&self) -> &Passage {
        &self.passage
    }

    /// The banner up now, if any.
    pub fn banner(&self) -> Option<&Banner> {
        self.banner.as_ref()
    }

    /// The last rejected reload's errors (`path:line:col: message`), empty once the
    /// story loads again.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Input latencies recorded by the terminal loop.
    pub fn latency(&self) -> &Histogram {
        &self.latency
    }

    /// Records one input's latency (also as telemetry when the host is attached to the
    /// engine's services).
    pub fn record_latency(&mut self, latency: Duration) {
        if let Some(telemetry) = self.host.telemetry() {
            telemetry.input_latency(latency);
        }
        self.latency.record(latency);
    }

    /// Whether the player asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Gives the host back (to save the session when play ends).
    pub fn into_host(self) -> Host {
        self.host
    }

    /// Applies one action read at `now`: an open overlay takes it, else the session
    /// (through the engine's controls) or the runner's own verbs.
    pub fn input(&mut self, action: Action, now: Instant) {
        if let Some(overlay) = self.overlay {
            self.overlay_input(overlay, action, now);
            return;
        }
        match action.input() {
            Some(input) => self.play(input, now),
            None => self.runner_verb(action),
        }
    }

    /// Applies an engine input to the session, and shows what it did.
    fn play(&mut self, input: Input, now: Instant) {
        let selected = self.controls.selected();
        let Some(session) = self.host.session(self.player) else {
            return;
        };
        let chosen_index = match input {
            Input::Confirm => Some(selected),
            Input::Choose(index) => Some(index),
            _ => None,
        };
        let chosen = chosen_index
            .and_then(|i| session.choices().nth(i))
            .map(|(_, text)| text.to_owned());
        let Some(result) = self.host.input(self.player, &mut self.controls, input) else {
            return;
        };
        match result {
            Ok(Outcome::Played) => {
                let Some(session) = self.host.session(self.player) else {
                    return;
                };
                match input {
                    Input::Undo => self.passage.undo(session),
                    Input::Redo => self.passage.redo(session),
                    _ => self.passage.step(self.host.story(), session, chosen),
                }
                self.scroll = 0;
            }
            Ok(Outcome::ForRunner(input)) => self.runner_input(input),
            // Moved, Nothing, and outcomes a later engine may add: nothing to show.
            Ok(_) => {}
            Err(e) => {
                let message = crate::report::located(self.host.story(), &e);
                self.notify(BannerKind::Problem, message, Vec::new(), now);
            }
        }
    }

    /// Takes what a reload did: a banner with what changed and the current node's word
    /// diff, or the errors of a rejected edit (kept until an edit loads).
    pub fn reloaded(&mut self, reloaded: &Reloaded, now: Instant) {
        let report = match &reloaded.result {
            Ok(report) => report,
            Err(e) => {
                self.errors = crate::report::error_lines(e);
                // The last success's banner would contradict the error panel.
                if self
                    .banner
                    .as_ref()
                    .is_some_and(|b| b.kind == BannerKind::Reload)
                {
                    self.banner = None;
                }
                return;
            }
        };
        // A rejected translation file keeps the error panel up; play goes on.
        self.errors = report
            .translation_errors
            .iter()
            .map(ToString::to_string)
            .collect();
        let Some((story, session)) = self.host.play(self.player) else {
            return;
        };
        self.passage.reloaded(story, session);
        self.controls.follow(session);
        let delta = &report.delta;
        let mut lines = vec![vec![(crate::report::summary(story, delta), Tone::Plain)]];
        let current = session.current_node();
        if let Some(change) = delta
            .nodes_changed
            .iter()
            .find(|c| Some(c.node) == current && !c.text_diff.is_empty())
        {
            lines.push(diff_pieces(&change.text_diff));
        }
        for (_, outcome) in &reloaded.sessions {
            if let Err(e) = outcome {
                lines.push(vec![(e.to_string(), Tone::Removed)]);
            }
        }
        // Each warning the edit brought, once.
        for w in &report.new_warnings {
            lines.push(vec![(w.to_string(), Tone::Removed)]);
        }
        let ms = report.timings.total().as_secs_f64() * 1000.0;
        self.banner = Some(Banner {
            kind: BannerKind::Reload,
            title: format!("Reloaded in {ms:.1} ms"),
            lines,
            until: now + BANNER_TIME,
        });
    }

    /// Reloads the `changed` files (all when `None`) and takes the outcome, as a batch
    /// from the watcher would.
    pub fn reload(&mut self, changed: Option<&[std::path::PathBuf]>, now: Instant) {
        let reloaded = self.host.reload(changed);
        self.reloaded(&reloaded, now);
    }

    /// Applies a batch of file changes from the host's watcher. A rejected edit is shown
    /// only once the files have settled (see [`Settle`]): one save of several files shows
    /// no error between its first file and its last.
    pub fn watched(&mut self, batch: &qnce::watch::Batch, now: Instant) {
        if let Some(reloaded) = self.host.handle(batch)
            && let Some(reloaded) = self.settle.offer(reloaded, now)
        {
            self.reloaded(&reloaded, now);
        }
    }

    /// Sets whether controllers can be used, and says so once: which are connected, or
    /// that play is keyboard-only.
    pub fn set_pads(&mut self, pads: PadSupport, now: Instant) {
        let message = match &pads {
            PadSupport::NotBuilt => None,
            PadSupport::Unavailable(reason) => Some(format!("{reason}; playing with the keyboard")),
            PadSupport::Connected(names) if names.is_empty() => Some(
                "No controller found; playing with the keyboard (plug one in at any time)"
                    .to_owned(),
            ),
            PadSupport::Connected(names) => Some(format!("Controller: {}", names.join(", "))),
        };
        self.pads = pads;
        if let Some(message) = message {
            self.notify(BannerKind::Info, message, Vec::new(), now);
        }
    }

    /// A controller was connected.
    pub fn pad_connected(&mut self, name: String, now: Instant) {
        let message = format!("Controller connected: {name}");
        match &mut self.pads {
            PadSupport::Connected(names) => names.push(name),
            other => *other = PadSupport::Connected(vec![name]),
        }
        self.notify(BannerKind::Info, message, Vec::new(), now);
    }

    /// A controller was disconnected.
    pub fn pad_disconnected(&mut self, name: &str, now: Instant) {
        if let PadSupport::Connected(names) = &mut self.pads
            && let Some(i) = names.iter().position(|n| n == name)
        {
            names.remove(i);
        }
        self.notify(
            BannerKind::Info,
            format!("Controller disconnected: {name}"),
            Vec::new(),
            now,
        );
    }

    /// Shows a held rejected reload once the files have settled, and takes down a banner
    /// whose time is up; returns whether the screen changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        if let Some(reloaded) = self.settle.due(now) {
            self.reloaded(&reloaded, now);
            return true;
        }
        if self.banner.as_ref().is_some_and(|b| now >= b.until) {
            self.banner = None;
            return true;
        }
        false
    }

    /// When [`App::tick`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let banner = self.banner.as_ref().map(|b| b.until);
        match (banner, self.settle.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Draws the whole screen.
    pub fn draw(&mut self, frame: &mut Frame<'_>) {
        view::draw(self, frame);
    }

    fn notify(
        &mut self,
        kind: BannerKind,
        title: String,
        lines: Vec<Vec<(String, Tone)>>,
        now: Instant,
    ) {
        self.banner = Some(Banner {
            kind,
            title,
            lines,
            until: now + BANNER_TIME,
        });
    }

    /// What the engine hands back to the runner: saving, loading, quitting.
    fn runner_input(&mut self, input: Input) {
        match input {
            Input::Save => self.open_slots(SlotMode::Save),
            Input::Load => self.open_slots(SlotMode::Load),
            Input::Quit => self.quit = true,
            // The session's own inputs never come back from `Controls::apply`, and an
            // input a later engine adds is not one this runner offers.
            _ => {}
        }
    }

    /// The runner's own verbs: menus, panels, scrolling.
    fn runner_verb(&mut self, action: Action) {
        match action {
            Action::Menu => self.overlay = Some(Overlay::Menu { selected: 0 }),
            Action::FlowMenu => {
                let current = self.session().current_flow();
                let selected = self
                    .story()
                    .flow_ids()
                    .iter()
                    .position(|&f| f == current)
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Flows { selected });
            }
            Action::ToggleVariables => self.show_variables = !self.show_variables,
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::ScrollUp => self.scroll += self.page.max(2) / 2,
            Action::ScrollDown => self.scroll = self.scroll.saturating_sub(self.page.max(2) / 2),
            Action::Back => {
                if self.scroll > 0 {
                    self.scroll = 0;
                } else {
                    self.banner = None;
                }
            }
            // The engine's inputs go through `play`.
            _ => {}
        }
    }
}

/// Words of unchanged text kept on each side of a change in a banner's diff.
const DIFF_CONTEXT: usize = 5;

/// A word diff for a banner: changed words with a few unchanged words around them, and
/// `…` for the unchanged text in between.
fn diff_pieces(pieces: &[TextPiece]) -> Vec<(String, Tone)> {
    let last = pieces.len().saturating_sub(1);
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            TextPiece::Same(s) => (elide(s, i > 0, i < last), Tone::Plain),
            TextPiece::Removed(s) => (s.clone(), Tone::Removed),
            TextPiece::Added(s) => (s.clone(), Tone::Added),
        })
        .collect()
}

/// Unchanged text with only `DIFF_CONTEXT` words kept next to a change before it (`after`)
/// and after it (`before`).
fn elide(text: &str, after: bool, before: bool) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let keep = DIFF_CONTEXT + 1; // split leaves an empty word at a change's boundary
    let head = if after { keep } else { 0 };
    let tail = if before { keep } else { 0 };
    if words.len() <= head + tail {
        return text.to_owned();
    }
    let mut out = words[..head].join(" ");
    if after {
        out.push_str(" …");
    } else {
        out.push('…');
    }
    if before {
        out.push(' ');
        out.push_str(&words[words.len() - tail..].join(" "));
    }
    out
}
