//! Live reload end to end: the real `qnce` binary and the real file watcher. Edits are
//! written to disk while `qnce play --watch --json` runs, and its JSON lines are read back.
//! Nothing sleeps to wait for the watcher: each step waits for the line it expects, with a
//! generous timeout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use crossbeam_channel::Receiver;
use serde_json::Value;

use crate::support::{TempDir, qnce_bin};

/// How long any one expected line may take; far above the milliseconds a reload takes,
/// for slow and loaded CI machines.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `qnce play --watch --json`.
struct Player {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Player {
    /// Starts `qnce play --watch --seed 1` with `mode` (`--json` or `--plain`).
    fn spawn(dir: &TempDir, mode: &str) -> Player {
        Player::spawn_with(dir, &[mode])
    }

    /// Starts `qnce play --watch --seed 1` with `args`.
    fn spawn_with(dir: &TempDir, args: &[&str]) -> Player {
        let mut child = Command::new(qnce_bin())
            .args(["play", "--watch", "--seed", "1"])
            .args(args)
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Player {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Starts `qnce play --watch --json`; the watch is in place once the first line is out.
    fn start(dir: &TempDir) -> Player {
        let mut player = Player::spawn(dir, "--json");
        assert_eq!(player.next()["type"], "start");
        player
    }

    /// The next line as printed.
    fn next_line(&mut self) -> String {
        match self.lines.recv_timeout(PATIENCE) {
            Ok(line) => {
                self.seen.push(line.clone());
                line
            }
            Err(e) => panic!(
                "no line within {PATIENCE:?} ({e}); seen:\n{}",
                self.seen.join("\n")
            ),
        }
    }

    fn next(&mut self) -> Value {
        let line = self.next_line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad line {line:?}: {e}"))
    }

    /// Reads lines until one satisfies `want`, skipping others (a save can arrive as
    /// several batches, each with a reload line of its own).
    fn wait_for(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let line = self.next();
            if want(&line) {
                return line;
            }
        }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
    }

    /// Ends input and returns the remaining lines and whether the exit was a success.
    fn finish(mut self) -> (Vec<Value>, bool) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            rest.push(serde_json::from_str(&line).unwrap());
        }
        let status = self.child.wait().unwrap();
        (rest, status.success())
    }
}

fn is_reload(ok: bool) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "reload" && v["ok"] == ok
}

fn is_node(v: &Value) -> bool {
    v["type"] == "node"
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

const STORY: &str = r#"Story(title: "Watch", start: "a",
    variables: { "gold": Int(1) },
    nodes: {
        "a": (text: "Room A, gold {gold}.", choices: [
            (text: "To B", to: "b", set: ["gold += 1"]),
        ]),
        "b": (text: "Room B.", choices: [(text: "Back", to: "a")]),
    })"#;

