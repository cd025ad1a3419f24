//! Golden transcripts: scripted playthroughs of every example story, compared with the
//! `--json` transcripts stored in `tests/golden/`. Run with `QNCE_BLESS=1` to rewrite them
//! after an intended change, and review the diff.

use crate::support::{qnce, root, stderr, stdout};

/// (golden file, story, seed, choices)
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "crossroads-river-forest",
        "stories/crossroads",
        "7",
        "3,1,2,1,2",
    ),
    (
        "crossroads-mountain-summit",
        "stories/crossroads",
        "11",
        "2,1",
    ),
    (
        "crossroads-undo-redo",
        "stories/crossroads",
        "5",
        "1,3,undo,redo,undo,1,1",
    ),
    (
        "crossroads-turn-back",
        "stories/crossroads",
        "3",
        "1,3,1,1,1",
    ),
    ("crossroads-stop", "stories/crossroads", "9", "1"),
    (
        "lighthouse-two-flows",
        "stories/lighthouse",
        "1",
        "1,flow:radio,1,flow:main,1,1,1",
    ),
    (
        "market-calls-and-variations",
        "stories/market",
        "4",
        "2,1,1,2,3,1,3,1,4",
    ),
    (
        "market-lantern-undo",
        "stories/market",
        "9",
        "1,1,undo,redo,2,4",
    ),
    (
        "lighthouse-dark",
        "stories/lighthouse",
        "2",
        "2,1,1,flow:radio,1,1",
    ),
];

#[test]
fn example_stories_match_their_golden_transcripts() {
    let bless = std::env::var_os("QNCE_BLESS").is_some();
    let mut failures = Vec::new();
    for &(name, story, seed, choices) in CASES {
        let out = qnce(&[
            "play",
            story,
            "--json",
            "--seed",
            seed,
            "--choices",
            choices,
        ]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let actual = stdout(&out);
        let path = root().join("tests/golden").join(format!("{name}.jsonl"));
        if bless {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("missing {}; run with QNCE_BLESS=1", path.display()));
        if actual != expected {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}\n--- actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_story_passes_check_and_has_a_golden_playthrough() {
    for entry in std::fs::read_dir(root().join("stories")).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("story.ron").exists() {
            continue;
        }
        let rel = format!("stories/{}", path.file_name().unwrap().to_string_lossy());
        let out = qnce(&["check", &rel]);
        assert!(out.status.success(), "{rel}: {}", stdout(&out));
        assert!(
            stdout(&out).contains("0 error(s), 0 warning(s)"),
            "{rel}: {}",
            stdout(&out)
        );
        assert!(
            CASES.iter().any(|c| c.1 == rel),
            "{rel} has no golden playthrough"
        );
    }
}
