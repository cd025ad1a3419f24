//! The expression language through stories: precedence, types, functions and errors.

use qnce::{Session, SessionConfig, Value};

use crate::support::{TempDir, load};

/// Renders `{expr}` in a story with variables `i = 7`, `f = 0.5`, `b = true`, `s = "ab"`.
fn render(expr: &str) -> Result<String, String> {
    render_text(&format!("{{{expr}}}"))
}

/// Renders a node text in the same story.
fn render_text(node_text: &str) -> Result<String, String> {
    let dir = TempDir::new("expr");
    let text = format!(
        "Story(title: \"T\", start: \"a\", variables: {{ \"i\": Int(7), \"f\": Float(0.5), \"b\": Bool(true), \"s\": Str(\"ab\") }}, nodes: {{ \"a\": (text: r#\"{node_text}\"#) }})"
    );
    dir.write("story.ron", text);
    let story = match qnce::load(dir.path(), &qnce::Limits::default()) {
        Ok(l) => l.value,
        Err(e) => return Err(e.to_string()),
    };
    let session = Session::new(&story, SessionConfig::with_seed(1)).map_err(|e| e.to_string())?;
    Ok(session.text().to_owned())
}

#[test]
fn precedence_and_values() {
    let cases = [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("7 / 2", "3"),
        ("7 % 4", "3"),
        ("7.0 / 2", "3.5"),
        ("-i + 1", "-6"),
        ("!b || i > 3", "true"),
        ("i > 3 && i < 5", "false"),
        ("1 < 2 == true", "true"),
        ("i == 7 ? \"seven\" : \"other\"", "seven"),
        ("b ? 1 : 2.5", "1"),
        ("false ? 1 : true ? 2 : 3", "2"),
        ("s + \"c\" + i", "abc7"),
        ("\"x\" < \"y\"", "true"),
        ("min(3, i)", "3"),
        ("max(f, 2)", "2"),
        ("abs(-4)", "4"),
        ("abs(0.5 - 1)", "0.5"),
        ("turns()", "0"),
        ("visits(\"a\")", "1"),
        ("i + f", "7.5"),
        ("1_000 * 2", "2000"),
    ];
    for (expr, expected) in cases {
        assert_eq!(render(expr).as_deref(), Ok(expected), "{expr}");
    }
}

#[test]
fn literal_braces() {
    assert_eq!(
        render_text("{i}}} {{literal}} {{{i}").as_deref(),
        Ok("7} {literal} {7")
    );
    // In a variation, the spaces around a branch go, escaped braces stay.
    assert_eq!(render_text("<{cycle:   {{a  | b}>").as_deref(), Ok("<{a>"));
    assert_eq!(render_text("<{once: x {{  }>").as_deref(), Ok("<x {>"));
    assert_eq!(render_text("{{").as_deref(), Ok("{"));
    assert_eq!(render_text("}}{{").as_deref(), Ok("}{"));
}

#[test]
fn type_and_name_errors() {
    let cases = [
        ("i + true", "`+` needs numbers, found Int and Bool"),
        ("s - 1", "`-` needs numbers"),
        ("!i", "`!` needs Bool, found Int"),
        ("i ? 1 : 2", "`?` needs a Bool condition"),
        ("b ? 1 : \"x\"", "differ in type"),
        ("i == s", "cannot compare Int with Str"),
        ("nope", "undeclared variable `nope`"),
        ("visits(\"zz\")", "unknown node `zz`"),
        ("visits(i)", "takes a node name in quotes"),
        ("random(1.5, 2)", "`random` needs Int"),
        ("min(1)", "takes 2 argument(s), found 1"),
        ("sqrt(4)", "unknown function `sqrt`"),
        ("1 +", "expected a value"),
        ("(1", "expected `)`"),
        ("i = 3", "`=` (use `==` to compare)"),
        ("99999999999999999999", "does not fit in 64 bits"),
        ("\"open", "unterminated string"),
        ("1 $ 2", "unexpected character `$`"),
    ];
    for (expr, part) in cases {
        let err = render(expr).expect_err(expr);
        assert!(err.contains(part), "{expr}: expected {part:?} in {err}");
    }
}

#[test]
fn runtime_arithmetic_errors_are_reported_not_panics() {
    let err = render("i / (i - 7)").unwrap_err();
    assert!(err.contains("division by zero"), "{err}");
    let err = render("9223372036854775807 + i").unwrap_err();
    assert!(err.contains("integer overflow"), "{err}");
}

#[test]
fn random_is_inclusive_and_seeded() {
    let dir = TempDir::new("random");
    dir.write(
        "story.ron",
        "Story(title: \"T\", start: \"a\", variables: { \"r\": Int(0) }, nodes: { \"a\": (text: \"{r}\", choices: [(text: \"roll\", to: \"a\", set: [\"r = random(1, 3)\"])]) })",
    );
    let story = load(dir.path());
    let r = story.var_id("r").unwrap();
    let roll = |seed| {
        let mut s = Session::new(&story, SessionConfig::with_seed(seed)).unwrap();
        (0..200)
            .map(|_| {
                s.choose(&story, 0).unwrap();
                s.var(r).cloned().unwrap()
            })
            .collect::<Vec<_>>()
    };
    let a = roll(5);
    assert_eq!(a, roll(5), "same seed, same numbers");
    assert_ne!(a, roll(6));
    for v in 1..=3 {
        assert!(a.contains(&Value::Int(v)), "{v} never rolled");
    }
    assert!(a.iter().all(|v| matches!(v, Value::Int(1..=3))));
}

