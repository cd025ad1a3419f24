//! Localization: line ids in the string table, `qnce strings extract` and the merge of
//! translations after the story changed.

use qnce::po::Catalogue;
use qnce::strings::{extract, merge};

use crate::support::{load, qnce, stdout, story_dir};

const STORY: &str = r##"Story(title: "Inn", start: "door", variables: { "coins": Int(3) },
    nodes: {
        "door": (text: "A door. You have {coins} coins.", tags: ["act1"], choices: [
            (text: "Knock", to: "hall"),
            (id: "leave", text: "Leave", to: "door", line: "door.go-away"),
        ]),
        "hall": (text: r#"
            A warm hall.
            "Welcome!"
        "#),
        "cellar": (text: "A cold cellar.", next: "hall"),
    })"##;

fn translated(catalogue: &Catalogue, line: &str, text: &str) -> Catalogue {
    let mut c = catalogue.clone();
    for e in &mut c.entries {
        if e.line == line {
            e.translation = text.to_owned();
        }
    }
    c
}

/// The base catalogue has one entry per text, keyed by line id, with where it is
/// written, the node's tags and the variables it uses.
#[test]
fn extract_lists_every_text_with_its_line_id_place_tags_and_variables() {
    let dir = story_dir("extract", STORY);
    let story = load(dir.path());
    let base = extract(&story);
    let lines: Vec<&str> = base.entries.iter().map(|e| e.line.as_str()).collect();
    assert_eq!(
        lines,
        ["door", "door.hall", "door.go-away", "hall", "cellar"]
    );
    let door = base.entry("door").unwrap();
    assert_eq!(door.source, "A door. You have {coins} coins.");
    assert_eq!(door.notes, ["tags: act1", "variables: coins"]);
    assert_eq!(door.references, ["story.ron:3"]);
    assert_eq!(
        base.entry("hall").unwrap().source,
        "A warm hall.\n\"Welcome!\""
    );
    // Written and read back whole.
    let read = Catalogue::parse(&base.to_po()).unwrap();
    assert_eq!(read.entries.len(), base.entries.len());
    assert_eq!(
        read.entry("hall").unwrap().source,
        "A warm hall.\n\"Welcome!\""
    );
}

