//! One input type for every device. A keyboard, a game controller and a script all map
//! what the player did to an [`Input`], and [`Controls`] applies it to a session: the same
//! path whatever the device, so a controller cannot do what a script cannot test.
//!
//! `Controls` keeps the highlighted choice (the one `Confirm` takes) and applies the
//! inputs that concern the session; saving, loading and quitting come back as
//! [`Outcome::ForRunner`], since only the runner knows where saves go. What a runner
//! shows (menus, panels, scrolling) is the runner's own business, not an engine input.

use crate::runtime::{RuntimeError, Session};
use crate::story::{ChoiceId, FlowId, Story};

/// Something the player asked for, whatever the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// Highlight the previous displayed choice.
    Up,
    /// Highlight the next displayed choice.
    Down,
    /// Take the highlighted choice.
    Confirm,
    /// Take the displayed choice at this index (0-based; players see numbers from 1).
    Choose(usize),
    /// Undo the last step.
    Undo,
    /// Redo the last undone step.
    Redo,
    /// Switch to a flow.
    SwitchFlow(FlowId),
    /// Save the session; the runner decides where (a slot, a file).
    Save,
    /// Load a saved session; the runner decides from where.
    Load,
    /// Stop playing.
    Quit,
}

/// What [`Controls::apply`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The session took a step, undid or redid one; [`Session::events`] say what happened.
    Played,
    /// The highlight moved to this index.
    Moved(usize),
    /// The input asks for nothing here (Up on the first choice, Confirm with no choice).
    Nothing,
    /// An input that concerns the runner, not the session.
    ForRunner(Input),
}

/// Why a scripted or typed command is not an input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The command is not one the runner knows.
    #[error("unknown command `{0}` (a choice number, undo, redo, flow NAME, save, load, quit)")]
    Unknown(String),
    /// Choices are numbered from 1.
    #[error("choices are numbered from 1; there is no choice 0")]
    ChoiceZero,
    /// `flow NAME` names no flow of the story.
    #[error("the story has no flow `{0}`")]
    UnknownFlow(String),
}

impl Input {
    /// Parses a command as typed in line mode or given with `--choices`: a 1-based choice
    /// number, `undo` (`u`), `redo` (`r`), `flow NAME` (or `flow:NAME`), `save`, `load`,
    /// `quit` (`q`). Surrounding blanks are ignored.
    ///
    /// # Errors
    /// An unknown command, choice 0, or a flow the story does not have.
    ///
    /// # Examples
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("qnce-doc-input-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # std::fs::write(dir.join("story.ron"), r#"Story(title: "t", start: "a", nodes: { "a": (text: "Hi") })"#)?;
    /// use qnce_core::input::Input;
    /// let story = qnce_load::load(&dir, &qnce_load::Limits::default())?.value;
    /// assert_eq!(Input::parse("2", &story)?, Input::Choose(1));
    /// assert_eq!(Input::parse(" undo ", &story)?, Input::Undo);
    /// assert_eq!(Input::parse("flow main", &story)?, Input::SwitchFlow(story.main_flow()));
    /// assert!(Input::parse("dance", &story).is_err());
    /// # Ok(()) }
    /// ```
    pub fn parse(command: &str, story: &Story) -> Result<Input, InputError> {
        let command = command.trim();
        let input = match command {
            "undo" | "u" => Input::Undo,
            "redo" | "r" => Input::Redo,
            "save" => Input::Save,
            "load" => Input::Load,
            "quit" | "q" => Input::Quit,
            c => match (flow_argument(c), c.parse::<usize>()) {
                (Some(name), _) => Input::SwitchFlow(
                    story
                        .flow_id(name)
                        .ok_or_else(|| InputError::UnknownFlow(name.to_owned()))?,
                ),
                (None, Ok(0)) => return Err(InputError::ChoiceZero),
                (None, Ok(n)) => Input::Choose(n - 1),
                (None, Err(_)) => return Err(InputError::Unknown(c.to_owned())),
            },
        };
        Ok(input)
    }
}

/// The flow named by `flow NAME` or `flow:NAME` (both are accepted everywhere; the docs
/// show the first), or `None` when `command` is not a flow switch (`flowers` is not).
fn flow_argument(command: &str) -> Option<&str> {
    let rest = command.strip_prefix("flow")?;
    let name = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix(char::is_whitespace))?;
    Some(name.trim())
}

