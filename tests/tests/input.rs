//! The engine's input type: every device's inputs reach the session through
//! `Controls::apply`; the highlight moves, steps, stays on its choice across reloads.

use qnce::input::{Controls, Input, InputError, Outcome};
use qnce::reload::Host;
use qnce::{Limits, SessionConfig};

use crate::support::story_dir;

const STORY: &str = r#"Story(
    title: "Inputs", start: "hall",
    flows: { "side": "attic" },
    nodes: {
        "hall": (text: "Hall", choices: [
            (text: "North", to: "north"),
            (text: "East", to: "east"),
            (text: "West", to: "west"),
        ]),
        "north": (text: "North room"),
        "east": (text: "East room"),
        "west": (text: "West room"),
        "attic": (text: "Attic"),
    },
)"#;

fn open(tag: &str) -> (crate::support::TempDir, Host, qnce::reload::SessionKey) {
    let dir = story_dir(tag, STORY);
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
    (dir, host, player)
}

#[test]
fn up_and_down_move_the_highlight_within_the_choices() {
    let (_dir, mut host, player) = open("input-move");
    let (story, session) = host.play(player).unwrap();
    let mut controls = Controls::default();
    let mut apply = |input| controls.apply(story, session, input).unwrap();
    assert_eq!(apply(Input::Up), Outcome::Nothing);
    assert_eq!(apply(Input::Down), Outcome::Moved(1));
    assert_eq!(apply(Input::Down), Outcome::Moved(2));
    assert_eq!(
        apply(Input::Down),
        Outcome::Nothing,
        "stops at the last choice"
    );
    assert_eq!(apply(Input::Up), Outcome::Moved(1));
}

#[test]
fn confirm_takes_the_highlighted_choice_and_the_highlight_resets() {
    let (_dir, mut host, player) = open("input-confirm");
    let (story, session) = host.play(player).unwrap();
    let mut controls = Controls::default();
    controls.apply(story, session, Input::Down).unwrap();
    controls.apply(story, session, Input::Down).unwrap();
    assert_eq!(
        controls.apply(story, session, Input::Confirm).unwrap(),
        Outcome::Played
    );
    assert_eq!(session.text(), "West room");
    assert_eq!(controls.selected(), 0);
    assert_eq!(
        controls.apply(story, session, Input::Confirm).unwrap(),
        Outcome::Nothing,
        "an ending shows no choice to confirm"
    );
}

#[test]
fn choose_undo_redo_and_flows_take_the_same_path_as_scripts() {
    let (_dir, mut host, player) = open("input-steps");
    let (story, session) = host.play(player).unwrap();
    let mut controls = Controls::default();
    for command in ["2", "undo", "redo", "flow side"] {
        let input = Input::parse(command, story).unwrap();
        assert_eq!(
            controls.apply(story, session, input).unwrap(),
            Outcome::Played,
            "{command}"
        );
    }
    assert_eq!(session.text(), "Attic");
    controls
        .apply(story, session, Input::parse("flow:main", story).unwrap())
        .unwrap();
    assert_eq!(session.text(), "East room");
}

#[test]
fn a_failing_input_reports_the_error_and_changes_nothing() {
    let (_dir, mut host, player) = open("input-fail");
    let (story, session) = host.play(player).unwrap();
    let mut controls = Controls::default();
    controls.apply(story, session, Input::Down).unwrap();
    let err = controls
        .apply(story, session, Input::Choose(7))
        .unwrap_err();
    assert!(err.to_string().contains("there is no choice 8"), "{err}");
    let err = controls.apply(story, session, Input::Undo).unwrap_err();
    assert_eq!(err, qnce::RuntimeError::NothingToUndo);
    assert_eq!(session.text(), "Hall");
    assert_eq!(controls.selected(), 1, "a failed input keeps the highlight");
}

#[test]
fn runner_inputs_come_back_to_the_runner() {
    let (_dir, mut host, player) = open("input-runner");
    let (story, session) = host.play(player).unwrap();
    let mut controls = Controls::default();
    for input in [Input::Save, Input::Load, Input::Quit] {
        assert_eq!(
            controls.apply(story, session, input).unwrap(),
            Outcome::ForRunner(input)
        );
    }
    assert_eq!(session.turns(), 0);
}

#[test]
fn a_flow_is_named_with_a_space_or_a_colon() {
    let (_dir, host, _) = open("input-flow");
    let story = host.story();
    let side = Input::SwitchFlow(story.flow_id("side").unwrap());
    for command in ["flow side", "flow:side", " flow  side ", "flow: side"] {
        assert_eq!(Input::parse(command, story), Ok(side), "{command:?}");
    }
}

#[test]
fn commands_that_are_not_inputs_are_errors() {
    let (_dir, host, _) = open("input-parse");
    let story = host.story();
    assert_eq!(Input::parse("0", story), Err(InputError::ChoiceZero));
    assert_eq!(
        Input::parse("jump", story),
        Err(InputError::Unknown("jump".into()))
    );
    assert_eq!(
        Input::parse("flow nowhere", story),
        Err(InputError::UnknownFlow("nowhere".into()))
    );
    assert_eq!(
        Input::parse("flowers", story),
        Err(InputError::Unknown("flowers".into()))
    );
    assert_eq!(Input::parse(" 3 ", story), Ok(Input::Choose(2)));
    assert_eq!(Input::parse("q", story), Ok(Input::Quit));
}

#[test]
fn the_highlight_follows_its_choice_when_a_reload_reorders_the_choices() {
    let (dir, mut host, player) = open("input-follow");
    let mut controls = Controls::default();
    {
        let (story, session) = host.play(player).unwrap();
        controls.apply(story, session, Input::Down).unwrap();
        controls.apply(story, session, Input::Down).unwrap();
    }
    // West moves to the top.
    let reordered = STORY.replace(
        r#"(text: "North", to: "north"),
            (text: "East", to: "east"),
            (text: "West", to: "west"),"#,
        r#"(text: "West", to: "west"),
            (text: "North", to: "north"),"#,
    );
    assert_ne!(reordered, STORY);
    let path = dir.write("story.ron", reordered);
    host.reload(Some(&[path])).result.unwrap();
    let session = host.session(player).unwrap();
    controls.follow(session);
    assert_eq!(controls.selected(), 0, "the highlight stays on West");
    // North is removed: a highlight on a removed choice stays at its index, or the last.
    let mut controls = Controls::default();
    let (story, session) = host.play(player).unwrap();
    controls.apply(story, session, Input::Down).unwrap();
    let path = dir.write(
        "story.ron",
        STORY.replace(r#"(text: "North", to: "north"),"#, ""),
    );
    host.reload(Some(&[path])).result.unwrap();
    controls.follow(host.session(player).unwrap());
    assert_eq!(controls.selected(), 1);
}
