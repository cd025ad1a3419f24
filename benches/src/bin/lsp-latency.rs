//! Measures `qnce lsp` on the generated 10,000-node story over 100 files: the time from
//! an unsaved edit (`didChange`) to its diagnostics (`publishDiagnostics`), and how long
//! a completion waits when asked right after an edit, while the story is being checked.
//!
//! `cargo build --release -p qnce-cli && cargo run --release -p qnce-benches --bin
//! lsp-latency -- target/release/qnce [EDITS]` (default 30)
//!
//! Each edit alternates between a dangling `to` in node 5000 (one error expected) and
//! the file as generated (none), so every edit has diagnostics to wait for. The server
//! runs as an editor runs it, over stdio, in its own process.
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId};
use qnce_benches::generate::{StoryShape, file_name, write_story};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(120);

struct Client {
    stdin: BufWriter<ChildStdin>,
    inbox: Receiver<Message>,
    next_id: i32,
    /// The check times the server logged.
    checks: Vec<Duration>,
}

impl Client {
    fn send(&mut self, message: Message) -> std::io::Result<()> {
        message.write(&mut self.stdin)
    }

    fn notify(&mut self, method: &str, params: Value) -> std::io::Result<()> {
        self.send(Message::Notification(Notification::new(
            method.to_owned(),
            params,
        )))
    }

    fn request(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<Value, Box<dyn std::error::Error>> {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        self.send(Message::Request(Request::new(
            id.clone(),
            method.to_owned(),
            params,
        )))?;
        loop {
            if let Message::Response(r) = self.next()?
                && r.id == id
            {
                return r.response_result.map_err(|e| e.message.into());
            }
        }
    }

    /// The next message, noting the check times the server logs (`checked …: N
    /// diagnostic(s) in X ms`).
    fn next(&mut self) -> Result<Message, Box<dyn std::error::Error>> {
        let message = self.inbox.recv_timeout(WAIT)?;
        if let Message::Notification(n) = &message
            && n.method == "window/logMessage"
            && let Some(ms) = n.params["message"]
                .as_str()
                .and_then(|text| text.rsplit_once(" in "))
                .and_then(|(_, t)| t.strip_suffix(" ms"))
                .and_then(|t| t.parse::<f64>().ok())
        {
            self.checks.push(Duration::from_secs_f64(ms / 1e3));
        }
        Ok(message)
    }

    /// Waits for the diagnostics of `uri`; returns how many there are.
    fn diagnostics(&mut self, uri: &str) -> Result<usize, Box<dyn std::error::Error>> {
        loop {
            let Message::Notification(n) = self.next()? else {
                continue;
            };
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                return Ok(n.params["diagnostics"].as_array().map_or(0, Vec::len));
            }
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn max(v: &[Duration]) -> Duration {
    v.iter().copied().max().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(qnce) = args.next() else {
        return Err("usage: lsp-latency QNCE_BINARY [EDITS]".into());
    };
    let edits: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let dir = std::env::temp_dir().join(format!("qnce-lsp-latency-{}", std::process::id()));
    write_story(&dir, StoryShape::LARGE)?;
    let result = run(Path::new(&qnce), &dir, edits);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(qnce: &Path, dir: &Path, edits: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut child = Command::new(qnce)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, inbox) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        while let Ok(Some(message)) = Message::read(&mut reader) {
            if tx.send(message).is_err() {
                return;
            }
        }
    });
    let mut client = Client {
        stdin: BufWriter::new(stdin),
        inbox,
        next_id: 1,
        checks: Vec::new(),
    };
    let root = format!("file://{}", dir.display());
    client.request(
        "initialize",
        json!({ "processId": null, "rootUri": root, "capabilities": {} }),
    )?;
    client.notify("initialized", json!({}))?;

    let path = dir.join(file_name(50));
    let uri = format!("file://{}", path.display());
    let original = std::fs::read_to_string(&path)?;
    let anchor = "\"n5000\": (";
    let broken = original.replacen(anchor, "\"n5000\": (next: \"nowhere\", ", 1);
    assert_ne!(broken, original, "node 5000 is in {}", path.display());

    let opened = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "ron", "version": 1, "text": original } }),
    )?;
    client.diagnostics(&uri)?;
    let first = opened.elapsed();

    let mut to_diagnostics = Vec::new();
    let mut completion = Vec::new();
    for version in 0..edits {
        let (text, want) = if version % 2 == 0 {
            (&broken, 1)
        } else {
            (&original, 0)
        };
        let at = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version + 2 },
                "contentChanges": [{ "text": text }],
            }),
        )?;
        // Asked while the edit waits to be checked, or is being checked.
        let asked = Instant::now();
        let items = client.request(
            "textDocument/completion",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 3, "character": 0 } }),
        )?;
        completion.push(asked.elapsed());
        assert!(items.is_array(), "{items}");
        loop {
            let n = client.diagnostics(&uri)?;
            if n == want {
                break;
            }
        }
        to_diagnostics.push(at.elapsed());
    }
    client.request("shutdown", Value::Null)?;
    client.notify("exit", Value::Null)?;
    child.wait()?;

    println!("qnce lsp, 10,000 nodes over 100 files, {edits} edits of one file (unsaved)");
    println!("  open -> first diagnostics:        {:8.1} ms", ms(first));
    println!(
        "  didChange -> publishDiagnostics:  {:8.1} ms median, {:8.1} ms max",
        ms(median(to_diagnostics.clone())),
        ms(max(&to_diagnostics))
    );
    println!(
        "  completion right after an edit:   {:8.2} ms median, {:8.2} ms max",
        ms(median(completion.clone())),
        ms(max(&completion))
    );
    println!(
        "  the check itself (server's log):  {:8.1} ms median, {:8.1} ms max",
        ms(median(client.checks.clone())),
        ms(max(&client.checks))
    );
    println!(
        "  (the server's debounce, {:.0} ms, included)",
        ms(qnce_lsp::DEBOUNCE)
    );
    Ok(())
}