/// After the story changed, a translation keeps what still holds: an unchanged text
/// keeps its translation, a changed one is fuzzy with the source it was made from, a new
/// one is untranslated, and a removed one is obsolete; the binary does it for every
/// `.po` beside the template.
#[test]
fn re_extracting_merges_translations_stale_new_and_obsolete() {
    let text = STORY;
    let dir = story_dir("merge", text);
    let base = extract(&load(dir.path()));
    let de = translated(&base, "door", "Eine Tür. Du hast {coins} Münzen.");
    let de = translated(&de, "door.hall", "Klopfen");
    let de = translated(&de, "cellar", "Ein kalter Keller.");
    dir.write("locales/de.po", de.to_po());

    let edited = text
        .replace(
            "(text: \"Knock\", to: \"hall\"),",
            "(text: \"Knock twice\", to: \"hall\"),",
        )
        .replace(
            "\"cellar\": (text: \"A cold cellar.\", next: \"hall\"),",
            "\"attic\": (text: \"A dusty attic.\", next: \"hall\"),",
        );
    dir.write("story.ron", &edited);
    let out = qnce(&["strings", "extract", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("de.po: 1 kept, 1 stale (fuzzy), 3 new, 1 obsolete"),
        "{}",
        stdout(&out)
    );
    let de = Catalogue::parse(&std::fs::read_to_string(dir.path().join("locales/de.po")).unwrap())
        .unwrap();
    let door = de.entry("door").unwrap();
    assert_eq!(
        (door.translation.as_str(), door.fuzzy),
        ("Eine Tür. Du hast {coins} Münzen.", false)
    );
    let knock = de.entry("door.hall").unwrap();
    assert!(knock.fuzzy);
    assert_eq!(knock.previous.as_deref(), Some("Knock"));
    assert_eq!(knock.source, "Knock twice");
    assert_eq!(de.entry("attic").unwrap().translation, "");
    let cellar = de.entries.iter().find(|e| e.line == "cellar").unwrap();
    assert!(cellar.obsolete);
    assert_eq!(cellar.translation, "Ein kalter Keller.");
    assert!(
        std::fs::read_to_string(dir.path().join("locales/template.pot"))
            .unwrap()
            .contains("msgctxt \"attic\"")
    );

    // Merging again changes nothing more; the obsolete entry stays obsolete.
    let again = extract(&load(dir.path()));
    let (merged, counts) = merge(&again, &de);
    assert_eq!(
        (counts.kept, counts.stale, counts.new, counts.obsolete),
        (1, 1, 3, 1)
    );
    assert_eq!(merged.entries.iter().filter(|e| e.obsolete).count(), 1);
}

/// A PO translation of the inn story, line by line (its line numbers are the
/// diagnostics' lines).
const DE: &str = r#"msgid ""
msgstr ""
"Language: de\n"

msgctxt "door"
msgid "A door. You have {coins} coins."
msgstr "Eine Tür. Du hast {coins} Münzen."

msgctxt "door.hall"
msgid "Knock"
msgstr "Klopfen"
"#;

fn with_de(tag: &str, po: &str) -> crate::support::TempDir {
    let dir = story_dir(tag, STORY);
    dir.write("locales/de.po", po);
    dir
}

/// A session plays in its locale: translated texts in the language, the rest as
/// written; `de-AT` falls back to `de`; the binary plays with `--locale`.
#[test]
fn a_session_plays_in_its_locale_with_fallbacks() {
    let dir = with_de("locale-play", DE);
    let story = load(dir.path());
    for locale in ["de", "de-AT"] {
        let config = qnce::SessionConfig {
            locale: Some(locale.into()),
            ..qnce::SessionConfig::with_seed(1)
        };
        let mut s = qnce::Session::new(&story, config).unwrap();
        assert_eq!(s.text(), "Eine Tür. Du hast 3 Münzen.", "{locale}");
        let choices: Vec<&str> = s.choices().map(|(_, t)| t).collect();
        assert_eq!(choices, ["Klopfen", "Leave"], "{locale}");
        s.choose(&story, 0).unwrap();
        assert_eq!(s.text(), "A warm hall.\n\"Welcome!\"");
    }
    let out = qnce(&[
        "play",
        dir.path().to_str().unwrap(),
        "--plain",
        "--seed",
        "1",
        "--locale",
        "de",
        "--choices",
        "1",
    ]);
    assert!(
        stdout(&out).contains("Eine Tür. Du hast 3 Münzen."),
        "{}",
        stdout(&out)
    );
    let out = qnce(&["check", dir.path().to_str().unwrap(), "--locale", "de"]);
    assert!(
        stdout(&out).contains("de: 2 of 5 texts translated (40%)"),
        "{}",
        stdout(&out)
    );
}

/// A translation is checked like code, each mistake where it is in the `.po` file: a
/// syntax error, an undeclared variable, an interpolation dropped or added, a stale
/// entry, an unknown line id, and a file that is not PO.
#[test]
fn translation_mistakes_are_located_in_the_po_file() {
    let cases = [
        (
            DE.replace("Du hast {coins} Münzen.", "Du hast {coins Münzen."),
            7,
            "expected",
        ),
        (
            DE.replace("{coins} Münzen", "{coins} Münzen {gold}"),
            7,
            "undeclared variable `gold`",
        ),
        (
            DE.replace("Du hast {coins} Münzen.", "Du hast Münzen."),
            7,
            "drops `{coins}`",
        ),
        (
            DE.replace("msgstr \"Klopfen\"", "msgstr \"Klopfen {coins}\""),
            11,
            "adds `{coins}`",
        ),
    ];
    for (po, line, part) in &cases {
        let dir = with_de("locale-errors", po);
        let message = qnce::load(dir.path(), &qnce::Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(&format!("de.po:{line}:")),
            "{part}: {message}"
        );
        assert!(message.contains(part), "{part}: {message}");
    }
    // Warnings: a stale entry (fuzzy, or its source changed) and an unknown line id; the
    // source text shows for them.
    let stale = DE.replace("msgid \"Knock\"", "msgid \"Knock once\"")
        + "\nmsgctxt \"nowhere\"\nmsgid \"X\"\nmsgstr \"Y\"\n";
    let dir = with_de("locale-stale", &stale);
    let loaded = qnce::load(dir.path(), &qnce::Limits::default()).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("de.po:11:") && w.contains("stale translation of `door.hall`")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("de.po:15:") && w.contains("no text has line id `nowhere`")),
        "{warnings:?}"
    );
    // A mistake in a translation written over several lines, after escapes and non-ASCII
    // text, is placed at its own line and character.
    let multiline = DE.replace(
        "msgstr \"Eine Tür. Du hast {coins} Münzen.\"",
        "msgstr \"\"\n\"Eine \\\"Tür\\\". \"\n\"Du hast {coins} Münzen {gold}.\"",
    );
    let dir = with_de("locale-multiline", &multiline);
    let message = qnce::load(dir.path(), &qnce::Limits::default())
        .unwrap_err()
        .to_string();
    let line = multiline
        .lines()
        .position(|l| l.contains("{gold}"))
        .unwrap()
        + 1;
    // `"Du hast {coins} Münzen {gold}."`: `gold` is the 26th character.
    assert!(
        message.contains(&format!(
            "de.po:{line}:26: error: undeclared variable `gold`"
        )),
        "{message}"
    );
    let broken = with_de(
        "locale-broken",
        "msgctxt \"door\"\nmsgid \"A\"\nmsgstr \"unclosed\n",
    );
    let message = qnce::load(broken.path(), &qnce::Limits::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("de.po:3:"), "{message}");
}

