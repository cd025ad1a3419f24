//! Game controllers: gilrs's own events, fed into a real `Gilrs` (default filters off)
//! with `insert_event`, read back with `next_event` and mapped. This machine has no
//! /dev/input and no uinput, so no virtual device can stand in for hardware; the boundary
//! is gilrs's event queue. Gamepad ids and event codes are made through gilrs's serde
//! support, as no public constructor exists.

use std::time::{Duration, Instant};

use gilrs::ev::Code;
use gilrs::{Axis, Button, Event, EventType, GamepadId, Gilrs};
use qnce_cli::action::Action;
use qnce_cli::pad::{Mapper, PadConfig, PadEvent};

fn pad_id(n: usize) -> GamepadId {
    serde_json::from_value(serde_json::json!(n)).unwrap()
}

/// An evdev code (Linux's `EvCode`); the mapping reads the button or axis, not the code.
fn code() -> Code {
    serde_json::from_value(serde_json::json!({"kind": 1, "code": 304})).unwrap()
}

fn gilrs() -> Gilrs {
    qnce_cli::pad::open().unwrap()
}

/// Feeds `events` through a real `Gilrs` and maps what comes out, each at `at`.
fn map_all(mapper: &mut Mapper, events: &[EventType], at: Instant) -> Vec<PadEvent> {
    let mut gilrs = gilrs();
    for &event in events {
        gilrs.insert_event(Event::new(pad_id(0), event));
    }
    let mut out = Vec::new();
    while let Some(event) = gilrs.next_event() {
        out.extend(mapper.event(&event, Some("Test Pad"), at));
    }
    out
}