/// Single-quoted strings, with the same escapes, wherever double-quoted ones work: inside
/// a RON string a condition needs no `\"`.
#[test]
fn single_quoted_strings() {
    for (expr, want) in [
        ("'door'", "door"),
        ("'it\\'s' + \"!\"", "it's!"),
        ("'say \"hi\"'", "say \"hi\""),
        ("s == 'ab' ? 'yes' : 'no'", "yes"),
        ("visits('a')", "1"),
        ("'{' + '}'", "{}"),
    ] {
        assert_eq!(render(expr).as_deref(), Ok(want), "{expr}");
    }
    assert!(render("'open").unwrap_err().contains("unterminated string"));
    assert!(
        render("'mixed\"")
            .unwrap_err()
            .contains("unterminated string")
    );
}

/// Text written over several lines (a RON raw string needs no escapes) loses its common
/// indentation and its leading and trailing blank lines.
#[test]
fn multi_line_text_is_dedented() {
    let text = "\n        The lamp is {b ? 'lit' : 'dark'}.\n          \"Who's there?\"\n\n        Silence.\n    ";
    assert_eq!(
        render_text(text).as_deref(),
        Ok("The lamp is lit.\n  \"Who's there?\"\n\nSilence.")
    );
}

/// Conditional text: `{if c}…{elif c}…{else}…{end}`, nested, with interpolation inside.
#[test]
fn conditional_text() {
    let cases = [
        ("You have {i} coin{if i != 1}s{end}.", "You have 7 coins."),
        ("{if i > 9}big{elif i > 5}middle{else}small{end}", "middle"),
        ("{if !b}no{elif f > 1.0}f{end}!", "!"),
        ("{if b}a{if s == 'ab'}[{s}]{else}-{end}z{end}", "a[ab]z"),
        ("{ if b }yes{ else }no{ end }", "yes"),
        ("{if b}{{braces}}{end}", "{braces}"),
        ("{if false}{1 / 0}{end}ok", "ok"),
    ];
    for (text, want) in cases {
        assert_eq!(render_text(text).as_deref(), Ok(want), "{text}");
    }
    let errors = [
        ("{if b}never closed", "`{if}` without `{end}`"),
        ("{if b}a{else}b{elif b}c{end}", "`{elif}` after `{else}`"),
        (
            "{if b}a{else}b{else}c{end}",
            "a second `{else}` in one block",
        ),
        ("text{end}", "`{end}` without an `{if}` to close"),
        ("{else}", "`{else}` outside an `{if}` block"),
        ("{elif b}x{end}", "`{elif}` outside an `{if}` block"),
        (
            "{if i}x{end}",
            "the condition of a block must be Bool, this is Int",
        ),
        ("{if}x{end}", "`{if}` needs a condition"),
        ("{if nope}x{end}", "undeclared variable `nope`"),
    ];
    for (text, want) in errors {
        let err = render_text(text).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }
}

/// Variations are checked at load: branches are text, with interpolation and nested
/// blocks; each misuse is an error where it is written.
#[test]
fn variations_parse_and_misuses_are_errors() {
    assert_eq!(
        render_text("{cycle: {i} | b}! {sequence:{if b}yes{end}|no} {once: a {'|'} b}").as_deref(),
        Ok("7! yes a | b")
    );
    for (text, want) in [
        ("{cycle: a | b", "a variation without its closing `}`"),
        ("{cycle: | }", "an empty variation"),
        ("{cycle: a {end} | b}", "`{end}` inside a variation"),
        ("{if b}{cycle: a | b{end}}", "`{end}` inside a variation"),
        ("{cycle: a | {if b}x}", "`{if}` without `{end}`"),
    ] {
        let err = render_text(text).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }
    // Variations nest; `}}` closes two of them.
    assert_eq!(
        render_text("{cycle: x | {once: a | b}}").as_deref(),
        Ok("x")
    );
    assert!(
        render_text("{cycle: a}} | b}")
            .unwrap_err()
            .contains("lone `}`")
    );
    // A `|` inside a block inside a variation is refused, not read as text.
    assert!(
        render_text("{cycle: {if b}yes | no{end}}")
            .unwrap_err()
            .contains("`|` inside an `{if}` block in a variation")
    );
    // Branches lose white space on both sides, line breaks too.
    assert_eq!(
        render_text("{cycle:\n    one |\n    two\n}").as_deref(),
        Ok("one")
    );
    // A variable named like a kind, without the colon, is a variable.
    assert!(
        render_text("{cycle}")
            .unwrap_err()
            .contains("undeclared variable `cycle`")
    );
}

/// Conditions comparing integers (evaluated without building values) agree with the
/// same comparisons evaluated as values, for every operator and each side's kind of
/// operand; an error inside one is still an error.
#[test]
fn integer_conditions_agree_with_value_comparisons() {
    let ops = ["==", "!=", "<", "<=", ">", ">="];
    let sides = ["i", "7", "6", "8", "visits('a')", "i - 1", "turns()"];
    for op in ops {
        for a in sides {
            for b in sides {
                let condition = format!("{a} {op} {b}");
                let as_block = render_text(&format!("{{if {condition}}}yes{{else}}no{{end}}"));
                let as_value = render(&format!("({condition}) ? 'yes' : 'no'"));
                let as_bool = render(&condition).map(|v| {
                    if v == "true" {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                });
                assert_eq!(as_block, as_value, "{condition}");
                assert_eq!(as_block, as_bool, "{condition}");
            }
        }
    }
    assert!(
        render_text("{if 1 / (i - 7) > 0}x{end}")
            .unwrap_err()
            .contains("division by zero")
    );
}
