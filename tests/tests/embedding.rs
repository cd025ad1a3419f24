//! Embedding in a game: sessions a game keeps on its own threads beside one reloader,
//! stale sessions, owned events, and game-side variables.

use std::sync::mpsc;
use std::thread;

use qnce::reload::SharedStory;
use qnce::{Event, Limits, RuntimeError, Session, SessionConfig, StoryEvent, Value};

use crate::support::{TempDir, story_dir};

const STORY: &str = r#"Story(title: "Game", start: "hall", variables: { "coins": Int(3) },
    commands: { "ring": (params: [("times", Int)]) },
    nodes: {
        "hall": (text: "A hall. Coins: {coins}.", tags: ["indoors"], choices: [
            (id: "east", text: "Go east", to: "yard", set: ["coins += 1", "ring(coins)"], tags: ["move"]),
            (id: "stay", text: "Stay", to: "hall"),
        ]),
        "yard": (text: "A yard.", choices: [(text: "Back", to: "hall")]),
    })"#;

/// The story as a file in a new directory, shared.
fn shared(tag: &str, text: &str) -> (TempDir, SharedStory) {
    let dir = story_dir(tag, text);
    let shared = SharedStory::open(dir.path(), &Limits::default())
        .unwrap()
        .value;
    (dir, shared)
}

/// Four sessions play on four threads with no lock around stepping but the story's read
/// lock, while edits land between their steps; each session sees every edit, and the
/// game never reaches into another thread's session.
#[test]
fn four_threads_play_while_edits_land_in_every_session() {
    let (dir, mut shared) = shared("four-threads", STORY);
    let (to_game, from_players) = mpsc::channel::<(usize, String)>();
    let mut go = Vec::new();
    let mut players = Vec::new();
    for seed in 0..4 {
        let handle = shared.handle();
        let to_game = to_game.clone();
        let (tx, rx) = mpsc::channel::<usize>();
        go.push(tx);
        players.push(thread::spawn(move || {
            let mut session = Session::new(&handle.read(), SessionConfig::with_seed(seed)).unwrap();
            // Each message is a round: take a choice, report the text.
            while let Ok(choice) = rx.recv() {
                let text = handle
                    .play(&mut session, |story, s| {
                        s.choose(story, choice)?;
                        Ok(s.text().to_owned())
                    })
                    .unwrap();
                to_game.send((seed as usize, text)).unwrap();
            }
            session
        }));
    }
    let round = |choice: usize| -> Vec<String> {
        for tx in &go {
            tx.send(choice).unwrap();
        }
        let mut texts = vec![String::new(); 4];
        for _ in 0..4 {
            let (i, text) = from_players.recv().unwrap();
            texts[i] = text;
        }
        texts
    };
    assert_eq!(round(0), vec!["A yard."; 4]);
    dir.write("story.ron", STORY.replace("A hall.", "A great hall."));
    shared.reload(None).unwrap();
    assert_eq!(round(0), vec!["A great hall. Coins: 4."; 4]);
    dir.write("story.ron", STORY.replace("A yard.", "A muddy yard."));
    shared.reload(None).unwrap();
    assert_eq!(round(0), vec!["A muddy yard."; 4]);
    drop(go);
    for player in players {
        let session = player.join().unwrap();
        assert_eq!(session.turns(), 3);
    }
}

