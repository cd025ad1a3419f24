//! Sessions through the public API: events, undo and redo, flows, limits, host variables
//! and saves against edited stories.

use qnce::{Event, RuntimeError, SaveData, Session, SessionConfig, Value};

use crate::support::{load, root, story_dir};

const COUNTER: &str = r#"Story(title: "Counter", start: "a",
    variables: { "n": Int(0), "f": Float(0.0) },
    nodes: {
        "a": (text: "n is {n}", choices: [
            (id: "inc", text: "Add", to: "a", set: ["n += 1"]),
            (id: "once", text: "Once", to: "a", once: true),
            (id: "end", text: "Stop", to: "z"),
        ]),
        "z": (text: "done"),
    })"#;

#[test]
fn events_report_choice_variable_entry_and_end() {
    let dir = story_dir("events", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let events = s.choose(&story, 0).unwrap().to_vec();
    let n = story.var_id("n").unwrap();
    let a = story.node_id("a").unwrap();
    assert!(matches!(events[0], Event::ChoiceMade { node, fallback: false, .. } if node == a));
    assert_eq!(
        events[1],
        Event::VariableChanged {
            var: n,
            old: Value::Int(0),
            new: Value::Int(1)
        }
    );
    assert!(matches!(events[2], Event::NodeEntered { node, .. } if node == a));
    if let Event::NodeEntered { text, .. } = events[2] {
        assert_eq!(s.passage(text), "n is 1");
    }
    let events = s.choose(&story, 2).unwrap();
    assert!(matches!(events.last(), Some(Event::StoryEnded { .. })));
    assert!(s.is_ended());
    assert!(matches!(
        s.choose(&story, 0),
        Err(RuntimeError::Ended { .. })
    ));
}

#[test]
fn once_choices_hide_after_being_chosen_and_undo_brings_them_back() {
    let dir = story_dir("once", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    assert_eq!(s.n_choices(), 3);
    s.choose(&story, 1).unwrap();
    let texts: Vec<String> = s.choices().map(|(_, t)| t.to_owned()).collect();
    assert_eq!(texts, ["Add", "Stop"]);
    s.undo(&story).unwrap();
    assert_eq!(s.n_choices(), 3);
}

#[test]
fn undo_and_redo_walk_at_least_a_hundred_steps() {
    let dir = story_dir("undo", COUNTER);
    let story = load(dir.path());
    let n = story.var_id("n").unwrap();
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    for _ in 0..150 {
        s.choose(&story, 0).unwrap();
    }
    let a = story.node_id("a").unwrap();
    assert_eq!(s.visits(a), 151);
    for _ in 0..150 {
        s.undo(&story).unwrap();
    }
    assert_eq!(s.var(n), Some(&Value::Int(0)));
    assert_eq!(s.visits(a), 1);
    assert_eq!(s.turns(), 0);
    assert_eq!(s.text(), "n is 0");
    assert_eq!(s.undo(&story).unwrap_err(), RuntimeError::NothingToUndo);
    for _ in 0..150 {
        s.redo(&story).unwrap();
    }
    assert_eq!(s.var(n), Some(&Value::Int(150)));
    assert_eq!(s.text(), "n is 150");
    assert_eq!(s.redo(&story).unwrap_err(), RuntimeError::NothingToRedo);
}

#[test]
fn a_new_step_after_undo_drops_the_redo_stack() {
    let dir = story_dir("redo-drop", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 0).unwrap();
    s.undo(&story).unwrap();
    assert!(s.can_redo());
    s.choose(&story, 1).unwrap();
    assert!(!s.can_redo());
}

#[test]
fn undo_limit_is_configurable() {
    let dir = story_dir("undo-limit", COUNTER);
    let story = load(dir.path());
    let config = SessionConfig {
        undo_limit: 3,
        ..SessionConfig::with_seed(1)
    };
    let mut s = Session::new(&story, config).unwrap();
    for _ in 0..5 {
        s.choose(&story, 0).unwrap();
    }
    for _ in 0..3 {
        s.undo(&story).unwrap();
    }
    assert!(!s.can_undo());
    assert_eq!(s.text(), "n is 2");
}

#[test]
fn a_chain_of_automatic_advances_stops_at_the_limit() {
    let dir = story_dir(
        "chain",
        r#"Story(title: "Loop", start: "a", nodes: {
            "a": (text: "a", next: "b"),
            "b": (text: "b", choices: [(text: "again", to: "a", fallback: true)]),
        })"#,
    );
    let story = load(dir.path());
    let err = Session::new(
        &story,
        SessionConfig {
            max_chain: 50,
            ..SessionConfig::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        err,
        RuntimeError::ChainTooLong {
            node: "a".into(),
            limit: 50
        }
    );
    assert!(err.to_string().contains("more than 50 automatic advances"));
}

#[test]
fn a_failed_step_changes_nothing() {
    let dir = story_dir(
        "rollback",
        r#"Story(title: "T", start: "a", variables: { "n": Int(1) }, nodes: {
            "a": (text: "n={n}", choices: [(text: "div", to: "b", set: ["n -= 1"])]),
            "b": (text: "{10 / n}"),
        })"#,
    );
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let err = s.choose(&story, 0).unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    assert_eq!(s.var(story.var_id("n").unwrap()), Some(&Value::Int(1)));
    assert_eq!(s.text(), "n=1");
    assert_eq!(s.turns(), 0);
    assert!(!s.can_undo());
}

