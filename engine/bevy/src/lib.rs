//! qnce in a Bevy app: [`QncePlugin`] loads a story with qnce's own loader and watcher
//! and applies every live edit in `PreUpdate`; each entity with a [`Dialogue`] plays its
//! own session of it; the game talks to dialogues with messages.
//!
//! - Out, written in [`QnceSystems::Play`] (in `Update`): [`DialogueLine`] for each text
//!   shown, [`DialogueOptions`] for the choices on offer, [`DialogueCommand`] for each
//!   command the story runs, [`DialogueEnded`], and [`StoryReloaded`] (in
//!   [`QnceSystems::Reload`], in `PreUpdate`) for each edit, with the errors of a
//!   rejected one located (`path:line:col`).
//! - In, read in [`QnceSystems::Play`]: [`SelectOption`] and [`Advance`] (a frame's
//!   selections first, then its advances).
//!
//! Order the game's UI systems `.after(QnceSystems::Play)` and they see a step's
//! messages in the same frame.
//!
//! **Why qnce's loader, not Bevy's `AssetServer`:** an asset reload in Bevy replaces the
//! whole asset, so every session would restart or need to be rebuilt from a save.
//! qnce's reloader patches the running story field by field and brings each session
//! along (position, variables, visits, undo), which is the point of live editing; it
//! watches the story's files itself (`notify`), so no Bevy asset features are needed.
//!
//! The story's own `World` is qnce's and stays inside it: no `Entity` of the story ever
//! meets the app's.
//!
//! # Examples
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use bevy_app::App;
//! use qnce_bevy::{Dialogue, DialogueLine, QncePlugin};
//!
//! let dir = std::env::temp_dir().join(format!("qnce-doc-bevy-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! std::fs::write(dir.join("story.ron"), r#"Story(title: "t", start: "a", nodes: {
//!     "a": (text: "Hello from the story") })"#)?;
//!
//! let mut app = App::new();
//! app.add_plugins(QncePlugin::new(&dir));
//! let npc = app.world_mut().spawn(Dialogue::new(qnce::SessionConfig::with_seed(1))).id();
//! app.update();
//! let lines: Vec<String> = app
//!     .world_mut()
//!     .resource_mut::<bevy_ecs::message::Messages<DialogueLine>>()
//!     .drain()
//!     .map(|line| format!("{:?}: {}", line.entity == npc, line.text))
//!     .collect();
//! assert_eq!(lines, ["true: Hello from the story"]);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bevy_app::{App, Plugin, PreUpdate, Update};
use bevy_ecs::prelude::*;

use qnce::reload::{ReloadReport, SharedStory};
use qnce::watch::WatchConfig;
use qnce::{Limits, LoadError, Session, SessionConfig, StoryEvent, StoryOption, Value};

/// Loads a story and keeps it live; add it once per story.
#[derive(Clone, Debug)]
pub struct QncePlugin {
    path: PathBuf,
    limits: Limits,
    watch: bool,
}

impl QncePlugin {
    /// The story at `path` (a directory holding `story.ron`, or a `.ron` file), watched
    /// for edits.
    pub fn new(path: impl AsRef<Path>) -> QncePlugin {
        QncePlugin {
            path: path.as_ref().to_owned(),
            limits: Limits::default(),
            watch: true,
        }
    }

    /// With these load limits.
    pub fn with_limits(mut self, limits: Limits) -> QncePlugin {
        self.limits = limits;
        self
    }

    /// Without watching the files (a shipped game).
    pub fn without_watching(mut self) -> QncePlugin {
        self.watch = false;
        self
    }
}

/// The plugin's systems, for ordering a game's own around them.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QnceSystems {
    /// In `PreUpdate`: live edits applied, sessions brought along.
    Reload,
    /// In `Update`: new dialogues started, [`SelectOption`] and [`Advance`] taken, and
    /// the messages out written.
    Play,
}

