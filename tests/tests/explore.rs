//! `qnce explore` against stories built to hold one kind of problem each: a node out of
//! reach by arithmetic, a division by zero three choices deep, a dead end, an
//! always-false condition, a choice hidden by a variable that never changes. Each finding
//! is checked where it is reported, and every replaying choice sequence is replayed with
//! `qnce play`, which must reproduce it.

use std::sync::Arc;

use qnce::explore::{Config, explore};
use serde_json::Value;

use crate::support::{example, load, qnce, stdout, story_dir};

const PROBLEMS: &str = r#"Story(title: "Problems", start: "gate", variables: {
        "coins": Int(3),
        "steps": Int(0),
        "door_open": Bool(false),
    },
    nodes: {
        "gate": (text: "A gate.", choices: [
            (text: "Walk", to: "road", set: ["steps += 1"]),
            (id: "tower", text: "Buy a ticket to the tower", to: "tower", when: "coins >= 5", set: ["coins -= 5"]),
            (id: "cellar", text: "Go down", to: "cellar"),
        ]),
        "tower": (text: "The tower."),
        "road": (text: "A road.", choices: [
            (text: "Walk on", to: "bridge", set: ["steps += 1"]),
            (id: "back", text: "Back", to: "gate", set: ["steps = 0"]),
            (id: "rest", text: "Rest", to: "road", when: "coins >= 0"),
        ]),
        "bridge": (text: "A bridge.", choices: [
            (text: "Cross", to: "far", set: ["steps += 1"]),
        ]),
        "far": (text: "You walked {12 / (3 - steps)} leagues."),
        "cellar": (text: "A cellar.", choices: [
            (id: "rich", text: "Open the chest", to: "gate", when: "coins > 100"),
            (id: "door", text: "Open the door", to: "gate", when: "door_open"),
        ]),
    })"#;

fn explore_json(path: &str, extra: &[&str]) -> (Value, i32) {
    let mut args = vec!["explore", path, "--json"];
    args.extend_from_slice(extra);
    let out = qnce(&args);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!("{e}: {}", stdout(&out));
    });
    (json, out.status.code().unwrap())
}

fn findings<'j>(report: &'j Value, kind: &str) -> Vec<&'j Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// Replays a finding's choices with `qnce play --json` and returns the transcript's lines.
fn replay(path: &str, finding: &Value) -> (Vec<Value>, String) {
    let choices: Vec<String> = finding["path"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let list = choices.join(",");
    let out = qnce(&["play", path, "--json", "--seed", "0", "--choices", &list]);
    let lines = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, crate::support::stderr(&out))
}

