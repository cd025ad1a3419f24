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