#[test]
fn flows_keep_their_own_position_and_history_and_share_variables() {
    let story = load(&root().join("stories/lighthouse"));
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let radio = story.flow_id("radio").unwrap();
    let main = story.main_flow();
    s.choose(&story, 0).unwrap(); // boathouse, back at the shore with oil
    s.switch_flow(&story, radio).unwrap();
    assert_eq!(s.current_node(), story.node_id("radio_static"));
    s.choose(&story, 0).unwrap();
    assert_eq!(s.text(), "A weather report: the storm holds at 3.");
    s.switch_flow(&story, main).unwrap();
    assert_eq!(s.current_node(), story.node_id("shore"));
    let names = |f| {
        s.history(f)
            .iter()
            .map(|&n| story.node_name(n))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(main), ["shore", "boathouse", "shore"]);
    assert_eq!(names(radio), ["radio_static", "radio_tuned"]);
    // Light the lamp in main; the radio flow sees the shared variable.
    s.choose(&story, 0).unwrap(); // tower_base
    s.choose(&story, 0).unwrap(); // lamp_room
    s.choose(&story, 0).unwrap(); // lit
    s.switch_flow(&story, radio).unwrap();
    s.choose(&story, 0).unwrap();
    assert!(s.text().contains("We see your light!"), "{}", s.text());
    // Switching flows is undoable.
    s.undo(&story).unwrap();
    s.undo(&story).unwrap();
    assert_eq!(s.current_flow(), main);
}

