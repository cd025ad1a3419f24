//! Signals that end play (SIGTERM, SIGINT, SIGHUP, SIGQUIT) sent to the real binary, in
//! line mode and full-screen: `--save` is written, the terminal given back, and the exit
//! status is 128 and the signal's number. And the temporary files a killed save leaves.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use qnce::persist::read_save;
use qnce_terminal::Terminal;

use crate::support::{TempDir, qnce_bin};

const PATIENCE: Duration = Duration::from_secs(60);

const STORY: &str = r#"Story(title: "Harbour", start: "dock", variables: { "coins": Int(0) },
    nodes: {
        "dock": (text: "Gulls circle the dock.", choices: [
            (text: "Count your coins", to: "count", set: ["coins += 3"]),
        ]),
        "count": (text: "You have {coins} coins.", choices: [(text: "Back", to: "dock")]),
    })"#;

fn send(pid: u32, signal: Signal) {
    kill(Pid::from_raw(i32::try_from(pid).unwrap()), signal).unwrap();
}

/// The save at `path` is at `count` with 3 coins: the step before the signal was kept.
#[track_caller]
fn assert_saved_at_count(path: &std::path::Path) {
    let save = read_save(path).unwrap();
    assert_eq!(save.flows[0].node.as_deref(), Some("count"));
    assert_eq!(save.variables["coins"], qnce::Value::Int(3));
}

#[test]
fn a_signal_in_line_mode_saves_and_exits_with_its_status() {
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        let dir = TempDir::new("signal-line");
        dir.write("story.ron", STORY);
        let save = dir.path().join("save.ron");
        let mut child = Command::new(qnce_bin())
            .args(["play", "--json", "--seed", "1", "--save"])
            .arg(&save)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = crossbeam_channel::unbounded();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let wait_for = |text: &str| loop {
            let line = lines
                .recv_timeout(PATIENCE)
                .expect("a line before the timeout");
            if line.contains(text) {
                break;
            }
        };
        wait_for("Gulls circle");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "1").unwrap();
        stdin.flush().unwrap();
        wait_for("You have 3 coins.");
        send(child.id(), signal);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(128 + signal as i32),
            "{signal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("qnce: {signal}: stopping")),
            "{stderr}"
        );
        assert_saved_at_count(&save);
        drop(stdin);
    }
}

#[test]
fn a_signal_in_full_screen_restores_the_terminal_and_saves() {
    let dir = TempDir::new("signal-tui");
    dir.write("story.ron", STORY);
    let save = dir.path().join("save.ron");
    let mut term = Terminal::start(
        qnce_bin(),
        &[
            "play",
            dir.path().to_str().unwrap(),
            "--seed",
            "1",
            "--no-gamepad",
            "--save",
            save.to_str().unwrap(),
            "--save-dir",
            dir.path().join("slots").to_str().unwrap(),
        ],
        90,
        26,
    );
    term.wait_text("node dock │ turn 0");
    term.keys(&["Enter"]);
    term.wait_text("node count │ turn 1");
    assert!(!term.cooked() && term.alternate_screen() && term.cursor_hidden());
    send(term.pid(), Signal::SIGTERM);
    assert_eq!(term.wait_exit(), 128 + Signal::SIGTERM as u32);
    assert!(term.cooked(), "canonical mode and echo restored");
    assert!(!term.alternate_screen());
    assert!(!term.cursor_hidden());
    assert_saved_at_count(&save);
}

/// A save killed while writing (kill -9) leaves its temporary file: the next run removes
/// those of ours that are old, and nothing else.
#[test]
fn temporary_files_left_by_a_killed_save_are_removed_on_start() {
    let dir = TempDir::new("stale-temps");
    dir.write("story.ron", STORY);
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let old = |name: &str| {
        let path = dir.write(name, "half a save");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        path
    };
    let stale = old(".qnce-a1B2c3.tmp");
    let someone_elses = old("notes.tmp");
    let in_progress = dir.write(".qnce-x9Y8z7.tmp", "a save being written now");
    let out = Command::new(qnce_bin())
        .args(["play", "--seed", "1", "--choices", "1", "--save"])
        .arg(dir.path().join("save.ron"))
        .arg("--save-dir")
        .arg(dir.path().join("slots"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!stale.exists());
    assert!(someone_elses.exists() && in_progress.exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("removed 1 temporary file(s) that an interrupted save left in"),
        "{stderr}"
    );
    assert_saved_at_count(&dir.path().join("save.ron"));
}
