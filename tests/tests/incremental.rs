//! A live edit is validated incrementally: only the changed files' declarations are taken
//! again, and what was found in the nodes kept comes from what the reloader kept. These
//! properties hold it to a load from scratch: after every edit of a random sequence, the
//! reload and a fresh load of the same files give the same diagnostics (errors and
//! warnings alike) and, when the edit loads, the same story.

use std::fmt::Write as _;

use proptest::prelude::*;
use qnce::reload::Reloader;
use qnce::{Limits, LoadError};

use crate::support::{TempDir, canonical};

#[derive(Clone, Debug)]
struct Choice {
    text: &'static str,
    to: String,
    when: Option<&'static str>,
    set: Vec<&'static str>,
    fallback: bool,
    once: bool,
    /// Whether the choice calls its target (and comes back) rather than going to it.
    call: bool,
}

#[derive(Clone, Debug)]
struct Node {
    name: String,
    text: &'static str,
    choices: Vec<Choice>,
    next: Option<String>,
    line: Option<String>,
}

/// A story of a main file and three includes, each with its nodes.
#[derive(Clone, Debug)]
struct Model {
    start: String,
    /// Variables the main file declares beside `n`.
    extra_vars: Vec<String>,
    /// The main file's nodes, then each include's.
    files: Vec<Vec<Node>>,
    /// Files written with a syntax error at the end, until the next edit of them.
    broken: Vec<bool>,
    /// The main file's includes: 0 every include, 1 all but the last (whose file stays on
    /// disk), 2 every include and one more of a file that does not exist, 3 every include
    /// in reverse order.
    includes: u8,
    /// Whether the main file leaves out the command `beep`, leaves out the function
    /// `spare`, and gives `mood` another fallback.
    main_decls: [bool; 3],
    /// For fresh node names.
    counter: usize,
}

const INCLUDES: usize = 3;
const TEXTS: [&str; 6] = [
    "Hello.",
    "Count {n}.",
    "Mood {mood()}.",
    "Plain text.",
    "Both {n} and {mood() + 1}.",
    "Width {w}.",
];
const CONDITIONS: [Option<&str>; 4] = [None, Some("n < 3"), Some("1 > 2"), Some("mood() > 0")];
const EFFECTS: [&[&str]; 4] = [&[], &["n += 1"], &["beep()"], &["beep()", "n += 1"]];

impl Model {
    fn new(seed: &[u16]) -> Model {
        let mut seed = seed.iter().copied().cycle();
        let mut next = move || usize::from(seed.next().unwrap_or(0));
        let mut files = Vec::new();
        let mut k = 0;
        for _ in 0..=INCLUDES {
            let mut nodes = Vec::new();
            for _ in 0..3 {
                nodes.push(Node {
                    name: format!("n{k}"),
                    text: TEXTS[next() % TEXTS.len()],
                    choices: Vec::new(),
                    next: None,
                    line: None,
                });
                k += 1;
            }
            files.push(nodes);
        }
        let names: Vec<String> = (0..k).map(|i| format!("n{i}")).collect();
        for nodes in &mut files {
            for node in nodes {
                for c in 0..1 + next() % 2 {
                    node.choices.push(Choice {
                        text: ["Go", "Run", "Wait"][c],
                        to: names[next() % names.len()].clone(),
                        when: CONDITIONS[next() % CONDITIONS.len()],
                        set: EFFECTS[next() % EFFECTS.len()].to_vec(),
                        fallback: next() % 4 == 0,
                        once: false,
                        call: next() % 5 == 0,
                    });
                }
            }
        }
        Model {
            start: "n0".into(),
            extra_vars: Vec::new(),
            files,
            broken: vec![false; INCLUDES + 1],
            includes: 0,
            main_decls: [false; 3],
            counter: k,
        }
    }

    fn names(&self) -> Vec<String> {
        self.files
            .iter()
            .flatten()
            .map(|n| n.name.clone())
            .collect()
    }

    fn file_name(i: usize) -> String {
        if i == 0 {
            "story.ron".into()
        } else {
            format!("part{i}.ron")
        }
    }

