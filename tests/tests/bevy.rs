//! The Bevy plugin in a headless `App`, over several `update()`s: lines and options come
//! out as messages, an option chosen by message advances, a live edit of the story file
//! shows up the next frame with state kept, a broken edit is a located error and play
//! goes on, and two NPCs keep separate sessions.

use std::time::Duration;

use bevy_app::App;
use bevy_ecs::message::Messages;
use bevy_ecs::prelude::*;
use qnce::SessionConfig;
use qnce_bevy::{
    Advance, Dialogue, DialogueCommand, DialogueEnded, DialogueLine, DialogueOptions, QncePlugin,
    QnceStory, SelectOption, StoryReloaded,
};

use crate::support::{TempDir, story_dir};

const STORY: &str = r#"Story(title: "Inn", start: "door", variables: { "knocks": Int(0) },
    commands: { "play_sound": (params: [("name", Str)]) },
    nodes: {
        "door": (text: "A door. Knocks: {knocks}.", choices: [
            (text: "Knock", to: "door", set: ["knocks += 1", "play_sound('knock')"]),
            (text: "Enter", to: "hall"),
        ]),
        "hall": (text: "A warm hall.", choices: [(text: "Sit", to: "seat")]),
        "seat": (text: "You sit down."),
    })"#;

/// Messages of one kind written since the last drain.
fn drain<M: Message>(app: &mut App) -> Vec<M> {
    app.world_mut()
        .resource_mut::<Messages<M>>()
        .drain()
        .collect()
}

fn texts(app: &mut App, entity: Entity) -> Vec<String> {
    drain::<DialogueLine>(app)
        .into_iter()
        .filter(|l| l.entity == entity)
        .map(|l| l.text.to_string())
        .collect()
}

fn app(dir: &TempDir) -> App {
    let mut app = App::new();
    app.add_plugins(QncePlugin::new(dir.path()));
    app
}

/// An app over the story in `dir` with one dialogue, after its first update.
fn with_npc(dir: &TempDir) -> (App, Entity) {
    let mut app = app(dir);
    let npc = app
        .world_mut()
        .spawn(Dialogue::new(SessionConfig::with_seed(1)))
        .id();
    app.update();
    (app, npc)
}

#[test]
fn lines_and_options_come_out_and_a_selected_option_advances() {
    let dir = story_dir("bevy-play", STORY);
    let (mut app, npc) = with_npc(&dir);
    assert_eq!(texts(&mut app, npc), ["A door. Knocks: 0."]);
    let options = drain::<DialogueOptions>(&mut app);
    assert_eq!(options.len(), 1);
    let offered: Vec<&str> = options[0].options.iter().map(|o| &*o.text).collect();
    assert_eq!(offered, ["Knock", "Enter"]);

    app.world_mut().write_message(SelectOption {
        entity: npc,
        index: 0,
    });
    app.update();
    assert_eq!(texts(&mut app, npc), ["A door. Knocks: 1."]);
    let commands = drain::<DialogueCommand>(&mut app);
    assert_eq!(&*commands[0].name, "play_sound");
    assert_eq!(commands[0].args, [qnce::Value::Str("knock".into())]);

    app.world_mut().write_message(SelectOption {
        entity: npc,
        index: 1,
    });
    app.update();
    assert_eq!(texts(&mut app, npc), ["A warm hall."]);
    // One option: `Advance` takes it.
    app.world_mut().write_message(Advance { entity: npc });
    app.update();
    assert_eq!(texts(&mut app, npc), ["You sit down."]);
    let ended = drain::<DialogueEnded>(&mut app);
    assert_eq!(ended.len(), 1);
    assert_eq!(&*ended[0].node, "seat");
}

#[test]
fn two_npcs_keep_separate_sessions() {
    let dir = story_dir("bevy-two", STORY);
    let mut app = app(&dir);
    let innkeeper = app
        .world_mut()
        .spawn(Dialogue::new(SessionConfig::with_seed(1)))
        .id();
    let guard = app
        .world_mut()
        .spawn(Dialogue::new(SessionConfig::with_seed(2)))
        .id();
    app.update();
    drain::<DialogueLine>(&mut app);
    app.world_mut().write_message(SelectOption {
        entity: innkeeper,
        index: 0,
    });
    app.world_mut().write_message(SelectOption {
        entity: innkeeper,
        index: 0,
    });
    app.update();
    assert_eq!(
        texts(&mut app, innkeeper),
        ["A door. Knocks: 1.", "A door. Knocks: 2."]
    );
    let knocks = |app: &mut App, who: Entity| {
        let story = app.world().resource::<QnceStory>().shared().unwrap().read();
        app.world()
            .get::<Dialogue>(who)
            .and_then(Dialogue::session)
            .and_then(|s| s.get::<i64>(&story, "knocks"))
    };
    assert_eq!(knocks(&mut app, innkeeper), Some(2));
    assert_eq!(knocks(&mut app, guard), Some(0));
}

