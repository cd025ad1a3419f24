//! Holding back a rejected reload until the story's files have settled.

use std::time::{Duration, Instant};

use super::Reloaded;

/// Holds back the report of a rejected reload until no further change has come for a
/// short window, so that an edit saved as several files (an editor's "save all", a
/// `git checkout`) does not flash a false error between its first file and its last. A
/// successful reload is reported at once, and drops a held rejection.
///
/// A runner offers it every outcome of [`Host::handle`](super::Host::handle) with the time
/// it came, and asks for the held one when [`Settle::deadline`] passes.
#[derive(Debug)]
pub struct Settle {
    window: Duration,
    held: Option<(Reloaded, Instant)>,
}

impl Settle {
    /// The window the runners use: far longer than the milliseconds between the files of
    /// one save, far shorter than a writer notices.
    pub const WINDOW: Duration = Duration::from_millis(150);

    /// Holds rejections for `window`.
    pub fn new(window: Duration) -> Settle {
        Settle { window, held: None }
    }

    /// Takes a reload's outcome that came at `now`: a success is returned to report now;
    /// a rejection is held (in place of one held before) until `now` and the window.
    pub fn offer(&mut self, reloaded: Reloaded, now: Instant) -> Option<Reloaded> {
        if reloaded.result.is_ok() {
            self.held = None;
            return Some(reloaded);
        }
        self.held = Some((reloaded, now + self.window));
        None
    }

    /// The held rejection, once no change has come for the window.
    pub fn due(&mut self, now: Instant) -> Option<Reloaded> {
        match &self.held {
            Some((_, at)) if now >= *at => self.held.take().map(|(reloaded, _)| reloaded),
            _ => None,
        }
    }

    /// When a held rejection is due, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.held.as_ref().map(|(_, at)| *at)
    }
}

impl Default for Settle {
    fn default() -> Self {
        Settle::new(Settle::WINDOW)
    }
}