#[test]
fn host_variables_are_type_checked() {
    let dir = story_dir("host", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.set_var(&story, "n", Value::Int(41)).unwrap();
    s.set_var(&story, "f", Value::Int(2)).unwrap();
    assert_eq!(s.var(story.var_id("f").unwrap()), Some(&Value::Float(2.0)));
    let err = s.set_var(&story, "n", Value::Bool(true)).unwrap_err();
    assert_eq!(err.to_string(), "variable `n` is Int, not Bool");
    assert!(matches!(
        s.set_var(&story, "nope", Value::Int(1)),
        Err(RuntimeError::UnknownVariable(_))
    ));
    s.refresh(&story).unwrap();
    assert_eq!(s.text(), "n is 41");
}

#[test]
fn a_session_plays_on_another_thread() {
    let dir = story_dir("send", COUNTER);
    let story = std::sync::Arc::new(load(dir.path()));
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let story2 = story.clone();
    let s = std::thread::spawn(move || {
        s.choose(&story2, 0).unwrap();
        s
    })
    .join()
    .unwrap();
    assert_eq!(s.text(), "n is 1");
}

#[test]
fn a_save_migrates_to_an_edited_story() {
    let dir = story_dir("migrate", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 0).unwrap();
    s.choose(&story, 2).unwrap(); // at "z"
    let save = SaveData::from_ron(&s.save(&story).to_ron().unwrap()).unwrap();
    // The edit: `n` becomes a Str, `f` is removed, `g` is new, and node `z` is removed.
    let edited = COUNTER
        .replace(
            r#""n": Int(0), "f": Float(0.0)"#,
            r#""n": Str("x"), "g": Bool(true)"#,
        )
        .replace(r#"(id: "end", text: "Stop", to: "z"),"#, "")
        .replace(r#""z": (text: "done"),"#, "");
    std::fs::write(dir.path().join("story.ron"), edited).unwrap();
    let story = load(dir.path());
    let (s, warnings) = Session::restore(&story, &save, SessionConfig::default()).unwrap();
    assert_eq!(
        s.current_node(),
        story.node_id("a"),
        "fell back to the last node that exists"
    );
    assert_eq!(
        s.var(story.var_id("n").unwrap()),
        Some(&Value::Str("x".into()))
    );
    assert_eq!(s.var(story.var_id("g").unwrap()), Some(&Value::Bool(true)));
    let all = warnings.join("\n");
    assert!(all.contains("variable `f` no longer exists"), "{all}");
    assert!(all.contains("variable `n` changed type"), "{all}");
    assert!(
        all.contains("node `z` of flow `main` no longer exists; moved to `a`"),
        "{all}"
    );
    assert!(all.contains("undo history"), "{all}");
}

#[test]
fn a_save_of_a_newer_format_is_refused() {
    let dir = story_dir("version", COUNTER);
    let story = load(dir.path());
    let s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let text = s
        .save(&story)
        .to_ron()
        .unwrap()
        .replacen("version: 1", "version: 99", 1);
    let err = SaveData::from_ron(&text).unwrap_err();
    assert!(
        err.to_string().contains("version 99 is not supported"),
        "{err}"
    );
}

#[test]
fn restart_plays_exactly_as_a_new_session_with_the_same_seed() {
    let story = load(&root().join("stories/crossroads"));
    let mut reused = Session::new(&story, SessionConfig::with_seed(9)).unwrap();
    // Play a while: state, history and undo steps to forget (start, river, ferry).
    for choice in [0, 1] {
        reused.choose(&story, choice).unwrap();
    }
    assert!(reused.can_undo());
    let events = reused.restart(&story, 4).unwrap().to_vec();
    let mut fresh = Session::new(&story, SessionConfig::with_seed(4)).unwrap();
    assert_eq!(events, fresh.events());
    assert!(!reused.can_undo() && !reused.can_redo());
    assert_eq!(reused.seed(), 4);
    assert_eq!(reused.turns(), 0);
    // Then the same choices give the same texts, variables and visits.
    for choice in [1, 0, 0] {
        let (a, b) = (
            reused.choose(&story, choice).map(<[Event]>::to_vec),
            fresh.choose(&story, choice).map(<[Event]>::to_vec),
        );
        assert_eq!(a.is_ok(), b.is_ok());
        assert_eq!(reused.text(), fresh.text());
        assert_eq!(reused.save(&story), fresh.save(&story));
    }
}

#[test]
fn two_writers_of_one_save_path_at_once_leave_one_whole_file() {
    let dir = crate::support::TempDir::new("atomic-save");
    let path = dir.path().join("slot-1.ron");
    let texts = ["a".repeat(200_000), "b".repeat(200_000)];
    std::thread::scope(|scope| {
        for text in &texts {
            let path = &path;
            scope.spawn(move || {
                for _ in 0..50 {
                    qnce::persist::write_atomic(path, text).unwrap();
                }
            });
        }
    });
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(texts.contains(&written), "one writer's text, whole");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind: {left:?}");
}

/// An atomic write gives a new file the permissions any new file gets (`0666` less the
/// process's umask), not a temporary file's owner-only ones, and keeps those of a file it
/// writes over.
#[cfg(target_os = "linux")]
#[test]
fn atomic_writes_give_usual_permissions_and_keep_existing_ones() {
    use std::os::unix::fs::PermissionsExt;
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
        .unwrap();
    let dir = crate::support::TempDir::new("atomic-mode");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let new = dir.path().join("template.pot");
    qnce::persist::write_atomic(&new, "x").unwrap();
    assert_eq!(mode(&new), 0o666 & !umask);
    let kept = dir.path().join("de.po");
    std::fs::write(&kept, "old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    qnce::persist::write_atomic(&kept, "new").unwrap();
    assert_eq!(mode(&kept), 0o640);
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "new");
}

#[test]
fn node_and_choice_tags_are_read_by_ids() {
    let dir = story_dir(
        "tags",
        r#"Story(title: "Tags", start: "a", nodes: {
            "a": (text: "A", tags: ["act1", "calm"], choices: [
                (id: "go", text: "Go", to: "b", tags: ["loud"]),
                (text: "Stay", to: "a"),
            ]),
            "b": (text: "B"),
        })"#,
    );
    let story = load(dir.path());
    let (a, b) = (story.node_id("a").unwrap(), story.node_id("b").unwrap());
    let tags = |t: &[std::sync::Arc<str>]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(tags(story.node_tags(a)), ["act1", "calm"]);
    assert!(story.node_tags(b).is_empty());
    let session = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let shown: Vec<_> = session
        .choices()
        .map(|(view, _)| tags(story.choice_tags(a, view.id)))
        .collect();
    assert_eq!(shown, [vec!["loud".to_owned()], vec![]]);
    let go = story.choice_id("go").unwrap();
    assert_eq!(tags(story.choice_tags(a, go)), ["loud"]);
    // A choice id of another node's choice is no choice of `b`.
    assert!(story.choice_tags(b, go).is_empty());
}

/// Issue 14, class 3: `s += s` doubled a string on each entry until the process died.
/// Strings have a limit now; the step that would pass it fails and changes nothing.
#[test]
fn a_string_that_would_pass_the_limit_fails_its_step_and_changes_nothing() {
    let dir = story_dir(
        "string-limit",
        r#"Story(title: "Grow", start: "a", variables: { "s": Str("ab") },
        nodes: { "a": (text: "{s}", on_enter: ["s += s"], choices: [(text: "Again", to: "a")]) })"#,
    );
    let story = load(dir.path());
    let config = SessionConfig {
        max_string_len: 1000,
        ..SessionConfig::with_seed(1)
    };
    let mut session = Session::new(&story, config).unwrap();
    let s = story.var_id("s").unwrap();
    let mut len = 4;
    while len * 2 <= 1000 {
        session.choose(&story, 0).unwrap();
        len *= 2;
        assert_eq!(session.var(s).map(|v| v.to_string().len()), Some(len));
    }
    let before = (
        session.var(s).cloned(),
        session.turns(),
        session.text().to_owned(),
    );
    let err = session.choose(&story, 0).unwrap_err();
    assert!(
        err.to_string()
            .contains("a string would be longer than the limit of 1000 bytes"),
        "{err}"
    );
    assert_eq!(
        (
            session.var(s).cloned(),
            session.turns(),
            session.text().to_owned()
        ),
        before
    );
    // The host is held to the same limit.
    let long = Value::Str("x".repeat(1001).into());
    assert!(matches!(
        session.set_var(&story, "s", long),
        Err(RuntimeError::StringTooLong { limit: 1000, .. })
    ));
    // Text made of many short pieces is bounded too.
    let dir = story_dir(
        "text-limit",
        &format!(
            r#"Story(title: "T", start: "a", variables: {{ "s": Str("{}") }},
            nodes: {{ "a": (text: "{}") }})"#,
            "y".repeat(100),
            "{s}".repeat(11)
        ),
    );
    let story = load(dir.path());
    let config = SessionConfig {
        max_string_len: 1000,
        ..SessionConfig::with_seed(1)
    };
    let err = Session::new(&story, config).err().unwrap();
    assert!(err.to_string().contains("limit of 1000 bytes"), "{err}");
}

