//! The `qnce` binary: modes, exit codes, saves.

use crate::support::{TempDir, json_lines, qnce, qnce_stdin, stderr, stdout};

#[test]
fn json_transcript_starts_with_the_seed_and_ends_with_end() {
    let out = qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--seed",
        "42",
        "--choices",
        "2,1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["type"], "start");
    assert_eq!(lines[0]["seed"], 42);
    assert_eq!(lines[1]["type"], "node");
    assert_eq!(lines[1]["node"], "start");
    assert_eq!(lines[1]["choices"][0]["index"], 1);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "end");
    assert_eq!(last["node"], "summit");
    assert_eq!(
        last["history"],
        serde_json::json!(["start", "mountain", "summit"])
    );
    assert_eq!(last["vars"]["went_left"], false);
    assert_eq!(last["vars"]["name"], "traveller");
}

#[test]
fn input_running_out_first_prints_stop() {
    let out = qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--seed",
        "1",
        "--choices",
        "1",
    ]);
    let last = json_lines(&out).pop().unwrap();
    assert_eq!(last["type"], "stop");
    assert_eq!(last["node"], "river");
}

#[test]
fn seed_is_random_by_default_and_always_reported() {
    let a = json_lines(&qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--choices",
        "",
    ]));
    assert!(a[0]["seed"].is_u64(), "{:?}", a[0]);
}