/// A session that missed an edit says so when stepped, instead of failing on what the
/// edit changed; caught up, it plays on with its state.
#[test]
fn a_stale_session_is_told_so_until_it_catches_up() {
    let (dir, mut shared) = shared("stale", STORY);
    let mut session = Session::new(&shared.read(), SessionConfig::with_seed(1)).unwrap();
    session.choose(&shared.read(), 0).unwrap();
    dir.write(
        "story.ron",
        STORY
            .replace(
                r#""yard": (text: "A yard.","#,
                r#""court": (text: "A court.","#,
            )
            .replace(r#"to: "yard""#, r#"to: "court""#),
    );
    shared.reload(None).unwrap();
    let story = shared.read();
    assert!(session.is_behind(&story));
    assert_eq!(
        session.choose(&story, 0).unwrap_err(),
        RuntimeError::StaleSession { behind: 1 }
    );
    let events = session.catch_up(&story).unwrap();
    assert!(
        events.iter().any(|e| matches!(e, Event::Relocated { .. })),
        "{events:?}"
    );
    assert_eq!(session.text(), "A hall. Coins: 4.");
    session.choose(&story, 0).unwrap();
    assert_eq!(session.text(), "A court.");
}

/// A session further behind than the story keeps deltas for is resynced: it keeps its
/// variables and position, and takes the story's new variables.
#[test]
fn a_session_far_behind_is_resynced() {
    let (dir, mut shared) = shared("resync", STORY);
    let mut session = Session::new(&shared.read(), SessionConfig::with_seed(1)).unwrap();
    session.choose(&shared.read(), 0).unwrap();
    let edits = qnce::Story::KEPT_DELTAS + 3;
    for i in 0..edits {
        dir.write(
            "story.ron",
            STORY.replace("A yard.", &format!("A yard ({i}).")).replace(
                r#""coins": Int(3)"#,
                r#""coins": Int(3), "torch": Bool(true)"#,
            ),
        );
        shared.reload(None).unwrap();
    }
    let story = shared.read();
    assert_eq!(story.version(), edits as u64);
    assert!(story.changes_since(0).is_none());
    session.catch_up(&story).unwrap();
    assert_eq!(session.text(), format!("A yard ({}).", edits - 1));
    assert_eq!(session.get::<i64>(&story, "coins"), Some(4));
    assert_eq!(session.get::<bool>(&story, "torch"), Some(true));
}

/// A session played against another story than its own is refused.
#[test]
fn a_session_refuses_another_story() {
    let (_dir, mine) = shared("other-a", STORY);
    let (_dir2, other) = shared("other-b", STORY);
    let mut session = Session::new(&mine.read(), SessionConfig::with_seed(1)).unwrap();
    assert_eq!(
        session.choose(&other.read(), 0).unwrap_err(),
        RuntimeError::OtherStory
    );
    assert_eq!(
        session.catch_up(&other.read()).unwrap_err(),
        RuntimeError::OtherStory
    );
}

/// Owned events carry their texts, names, tags and values, and cross threads.
#[test]
fn owned_events_carry_everything_and_cross_threads() {
    fn is_send_static<T: Send + 'static>(_: &T) {}
    let dir = story_dir("owned", STORY);
    let story = crate::support::load(dir.path());
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let start = session.owned_events(&story);
    assert!(
        matches!(&start[0], StoryEvent::Line { node, text, tags, entered: true, .. }
        if &**node == "hall" && &**text == "A hall. Coins: 3." && tags[..] == ["indoors".into()])
    );
    assert!(matches!(&start[0], StoryEvent::Line { line, .. } if &**line == "hall"));
    match &start[1] {
        StoryEvent::Options { node, options } => {
            assert_eq!(&*options[0].line, "hall.east");
            assert_eq!(&**node, "hall");
            let texts: Vec<&str> = options.iter().map(|o| &*o.text).collect();
            assert_eq!(texts, ["Go east", "Stay"]);
            assert_eq!(options[0].tags[..], ["move".into()]);
        }
        other => panic!("{other:?}"),
    }
    session.choose(&story, 0).unwrap();
    let events = session.owned_events(&story);
    is_send_static(&events);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(events).unwrap());
    let events = rx.recv().unwrap();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            StoryEvent::ChoiceMade { choice, text, .. } => format!("chose {choice}: {text}"),
            StoryEvent::VariableChanged { name, new, .. } => format!("{name} = {new}"),
            StoryEvent::Command { name, args } => format!("{name}{args:?}"),
            StoryEvent::Line { text, .. } => text.to_string(),
            StoryEvent::Options { options, .. } => format!("{} option(s)", options.len()),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "chose east: Go east",
            "coins = 4",
            "ring[Int(4)]",
            "A yard.",
            "1 option(s)"
        ]
    );
}