/// A save of `COUNTER` after Add, Add, Once: `n` is 2 and three steps can be undone.
fn counter_save(tag: &str) -> (crate::support::TempDir, qnce::Story, String) {
    let dir = story_dir(tag, COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    for choice in [0, 0, 1] {
        s.choose(&story, choice).unwrap();
    }
    let text = s.save(&story).to_ron().unwrap();
    (dir, story, text)
}

fn restore_text(story: &qnce::Story, text: &str) -> (Session, Vec<String>) {
    let save = SaveData::from_ron(text).unwrap();
    Session::restore(story, &save, SessionConfig::with_seed(1)).unwrap()
}

/// Issue 14, class 5: an undo log holding a value of the wrong type (or none) was
/// restored as it was, and `undo` then put it into the variable. Every step of a log is
/// checked against the story and the saved state; a log that does not fit is cleared
/// with a warning, and the rest of the save is kept.
#[test]
fn an_undo_log_that_does_not_fit_the_save_is_cleared_with_a_warning() {
    let (_dir, story, text) = counter_save("undo-check");
    let n = story.var_id("n").unwrap();
    // The untouched save keeps its log.
    let (mut s, warnings) = restore_text(&story, &text);
    assert!(warnings.is_empty(), "{warnings:?}");
    s.undo(&story).unwrap();
    s.undo(&story).unwrap();
    assert_eq!(s.var(n), Some(&Value::Int(1)));

    let tampered = [
        // A string for an Int variable.
        text.replacen("old: Some(Int(1))", "old: Some(Str(\"boom\"))", 1),
        // No value.
        text.replacen("old: Some(Int(1))", "old: None", 1),
        // A step that does not end where the save is: a choice taken that was not.
        text.replacen("Turn,", "Turn, Chosen(node: \"a\", choice: \"end\"),", 1),
        // A visit that was never made.
        text.replacen("Turn,", "Turn, Visit(node: \"z\"),", 1),
    ];
    for t in &tampered {
        assert_ne!(t, &text, "the tampering applies");
        let (mut s, warnings) = restore_text(&story, t);
        assert_eq!(
            warnings,
            [
                "the undo history does not lead to the saved state (a damaged save, or values of another type); it was cleared"
            ],
            "{t}"
        );
        assert_eq!(s.var(n), Some(&Value::Int(2)));
        assert_eq!(s.undo(&story).unwrap_err(), RuntimeError::NothingToUndo);
    }
}

/// A host sets variables outside of steps, so a variable need not hold what the undo log
/// says it was left at: such a save keeps its history, and undo puts the old value back.
#[test]
fn a_variable_the_host_set_keeps_the_undo_log() {
    let dir = story_dir("undo-set-var", COUNTER);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 0).unwrap();
    s.set_var(&story, "n", Value::Int(99)).unwrap();
    let text = s.save(&story).to_ron().unwrap();
    let (mut s, warnings) = restore_text(&story, &text);
    assert!(warnings.is_empty(), "{warnings:?}");
    s.undo(&story).unwrap();
    assert_eq!(s.var(story.var_id("n").unwrap()), Some(&Value::Int(0)));
}

