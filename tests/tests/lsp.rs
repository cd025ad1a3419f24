//! `qnce lsp`: the real binary over stdio, spoken to in JSON-RPC as an editor does:
//! initialize, open, change (unsaved), each request, shutdown.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use crossbeam_channel::Receiver;
use serde_json::{Value, json};

use crate::support::{TempDir, qnce_bin};

/// How long to wait for one message: generous, for a loaded CI machine.
const WAIT: Duration = Duration::from_secs(60);

const STORY: &str = r#"// A story for the language server tests.
Story(
    title: "Café",
    start: "start",
    variables: { "courage": Int(0) },
    functions: { "lucky": (params: [("n", Int)], returns: Bool, fallback: "n > courage") },
    include: ["chapters/river.ron"],
    nodes: {
        "start": (
            text: "Déjà vu ({courage}).",
            choices: [
                (text: "Vers la rivière 🌊", to: "river", set: ["courage += 1"]),
                (text: "Stay", to: "start", when: "visits('river') == 0 && lucky(2)"),
            ],
        ),
    },
)
"#;

const RIVER: &str = r#"Include(
    nodes: {
        "river": (text: "The river. Courage: {courage}.", choices: [
            (text: "Back", to: "start", when: "courage > 0"),
            (text: "Rest", to: "end"),
        ]),
        "end": (text: "The end."),
    },
)
"#;

/// An editor's side of the connection.
struct Editor {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    /// Messages from the server that were not what a wait was for.
    seen: Vec<Value>,
    next_id: i64,
}