/// Variables read by name as Rust types; set from the game, a variable reports the
/// change and shows the current node again when it reads differently; as a step, undo
/// takes it back.
#[test]
fn game_side_variables_are_typed_and_set_with_events() {
    let dir = story_dir("game-vars", STORY);
    let story = crate::support::load(dir.path());
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    assert_eq!(session.get::<i64>(&story, "coins"), Some(3));
    assert_eq!(session.get::<f64>(&story, "coins"), Some(3.0));
    assert_eq!(session.get::<String>(&story, "coins"), None);
    assert_eq!(session.get::<i64>(&story, "gems"), None);

    let events = session.set_var(&story, "coins", Value::Int(10)).unwrap();
    assert!(
        matches!(
            events,
            [Event::VariableChanged { .. }, Event::NodeShown { .. }]
        ),
        "{events:?}"
    );
    assert_eq!(session.text(), "A hall. Coins: 10.");
    assert!(!session.can_undo());
    // The same value again changes nothing and reports nothing.
    assert!(
        session
            .set_var(&story, "coins", Value::Int(10))
            .unwrap()
            .is_empty()
    );

    session
        .set_var_as_step(&story, "coins", Value::Int(20))
        .unwrap();
    assert_eq!(session.text(), "A hall. Coins: 20.");
    session.undo(&story).unwrap();
    assert_eq!(session.get::<i64>(&story, "coins"), Some(10));
    assert_eq!(session.text(), "A hall. Coins: 10.");
}

/// A story loads from files in memory: includes and assets resolve among them, and
/// diagnostics name the files as given.
#[test]
fn a_story_loads_from_memory_and_its_errors_name_the_given_files() {
    let files = qnce::MemoryFiles::default()
        .with(
            "game/story.ron",
            r#"Story(title: "Mem", start: "a", include: ["acts/one.ron"],
                assets: { "bell": (path: "sounds/bell.ogg", kind: Audio) },
                nodes: { "a": (text: "A", assets: ["bell"], choices: [(text: "On", to: "b")]) })"#,
        )
        .with(
            "game/acts/one.ron",
            r#"Include(nodes: { "b": (text: "B") })"#,
        )
        .with("game/sounds/bell.ogg", [0u8, 1, 2]);
    let story = qnce::load_from(&files, "game", &Limits::default())
        .unwrap()
        .value;
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    session.choose(&story, 0).unwrap();
    assert_eq!(session.text(), "B");

    let broken = files.clone().with(
        "game/acts/one.ron",
        r#"Include(nodes: { "b": (text: "B", to: "c") })"#,
    );
    let error = qnce::load_from(&broken, "game/story.ron", &Limits::default()).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("game/acts/one.ron:1:"), "{message}");
    let mut missing = files.clone();
    assert!(missing.remove("game/sounds/bell.ogg"));
    let message = qnce::load_from(&missing, "game", &Limits::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("game/story.ron:2:"), "{message}");
    assert!(
        message.contains("asset file `sounds/bell.ogg` does not exist"),
        "{message}"
    );
    let message = qnce::load_from(&files, "nowhere", &Limits::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("nowhere"), "{message}");
}

/// A function bound under a name the story does not declare is refused when the session
/// starts (a misspelt binding); the story's texts, choices and assets read by accessor.
#[test]
fn a_misspelt_binding_is_refused_and_metadata_reads_by_accessor() {
    let dir = story_dir("accessors", STORY);
    let story = crate::support::load(dir.path());
    let config =
        SessionConfig::with_seed(1).with_function("has_itme", |_: &[Value]| Value::Bool(true));
    assert_eq!(
        Session::new(&story, config).unwrap_err(),
        RuntimeError::UnknownFunction("has_itme".into())
    );
    let hall = story.node_id("hall").unwrap();
    assert_eq!(story.node_source(hall), "A hall. Coins: {coins}.");
    assert_eq!(story.node_tags(hall), ["indoors".into()]);
    let choices: Vec<(String, &str)> = story
        .node_choices(hall)
        .map(|(id, text)| (story.choice_name(id).to_owned(), text))
        .collect();
    assert_eq!(
        choices,
        [("east".to_owned(), "Go east"), ("stay".to_owned(), "Stay")]
    );
    assert!(story.node_assets(hall).is_empty());
}