/// Issue 14, class 5 without tampering: a save loaded after the story retyped a
/// variable resets it, and the old log's values of the old type are not kept.
#[test]
fn a_retyped_variable_resets_and_its_old_undo_log_goes() {
    let (dir, _, text) = counter_save("undo-retyped");
    dir.write(
        "story.ron",
        COUNTER.replace(r#""n": Int(0)"#, r#""n": Str("none")"#),
    );
    let story = load(dir.path());
    let (mut s, warnings) = restore_text(&story, &text);
    assert_eq!(
        warnings,
        [
            "variable `n` changed type; it was reset to its initial value",
            "the undo history does not lead to the saved state (a damaged save, or values of another type); it was cleared",
        ]
    );
    assert_eq!(s.undo(&story).unwrap_err(), RuntimeError::NothingToUndo);
    // Play goes on, typed.
    s.choose(&story, 1).unwrap();
    assert_eq!(
        s.var(story.var_id("n").unwrap()),
        Some(&Value::Str("none".into()))
    );
}

/// Issue 14, class 6: migrations that said nothing, and a turn counter that wrapped.
#[test]
fn save_migrations_warn_and_counters_saturate() {
    let (_dir, story, text) = counter_save("migrations");
    let mut no_flows = SaveData::from_ron(&text).unwrap();
    no_flows.flows.clear();
    let no_flows = no_flows.to_ron().unwrap();
    let (s, warnings) = restore_text(&story, &no_flows);
    assert_eq!(
        warnings,
        [
            "the save has no position in flow `main`; it starts at `a`",
            "the undo history does not lead to the saved state (a damaged save, or values of another type); it was cleared",
        ]
    );
    assert_eq!(s.current_node(), story.node_id("a"));

    let unknown = text.replacen(r#"node: Some("a")"#, r#"node: Some("?")"#, 1);
    assert_ne!(unknown, text);
    let (mut s, warnings) = restore_text(&story, &unknown);
    assert_eq!(
        warnings[0],
        "node `?` of flow `main` no longer exists; moved to `a`"
    );
    s.choose(&story, 0).unwrap();

    let at_max = text.replacen("turn: 3,", &format!("turn: {},", u64::MAX), 1);
    assert_ne!(at_max, text);
    let (mut s, _) = restore_text(&story, &at_max);
    s.choose(&story, 0).unwrap();
    assert_eq!(s.turns(), u64::MAX);
}

/// `turns_since('node')`: choices made since the node was last entered (0 when entered
/// after the last choice), -1 when never; undone with the step, kept by saves.
#[test]
fn turns_since_counts_choices_since_the_last_entry() {
    let dir = story_dir(
        "turns-since",
        r#"Story(title: "T", start: "a", nodes: {
            "a": (text: "A", choices: [(text: "On", to: "b")]),
            "b": (text: "a:{turns_since('a')} b:{turns_since('b')} c:{turns_since('c')}",
                  choices: [(text: "Stay", to: "b"), (text: "Back", to: "a")]),
            "c": (text: "C"),
        })"#,
    );
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 0).unwrap();
    assert_eq!(s.text(), "a:1 b:0 c:-1");
    s.choose(&story, 0).unwrap();
    assert_eq!(s.text(), "a:2 b:0 c:-1");
    s.undo(&story).unwrap();
    assert_eq!(s.text(), "a:1 b:0 c:-1");
    s.redo(&story).unwrap();
    assert_eq!(s.text(), "a:2 b:0 c:-1");
    assert_eq!(s.turns_since(story.node_id("a").unwrap()), 2);
    // A save keeps the turns of entries, and its undo log their changes.
    let save = SaveData::from_ron(&s.save(&story).to_ron().unwrap()).unwrap();
    let (mut resumed, warnings) =
        Session::restore(&story, &save, SessionConfig::with_seed(1)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(resumed.text(), "a:2 b:0 c:-1");
    resumed.choose(&story, 1).unwrap();
    resumed.choose(&story, 0).unwrap();
    assert_eq!(resumed.text(), "a:1 b:0 c:-1");
    resumed.undo(&story).unwrap();
    resumed.undo(&story).unwrap();
    assert_eq!(resumed.text(), "a:2 b:0 c:-1");
    // A name that is not a node is an error at load.
    let dir = story_dir(
        "turns-since-bad",
        r#"Story(title: "T", start: "a", nodes: { "a": (text: "{turns_since('nowhere')}") })"#,
    );
    let err = qnce::load(dir.path(), &qnce::Limits::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("unknown node `nowhere`"), "{err}");
}

const VARIED: &str = r#"Story(title: "V", start: "a", variables: { "n": Int(0) },
    nodes: {
        "a": (text: "{sequence: first | second | last} {cycle: x | y} {once: one | two}{if n > 1} [{shuffle: p | q | r}]{end}",
              choices: [(text: "{cycle: Again | Once more} {'|'}", to: "a", set: ["n += 1"])]),
    })"#;

