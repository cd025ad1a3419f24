//! Inputs that must produce a clear error, never a panic or a hang.

use qnce::{Limits, LoadError};

use crate::support::{TempDir, qnce, stdout};

fn errors_of(text: &[u8], limits: &Limits) -> Vec<String> {
    let dir = TempDir::new("bad");
    dir.write("story.ron", text);
    match qnce::load(dir.path(), limits) {
        Ok(_) => Vec::new(),
        Err(LoadError::Invalid(d)) => d
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

/// The diagnostics of the story in `dir`, which must not load, as
/// `file:line:col: message` with the file's name only.
fn located_errors(dir: &std::path::Path) -> Vec<String> {
    let Err(LoadError::Invalid(d)) = qnce::load(dir, &Limits::default()) else {
        panic!("loaded");
    };
    d.iter()
        .map(|d| {
            let file = d.path.file_name().unwrap().to_string_lossy().into_owned();
            format!("{file}:{}:{}: {}", d.line, d.col, d.message)
        })
        .collect()
}

#[track_caller]
fn expect_error(text: &[u8], limits: &Limits, part: &str) {
    let errors = errors_of(text, limits);
    assert!(
        errors.iter().any(|e| e.contains(part)),
        "expected an error with {part:?}, got {errors:?}"
    );
}

#[test]
fn empty_file() {
    expect_error(b"", &Limits::default(), "1:1: file is empty");
    expect_error(
        b"  \n // nothing\n",
        &Limits::default(),
        "1:1: file is empty",
    );
}

#[test]
fn binary_garbage() {
    let mut garbage = b"Story(\n  title: \"".to_vec();
    garbage.extend([0xff, 0xfe, 0x00, 0x9c, 0x80]);
    expect_error(
        &garbage,
        &Limits::default(),
        "2:11: file is not valid UTF-8 text",
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it_all() {
    let dir = TempDir::new("huge");
    let path = dir.path().join("story.ron");
    // A sparse 100 MB file: the loader stops one byte past its 16 MiB limit.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    let err = qnce::load(dir.path(), &Limits::default()).err().unwrap();
    assert!(
        err.to_string()
            .contains("larger than the limit of 16777216 bytes"),
        "{err}"
    );
}

#[test]
fn ten_thousand_nested_parentheses_in_an_expression() {
    let expr = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let story =
        format!("Story(title: \"T\", start: \"a\", nodes: {{ \"a\": (text: \"{{{expr}}}\") }})");
    expect_error(
        story.as_bytes(),
        &Limits::default(),
        "nested deeper than the limit of 64",
    );
}

#[test]
fn ten_thousand_nested_unary_operators() {
    let expr = format!("{}true", "!".repeat(10_000));
    let story =
        format!("Story(title: \"T\", start: \"a\", nodes: {{ \"a\": (text: \"{{{expr}}}\") }})");
    expect_error(
        story.as_bytes(),
        &Limits::default(),
        "nested deeper than the limit",
    );
}

#[test]
fn ten_thousand_nested_ron_values() {
    let story = format!(
        "Story(title: \"T\", start: \"a\", nodes: {{}}, include: {}{})",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    // Typed fields stop the descent at the second level; the point is a clean error.
    expect_error(
        story.as_bytes(),
        &Limits::default(),
        "1:52: expected string",
    );
    let deep_value = format!(
        "Story(title: \"T\", start: \"a\", nodes: {{}}, variables: {{\"x\": {}}})",
        "Some(".repeat(10_000)
    );
    assert!(!errors_of(deep_value.as_bytes(), &Limits::default()).is_empty());
}

/// Each "did you mean" compares the unknown name with every name of its kind, so a story
/// whose targets all dangle (a renamed prefix, say) took hours at 100,000 nodes: only the
/// first hundred unknown names of a load get one. Every error is still reported.
#[test]
fn only_the_first_hundred_unknown_names_get_a_suggestion() {
    expect_a_hundred_hints(|i| format!(r#"(text: "{i}", to: "room{i}x")"#), "leads to");
}

/// The same budget for names in expressions: each hint compares the name with every node
/// (or variable) of the story.
#[test]
fn only_the_first_hundred_unknown_names_in_expressions_get_a_suggestion() {
    expect_a_hundred_hints(
        |i| format!(r#"(text: "{i}", to: "room{i}", when: "visits('room{i}x') > 0")"#),
        "unknown node",
    );
}

/// A story whose node `a` has 150 choices written by `choice` (each naming `room{i}x`,
/// which does not exist, beside `room{i}`, which does): 150 errors saying `what`, the
/// first hundred with a hint, the first of them `room0`.
fn expect_a_hundred_hints(choice: impl Fn(usize) -> String, what: &str) {
    let choices: Vec<String> = (0..150).map(choice).collect();
    let rooms: Vec<String> = (0..150)
        .map(|i| format!(r#""room{i}": (text: "{i}")"#))
        .collect();
    let story = format!(
        r#"Story(title: "T", start: "a", nodes: {{ "a": (text: "A", choices: [{}]), {} }})"#,
        choices.join(", "),
        rooms.join(", ")
    );
    let errors = errors_of(story.as_bytes(), &Limits::default());
    let unknown: Vec<&String> = errors.iter().filter(|e| e.contains(what)).collect();
    assert_eq!(unknown.len(), 150, "{errors:?}");
    let hinted = unknown
        .iter()
        .filter(|e| e.contains("did you mean"))
        .count();
    assert_eq!(hinted, 100, "{unknown:?}");
    assert!(
        unknown[0].contains("did you mean `room0`"),
        "{}",
        unknown[0]
    );
}

#[test]
fn node_count_limit() {
    let limits = Limits {
        max_nodes: 2,
        ..Limits::default()
    };
    let story = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"1\", next: \"b\"), \"b\": (text: \"2\", next: \"c\"), \"c\": (text: \"3\") })";
    // Parsing stops at the third node's key.
    expect_error(
        story.as_bytes(),
        &limits,
        "1:99: more than 2 entries in one map (the limit is the story's node limit, 2)",
    );
}

#[test]
fn text_length_limit() {
    let limits = Limits {
        max_text_len: 10,
        ..Limits::default()
    };
    let story =
        "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"far too long a text\") })";
    expect_error(story.as_bytes(), &limits, "exceeds the limit of 10");
}

#[test]
fn expression_depth_limit_is_configurable() {
    let limits = Limits {
        max_expr_depth: 3,
        ..Limits::default()
    };
    let story = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"{((((1))))}\") })";
    expect_error(
        story.as_bytes(),
        &limits,
        "nested deeper than the limit of 3",
    );
}

#[test]
fn file_size_limit_is_configurable() {
    let limits = Limits {
        max_file_bytes: 20,
        ..Limits::default()
    };
    let story = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"x\") })";
    expect_error(
        story.as_bytes(),
        &limits,
        "larger than the limit of 20 bytes",
    );
}

#[test]
fn unterminated_interpolation_and_lone_brace() {
    let open = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"Hi {name\") })";
    expect_error(open.as_bytes(), &Limits::default(), "unclosed `{` in text");
    let lone = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"Hi }\") })";
    expect_error(lone.as_bytes(), &Limits::default(), "lone `}` in text");
}

#[test]
fn the_binary_reports_garbage_without_panicking() {
    let dir = TempDir::new("garbagebin");
    // The first byte (NUL) is valid UTF-8; the second is where the text breaks.
    dir.write("story.ron", [0u8, 159, 146, 150, 255, 0, 1, 2]);
    let out = qnce(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("story.ron:1:2: error: file is not valid UTF-8 text"),
        "{}",
        stdout(&out)
    );
}

/// A story whose node `a` has `field` set to `value` (a RON string), and a variable `n`.
fn story_with(field: &str, value: &str) -> String {
    format!(
        "Story(title: \"T\", start: \"a\", variables: {{\"n\": Int(0), \"b\": Bool(true)}},\n\
         nodes: {{\n\"a\": (text: \"A\", {field}: {value}, choices: [(text: \"On\", to: \"z\")]),\n\
         \"z\": (text: \"Z\") }})"
    )
}

/// Issue 14, class 1: binary chains used to nest without bound (the depth counted
/// parentheses, unary operators and `?:` only), so a long chain passed `check` and
/// overflowed the stack when played, or in `check` itself. Every operator counts now.
#[test]
fn long_operator_chains_are_refused_with_their_position() {
    for (field, op, term, n) in [
        ("on_enter", "+", "1", 30_000),
        ("on_enter", "+", "1", 260_000),
        ("on_enter", "*", "1", 30_000),
        ("when", "&&", "b", 31_000),
        ("when", "||", "b", 31_000),
        ("when", "==", "b", 31_000),
    ] {
        let chain = vec![term; n].join(&format!(" {op} "));
        let value = if field == "on_enter" {
            format!("[\"n = {chain}\"]")
        } else {
            format!("\"{chain}\"")
        };
        let story = if field == "when" {
            // A condition is a choice's field.
            story_with("tags", "[]").replace(
                "(text: \"On\", to: \"z\")",
                &format!("(text: \"On\", to: \"z\", when: {value})"),
            )
        } else {
            story_with(field, &value)
        };
        let errors = errors_of(story.as_bytes(), &Limits::default());
        // The 64th operator is where the chain passes the limit.
        let terms_before = (term.len() + op.len() + 2) * 64;
        assert_eq!(errors.len(), 1, "{op} x {n}: {errors:?}");
        let (place, message) = errors[0].split_once(": ").unwrap();
        assert!(
            message.starts_with("expression nested deeper than the limit of 64"),
            "{op} x {n}: {message}"
        );
        let col: usize = place.split_once(':').unwrap().1.parse().unwrap();
        assert!(
            place.starts_with("3:") && col > terms_before && col < terms_before + 80,
            "{op} x {n}: {place}"
        );
    }
}

/// Every operator counts towards the depth: a chain at the limit is accepted, one more
/// term is not, and mixing operators, parentheses and calls changes nothing.
#[test]
fn the_depth_limit_counts_every_operator() {
    let limits = Limits {
        max_expr_depth: 8,
        ..Limits::default()
    };
    let at = |n: usize| {
        story_with(
            "on_enter",
            &format!("[\"n = {}\"]", vec!["1"; n].join(" + ")),
        )
    };
    assert!(errors_of(at(8).as_bytes(), &limits).is_empty());
    assert!(errors_of(at(9).as_bytes(), &limits)[0].contains("nested deeper than the limit of 8"));
    // max(…) is a level, as is `-`, and each `+` inside.
    let mixed = story_with("on_enter", "[\"n = max(1, -(1 + 1 + 1 + 1 + 1 + 1))\"]");
    assert!(errors_of(mixed.as_bytes(), &limits).is_empty());
    let mixed = story_with("on_enter", "[\"n = max(1, -(1 + 1 + 1 + 1 + 1 + 1 + 1))\"]");
    assert!(!errors_of(mixed.as_bytes(), &limits).is_empty());
}

/// A wide expression of bounded depth is bounded by its size.
#[test]
fn the_expression_size_limit_is_checked_while_parsing() {
    // Depth 8 per group, 1,000 groups side by side under a `?:` each: wide, not deep.
    let group = "(1 + 1 + 1 + 1)";
    let wide = vec![group; 5000].join(" * 0 + ");
    let errors = errors_of(
        story_with("on_enter", &format!("[\"n = {wide}\"]")).as_bytes(),
        &Limits {
            max_expr_depth: 100_000,
            ..Limits::default()
        },
    );
    assert!(
        errors[0].contains("longer than the limit of 4096 operators and operands"),
        "{errors:?}"
    );
}

/// The real binary: `check` rejects the chains that used to crash `check` and `play`.
#[test]
fn the_binary_checks_a_long_chain_without_crashing() {
    let dir = TempDir::new("chainbin");
    let chain = vec!["1"; 260_000].join("+");
    dir.write(
        "story.ron",
        story_with("on_enter", &format!("[\"n += {chain}\"]")),
    );
    let out = qnce(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout(&out).contains("story.ron:3:"), "{}", stdout(&out));
    assert!(stdout(&out).contains("nested deeper than the limit of 64"));
}

/// Issue 14, class 4: a FIFO include blocked `check` and `play` forever, and a link to
/// `/dev/zero` was read up to the size limit. Only regular files are read.
#[test]
fn includes_that_are_not_regular_files_are_located_errors() {
    let dir = TempDir::new("not-files");
    dir.write(
        "story.ron",
        r#"Story(title: "T", start: "a", include: ["pipe.ron", "zero.ron", "dir.ron"],
        nodes: { "a": (text: "A") })"#,
    );
    nix::unistd::mkfifo(&dir.path().join("pipe.ron"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.ron")).unwrap();
    std::fs::create_dir(dir.path().join("dir.ron")).unwrap();
    let found = located_errors(dir.path());
    assert_eq!(
        found,
        [
            "dir.ron:1:1: not a regular file (a directory): only files are read",
            "pipe.ron:1:1: not a regular file (a FIFO): only files are read",
            "zero.ron:1:1: not a regular file (a device): only files are read",
        ]
    );
    // The main file too, through the binary.
    let out = qnce(&["check", dir.path().join("pipe.ron").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("pipe.ron:1:1: error: not a regular file (a FIFO)"));
}

/// Issue 14, class 4: the node limit was checked after every file was parsed whole (a
/// 1,000,000-node story took 89 s and 4.3 GB to refuse). A file stops parsing at the
/// entry past the limit, and no include is read once the files before it are past it.
#[test]
fn the_node_limit_stops_parsing_early() {
    let limits = Limits {
        max_nodes: 100,
        ..Limits::default()
    };
    let nodes = |prefix: &str, n: usize| {
        (0..n)
            .map(|i| format!("\"{prefix}{i}\": (text: \"x\"),\n"))
            .collect::<String>()
    };
    // One file: the error is at the 101st entry.
    let one = format!(
        "Story(title: \"T\", start: \"n0\", nodes: {{\n{}}})",
        nodes("n", 500)
    );
    let errors = errors_of(one.as_bytes(), &limits);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("102:")
            && errors[0].ends_with(
                "more than 100 entries in one map (the limit is the story's node limit, 100)"
            ),
        "{errors:?}"
    );
    // Across files: 60 + 60 nodes, then three more includes that are not read.
    let dir = TempDir::new("node-limit-files");
    dir.write(
        "story.ron",
        format!(
            "Story(title: \"T\", start: \"a0\", include: [\"b.ron\", \"c.ron\", \"d.ron\", \"e.ron\"], nodes: {{\n{}}})",
            nodes("a", 60)
        ),
    );
    for f in ["b", "c", "d", "e"] {
        dir.write(
            &format!("{f}.ron"),
            format!("Include(nodes: {{\n{}}})", nodes(f, 60)),
        );
    }
    let Err(LoadError::Invalid(d)) = qnce::load(dir.path(), &limits) else {
        panic!("loaded");
    };
    let messages: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`c.ron` not read: the files before it hold 120 nodes, more than the limit of 100",
            "`d.ron` not read: the files before it hold 120 nodes, more than the limit of 100",
            "`e.ron` not read: the files before it hold 120 nodes, more than the limit of 100",
            "120 nodes exceed the limit of 100",
        ]
    );
}

/// Issue 14, class 11: when a file did not parse, the names it declares were reported
/// missing in the other files, before the syntax error that caused it. Now only the
/// syntax error is reported.
#[test]
fn a_file_that_does_not_parse_hides_the_errors_that_follow_from_it() {
    let dir = TempDir::new("knock-on");
    dir.write(
        "story.ron",
        r#"Story(title: "T", start: "a", include: ["vault.ron"],
        variables: { "gold": Int(0) },
        nodes: {
            "a": (text: "{keys} keys", next: "vault", choices: [(text: "In", to: "vault", when: "visits(\"vault\") > 0 || keys > 0")]),
            "b": (text: "B", choices: [(text: "Up", to: "nowhere")]),
        })"#,
    );
    dir.write(
        "vault.ron",
        r#"Include(variables: { "keys": Int(0) }, nodes: { "vault": (text: "V" choices: []) })"#,
    );
    let found = located_errors(dir.path());
    // `nowhere` would be missing whatever the vault declares, yet it is a name too: with
    // part of the story unread, no name can be said to be missing.
    assert_eq!(found, ["vault.ron:1:69: expected comma"]);
}

/// Issue 14, class 11: an unclosed string was reported two lines late as "expected
/// comma"; the error points at the opening quote now.
#[test]
fn an_unclosed_string_is_reported_at_its_opening_quote() {
    let story = "Story(\n    title: \"T\",\n    start: \"a\",\n    nodes: {\n        \"a\": (\n            text: \"Hello there,\n            choices: [(text: \"On\", to: \"b\")],\n        ),\n        \"b\": (text: \"B\"),\n    },\n)\n";
    let errors = errors_of(story.as_bytes(), &Limits::default());
    assert_eq!(
        errors,
        [
            "6:19: this string is not closed: it runs on to line 7, where reading then failed (expected comma)"
        ]
    );
    // A string that spans lines on purpose, followed by a real mistake, keeps the
    // parser's own message and place.
    let story = "Story(title: \"T\", start: \"a\", nodes: {\n\"a\": (text: \"Two\nlines\" next: \"a\"),\n})";
    let errors = errors_of(story.as_bytes(), &Limits::default());
    assert_eq!(errors, ["3:8: expected comma"]);
    // A string that spans lines on purpose, before a string that is not closed, is not
    // blamed for it.
    let story =
        "Story(title: \"T\", start: \"a\", nodes: {\n\"a\": (text: \"Hi\n\", next: \"b),\n})";
    let errors = errors_of(story.as_bytes(), &Limits::default());
    assert!(
        errors.len() == 1 && !errors[0].contains("this string is not closed"),
        "{errors:?}"
    );
}

/// A UTF-8 byte-order mark before a story or a save is not an error.
#[test]
fn a_byte_order_mark_is_accepted() {
    let mut story = b"\xEF\xBB\xBF".to_vec();
    story.extend_from_slice(b"Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"A\") })");
    assert_eq!(errors_of(&story, &Limits::default()), Vec::<String>::new());
    let dir = TempDir::new("bom-save");
    dir.write("story.ron", &story[3..]);
    let loaded = qnce::load(dir.path(), &Limits::default()).unwrap().value;
    let session = qnce::Session::new(&loaded, qnce::SessionConfig::with_seed(1)).unwrap();
    let mut save = b"\xEF\xBB\xBF".to_vec();
    save.extend_from_slice(session.save(&loaded).to_ron().unwrap().as_bytes());
    let path = dir.write("save.ron", save);
    assert!(qnce::persist::read_save(&path).is_ok());
}

#[test]
fn a_character_or_raw_string_cut_off_by_a_multibyte_character_is_an_error() {
    // Placing the error walks the text; it once sliced inside `é` and panicked.
    let texts: [&[u8]; 2] = [
        "Story(title: \"t\", start: \"a\", nodes: { \"a\": (text: 'xé') })".as_bytes(),
        "Story(title: \"t\", start: r#é, nodes: {})".as_bytes(),
    ];
    for text in texts {
        let errors = errors_of(text, &Limits::default());
        assert!(errors.iter().any(|e| e.starts_with("1:")), "{errors:?}");
    }
}
