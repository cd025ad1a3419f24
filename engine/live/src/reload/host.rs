//! [`Host`]: a story, its sessions and a watcher, kept in step across reloads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use qnce_core::input::{Controls, Input, Outcome};
use qnce_core::runtime::{RuntimeError, Session, SessionConfig};
use qnce_core::story::Story;
use qnce_load::{Limits, LoadError, Loaded};
#[cfg(feature = "services")]
use qnce_services::{Services, assets::NodeAssetsReady, telemetry::Telemetry};

use super::attached::Attached;
use super::{ReloadReport, Reloader};
use crate::watch::{Batch, WatchConfig, WatchError, Watcher};

/// Names a session held by a [`Host`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey(usize);

/// What a reload did to the story and to each session.
#[derive(Debug)]
pub struct Reloaded {
    /// The report, or why the edit was rejected (the story and sessions are then as they
    /// were).
    pub result: Result<ReloadReport, LoadError>,
    /// Each session the reload reached, with the error of one whose current node failed
    /// to render. The session's [`Session::events`] hold what the reload did to it.
    pub sessions: Vec<(SessionKey, Result<(), RuntimeError>)>,
}

/// Owns a story and its sessions, watches the story's files, and applies every good edit
/// to the story and brings every session along.
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use qnce_core::SessionConfig;
/// use qnce_live::reload::Host;
/// use qnce_load::Limits;
///
/// let dir = std::env::temp_dir().join(format!("qnce-doc-host-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let story = r#"Story(title: "t", start: "a", nodes: { "a": (text: "Hello") })"#;
/// std::fs::write(dir.join("story.ron"), story)?;
/// let mut host = Host::open(&dir, &Limits::default())?.value;
/// let player = host.add_session(SessionConfig::with_seed(1))?;
///
/// std::fs::write(dir.join("story.ron"), story.replace("Hello", "Hello again"))?;
/// // A game calls `host.poll()` once a frame after `host.watch(..)`; here, by hand:
/// let reloaded = host.reload(Some(&[dir.join("story.ron")]));
/// assert!(reloaded.result.is_ok());
/// assert_eq!(host.session(player).map(|s| s.text()), Some("Hello again"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Host {
    story: Story,
    reloader: Reloader,
    sessions: Vec<Option<Session>>,
    watcher: Option<Watcher>,
    attached: Option<Attached>,
}

impl Host {
    /// Loads the story at `path`: the host, and the story's warnings.
    ///
    /// # Errors
    /// As [`qnce_load`].
    pub fn open(path: impl AsRef<Path>, limits: &Limits) -> Result<Loaded<Host>, LoadError> {
        Ok(Reloader::load(path, limits)?.map(Host::of))
    }

    /// As [`Host::open`], reading and parsing the story's files and compiling their nodes
    /// on the services' pool, several at once, then attached to `services` ([`Host::attach`]).
    ///
    /// # Errors
    /// As [`qnce_load`].
    #[cfg(feature = "services")]
    pub fn open_attached(
        path: impl AsRef<Path>,
        limits: &Limits,
        services: &Services,
    ) -> Result<Loaded<Host>, LoadError> {
        let pool = std::sync::Arc::clone(&services.pool);
        let mut loaded = Reloader::load_in_parallel(path, limits, pool)?.map(Host::of);
        loaded.value.attach(services);
        Ok(loaded)
    }

    fn of((story, reloader): (Story, Reloader)) -> Host {
        Host {
            story,
            reloader,
            sessions: Vec::new(),
            watcher: None,
            attached: None,
        }
    }

    /// Starts watching the story directory; edits are then picked up by [`Host::poll`] or
    /// [`Host::wait`].
    ///
    /// # Errors
    /// [`WatchError`] when the directory cannot be watched.
    pub fn watch(&mut self, config: &WatchConfig) -> Result<(), WatchError> {
        self.watcher = Some(Watcher::new(self.reloader.root(), config)?);
        Ok(())
    }

    /// The watcher, once [`Host::watch`] started it (to `select!` on its batches).
    pub fn watcher(&self) -> Option<&Watcher> {
        self.watcher.as_ref()
    }