#[test]
fn a_live_edit_shows_next_frame_with_state_kept_and_a_broken_one_is_located() {
    let dir = story_dir("bevy-live", STORY);
    let (mut app, npc) = with_npc(&dir);
    app.world_mut().write_message(SelectOption {
        entity: npc,
        index: 0,
    });
    app.update();
    drain::<DialogueLine>(&mut app);
    drain::<StoryReloaded>(&mut app);

    dir.write("story.ron", STORY.replace("A door.", "An oak door."));
    let seen = app
        .world_mut()
        .resource_mut::<QnceStory>()
        .wait(Duration::from_secs(20));
    assert!(seen, "the watcher saw the edit");
    app.update();
    let reloaded = drain::<StoryReloaded>(&mut app);
    assert!(reloaded.iter().all(|r| r.ok), "{reloaded:?}");
    assert_eq!(texts(&mut app, npc), ["An oak door. Knocks: 1."]);

    dir.write(
        "story.ron",
        STORY.replace(r#"to: "hall""#, r#"to: "cellar""#),
    );
    let seen = app
        .world_mut()
        .resource_mut::<QnceStory>()
        .wait(Duration::from_secs(20));
    assert!(seen, "the watcher saw the broken edit");
    app.update();
    let reloaded = drain::<StoryReloaded>(&mut app);
    let errors: Vec<&String> = reloaded.iter().flat_map(|r| &r.errors).collect();
    assert!(reloaded.iter().any(|r| !r.ok), "{reloaded:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("story.ron:6:") && e.contains("`cellar`")),
        "{errors:?}"
    );
    // Play goes on with the story as it was.
    app.world_mut().write_message(SelectOption {
        entity: npc,
        index: 1,
    });
    app.update();
    assert_eq!(texts(&mut app, npc), ["A warm hall."]);
}

#[test]
fn a_story_that_does_not_load_is_a_located_message_not_a_panic() {
    let dir = story_dir(
        "bevy-broken",
        &STORY.replace(r#"to: "hall""#, r#"to: "cellar""#),
    );
    let (mut app, npc) = with_npc(&dir);
    let reloaded = drain::<StoryReloaded>(&mut app);
    assert_eq!(reloaded.len(), 1);
    assert!(!reloaded[0].ok);
    assert!(
        reloaded[0].errors[0].contains("story.ron:6:"),
        "{reloaded:?}"
    );
    assert!(texts(&mut app, npc).is_empty());
}

/// A story that did not load is loaded once the author saves a fix; a dialogue whose
/// session could not start starts after the next edit; an edit that makes a dialogue's
/// node an ending says so.
#[test]
fn broken_stories_and_sessions_recover_after_a_fix_and_endings_from_edits_are_reported() {
    let dir = story_dir(
        "bevy-recover",
        &STORY.replace(r#"to: "hall""#, r#"to: "cellar""#),
    );
    let (mut app, npc) = with_npc(&dir);
    assert!(drain::<StoryReloaded>(&mut app).iter().all(|r| !r.ok));

    // A fix; a function the dialogue needs is missing, so its start fails.
    let needs = STORY.replace(
        r#"commands: {"#,
        r#"functions: { "mood": (returns: Int) }, commands: {"#,
    );
    dir.write(
        "story.ron",
        needs.replace("A door.", "A door{mood() > 0 ? '!' : '.'}"),
    );
    assert!(
        app.world_mut()
            .resource_mut::<QnceStory>()
            .wait(Duration::from_secs(20))
    );
    app.update();
    assert!(drain::<StoryReloaded>(&mut app).iter().any(|r| r.ok));
    assert!(texts(&mut app, npc).is_empty());
    let error = app
        .world()
        .get::<Dialogue>(npc)
        .unwrap()
        .error()
        .unwrap()
        .to_owned();
    assert!(error.contains("`mood`"), "{error}");

    // The function gets a fallback: the dialogue starts.
    dir.write(
        "story.ron",
        needs
            .replace(
                r#""mood": (returns: Int)"#,
                r#""mood": (returns: Int, fallback: "1")"#,
            )
            .replace("A door.", "A door{mood() > 0 ? '!' : '.'}"),
    );
    assert!(
        app.world_mut()
            .resource_mut::<QnceStory>()
            .wait(Duration::from_secs(20))
    );
    app.update();
    assert_eq!(texts(&mut app, npc), ["A door! Knocks: 0."]);
    assert_eq!(drain::<DialogueOptions>(&mut app).len(), 1);

    // The door loses its choices: the edit makes it an ending.
    let ending = r#""door": (text: "A door. Knocks: {knocks}."),"#;
    let start = STORY.find(r#""door": ("#).unwrap();
    let end = STORY.find(r#""hall":"#).unwrap();
    dir.write(
        "story.ron",
        format!("{}{ending}\n        {}", &STORY[..start], &STORY[end..]),
    );
    assert!(
        app.world_mut()
            .resource_mut::<QnceStory>()
            .wait(Duration::from_secs(20))
    );
    app.update();
    let ended = drain::<DialogueEnded>(&mut app);
    assert_eq!(ended.len(), 1, "{:?}", drain::<StoryReloaded>(&mut app));
    assert!(drain::<DialogueOptions>(&mut app).is_empty());
}
