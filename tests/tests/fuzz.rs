//! Hostile input as properties: expressions of every operator in long chains and deep
//! nesting through the loader and the evaluator, and byte mutations of the example
//! stories through loading and play. Whatever comes in, the result is a story that plays
//! (or fails a step with an error) or diagnostics inside the files: never a panic, a
//! stack overflow or a hang.
//!
//! Both run briefly in `cargo test`; `QNCE_FUZZ_CASES` sets how many cases, for a longer
//! run:
//!
//! ```sh
//! QNCE_FUZZ_CASES=20000 cargo test --release -p qnce-tests -- fuzz::
//! ```

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use qnce::{Limits, LoadError, Session, SessionConfig};

use crate::support::{TempDir, root};

fn cases(default: u32) -> u32 {
    std::env::var("QNCE_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// A value: a literal, a variable or a call that reads state.
fn int_leaf() -> BoxedStrategy<String> {
    prop_oneof![
        (-3i64..1000).prop_map(|n| n.to_string()),
        Just("n".to_owned()),
        Just(r#"visits(\"a\")"#.to_owned()),
        Just("turns()".to_owned()),
    ]
    .boxed()
}

/// A chain of `n` values joined by one of `ops`: long, but of values only, so that the
/// size of what nests it stays bounded.
fn chain(leaf: BoxedStrategy<String>, ops: Vec<&'static str>) -> BoxedStrategy<String> {
    let n = prop_oneof![8 => 1usize..40, 1 => 40usize..400];
    (n, prop::sample::select(ops))
        .prop_flat_map(move |(n, op)| (proptest::collection::vec(leaf.clone(), n), Just(op)))
        .prop_map(|(terms, op)| format!("({})", terms.join(&format!(" {op} "))))
        .boxed()
}

/// An `Int` expression over every integer operator and function, nested `depth` levels
/// at most, with long chains among its operands.
fn int_expr(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => int_leaf(),
        1 => chain(int_leaf(), vec!["+", "-", "*", "/", "%"]),
    ];
    leaf.prop_recursive(depth, 64, 3, |inner| {
        let cond = compare(inner.clone());
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("abs({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("random({a}, {b})")),
            (cond, inner.clone(), inner).prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
        ]
    })
    .boxed()
}

/// A comparison of two `ints`.
fn compare(ints: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        ints.clone(),
        prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
        ints,
    )
        .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
        .boxed()
}

/// A `Bool` expression over every comparison and logical operator, on `ints`, with long
/// chains of `&&` and `||`.
fn bool_over(ints: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        3 => compare(ints),
        1 => Just("b".to_owned()),
        1 => chain(Just("b".to_owned()).boxed(), vec!["&&", "||", "==", "!="]),
    ];
    leaf.prop_recursive(4, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| format!("!{c}")),
            (
                inner.clone(),
                prop::sample::select(vec!["&&", "||", "==", "!="]),
                inner
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        ]
    })
    .boxed()
}

/// Deep nesting of one operator: `-(-(-…n))`, `!(!(…b))`, `((((n))))`, `abs(abs(…))`.
fn deep_nesting() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec![
            ("-(", ")", "n"),
            ("!(", ")", "b"),
            ("(", ")", "n"),
            ("abs(", ")", "n"),
            ("max(1, ", ")", "n"),
            ("(b ? n : ", ")", "n"),
        ]),
        1usize..2000,
    )
        .prop_map(|((open, close, leaf), depth)| {
            let expr = format!("{}{leaf}{}", open.repeat(depth), close.repeat(depth));
            let var = if leaf == "b" { "b" } else { "n" };
            (var.to_owned(), expr)
        })
}