    /// The text of file `i`.
    fn render(&self, i: usize) -> String {
        let mut out = String::new();
        if i == 0 {
            out.push_str("Story(\n    title: \"Incremental\",\n");
            let _ = writeln!(out, "    start: {:?},", self.start);
            out.push_str("    variables: { \"n\": Int(0)");
            for v in &self.extra_vars {
                let _ = write!(out, ", {v:?}: Int(1)");
            }
            out.push_str(" },\n");
            let [no_beep, no_spare, other_mood] = self.main_decls;
            if !no_beep {
                out.push_str("    commands: { \"beep\": (params: []) },\n");
            }
            let mood = if other_mood { "2" } else { "1" };
            let _ = write!(
                out,
                "    functions: {{ \"mood\": (returns: Int, fallback: {mood:?})"
            );
            if !no_spare {
                out.push_str(", \"spare\": (returns: Int)");
            }
            out.push_str(" },\n");
            let n_included = if self.includes == 1 {
                INCLUDES - 1
            } else {
                INCLUDES
            };
            let mut includes: Vec<String> = (1..=n_included).map(Model::file_name).collect();
            if self.includes == 2 {
                includes.push("missing.ron".into());
            }
            if self.includes == 3 {
                includes.reverse();
            }
            let _ = writeln!(out, "    include: {includes:?},");
        } else {
            out.push_str("Include(\n");
            // An include declares a variable too: a reload reads it, though unchanged.
            if i == 2 {
                out.push_str("    variables: { \"w\": Int(2) },\n");
            }
        }
        out.push_str("    nodes: {\n");
        for node in &self.files[i] {
            let _ = write!(out, "        {:?}: (text: {:?}", node.name, node.text);
            if let Some(line) = &node.line {
                let _ = write!(out, ", line: {line:?}");
            }
            out.push_str(", choices: [");
            for c in &node.choices {
                let way = if c.call { "call" } else { "to" };
                let _ = write!(out, "(text: {:?}, {way}: {:?}", c.text, c.to);
                if let Some(when) = c.when {
                    let _ = write!(out, ", when: {when:?}");
                }
                if c.fallback {
                    out.push_str(", fallback: true");
                }
                if c.once {
                    out.push_str(", once: true");
                }
                let _ = write!(out, ", set: {:?}), ", c.set);
            }
            out.push(']');
            if let Some(next) = &node.next {
                let _ = write!(out, ", next: {next:?}");
            }
            out.push_str("),\n");
        }
        out.push_str("    },\n)\n");
        if self.broken[i] {
            out.push_str("(((\n");
        }
        out
    }

    /// Applies edit `op` (its numbers taken modulo what they index).
    fn edit(&mut self, (op, a, b, c): (u8, u16, u16, u16)) {
        let (a, b, c) = (usize::from(a), usize::from(b), usize::from(c));
        let names = self.names();
        let pick = |k: usize| names[k % names.len()].clone();
        let file = a % self.files.len();
        let include = 1 + a % INCLUDES;
        self.broken[file] = false;
        let n_nodes = self.files[file].len();
        let node = (n_nodes > 0).then(|| b % n_nodes);
        match op % 16 {
            // The text of a node.
            0 | 1 => {
                if let Some(k) = node {
                    self.files[file][k].text = TEXTS[c % TEXTS.len()];
                }
            }
            // Where a choice leads: now and then nowhere.
            2 | 3 => {
                if let Some(k) = node
                    && !self.files[file][k].choices.is_empty()
                {
                    let n = self.files[file][k].choices.len();
                    let to = if c % 7 == 0 {
                        "nowhere".into()
                    } else {
                        pick(c)
                    };
                    self.files[file][k].choices[c % n].to = to;
                }
            }
            // A new node, now and then with a name another file has.
            4 => {
                let name = if c % 5 == 0 {
                    pick(c / 5)
                } else {
                    self.counter += 1;
                    format!("m{}", self.counter)
                };
                self.files[include].push(Node {
                    name,
                    text: TEXTS[c % TEXTS.len()],
                    choices: vec![Choice {
                        text: "Onward",
                        to: pick(c + 1),
                        when: None,
                        set: Vec::new(),
                        fallback: c % 3 == 0,
                        once: false,
                        call: false,
                    }],
                    next: None,
                    line: None,
                });
            }
            // A node removed or renamed: what led to it now dangles.
            5 => {
                if let Some(k) = node {
                    self.files[file].remove(k);
                }
            }
            6 => {
                if let Some(k) = node {
                    self.counter += 1;
                    self.files[file][k].name = format!("r{}", self.counter);
                }
            }
            // A choice added or removed.
            7 => {
                if let Some(k) = node {
                    let texts = ["Go", "Run", "Wait", "Look", "Leave"];
                    let choices = &mut self.files[file][k].choices;
                    if choices.len() < texts.len() && c % 3 != 0 {
                        choices.push(Choice {
                            text: texts[choices.len()],
                            to: pick(c),
                            when: CONDITIONS[c % CONDITIONS.len()],
                            set: EFFECTS[(c / 4) % EFFECTS.len()].to_vec(),
                            fallback: c % 5 == 0,
                            once: c % 7 == 0,
                            call: c % 6 == 0,
                        });
                    } else if !choices.is_empty() {
                        let n = choices.len();
                        choices.remove(c % n);
                    }
                }
            }
            // An automatic advance: with no choices left, loops become possible.
            8 => {
                if let Some(k) = node {
                    let n = &mut self.files[file][k];
                    n.next = (c % 4 != 0).then(|| pick(c));
                    if c % 2 == 0 {
                        n.choices.clear();
                    }
                }
            }
            // A line id: now and then another text's.
            9 => {
                if let Some(k) = node {
                    self.files[file][k].line = match c % 4 {
                        0 => None,
                        1 => Some(pick(c / 4)),
                        _ => Some(format!("line{}", c % 3)),
                    };
                }
            }
            // The main file: a variable declared or not, another start.
            10 => {
                let v = format!("v{}", c % 3);
                if let Some(i) = self.extra_vars.iter().position(|x| *x == v) {
                    self.extra_vars.remove(i);
                } else if c % 2 == 0 {
                    self.extra_vars.push(v);
                } else {
                    self.start = pick(c);
                }
            }
            // A node moved to another file, or named so that its line id is a choice's.
            11 => {
                if let Some(k) = node {
                    if c % 2 == 0 {
                        let moved = self.files[file].remove(k);
                        self.files[include].push(moved);
                    } else {
                        let other = pick(c / 2);
                        let to = self
                            .files
                            .iter()
                            .flatten()
                            .find(|n| n.name == other)
                            .and_then(|n| n.choices.first())
                            .map_or_else(|| "x".to_owned(), |ch| ch.to.clone());
                        self.files[file][k].name = format!("{other}.{to}");
                    }
                }
            }
            // The last include left out of the story, one that does not exist added, or
            // the includes in another order.
            13 => {
                self.broken[0] = false;
                self.includes = (self.includes + 1 + (c % 2) as u8) % 4;
            }
            // The main file's commands and functions: one left out (what calls it no longer
            // compiles), or another fallback.
            15 => {
                self.broken[0] = false;
                self.main_decls[c % 3] = !self.main_decls[c % 3];
            }
            // Whether a choice is a fallback, or once only (what makes advances certain), or
            // calls its target rather than going to it.
            14 => {
                if let Some(k) = node
                    && !self.files[file][k].choices.is_empty()
                {
                    let n = self.files[file][k].choices.len();
                    let choice = &mut self.files[file][k].choices[c % n];
                    match c % 3 {
                        0 => choice.fallback = !choice.fallback,
                        1 => choice.once = !choice.once,
                        _ => choice.call = !choice.call,
                    }
                }
            }
            // A save that does not parse.
            _ => self.broken[file] = true,
        }
    }
}

