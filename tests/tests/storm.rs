//! A storm of saves through the real watcher: 200 saves in about two seconds, in the ways
//! editors save (write then rename, truncate then write, several writes), some of them
//! broken or half-written. The story must end equal to the last good file, and the session
//! must keep its state throughout.

use std::path::Path;
use std::time::{Duration, Instant};

use qnce::reload::Host;
use qnce::watch::WatchConfig;
use qnce::{Limits, SessionConfig};

use crate::support::{TempDir, canonical, load};

const N_SAVES: usize = 200;
/// Pacing between saves, so that the storm spans about two seconds as an editor's
/// autosave-on-keystroke would; this is not a wait for the watcher.
const PACE: Duration = Duration::from_millis(10);
const PATIENCE: Duration = Duration::from_secs(60);

/// Version `i` of the story: the same nodes, with text and choices that vary.
fn version(i: usize) -> String {
    let extra = if i.is_multiple_of(3) {
        r#"(text: "Linger", to: "a"),"#
    } else {
        ""
    };
    format!(
        r#"Story(title: "Storm", start: "a",
    variables: {{ "n": Int({i}) }},
    nodes: {{
        "a": (text: "Version {i}: n is {{n}}.", choices: [
            (text: "Count", to: "a", set: ["n += 1"]),
            {extra}
            (text: "Leave", to: "b"),
        ]),
        "b": (text: "Outside, save {i}.", choices: [(text: "Back", to: "a")]),
    }})"#
    )
}

/// How save `i` is written, and whether it is a good save.
fn save(path: &Path, i: usize) -> bool {
    let text = version(i);
    match i % 10 {
        // A syntax error.
        3 => {
            std::fs::write(path, text.replace("to: \"b\")", "to: \"b\"")).unwrap();
            false
        }
        // Half of the file: an editor caught mid-write.
        7 => {
            std::fs::write(path, &text[..text.len() / 2]).unwrap();
            false
        }
        // Write a temporary file and rename it over the story.
        0 | 5 => {
            let tmp = path.with_extension("ron.tmp");
            std::fs::write(&tmp, &text).unwrap();
            std::fs::rename(&tmp, path).unwrap();
            true
        }
        // Truncate, then several writes.
        1 | 8 => {
            use std::io::Write;
            let mut f = std::fs::File::create(path).unwrap();
            let (head, tail) = text.split_at(text.len() / 3);
            f.write_all(head.as_bytes()).unwrap();
            f.flush().unwrap();
            f.write_all(tail.as_bytes()).unwrap();
            true
        }
        _ => {
            std::fs::write(path, &text).unwrap();
            true
        }
    }
}

#[test]
fn storm_of_saves_ends_on_the_last_good_file_and_keeps_session_state() {
    let dir = TempDir::new("storm");
    let path = dir.write("story.ron", version(1000));
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let player = host.add_session(SessionConfig::with_seed(9)).unwrap();
    {
        let (story, s) = host.play(player).unwrap();
        s.choose(story, 0).unwrap(); // Count: n = 1001
        s.choose(story, 0).unwrap(); // Count: n = 1002
    }
    let before = {
        let s = host.session(player).unwrap();
        let story = host.story();
        let a = story.node_id("a").unwrap();
        (
            s.var(story.var_id("n").unwrap()).cloned(),
            s.visits(a),
            s.turns(),
            s.history(story.main_flow()).to_vec(),
        )
    };
    host.watch(&WatchConfig::default()).unwrap();

    // The storm. The host polls between saves, as a game polls once a frame.
    let mut last_good = None;
    let mut n_reloads = 0;
    for i in 0..N_SAVES {
        if save(&path, i) {
            last_good = Some(i);
        }
        while let Some(reloaded) = host.poll() {
            n_reloads += 1;
            for (_, outcome) in &reloaded.sessions {
                outcome.as_ref().unwrap();
            }
        }
        std::thread::sleep(PACE);
    }
    let last_good = last_good.unwrap();
    assert_eq!(last_good, N_SAVES - 1, "the storm ends on a good save");

    // Wait, with a generous bound, until the last save has been taken.
    let expected_dir = TempDir::new("storm-expected");
    expected_dir.write("story.ron", version(last_good));
    let expected = canonical(&load(expected_dir.path()));
    let deadline = Instant::now() + PATIENCE;
    while canonical(host.story()) != expected {
        assert!(
            Instant::now() < deadline,
            "the last good save was never applied"
        );
        if host.wait(Duration::from_secs(1)).is_some() {
            n_reloads += 1;
        }
    }
    assert!(n_reloads > 0);

    // A broken save after it leaves the story as it was.
    std::fs::write(&path, "Story(title: ").unwrap();
    let rejected = loop {
        let reloaded = host.wait(PATIENCE).expect("the broken save was never seen");
        if reloaded.result.is_err() {
            break reloaded;
        }
    };
    assert!(rejected.sessions.is_empty());
    assert_eq!(canonical(host.story()), expected);

    // The session kept everything: the variable (its initial value changed 200 times,
    // which never touches a session's value), visits, turns and history.
    let s = host.session(player).unwrap();
    let story = host.story();
    let a = story.node_id("a").unwrap();
    let after = (
        s.var(story.var_id("n").unwrap()).cloned(),
        s.visits(a),
        s.turns(),
        s.history(story.main_flow()).to_vec(),
    );
    assert_eq!(after, before);
    assert_eq!(s.text(), format!("Version {last_good}: n is 1002."));
    let (story, s) = host.play(player).unwrap();
    s.undo(story).unwrap();
    assert_eq!(s.text(), format!("Version {last_good}: n is 1001."));
}