const COINS: &str = r#"Story(title: "Purse", start: "purse", variables: { "coins": Int(0) },
    nodes: {
        "purse": (text: "You have {coins} {plural coins: one: coin | other: coins}.",
                  choices: [(text: "Find one", to: "purse", set: ["coins += 1"])]),
    })"#;

/// Plural blocks take the category of their count in the session's language: English
/// `one`/`other`, Polish `one`/`few`/`many`; a Polish translation that lacks `many` is
/// warned of, and shows `other` for those counts.
#[test]
fn plural_blocks_follow_each_locales_categories() {
    use qnce::expr::PluralCategory::{Few, Many, One, Other};
    assert_eq!(
        qnce::runtime::plural_categories("en"),
        Some(vec![One, Other])
    );
    // Polish whole numbers are `one` (1), `few` (2-4, 22-24…) or `many` (0, 5-21…);
    // `other` is for fractions.
    assert_eq!(
        qnce::runtime::plural_categories("pl"),
        Some(vec![One, Few, Many])
    );
    let pl = "msgctxt \"purse\"\nmsgid \"You have {coins} {plural coins: one: coin | other: coins}.\"\nmsgstr \"Masz {coins} {plural coins: one: monetę | few: monety | many: monet | other: monety}.\"\n";
    let dir = story_dir("plurals", COINS);
    dir.write("locales/pl.po", pl);
    let story = load(dir.path());
    let play = |locale: Option<&str>| -> Vec<String> {
        let config = qnce::SessionConfig {
            locale: locale.map(str::to_owned),
            ..qnce::SessionConfig::with_seed(1)
        };
        let mut s = qnce::Session::new(&story, config).unwrap();
        let mut texts = vec![s.text().to_owned()];
        for _ in 0..5 {
            s.choose(&story, 0).unwrap();
            texts.push(s.text().to_owned());
        }
        texts
    };
    assert_eq!(
        play(None),
        [
            "You have 0 coins.",
            "You have 1 coin.",
            "You have 2 coins.",
            "You have 3 coins.",
            "You have 4 coins.",
            "You have 5 coins."
        ]
    );
    assert_eq!(
        play(Some("pl")),
        [
            "Masz 0 monet.",
            "Masz 1 monetę.",
            "Masz 2 monety.",
            "Masz 3 monety.",
            "Masz 4 monety.",
            "Masz 5 monet."
        ]
    );

    dir.write("locales/pl.po", pl.replace(" | many: monet", ""));
    let loaded = qnce::load(dir.path(), &qnce::Limits::default()).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("pl.po:3:") && w.contains("no `many:` branch")),
        "{warnings:?}"
    );
}

/// A plural block's mistakes are located errors: no `other`, an unknown category, a
/// count that is not an Int.
#[test]
fn plural_block_mistakes_are_located() {
    for (text, part) in [
        ("{plural coins: one: coin}", "needs an `other:` branch"),
        (
            "{plural coins: one: coin | lots: coins}",
            "a plural branch starts with its category",
        ),
        ("{plural 'x': one: a | other: b}", "must be Int"),
        (
            "{plural coins: one: a | one: b | other: c}",
            "a second `one:` branch",
        ),
        (
            "{plural coins: one: a | other: b",
            "a plural block without its closing `}`",
        ),
        (
            "{plural coins: one: {if coins > 0}a | other: b}",
            "`|` inside an `{if}` block in a plural block",
        ),
        ("{plural coins: one: | other: }", "an empty plural block"),
    ] {
        let story = COINS.replace("{plural coins: one: coin | other: coins}", text);
        let dir = story_dir("plural-errors", &story);
        let message = qnce::load(dir.path(), &qnce::Limits::default())
            .unwrap_err()
            .to_string();
        assert!(message.contains("story.ron:3:"), "{text}: {message}");
        assert!(message.contains(part), "{text}: {message}");
    }
}