#[test]
fn play_watch_json_applies_edits_and_rejects_bad_saves() {
    let dir = TempDir::new("watch-e2e");
    let path = dir.write("story.ron", STORY);
    let mut p = Player::start(&dir);
    assert_eq!(p.next()["text"], "Room A, gold 1.");

    // 1. A text edit of the current node: a reload line naming the field, then the node.
    let story = STORY.replace("Room A, gold {gold}.", "Hall A, gold {gold}.");
    std::fs::write(&path, &story).unwrap();
    let reload = p.wait_for(is_reload(true));
    assert_eq!(reload["changed"][0]["node"], "a");
    assert_eq!(reload["changed"][0]["fields"], serde_json::json!(["text"]));
    assert_eq!(
        reload["changed"][0]["diff"],
        "[-Room-]{+Hall+} A, gold {gold}."
    );
    assert!(reload["micros"].as_u64().is_some());
    let node = p.next();
    assert_eq!(
        (&node["type"], &node["text"]),
        (&"node".into(), &"Hall A, gold 1.".into())
    );

    // 2. A syntax error: rejected with its position; then the fix applies.
    let broken = story.replace(r#"(text: "Back", to: "a")"#, r#"(text: "Back", to: "a""#);
    std::fs::write(&path, &broken).unwrap();
    let reload = p.wait_for(is_reload(false));
    let error = reload["errors"][0].as_str().unwrap();
    assert!(error.contains("story.ron:"), "{error}");
    let fixed = story.replace("Room B.", "Room B, fixed.");
    std::fs::write(&path, &fixed).unwrap();
    let reload = p.wait_for(is_reload(true));
    assert_eq!(reload["changed"][0]["node"], "b");

    // 3. A half-written file: rejected; the complete write applies.
    let complete = fixed.replace("Hall A", "Great hall A");
    std::fs::write(&path, &complete[..complete.len() / 2]).unwrap();
    p.wait_for(is_reload(false));
    std::fs::write(&path, &complete).unwrap();
    p.wait_for(|v| is_reload(true)(v) && v["changed"][0]["node"] == "a");
    assert_eq!(p.next()["text"], "Great hall A, gold 1.");

    // 4. Removing the current node: the flow moves back to `a` and says so.
    p.send("1");
    assert_eq!(p.wait_for(is_node)["node"], "b");
    let without_b = r#"Story(title: "Watch", start: "a",
    variables: { "gold": Int(1) },
    nodes: {
        "a": (text: "Great hall A, gold {gold}.", choices: [
            (text: "Stay", to: "a"),
        ]),
    })"#;
    std::fs::write(&path, without_b).unwrap();
    let reload = p.wait_for(|v| is_reload(true)(v) && !names(&v["removed"]).is_empty());
    assert_eq!(names(&reload["removed"]), ["b"]);
    assert_eq!(reload["relocated"][0]["from"], "b");
    assert_eq!(reload["relocated"][0]["to"], "a");
    let node = p.next();
    assert_eq!(node["node"], "a");
    // The variable kept the value the player's choice gave it.
    assert_eq!(node["text"], "Great hall A, gold 2.");

    // 5. A new variable used by a new choice.
    let with_torch = without_b
        .replace(
            r#"{ "gold": Int(1) }"#,
            r#"{ "gold": Int(1), "torch": Bool(true) }"#,
        )
        .replace(
            r#"(text: "Stay", to: "a"),"#,
            r#"(text: "Stay", to: "a"),
            (text: "Light the torch", to: "a", when: "torch", set: ["torch = false"]),"#,
        );
    std::fs::write(&path, &with_torch).unwrap();
    p.wait_for(|v| {
        is_reload(true)(v) && v["changed"][0]["fields"] == serde_json::json!(["choices"])
    });
    let node = p.next();
    let choices: Vec<&str> = node["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["Stay", "Light the torch"]);
    p.send("2");
    assert_eq!(p.wait_for(is_node)["choices"].as_array().unwrap().len(), 1);

    let (rest, ok) = p.finish();
    assert!(ok);
    let stop = rest.last().unwrap();
    assert_eq!(stop["type"], "stop");
    assert_eq!(stop["vars"]["gold"], 2);
    assert_eq!(stop["vars"]["torch"], false);
    assert_eq!(stop["history"], serde_json::json!(["a", "b", "a"]));
}

#[test]
fn play_watch_plain_shows_the_word_diff() {
    let dir = TempDir::new("watch-plain");
    let path = dir.write("story.ron", STORY);
    let mut p = Player::spawn(&dir, "--plain");
    let mut wait_for = |want: &str| loop {
        let line = p.next_line();
        if line.contains(want) {
            return line;
        }
    };
    wait_for("Room A, gold 1.");
    std::fs::write(&path, STORY.replace("Room A", "Hall A")).unwrap();
    let line = wait_for("[reloaded in ");
    assert!(line.contains("changed a (text)"), "{line}");
    let diff = wait_for("  a: ");
    assert_eq!(diff, "  a: [-Room-]{+Hall+} A, gold {gold}.");
    wait_for("Hall A, gold 1.");
    drop(p.stdin.take());
    assert!(p.child.wait().unwrap().success());
}

/// A translator saves the `.po` file while `qnce play --watch --json --locale de` runs:
/// the shown text changes in place; a broken save is reported with its place in the file
/// while play goes on in German.
#[test]
fn play_watch_takes_translation_edits() {
    let dir = TempDir::new("watch-po");
    dir.write(
        "story.ron",
        r#"Story(title: "Inn", start: "door", nodes: {
            "door": (text: "A door.", choices: [(text: "Knock", to: "hall")]),
            "hall": (text: "A hall."),
        })"#,
    );
    let po = |door: &str| {
        format!(
            "msgctxt \"door\"\nmsgid \"A door.\"\nmsgstr \"{door}\"\n\n\
             msgctxt \"hall\"\nmsgid \"A hall.\"\nmsgstr \"Eine Halle.\"\n"
        )
    };
    dir.write("locales/de.po", po("Eine Tür."));
    let mut player = Player::spawn_with(&dir, &["--json", "--locale", "de"]);
    assert_eq!(player.next()["type"], "start");
    assert_eq!(player.wait_for(is_node)["text"], "Eine Tür.");

    dir.write("locales/de.po", po("Eine schwere Tür."));
    let reload = player.wait_for(is_reload(true));
    assert_eq!(reload["lines_retranslated"], 1, "{reload}");
    assert_eq!(player.wait_for(is_node)["text"], "Eine schwere Tür.");

    dir.write("locales/de.po", po("Eine {offen} Tür."));
    let reload = player.wait_for(|v| {
        v["type"] == "reload"
            && v["translation_errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
    });
    let error = reload["translation_errors"][0].as_str().unwrap();
    assert!(
        error.contains("de.po:3:") && error.contains("offen"),
        "{reload}"
    );
    player.send("1");
    assert_eq!(player.wait_for(is_node)["text"], "Eine Halle.");
    let (_, ok) = player.finish();
    assert!(ok);
}
