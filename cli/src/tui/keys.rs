//! The keyboard: which key means which [`Input`].

use qnce::input::Input;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The input a key press means, if any. Releases are ignored (terminals that report them
/// would otherwise act twice); a key held down repeats as the terminal repeats it.
pub fn input(key: KeyEvent) -> Option<Input> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c' | 'd')).then_some(Input::Quit);
    }
    let input = match key.code {
        KeyCode::Up | KeyCode::Char('k') => Input::Up,
        KeyCode::Down | KeyCode::Char('j') => Input::Down,
        KeyCode::Enter | KeyCode::Char(' ') => Input::Confirm,
        KeyCode::Char(c @ '1'..='9') => Input::Choose(usize::from(c as u8 - b'1')),
        KeyCode::Char('u') => Input::Undo,
        KeyCode::Char('r') => Input::Redo,
        KeyCode::Char('s') => Input::Save,
        KeyCode::Char('l') => Input::Load,
        KeyCode::Char('f') => Input::FlowMenu,
        KeyCode::Char('v') => Input::ToggleVariables,
        KeyCode::Char('m') => Input::Menu,
        KeyCode::Char('?') | KeyCode::F(1) => Input::Help,
        KeyCode::PageUp => Input::ScrollUp,
        KeyCode::PageDown => Input::ScrollDown,
        KeyCode::Esc => Input::Back,
        KeyCode::Char('q') => Input::Quit,
        _ => return None,
    };
    Some(input)
}
