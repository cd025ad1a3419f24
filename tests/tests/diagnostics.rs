//! One case per diagnostic that loading reports, each with the position it must point at.

use qnce::{Limits, LoadError, Severity};

use crate::support::TempDir;

/// Loads a story made of `files` and returns its diagnostics as
/// `(file name, line, col, severity, message)`.
fn diagnose(files: &[(&str, &str)]) -> Vec<(String, usize, usize, Severity, String)> {
    let dir = TempDir::new("diag");
    for (name, text) in files {
        dir.write(name, text);
    }
    let diagnostics = match qnce::load::load_data(dir.path(), &Limits::default()) {
        Ok(loaded) => loaded.warnings,
        Err(LoadError::Invalid(d)) => d,
        Err(e) => panic!("{e}"),
    };
    diagnostics
        .iter()
        .map(|d| {
            let file = d
                .path
                .strip_prefix(dir.path())
                .unwrap_or(&d.path)
                .display()
                .to_string();
            (file, d.line, d.col, d.severity, d.message.clone())
        })
        .collect()
}

/// Asserts that some diagnostic has this file, position, severity and message part.
#[track_caller]
fn expect(
    files: &[(&str, &str)],
    file: &str,
    line: usize,
    col: usize,
    severity: Severity,
    part: &str,
) {
    let found = diagnose(files);
    assert!(
        found.iter().any(|d| d.0 == file
            && d.1 == line
            && d.2 == col
            && d.3 == severity
            && d.4.contains(part)),
        "expected {file}:{line}:{col}: {severity}: …{part}…\nfound: {found:#?}"
    );
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

fn main_with_nodes(nodes: &str) -> String {
    format!(
        "Story(\n    title: \"T\",\n    start: \"a\",\n    variables: {{ \"n\": Int(0), \"s\": Str(\"x\") }},\n    nodes: {{\n{nodes}\n    }},\n)\n"
    )
}

#[test]
fn ron_syntax_error() {
    expect(
        &[(
            "story.ron",
            "Story(title: \"T\", start: \"a\",\n  nodes: { \"a\": (text: \"x\" }\n)",
        )],
        "story.ron",
        2,
        28,
        E,
        "",
    );
}

#[test]
fn unknown_field() {
    let s = main_with_nodes("        \"a\": (text: \"x\", colour: \"red\"),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        26,
        E,
        "unexpected field named `colour`",
    );
}

#[test]
fn dangling_choice_target() {
    let s = main_with_nodes(
        "        \"a\": (text: \"x\", choices: [(text: \"go\", to: \"nowhere\")]),",
    );
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        53,
        E,
        "leads to `nowhere`, which does not exist",
    );
}

#[test]
fn dangling_next() {
    let s = main_with_nodes("        \"a\": (text: \"x\", next: \"gone\"),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        32,
        E,
        "`next` points to `gone`",
    );
}

#[test]
fn dangling_start() {
    let s = "Story(title: \"T\", start: \"zz\", nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", s)],
        "story.ron",
        1,
        26,
        E,
        "start node `zz` does not exist",
    );
}

#[test]
fn dangling_flow_target() {
    let s = "Story(title: \"T\", start: \"a\",\n flows: { \"radio\": \"nope\" },\n nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", s)],
        "story.ron",
        2,
        11,
        E,
        "flow `radio` starts at `nope`",
    );
}

#[test]
fn undeclared_variable_points_inside_the_expression() {
    let s = main_with_nodes(
        "        \"a\": (text: \"x\", choices: [(text: \"go\", to: \"a\", when: \"n > 1 && ghost\")]),",
    );
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        74,
        E,
        "undeclared variable `ghost`",
    );
}

#[test]
fn type_error_in_condition() {
    // `n + s` is a string concatenation; comparing that string with `1` is the error.
    let s = main_with_nodes(
        "        \"a\": (text: \"x\", choices: [(text: \"go\", to: \"a\", when: \"n + s > 1\")]),",
    );
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        71,
        E,
        "needs two numbers or two strings",
    );
}

#[test]
fn type_error_in_effect() {
    let s = main_with_nodes("        \"a\": (text: \"x\", on_enter: [\"n = true\"]),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        42,
        E,
        "`n =` needs a value that fits Int, found Bool",
    );
}