/// Variations advance once per entry (a choice's once per display at an entry), keep their
/// place when a node is only shown again, are undone with their step and kept by saves.
#[test]
fn variations_advance_per_entry_and_are_undone_and_saved() {
    let dir = story_dir("variations", VARIED);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(5)).unwrap();
    let shown = |s: &Session| {
        let choice: Vec<_> = s.choices().map(|(_, t)| t.to_owned()).collect();
        format!("{} / {}", s.text(), choice.join(","))
    };
    assert_eq!(shown(&s), "first x one / Again |");
    s.choose(&story, 0).unwrap();
    assert_eq!(shown(&s), "second y two / Once more |");
    s.choose(&story, 0).unwrap();
    let third = shown(&s);
    assert!(third.starts_with("last x  ["), "{third}");
    // Showing again picks what the entry showed.
    s.refresh(&story).unwrap();
    assert_eq!(shown(&s), third);
    s.choose(&story, 0).unwrap();
    assert!(shown(&s).starts_with("last y  ["), "{}", shown(&s));
    // Undo puts the counts back; the text is the entry's again.
    s.undo(&story).unwrap();
    assert_eq!(shown(&s), third);
    // A save keeps them, and its log their steps.
    let save = SaveData::from_ron(&s.save(&story).to_ron().unwrap()).unwrap();
    let (mut resumed, warnings) =
        Session::restore(&story, &save, SessionConfig::with_seed(5)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(shown(&resumed), third);
    s.choose(&story, 0).unwrap();
    resumed.choose(&story, 0).unwrap();
    assert_eq!(shown(&resumed), shown(&s));
    resumed.undo(&story).unwrap();
    resumed.undo(&story).unwrap();
    assert_eq!(shown(&resumed), "second y two / Once more |");
}

/// `shuffle` draws from the session's seeded generator: the same seed replays the same
/// text, and every branch turns up.
#[test]
fn shuffle_replays_with_its_seed() {
    let dir = story_dir("shuffle", VARIED);
    let story = load(dir.path());
    let run = |seed| {
        let mut s = Session::new(&story, SessionConfig::with_seed(seed)).unwrap();
        let mut texts = Vec::new();
        for _ in 0..30 {
            s.choose(&story, 0).unwrap();
            texts.push(s.text().to_owned());
        }
        texts
    };
    assert_eq!(run(9), run(9));
    let drawn: std::collections::BTreeSet<_> = run(9)
        .iter()
        .skip(1)
        .filter_map(|t| t.split('[').nth(1).map(|b| b.to_owned()))
        .collect();
    assert_eq!(drawn.len(), 3, "{drawn:?}");
}

const COMMANDS: &str = r#"Story(title: "Cmd", start: "a", variables: { "n": Int(2) },
    commands: {
        "play_sound": (params: [("name", Str)]),
        "shake": (params: [("strength", Float), ("frames", Int)]),
    },
    nodes: {
        "a": (text: "A", on_enter: ["play_sound('door')"],
              choices: [(text: "Shake", to: "b", set: ["shake(n, n * 10)", "n += 1"])]),
        "b": (text: "B {n}", choices: [(text: "Back", to: "a")]),
    })"#;

/// Commands reach the game as events, in order with the step's other events, with their
/// arguments evaluated when they run; undo and redo do not run them again.
#[test]
fn commands_are_events_in_order_and_not_run_again_by_undo() {
    let dir = story_dir("commands", COMMANDS);
    let story = load(dir.path());
    let described = |s: &Session| -> Vec<String> {
        s.events()
            .iter()
            .filter_map(|e| match e {
                Event::Command { command, args } => Some(format!(
                    "{}{:?}",
                    story.command_name(*command),
                    s.command_args(*args)
                )),
                Event::VariableChanged { .. } => Some("changed".to_owned()),
                Event::NodeEntered { node, .. } => Some(story.node_name(*node).to_owned()),
                _ => None,
            })
            .collect()
    };
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    assert_eq!(described(&s), ["play_sound[Str(\"door\")]", "a"]);
    s.choose(&story, 0).unwrap();
    assert_eq!(
        described(&s),
        ["shake[Float(2.0), Int(20)]", "changed", "b"]
    );
    s.undo(&story).unwrap();
    assert!(
        described(&s).iter().all(|e| !e.contains('[')),
        "{:?}",
        described(&s)
    );
    s.redo(&story).unwrap();
    assert!(
        described(&s).iter().all(|e| !e.contains('[')),
        "{:?}",
        described(&s)
    );
    s.choose(&story, 0).unwrap();
    assert_eq!(described(&s), ["play_sound[Str(\"door\")]", "a"]);
}

const FUNCTIONS: &str = r#"Story(title: "Fn", start: "a", variables: { "n": Int(2) },
    functions: {
        "has_item": (params: [("item", Str)], returns: Bool, fallback: "item == 'lamp'"),
        "price": (params: [("base", Float)], returns: Float),
    },
    nodes: {
        "a": (text: "Costs {price(n)}.", choices: [
            (text: "Light the lamp", to: "a", when: "has_item('lamp')"),
            (text: "Open the door", to: "a", when: "has_item('key')"),
        ]),
    })"#;