/// The market example ships a complete Polish translation and a partial German one:
/// Polish plays in Polish with its plural forms (`monet` for 6, `monety` for 2), German
/// falls back to English where it has no translation, and `check` reports coverage.
#[test]
fn the_market_example_plays_in_polish_and_partly_in_german() {
    let market = crate::support::example("market");
    let path = market.to_str().unwrap();
    for (locale, coverage) in [
        ("pl", "20 of 20 texts translated (100%)"),
        ("de", "8 of 20 texts translated (40%)"),
    ] {
        let out = qnce(&["check", path, "--locale", locale]);
        assert!(
            stdout(&out).contains(&format!("{locale}: {coverage}")),
            "{out:?}"
        );
    }
    let play = |locale: &str, choices: &str| {
        stdout(&qnce(&[
            "play",
            path,
            "--plain",
            "--seed",
            "4",
            "--locale",
            locale,
            "--choices",
            choices,
        ]))
    };
    let text = play("pl", "1,1,2");
    for shown in [
        "Masz 6 monet, a z pudła patrzy na ciebie kot.",
        "Masz 2 monety.",
    ] {
        assert!(text.contains(shown), "{text}");
    }
    let text = play("de", "1");
    for shown in [
        "Lanterns sway over the market gate.",
        "1. Die Stände ansehen",
        "Stände drängen sich auf dem Platz.",
    ] {
        assert!(text.contains(shown), "{text}");
    }
}

/// Review cases: a source changed twice keeps the source the translation was made from,
/// and a translator's comments survive; a variable named `plural` is still a variable;
/// `pt_BR.po` is the locale `pt-BR`, in any case; a translation that is not UTF-8 is an
/// error where it is.
#[test]
fn merges_locales_and_names_hold_up_to_real_files() {
    let dir = story_dir("merge-twice", STORY);
    let base = extract(&load(dir.path()));
    let mut de = translated(&base, "door.hall", "Klopfen");
    for e in &mut de.entries {
        if e.line == "door.hall" {
            e.comments.push("checked by Ada".to_owned());
        }
    }
    let once = |from: &str, to: &str, de: &Catalogue| {
        let story = STORY.replace(from, to);
        let dir = story_dir("merge-twice-edit", &story);
        merge(&extract(&load(dir.path())), de).0
    };
    let de = once("(text: \"Knock\"", "(text: \"Knock twice\"", &de);
    let de = once("(text: \"Knock\"", "(text: \"Knock thrice\"", &de);
    let knock = de.entry("door.hall").unwrap();
    assert_eq!(knock.previous.as_deref(), Some("Knock"));
    assert_eq!(knock.comments, ["checked by Ada"]);
    assert!(
        Catalogue::parse(&de.to_po())
            .unwrap()
            .entry("door.hall")
            .unwrap()
            .comments
            == ["checked by Ada"]
    );

    let named = STORY
        .replace(
            r#"variables: { "coins": Int(3) }"#,
            r#"variables: { "coins": Int(3), "plural": Int(2) }"#,
        )
        .replace(
            "A door. You have {coins} coins.",
            "A door. You have {coins} coins and {plural + 1}: ok.",
        );
    let dir = story_dir("plural-variable", &named);
    let story = load(dir.path());
    let s = qnce::Session::new(&story, qnce::SessionConfig::with_seed(1)).unwrap();
    assert_eq!(s.text(), "A door. You have 3 coins and 3: ok.");

    let dir = story_dir("pt-br", STORY);
    dir.write(
        "locales/pt_BR.po",
        DE.replace(
            "Eine Tür. Du hast {coins} Münzen.",
            "Uma porta. Você tem {coins} moedas.",
        ),
    );
    let story = load(dir.path());
    for locale in ["pt-BR", "pt-br", "pt_BR"] {
        let config = qnce::SessionConfig {
            locale: Some(locale.into()),
            ..qnce::SessionConfig::with_seed(1)
        };
        let s = qnce::Session::new(&story, config).unwrap();
        assert_eq!(s.text(), "Uma porta. Você tem 3 moedas.", "{locale}");
    }
    dir.write(
        "locales/pt_BR.po",
        b"msgctxt \"door\"\nmsgid \"A\"\nmsgstr \"\xff\"\n",
    );
    let message = qnce::load(dir.path(), &qnce::Limits::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("pt_BR.po:3:") && message.contains("UTF-8"),
        "{message}"
    );
}

