//! The full-screen runner end to end: the real `qnce` binary in a pseudo-terminal of the
//! test's own, keys typed in and the screen read through a terminal emulator: a few
//! choices, an undo, a live edit of the story file, a broken save and its fix, and a clean
//! exit that gives the terminal back as it was. Each step waits for what it expects on
//! screen, with a generous timeout.

use crate::support::{TempDir, qnce_bin};
use qnce_terminal::Terminal;

const STORY: &str = r#"Story(
    title: "Harbour",
    start: "dock",
    variables: { "coins": Int(0) },
    nodes: {
        "dock": (text: "Gulls circle the dock.", choices: [
            (text: "Count your coins", to: "count", set: ["coins += 3"]),
            (text: "Board the ferry", to: "ferry"),
        ]),
        "count": (text: "You have {coins} coins.", choices: [(text: "Back to the dock", to: "dock")]),
        "ferry": (text: "The ferry leaves without a sound."),
    },
)"#;

#[test]
fn a_player_chooses_undoes_sees_a_live_edit_and_quits_to_a_restored_terminal() {
    let dir = TempDir::new("fullscreen");
    let story = dir.write("story.ron", STORY);
    let saves = dir.path().join("saves");
    let mut term = Terminal::start(
        qnce_bin(),
        &[
            "play",
            dir.path().to_str().unwrap(),
            "--watch",
            "--seed",
            "1",
            "--save-dir",
            saves.to_str().unwrap(),
        ],
        90,
        26,
    );
    // A frame is drawn top to bottom, so a wait is for its lowest line: a read can end
    // inside a frame.
    let screen = term.wait_text("node dock │ turn 0");
    assert!(screen.contains("Gulls circle the dock."), "{screen}");
    assert!(screen.contains("▶ 1. Count your coins"), "{screen}");
    // Playing: raw mode (no line editing, no echo), the alternate screen, no cursor.
    assert!(!term.cooked(), "raw mode while playing");
    assert!(term.alternate_screen());
    assert!(term.cursor_hidden());

    // Choose with Enter, then with a number.
    term.keys(&["Enter"]);
    term.wait_text("You have 3 coins.");
    term.keys(&["1"]);
    let screen = term.wait_text("turn 2");
    assert!(screen.contains("› Back to the dock"), "{screen}");
    // Down and Enter take the second choice.
    term.keys(&["Down"]);
    term.wait_text("▶ 2. Board the ferry");
    term.keys(&["Enter"]);
    term.wait_text("The ferry leaves without a sound.");
    term.wait_text("The end: u undoes, q quits");
    // Undo takes the last step back.
    term.keys(&["u"]);
    let screen = term.wait_text("node dock │ turn 2");
    assert!(!screen.contains("The ferry leaves"), "{screen}");

    // A live edit of the current node: the banner shows the word diff, the passage the
    // new text, and the player's state (turn 2, coins 3) stays.
    std::fs::write(
        &story,
        STORY.replace(
            "Gulls circle the dock.",
            "Grey gulls circle the quiet dock.",
        ),
    )
    .unwrap();
    // Waits for the whole banner and the passage below it: a read can end inside a frame.
    let screen = term.wait_for("the reload banner and the new text", |s| {
        s.contains("Reloaded in")
            && s.contains("changed dock (text)")
            && s.contains("[-Gulls-]{+Grey gulls+} circle the {+quiet +}dock.")
            && s.contains("Grey gulls circle the quiet dock.")
    });
    assert!(screen.contains("turn 2"), "{screen}");
    term.keys(&["v"]);
    term.wait_text("coins = 3");
    term.keys(&["v"]);
    term.wait_for("the variables panel closed", |s| !s.contains("coins = 3"));

    // A broken save: the errors show with path:line:col while play goes on.
    std::fs::write(&story, STORY.replace(r#"to: "ferry""#, r#"to: "fery""#)).unwrap();
    // The panel's title and its error line, and the last success's banner gone.
    term.wait_for("the error panel in place of the banner", |s| {
        s.contains("Reload rejected")
            && s.contains("story.ron:8:43: error: choice leads to `fery`")
            && !s.contains("Reloaded in")
    });
    term.keys(&["Enter"]);
    term.wait_text("turn 3");
    std::fs::write(&story, STORY).unwrap();
    term.wait_for("the error panel gone", |s| !s.contains("Reload rejected"));

    // Save to slot 1 through the slot list.
    term.keys(&["s"]);
    term.wait_text("Save to slot");
    term.keys(&["Enter"]);
    term.wait_text("Saved to slot 1");
    assert!(saves.join("slot-1.ron").exists());

    term.keys(&["q"]);
    assert_eq!(term.wait_exit(), 0);
    // The terminal is given back as it was: line editing and echo on, the main screen
    // (the story is no longer on it), the cursor shown.
    assert!(term.cooked(), "canonical mode and echo restored");
    assert!(!term.alternate_screen());
    assert!(!term.cursor_hidden());
    let screen = term.screen();
    assert!(!screen.contains("Harbour"), "{screen}");
}

#[test]
fn without_libudev_at_run_time_the_runner_says_so_once_and_plays_with_the_keyboard() {
    // libudev is opened at run time (dlopen), first from LD_LIBRARY_PATH: files there that
    // are not libraries make it fail under every name it tries, as on a machine without
    // the library.
    let dir = TempDir::new("no-udev");
    for name in ["libudev.so.1", "libudev.so.0", "libudev.so"] {
        dir.write(name, "");
    }
    let story = dir.write("story.ron", STORY);
    let saves = dir.path().join("saves");
    let mut term = Terminal::start_with_env(
        qnce_bin(),
        &[
            "play",
            story.to_str().unwrap(),
            "--seed",
            "1",
            "--save-dir",
            saves.to_str().unwrap(),
        ],
        &[("LD_LIBRARY_PATH", dir.path().to_str().unwrap())],
        100,
        26,
    );
    let screen = term.wait_text("pad: unavailable");
    assert!(
        screen.contains("controllers unavailable: no udev"),
        "{screen}"
    );
    assert!(screen.contains("playing with the keyboard"), "{screen}");
    term.keys(&["Enter"]);
    // Play goes on with the keyboard; the message is not repeated.
    let screen = term.wait_text("node count │ turn 1");
    assert!(screen.contains("You have 3 coins."), "{screen}");
    assert_eq!(
        screen.matches("controllers unavailable").count(),
        1,
        "{screen}"
    );
    term.keys(&["q"]);
    assert_eq!(term.wait_exit(), 0);
}

#[test]
fn save_slots_go_to_qnces_data_directory_by_default() {
    let dir = TempDir::new("data-dir");
    let story = dir.write("story.ron", STORY);
    let data = dir.path().join("data");
    let mut term = Terminal::start_with_env(
        qnce_bin(),
        &[
            "play",
            story.to_str().unwrap(),
            "--seed",
            "1",
            "--no-gamepad",
        ],
        &[
            ("XDG_DATA_HOME", data.to_str().unwrap()),
            ("HOME", dir.path().to_str().unwrap()),
        ],
        90,
        26,
    );
    term.wait_text("node dock │ turn 0");
    term.keys(&["s"]);
    term.wait_text("Save to slot");
    term.keys(&["Enter"]);
    term.wait_text("Saved to slot 1");
    term.keys(&["q"]);
    assert_eq!(term.wait_exit(), 0);
    let saves = data.join("qnce").join("saves");
    let stories: Vec<_> = std::fs::read_dir(&saves).unwrap().collect();
    assert_eq!(stories.len(), 1, "one story's slots in {}", saves.display());
    let slot = stories[0].as_ref().unwrap().path().join("slot-1.ron");
    assert!(slot.is_file(), "{}", slot.display());
}

#[test]
fn without_a_terminal_play_falls_back_to_line_mode() {
    let out =
        crate::support::qnce_stdin(&["play", "stories/crossroads", "--seed", "1"], "1\nquit\n");
    assert!(out.status.success());
    let text = crate::support::stdout(&out);
    assert!(text.contains("  1. "), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no terminal escapes in line mode: {text:?}"
    );
}