#[test]
fn explore_finds_each_kind_of_problem_with_a_replaying_path() {
    let dir = story_dir("explore-problems", PROBLEMS);
    let path = dir.path().to_str().unwrap();
    let (report, code) = explore_json(path, &[]);
    assert_eq!(code, 1, "errors and dead ends fail the run: {report:#}");
    assert_eq!(report["complete"], true, "{report:#}");

    // The division by zero, three choices deep, at the expression.
    let errors = findings(&report, "error");
    assert_eq!(errors.len(), 1, "{report:#}");
    let error = errors[0];
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("division by zero"),
        "{error}"
    );
    assert_eq!(error["path"]["choices"], serde_json::json!([1, 1, 1]));
    let far = PROBLEMS
        .lines()
        .position(|l| l.contains("\"far\":"))
        .unwrap()
        + 1;
    assert_eq!(error["at"]["line"], far, "{error}");
    assert!(error["at"]["path"].as_str().unwrap().ends_with("story.ron"));
    let (lines, stderr) = replay(path, error);
    assert!(
        stderr.contains("division by zero")
            || lines.iter().any(|l| l["type"] == "error"
                && l["message"].as_str().unwrap().contains("division by zero")),
        "the replay raises it: {lines:?} {stderr}"
    );

    // The dead end: the cellar shows none of its choices.
    let dead = findings(&report, "dead_end");
    assert_eq!(dead.len(), 1, "{report:#}");
    assert_eq!(dead[0]["node"], "cellar");
    let (lines, _) = replay(path, dead[0]);
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "end", "{lines:?}");
    assert_eq!(last["node"], "cellar");

    // Out of reach by arithmetic: the tower, proven, and the choice to it with the range
    // its variable took.
    let unentered = findings(&report, "unentered");
    assert_eq!(unentered.len(), 1, "{report:#}");
    assert_eq!(unentered[0]["node"], "tower");
    assert_eq!(unentered[0]["proven"], true);
    let hidden = findings(&report, "undisplayed");
    let tower = hidden.iter().find(|f| f["choice"] == "tower").unwrap();
    assert_eq!(tower["condition"], "coins >= 5");
    assert_eq!(tower["ranges"]["coins"], "always 3");

    // Hidden by a variable that never changes, and a condition always false: the choice
    // is never displayed because of it, one finding each.
    assert_eq!(tower["always_false"], true);
    let door = hidden.iter().find(|f| f["choice"] == "door").unwrap();
    assert_eq!(door["always_false"], true);
    assert_eq!(door["ranges"]["door_open"], "always false");
    let rich = hidden.iter().find(|f| f["choice"] == "rich").unwrap();
    assert_eq!(rich["always_false"], true);
    assert_eq!(rich["ranges"]["coins"], "always 3");
    // A condition always true.
    let constant = findings(&report, "constant_condition");
    assert_eq!(constant.len(), 1, "{report:#}");
    assert_eq!(constant[0]["choice"], "rest");
    assert_eq!(constant[0]["value"], true);

    // The readable report says the same, rustc-style, with the replay command.
    let out = qnce(&["explore", path]);
    let text = stdout(&out);
    assert!(
        text.contains("error: in node `far`, text: division by zero"),
        "{text}"
    );
    assert!(text.contains("= replay: qnce play"), "{text}");
    assert!(text.contains("--choices 1,1,1"), "{text}");
    assert!(
        text.contains("warning: node `tower` is never entered"),
        "{text}"
    );
    assert!(text.contains("= note: proven"), "{text}");
}

/// Bounds: a story whose counter never stops growing is cut short, and what was not
/// reached is said to be not reached within the bounds, not proven.
#[test]
fn bounds_cut_exploration_short_and_say_so() {
    let dir = story_dir(
        "explore-bounds",
        r#"Story(title: "Loop", start: "a", variables: { "n": Int(0) },
            nodes: {
                "a": (text: "{n * 2}", choices: [
                    (text: "More", to: "a", set: ["n += 1"]),
                    (text: "Less", to: "a", set: ["n -= 1"]),
                    (text: "Far", to: "b", when: "n == 1000"),
                ]),
                "b": (text: "B"),
            })"#,
    );
    let path = dir.path().to_str().unwrap();
    let (report, code) = explore_json(path, &["--max-depth", "20"]);
    assert_eq!(report["complete"], false);
    assert_eq!(report["cut"], "depth");
    assert_eq!(code, 0, "warnings alone do not fail: {report:#}");
    let b = findings(&report, "unentered");
    assert_eq!(b[0]["node"], "b");
    assert_eq!(b[0]["proven"], false);
    let (_, code) = explore_json(path, &["--max-depth", "20", "--deny", "warnings"]);
    assert_eq!(code, 1, "--deny warnings fails on them");
    let (report, _) = explore_json(path, &["--max-states", "50"]);
    assert_eq!(report["cut"], "states");
}