#[test]
fn type_error_in_interpolation() {
    let s = main_with_nodes("        \"a\": (text: \"Value {!n}\"),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        29,
        E,
        "`!` needs Bool, found Int",
    );
}

#[test]
fn duplicate_node_in_one_file_points_at_the_second() {
    let s = main_with_nodes("        \"a\": (text: \"x\"),\n        \"a\": (text: \"y\"),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        7,
        9,
        E,
        "duplicate node `a` (first declared at ",
    );
    // The first declaration's place, to the column.
    let found = diagnose(&[("story.ron", &s)]);
    assert!(
        found.iter().any(|d| d.4.ends_with("story.ron:6:9)")),
        "{found:#?}"
    );
}

#[test]
fn duplicate_node_across_files() {
    let main = "Story(title: \"T\", start: \"a\", include: [\"two.ron\"], nodes: { \"a\": (text: \"x\") })";
    let two = "Include(\n  nodes: { \"a\": (text: \"again\") },\n)";
    expect(
        &[("story.ron", main), ("two.ron", two)],
        "two.ron",
        2,
        12,
        E,
        "duplicate node `a` (first declared at ",
    );
    let found = diagnose(&[("story.ron", main), ("two.ron", two)]);
    assert!(
        found.iter().any(|d| d.4.ends_with("story.ron:1:62)")),
        "{found:#?}"
    );
}

#[test]
fn duplicate_variable_across_files() {
    let main = "Story(title: \"T\", start: \"a\", variables: { \"v\": Int(0) }, include: [\"two.ron\"], nodes: { \"a\": (text: \"x\") })";
    let two = "Include(variables: { \"v\": Bool(true) })";
    expect(
        &[("story.ron", main), ("two.ron", two)],
        "two.ron",
        1,
        22,
        E,
        "duplicate variable `v`",
    );
}

#[test]
fn duplicate_choice_id() {
    let s = main_with_nodes(
        "        \"a\": (text: \"x\", choices: [(id: \"k\", text: \"1\", to: \"a\"), (id: \"k\", text: \"2\", to: \"a\")]),",
    );
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        67,
        E,
        "choice id `k` is used by choice 1 and 2",
    );
}

#[test]
fn include_cycle() {
    let main = "Story(title: \"T\", start: \"a\", include: [\"one.ron\"], nodes: { \"a\": (text: \"x\") })";
    let one = "Include(include: [\"two.ron\"])";
    let two = "Include(\n  include: [\"one.ron\"],\n)";
    expect(
        &[("story.ron", main), ("one.ron", one), ("two.ron", two)],
        "two.ron",
        2,
        13,
        E,
        "include cycle",
    );
}

#[test]
fn include_outside_the_story_directory() {
    let main = "Story(title: \"T\", start: \"a\", include: [\"../elsewhere.ron\"], nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", main)],
        "story.ron",
        1,
        41,
        E,
        "points outside the story directory",
    );
}

#[test]
fn missing_include_file() {
    let main = "Story(title: \"T\", start: \"a\", include: [\"absent.ron\"], nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", main)],
        "story.ron",
        1,
        41,
        E,
        "cannot read include `absent.ron`",
    );
}

#[test]
fn asset_path_outside_the_story_directory() {
    let s = "Story(title: \"T\", start: \"a\",\n assets: { \"m\": (path: \"../../etc/passwd\", kind: Text) },\n nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", s)],
        "story.ron",
        2,
        24,
        E,
        "points outside the story directory",
    );
}

#[test]
fn absolute_asset_path() {
    let s = "Story(title: \"T\", start: \"a\",\n assets: { \"m\": (path: \"/etc/passwd\", kind: Text) },\n nodes: { \"a\": (text: \"x\") })";
    expect(
        &[("story.ron", s)],
        "story.ron",
        2,
        24,
        E,
        "points outside the story directory",
    );
}

#[test]
fn missing_asset_file() {
    let s = "Story(title: \"T\", start: \"a\",\n assets: { \"m\": (path: \"sounds/none.ogg\", kind: Audio) },\n nodes: { \"a\": (text: \"x\", assets: [\"m\"]) })";
    expect(
        &[("story.ron", s)],
        "story.ron",
        2,
        24,
        E,
        "asset file `sounds/none.ogg` does not exist",
    );
}

