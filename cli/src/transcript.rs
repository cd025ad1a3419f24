//! Output of `qnce play`: plain text for people, JSON lines for programs.

use qnce::{Event, Session, Story, Value};
use serde_json::{Map, json};

/// Where play output goes and in which form.
pub(crate) struct Transcript {
    pub(crate) json: bool,
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => json!(i),
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

    /// Prints every node the last call entered or showed; only the last one, the current
    /// node, has choices.
    pub(crate) fn events(&self, story: &Story, session: &Session) {
        let shown: Vec<_> = session
            .events()
            .iter()
            .filter_map(|e| match *e {
                Event::NodeEntered { flow, node, text } | Event::NodeShown { flow, node, text } => {
                    Some((flow, node, text))
                }
                _ => None,
            })
            .collect();
        for (i, &(flow, node, text)) in shown.iter().enumerate() {
            let current = i + 1 == shown.len();
            self.node(story, session, flow, node, session.passage(text), current);
        }
        if !self.json {
            for e in session.events() {
                if let Event::FlowSwitched { to, .. } = e {
                    say!("[flow {}]", story.flow_name(*to));
                }
            }
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
        let tags: Vec<&str> = story
            .node(node)
            .and_then(|n| n.get::<qnce::story::components::Tags>())
            .map(|t| t.0.iter().map(|s| s.as_ref()).collect())
            .unwrap_or_default();
        if self.json {
            let choices: Vec<_> = if current {
                session
                    .choices()
                    .enumerate()
                    .map(|(i, (view, text))| {
                        json!({"index": i + 1, "id": story.choice_name(view.id), "text": text})
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let line = json!({
                "type": "node",
                "flow": story.flow_name(flow),
                "node": story.node_name(node),
                "text": text,
                "tags": tags,
                "choices": choices,
            });
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