/// The story, shared by every [`Dialogue`]; `None` in `story` when it did not load (the
/// errors are in a [`StoryReloaded`]).
#[derive(Resource)]
pub struct QnceStory {
    shared: Option<SharedStory>,
    /// Outcomes not reported yet: the first load's failure, edits applied by
    /// [`QnceStory::wait`].
    pending: Vec<StoryReloaded>,
    /// How to load the story again while it has not loaded yet.
    plugin: QncePlugin,
    /// While the story has not loaded: a watcher of its directory, to try again when the
    /// author saves a fix.
    retry: Option<qnce::watch::Watcher>,
}

impl QnceStory {
    /// The story, while it is loaded.
    pub fn shared(&self) -> Option<&SharedStory> {
        self.shared.as_ref()
    }

    /// Waits at most `timeout` for an edit of the story's files and applies it; the next
    /// update reports it. Whether one came. For tools and tests that must wait for the
    /// watcher; a game lets `PreUpdate` pick edits up.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        if self.shared.is_none() {
            if self.retry.as_ref().and_then(|w| w.wait(timeout)).is_none() {
                return false;
            }
            while self.retry.as_ref().and_then(|w| w.try_next()).is_some() {}
            self.open();
            return true;
        }
        let Some(result) = self.shared.as_mut().and_then(|s| s.wait(timeout)) else {
            return false;
        };
        self.pending.push(StoryReloaded::of(&result));
        true
    }

    /// Loads the story (again), reporting the outcome at the next update; while it does
    /// not load, its directory is watched for a fix.
    fn open(&mut self) {
        let plugin = &self.plugin;
        match SharedStory::open(&plugin.path, &plugin.limits) {
            Ok(loaded) => {
                let mut shared = loaded.value;
                let mut reloaded = StoryReloaded {
                    ok: true,
                    nodes_touched: shared.read().n_nodes(),
                    errors: Vec::new(),
                    warnings: loaded.warnings.iter().map(ToString::to_string).collect(),
                };
                if plugin.watch
                    && let Err(e) = shared.watch(&WatchConfig::default())
                {
                    reloaded.errors.push(format!("live edits are off: {e}"));
                }
                self.retry = None;
                self.shared = Some(shared);
                self.pending.push(reloaded);
            }
            Err(e) => {
                self.pending.push(StoryReloaded::of(&Err(e)));
                if plugin.watch && self.retry.is_none() {
                    let dir = if plugin.path.is_dir() {
                        plugin.path.clone()
                    } else {
                        plugin
                            .path
                            .parent()
                            .map_or_else(|| PathBuf::from("."), Path::to_owned)
                    };
                    self.retry = qnce::watch::Watcher::new(dir, &WatchConfig::default()).ok();
                }
            }
        }
    }
}

/// One character's conversation: a session of the story, started when the story is
/// loaded, played by the messages addressed to its entity.
#[derive(Component, Debug)]
pub struct Dialogue {
    config: SessionConfig,
    session: Option<Session>,
    /// Why the session could not start or the last step failed.
    error: Option<String>,
    /// The story version a start failed at: it is tried again after the next edit.
    failed_at: Option<u64>,
}

impl Dialogue {
    /// A dialogue whose session starts with `config` (its seed, its bound functions).
    pub fn new(config: SessionConfig) -> Dialogue {
        Dialogue {
            config,
            session: None,
            error: None,
            failed_at: None,
        }
    }

    /// The session, once started.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Why the session could not start, or why the last step failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// A text a dialogue shows: a node entered, or shown again.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct DialogueLine {
    /// The dialogue's entity.
    pub entity: Entity,
    /// The node.
    pub node: Arc<str>,
    /// The text's line id (the key of its translations and voice-over).
    pub line: Arc<str>,
    /// The rendered text.
    pub text: Arc<str>,
    /// The node's tags.
    pub tags: Arc<[Arc<str>]>,
    /// The line's recording in the dialogue's language, when the story has one
    /// (`locales/TAG/voice/LINE_ID.ogg`, else `voice/LINE_ID.ogg`): the file's path.
    pub voice: Option<std::path::PathBuf>,
}

/// The choices a dialogue offers now.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct DialogueOptions {
    /// The dialogue's entity.
    pub entity: Entity,
    /// The choices, in order; answer with [`SelectOption`].
    pub options: Vec<StoryOption>,
}

