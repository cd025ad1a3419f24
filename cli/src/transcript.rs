//! Output of `qnce play`: plain text for people, JSON lines for programs.

use qnce::reload::{ReloadReport, Reloaded};
use qnce::{Event, LoadError, Session, Story, Value};
use qnce_cli::report::marked_diff;
use serde_json::{Map, json};

/// Where play output goes and in which form.
pub(crate) struct Transcript {
    pub(crate) json: bool,
}

/// A value as JSON; a float JSON cannot hold (NaN, an infinity) as the text shows it.
fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) if !f.is_finite() => json!(v.to_string()),
        Value::Float(f) => json!(f),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(s.as_ref()),
    }
}

impl Transcript {
    pub(crate) fn start(&self, story: &Story, session: &Session) {
        if self.json {
            let line = json!({
                "type": "start",
                "seed": session.seed(),
                "story": story.title(),
                "flow": story.flow_name(session.current_flow()),
            });
            say!("{line}");
        } else {
            say!("{}  (seed {})", story.title(), session.seed());
        }
    }

    /// Prints every node the last call entered or showed, and every command it ran, in
    /// the order they happened; only the last node, the current one, has choices.
    pub(crate) fn events(&self, story: &Story, session: &Session) {
        let is_node = |e: &Event| matches!(e, Event::NodeEntered { .. } | Event::NodeShown { .. });
        let last_node = session.events().iter().rposition(is_node);
        for (i, e) in session.events().iter().enumerate() {
            match *e {
                Event::NodeEntered { flow, node, text } | Event::NodeShown { flow, node, text } => {
                    let current = Some(i) == last_node;
                    self.node(story, session, flow, node, session.passage(text), current);
                }
                Event::Command { command, args } => {
                    self.command(story.command_name(command), session.command_args(args));
                }
                _ => {}
            }
        }
        if !self.json {
            for e in session.events() {
                if let Event::FlowSwitched { to, .. } = e {
                    say!("[flow {}]", story.flow_name(*to));
                }
            }
        }
    }

    /// A command for the game: `[name(args…)]`, or a JSON line.
    fn command(&self, name: &str, args: &[Value]) {
        if self.json {
            let args: Vec<_> = args.iter().map(value_json).collect();
            say!("{}", json!({"type": "command", "name": name, "args": args}));
        } else {
            say!("[{}]", qnce_cli::report::command_call(name, args));
        }
    }

