//! The keyboard: which key means which [`Action`].

use crate::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The input a key press means, if any. Releases are ignored (terminals that report them
/// would otherwise act twice); a key held down repeats as the terminal repeats it.
pub fn input(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c' | 'd')).then_some(Action::Quit);
    }
    let input = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Enter | KeyCode::Char(' ') => Action::Confirm,
        KeyCode::Char(c @ '1'..='9') => Action::Choose(usize::from(c as u8 - b'1')),
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('r') => Action::Redo,
        KeyCode::Char('s') => Action::Save,
        KeyCode::Char('l') => Action::Load,
        KeyCode::Char('f') => Action::FlowMenu,
        KeyCode::Char('v') => Action::ToggleVariables,
        KeyCode::Char('m') => Action::Menu,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::PageUp => Action::ScrollUp,
        KeyCode::PageDown => Action::ScrollDown,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    };
    Some(input)
}