/// A command the story runs for the game.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct DialogueCommand {
    /// The dialogue's entity.
    pub entity: Entity,
    /// The command.
    pub name: Arc<str>,
    /// Its arguments.
    pub args: Vec<Value>,
}

/// A dialogue reached an ending.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct DialogueEnded {
    /// The dialogue's entity.
    pub entity: Entity,
    /// The ending node.
    pub node: Arc<str>,
}

/// The story was edited: applied, or rejected with its errors.
#[derive(Message, Clone, Debug, PartialEq)]
pub struct StoryReloaded {
    /// Whether the edit was applied (a rejected one changes nothing; play goes on).
    pub ok: bool,
    /// The nodes added, removed or changed.
    pub nodes_touched: usize,
    /// A rejected edit's errors, one per line: `path:line:col: error: message`. Those of
    /// an applied edit are a translation file's: that language keeps its last good
    /// version.
    pub errors: Vec<String>,
    /// The warnings the edit brought (each once: not those seen before), one per line.
    pub warnings: Vec<String>,
}

impl StoryReloaded {
    fn of(result: &Result<ReloadReport, LoadError>) -> StoryReloaded {
        match result {
            Ok(report) => StoryReloaded {
                ok: true,
                nodes_touched: report.delta.nodes_added.len()
                    + report.delta.nodes_removed.len()
                    + report.delta.nodes_changed.len(),
                errors: report
                    .translation_errors
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                warnings: report
                    .new_warnings
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            },
            Err(e) => StoryReloaded {
                ok: false,
                nodes_touched: 0,
                errors: errors_of(e),
                warnings: Vec::new(),
            },
        }
    }
}

fn errors_of(e: &LoadError) -> Vec<String> {
    match e {
        LoadError::Invalid(diagnostics) => diagnostics
            .iter()
            .filter(|d| d.severity == qnce::Severity::Error)
            .map(ToString::to_string)
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Takes the option at `index` (0-based) of the dialogue's choices on offer.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectOption {
    /// The dialogue's entity.
    pub entity: Entity,
    /// The option, as [`DialogueOptions`] numbered it.
    pub index: usize,
}

/// Goes on past a dialogue's only option (a "continue" prompt): takes it when exactly one
/// is on offer, and does nothing otherwise.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advance {
    /// The dialogue's entity.
    pub entity: Entity,
}

impl Plugin for QncePlugin {
    fn build(&self, app: &mut App) {
        let mut story = QnceStory {
            shared: None,
            pending: Vec::new(),
            plugin: self.clone(),
            retry: None,
        };
        story.open();
        // The first load is reported only when it failed (or its watching did).
        story.pending.retain(|r| !r.ok || !r.errors.is_empty());
        app.insert_resource(story)
            .add_message::<DialogueLine>()
            .add_message::<DialogueOptions>()
            .add_message::<DialogueCommand>()
            .add_message::<DialogueEnded>()
            .add_message::<StoryReloaded>()
            .add_message::<SelectOption>()
            .add_message::<Advance>()
            .add_systems(PreUpdate, apply_edits.in_set(QnceSystems::Reload))
            .add_systems(
                Update,
                (start_dialogues, take_input)
                    .chain()
                    .in_set(QnceSystems::Play),
            );
    }
}

/// The messages a step writes.
#[derive(bevy_ecs::system::SystemParam)]
struct Out<'w> {
    lines: MessageWriter<'w, DialogueLine>,
    options: MessageWriter<'w, DialogueOptions>,
    commands: MessageWriter<'w, DialogueCommand>,
    ended: MessageWriter<'w, DialogueEnded>,
}