#[test]
fn unknown_asset_reference() {
    let s = main_with_nodes("        \"a\": (text: \"x\", assets: [\"ghost\"]),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        35,
        E,
        "unknown asset `ghost`",
    );
}

#[test]
fn unreachable_node_is_a_warning() {
    let s = main_with_nodes("        \"a\": (text: \"x\"),\n        \"island\": (text: \"y\"),");
    expect(
        &[("story.ron", &s)],
        "story.ron",
        7,
        9,
        W,
        "node `island` is unreachable",
    );
}

#[test]
fn condition_that_can_never_hold_is_a_warning() {
    let s = main_with_nodes(
        "        \"a\": (text: \"x\", choices: [(text: \"go\", to: \"a\", when: \"1 > 2 && n > 0\")]),",
    );
    expect(
        &[("story.ron", &s)],
        "story.ron",
        6,
        64,
        W,
        "can never hold",
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let s = main_with_nodes(
        "        \"a\": (text: \"{ghost}\", next: \"gone\", choices: [(text: \"go\", to: \"nowhere\")]),",
    );
    let found = diagnose(&[("story.ron", &s)]);
    assert_eq!(found.iter().filter(|d| d.3 == E).count(), 3, "{found:#?}");
}

/// Issue 14, class 12: a loop of `next` and fallback links that nothing can stop passed
/// `check` and failed only when played. Each node of it is a warning, at its link.
#[test]
fn a_loop_of_automatic_advances_that_nothing_stops_is_a_warning() {
    let story = main_with_nodes(concat!(
        "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"b\")]),\n",
        "        \"b\": (text: \"B\", next: \"c\", on_enter: [\"n += 1\"]),\n",
        "        \"c\": (text: \"C\", choices: [(text: \"\", to: \"b\", fallback: true)]),",
    ));
    let files = [("story.ron", story.as_str())];
    let round = "loop that nothing stops (b → c → b)";
    expect(&files, "story.ron", 7, 32, W, round);
    expect(&files, "story.ron", 8, 51, W, round);
    // A condition on the way, a `once` fallback or a choice to show can stop a loop: no
    // warning for those.
    for stoppable in [
        "        \"b\": (text: \"B\", next: \"c\"),\n        \"c\": (text: \"C\", choices: [(text: \"\", to: \"b\", fallback: true, when: \"n < 3\")]),",
        "        \"b\": (text: \"B\", next: \"c\"),\n        \"c\": (text: \"C\", choices: [(text: \"\", to: \"b\", fallback: true, once: true)]),",
        "        \"b\": (text: \"B\", next: \"c\"),\n        \"c\": (text: \"C\", choices: [(text: \"Stop\", to: \"a\"), (text: \"\", to: \"b\", fallback: true)]),",
    ] {
        let story = main_with_nodes(&format!(
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"b\")]),\n{stoppable}"
        ));
        let found = diagnose(&[("story.ron", story.as_str())]);
        assert!(
            found.iter().all(|d| !d.4.contains("loop")),
            "{stoppable}: {found:#?}"
        );
    }
}

/// An error inside dedented text points where it is written, indentation and all.
#[test]
fn an_error_in_multi_line_text_points_at_its_source() {
    let story = main_with_nodes(concat!(
        "        \"a\": (text: r#\"\n",
        "            First line.\n",
        "            Second {nope} line.\n",
        "        \"#),",
    ));
    expect(
        &[("story.ron", story.as_str())],
        "story.ron",
        8,
        21,
        E,
        "undeclared variable `nope`",
    );
}

/// Block errors in text point at the block's tag.
#[test]
fn an_unclosed_block_in_text_points_at_its_if() {
    let story = main_with_nodes("        \"a\": (text: \"Hi {if n > 0}there\"),");
    expect(
        &[("story.ron", story.as_str())],
        "story.ron",
        6,
        25,
        E,
        "`{if}` without `{end}`",
    );
}

/// A block's condition that is not a `Bool` is reported where the condition starts.
#[test]
fn a_block_condition_of_another_type_points_at_the_condition() {
    let story = main_with_nodes("        \"a\": (text: \"Hi {if  n}x{end}\"),");
    expect(
        &[("story.ron", story.as_str())],
        "story.ron",
        6,
        30,
        E,
        "the condition of a block must be Bool, this is Int",
    );
}

/// Commands are checked at load: declared, called with the right number and types of
/// arguments; one no effect calls is a warning.
#[test]
fn command_declarations_and_calls_are_checked() {
    let story = |commands: &str, effect: &str| {
        format!(
            "Story(\n    title: \"T\",\n    start: \"a\",\n    commands: {{ {commands} }},\n    nodes: {{\n        \"a\": (text: \"A\", on_enter: [\"{effect}\"]),\n    }},\n)\n"
        )
    };
    let sound = "\"play\": (params: [(\"name\", Str)])";
    let cases = [
        (
            story(sound, "play(1)"),
            6,
            43,
            E,
            "argument 1 of `play` must be Str, found Int",
        ),
        (
            story(sound, "play()"),
            6,
            38,
            E,
            "`play` takes 1 argument(s), found 0",
        ),
        (
            story(sound, "jump(1)"),
            6,
            38,
            E,
            "`jump` is not a command the story declares",
        ),
        (
            story("\"min\": ()", "n = 1"),
            4,
            17,
            E,
            "`min` is not a valid command name",
        ),
        (story(sound, "play('x')"), 4, 17, W, ""),
        (
            story(&format!("{sound}, \"shake\": ()"), "play('x')"),
            4,
            52,
            W,
            "command `shake` is declared but no effect calls it",
        ),
    ];
    for (text, line, col, severity, part) in &cases[..4] {
        expect(
            &[("story.ron", text.as_str())],
            "story.ron",
            *line,
            *col,
            *severity,
            part,
        );
    }
    // A used command is no warning; an unused one is.
    assert!(diagnose(&[("story.ron", cases[4].0.as_str())]).is_empty());
    let (text, line, col, severity, part) = &cases[5];
    expect(
        &[("story.ron", text.as_str())],
        "story.ron",
        *line,
        *col,
        *severity,
        part,
    );
}

/// Functions the game provides are checked at load like built-ins: declared, called with
/// the right number and types of arguments, a fallback of the declared type over the
/// parameters; one no expression calls is a warning.
#[test]
fn function_declarations_calls_and_fallbacks_are_checked() {
    let story = |functions: &str, when: &str| {
        format!(
            "Story(\n    title: \"T\",\n    start: \"a\",\n    functions: {{ {functions} }},\n    nodes: {{\n        \"a\": (text: \"A\", choices: [(text: \"On\", to: \"a\", when: \"{when}\")]),\n    }},\n)\n"
        )
    };
    let has = "\"has\": (params: [(\"item\", Str)], returns: Bool, fallback: \"item == 'lamp'\")";
    let cases = [
        (
            story(has, "has(1)"),
            6,
            69,
            "argument 1 of `has` must be Str, found Int",
        ),
        (
            story(has, "has()"),
            6,
            65,
            "`has` takes 1 argument(s), found 0",
        ),
        (story(has, "hast('x')"), 6, 65, "unknown function `hast`"),
        (
            story(has, "has('x') + 1 > 0"),
            6,
            74,
            "`+` needs numbers, found Bool and Int",
        ),
        (
            story(
                "\"has\": (params: [(\"item\", Str)], returns: Bool, fallback: \"item\")",
                "has('x')",
            ),
            4,
            76,
            "the fallback of `has` is Str, but `has` returns Bool",
        ),
        (
            story(
                "\"has\": (params: [(\"item\", Str)], returns: Bool, fallback: \"itme == ''\")",
                "has('x')",
            ),
            4,
            77,
            "undeclared variable `itme`",
        ),
        (
            story(
                "\"has\": (params: [(\"item\", Str)], returns: Bool, fallback: \"has(item)\")",
                "has('x')",
            ),
            4,
            77,
            "unknown function `has`",
        ),
        (
            story("\"abs\": (returns: Int)", "true"),
            4,
            18,
            "`abs` is not a valid function name",
        ),
    ];
    for (text, line, col, part) in &cases {
        expect(
            &[("story.ron", text.as_str())],
            "story.ron",
            *line,
            *col,
            E,
            part,
        );
    }
    // A called function is no warning; one no expression calls is.
    assert!(diagnose(&[("story.ron", story(has, "has('x')").as_str())]).is_empty());
    expect(
        &[("story.ron", story(has, "true").as_str())],
        "story.ron",
        4,
        18,
        W,
        "function `has` is declared but no expression calls it",
    );
    // A function called only in text counts as called.
    let in_text = story(has, "true").replace("(text: \"A\"", "(text: \"A{has('x')}\"");
    assert!(diagnose(&[("story.ron", in_text.as_str())]).is_empty());
}

/// A command and a function may not share a name: both are written `name(…)`.
#[test]
fn a_function_may_not_share_a_command_name() {
    let text = "Story(\n    title: \"T\",\n    start: \"a\",\n    commands: { \"ring\": () },\n    functions: { \"ring\": (returns: Int) },\n    nodes: {\n        \"a\": (text: \"A{ring()}\", on_enter: [\"ring()\"]),\n    },\n)\n";
    expect(
        &[("story.ron", text)],
        "story.ron",
        5,
        18,
        E,
        "`ring` is declared both as a command and as a function",
    );
}

/// Calls are checked at load: a `call` target that does not exist, a node's `call`
/// without `next`, a `return: true` node with `next`, a choice that goes nowhere.
#[test]
fn call_and_return_mistakes_are_located() {
    let cases = [
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Ask\", call: \"nobody\")]),",
            6,
            56,
            "choice calls `nobody`, which does not exist",
        ),
        (
            "        \"a\": (text: \"A\", call: \"nobody\", next: \"a\"),",
            6,
            32,
            "`call` calls `nobody`, which does not exist",
        ),
        (
            "        \"a\": (text: \"A\", call: \"a\"),",
            6,
            32,
            "a node's `call` needs a `next`",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"On\", to: \"b\")]),\n        \"b\": (text: \"B\", next: \"a\", return: true),",
            7,
            45,
            "a `return: true` node cannot also have `next`",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Ask\")]),",
            6,
            36,
            "a choice needs `to` (where it leads), `call` (a node it calls first), or both",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Ask\", call: \"a\", fallback: true)]),",
            6,
            56,
            "a fallback choice that calls needs a `to`",
        ),
    ];
    for (nodes, line, col, part) in cases {
        let story = main_with_nodes(nodes);
        expect(
            &[("story.ron", story.as_str())],
            "story.ron",
            line,
            col,
            E,
            part,
        );
    }
}