/// The example stories: no errors and no dead ends, every node entered; what the report
/// says is left is what their authors meant (crossroads' ferry cannot be paid: coins
/// never reach five).
#[test]
fn the_example_stories_explore_clean() {
    for name in ["crossroads", "lighthouse"] {
        let path = example(name);
        let (report, code) = explore_json(path.to_str().unwrap(), &[]);
        assert_eq!(code, 0, "{name}: {report:#}");
        assert_eq!(report["complete"], true, "{name}");
        assert!(findings(&report, "error").is_empty(), "{name}");
        assert!(findings(&report, "dead_end").is_empty(), "{name}");
        let nodes = &report["coverage"]["nodes"];
        assert_eq!(nodes[0], nodes[1], "{name}: every node entered");
    }
    // The market draws in a loop (`shuffle`): following a seed, its state space has no
    // end; branching on the draws instead, it is finite.
    let (report, code) = explore_json(example("market").to_str().unwrap(), &["--all-random"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["complete"], true);
    assert_eq!(
        report["coverage"]["nodes"][0],
        report["coverage"]["nodes"][1]
    );
    assert_eq!(
        report["coverage"]["branches"][0],
        report["coverage"]["branches"][1]
    );
    let (report, _) = explore_json(example("crossroads").to_str().unwrap(), &[]);
    let hidden = findings(&report, "undisplayed");
    assert_eq!(hidden.len(), 1, "{report:#}");
    assert_eq!(hidden[0]["node"], "ferry");
    assert_eq!(hidden[0]["ranges"]["coins"], "always 3");
    // The ferry is only passed through (its fallback is taken at once): its condition is
    // still seen, as play evaluated it on the way.
    assert_eq!(hidden[0]["always_false"], true, "{report:#}");
}

/// The library gives the same on any number of threads.
#[test]
fn exploration_does_not_depend_on_threads() {
    let story = Arc::new(load(&example("crossroads")));
    struct Threads(qnce::pool::Pool);
    impl qnce::explore::Parallel for Threads {
        fn run(
            &self,
            jobs: Vec<qnce::explore::Job>,
            work: fn(qnce::explore::Job) -> qnce::explore::Expanded,
        ) -> Vec<qnce::explore::Expanded> {
            self.0.map(jobs, work)
        }
    }
    let pool = Threads(
        qnce::pool::Pool::new(&qnce::pool::PoolConfig {
            threads: 3,
            ..Default::default()
        })
        .unwrap(),
    );
    let config = Config::default();
    let alone = explore(Arc::clone(&story), &config, None);
    let together = explore(Arc::clone(&story), &config, Some(&pool));
    assert_eq!(alone.states, together.states);
    assert_eq!(alone.steps, together.steps);
    assert_eq!(alone.unentered, together.unentered);
    let paths = |r: &qnce::explore::Report| {
        r.endings
            .iter()
            .map(|e| (e.node, e.paths, e.path.choices.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&alone), paths(&together));
    pool.0.shutdown();
}

/// Every run-time error is placed at the expression that raised it: a choice's text,
/// condition and effect, and a node's `on_enter`, as `qnce play` prints them too.
#[test]
fn run_time_errors_are_located_at_their_expression() {
    let story = r#"Story(title: "Sites", start: "a", variables: { "z": Int(0), "n": Int(0) },
    nodes: {
        "a": (text: "A", choices: [
            (text: "To t", to: "t"),
            (text: "To c", to: "c"),
            (text: "Effect", to: "a", set: ["n = 1", "n = 1 / z"]),
            (text: "To o", to: "o"),
        ]),
        "t": (text: "T", choices: [(text: "{1 / z} ways", to: "a")]),
        "c": (text: "C", choices: [(text: "x", to: "a", when: "1 / z > 0")]),
        "o": (text: "O", on_enter: ["n = 2 / z"]),
    })"#;
    let dir = story_dir("explore-sites", story);
    let path = dir.path().to_str().unwrap();
    let (report, code) = explore_json(path, &[]);
    assert_eq!(code, 1);
    let errors = findings(&report, "error");
    assert_eq!(errors.len(), 4, "{report:#}");
    // Where each expression's string starts.
    let at = |needle: &str| {
        let line = story.lines().position(|l| l.contains(needle)).unwrap();
        let col = story.lines().nth(line).unwrap().find(needle).unwrap();
        (line + 1, col + 1)
    };
    for (what, needle) in [
        ("text of choice", "\"{1 / z} ways\""),
        ("condition `1 / z > 0`", "\"1 / z > 0\""),
        ("effect `n = 1 / z`", "\"n = 1 / z\""),
        ("effect `n = 2 / z`", "\"n = 2 / z\""),
    ] {
        let error = errors
            .iter()
            .find(|e| e["message"].as_str().unwrap().contains(what))
            .unwrap_or_else(|| panic!("{what}: {report:#}"));
        let (line, col) = at(needle);
        assert_eq!(
            (error["at"]["line"].as_u64(), error["at"]["col"].as_u64()),
            (Some(line as u64), Some(col as u64)),
            "{what}: {error}"
        );
        // The replay prints it at the same place.
        let (lines, stderr) = replay(path, error);
        let place = format!("story.ron:{line}:{col}: ");
        assert!(
            stderr.contains(&place)
                || lines.iter().any(
                    |l| l["type"] == "error" && l["message"].as_str().unwrap().contains(&place)
                ),
            "{what}: {stderr} {lines:?}"
        );
    }
}

/// Which ordinary choices were taken is no part of the state (only `once` choices are):
/// a hub of ten rooms is a handful of states, not a thousand. A story with several flows
/// proves nothing, since a player may switch flows in the middle of play.
#[test]
fn only_what_decides_the_future_makes_a_state() {
    let rooms: String = (0..10)
        .map(|i| format!("(text: \"Room {i}\", to: \"r{i}\"),"))
        .collect();
    let nodes: String = (0..10)
        .map(|i| format!("\"r{i}\": (text: \"R{i}\", choices: [(text: \"Back\", to: \"hub\")]),"))
        .collect();
    let story = format!(
        r#"Story(title: "Hub", start: "hub", flows: {{ "side": "s" }}, nodes: {{
            "hub": (text: "Hub", choices: [{rooms} (text: "Leave", to: "end")]),
            {nodes}
            "end": (text: "End"),
            "s": (text: "S", choices: [(text: "On", to: "hub")]),
            "never": (text: "Never"),
        }})"#
    );
    let dir = story_dir("explore-hub", &story);
    let (report, _) = explore_json(dir.path().to_str().unwrap(), &[]);
    assert_eq!(report["complete"], true);
    assert!(
        report["states"].as_u64().unwrap() < 40,
        "ten rooms, each visited or not, would be 1,024 states: {report:#}"
    );
    let never = findings(&report, "unentered");
    assert_eq!(never.len(), 1, "{report:#}");
    assert_eq!(never[0]["node"], "never");
    assert_eq!(never[0]["proven"], false, "two flows: not proven");
}