/// A declared function answers from the game's binding, or else from its fallback; one
/// with neither keeps the session from starting, naming where it is declared.
#[test]
fn host_functions_answer_from_bindings_or_their_fallback() {
    let dir = story_dir("functions", FUNCTIONS);
    let story = load(dir.path());
    let error = Session::new(&story, SessionConfig::with_seed(1)).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, RuntimeError::UnboundFunction { .. }),
        "{message}"
    );
    assert!(message.contains("`price`"), "{message}");
    assert!(message.contains("story.ron:4:9"), "{message}");

    // `price` bound; `has_item` answers from its fallback. An `Int` argument for a
    // `Float` parameter arrives as a `Float`.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let config = SessionConfig::with_seed(1).with_function("price", move |args: &[Value]| {
        log.lock().unwrap().push(args.to_vec());
        match args {
            [Value::Float(base)] => Value::Float(base * 1.5),
            _ => Value::Bool(false),
        }
    });
    let s = Session::new(&story, config.clone()).unwrap();
    assert_eq!(s.text(), "Costs 3.");
    assert_eq!(
        s.choices().map(|(_, t)| t).collect::<Vec<_>>(),
        ["Light the lamp"]
    );
    assert_eq!(seen.lock().unwrap()[0], [Value::Float(2.0)]);

    // A binding replaces the fallback.
    let config = config.with_function("has_item", |args: &[Value]| {
        Value::Bool(args[0] == Value::Str("key".into()))
    });
    let s = Session::new(&story, config).unwrap();
    assert_eq!(
        s.choices().map(|(_, t)| t).collect::<Vec<_>>(),
        ["Open the door"]
    );
}

/// A binding that answers with a value of another type than declared is a run-time error
/// naming the function, and the session stays as it was.
#[test]
fn a_host_function_of_the_wrong_type_is_an_error_naming_it() {
    let dir = story_dir("functions-wrong", FUNCTIONS);
    let story = load(dir.path());
    let config = SessionConfig::with_seed(1)
        .with_function("price", |_: &[Value]| Value::Str("cheap".into()));
    let message = Session::new(&story, config).unwrap_err().to_string();
    assert!(message.contains("function `price`"), "{message}");
    assert!(message.contains("returned Str"), "{message}");
    assert!(message.contains("declared to return Float"), "{message}");
}

const CALLS: &str = r#"Story(title: "Calls", start: "square", variables: { "asked": Int(0) }, nodes: {
    "square": (text: "The square at {cycle: noon | dusk}.", choices: [
        (text: "Ask about the key", call: "key_talk"),
        (text: "Ask, then leave", call: "key_talk", to: "gate"),
        (text: "Listen", to: "barker"),
        (text: "Stray", to: "key_end"),
        (text: "Dig", to: "deep"),
    ]),
    "key_talk": (text: "The key?", on_enter: ["asked += 1"], choices: [(text: "Go on", to: "key_end")]),
    "key_end": (text: "That is all.", return: true),
    "barker": (text: "A crier clears his throat.", call: "bark", next: "gate"),
    "bark": (text: "Hear ye!", return: true),
    "deep": (text: "Deeper.", call: "deep", next: "gate"),
    "gate": (text: "The gate."),
})"#;

fn node_names(story: &qnce::Story, s: &Session) -> Vec<String> {
    s.events()
        .iter()
        .filter_map(|e| match e {
            Event::NodeEntered { node, .. } => Some(story.node_name(*node).to_owned()),
            Event::NodeShown { node, .. } => Some(format!("({})", story.node_name(*node))),
            _ => None,
        })
        .collect()
}

/// A choice that calls plays the called chain to its `return: true` node, then goes back
/// to the calling node, shown again as it was and not counted as a visit; with `to`, play
/// goes on there instead.
#[test]
fn a_call_returns_to_its_caller_or_goes_on_at_to() {
    let dir = story_dir("calls", CALLS);
    let story = load(dir.path());
    let square = story.node_id("square").unwrap();
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    assert_eq!(s.text(), "The square at noon.");
    s.choose(&story, 0).unwrap();
    assert_eq!((s.text(), s.call_depth()), ("The key?", 1));
    assert_eq!(s.callers().collect::<Vec<_>>(), [square]);
    s.choose(&story, 0).unwrap();
    assert_eq!(node_names(&story, &s), ["key_end", "(square)"]);
    assert_eq!((s.text(), s.call_depth()), ("The square at noon.", 0));
    assert_eq!(s.visits(square), 1);
    assert_eq!(s.n_choices(), 5);

    s.choose(&story, 1).unwrap();
    s.choose(&story, 0).unwrap();
    assert_eq!(node_names(&story, &s), ["key_end", "gate"]);
    assert!(s.is_ended());
    assert_eq!(s.var(story.var_id("asked").unwrap()), Some(&Value::Int(2)));

    // Undo and redo take the call stack along.
    s.undo(&story).unwrap();
    assert_eq!((s.text(), s.call_depth()), ("The key?", 1));
    s.undo(&story).unwrap();
    assert_eq!((s.text(), s.call_depth()), ("The square at noon.", 0));
    s.redo(&story).unwrap();
    assert_eq!(s.call_depth(), 1);
    s.redo(&story).unwrap();
    assert_eq!((s.text(), s.call_depth()), ("The gate.", 0));
}

/// A node with `call` and `next` calls when no choice is available and goes on at `next`
/// on return.
#[test]
fn a_node_call_goes_on_at_next() {
    let dir = story_dir("node-call", CALLS);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 2).unwrap();
    assert_eq!(node_names(&story, &s), ["barker", "bark", "gate"]);
    assert_eq!(s.call_depth(), 0);
}

