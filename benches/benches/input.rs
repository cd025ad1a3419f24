//! Input latency inside the runner: a controller button (through a real `Gilrs`, default
//! filters off, fed with `insert_event`) or a key, mapped to an input, applied to the
//! session and the whole screen drawn (into a 100×30 `TestBackend`). Each iteration takes
//! a choice and undoes it, so two inputs and two frames; the figure per input is half.
//! What this leaves out, the terminal's own write and the thread hop, the runner measures
//! live (its help screen shows p50 and p99; see BENCHMARKS.md).
//!
//! `cargo bench -p qnce-benches --bench input`

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use gilrs::{Button, Event, EventType, GamepadId};
use qnce::reload::Host;
use qnce::{Limits, SessionConfig};
use qnce_cli::pad::Mapper;
use qnce_cli::tui::slots::Slots;
use qnce_cli::tui::{App, AppConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

fn new_app() -> App {
    let story = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stories/lighthouse");
    let mut host = Host::open(&story, &Limits::default())
        .expect("the example loads")
        .value;
    let player = host
        .add_session(SessionConfig::with_seed(1))
        .expect("the session starts");
    let config = AppConfig {
        slots: Slots::new(std::env::temp_dir().join("qnce-bench-input-saves"), 3),
        watching: false,
    };
    App::new(host, player, config)
}

fn input(c: &mut Criterion) {
    let mut group = c.benchmark_group("input");
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("test backend");

    let mut app = new_app();
    let mut gilrs = qnce_cli::pad::open().expect("gilrs starts");
    let mut mapper = Mapper::default();
    let pad: GamepadId = serde_json::from_value(serde_json::json!(0)).expect("gamepad id");
    let code = serde_json::from_value(serde_json::json!({"kind": 1, "code": 304})).expect("code");
    group.bench_function("controller-to-frame/choose+undo", |b| {
        b.iter(|| {
            for button in [Button::South, Button::East] {
                gilrs.insert_event(Event::new(pad, EventType::ButtonPressed(button, code)));
                let event = gilrs.next_event().expect("the inserted event");
                let now = Instant::now();
                if let Some(qnce_cli::pad::PadEvent::Action(input)) =
                    mapper.event(&event, None, now)
                {
                    app.input(input, now);
                }
                terminal.draw(|f| app.draw(f)).expect("draws");
            }
        })
    });
    assert_eq!(app.session().turns(), 0, "every choice was undone");

    let mut app = new_app();
    group.bench_function("key-to-frame/choose+undo", |b| {
        b.iter(|| {
            for key in [KeyCode::Enter, KeyCode::Char('u')] {
                let input = qnce_cli::tui::keys::input(KeyEvent::from(key)).expect("a mapped key");
                app.input(input, Instant::now());
                terminal.draw(|f| app.draw(f)).expect("draws");
            }
        })
    });
    assert_eq!(app.session().turns(), 0);
    group.finish();
}

criterion_group!(benches, input);
criterion_main!(benches);
