//! Game controllers through gilrs: which button or stick means which [`Action`], with a
//! deadzone and repeat while held, and the thread that reads a [`Gilrs`] and sends what
//! it maps.
//!
//! The mapping reads gilrs's own event types and is built for a `Gilrs` without its
//! default filters (no deadzone, no axis-to-button): the D-pad may come as buttons or as
//! an axis depending on the device, and both are handled here, so that the filters are not
//! needed, and tests can feed events with [`Gilrs::insert_event`] for gamepad ids that no
//! device backs (the default filters look such ids up and panic).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::action::Action;
use gilrs::{Axis, Button, EventType, GamepadId, Gilrs, GilrsBuilder};

/// How sticks and held buttons behave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PadConfig {
    /// A stick moves the selection once pushed past this value (0 to 1).
    pub deadzone: f32,
    /// How long a direction is held before it repeats.
    pub repeat_delay: Duration,
    /// Time between repeats while it stays held.
    pub repeat_interval: Duration,
}

impl Default for PadConfig {
    fn default() -> Self {
        PadConfig {
            deadzone: 0.5,
            repeat_delay: Duration::from_millis(400),
            repeat_interval: Duration::from_millis(120),
        }
    }
}

/// What a controller event means to the runner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PadEvent {
    /// The player asked for something.
    Action(Action),
    /// A controller was connected; its name.
    Connected(String),
    /// A controller was disconnected; its name.
    Disconnected(String),
}

/// Where a held direction comes from; releasing that source stops the repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    DPadButton(Button),
    DPadAxis,
    Stick,
}

#[derive(Clone, Copy, Debug)]
struct Held {
    input: Action,
    source: Source,
    next: Instant,
}

/// Turns gilrs events into inputs, keeping which direction is held and which
/// controllers are connected.
#[derive(Debug, Default)]
pub struct Mapper {
    config: PadConfig,
    held: Option<Held>,
    /// Connected controllers' names by gilrs's gamepad id.
    connected: BTreeMap<usize, String>,
}

impl Mapper {
    /// A mapper with `config`.
    pub fn new(config: PadConfig) -> Mapper {
        Mapper {
            config,
            ..Mapper::default()
        }
    }

    /// Maps one event received at `now`. `name` is the controller's name if gilrs knows
    /// the device (it is used when the event connects it).
    pub fn event(
        &mut self,
        event: &gilrs::Event,
        name: Option<&str>,
        now: Instant,
    ) -> Option<PadEvent> {
        let input = match event.event {
            EventType::Connected => {
                let name = name.map_or_else(|| format!("controller {}", event.id), str::to_owned);
                self.connected.insert(usize::from(event.id), name.clone());
                return Some(PadEvent::Connected(name));
            }
            EventType::Disconnected => {
                self.held = None;
                let name = self
                    .connected
                    .remove(&usize::from(event.id))
                    .unwrap_or_else(|| format!("controller {}", event.id));
                return Some(PadEvent::Disconnected(name));
            }
            EventType::ButtonPressed(button, _) => match button {
                Button::DPadUp => self.hold(Action::Up, Source::DPadButton(button), now),
                Button::DPadDown => self.hold(Action::Down, Source::DPadButton(button), now),
                Button::South => Action::Confirm,
                Button::East => Action::Undo,
                Button::North => Action::Redo,
                Button::Start => Action::Menu,
                Button::Select => Action::ToggleVariables,
                Button::LeftTrigger => Action::ScrollUp,
                Button::RightTrigger => Action::ScrollDown,
                _ => return None,
            },
            EventType::ButtonReleased(button, _) => {
                self.release(Source::DPadButton(button));
                return None;
            }
            EventType::AxisChanged(Axis::DPadY, value, _) => {
                self.direction(value, 0.5, Source::DPadAxis, now)?
            }
            EventType::AxisChanged(Axis::LeftStickY, value, _) => {
                self.direction(value, self.config.deadzone, Source::Stick, now)?
            }
            _ => return None,
        };
        Some(PadEvent::Action(input))
    }