/// `--all-random` branches on every outcome of a draw: a division by zero that only a
/// roll of 3 raises is found, and replays with `qnce play --draws`, whatever the seed.
#[test]
fn all_random_branches_on_every_outcome_of_a_draw() {
    let dir = story_dir(
        "explore-random",
        r#"Story(title: "Dice", start: "a", variables: { "roll": Int(0) },
            nodes: {
                "a": (text: "A", choices: [(text: "Roll", to: "b", set: ["roll = random(1, 3)"])]),
                "b": (text: "{6 / (3 - roll)} steps"),
            })"#,
    );
    let path = dir.path().to_str().unwrap();
    let (report, code) = explore_json(path, &["--all-random"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["complete"], true);
    let error = findings(&report, "error")[0];
    assert_eq!(error["path"]["choices"], serde_json::json!([1]));
    assert_eq!(error["path"]["draws"], serde_json::json!([3]), "{error}");
    assert!(
        error["replay"]
            .as_str()
            .unwrap()
            .contains("--draws 3 --choices 1"),
        "{error}"
    );
    let out = qnce(&["play", path, "--json", "--draws", "3", "--choices", "1"]);
    assert!(
        stdout(&out).contains("division by zero"),
        "{}",
        stdout(&out)
    );
    // Without it, the draw follows the seed: a roll of 1 or 2 goes through.
    let out = qnce(&["play", path, "--json", "--draws", "2", "--choices", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