impl Editor {
    /// Starts `qnce lsp` and initializes it with `folder` as the workspace.
    fn start(folder: &Path) -> Editor {
        let mut child = std::process::Command::new(qnce_bin())
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, inbox) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        let mut editor = Editor {
            child,
            stdin,
            inbox,
            seen: Vec::new(),
            next_id: 1,
        };
        let result = editor.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(folder),
                "capabilities": {},
            }),
        );
        assert_eq!(
            result["capabilities"]["positionEncoding"], "utf-16",
            "{result}"
        );
        editor.notify("initialized", json!({}));
        editor
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response: its result, or its error.
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait(|m| m["id"] == id && m.get("method").is_none());
        match response.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(response["result"].clone()),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    /// The first message (seen already, or coming) that `pick` wants.
    fn wait(&mut self, pick: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&pick) {
            return self.seen.remove(i);
        }
        loop {
            let message = self
                .inbox
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("no awaited message; seen: {:#?}", self.seen));
            if pick(&message) {
                return message;
            }
            self.seen.push(message);
        }
    }

    /// The next diagnostics published for `file` that `pick` accepts (earlier ones are
    /// dropped: a check of an older text may come first).
    fn diagnostics(&mut self, file: &Path, pick: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = uri(file);
        loop {
            let m = self.wait(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            });
            let list = m["params"]["diagnostics"].as_array().unwrap().clone();
            if pick(&list) {
                return list;
            }
        }
    }

    fn open(&mut self, file: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri(file), "languageId": "ron", "version": 1, "text": text,
            }}),
        );
    }

    /// Replaces the whole unsaved buffer of `file`.
    fn change(&mut self, file: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri(file), "version": version },
                "contentChanges": [{ "text": text }],
            }),
        );
    }

    /// Asks `method` at the `nth` occurrence of `needle` in `text` of `file`, `into`
    /// characters into it.
    fn at(&mut self, method: &str, file: &Path, text: &str, needle: &str, into: usize) -> Value {
        self.at_with(method, file, text, (needle, 0, into), json!({}))
    }

    fn at_with(
        &mut self,
        method: &str,
        file: &Path,
        text: &str,
        (needle, nth, into): (&str, usize, usize),
        extra: Value,
    ) -> Value {
        let mut params = json!({
            "textDocument": { "uri": uri(file) },
            "position": position(text, needle, nth, into),
        });
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        self.request(method, params)
    }

    /// Asks to rename what is 2 characters into `needle` in `text` of `file` to
    /// `new_name`, which must be refused; the reason given.
    fn rename_refused(&mut self, file: &Path, text: &str, needle: &str, new_name: &str) -> String {
        let e = self
            .call(
                "textDocument/rename",
                json!({
                    "textDocument": { "uri": uri(file) },
                    "position": position(text, needle, 0, 2),
                    "newName": new_name,
                }),
            )
            .unwrap_err();
        e["message"].as_str().unwrap().to_owned()
    }

    /// Shuts the server down as an editor does, and checks that it exits cleanly.
    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        // What an editor may still send before `exit` is answered or ignored.
        self.notify("$/cancelRequest", json!({ "id": 999 }));
        let late = self.call(
            "textDocument/hover",
            json!({
                "textDocument": { "uri": "file:///x.ron" },
                "position": { "line": 0, "character": 0 },
            }),
        );
        assert!(late.is_err(), "{late:?}");
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The `file://` URI of `path`, percent-encoded.
fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The LSP position (UTF-16 columns) `into` characters into the `nth` occurrence of
/// `needle` in `text`.
fn position(text: &str, needle: &str, nth: usize, into: usize) -> Value {
    let (at, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {needle:?} #{nth}"));
    let at = at + needle.chars().take(into).map(char::len_utf8).sum::<usize>();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    let character: usize = text[line_start..at].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

/// A story in a directory whose name needs percent-encoding.
fn story() -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new("lsp");
    let main = dir.write("my story é/story.ron", STORY);
    let river = dir.write("my story é/chapters/river.ron", RIVER);
    (dir, main, river)
}

fn messages(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn lsp_diagnostics_follow_unsaved_edits_in_every_file() {
    let (dir, main, river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let clean = editor.diagnostics(&main, |_| true);
    assert_eq!(messages(&clean), Vec::<String>::new());

    // A dangling `to` after non-ASCII text: the range covers `"rivr"` in UTF-16 units.
    // Sent as editors send a keystroke: the range replaced, in UTF-16 units.
    let typo = STORY.replacen(r#"to: "river""#, r#"to: "rivr""#, 1);
    editor.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri(&main), "version": 2 },
            "contentChanges": [{
                "range": {
                    "start": position(STORY, "\"river\"", 0, 1),
                    "end": position(STORY, "\"river\"", 0, 6),
                },
                "text": "rivr",
            }],
        }),
    );
    let found = editor.diagnostics(&main, |d| !d.is_empty());
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = &found[0];
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "qnce");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("rivr") && message.contains("did you mean `river`"),
        "{message}"
    );
    let start = position(&typo, r#""rivr""#, 0, 0);
    let end = position(&typo, r#""rivr""#, 0, 6);
    assert_eq!(d["range"], json!({ "start": start, "end": end }));
    // 48 characters before it, `🌊` two units of them: 49 (and 53 bytes).
    assert_eq!(start["character"], 49);

    // Renaming the variable in the open file breaks the include that is not open.
    let renamed = STORY.replacen(r#""courage": Int(0)"#, r#""bravery": Int(0)"#, 1);
    editor.change(&main, 3, &renamed);
    // (The typo made `river` unreachable: its warnings came first.)
    let in_river = editor.diagnostics(&river, |d| {
        messages(d)
            .iter()
            .any(|m| m.contains("undeclared variable"))
    });
    let lines: Vec<u64> = in_river
        .iter()
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3], "{in_river:#?}");
    assert!(
        messages(&in_river)
            .iter()
            .all(|m| m.contains("undeclared variable `courage`")),
        "{in_river:#?}"
    );
    let courage = position(RIVER, "courage}", 0, 0);
    assert_eq!(in_river[0]["range"]["start"], courage);
    assert_eq!(
        in_river[0]["range"]["end"],
        position(RIVER, "courage}", 0, 7)
    );

    // Put right, both files are cleared; the disk never changed.
    editor.change(&main, 4, STORY);
    editor.diagnostics(&river, <[Value]>::is_empty);
    editor.diagnostics(&main, <[Value]>::is_empty);
    assert_eq!(std::fs::read_to_string(&main).unwrap(), STORY);
    editor.shutdown();
}