/// Writes every file whose text differs from `written` (the texts on disk); returns their
/// paths.
fn write_changes(dir: &TempDir, model: &Model, written: &mut [String]) -> Vec<std::path::PathBuf> {
    let mut changed = Vec::new();
    for (i, old) in written.iter_mut().enumerate() {
        let text = model.render(i);
        if *old != text {
            changed.push(dir.write(&Model::file_name(i), &text));
            *old = text;
        }
    }
    changed
}

fn edits() -> impl Strategy<Value = Vec<(u8, u16, u16, u16)>> {
    proptest::collection::vec(
        (any::<u8>(), any::<u16>(), any::<u16>(), any::<u16>()),
        1..14,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_reload_reports_and_builds_what_a_full_load_does(
        seed in proptest::collection::vec(any::<u16>(), 8..40),
        edits in edits(),
    ) {
        let mut model = Model::new(&seed);
        let dir = TempDir::new("incremental");
        let mut written = vec![String::new(); INCLUDES + 1];
        write_changes(&dir, &model, &mut written);
        let limits = Limits::default();
        let (mut story, mut reloader) = match Reloader::load(dir.path(), &limits) {
            Ok(loaded) => loaded.value,
            // A random start may not load; the edits are what is tested.
            Err(e) => return Err(TestCaseError::reject(e.to_string())),
        };
        for (step, edit) in edits.into_iter().enumerate() {
            model.edit(edit);
            let changed = write_changes(&dir, &model, &mut written);
            if changed.is_empty() {
                continue;
            }
            // Now and then a reload is planned and dropped first: the next one reads the
            // same files again.
            let reloaded = if edit.1 % 6 == 0 {
                drop(reloader.plan(&mut story, Some(&changed)));
                reloader.reload(&mut story, Some(&[]))
            } else {
                reloader.reload(&mut story, Some(&changed))
            };
            let full = qnce::load(dir.path(), &limits);
            let files = || written.join("\n");
            match (reloaded, full) {
                (Ok(report), Ok(full)) => {
                    prop_assert_eq!(
                        &report.warnings, &full.warnings,
                        "warnings after edit {} ({:?}):\n{}", step, edit, files()
                    );
                    prop_assert_eq!(
                        canonical(&story), canonical(&full.value),
                        "story after edit {} ({:?}):\n{}", step, edit, files()
                    );
                }
                (Err(LoadError::Invalid(reload)), Err(LoadError::Invalid(full))) => {
                    prop_assert_eq!(
                        &reload, &full,
                        "errors after edit {} ({:?}):\n{}", step, edit, files()
                    );
                }
                (reload, full) => prop_assert!(
                    false,
                    "after edit {} ({:?}) the reload gave {:?} and a full load {:?}:\n{}",
                    step, edit, reload.map(|r| r.warnings), full.map(|l| l.warnings), files()
                ),
            }
        }
    }
}
