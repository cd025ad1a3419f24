//! The passage so far: what the story pane shows, built from the session's events, kept
//! in step with undo and redo, and word-wrapped to the pane's width when drawn.

use qnce::{Event, NodeId, Session, Story};

/// One piece of the passage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A node's text as it was shown.
    Text {
        /// The node.
        node: NodeId,
        /// Its rendered text.
        text: String,
    },
    /// The text of a choice the player took.
    Chosen(String),
    /// A remark of the runner's: a flow switched, a node removed by an edit, a load.
    Note(String),
}

/// The passage, grouped by undoable step so that undo takes back exactly what a step
/// added and redo puts it back.
#[derive(Clone, Debug, Default)]
pub struct Passage {
    entries: Vec<Entry>,
    /// Where each undoable step's entries begin.
    steps: Vec<usize>,
    /// Entries of undone steps, most recent last.
    undone: Vec<Vec<Entry>>,
}

impl Passage {
    /// A passage that starts with what `session` reported last (a new session's start:
    /// its commands and its first node), and what it shows now.
    pub fn new(story: &Story, session: &Session) -> Passage {
        let mut passage = Passage::default();
        passage.events(story, session);
        passage.show(session.current_node(), session.text());
        passage
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Records a new step: the choice taken (if one was) and what the session's events
    /// show. A new step forgets the undone ones, as the session does.
    pub fn step(&mut self, story: &Story, session: &Session, chosen: Option<String>) {
        self.undone.clear();
        self.steps.push(self.entries.len());
        if let Some(text) = chosen {
            self.entries.push(Entry::Chosen(text));
        }
        self.events(story, session);
    }

    /// Takes back the last step's entries, then shows the restored node.
    pub fn undo(&mut self, session: &Session) {
        if let Some(start) = self.steps.pop() {
            self.undone.push(self.entries.split_off(start));
        }
        self.show(session.current_node(), session.text());
    }

    /// Puts back the last undone step's entries, then shows the current node.
    pub fn redo(&mut self, session: &Session) {
        if let Some(entries) = self.undone.pop() {
            self.steps.push(self.entries.len());
            self.entries.extend(entries);
        }
        self.show(session.current_node(), session.text());
    }

    /// What a reload did to the session: notes for moved flows and reset variables, the
    /// current node's new text, and a step if the session had to advance.
    pub fn reloaded(&mut self, story: &Story, session: &Session) {
        let advanced = session
            .events()
            .iter()
            .any(|e| matches!(e, Event::NodeEntered { .. }));
        if advanced {
            // An advance is a new step: the session forgets its undone steps, and so do we.
            self.undone.clear();
            self.steps.push(self.entries.len());
        }
        self.events(story, session);
    }

    /// Starts over from what `session` shows (after loading a save), with a note.
    pub fn restart(&mut self, session: &Session, note: String) {
        *self = Passage::default();
        self.entries.push(Entry::Note(note));
        self.show(session.current_node(), session.text());
    }

    fn events(&mut self, story: &Story, session: &Session) {
        for event in session.events() {
            match *event {
                Event::NodeEntered { node, text, .. } => self.entries.push(Entry::Text {
                    node,
                    text: session.passage(text).to_owned(),
                }),
                Event::NodeShown { node, text, .. } => {
                    self.show(Some(node), session.passage(text));
                }
                Event::FlowSwitched { to, .. } => self
                    .entries
                    .push(Entry::Note(format!("flow {}", story.flow_name(to)))),
                Event::Relocated { from, to, .. } => self.entries.push(Entry::Note(format!(
                    "{} was removed by an edit; back at {}",
                    story.node_name(from),
                    story.node_name(to)
                ))),
                Event::ReturnRelocated { from, to, .. } => {
                    self.entries.push(Entry::Note(format!(
                        "{} was removed by an edit; the call returns to {} instead",
                        story.node_name(from),
                        story.node_name(to)
                    )));
                }
                // A command for the game, dimmed as the runner's notes are.
                Event::Command { command, args } => {
                    self.entries.push(Entry::Note(crate::report::command_call(
                        story.command_name(command),
                        session.command_args(args),
                    )))
                }
                Event::VariableReset { var, ref new, .. } => {
                    self.entries.push(Entry::Note(format!(
                        "{} reset to {new}: its type changed",
                        story.var_name(var)
                    )));
                }
                // ChoiceMade, VariableChanged, StoryEnded and events a later engine
                // may add do not show in the passage.
                _ => {}
            }
        }
    }

    /// Shows `node`'s `text`: rewrites the last entry if it is that node (shown again,
    /// perhaps changed by an edit), else adds it.
    fn show(&mut self, node: Option<NodeId>, text: &str) {
        let Some(node) = node else { return };
        if let Some(Entry::Text {
            node: last,
            text: shown,
        }) = self.entries.last_mut()
            && *last == node
        {
            if shown != text {
                text.clone_into(shown);
            }
            return;
        }
        self.entries.push(Entry::Text {
            node,
            text: text.to_owned(),
        });
    }
}