    fn node(
        &self,
        story: &Story,
        session: &Session,
        flow: qnce::FlowId,
        node: qnce::NodeId,
        text: &str,
        current: bool,
    ) {
        let tags: Vec<&str> = story.node_tags(node).iter().map(|s| s.as_ref()).collect();
        if self.json {
            let choices: Vec<_> = if current {
                session
                    .choices()
                    .enumerate()
                    .map(|(i, (view, text))| {
                        let line = story.choice_line(node, view.id);
                        let mut choice = json!({
                            "index": i + 1,
                            "id": story.choice_name(view.id),
                            "line": line,
                            "text": text,
                        });
                        with_voice(&mut choice, story, session, line);
                        choice
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut line = json!({
                "type": "node",
                "flow": story.flow_name(flow),
                "node": story.node_name(node),
                "line": story.node_line(node),
                "text": text,
                "tags": tags,
                "choices": choices,
            });
            with_voice(&mut line, story, session, story.node_line(node));
            say!("{line}");
        } else {
            say!("\n{text}");
            if current {
                if session.choices().len() > 0 {
                    say!();
                }
                for (i, (_, text)) in session.choices().enumerate() {
                    say!("  {}. {text}", i + 1);
                }
            }
        }
    }

    /// A reload's outcome, then the current node again if the reload changed what it
    /// shows or moved the flow.
    pub(crate) fn reload(&self, story: &Story, reloaded: &Reloaded, session: Option<&Session>) {
        let report = match &reloaded.result {
            Ok(report) => report,
            Err(e) => return self.rejected(e),
        };
        let moved = Moved::of(session.map_or(&[][..], Session::events));
        if self.json {
            say!("{}", reload_json(story, report, &moved));
        } else {
            print_reload(story, report, &moved);
        }
        for (_, outcome) in &reloaded.sessions {
            if let Err(e) = outcome {
                self.error(e);
            }
        }
        if let Some(session) = session {
            self.events(story, session);
        }
    }

    /// An error of play (a step that failed and changed nothing, a command or a save that
    /// cannot be used): on standard error, and in the JSON stream as
    /// `{"type":"error","message":…}` so that a program reading it sees why play stopped.
    /// A run-time error, at the place its node is declared when it names one.
    pub(crate) fn runtime_error(&self, story: &Story, e: &qnce::RuntimeError) {
        self.error(&qnce_cli::report::located(story, e));
    }

    pub(crate) fn error(&self, e: &dyn std::fmt::Display) {
        if self.json {
            say!("{}", json!({"type": "error", "message": e.to_string()}));
        }
        eprintln!("qnce: {e}");
    }

    fn rejected(&self, e: &LoadError) {
        let errors = qnce_cli::report::error_lines(e);
        if self.json {
            say!(
                "{}",
                json!({"type": "reload", "ok": false, "errors": errors})
            );
        } else {
            if let LoadError::Invalid(diagnostics) = e {
                for d in diagnostics.iter().filter(|d| d.is_error()) {
                    eprintln!("{}", crate::check::render(d));
                }
            } else {
                eprintln!("qnce: {e}");
            }
            eprintln!("[reload rejected: the story keeps running as it was]");
        }
    }

    /// The closing line: `end` when the flow ended, `stop` when input ran out first.
    pub(crate) fn finish(&self, story: &Story, session: &Session) {
        let ended = session.is_ended();
        if self.json {
            let mut vars = Map::new();
            for &v in story.var_ids() {
                if let Some(value) = session.var(v) {
                    vars.insert(story.var_name(v).to_owned(), value_json(value));
                }
            }
            let history: Vec<&str> = session
                .history(session.current_flow())
                .iter()
                .map(|&n| story.node_name(n))
                .collect();
            let line = json!({
                "type": if ended { "end" } else { "stop" },
                "node": session.current_node().map(|n| story.node_name(n)),
                "vars": vars,
                "history": history,
            });
            say!("{line}");
        } else if ended {
            say!("\n(the end)");
        }
    }
}

/// What a reload did to the session: flows moved off removed nodes, calls whose return
/// target was removed, variables reset.
struct Moved<'a> {
    relocated: Vec<(qnce::FlowId, qnce::NodeId, qnce::NodeId)>,
    returns: Vec<(qnce::FlowId, qnce::NodeId, qnce::NodeId)>,
    reset: Vec<(qnce::VarId, &'a Value)>,
}

impl<'a> Moved<'a> {
    fn of(events: &'a [Event]) -> Moved<'a> {
        let mut moved = Moved {
            relocated: Vec::new(),
            returns: Vec::new(),
            reset: Vec::new(),
        };
        for event in events {
            match event {
                Event::Relocated { flow, from, to } => moved.relocated.push((*flow, *from, *to)),
                Event::ReturnRelocated { flow, from, to } => {
                    moved.returns.push((*flow, *from, *to));
                }
                Event::VariableReset { var, new, .. } => moved.reset.push((*var, new)),
                _ => {}
            }
        }
        moved
    }
}

/// A good reload as one JSON line.
fn reload_json(story: &Story, report: &ReloadReport, moved: &Moved<'_>) -> serde_json::Value {
    let d = &report.delta;
    let node_names =
        |ids: &[qnce::NodeId]| ids.iter().map(|&n| story.node_name(n)).collect::<Vec<_>>();
    let changed: Vec<_> = d
        .nodes_changed
        .iter()
        .map(|c| {
            let fields: Vec<_> = c.fields.iter().map(|f| f.name()).collect();
            let mut entry = json!({"node": story.node_name(c.node), "fields": fields});
            if !c.text_diff.is_empty() {
                entry["diff"] = json!(marked_diff(&c.text_diff));
            }
            entry
        })
        .collect();
    let moves = |list: &[(qnce::FlowId, qnce::NodeId, qnce::NodeId)]| -> Vec<_> {
        list.iter()
            .map(|&(flow, from, to)| {
                json!({
                    "flow": story.flow_name(flow),
                    "from": story.node_name(from),
                    "to": story.node_name(to),
                })
            })
            .collect()
    };
    let reset: Vec<_> = moved
        .reset
        .iter()
        .map(|&(v, _)| story.var_name(v))
        .collect();
    let files: Vec<_> = report
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    json!({
        "type": "reload",
        "ok": true,
        "files": files,
        "added": node_names(&d.nodes_added),
        "removed": node_names(&d.nodes_removed),
        "changed": changed,
        "relocated": moves(&moved.relocated),
        "returns_relocated": moves(&moved.returns),
        "reset": reset,
        "lines_retranslated": d.lines_retranslated.len(),
        "warnings": report
            .new_warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        "translation_errors": report
            .translation_errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        "micros": report.timings.total().as_micros() as u64,
    })
}

/// A good reload in words: the summary, each changed text's word diff, and what moved.
fn print_reload(story: &Story, report: &ReloadReport, moved: &Moved<'_>) {
    let d = &report.delta;
    let ms = report.timings.total().as_secs_f64() * 1000.0;
    say!(
        "\n[reloaded in {ms:.1} ms: {}]",
        qnce_cli::report::summary(story, d)
    );
    for c in d.nodes_changed.iter().filter(|c| !c.text_diff.is_empty()) {
        say!(
            "  {}: {}",
            story.node_name(c.node),
            marked_diff(&c.text_diff)
        );
    }
    for &(_, from, to) in &moved.relocated {
        say!(
            "[{} was removed; moved back to {}]",
            story.node_name(from),
            story.node_name(to)
        );
    }
    for &(_, from, to) in &moved.returns {
        say!(
            "[{} was removed; the call returns to {} instead]",
            story.node_name(from),
            story.node_name(to)
        );
    }
    for &(v, new) in &moved.reset {
        say!("[{} reset to {new}: its type changed]", story.var_name(v));
    }
    for d in &report.new_warnings {
        eprintln!("{}", crate::check::render(d));
    }
    if !report.translation_errors.is_empty() {
        for d in &report.translation_errors {
            eprintln!("{}", crate::check::render(d));
        }
        eprintln!("[translation rejected: its language keeps its last good version]");
    }
}

/// Adds `"voice"` to a text's JSON when its line is voiced in the session's language: the
/// file's path relative to the story directory.
fn with_voice(json: &mut serde_json::Value, story: &Story, session: &Session, line: &str) {
    if let (Some(path), Some(map)) = (story.voice(session.locale(), line), json.as_object_mut()) {
        map.insert("voice".into(), path.display().to_string().into());
    }
}