impl Out<'_> {
    /// Writes what the dialogue's last call did.
    fn report(&mut self, entity: Entity, story: &qnce::Story, session: &Session) {
        for event in session.owned_events(story) {
            match event {
                StoryEvent::Line {
                    node,
                    line,
                    text,
                    tags,
                    ..
                } => {
                    let voice = story
                        .voice(session.locale(), &line)
                        .map(|path| story.root().join(path));
                    self.lines.write(DialogueLine {
                        entity,
                        node,
                        line,
                        text,
                        tags,
                        voice,
                    });
                }
                StoryEvent::Options { options, .. } => {
                    self.options.write(DialogueOptions { entity, options });
                }
                StoryEvent::Command { name, args } => {
                    self.commands.write(DialogueCommand { entity, name, args });
                }
                StoryEvent::Ended { node, .. } => {
                    self.ended.write(DialogueEnded { entity, node });
                }
                _ => {}
            }
        }
    }
}

/// Applies the edits the watcher saw, reports them, and brings every dialogue along.
fn apply_edits(
    mut story: ResMut<QnceStory>,
    mut reloaded: MessageWriter<StoryReloaded>,
    mut dialogues: Query<(Entity, &mut Dialogue)>,
    mut out: Out,
) {
    let story = &mut *story;
    if story.shared.is_none()
        && story
            .retry
            .as_ref()
            .is_some_and(|w| std::iter::from_fn(|| w.try_next()).count() > 0)
    {
        story.open();
    }
    for pending in story.pending.drain(..) {
        reloaded.write(pending);
    }
    let Some(shared) = story.shared.as_mut() else {
        return;
    };
    if let Some(result) = shared.poll() {
        reloaded.write(StoryReloaded::of(&result));
    }
    let read = shared.read();
    for (entity, mut dialogue) in &mut dialogues {
        let Some(session) = dialogue.session.as_mut() else {
            continue;
        };
        if !session.is_behind(&read) {
            continue;
        }
        // What the edit did is reported even when showing the node then failed: the
        // session was brought along all the same.
        let result = session.catch_up(&read).map(|_| ());
        out.report(entity, &read, session);
        dialogue.error = result.err().map(|e| e.to_string());
    }
}

/// Starts the session of each dialogue that has none, and reports its first lines.
fn start_dialogues(
    story: Res<QnceStory>,
    mut dialogues: Query<(Entity, &mut Dialogue)>,
    mut out: Out,
) {
    let Some(shared) = story.shared() else {
        return;
    };
    let read = shared.read();
    for (entity, mut dialogue) in &mut dialogues {
        // A start that failed is tried again once the story changed.
        if dialogue.session.is_some() || dialogue.failed_at == Some(read.version()) {
            continue;
        }
        match Session::new(&read, dialogue.config.clone()) {
            Ok(session) => {
                out.report(entity, &read, &session);
                dialogue.session = Some(session);
                dialogue.error = None;
                dialogue.failed_at = None;
            }
            Err(e) => {
                dialogue.error = Some(e.to_string());
                dialogue.failed_at = Some(read.version());
            }
        }
    }
}

/// Takes the [`SelectOption`]s addressed to dialogues in the order they were written,
/// then the [`Advance`]s.
fn take_input(
    story: Res<QnceStory>,
    mut select: MessageReader<SelectOption>,
    mut advance: MessageReader<Advance>,
    mut dialogues: Query<&mut Dialogue>,
    mut out: Out,
) {
    let Some(shared) = story.shared() else {
        return;
    };
    let read = shared.read();
    let picks = select
        .read()
        .map(|s| (s.entity, Some(s.index)))
        .chain(advance.read().map(|a| (a.entity, None)));
    for (entity, index) in picks {
        let Ok(mut dialogue) = dialogues.get_mut(entity) else {
            continue;
        };
        let dialogue = &mut *dialogue;
        let Some(session) = dialogue.session.as_mut() else {
            continue;
        };
        let index = match index {
            Some(i) => i,
            None if session.n_choices() == 1 => 0,
            None => continue,
        };
        match session.choose(&read, index) {
            Ok(_) => {
                dialogue.error = None;
                out.report(entity, &read, session);
            }
            Err(e) => dialogue.error = Some(e.to_string()),
        }
    }
}

/// docs/embedding.md, whose every code block runs as a doc test of this crate (which
/// sees both `qnce` and `qnce_bevy`).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/embedding.md")]
struct EmbeddingGuide;