#[test]
fn lsp_goes_to_definitions_and_finds_references_across_files() {
    let (dir, main, river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    editor.open(&river, RIVER);
    let river_key = json!({
        "uri": uri(&river),
        "range": {
            "start": position(RIVER, "\"river\"", 0, 1),
            "end": position(RIVER, "\"river\"", 0, 6),
        },
    });
    // From `to: "river"`, and from `visits('river')` inside a condition.
    let from_to = editor.at("textDocument/definition", &main, STORY, "\"river\"", 3);
    assert_eq!(from_to, json!([river_key.clone()]));
    let from_visits = editor.at("textDocument/definition", &main, STORY, "'river'", 1);
    assert_eq!(from_visits, json!([river_key.clone()]));
    // From a variable in the include's condition to its declaration in story.ron.
    let var = editor.at("textDocument/definition", &river, RIVER, "courage >", 2);
    assert_eq!(var[0]["uri"], uri(&main));
    assert_eq!(var[0]["range"]["start"], position(STORY, "courage\"", 0, 0));
    // From a function call to its declaration; from the include's path to the file.
    let function = editor.at("textDocument/definition", &main, STORY, "lucky(2)", 0);
    assert_eq!(
        function[0]["range"]["start"],
        position(STORY, "lucky\"", 0, 0)
    );
    let include = editor.at("textDocument/definition", &main, STORY, "chapters/", 2);
    assert_eq!(include[0]["uri"], uri(&river));

    let refs = editor.at_with(
        "textDocument/references",
        &main,
        STORY,
        ("\"river\"", 0, 2),
        json!({ "context": { "includeDeclaration": true } }),
    );
    let mut places: Vec<(String, Value)> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["uri"].as_str().unwrap().to_owned(),
                l["range"]["start"].clone(),
            )
        })
        .collect();
    places.sort_by_key(|(u, p)| (u.clone(), p.to_string()));
    let mut want = vec![
        (uri(&main), position(STORY, "\"river\"", 0, 1)),
        (uri(&main), position(STORY, "'river'", 0, 1)),
        (uri(&river), position(RIVER, "\"river\"", 0, 1)),
    ];
    want.sort_by_key(|(u, p)| (u.clone(), p.to_string()));
    assert_eq!(places, want);
    let courage = editor.at_with(
        "textDocument/references",
        &river,
        RIVER,
        ("courage}", 0, 0),
        json!({ "context": { "includeDeclaration": false } }),
    );
    // story.ron: the text, the effect, the fallback; river.ron: the text, the condition.
    assert_eq!(courage.as_array().unwrap().len(), 5, "{courage:#}");
    editor.shutdown();
}

#[test]
fn lsp_completes_node_ids_names_in_expressions_and_fields() {
    let (dir, main, _river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_owned())
            .collect()
    };
    // A node id being typed in a string not closed yet.
    let typing = STORY.replacen(
        r#"(text: "Stay", to: "start","#,
        r#"(text: "Stay", to: "ri"#,
        1,
    );
    editor.change(&main, 2, &typing);
    let nodes = editor.at("textDocument/completion", &main, &typing, "to: \"ri", 7);
    assert_eq!(labels(&nodes), ["end", "river", "start"]);
    assert_eq!(
        nodes[1]["textEdit"]["range"]["start"],
        position(&typing, "to: \"ri", 0, 5)
    );

    // Variables, functions and built-ins in a condition.
    editor.change(&main, 3, STORY);
    let code = editor.at("textDocument/completion", &main, STORY, "lucky(2)", 3);
    let code = labels(&code);
    for want in ["courage", "lucky", "visits", "random"] {
        assert!(code.contains(&want.to_owned()), "{want} in {code:?}");
    }
    // A node name with any characters inside `visits('…`; nothing after a closing quote.
    let accented = STORY.replacen("visits('river')", "visits('ré", 1);
    editor.change(&main, 4, &accented);
    let nodes = editor.at("textDocument/completion", &main, &accented, "'ré", 3);
    assert_eq!(labels(&nodes), ["end", "river", "start"]);
    assert_eq!(
        nodes[0]["textEdit"]["range"]["start"],
        position(&accented, "'ré", 0, 1)
    );
    editor.change(&main, 5, STORY);
    let after = editor.at("textDocument/completion", &main, STORY, "\"river\"", 7);
    assert_eq!(labels(&after), Vec::<String>::new());
    // Inside a text, only within `{…}`.
    let text = editor.at("textDocument/completion", &main, STORY, "{courage}", 3);
    assert!(labels(&text).contains(&"courage".to_owned()));
    let prose = editor.at("textDocument/completion", &main, STORY, "Déjà", 2);
    assert_eq!(labels(&prose), Vec::<String>::new());

    // The fields a choice does not have yet.
    let choice = STORY.replacen(r#"🌊", "#, r#"🌊", wh, "#, 1);
    editor.change(&main, 6, &choice);
    let fields = editor.at("textDocument/completion", &main, &choice, "wh, ", 2);
    let fields = labels(&fields);
    assert!(fields.contains(&"when".to_owned()) && fields.contains(&"once".to_owned()));
    assert!(!fields.contains(&"text".to_owned()), "{fields:?}");
    editor.shutdown();
}