    /// The repeat of the held direction, if it is due at `now`.
    pub fn repeat(&mut self, now: Instant) -> Option<Action> {
        let held = self.held.as_mut()?;
        if now < held.next {
            return None;
        }
        held.next = now + self.config.repeat_interval;
        Some(held.input)
    }

    /// When the held direction next repeats.
    pub fn next_repeat(&self) -> Option<Instant> {
        self.held.map(|h| h.next)
    }

    /// The names of the connected controllers.
    pub fn connected(&self) -> impl Iterator<Item = &str> {
        self.connected.values().map(String::as_str)
    }

    /// An axis (gilrs's y axes are positive upwards) past `threshold` presses up or down;
    /// back inside it releases. Moving within the same side does nothing more.
    fn direction(
        &mut self,
        value: f32,
        threshold: f32,
        source: Source,
        now: Instant,
    ) -> Option<Action> {
        let input = if value >= threshold {
            Action::Up
        } else if value <= -threshold {
            Action::Down
        } else {
            self.release(source);
            return None;
        };
        if self
            .held
            .is_some_and(|h| h.source == source && h.input == input)
        {
            return None;
        }
        Some(self.hold(input, source, now))
    }

    fn hold(&mut self, input: Action, source: Source, now: Instant) -> Action {
        self.held = Some(Held {
            input,
            source,
            next: now + self.config.repeat_delay,
        });
        input
    }

    fn release(&mut self, source: Source) {
        if self.held.is_some_and(|h| h.source == source) {
            self.held = None;
        }
    }
}

/// A `Gilrs` without default filters (see the module's documentation).
///
/// # Errors
/// Why controllers cannot be used (no support on the platform, udev unusable), in words
/// for the player; the runner says so once and goes on with the keyboard.
pub fn open() -> Result<Gilrs, String> {
    match GilrsBuilder::new().with_default_filters(false).build() {
        Ok(gilrs) => Ok(gilrs),
        Err(gilrs::Error::NotImplemented(_)) => {
            Err("controllers are not supported on this platform".into())
        }
        // libudev is opened at run time (cli/libudev-sys); without it gilrs can only say
        // that it "failed to create udev context".
        Err(other) if other.to_string().contains("udev context") => {
            Err("controllers unavailable: no udev (libudev.so.1 missing?)".into())
        }
        Err(other) => Err(format!("controllers unavailable: {other}")),
    }
}

/// Reads `gilrs` on the calling thread and hands `send` each mapped event with the time
/// it was read (for input latency): first the controllers connected at the start, then
/// every event and every repeat. Returns when `send` returns `false` (its receiver is gone).
pub fn read(mut gilrs: Gilrs, config: PadConfig, mut send: impl FnMut(PadEvent, Instant) -> bool) {
    /// How long to block when nothing is held.
    const IDLE: Duration = Duration::from_millis(250);
    let mut mapper = Mapper::new(config);
    let present: Vec<(GamepadId, String)> = gilrs
        .gamepads()
        .map(|(id, pad)| (id, pad.name().to_owned()))
        .collect();
    for (id, name) in present {
        let connected = gilrs::Event::new(id, EventType::Connected);
        let now = Instant::now();
        if let Some(event) = mapper.event(&connected, Some(&name), now)
            && !send(event, now)
        {
            return;
        }
    }
    loop {
        let timeout = mapper
            .next_repeat()
            .map_or(IDLE, |at| at.saturating_duration_since(Instant::now()));
        if let Some(event) = gilrs.next_event_blocking(Some(timeout)) {
            let now = Instant::now();
            let name = gilrs
                .connected_gamepad(event.id)
                .map(|pad| pad.name().to_owned());
            if let Some(mapped) = mapper.event(&event, name.as_deref(), now)
                && !send(mapped, now)
            {
                return;
            }
        }
        let now = Instant::now();
        if let Some(input) = mapper.repeat(now)
            && !send(PadEvent::Action(input), now)
        {
            return;
        }
    }
}