fn inputs(events: &[PadEvent]) -> Vec<Action> {
    events
        .iter()
        .filter_map(|e| match e {
            PadEvent::Action(i) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn buttons_map_to_the_documented_inputs() {
    let cases = [
        (Button::DPadUp, Action::Up),
        (Button::DPadDown, Action::Down),
        (Button::South, Action::Confirm),
        (Button::East, Action::Undo),
        (Button::North, Action::Redo),
        (Button::Start, Action::Menu),
        (Button::Select, Action::ToggleVariables),
        (Button::LeftTrigger, Action::ScrollUp),
        (Button::RightTrigger, Action::ScrollDown),
    ];
    for (button, expected) in cases {
        let mut mapper = Mapper::default();
        let out = map_all(
            &mut mapper,
            &[EventType::ButtonPressed(button, code())],
            Instant::now(),
        );
        assert_eq!(inputs(&out), [expected], "{button:?}");
    }
    let mut mapper = Mapper::default();
    let unmapped = [
        EventType::ButtonPressed(Button::West, code()),
        EventType::ButtonReleased(Button::South, code()),
        EventType::ButtonChanged(Button::South, 1.0, code()),
        EventType::AxisChanged(Axis::RightStickY, 1.0, code()),
    ];
    assert_eq!(map_all(&mut mapper, &unmapped, Instant::now()), []);
}

#[test]
fn the_left_stick_moves_past_its_deadzone_once_per_push() {
    let mut mapper = Mapper::new(PadConfig {
        deadzone: 0.5,
        ..PadConfig::default()
    });
    let t = Instant::now();
    let stick = |v| EventType::AxisChanged(Axis::LeftStickY, v, code());
    // Inside the deadzone: nothing. Pushed down (gilrs's y is positive upwards): one Down,
    // however far it goes on that side. Back to the middle, then up: one Up.
    let events = [
        stick(0.2),
        stick(-0.49),
        stick(-0.6),
        stick(-0.9),
        stick(-0.7),
        stick(0.1),
        stick(0.8),
    ];
    assert_eq!(
        inputs(&map_all(&mut mapper, &events, t)),
        [Action::Down, Action::Up]
    );
}

#[test]
fn a_dpad_reported_as_an_axis_moves_too() {
    let mut mapper = Mapper::default();
    let hat = |v| EventType::AxisChanged(Axis::DPadY, v, code());
    let events = [hat(-1.0), hat(0.0), hat(1.0), hat(0.0)];
    assert_eq!(
        inputs(&map_all(&mut mapper, &events, Instant::now())),
        [Action::Down, Action::Up]
    );
}

#[test]
fn a_held_direction_repeats_after_the_delay_until_released() {
    let config = PadConfig {
        deadzone: 0.5,
        repeat_delay: Duration::from_millis(400),
        repeat_interval: Duration::from_millis(100),
    };
    let mut mapper = Mapper::new(config);
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let pressed = map_all(
        &mut mapper,
        &[EventType::ButtonPressed(Button::DPadDown, code())],
        t0,
    );
    assert_eq!(inputs(&pressed), [Action::Down]);
    assert_eq!(mapper.next_repeat(), Some(ms(400)));
    assert_eq!(mapper.repeat(ms(399)), None, "not before the delay");
    assert_eq!(mapper.repeat(ms(400)), Some(Action::Down));
    assert_eq!(mapper.repeat(ms(450)), None);
    assert_eq!(mapper.repeat(ms(500)), Some(Action::Down));
    // Releasing another button leaves the repeat alone; releasing this one stops it.
    map_all(
        &mut mapper,
        &[EventType::ButtonReleased(Button::DPadUp, code())],
        ms(510),
    );
    assert_eq!(mapper.repeat(ms(600)), Some(Action::Down));
    map_all(
        &mut mapper,
        &[EventType::ButtonReleased(Button::DPadDown, code())],
        ms(650),
    );
    assert_eq!(mapper.repeat(ms(2000)), None);
    assert_eq!(mapper.next_repeat(), None);
    // A stick held past the deadzone repeats the same way; back inside it stops.
    let stick = |v| EventType::AxisChanged(Axis::LeftStickY, v, code());
    map_all(&mut mapper, &[stick(0.9)], ms(3000));
    assert_eq!(mapper.repeat(ms(3400)), Some(Action::Up));
    map_all(&mut mapper, &[stick(0.0)], ms(3450));
    assert_eq!(mapper.repeat(ms(3500)), None);
}

#[test]
fn controllers_connect_and_disconnect_at_any_time() {
    let mut mapper = Mapper::default();
    let mut gilrs = gilrs();
    gilrs.insert_event(Event::new(pad_id(3), EventType::Connected));
    gilrs.insert_event(Event::new(pad_id(4), EventType::Connected));
    gilrs.insert_event(Event::new(pad_id(3), EventType::Disconnected));
    let names = ["Left Pad", "Right Pad", "ignored"];
    let mut out = Vec::new();
    for name in names {
        let event = gilrs.next_event().unwrap();
        out.extend(mapper.event(&event, Some(name), Instant::now()));
    }
    assert_eq!(
        out,
        [
            PadEvent::Connected("Left Pad".into()),
            PadEvent::Connected("Right Pad".into()),
            PadEvent::Disconnected("Left Pad".into()),
        ]
    );
    assert_eq!(mapper.connected().collect::<Vec<_>>(), ["Right Pad"]);
    // A controller that disconnects while a direction is held stops the repeat.
    map_all(
        &mut mapper,
        &[EventType::ButtonPressed(Button::DPadUp, code())],
        Instant::now(),
    );
    assert!(mapper.next_repeat().is_some());
    map_all(&mut mapper, &[EventType::Disconnected], Instant::now());
    assert_eq!(mapper.next_repeat(), None);
}

#[test]
fn the_reading_thread_sends_mapped_events_with_their_read_time() {
    let mut gilrs = gilrs();
    gilrs.insert_event(Event::new(pad_id(0), EventType::Connected));
    gilrs.insert_event(Event::new(
        pad_id(0),
        EventType::ButtonPressed(Button::South, code()),
    ));
    gilrs.insert_event(Event::new(
        pad_id(0),
        EventType::ButtonPressed(Button::East, code()),
    ));
    let (tx, rx) = crossbeam_channel::unbounded();
    let before = Instant::now();
    std::thread::spawn(move || {
        qnce_cli::pad::read(gilrs, PadConfig::default(), |event, at| {
            tx.send((event, at)).is_ok()
        });
    });
    let patience = Duration::from_secs(30);
    let mut got = Vec::new();
    for _ in 0..3 {
        let (event, at) = rx.recv_timeout(patience).unwrap();
        assert!(at >= before);
        got.push(event);
    }
    assert!(matches!(&got[0], PadEvent::Connected(_)));
    assert_eq!(inputs(&got), [Action::Confirm, Action::Undo]);
}
