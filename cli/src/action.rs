//! What a key or a controller button asks of the full-screen runner: one of the engine's
//! [`Input`]s for the session (moving the highlight, choosing, undo, redo, flows, saving,
//! loading, quitting), or one of the runner's own verbs (its menus, panels and
//! scrolling), which the engine knows nothing of.

use qnce::FlowId;
use qnce::input::Input;

/// One thing the player asked of the full-screen runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Highlight the previous choice (or menu item).
    Up,
    /// Highlight the next choice (or menu item).
    Down,
    /// Take the highlighted choice (or menu item).
    Confirm,
    /// Take the choice (or menu item) at this index, from 0.
    Choose(usize),
    /// Undo the last step.
    Undo,
    /// Redo the last undone step.
    Redo,
    /// Switch to a flow.
    SwitchFlow(FlowId),
    /// Save to a slot.
    Save,
    /// Load from a slot.
    Load,
    /// Stop playing.
    Quit,
    /// Open the menu (a controller's Start button).
    Menu,
    /// Choose a flow to switch to.
    FlowMenu,
    /// Show or hide the variables and visit counts.
    ToggleVariables,
    /// Show or hide the help.
    Help,
    /// Scroll the passage back.
    ScrollUp,
    /// Scroll the passage forward.
    ScrollDown,
    /// Close what is open (a menu, the help, a scroll back).
    Back,
}

impl Action {
    /// The engine's input this is, or `None` for the runner's own verbs.
    pub fn input(self) -> Option<Input> {
        Some(match self {
            Action::Up => Input::Up,
            Action::Down => Input::Down,
            Action::Confirm => Input::Confirm,
            Action::Choose(index) => Input::Choose(index),
            Action::Undo => Input::Undo,
            Action::Redo => Input::Redo,
            Action::SwitchFlow(flow) => Input::SwitchFlow(flow),
            Action::Save => Input::Save,
            Action::Load => Input::Load,
            Action::Quit => Input::Quit,
            Action::Menu
            | Action::FlowMenu
            | Action::ToggleVariables
            | Action::Help
            | Action::ScrollUp
            | Action::ScrollDown
            | Action::Back => return None,
        })
    }
}