    /// The story.
    pub fn story(&self) -> &Story {
        &self.story
    }

    /// Starts a session at the story's start.
    ///
    /// # Errors
    /// As [`Session::new`].
    pub fn add_session(&mut self, config: SessionConfig) -> Result<SessionKey, RuntimeError> {
        let session = Session::new(&self.story, config)?;
        Ok(self.insert_session(session))
    }

    /// Takes a session (a restored save, say) into the host.
    pub fn insert_session(&mut self, mut session: Session) -> SessionKey {
        // A session made before the last reload catches up now (one up to date keeps
        // the report of its last call); one of another story says so when stepped.
        if session.is_behind(&self.story) {
            let _ = session.catch_up(&self.story);
        }
        if let Some(attached) = &self.attached {
            attached.session_started(&self.story, &session);
        }
        self.sessions.push(Some(session));
        let key = SessionKey(self.sessions.len() - 1);
        self.look_ahead(key);
        key
    }

    /// Connects the host to the engine's services: from now on it reports sessions,
    /// steps and reloads as telemetry, keeps the assets of each session's next nodes
    /// loaded (see [`qnce_services::assets`]), and parses several changed files at once on the
    /// pool.
    #[cfg(feature = "services")]
    pub fn attach(&mut self, services: &Services) {
        self.reloader
            .read_in_parallel(std::sync::Arc::clone(&services.pool) as _);
        self.attached = Some(Attached::new(services));
        for i in 0..self.sessions.len() {
            self.look_ahead(SessionKey(i));
        }
    }

    /// Puts `session` (a loaded save, say) in the place of the session `key`, and looks
    /// ahead from it as from a new session; returns the session replaced.
    pub fn replace_session(&mut self, key: SessionKey, mut session: Session) -> Option<Session> {
        if session.is_behind(&self.story) {
            let _ = session.catch_up(&self.story);
        }
        let slot = self.sessions.get_mut(key.0)?;
        let old = slot.replace(session);
        if let Some(attached) = &self.attached
            && let Some(session) = slot.as_ref()
        {
            attached.session_started(&self.story, session);
        }
        self.look_ahead(key);
        old
    }

