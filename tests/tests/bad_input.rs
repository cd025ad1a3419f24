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

#[test]
fn node_count_limit() {
    let limits = Limits {
        max_nodes: 2,
        ..Limits::default()
    };
    let story = "Story(title: \"T\", start: \"a\", nodes: { \"a\": (text: \"1\", next: \"b\"), \"b\": (text: \"2\", next: \"c\"), \"c\": (text: \"3\") })";
    expect_error(story.as_bytes(), &limits, "3 nodes exceed the limit of 2");
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