/// A live edit that removes a variable a translation reads does not break a session
/// playing in that language: the text shows as written until translations load again.
#[test]
fn a_live_edit_removing_a_translated_variable_keeps_play_going() {
    let dir = story_dir("live-translated", STORY);
    dir.write("locales/de.po", DE);
    let mut host = qnce::reload::Host::open(dir.path(), &qnce::Limits::default())
        .unwrap()
        .value;
    let key = host
        .add_session(qnce::SessionConfig {
            locale: Some("de".into()),
            ..qnce::SessionConfig::with_seed(1)
        })
        .unwrap();
    assert_eq!(
        host.session(key).unwrap().text(),
        "Eine Tür. Du hast 3 Münzen."
    );
    dir.write(
        "story.ron",
        STORY
            .replace(r#"variables: { "coins": Int(3) },"#, "")
            .replace("A door. You have {coins} coins.", "A door."),
    );
    let reloaded = host.reload(None);
    assert!(reloaded.result.is_ok(), "{:?}", reloaded.result);
    assert!(
        reloaded.sessions.iter().all(|(_, r)| r.is_ok()),
        "{:?}",
        reloaded.sessions
    );
    assert_eq!(host.session(key).unwrap().text(), "A door.");
}

fn host_in(
    dir: &crate::support::TempDir,
    locale: &str,
) -> (qnce::reload::Host, qnce::reload::SessionKey) {
    let mut host = qnce::reload::Host::open(dir.path(), &qnce::Limits::default())
        .unwrap()
        .value;
    let key = host
        .add_session(qnce::SessionConfig {
            locale: Some(locale.into()),
            ..qnce::SessionConfig::with_seed(1)
        })
        .unwrap();
    (host, key)
}

/// The translation errors a reload reported (it must have gone through).
fn translation_errors(reloaded: &qnce::reload::Reloaded) -> &qnce::Diagnostics {
    &reloaded.result.as_ref().unwrap().translation_errors
}

fn shown(host: &qnce::reload::Host, key: qnce::reload::SessionKey) -> (String, Vec<String>) {
    let s = host.session(key).unwrap();
    (
        s.text().to_owned(),
        s.choices().map(|(_, t)| t.to_owned()).collect(),
    )
}

/// Editing a translation file while playing: the file is checked and taken through the
/// reload path, only the changed texts count as changed, and the session shows the new
/// text in place; a session in another language is left alone.
#[test]
fn a_translation_file_edited_while_playing_shows_in_place() {
    let dir = with_de("live-po", DE);
    let (mut host, de) = host_in(&dir, "de");
    let en = host.add_session(qnce::SessionConfig::with_seed(1)).unwrap();
    assert_eq!(shown(&host, de).1, ["Klopfen", "Leave"]);

    let po = dir.write(
        "locales/de.po",
        DE.replace("msgstr \"Klopfen\"", "msgstr \"Anklopfen\""),
    );
    let reloaded = host.reload(Some(std::slice::from_ref(&po)));
    let report = reloaded.result.as_ref().unwrap();
    assert!(
        report.translation_errors.is_empty(),
        "{}",
        report.translation_errors
    );
    assert_eq!(
        report.delta.lines_retranslated,
        [("de".into(), "door.hall".into())],
        "only the changed text"
    );
    assert!(report.delta.nodes_changed.is_empty());
    assert!(
        report.files.len() == 1 && report.files[0].ends_with("locales/de.po"),
        "{:?}",
        report.files
    );
    assert_eq!(
        shown(&host, de),
        (
            "Eine Tür. Du hast 3 Münzen.".to_owned(),
            vec!["Anklopfen".to_owned(), "Leave".to_owned()]
        )
    );
    let events = host.session(de).unwrap().events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, qnce::Event::NodeShown { .. })),
        "{events:?}"
    );
    assert!(
        host.session(en).unwrap().events().is_empty(),
        "the English session is left alone"
    );

    // A translation added for a text that had none, and one taken away.
    let po = dir.write(
        "locales/de.po",
        DE.replace("msgstr \"Klopfen\"", "msgstr \"\"").replace(
            "msgctxt \"door\"",
            "msgctxt \"door.go-away\"\nmsgid \"Leave\"\nmsgstr \"Gehen\"\n\nmsgctxt \"door\"",
        ),
    );
    let reloaded = host.reload(Some(&[po]));
    let mut lines = reloaded.result.unwrap().delta.lines_retranslated;
    lines.sort();
    assert_eq!(
        lines,
        [
            ("de".into(), "door.go-away".into()),
            ("de".into(), "door.hall".into())
        ]
    );
    assert_eq!(shown(&host, de).1, ["Knock", "Gehen"]);
}