    /// The telemetry the host reports to, once [`Host::attach`]ed.
    #[cfg(feature = "services")]
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.attached.as_ref().map(|a| &a.telemetry)
    }

    /// The assets of a session's current node, as looked up when it was entered or
    /// shown (what was not loaded then is `pending`). `None` unless [`Host::attach`]ed.
    #[cfg(feature = "services")]
    pub fn assets(&self, key: SessionKey) -> Option<&NodeAssetsReady> {
        self.attached.as_ref()?.ready.get(key.0)
    }

    /// Applies a player's input to a session through `controls` (the one path from any
    /// device, see [`qnce_core::input`]), then reports what it did and preloads ahead.
    /// `None` when there is no such session.
    pub fn input(
        &mut self,
        key: SessionKey,
        controls: &mut Controls,
        input: Input,
    ) -> Option<Result<Outcome, RuntimeError>> {
        let (story, session) = self.play(key)?;
        let result = controls.apply(story, session, input);
        if let Ok(Outcome::Played) = result {
            self.observe(key);
        }
        Some(result)
    }

    /// Reports the events of a session's last call (made through [`Host::play`]) and
    /// preloads ahead of it. [`Host::input`] calls it; call it after each call made
    /// directly, once.
    pub fn observe(&mut self, key: SessionKey) {
        let Some(attached) = &self.attached else {
            return;
        };
        let Some(session) = self.sessions.get(key.0).and_then(Option::as_ref) else {
            return;
        };
        let moved = attached.report_events(&self.story, session.events());
        if moved {
            self.look_ahead(key);
        }
    }

    /// Looks up the assets of a session's current node and preloads those ahead of it.
    fn look_ahead(&mut self, key: SessionKey) {
        if let (Some(attached), Some(Some(session))) =
            (&mut self.attached, self.sessions.get(key.0))
        {
            attached.look_ahead(&self.story, key.0, session);
        }
    }

    /// A session.
    pub fn session(&self, key: SessionKey) -> Option<&Session> {
        self.sessions.get(key.0).and_then(Option::as_ref)
    }

    /// The story and a session, for calls such as [`Session::choose`].
    pub fn play(&mut self, key: SessionKey) -> Option<(&Story, &mut Session)> {
        let session = self.sessions.get_mut(key.0).and_then(Option::as_mut)?;
        Some((&self.story, session))
    }

    /// Gives a session back; the host no longer updates it.
    pub fn remove_session(&mut self, key: SessionKey) -> Option<Session> {
        self.sessions.get_mut(key.0).and_then(Option::take)
    }

    /// Reloads after `changed` paths changed (every file when `None`) and brings every
    /// session along.
    pub fn reload(&mut self, changed: Option<&[PathBuf]>) -> Reloaded {
        let result = self.reloader.reload(&mut self.story, changed);
        let mut sessions = Vec::new();
        if result.is_ok() {
            for (i, session) in self.sessions.iter_mut().enumerate() {
                if let Some(session) = session {
                    let outcome = session.catch_up(&self.story).map(|_| ());
                    sessions.push((SessionKey(i), outcome));
                }
            }
        }
        if let Some(attached) = &self.attached {
            attached.reloaded(&result);
            if result.is_ok() {
                // Asset paths may have changed with the story; look again.
                for i in 0..self.sessions.len() {
                    self.look_ahead(SessionKey(i));
                }
            }
        }
        Reloaded { result, sessions }
    }

    /// Reloads for a watcher's batch, if it concerns the story (else `None`).
    /// Changed asset files are dropped from the cache and loaded again for the sessions
    /// that are near them (without counting a lookup: no node was shown); a session's
    /// [`Host::assets`] has the new content from the next node shown.
    pub fn handle(&mut self, batch: &Batch) -> Option<Reloaded> {
        if let Some(attached) = &self.attached {
            attached.files_changed(&self.story, self.sessions.iter().flatten(), batch);
        }
        let changed = changed_paths(&self.reloader, batch)?;
        Some(self.reload(changed.as_deref()))
    }

    /// Takes every batch the watcher has sent so far as one change and reloads if it
    /// concerns the story. Never blocks; a game calls it once a frame.
    pub fn poll(&mut self) -> Option<Reloaded> {
        let batch = drain(self.watcher.as_ref()?, None)?;
        self.handle(&batch)
    }

    /// Waits at most `timeout` for a change that concerns the story and reloads.
    pub fn wait(&mut self, timeout: Duration) -> Option<Reloaded> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let batch = drain(self.watcher.as_ref()?, Some(left))?;
            if let Some(reloaded) = self.handle(&batch) {
                return Some(reloaded);
            }
        }
    }
}

/// Every batch the watcher has sent, as one: those already sent, or with `wait`, the
/// first within that time and those right behind it. `None` when there is none.
pub(super) fn drain(watcher: &Watcher, wait: Option<Duration>) -> Option<Batch> {
    let mut batch = match wait {
        Some(timeout) => watcher.wait(timeout)?,
        None => watcher.try_next()?,
    };
    while let Some(more) = watcher.try_next() {
        merge(&mut batch, more);
    }
    Some(batch)
}

/// What a batch asks of the reloader: `Some(None)` to read every file again (the watcher
/// lost track), `Some(paths)` for the story's files it names, `None` when it names none.
pub(super) fn changed_paths(reloader: &Reloader, batch: &Batch) -> Option<Option<Vec<PathBuf>>> {
    if batch.rescan {
        return Some(None);
    }
    let paths: Vec<PathBuf> = batch
        .paths
        .iter()
        .filter(|p| reloader.concerns(p))
        .cloned()
        .collect();
    (!paths.is_empty()).then_some(Some(paths))
}

fn merge(into: &mut Batch, batch: Batch) {
    into.rescan |= batch.rescan;
    into.errors.extend(batch.errors);
    for path in batch.paths {
        if !into.paths.contains(&path) {
            into.paths.push(path);
        }
    }
}