/// The highlighted choice, and the one place where inputs reach a session.
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("qnce-doc-controls-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # std::fs::write(dir.join("story.ron"), r#"Story(title: "t", start: "a", nodes: {
/// #     "a": (text: "Hi", choices: [(text: "Left", to: "l"), (text: "Right", to: "r")]),
/// #     "l": (text: "L"), "r": (text: "R"),
/// # })"#)?;
/// use qnce_core::input::{Controls, Input, Outcome};
/// let story = qnce_load::load(&dir, &qnce_load::Limits::default())?.value;
/// let mut session = qnce_core::Session::new(&story, qnce_core::SessionConfig::with_seed(1))?;
/// let mut controls = Controls::default();
/// assert_eq!(controls.apply(&story, &mut session, Input::Down)?, Outcome::Moved(1));
/// assert_eq!(controls.apply(&story, &mut session, Input::Confirm)?, Outcome::Played);
/// assert_eq!(session.text(), "R");
/// assert_eq!(controls.apply(&story, &mut session, Input::Save)?, Outcome::ForRunner(Input::Save));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Controls {
    selected: usize,
    /// The highlighted choice's id, so that the highlight stays on it when a reload
    /// reorders or removes choices.
    selected_id: Option<ChoiceId>,
}

impl Controls {
    /// The highlighted choice's index among the displayed choices.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Applies `input` to `session`. Steps reset the highlight to the first choice.
    ///
    /// # Errors
    /// The session call's error; the session is then unchanged.
    pub fn apply(
        &mut self,
        story: &Story,
        session: &mut Session,
        input: Input,
    ) -> Result<Outcome, RuntimeError> {
        let _span = tracing::debug_span!("input").entered();
        let n_choices = session.n_choices();
        match input {
            Input::Up | Input::Down => {
                let to = if input == Input::Up {
                    self.selected.saturating_sub(1)
                } else {
                    (self.selected + 1).min(n_choices.saturating_sub(1))
                };
                if to == self.selected {
                    return Ok(Outcome::Nothing);
                }
                self.select(session, to);
                Ok(Outcome::Moved(to))
            }
            Input::Confirm => {
                if n_choices == 0 {
                    return Ok(Outcome::Nothing);
                }
                let index = self.selected.min(n_choices - 1);
                self.step(session, |s| s.choose(story, index))
            }
            Input::Choose(index) => self.step(session, |s| s.choose(story, index)),
            Input::Undo => self.step(session, |s| s.undo(story)),
            Input::Redo => self.step(session, |s| s.redo(story)),
            Input::SwitchFlow(flow) => self.step(session, |s| s.switch_flow(story, flow)),
            other => Ok(Outcome::ForRunner(other)),
        }
    }

    /// Keeps the highlight on the same choice after the session changed outside
    /// [`Controls::apply`] (a reload, a restored save): on its new index if it is still
    /// displayed, else on the nearest index that exists.
    pub fn follow(&mut self, session: &Session) {
        let found = self
            .selected_id
            .and_then(|id| session.choices().position(|(view, _)| view.id == id));
        let index = found.unwrap_or(self.selected);
        self.select(session, index.min(session.n_choices().saturating_sub(1)));
    }

    /// Highlights the first choice of what the session shows now.
    pub fn reset(&mut self, session: &Session) {
        self.select(session, 0);
    }

    fn select(&mut self, session: &Session, index: usize) {
        self.selected = index;
        self.selected_id = session.choices().nth(index).map(|(view, _)| view.id);
    }

    fn step(
        &mut self,
        session: &mut Session,
        call: impl FnOnce(&mut Session) -> Result<&[crate::Event], RuntimeError>,
    ) -> Result<Outcome, RuntimeError> {
        call(session)?;
        self.reset(session);
        Ok(Outcome::Played)
    }
}
