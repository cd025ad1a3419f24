//! Watching a story directory: the only module that uses `notify`.
//!
//! A [`Watcher`] watches a directory recursively through `notify-debouncer-full` and sends
//! [`Batch`]es of changed paths on a channel. Editors save in several ways (write to a
//! temporary file and rename it over the story file, truncate then write, several writes
//! in a row); the debouncer coalesces each burst, and every kind of event that can mean
//! "the file's content is new" is kept: modify, create, rename, remove and close-after-
//! write. A burst may still arrive in more than one batch, which a reload tolerates: a
//! half-written file fails to load and leaves the story as it was until the next batch.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache};

/// How a watcher batches events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchConfig {
    /// How long a path must be quiet before its events are sent.
    pub debounce: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            debounce: Duration::from_millis(30),
        }
    }
}

/// Paths that changed together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// The changed paths, each once, as the watcher reports them (absolute).
    pub paths: Vec<PathBuf>,
    /// Whether events were lost (the kernel queue overflowed): every file may have changed.
    pub rescan: bool,
    /// Errors the watcher reported, as text.
    pub errors: Vec<String>,
}

/// Why a directory cannot be watched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The watcher could not start or could not watch the directory.
    #[error("cannot watch {}: {source}", path.display())]
    Notify {
        /// The directory.
        path: PathBuf,
        /// What notify said.
        source: notify::Error,
    },
}

/// A running watch of one directory; dropping it stops the watch.
pub struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    batches: Receiver<Batch>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// Whether an event kind can mean that a file's content changed.
fn is_content_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
    }
}

fn to_batch(result: DebounceEventResult) -> Batch {
    let mut batch = Batch::default();
    match result {
        Ok(events) => {
            for event in events {
                batch.rescan |= event.need_rescan();
                if !is_content_change(&event.kind) {
                    continue;
                }
                for path in &event.paths {
                    if !batch.paths.contains(path) {
                        batch.paths.push(path.clone());
                    }
                }
            }
        }
        Err(errors) => batch.errors = errors.iter().map(ToString::to_string).collect(),
    }
    batch
}

impl Watcher {
    /// Starts watching `dir` and everything below it. The watch is in place when this
    /// returns: a change made afterwards is reported.
    ///
    /// # Errors
    /// [`WatchError::Notify`] when the platform watcher cannot start or `dir` cannot be
    /// watched (it does not exist, or the limit of watches is reached).
    pub fn new(dir: impl AsRef<Path>, config: &WatchConfig) -> Result<Watcher, WatchError> {
        let dir = dir.as_ref();
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        let failed = |source| WatchError::Notify {
            path: dir.clone(),
            source,
        };
        let (tx, batches): (Sender<Batch>, _) = crossbeam_channel::unbounded();
        let handler = move |result: DebounceEventResult| {
            let batch = to_batch(result);
            if !batch.paths.is_empty() || batch.rescan || !batch.errors.is_empty() {
                // The receiver is gone only when the watcher is being dropped.
                let _ = tx.send(batch);
            }
        };
        let mut debouncer =
            notify_debouncer_full::new_debouncer(config.debounce, None, handler).map_err(failed)?;
        debouncer
            .watch(&dir, RecursiveMode::Recursive)
            .map_err(failed)?;
        Ok(Watcher { debouncer, batches })
    }

    /// The channel batches arrive on, for `crossbeam_channel::select!` with other inputs.
    pub fn batches(&self) -> &Receiver<Batch> {
        &self.batches
    }

    /// The next batch, waiting at most `timeout`.
    pub fn wait(&self, timeout: Duration) -> Option<Batch> {
        self.batches.recv_timeout(timeout).ok()
    }

    /// The next batch if one is waiting.
    pub fn try_next(&self) -> Option<Batch> {
        self.batches.try_recv().ok()
    }

    /// Stops watching and joins the debouncer's thread.
    pub fn stop(self) {
        self.debouncer.stop();
    }
}