/// A text keeps what was written, whether it is plain (short or long, kept once), has
/// escaped braces (shown as one brace, written as two) or interpolates; and a session
/// shows each rendered.
#[test]
fn texts_read_back_as_written_and_show_as_rendered() {
    let long = "A long plain text, much longer than the few words kept inline.";
    let dir = story_dir(
        "texts-as-written",
        &format!(
            r#"Story(title: "T", start: "a", variables: {{ "n": Int(2) }}, nodes: {{
                "a": (text: "{long}", choices: [
                    (id: "short", text: "Go", to: "b"),
                    (id: "braces", text: "Say {{{{hi}}}}", to: "b"),
                    (id: "count", text: "Count {{n}}", to: "b"),
                ]),
                "b": (text: "Braces {{{{like this}}}}, and {{n}}."),
            }})"#
        ),
    );
    let story = crate::support::load(dir.path());
    let (a, b) = (story.node_id("a").unwrap(), story.node_id("b").unwrap());
    assert_eq!(story.node_source(a), long);
    assert_eq!(story.node_source(b), "Braces {{like this}}, and {n}.");
    let written: Vec<&str> = story.node_choices(a).map(|(_, text)| text).collect();
    assert_eq!(written, ["Go", "Say {{hi}}", "Count {n}"]);
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    assert_eq!(session.text(), long);
    let shown: Vec<&str> = session.choices().map(|(_, text)| text).collect();
    assert_eq!(shown, ["Go", "Say {hi}", "Count 2"]);
    session.choose(&story, 1).unwrap();
    assert_eq!(session.text(), "Braces {like this}, and 2.");
}

/// Edits a session missed together are brought along as one: a node removed and added
/// again is shown afresh (its new choices work), a variable added then retyped is reset
/// once, and an edit that changes nothing is no new version.
#[test]
fn missed_edits_brought_along_together_match_the_story() {
    let (dir, mut shared) = shared("missed-together", STORY);
    let mut session = Session::new(&shared.read(), SessionConfig::with_seed(1)).unwrap();
    session.choose(&shared.read(), 0).unwrap(); // at `yard`
    let without_yard = STORY
        .replace(
            r#""yard": (text: "A yard.", choices: [(text: "Back", to: "hall")]),"#,
            "",
        )
        .replace(r#"to: "yard""#, r#"to: "hall""#);
    dir.write("story.ron", &without_yard);
    shared.reload(None).unwrap();
    let version = shared.read().version();
    shared.reload(None).unwrap(); // the same text again: no new version
    assert_eq!(shared.read().version(), version);
    dir.write(
        "story.ron",
        STORY.replace(
            r#""yard": (text: "A yard.", choices: [(text: "Back", to: "hall")]),"#,
            r#""yard": (text: "A new yard.", choices: [(text: "Leave", to: "hall"), (text: "Dig", to: "yard")]),"#,
        ),
    );
    shared.reload(None).unwrap();
    let story = shared.read();
    session.catch_up(&story).unwrap();
    assert_eq!(session.text(), "A new yard.");
    assert_eq!(session.n_choices(), 2);
    session.choose(&story, 1).unwrap();
    assert_eq!(session.text(), "A new yard.");
}

/// A restart plays the story as it is now, even for a session that missed edits.
#[test]
fn a_stale_session_can_restart() {
    let (dir, mut shared) = shared("stale-restart", STORY);
    let mut session = Session::new(&shared.read(), SessionConfig::with_seed(1)).unwrap();
    dir.write("story.ron", STORY.replace("A hall.", "A great hall."));
    shared.reload(None).unwrap();
    let story = shared.read();
    session.restart(&story, 2).unwrap();
    assert_eq!(session.text(), "A great hall. Coins: 3.");
    session.choose(&story, 0).unwrap();
}

/// A game's change that leaves the node with nothing to choose but a way on goes on.
#[test]
fn set_var_goes_on_from_a_node_left_with_only_a_way_on() {
    let dir = story_dir(
        "set-var-onward",
        r#"Story(title: "S", start: "gate", variables: { "open": Bool(true) }, nodes: {
            "gate": (text: "The gate.", choices: [(text: "Wait", to: "gate", when: "open")], next: "road"),
            "road": (text: "The road."),
        })"#,
    );
    let story = crate::support::load(dir.path());
    let mut session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    session.set_var(&story, "open", Value::Bool(false)).unwrap();
    assert_eq!(session.text(), "The road.");
    assert!(session.is_ended());
}