/// Line ids: a node's text is its name, a choice's `node.choice`, unless fixed with
/// `line`; two texts with one id, and an empty id, are errors where written.
#[test]
fn line_ids_are_derived_or_fixed_and_duplicates_are_located() {
    let ok = main_with_nodes(
        "        \"a\": (text: \"A\", choices: [(text: \"On\", to: \"b\"), (id: \"x\", text: \"X\", to: \"b\", line: \"fixed\")]),\n        \"b\": (text: \"B\", line: \"b-text\"),",
    );
    let dir = crate::support::story_dir("line-ids", &ok);
    let story = crate::support::load(dir.path());
    let (a, b) = (story.node_id("a").unwrap(), story.node_id("b").unwrap());
    assert_eq!(story.node_line(a), "a");
    assert_eq!(story.node_line(b), "b-text");
    assert_eq!(story.choice_line(a, story.choice_id("b").unwrap()), "a.b");
    assert_eq!(story.choice_line(a, story.choice_id("x").unwrap()), "fixed");

    let twice = main_with_nodes(
        "        \"a\": (text: \"A\", choices: [(text: \"On\", to: \"b\")]),\n        \"b\": (text: \"B\", line: \"a.b\"),",
    );
    expect(
        &[("story.ron", twice.as_str())],
        "story.ron",
        7,
        32,
        E,
        "line id `a.b` is already the id of the text of choice 1 of node `a`",
    );
    // Default ids meet only through a `.` in a name or a choice id: node `a.b` against
    // choice `b` of `a`, and choice `b.c` of `a` against choice `c` of `a.b`.
    let dotted = main_with_nodes(
        "        \"a\": (text: \"A\", choices: [(text: \"On\", to: \"b\"), (id: \"b.c\", text: \"C\", to: \"b\")]),\n        \"b\": (text: \"B\"),\n        \"a.b\": (text: \"AB\", choices: [(text: \"C\", to: \"c\")]),\n        \"c\": (text: \"C\"),",
    );
    expect(
        &[("story.ron", dotted.as_str())],
        "story.ron",
        8,
        9,
        E,
        "line id `a.b` is already the id of the text of choice 1 of node `a`",
    );
    expect(
        &[("story.ron", dotted.as_str())],
        "story.ron",
        8,
        39,
        E,
        "line id `a.b.c` is already the id of the text of choice 2 of node `a`",
    );
    // Two explicit ones.
    let explicit = main_with_nodes(
        "        \"a\": (text: \"A\", line: \"same\", next: \"b\"),\n        \"b\": (text: \"B\", line: \"same\"),",
    );
    expect(
        &[("story.ron", explicit.as_str())],
        "story.ron",
        7,
        32,
        E,
        "line id `same` is already the id of the text of node `a`",
    );
    let empty = main_with_nodes("        \"a\": (text: \"A\", line: \"\"),");
    expect(
        &[("story.ron", empty.as_str())],
        "story.ron",
        6,
        32,
        E,
        "a line id may not be empty",
    );
}

