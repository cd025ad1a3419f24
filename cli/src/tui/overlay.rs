//! The overlays over the story: the menu, the save and load slots, the flow list and the
//! help, and how an action moves in them, picks from them or closes them.

use std::time::Instant;

use qnce::Session;
use qnce::input::Input;
use qnce::persist::SaveFileError;

use super::{App, BannerKind, Tone};
use crate::action::Action;

/// What a menu line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MenuItem {
    Resume,
    Save,
    Load,
    Flows,
    Languages,
    Variables,
    Help,
    Quit,
}

impl MenuItem {
    pub(super) const ALL: [MenuItem; 8] = [
        MenuItem::Resume,
        MenuItem::Save,
        MenuItem::Load,
        MenuItem::Flows,
        MenuItem::Languages,
        MenuItem::Variables,
        MenuItem::Help,
        MenuItem::Quit,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            MenuItem::Resume => "Resume",
            MenuItem::Save => "Save…",
            MenuItem::Load => "Load…",
            MenuItem::Flows => "Switch flow…",
            MenuItem::Languages => "Language…",
            MenuItem::Variables => "Variables and visits",
            MenuItem::Help => "Help",
            MenuItem::Quit => "Quit",
        }
    }
}

/// Whether the slot list saves or loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SlotMode {
    Save,
    Load,
}

/// A window over the story that takes the inputs while it is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Overlay {
    Help,
    Menu {
        selected: usize,
    },
    Slots {
        mode: SlotMode,
        selected: usize,
    },
    Flows {
        selected: usize,
    },
    /// The story's languages: as written first, then each translation.
    Languages {
        selected: usize,
    },
}

impl App {
    pub(super) fn open_slots(&mut self, mode: SlotMode) {
        self.overlay = Some(Overlay::Slots { mode, selected: 0 });
    }

    /// How many lines the open overlay lists.
    fn overlay_len(&self, overlay: Overlay) -> usize {
        match overlay {
            Overlay::Help => 0,
            Overlay::Menu { .. } => MenuItem::ALL.len(),
            Overlay::Slots { .. } => self.config.slots.n_slots(),
            Overlay::Flows { .. } => self.story().flow_ids().len(),
            Overlay::Languages { .. } => 1 + self.story().translations().len(),
        }
    }

    pub(super) fn overlay_input(&mut self, overlay: Overlay, action: Action, now: Instant) {
        let n_items = self.overlay_len(overlay);
        let selected = match overlay {
            Overlay::Help => {
                // Any key that means "back" or "help" closes the help; the rest wait.
                if matches!(
                    action,
                    Action::Help | Action::Back | Action::Undo | Action::Quit | Action::Confirm
                ) {
                    self.overlay = None;
                }
                return;
            }
            Overlay::Menu { selected }
            | Overlay::Slots { selected, .. }
            | Overlay::Flows { selected }
            | Overlay::Languages { selected } => selected,
        };
        let pick = match action {
            Action::Up => {
                self.overlay = Some(with_selected(overlay, selected.saturating_sub(1)));
                return;
            }
            Action::Down => {
                let next = (selected + 1).min(n_items.saturating_sub(1));
                self.overlay = Some(with_selected(overlay, next));
                return;
            }
            Action::Confirm => selected,
            Action::Choose(index) if index < n_items => index,
            Action::Back | Action::Undo | Action::Quit | Action::Menu => {
                self.overlay = None;
                return;
            }
            _ => return,
        };
        self.overlay = None;
        match overlay {
            Overlay::Menu { .. } => match MenuItem::ALL[pick] {
                MenuItem::Resume => {}
                MenuItem::Save => self.open_slots(SlotMode::Save),
                MenuItem::Load => self.open_slots(SlotMode::Load),
                MenuItem::Flows => self.runner_verb(Action::FlowMenu),
                MenuItem::Languages => {
                    let current = self.session().locale().map(str::to_owned);
                    let selected = self
                        .story()
                        .translations()
                        .iter()
                        .position(|t| Some(&*t.locale) == current.as_deref())
                        .map_or(0, |i| i + 1);
                    self.overlay = Some(Overlay::Languages { selected });
                }
                MenuItem::Variables => self.show_variables = !self.show_variables,
                MenuItem::Help => self.overlay = Some(Overlay::Help),
                MenuItem::Quit => self.quit = true,
            },
            Overlay::Slots {
                mode: SlotMode::Save,
                ..
            } => self.save_slot(pick + 1, now),
            Overlay::Slots {
                mode: SlotMode::Load,
                ..
            } => self.load_slot(pick + 1, now),
            Overlay::Flows { .. } => {
                if let Some(&flow) = self.story().flow_ids().get(pick) {
                    self.play(Input::SwitchFlow(flow), now);
                }
            }
            Overlay::Languages { .. } => self.switch_language(pick, now),
            Overlay::Help => {}
        }
    }

    /// Plays on in the language at `pick` of the language list (0: as written); the
    /// current node is shown again in place.
    fn switch_language(&mut self, pick: usize, now: Instant) {
        let locale = pick
            .checked_sub(1)
            .and_then(|i| self.story().translations().get(i))
            .map(|t| t.locale.to_string());
        let Some((story, session)) = self.host.play(self.player) else {
            return;
        };
        match session.set_locale(story, locale) {
            Ok(_) => self.passage.reloaded(story, session),
            Err(e) => self.notify(BannerKind::Problem, e.to_string(), Vec::new(), now),
        }
    }

    fn save_slot(&mut self, number: usize, now: Instant) {
        let save = self.session().save(self.story());
        match self.config.slots.save(number, &save) {
            Ok(path) => self.notify(
                BannerKind::Info,
                format!("Saved to slot {number}"),
                vec![vec![(path.display().to_string(), Tone::Plain)]],
                now,
            ),
            Err(e) => self.notify(
                BannerKind::Problem,
                format!("Cannot save: {e}"),
                Vec::new(),
                now,
            ),
        }
    }

    fn load_slot(&mut self, number: usize, now: Instant) {
        let save = match self.config.slots.load(number) {
            Ok(save) => save,
            Err(e) => {
                let title = match e {
                    SaveFileError::Io { source, .. }
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        format!("Slot {number} is empty")
                    }
                    e => format!("Cannot load slot {number}: {e}"),
                };
                return self.notify(BannerKind::Problem, title, Vec::new(), now);
            }
        };
        let Some(session) = self.host.session(self.player) else {
            return;
        };
        let config = session.config().clone();
        match Session::restore(self.host.story(), &save, config) {
            Ok((restored, warnings)) => {
                self.host.replace_session(self.player, restored);
                let Some(session) = self.host.session(self.player) else {
                    return;
                };
                self.passage
                    .restart(session, format!("loaded slot {number}"));
                self.controls.reset(session);
                self.scroll = 0;
                let lines = warnings
                    .into_iter()
                    .map(|w| vec![(w, Tone::Plain)])
                    .collect();
                self.notify(
                    BannerKind::Info,
                    format!("Loaded slot {number}"),
                    lines,
                    now,
                );
            }
            Err(e) => self.notify(
                BannerKind::Problem,
                format!("Cannot load slot {number}: {e}"),
                Vec::new(),
                now,
            ),
        }
    }
}

fn with_selected(overlay: Overlay, selected: usize) -> Overlay {
    match overlay {
        Overlay::Menu { .. } => Overlay::Menu { selected },
        Overlay::Slots { mode, .. } => Overlay::Slots { mode, selected },
        Overlay::Flows { .. } => Overlay::Flows { selected },
        Overlay::Languages { .. } => Overlay::Languages { selected },
        Overlay::Help => Overlay::Help,
    }
}