/// A broken translation file is rejected with located errors while play goes on in its
/// last good version; it is read again at each reload, and taken once fixed. A story
/// edit saved with it is applied all the same.
#[test]
fn a_broken_translation_file_is_rejected_while_play_goes_on() {
    let dir = with_de("live-po-broken", DE);
    let (mut host, de) = host_in(&dir, "de");
    let before = shown(&host, de);

    let broken = DE.replace("msgstr \"Klopfen\"", "msgstr \"Klopfen {gold}\"");
    let po = dir.write("locales/de.po", &broken);
    let story = dir.write(
        "story.ron",
        STORY.replace("A cold cellar.", "A damp cellar."),
    );
    let reloaded = host.reload(Some(&[po.clone(), story]));
    let report = reloaded.result.as_ref().unwrap();
    let errors: Vec<String> = report
        .translation_errors
        .iter()
        .map(ToString::to_string)
        .collect();
    let line = broken.lines().position(|l| l.contains("{gold}")).unwrap() + 1;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(&format!("de.po:{line}:")) && errors[0].contains("gold"),
        "{errors:?}"
    );
    assert_eq!(
        report.delta.nodes_changed.len(),
        1,
        "the story's edit is applied beside the rejected translation"
    );
    assert_eq!(
        shown(&host, de),
        before,
        "the last good translation plays on"
    );

    // Read again at the next reload, whatever changed: still broken, still reported.
    let story = dir.write(
        "story.ron",
        STORY.replace("A cold cellar.", "A dark cellar."),
    );
    let reloaded = host.reload(Some(&[story]));
    assert_eq!(translation_errors(&reloaded).n_errors(), 1);

    // Fixed: taken.
    let po = dir.write(
        "locales/de.po",
        DE.replace("msgstr \"Klopfen\"", "msgstr \"Klopf an\""),
    );
    let reloaded = host.reload(Some(&[po]));
    assert!(translation_errors(&reloaded).is_empty());
    assert_eq!(shown(&host, de).1, ["Klopf an", "Leave"]);

    // A file that is not PO at all is rejected the same way.
    let po = dir.write(
        "locales/de.po",
        "msgctxt \"door\"\nmsgid \"x\nmsgstr \"y\"\n",
    );
    let reloaded = host.reload(Some(&[po]));
    let report = reloaded.result.as_ref().unwrap();
    assert_eq!(
        report.translation_errors.n_errors(),
        1,
        "{}",
        report.translation_errors
    );
    assert!(
        report.translation_errors.to_string().contains("de.po:2:"),
        "{}",
        report.translation_errors
    );
    assert_eq!(shown(&host, de).1, ["Klopf an", "Leave"]);
}