#[test]
fn lsp_hovers_show_nodes_variables_and_signatures() {
    let (dir, main, _river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let hover = |editor: &mut Editor, needle: &str, into: usize| -> String {
        let h = editor.at("textDocument/hover", &main, STORY, needle, into);
        h["contents"]["value"].as_str().unwrap().to_owned()
    };
    let node = hover(&mut editor, "\"river\"", 2);
    assert!(node.contains("The river. Courage: {courage}."), "{node}");
    assert!(
        node.contains("Back → `start` [when `courage > 0`]"),
        "{node}"
    );
    assert!(node.contains("chapters/river.ron:3"), "{node}");
    let var = hover(&mut editor, "{courage}", 2);
    assert!(var.contains("courage: Int = 0"), "{var}");
    let function = hover(&mut editor, "lucky(2)", 1);
    assert!(function.contains("lucky(n: Int) -> Bool"), "{function}");
    assert!(function.contains("fallback: `n > courage`"), "{function}");
    let built_in = hover(&mut editor, "visits(", 1);
    assert!(built_in.contains("visits(node) -> Int"), "{built_in}");
    editor.shutdown();
}

#[test]
fn lsp_renames_everywhere_and_refuses_a_name_that_exists() {
    let (dir, main, river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let prepared = editor.at("textDocument/prepareRename", &main, STORY, "\"river\"", 2);
    assert_eq!(prepared["start"], position(STORY, "\"river\"", 0, 1));

    let edit = editor.at_with(
        "textDocument/rename",
        &main,
        STORY,
        ("\"river\"", 0, 2),
        json!({ "newName": "riverbank" }),
    );
    let apply = |text: &str, file: &Path| -> String {
        let edits = edit["changes"][uri(file)]
            .as_array()
            .cloned()
            .unwrap_or_default();
        apply_edits(text, &edits)
    };
    let main_after = apply(STORY, &main);
    let river_after = apply(RIVER, &river);
    assert_eq!(
        main_after,
        STORY
            .replace(r#"to: "river""#, r#"to: "riverbank""#)
            .replace("visits('river')", "visits('riverbank')")
    );
    assert_eq!(
        river_after,
        RIVER.replace(r#""river": ("#, r#""riverbank": ("#)
    );

    let message = editor.rename_refused(&main, STORY, "\"river\"", "start");
    assert!(
        message.contains("a node `start` already exists"),
        "{message}"
    );

    // A variable: its declaration, effects, conditions, fallbacks and interpolations.
    let edit = editor.at_with(
        "textDocument/rename",
        &main,
        STORY,
        ("{courage}", 0, 2),
        json!({ "newName": "nerve" }),
    );
    let main_edits = edit["changes"][uri(&main)].as_array().unwrap();
    let river_edits = edit["changes"][uri(&river)].as_array().unwrap();
    assert_eq!(
        apply_edits(STORY, main_edits),
        STORY.replace("courage", "nerve")
    );
    assert_eq!(
        apply_edits(RIVER, river_edits),
        RIVER.replace("courage", "nerve")
    );
    let bad = editor.rename_refused(&main, STORY, "{courage}", "2fast");
    assert!(bad.contains("not a variable name"), "{bad}");
    editor.shutdown();
}

#[test]
fn lsp_renames_in_translations_too_so_that_they_stay_valid_and_current() {
    let (dir, main, river) = story();
    let po = "msgid \"\"\nmsgstr \"\"\n\"Language: de\\n\"\n\n\
              msgctxt \"start\"\nmsgid \"Déjà vu ({courage}).\"\nmsgstr \"Schon gesehen ({courage}).\"\n\n\
              msgctxt \"river\"\nmsgid \"The river. Courage: {courage}.\"\nmsgstr \"\"\n\"Der Fluss. \"\n\"Mut: {courage}.\"\n";
    let de = dir.write("my story é/locales/de.po", po);
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let edit = editor.at_with(
        "textDocument/rename",
        &main,
        STORY,
        ("{courage}", 0, 2),
        json!({ "newName": "nerve" }),
    );
    let changed = |file: &Path, text: &str| {
        let edits = edit["changes"][uri(file)]
            .as_array()
            .cloned()
            .unwrap_or_default();
        std::fs::write(file, apply_edits(text, &edits)).unwrap();
    };
    changed(&main, STORY);
    changed(&river, RIVER);
    changed(&de, po);
    let after = std::fs::read_to_string(&de).unwrap();
    assert_eq!(after, po.replace("{courage}", "{nerve}"));
    // The story and its translation load as one, with nothing stale.
    let loaded = qnce::load(main.parent().unwrap(), &qnce::Limits::default()).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(warnings, Vec::<String>::new());
    editor.shutdown();
}

#[test]
fn lsp_refuses_renames_that_would_change_meaning() {
    let (dir, main, _river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    // A variable may not take a function's name, nor a fallback's parameter's.
    let function = editor.rename_refused(&main, STORY, "{courage}", "lucky");
    assert!(
        function.contains("a function `lucky` already exists"),
        "{function}"
    );
    let param = editor.rename_refused(&main, STORY, "{courage}", "n");
    assert!(
        param.contains("`n` is a parameter of function `lucky`"),
        "{param}"
    );
    editor.shutdown();
}

#[test]
fn lsp_places_diagnostics_of_an_include_written_with_dots() {
    let dir = TempDir::new("lsp-dots");
    let story = STORY.replace(
        "\"chapters/river.ron\"",
        "\"./chapters/../chapters/river.ron\"",
    );
    let main = dir.write("story.ron", &story);
    let river = dir.write(
        "chapters/river.ron",
        RIVER.replace("to: \"end\"", "to: \"ned\""),
    );
    let mut editor = Editor::start(dir.path());
    editor.open(&main, &story);
    let found = editor.diagnostics(&river, |d| !d.is_empty());
    assert!(messages(&found)[0].contains("`ned`"), "{found:#?}");
    editor.shutdown();
}

#[test]
fn lsp_clears_the_diagnostics_of_a_story_whose_main_file_is_deleted() {
    let (dir, main, _river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let broken = STORY.replacen(r#"to: "river""#, r#"to: "rivr""#, 1);
    editor.change(&main, 2, &broken);
    editor.diagnostics(&main, |d| !d.is_empty());
    std::fs::remove_file(&main).unwrap();
    editor.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri(&main) } }),
    );
    editor.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&main), "type": 3 }] }),
    );
    editor.diagnostics(&main, <[Value]>::is_empty);
    editor.shutdown();
}

#[test]
fn lsp_exit_without_shutdown_is_an_error() {
    let (dir, _main, _river) = story();
    let mut editor = Editor::start(dir.path());
    editor.notify("exit", Value::Null);
    let status = editor.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn lsp_lists_document_and_workspace_symbols() {
    let (dir, main, river) = story();
    let mut editor = Editor::start(dir.path());
    editor.open(&main, STORY);
    let symbols = editor.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri(&main) } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["courage", "lucky", "start"]);
    let choices: Vec<&str> = symbols[2]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(choices, ["Vers la rivière 🌊", "Stay"]);

    // The workspace's stories are found under its folder, opened or not.
    let found = editor.request("workspace/symbol", json!({ "query": "riv" }));
    let first = &found[0];
    assert_eq!(first["name"], "river");
    assert_eq!(first["location"]["uri"], uri(&river));
    editor.shutdown();
}

/// `text` with LSP edits applied (ranges in UTF-16 units; edits do not overlap).
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| -> usize {
        let line = usize::try_from(p["line"].as_u64().unwrap()).unwrap();
        let character = usize::try_from(p["character"].as_u64().unwrap()).unwrap();
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units == character {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_owned();
    for (start, end, with) in spans {
        out.replace_range(start..end, with);
    }
    out
}