#[test]
fn a_choice_that_is_not_displayed_is_an_error_naming_the_node_and_count() {
    let out = qnce(&[
        "play",
        "stories/crossroads",
        "--seed",
        "1",
        "--choices",
        "1,9",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("node `river` shows 3 choice(s); there is no choice 9"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plain_mode_reprompts_after_a_bad_choice_and_reads_commands() {
    let out = qnce_stdin(
        &["play", "stories/crossroads", "--plain", "--seed", "1"],
        "7\nbogus\n2\nundo\nredo\n1\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  1. Go left, towards the sound of water"),
        "{text}"
    );
    assert!(text.contains("The path is steep."), "{text}");
    assert!(text.contains("From the summit"), "{text}");
    assert!(text.contains("(the end)"), "{text}");
    assert!(stderr(&out).contains("there is no choice 7"));
    assert!(stderr(&out).contains("unknown command `bogus`"));
}

#[test]
fn unknown_options_exit_2_with_clap_message() {
    let out = qnce(&["play", "stories/crossroads", "--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--frobnicate"), "{}", stderr(&out));
}

#[test]
fn check_exits_2_on_an_unreadable_path() {
    let out = qnce(&["check", "/nonexistent/qnce/story"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"));
}

#[test]
fn check_json_lists_diagnostics_with_positions() {
    let dir = TempDir::new("checkjson");
    dir.write(
        "story.ron",
        "Story(title: \"t\", start: \"a\", nodes: {\n  \"a\": (text: \"x\", next: \"b\"),\n})",
    );
    let out = qnce(&["check", dir.path().to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!((d["line"].as_u64(), d["col"].as_u64()), (Some(2), Some(26)));
    assert!(d["message"].as_str().unwrap().contains("`b`"));
}

#[test]
fn save_then_load_resumes_where_play_stopped() {
    let dir = TempDir::new("saveload");
    let save = dir.path().join("slot.ron");
    let save = save.to_str().unwrap();
    let first = qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--seed",
        "5",
        "--choices",
        "3,1",
        "--save",
        save,
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    let resumed = qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--load",
        save,
        "--choices",
        "2",
    ]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let straight = qnce(&[
        "play",
        "stories/crossroads",
        "--json",
        "--seed",
        "5",
        "--choices",
        "3,1,2",
    ]);
    let (a, b) = (json_lines(&resumed), json_lines(&straight));
    assert_eq!(a[0]["seed"], 5);
    assert_eq!(a.last(), b.last());
    // No temporary file is left behind by the atomic write.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn a_corrupt_save_is_refused_with_its_position() {
    let dir = TempDir::new("badsave");
    let save = dir.write("slot.ron", "Save(version: 1, story: ");
    let out = qnce(&[
        "play",
        "stories/crossroads",
        "--load",
        save.to_str().unwrap(),
        "--choices",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("slot.ron:1:"), "{}", stderr(&out));
}

#[test]
fn a_save_of_another_story_is_refused() {
    let dir = TempDir::new("othersave");
    let save = dir.path().join("slot.ron");
    let save = save.to_str().unwrap();
    assert!(
        qnce(&[
            "play",
            "stories/lighthouse",
            "--seed",
            "1",
            "--choices",
            "1",
            "--save",
            save
        ])
        .status
        .success()
    );
    let out = qnce(&[
        "play",
        "stories/crossroads",
        "--load",
        save,
        "--choices",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("belongs to story `lighthouse`, not `Crossroads`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn play_of_a_broken_story_prints_diagnostics_and_exits_1() {
    let dir = TempDir::new("brokenplay");
    dir.write(
        "story.ron",
        "Story(title: \"t\", start: \"missing\", nodes: {})",
    );
    let out = qnce(&["play", dir.path().to_str().unwrap(), "--choices", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("story.ron:1:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("start node `missing` does not exist"));
}

#[test]
fn scripted_and_typed_flow_switches_take_either_spelling() {
    let play = |choices: &str, stdin: &str| {
        let out = qnce_stdin(
            &[
                "play",
                "stories/lighthouse",
                "--json",
                "--seed",
                "3",
                "--choices",
                choices,
                "--watch",
            ],
            stdin,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        json_lines(&out)
            .into_iter()
            .filter(|line| line["type"] != "start")
            .map(|line| {
                (
                    line["type"].clone(),
                    line["node"].clone(),
                    line["flow"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let colon = play("1,flow:radio,1", "flow:main\n1\nquit\n");
    assert!(
        colon.iter().any(|(_, _, flow)| flow == "radio"),
        "the flow switch happened: {colon:?}"
    );
    assert_eq!(play("1,flow radio,1", "flow main\n1\nquit\n"), colon);
}

#[test]
fn check_underlines_the_place_in_its_line_by_display_columns() {
    let dir = TempDir::new("snippet");
    // A tab and wide characters before the place: the caret must still be under it.
    dir.write(
        "story.ron",
        "Story(\n  title: \"t\", start: \"a\",\n  nodes: {\n\t\"a\": (text: \"海の上\", choices: [(text: \"go\", to: \"nowhere\")]),\n  },\n)\n",
    );
    let out = qnce(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("story.ron:4:48: error: choice leads to `nowhere`"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let source = lines.iter().position(|l| l.starts_with("4 |")).unwrap();
    let (shown, carets) = (lines[source], lines[source + 1]);
    assert!(!shown.contains('\t'), "tabs are expanded: {shown:?}");
    let under = ratatui::text::Line::raw(&shown[..shown.find("\"nowhere\"").unwrap()]).width();
    assert_eq!(carets.find('^'), Some(under), "{text}");
    assert_eq!(carets.matches('^').count(), "\"nowhere\"".len(), "{text}");
}

/// Issue 14, class 12: a run-time error went to standard error only, and the JSON stream
/// just stopped. Also: NaN and infinities printed as `null`.
#[test]
fn json_play_reports_run_time_errors_and_prints_non_finite_floats_as_text() {
    let dir = TempDir::new("json-errors");
    dir.write(
        "story.ron",
        r#"Story(title: "T", start: "a", variables: { "x": Float(0.0), "z": Int(0) },
        nodes: {
            "a": (text: "A", choices: [
                (text: "Divide", to: "a", set: ["x = 1.0 / 0.0", "x = x - x"]),
                (text: "Break", to: "b"),
            ]),
            "b": (text: "{1 / z}"),
        })"#,
    );
    let out = qnce(&[
        "play",
        dir.path().to_str().unwrap(),
        "--json",
        "--seed",
        "1",
        "--choices",
        "1,2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let changed: Vec<_> = lines.iter().filter(|l| l["type"] == "node").collect();
    assert_eq!(changed.len(), 2, "{lines:#?}");
    let error = lines
        .iter()
        .find(|l| l["type"] == "error")
        .expect("an error line");
    // Located at the expression that failed (the text of `b`), as `qnce check` writes
    // positions.
    let message = error["message"].as_str().unwrap();
    assert!(
        message.ends_with("story.ron:7:25: in node `b`, text: division by zero"),
        "{lines:#?}"
    );
    let stop = lines.last().unwrap();
    assert_eq!(stop["vars"]["x"], "NaN", "{stop}");
}

/// Commands in play's output: a JSON line each, `[name(args)]` in text, in order with
/// the nodes.
#[test]
fn play_prints_commands_in_order() {
    let dir = TempDir::new("commands-cli");
    dir.write(
        "story.ron",
        r#"Story(title: "C", start: "a", commands: { "play_sound": (params: [("name", Str)]), "shake": (params: [("strength", Float)]) },
        nodes: {
            "a": (text: "A", on_enter: ["play_sound('door')"], choices: [(text: "Go", to: "b", set: ["shake(2)"])]),
            "b": (text: "B"),
        })"#,
    );
    let path = dir.path().to_str().unwrap();
    let out = qnce(&["play", path, "--json", "--seed", "1", "--choices", "1"]);
    assert!(out.status.success(), "{out:?}");
    let kinds: Vec<String> = json_lines(&out)
        .iter()
        .filter(|l| l["type"] != "start" && l["type"] != "end")
        .map(|l| match l["type"].as_str() {
            Some("command") => format!("{}{}", l["name"].as_str().unwrap(), l["args"]),
            _ => l["node"].as_str().unwrap_or("?").to_owned(),
        })
        .collect();
    assert_eq!(kinds, ["play_sound[\"door\"]", "a", "shake[2.0]", "b"]);
    let out = qnce(&["play", path, "--plain", "--seed", "1", "--choices", "1"]);
    let text = stdout(&out);
    let door = text
        .find("[play_sound(\"door\")]")
        .expect("the door's sound");
    let shake = text.find("[shake(2)]").expect("the shake");
    assert!(
        door < text.find("\nA").unwrap() && shake < text.find("\nB").unwrap(),
        "{text}"
    );
}

/// A run-time error that names a node is printed at the place the node is declared, and
/// a session that cannot start (a function with neither binding nor fallback) names
/// where the function is declared.
#[test]
fn play_locates_run_time_errors_at_their_node() {
    let dir = TempDir::new("located-runtime-cli");
    dir.write(
        "story.ron",
        "Story(title: \"R\", start: \"a\", nodes: {\n    \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"b\")]),\n    \"b\": (text: \"B\", return: true),\n})",
    );
    let path = dir.path().to_str().unwrap();
    let out = qnce(&["play", path, "--plain", "--seed", "1", "--choices", "1"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("story.ron:3:5: node `b` returns"), "{err}");

    dir.write(
        "story.ron",
        "Story(title: \"R\", start: \"a\",\n    functions: { \"lucky\": (returns: Bool) },\n    nodes: { \"a\": (text: \"A{lucky() ? '!' : ''}\") },\n)",
    );
    let out = qnce(&["play", path, "--plain", "--seed", "1"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("function `lucky` (declared at "), "{err}");
    assert!(err.contains("story.ron:2:18)"), "{err}");
}
