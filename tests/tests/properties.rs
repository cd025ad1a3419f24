//! Property tests: loading and parsing never panic, and saving, loading and continuing
//! equals playing straight through.

use proptest::prelude::*;
use qnce::{SaveData, Session, SessionConfig};

use crate::support::{TempDir, load, root};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn loading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = TempDir::new("prop-bytes");
        dir.write("story.ron", &bytes);
        let _ = qnce::load(dir.path(), &qnce::Limits::default());
    }

    #[test]
    fn loading_story_like_text_never_panics(
        text in r#"Story\(title: "t", start: "a", (variables: \{"x": Int\([0-9]\)\},)? nodes: \{ "a": \(text: "[a-z{}() +x!<>=?:\\"]{0,30}"(, choices: \[\(text: "[a-z{}x]{0,5}", to: "[ab]"(, when: "[x<>=!&|() 0-9a-z]{0,12}")?\)\])?\)[,)}\] ]{0,4}"#
    ) {
        let dir = TempDir::new("prop-ron");
        dir.write("story.ron", &text);
        let _ = qnce::load(dir.path(), &qnce::Limits::default());
    }

    #[test]
    fn parsing_arbitrary_expressions_never_panics(src in r#"[a-z0-9_ ()!+\-*/%<>=&|?:,."{}]{0,60}"#) {
        let story = format!("Story(title: \"t\", start: \"a\", variables: {{\"x\": Int(1)}}, nodes: {{ \"a\": (text: \"x\", choices: [(text: \"c\", to: \"a\", when: {src:?}, set: [{src:?}])]) }})");
        let dir = TempDir::new("prop-expr");
        dir.write("story.ron", &story);
        let _ = qnce::load(dir.path(), &qnce::Limits::default());
    }
}

/// Plays `picks` (each reduced modulo the number of choices, with 255 meaning undo) and
/// returns a fingerprint of the session after each step.
fn play(story: &qnce::Story, s: &mut Session, picks: &[u8]) -> Vec<String> {
    let mut seen = Vec::new();
    for &p in picks {
        if s.is_ended() {
            break;
        }
        if p == 255 {
            let _ = s.undo(story);
        } else {
            let n = s.n_choices();
            s.choose(story, p as usize % n).unwrap();
        }
        seen.push(fingerprint(story, s));
    }
    seen
}

fn fingerprint(story: &qnce::Story, s: &Session) -> String {
    let vars: Vec<String> = story
        .var_ids()
        .iter()
        .map(|&v| format!("{:?}", s.var(v)))
        .collect();
    format!(
        "{:?} {} {} {:?}",
        s.current_node().map(|n| story.node_name(n)),
        s.text(),
        s.turns(),
        vars
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn save_load_and_continue_equals_uninterrupted_play(
        seed in any::<u64>(),
        story_name in prop::sample::select(vec!["crossroads", "lighthouse"]),
        before in proptest::collection::vec(prop_oneof![9 => 0u8..8, 1 => Just(255u8)], 0..12),
        after in proptest::collection::vec(prop_oneof![9 => 0u8..8, 1 => Just(255u8)], 0..12),
    ) {
        let story = load(&root().join("stories").join(story_name));
        let mut straight = Session::new(&story, SessionConfig::with_seed(seed)).unwrap();
        play(&story, &mut straight, &before);
        let expected = play(&story, &mut straight, &after);

        let mut first = Session::new(&story, SessionConfig::with_seed(seed)).unwrap();
        play(&story, &mut first, &before);
        let save = SaveData::from_ron(&first.save(&story).to_ron()).unwrap();
        let (mut resumed, warnings) = Session::restore(&story, &save, SessionConfig::default()).unwrap();
        prop_assert!(warnings.is_empty(), "{warnings:?}");
        prop_assert_eq!(fingerprint(&story, &resumed), fingerprint(&story, &first));
        let actual = play(&story, &mut resumed, &after);
        prop_assert_eq!(actual, expected);
    }
}