/// A story edit reaches the translations of what it changes: a changed source text makes
/// its translation stale (the source shows, with a warning), a removed variable that a
/// translation reads is an error of that file (the text shows as written), and putting
/// the source back brings the translation back.
#[test]
fn a_story_edit_reaches_the_translations_of_what_it_changes() {
    let dir = with_de("live-po-story", DE);
    let (mut host, de) = host_in(&dir, "de");

    let story = dir.write(
        "story.ron",
        STORY.replace("(text: \"Knock\"", "(text: \"Knock twice\""),
    );
    let reloaded = host.reload(Some(std::slice::from_ref(&story)));
    let report = reloaded.result.as_ref().unwrap();
    assert!(
        report
            .warnings
            .to_string()
            .contains("stale translation of `door.hall`"),
        "{}",
        report.warnings
    );
    assert!(report.translation_errors.is_empty());
    assert_eq!(shown(&host, de).1, ["Knock twice", "Leave"]);
    assert!(
        report
            .delta
            .lines_retranslated
            .contains(&("de".into(), "door.hall".into()))
    );

    let story = dir.write("story.ron", STORY);
    host.reload(Some(&[story])).result.unwrap();
    assert_eq!(
        shown(&host, de).1,
        ["Klopfen", "Leave"],
        "the source is back, so is its translation"
    );

    // `coins` retyped to a string: the translation still checks, and shows the new value.
    let story = dir.write("story.ron", STORY.replace("Int(3)", "Str(\"three\")"));
    let reloaded = host.reload(Some(&[story]));
    assert!(translation_errors(&reloaded).is_empty());
    assert_eq!(shown(&host, de).0, "Eine Tür. Du hast three Münzen.");

    // Removed while a translation still reads it: an error of the translation file.
    let story = dir.write(
        "story.ron",
        STORY
            .replace(
                r#"variables: { "coins": Int(3) },"#,
                r#"variables: { "gold": Int(3) },"#,
            )
            .replace("You have {coins} coins.", "You have {gold} coins."),
    );
    let reloaded = host.reload(Some(&[story]));
    let report = reloaded.result.as_ref().unwrap();
    assert!(
        report
            .warnings
            .to_string()
            .contains("stale translation of `door`"),
        "{}",
        report.warnings
    );
    assert_eq!(shown(&host, de).0, "A door. You have 3 coins.");
}

/// A translation file added while playing brings its language; one removed takes it
/// away (its sessions show the source).
#[test]
fn translation_files_added_and_removed_while_playing() {
    let dir = with_de("live-po-files", DE);
    let (mut host, fr) = host_in(&dir, "fr");
    assert_eq!(shown(&host, fr).1, ["Knock", "Leave"]);
    // A fresh catalogue, nothing translated yet: the language is there, with no text.
    let po = dir.write(
        "locales/fr.po",
        "msgctxt \"door.hall\"\nmsgid \"Knock\"\nmsgstr \"\"\n",
    );
    host.reload(Some(std::slice::from_ref(&po))).result.unwrap();
    assert!(
        host.story()
            .translations()
            .iter()
            .any(|t| &*t.locale == "fr")
    );
    let po = dir.write(
        "locales/fr.po",
        "msgctxt \"door.hall\"\nmsgid \"Knock\"\nmsgstr \"Frapper\"\n",
    );
    let reloaded = host.reload(Some(std::slice::from_ref(&po)));
    assert!(translation_errors(&reloaded).is_empty());
    assert_eq!(shown(&host, fr).1, ["Frapper", "Leave"]);

    std::fs::remove_file(&po).unwrap();
    let reloaded = host.reload(Some(&[po]));
    assert_eq!(
        reloaded.result.unwrap().delta.lines_retranslated,
        [("fr".into(), "door.hall".into())]
    );
    assert_eq!(shown(&host, fr).1, ["Knock", "Leave"]);
    assert!(
        host.story()
            .translations()
            .iter()
            .all(|t| &*t.locale != "fr")
    );
}

