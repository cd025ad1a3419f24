//! Property tests: loading and parsing never panic, and saving, loading and continuing
//! equals playing straight through.

use proptest::prelude::*;
use qnce::{SaveData, Session, SessionConfig};
use qnce_core::internal::StoryInternals;

use crate::support::{TempDir, canonical, load, root};

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
        let save = SaveData::from_ron(&first.save(&story).to_ron().unwrap()).unwrap();
        let (mut resumed, warnings) = Session::restore(&story, &save, SessionConfig::default()).unwrap();
        prop_assert!(warnings.is_empty(), "{warnings:?}");
        prop_assert_eq!(fingerprint(&story, &resumed), fingerprint(&story, &first));
        let actual = play(&story, &mut resumed, &after);
        prop_assert_eq!(actual, expected);
    }
}

/// A random story, as the two files it is written in: `story.ron` with the variables,
/// flows and even-numbered nodes, `more.ron` with the odd-numbered ones. Every story is
/// valid: targets exist, expressions type-check, ids are unique, and `next` only points
/// forward so that automatic advances always end.
#[derive(Clone, Debug)]
struct RandomStory {
    main: String,
    more: String,
}

type ChoiceSpec = (u8, usize, bool, bool, bool);
type NodeSpec = (
    u8,
    bool,
    Vec<ChoiceSpec>,
    Option<usize>,
    bool,
    Vec<&'static str>,
);

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        0u8..4,
        any::<bool>(),
        proptest::collection::vec(
            (
                0u8..5,
                0usize..6,
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            ),
            0..4,
        ),
        proptest::option::of(0usize..6),
        any::<bool>(),
        proptest::sample::subsequence(vec!["x", "y"], 0..=2),
    )
}

fn random_story() -> impl Strategy<Value = RandomStory> {
    (
        proptest::sample::subsequence(vec![1usize, 2, 3, 4, 5], 0..=5),
        proptest::collection::vec(node_spec(), 6),
        0i64..4,
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0usize..6),
    )
        .prop_map(|(extra, specs, n0, t_is_int, with_s, side)| {
            let names: Vec<String> = std::iter::once(0)
                .chain(extra)
                .map(|i| format!("n{i}"))
                .collect();
            let mut vars = format!(r#""n": Int({n0}), "t": {}"#, if t_is_int { "Int(1)" } else { "Bool(true)" });
            if with_s {
                vars.push_str(r#", "s": Str("hi")"#);
            }
            let flows = side.map_or(String::new(), |i| format!(r#"flows: {{ "side": "{}" }},"#, names[i % names.len()]));
            let (mut even, mut odd) = (String::new(), String::new());
            for (i, name) in names.iter().enumerate() {
                let (text, uses_n, choices, next, on_enter, tags) = &specs[i];
                let mut node = format!(r#""{name}": (text: "word{text}{}""#, if *uses_n { " {n}" } else { "" });
                let mut seen = Vec::new();
                let mut cs = Vec::new();
                for &(ct, target, explicit, once, when) in choices {
                    if seen.contains(&ct) {
                        continue;
                    }
                    seen.push(ct);
                    let mut c = String::from("(");
                    if explicit {
                        c.push_str(&format!(r#"id: "x{ct}", "#));
                    }
                    c.push_str(&format!(r#"text: "go {ct}", to: "{}""#, names[target % names.len()]));
                    if once {
                        c.push_str(", once: true");
                    }
                    if when {
                        c.push_str(r#", when: "n < 3""#);
                    }
                    c.push_str(r#", set: ["n += 1"])"#);
                    cs.push(c);
                }
                node.push_str(&format!(", choices: [{}]", cs.join(", ")));
                if let Some(next) = next {
                    let later = i + 1 + next % names.len();
                    if later < names.len() {
                        node.push_str(&format!(r#", next: "{}""#, names[later]));
                    }
                }
                if *on_enter {
                    node.push_str(r#", on_enter: ["n += 1"]"#);
                }
                node.push_str(&format!(", tags: {tags:?}),\n"));
                if i % 2 == 0 { even.push_str(&node) } else { odd.push_str(&node) }
            }
            RandomStory {
                main: format!(
                    "Story(title: \"R\", start: \"n0\", include: [\"more.ron\"], variables: {{ {vars} }}, {flows} nodes: {{\n{even}}})"
                ),
                more: format!("Include(nodes: {{\n{odd}}})"),
            }
        })
}

fn write_story(dir: &TempDir, story: &RandomStory) -> Vec<std::path::PathBuf> {
    vec![
        dir.write("story.ron", &story.main),
        dir.write("more.ron", &story.more),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn applying_the_diff_of_a_to_b_gives_b_and_keeps_sessions_valid(
        a in random_story(),
        b in random_story(),
        seed in any::<u64>(),
        picks in proptest::collection::vec(0u8..8, 0..6),
    ) {
        let dir = TempDir::new("prop-diff");
        write_story(&dir, &a);
        let mut host = qnce::reload::Host::open(dir.path(), &qnce::Limits::default()).unwrap().value;
        let key = host.add_session(SessionConfig::with_seed(seed)).unwrap();
        {
            let (story, s) = host.play(key).unwrap();
            play(story, s, &picks);
        }
        // Name only the files whose text changed, as the watcher would.
        let mut changed = Vec::new();
        for (path, (old, new)) in write_story(&dir, &b).into_iter().zip([(&a.main, &b.main), (&a.more, &b.more)]) {
            if old != new {
                changed.push(path);
            }
        }
        let reloaded = host.reload(Some(&changed));
        prop_assert!(reloaded.result.is_ok(), "{:?}", reloaded.result);
        for (_, outcome) in &reloaded.sessions {
            prop_assert!(outcome.is_ok(), "{outcome:?}");
        }

        let fresh = TempDir::new("prop-diff-b");
        write_story(&fresh, &b);
        prop_assert_eq!(canonical(host.story()), canonical(&load(fresh.path())));

        // The session is somewhere that exists, shows what that node shows, and plays on.
        let (story, s) = host.play(key).unwrap();
        let node = s.current_node().unwrap();
        prop_assert!(story.node_entity(node).is_some());
        let shown = (s.text().to_owned(), s.n_choices(), s.is_ended());
        s.refresh(story).unwrap();
        prop_assert_eq!((s.text().to_owned(), s.n_choices(), s.is_ended()), shown);
        if !s.is_ended() {
            s.choose(story, 0).unwrap();
            s.undo(story).unwrap();
        }
    }
}