/// A return outside any call, and calls nested past the limit, are run-time errors
/// naming the node; the failed step changes nothing.
#[test]
fn a_return_outside_a_call_and_a_call_too_deep_are_errors() {
    let dir = story_dir("call-errors", CALLS);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    let e = s.choose(&story, 3).unwrap_err();
    assert!(matches!(e, RuntimeError::ReturnOutsideCall { .. }), "{e}");
    assert!(e.to_string().contains("`key_end`"), "{e}");
    let config = SessionConfig {
        max_call_depth: 5,
        ..SessionConfig::with_seed(1)
    };
    let mut s = Session::new(&story, config).unwrap();
    let e = s.choose(&story, 4).unwrap_err();
    assert_eq!(
        e,
        RuntimeError::CallTooDeep {
            node: "deep".into(),
            limit: 5
        }
    );
    assert_eq!((s.text(), s.call_depth()), ("The square at noon.", 0));
}

/// The call stack is part of a save: a session restored in the middle of a call returns
/// where the saved one would have.
#[test]
fn a_save_keeps_the_call_stack() {
    let dir = story_dir("call-save", CALLS);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 0).unwrap();
    let text = s.save(&story).to_ron().unwrap();
    assert!(text.contains("caller: \"square\""), "{text}");
    let save = SaveData::from_ron(&text).unwrap();
    let (mut restored, warnings) =
        Session::restore(&story, &save, SessionConfig::with_seed(1)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(restored.call_depth(), 1);
    restored.choose(&story, 0).unwrap();
    assert_eq!(restored.text(), "The square at noon.");
    restored.undo(&story).unwrap();
    assert_eq!((restored.text(), restored.call_depth()), ("The key?", 1));
}

/// A save made inside a call whose return target a later edit removed returns elsewhere
/// when restored (with a warning), and play reaches the return without an error.
#[test]
fn a_restored_call_whose_return_target_is_gone_returns_elsewhere() {
    let dir = story_dir("call-save-edited", CALLS);
    let story = load(dir.path());
    let mut s = Session::new(&story, SessionConfig::with_seed(1)).unwrap();
    s.choose(&story, 1).unwrap(); // calls `key_talk`, to go on at `gate`
    let save = s.save(&story);
    let edited = CALLS
        .replace(
            r#"(text: "Ask, then leave", call: "key_talk", to: "gate"),"#,
            "",
        )
        .replace(
            r#""barker": (text: "A crier clears his throat.", call: "bark", next: "gate"),"#,
            r#""barker": (text: "A crier clears his throat.", call: "bark", next: "square"),"#,
        )
        .replace(
            r#""deep": (text: "Deeper.", call: "deep", next: "gate"),"#,
            r#""deep": (text: "Deeper.", call: "deep", next: "square"),"#,
        )
        .replace(r#""gate": (text: "The gate."),"#, "");
    let dir = story_dir("call-save-edited-2", &edited);
    let story = load(dir.path());
    let (mut restored, warnings) =
        Session::restore(&story, &save, SessionConfig::with_seed(1)).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("returns elsewhere")),
        "{warnings:?}"
    );
    assert_eq!(restored.call_depth(), 1);
    restored.choose(&story, 0).unwrap();
    assert_eq!(
        (restored.text(), restored.call_depth()),
        ("The square at noon.", 0)
    );
}

/// A save cannot be restored without a function the story needs, as a session cannot
/// start without it.
#[test]
fn a_restore_without_a_needed_function_is_an_error() {
    let dir = story_dir("functions-restore", FUNCTIONS);
    let story = load(dir.path());
    let config =
        SessionConfig::with_seed(1).with_function("price", |_: &[Value]| Value::Float(1.0));
    let s = Session::new(&story, config.clone()).unwrap();
    let save = s.save(&story);
    let error = Session::restore(&story, &save, SessionConfig::with_seed(1)).unwrap_err();
    assert!(error.to_string().contains("function `price`"), "{error}");
    assert!(Session::restore(&story, &save, config).is_ok());
}

#[test]
fn node_ids_follow_the_order_nodes_are_declared_in() {
    // A node leading to one declared later gives that one no earlier id: lists of nodes
    // (string tables, `qnce explore`, `qnce graph`) follow the story's order.
    let story = qnce::load_from(
        &qnce::MemoryFiles::default().with(
            "story.ron",
            r#"Story(title: "t", start: "a", nodes: {
                "a": (text: "A", choices: [(text: "far", to: "c"), (text: "near", to: "b")]),
                "b": (text: "B", choices: [(text: "on", to: "c")]),
                "c": (text: "C"),
            })"#,
        ),
        "story.ron",
        &qnce::Limits::default(),
    )
    .unwrap()
    .value;
    let order: Vec<&str> = story.node_ids().map(|id| story.node_name(id)).collect();
    assert_eq!(order, ["a", "b", "c"]);
}