/// "Did you mean": a dangling `to`, `next`, `call` or `start`, an undeclared variable,
/// an unknown node, function or asset, and a misspelt field each name the closest
/// existing name; a word from another engine names the field it means here.
#[test]
fn mistakes_suggest_the_closest_name() {
    let cases: [(&str, &str); 8] = [
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"gear_stal\")]),\n        \"gear_stall\": (text: \"G\"),",
            "choice leads to `gear_stal`, which does not exist; did you mean `gear_stall`?",
        ),
        (
            "        \"a\": (text: \"A\", next: \"gear_stal\"),\n        \"gear_stall\": (text: \"G\"),",
            "`next` points to `gear_stal`, which does not exist; did you mean `gear_stall`?",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", call: \"gear_stal\")]),\n        \"gear_stall\": (text: \"G\", return: true),",
            "choice calls `gear_stal`, which does not exist; did you mean `gear_stall`?",
        ),
        (
            "        \"a\": (text: \"{m}\"),",
            "undeclared variable `m`; did you mean `n`?",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"a\", when: \"visits('aa') > 0\")]),",
            "unknown node `aa`; did you mean `a`?",
        ),
        (
            "        \"a\": (text: \"{rnadom(1, 2)}\"),",
            "unknown function `rnadom`",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"a\", condition: \"n > 0\")]),",
            "unexpected field named `condition`",
        ),
        (
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", too: \"a\")]),",
            "did you mean `to`?",
        ),
    ];
    for (nodes, part) in cases {
        let story = main_with_nodes(nodes);
        let found = diagnose(&[("story.ron", &story)]);
        assert!(
            found.iter().any(|d| d.3 == E && d.4.contains(part)),
            "{part}\n{found:#?}"
        );
    }
    let found = diagnose(&[(
        "story.ron",
        &main_with_nodes("        \"a\": (text: \"{rnadom(1, 2)}\"),"),
    )]);
    assert!(
        found
            .iter()
            .any(|d| d.4.ends_with("did you mean `random`?")),
        "{found:#?}"
    );
    let found = diagnose(&[(
        "story.ron",
        &main_with_nodes(
            "        \"a\": (text: \"A\", choices: [(text: \"Go\", to: \"a\", condition: \"n > 0\")]),",
        ),
    )]);
    assert!(
        found.iter().any(|d| d.4.ends_with("did you mean `when`?")),
        "{found:#?}"
    );
    let command = "Story(title: \"T\", start: \"a\", commands: { \"shake\": (params: [(\"s\", Float)]) }, nodes: { \"a\": (text: \"A\", on_enter: [\"shak(0.5)\"]) })";
    let found = diagnose(&[("story.ron", command)]);
    assert!(
        found.iter().any(|d| d
            .4
            .contains("`shak` is not a command the story declares (did you mean `shake`?")),
        "{found:#?}"
    );
    let start = "Story(title: \"T\", start: \"strat\", nodes: { \"start\": (text: \"x\") })";
    let found = diagnose(&[("story.ron", start)]);
    assert!(
        found.iter().any(|d| d
            .4
            .contains("start node `strat` does not exist; did you mean `start`?")),
        "{found:#?}"
    );
}