/// Through the real file watcher: saving a translation file while a host watches the
/// story updates the shown text, and so does a new one.
#[test]
fn a_watched_translation_file_reloads_on_save() {
    let dir = with_de("live-po-watch", DE);
    let (mut host, de) = host_in(&dir, "de");
    let fr = host
        .add_session(qnce::SessionConfig {
            locale: Some("fr".into()),
            ..qnce::SessionConfig::with_seed(1)
        })
        .unwrap();
    host.watch(&qnce::watch::WatchConfig::default()).unwrap();
    dir.write(
        "locales/de.po",
        DE.replace("msgstr \"Klopfen\"", "msgstr \"Pochen\""),
    );
    dir.write(
        "locales/fr.po",
        "msgctxt \"door.hall\"\nmsgid \"Knock\"\nmsgstr \"Frapper\"\n",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while shown(&host, de).1[0] != "Pochen" || shown(&host, fr).1[0] != "Frapper" {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(!left.is_zero(), "the edit never arrived");
        if let Some(reloaded) = host.wait(left) {
            assert!(reloaded.result.is_ok(), "{:?}", reloaded.result);
        }
    }
}

/// Voice-over: `voice/LINE_ID.ogg` for the source language and
/// `locales/TAG/voice/LINE_ID.ogg` per locale are found by line id and resolved along the
/// locale's fallbacks; a file named for no line, and a second file for one line, are
/// warnings; `qnce check --locale` counts them and `qnce play --json` names them.
#[test]
fn voice_files_are_found_by_line_id_and_locale() {
    let dir = with_de("voice", DE);
    dir.write("voice/door.ogg", b"source door");
    dir.write("locales/de/voice/door.ogg", b"german door");
    dir.write("locales/de/voice/door.wav", b"german door, again");
    dir.write("locales/de/voice/door.hall.opus", b"german knock");
    dir.write("locales/de/voice/dorr.ogg", b"a typo");
    dir.write("locales/de/voice/notes.txt", b"not a voice file");
    let loaded = qnce::load(dir.path(), &qnce::Limits::default()).unwrap();
    let warnings = loaded.warnings.to_string();
    assert!(
        warnings.contains("dorr.ogg:1:1: warning: no text has line id `dorr`"),
        "{warnings}"
    );
    assert!(
        warnings.contains("door.wav:1:1: warning: line `door` has another voice file"),
        "{warnings}"
    );
    assert_eq!(
        loaded
            .warnings
            .iter()
            .filter(|d| d.path.components().any(|c| c.as_os_str() == "voice"))
            .count(),
        2,
        "{warnings}"
    );
    let story = loaded.value;
    let voice = |locale: Option<&str>, line: &str| {
        story
            .voice(locale, line)
            .map(|p| p.to_string_lossy().into_owned())
    };
    assert_eq!(voice(None, "door").as_deref(), Some("voice/door.ogg"));
    assert_eq!(
        voice(Some("de"), "door").as_deref(),
        Some("locales/de/voice/door.ogg")
    );
    assert_eq!(
        voice(Some("de-AT"), "door").as_deref(),
        Some("locales/de/voice/door.ogg")
    );
    assert_eq!(
        voice(Some("DE_at"), "door.hall").as_deref(),
        Some("locales/de/voice/door.hall.opus")
    );
    assert_eq!(
        voice(Some("fr"), "door").as_deref(),
        Some("voice/door.ogg"),
        "the source's"
    );
    assert_eq!(voice(Some("fr"), "door.hall"), None);
    assert_eq!(voice(Some("de"), "hall"), None);

    let path = dir.path().to_str().unwrap();
    let out = qnce(&["check", path, "--locale", "de"]);
    assert!(
        stdout(&out).contains("de: 2 of 5 texts translated (40%), 2 voiced"),
        "{}",
        stdout(&out)
    );
    let out = qnce(&[
        "play",
        path,
        "--json",
        "--seed",
        "1",
        "--locale",
        "de",
        "--choices",
        "1",
    ]);
    let lines = crate::support::json_lines(&out);
    let first = lines.iter().find(|l| l["type"] == "node").unwrap();
    assert_eq!(first["voice"], "locales/de/voice/door.ogg", "{first}");
    assert_eq!(
        first["choices"][0]["voice"],
        "locales/de/voice/door.hall.opus"
    );
    assert!(first["choices"][1]["voice"].is_null());
}

/// A host attached to the engine's services preloads the voice files of the lines ahead
/// in the session's language, and a voice file added while playing is found.
#[test]
fn voice_files_are_preloaded_and_found_live() {
    let dir = with_de("voice-live", DE);
    dir.write("locales/de/voice/hall.ogg", b"german hall");
    let services =
        qnce::services::Services::start(&qnce::services::ServicesConfig::default()).unwrap();
    let (mut host, de) = host_in(&dir, "de");
    host.attach(&services);
    host.remove_session(de);
    let de = host
        .add_session(qnce::SessionConfig {
            locale: Some("de".into()),
            ..qnce::SessionConfig::with_seed(1)
        })
        .unwrap();
    assert!(services.pool.wait_idle(std::time::Duration::from_secs(30)));
    // `hall` is one choice ahead of `door`: preloaded before it is shown.
    let now = std::time::Instant::now();
    assert_eq!(
        services
            .assets
            .voice(host.story(), Some("de"), "hall", now)
            .as_deref(),
        Some(&b"german hall"[..])
    );
    assert_eq!(
        services.assets.voice(host.story(), Some("de"), "door", now),
        None
    );

    // Added while playing: a reload finds it.
    let added = dir.write("locales/de/voice/door.ogg", b"german door");
    let reloaded = host.reload(Some(&[added]));
    assert!(reloaded.result.unwrap().delta.voices_changed);
    assert_eq!(
        host.story()
            .voice(host.session(de).unwrap().locale(), "door"),
        Some(std::path::Path::new("locales/de/voice/door.ogg"))
    );
    services.shutdown();
}
