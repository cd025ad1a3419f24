//! The full-screen runner end to end: the real `qnce` binary in a real terminal (tmux),
//! driven with send-keys and read with capture-pane: a few choices, an undo, a live edit
//! of the story file, a broken save and its fix, and a clean exit that gives the terminal
//! back as it was. Each step waits for what it expects on screen, with a generous timeout.

use crate::support::{TempDir, Tmux, qnce_bin};

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
    // After play, print the exit code and the terminal's modes: raw mode turns off
    // `icanon` and `echo`, so seeing both on shows the terminal was restored.
    let command = format!(
        "{} play {} --watch --seed 1 --save-dir {}; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 600",
        qnce_bin().display(),
        dir.path().display(),
        saves.display(),
    );
    let tmux = Tmux::start("play", &command, 90, 26);
    let screen = tmux.wait_text("Gulls circle the dock.");
    assert!(screen.contains("▶ 1. Count your coins"), "{screen}");
    assert!(screen.contains("node dock │ turn 0"), "{screen}");

    // Choose with Enter, then with a number.
    tmux.keys(&["Enter"]);
    tmux.wait_text("You have 3 coins.");
    tmux.keys(&["1"]);
    let screen = tmux.wait_text("turn 2");
    assert!(screen.contains("› Back to the dock"), "{screen}");
    // Down and Enter take the second choice.
    tmux.keys(&["Down"]);
    tmux.wait_text("▶ 2. Board the ferry");
    tmux.keys(&["Enter"]);
    tmux.wait_text("The ferry leaves without a sound.");
    tmux.wait_text("The end: u undoes, q quits");
    // Undo takes the last step back.
    tmux.keys(&["u"]);
    let screen = tmux.wait_text("node dock │ turn 2");
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
    // Waits for the whole banner: a capture can catch a frame half drawn.
    let screen = tmux.wait_for("the reload banner", |s| {
        s.contains("Reloaded in")
            && s.contains("changed dock (text)")
            && s.contains("[-Gulls-]{+Grey gulls+} circle the {+quiet +}dock.")
    });
    assert!(
        screen.contains("Grey gulls circle the quiet dock."),
        "{screen}"
    );
    assert!(screen.contains("turn 2"), "{screen}");
    tmux.keys(&["v"]);
    tmux.wait_text("coins = 3");
    tmux.keys(&["v"]);
    tmux.wait_for("the variables panel closed", |s| !s.contains("coins = 3"));

    // A broken save: the errors show with path:line:col while play goes on.
    std::fs::write(&story, STORY.replace(r#"to: "ferry""#, r#"to: "fery""#)).unwrap();
    let screen = tmux.wait_text("Reload rejected");
    assert!(
        screen.contains("story.ron:8:43: choice leads to `fery`"),
        "{screen}"
    );
    assert!(
        !screen.contains("Reloaded in"),
        "the last success's banner is gone: {screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_text("turn 3");
    std::fs::write(&story, STORY).unwrap();
    tmux.wait_for("the error panel gone", |s| !s.contains("Reload rejected"));

    // Save to slot 1 through the slot list.
    tmux.keys(&["s"]);
    tmux.wait_text("Save to slot");
    tmux.keys(&["Enter"]);
    tmux.wait_text("Saved to slot 1");
    assert!(saves.join("slot-1.ron").exists());

    tmux.keys(&["q"]);
    let screen = tmux.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    tmux.wait_for("the terminal's modes", |s| s.contains("icanon"));
    let screen = tmux.screen();
    let modes = screen.lines().find(|l| l.contains("icanon")).unwrap();
    assert_eq!(
        modes.split_whitespace().collect::<Vec<_>>(),
        ["icanon", "echo"],
        "{screen}"
    );
    // The alternate screen was left: the story is no longer on screen.
    assert!(!screen.contains("Harbour"), "{screen}");
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