/// Loads a story whose node `a` sets `var` to `expr` and shows `text`, and plays it.
fn load_and_play(var: &str, expr: &str, when: &str) {
    let story = format!(
        "Story(title: \"T\", start: \"a\", variables: {{ \"n\": Int(1), \"b\": Bool(true) }},\n\
         nodes: {{\n\"a\": (text: \"{{n}}\", choices: [\n\
         (text: \"Go\", to: \"a\", set: [\"{var} = {expr}\"], when: \"{when}\"),\n\
         (text: \"Stay\", to: \"a\"),\n]) }})"
    );
    let dir = TempDir::new("fuzz-expr");
    dir.write("story.ron", &story);
    match qnce::load(dir.path(), &Limits::default()) {
        Ok(loaded) => {
            let story = loaded.value;
            // Showing the start evaluates the condition, and a step the effect: either may
            // fail (overflow, division by zero), neither may panic.
            if let Ok(mut s) = Session::new(&story, SessionConfig::with_seed(1)) {
                for _ in 0..3 {
                    let _ = s.choose(&story, 0);
                }
            }
        }
        Err(LoadError::Invalid(d)) => {
            let lines = story.lines().count();
            for d in &d {
                assert!(d.line >= 1 && d.line <= lines, "{d}");
            }
        }
        Err(e) => panic!("{e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn expressions_of_every_operator_load_and_evaluate_or_give_located_errors(
        int in int_expr(6),
        cond in bool_over(int_expr(2)),
    ) {
        load_and_play("n", &int, &cond);
    }

    #[test]
    fn deep_nesting_of_every_operator_is_refused_with_a_position((var, expr) in deep_nesting()) {
        load_and_play(&var, &expr, "true");
    }
}

/// The example stories' files, each with its path relative to the story directory.
fn example_files() -> Vec<(String, PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for story in ["crossroads", "lighthouse"] {
        let dir = root().join("stories").join(story);
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "ron") {
                    let relative = path.strip_prefix(&dir).unwrap().to_owned();
                    out.push((story.to_owned(), relative, std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    out.sort();
    out
}

/// A byte edit: delete a range, insert bytes, duplicate a range, or overwrite a byte.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Duplicate(usize, usize),
    Overwrite(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        prop::sample::select(vec![
            b"(".to_vec(),
            b")".to_vec(),
            b"\"".to_vec(),
            b"{".to_vec(),
            b"}".to_vec(),
            b"[".to_vec(),
            b",".to_vec(),
            b" + 1".to_vec(),
            b" && true".to_vec(),
            b"next: \"start\",".to_vec(),
            b"r#\"".to_vec(),
            b"\xEF\xBB\xBF".to_vec(),
        ]),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), bytes).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1usize..200).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Overwrite(at, b)),
    ]
}

fn apply(text: &mut Vec<u8>, edit: &Edit) {
    let len = text.len().max(1);
    match edit {
        Edit::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(text.len());
            text.drain(at.min(end)..end);
        }
        Edit::Insert(at, bytes) => {
            let at = at % (text.len() + 1);
            text.splice(at..at, bytes.iter().copied());
        }
        Edit::Duplicate(at, n) => {
            let at = at % len;
            let end = (at + n).min(text.len());
            let piece = text[at.min(end)..end].to_vec();
            text.splice(end..end, piece);
        }
        Edit::Overwrite(at, b) => {
            if !text.is_empty() {
                let at = at % text.len();
                text[at] = *b;
            }
        }
    }
}

/// Copies `story` to a temporary directory with `file` replaced by `text`.
fn mutated_copy(story: &str, file: &Path, text: &[u8]) -> TempDir {
    let dir = TempDir::copy_of(&root().join("stories").join(story), "fuzz-bytes");
    std::fs::write(dir.path().join(file), text).unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn byte_edits_of_the_example_stories_never_crash(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 1..6),
        picks in proptest::collection::vec(0usize..4, 0..20),
    ) {
        let files = example_files();
        let (story, file, original) = &files[which.index(files.len())];
        let mut text = original.clone();
        for e in &edits {
            apply(&mut text, e);
        }
        let dir = mutated_copy(story, file, &text);
        match qnce::load(dir.path(), &Limits::default()) {
            Ok(loaded) => {
                let story = loaded.value;
                let Ok(mut s) = Session::new(&story, SessionConfig::with_seed(7)) else {
                    return Ok(());
                };
                for &pick in &picks {
                    let _ = match pick {
                        3 => s.undo(&story),
                        n => s.choose(&story, n % s.n_choices().max(1)),
                    };
                }
                let save = s.save(&story);
                prop_assert!(Session::restore(&story, &save, SessionConfig::with_seed(7)).is_ok());
            }
            Err(LoadError::Invalid(d)) => {
                prop_assert!(d.has_errors());
                for d in &d {
                    let n_lines = std::fs::read_to_string(&d.path)
                        .map_or(usize::MAX, |t| t.lines().count().max(1));
                    prop_assert!(d.line >= 1 && d.line <= n_lines.saturating_add(1), "{}", d);
                    prop_assert!(d.col >= 1, "{}", d);
                }
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
