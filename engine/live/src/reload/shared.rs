//! [`SharedStory`]: one story played by sessions a game keeps wherever it likes (threads,
//! ECS components), kept live by one reloader.
//!
//! The story sits behind a read-write lock. Sessions step under the read lock, so any
//! number step at once; a reload takes the write lock for as long as it plans and applies
//! an edit (milliseconds, see BENCHMARKS.md). The story counts its edits and keeps the
//! last ones' deltas: a session that missed some is told so
//! ([`RuntimeError::StaleSession`]) until it catches up ([`Session::catch_up`]), which
//! [`StoryHandle::play`] does first.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use qnce_core::runtime::{RuntimeError, Session};
use qnce_core::story::Story;
use qnce_load::{Limits, LoadError, Loaded};

use super::{ReloadReport, Reloader};
use crate::watch::{WatchConfig, WatchError, Watcher};

/// A story shared by sessions on any threads, and the reloader and watcher that keep it
/// live. The game keeps the sessions; give each thread a [`StoryHandle`].
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use qnce_core::{Session, SessionConfig};
/// use qnce_live::reload::SharedStory;
/// use qnce_load::Limits;
///
/// let dir = std::env::temp_dir().join(format!("qnce-doc-shared-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let text = r#"Story(title: "t", start: "a", nodes: {
///     "a": (text: "Hello", choices: [(text: "Again", to: "a")]) })"#;
/// std::fs::write(dir.join("story.ron"), text)?;
/// let mut shared = SharedStory::open(&dir, &Limits::default())?.value;
/// let handle = shared.handle();
/// let player = std::thread::spawn(move || -> Result<String, qnce_core::RuntimeError> {
///     let mut session = Session::new(&handle.read(), SessionConfig::with_seed(1))?;
///     handle.play(&mut session, |story, session| session.choose(story, 0).map(|_| ()))?;
///     Ok(session.text().to_owned())
/// });
/// assert_eq!(player.join().expect("no panic")?, "Hello");
///
/// std::fs::write(dir.join("story.ron"), text.replace("Hello", "Hello again"))?;
/// shared.reload(None)?; // a game calls `shared.poll()` once a frame after `watch`
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SharedStory {
    story: Arc<RwLock<Story>>,
    reloader: Reloader,
    watcher: Option<Watcher>,
}

/// A handle to a [`SharedStory`]'s story: cheap to clone, `Send + Sync`.
#[derive(Clone, Debug)]
pub struct StoryHandle {
    story: Arc<RwLock<Story>>,
}

impl StoryHandle {
    /// The story, read-locked: step sessions with it; hold it only as long as a step.
    /// Any number of readers hold it at once; a reload waits for them. Do not read it
    /// again while holding it (inside [`StoryHandle::play`]'s closure, say), nor reload
    /// from the same thread: with a reload waiting, the second read would wait for it.
    pub fn read(&self) -> RwLockReadGuard<'_, Story> {
        // A lock is poisoned only by a panic in a reload, an engine bug: the story is then
        // played as the reload left it rather than taking every player down too.
        self.story.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings `session` along with every edit it missed, then runs `f` with the story
    /// read-locked: the usual way to step a session on any thread.
    ///
    /// # Errors
    /// An error of catching up ([`Session::catch_up`]), or `f`'s.
    pub fn play<R>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&Story, &mut Session) -> Result<R, RuntimeError>,
    ) -> Result<R, RuntimeError> {
        let story = self.read();
        session.catch_up(&story)?;
        f(&story, session)
    }
}

impl SharedStory {
    /// Loads the story at `path`.
    ///
    /// # Errors
    /// As [`qnce_load::load`].
    pub fn open(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded<SharedStory>, LoadError> {
        Ok(
            Reloader::load(path, limits)?.map(|(story, reloader)| SharedStory {
                story: Arc::new(RwLock::new(story)),
                reloader,
                watcher: None,
            }),
        )
    }

    /// A handle to the story, for a thread or a system that plays sessions.
    pub fn handle(&self) -> StoryHandle {
        StoryHandle {
            story: Arc::clone(&self.story),
        }
    }

    /// The story, read-locked.
    pub fn read(&self) -> RwLockReadGuard<'_, Story> {
        self.story.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts watching the story directory; edits are then applied by
    /// [`SharedStory::poll`] or [`SharedStory::wait`].
    ///
    /// # Errors
    /// [`WatchError`] when the directory cannot be watched.
    pub fn watch(&mut self, config: &WatchConfig) -> Result<(), WatchError> {
        self.watcher = Some(Watcher::new(self.reloader.root(), config)?);
        Ok(())
    }

    /// Reloads after `changed` paths changed (every file when `None`), under the write
    /// lock (held while the changed files are read, checked and applied: reading interns
    /// the new names into the story). Sessions catch up when they next play.
    ///
    /// # Errors
    /// As [`Reloader::reload`]; the story is then unchanged.
    pub fn reload(&mut self, changed: Option<&[PathBuf]>) -> Result<ReloadReport, LoadError> {
        let mut story = self.story.write().unwrap_or_else(|e| e.into_inner());
        self.reloader.reload(&mut story, changed)
    }

    /// Applies every change the watcher has seen so far, if any concerns the story.
    /// Never blocks on the watcher; a game calls it once a frame.
    pub fn poll(&mut self) -> Option<Result<ReloadReport, LoadError>> {
        let batch = super::host::drain(self.watcher.as_ref()?, None)?;
        let changed = super::host::changed_paths(&self.reloader, &batch)?;
        Some(self.reload(changed.as_deref()))
    }

    /// Waits at most `timeout` for a change that concerns the story, and applies it.
    pub fn wait(&mut self, timeout: Duration) -> Option<Result<ReloadReport, LoadError>> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let batch = super::host::drain(self.watcher.as_ref()?, Some(left))?;
            if let Some(changed) = super::host::changed_paths(&self.reloader, &batch) {
                return Some(self.reload(changed.as_deref()));
            }
        }
    }
}
