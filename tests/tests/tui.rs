//! The full-screen runner drawn into ratatui's `TestBackend`: snapshots of whole screens
//! (stored in `tests/golden/tui/`; run with `QNCE_BLESS=1` to rewrite them after an
//! intended change, and review the diff), and the behaviour behind them: steps, undo,
//! panels, menus, save slots, reload banners and rejected edits, resizing, controllers.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use qnce::reload::Host;
use qnce::{Limits, SessionConfig};
use qnce_cli::action::Action;
use qnce_cli::tui::passage::Entry;
use qnce_cli::tui::slots::Slots;
use qnce_cli::tui::{App, AppConfig, BANNER_TIME, BannerKind, PadSupport};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};

use crate::support::{TempDir, root, story_dir};

const STORY: &str = r#"Story(
    title: "The Keeper",
    start: "shore",
    variables: { "oil": Int(0), "name": Str("Ada") },
    flows: { "radio": "static" },
    nodes: {
        "shore": (
            text: "Waves batter the rocks below the lighthouse, and the wind carries salt and the smell of rain far inland. {name} has {oil} measures of oil.",
            choices: [
                (text: "Search the boathouse for oil", to: "boathouse"),
                (text: "Climb to the lamp room", to: "lamp"),
            ],
        ),
        "boathouse": (
            text: "Nets, rope, and a can of oil.",
            choices: [(text: "Take the oil and go back", to: "shore", set: ["oil += 2"])],
        ),
        "lamp": (text: "The great lamp is cold.", choices: [(text: "Light it", to: "lit", when: "oil > 0")]),
        "lit": (text: "Light sweeps the sea."),
        "static": (text: "The radio hisses.", choices: [(text: "Listen", to: "static")]),
    },
)"#;

/// An app over a copy of `STORY` in a temporary directory; saves go to `saves`.
struct Fixture {
    dir: TempDir,
    app: App,
    now: Instant,
}

impl Fixture {
    fn new(tag: &str) -> Fixture {
        Fixture::with_story(tag, STORY)
    }

    fn with_story(tag: &str, text: &str) -> Fixture {
        Fixture::in_dir(story_dir(tag, text))
    }

    /// An app over the story in `dir`.
    fn in_dir(dir: TempDir) -> Fixture {
        let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
        let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
        // A relative, never-created directory keeps the help screen's path the same in
        // every run; tests that save use `with_slots`.
        let slots = Slots::new(PathBuf::from("saves"), 3);
        let app = App::new(
            host,
            player,
            AppConfig {
                slots,
                watching: true,
            },
        );
        Fixture {
            dir,
            app,
            now: Instant::now(),
        }
    }

    fn press(&mut self, inputs: &[Action]) {
        for &input in inputs {
            self.app.input(input, self.now);
        }
    }

    fn screen(&mut self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let frame = terminal.draw(|f| self.app.draw(f)).unwrap();
        buffer_text(frame.buffer)
    }

    /// Rewrites the story file with `edit` applied and reloads it.
    fn edit(&mut self, edit: impl FnOnce(&str) -> String) {
        let path = self.dir.path().join("story.ron");
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = edit(&text);
        assert_ne!(edited, text, "the edit changes the story");
        std::fs::write(&path, edited).unwrap();
        self.app.reload(Some(&[path]), self.now);
    }
}

fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Replaces a reload's measured time with `#.#`, keeping the line's width.
fn mask_timing(screen: &str) -> String {
    let mut out = String::new();
    for line in screen.lines() {
        let masked = match line.find("Reloaded in ") {
            Some(at) => {
                let start = at + "Reloaded in ".len();
                let end = start + line[start..].find(" ms").unwrap();
                let width = line[start..end].chars().count();
                format!(
                    "{}#.#{}{}",
                    &line[..start],
                    "─".repeat(width - 3),
                    &line[end..]
                )
            }
            None => line.to_owned(),
        };
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

fn check_snapshot(name: &str, screen: &str) {
    let path = root().join("tests/golden/tui").join(format!("{name}.txt"));
    if std::env::var_os("QNCE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, screen).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with QNCE_BLESS=1", path.display()));
    assert_eq!(
        screen,
        expected,
        "screen {name} differs from {}",
        path.display()
    );
}

#[test]
fn the_first_screen_shows_the_passage_the_choices_and_the_status_line() {
    let mut f = Fixture::new("tui-start");
    let screen = f.screen(80, 16);
    check_snapshot("start", &screen);
    assert!(screen.contains("▶ 1. Search the boathouse for oil"));
    assert!(screen.contains("The Keeper │ flow main │ node shore │ turn 0"));
}

#[test]
fn the_highlighted_choice_is_drawn_reversed() {
    let mut f = Fixture::new("tui-highlight");
    f.press(&[Action::Down]);
    let mut terminal = Terminal::new(TestBackend::new(80, 16)).unwrap();
    let frame = terminal.draw(|frame| f.app.draw(frame)).unwrap();
    let buffer = frame.buffer;
    let row_of = |needle: &str| {
        (0..buffer.area.height)
            .find(|&y| {
                let line: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect();
                line.contains(needle)
            })
            .unwrap()
    };
    let reversed = |y: u16| {
        (0..buffer.area.width).any(|x| buffer[(x, y)].modifier.contains(Modifier::REVERSED))
    };
    assert!(reversed(row_of("2. Climb to the lamp room")));
    assert!(!reversed(row_of("1. Search the boathouse")));
}

#[test]
fn choosing_adds_the_choice_and_the_next_node_to_the_passage() {
    let mut f = Fixture::new("tui-choose");
    f.press(&[Action::Confirm, Action::Choose(0)]);
    let screen = f.screen(80, 20);
    check_snapshot("after-two-choices", &screen);
    assert_eq!(f.app.session().turns(), 2);
    let entries = f.app.passage().entries();
    assert!(matches!(&entries[1], Entry::Chosen(t) if t == "Search the boathouse for oil"));
    assert!(matches!(&entries[2], Entry::Text { text, .. } if text.starts_with("Nets, rope")));
    assert!(
        matches!(&entries[4], Entry::Text { text, .. } if text.ends_with("Ada has 2 measures of oil."))
    );
}

#[test]
fn undo_takes_back_a_step_and_redo_puts_it_back() {
    let mut f = Fixture::new("tui-undo");
    f.press(&[Action::Confirm, Action::Confirm]);
    let after_two = f.app.passage().entries().to_vec();
    f.press(&[Action::Undo]);
    assert_eq!(f.app.session().turns(), 1);
    assert_eq!(f.app.passage().entries(), &after_two[..3]);
    f.press(&[Action::Undo]);
    assert_eq!(f.app.passage().entries(), &after_two[..1]);
    f.press(&[Action::Redo, Action::Redo]);
    assert_eq!(f.app.passage().entries(), &after_two[..]);
    // Undo with nothing to undo says so and changes nothing.
    let mut fresh = Fixture::new("tui-undo-nothing");
    fresh.press(&[Action::Undo]);
    let banner = fresh.app.banner().unwrap();
    assert_eq!(
        (banner.kind, banner.title.as_str()),
        (BannerKind::Problem, "nothing to undo")
    );
}

#[test]
fn the_variables_panel_shows_values_and_visit_counts() {
    let mut f = Fixture::new("tui-vars");
    f.press(&[Action::Confirm, Action::Confirm, Action::ToggleVariables]);
    let screen = f.screen(80, 16);
    check_snapshot("variables", &screen);
    assert!(screen.contains("oil = 2"));
    assert!(screen.contains("shore ×2"));
    f.press(&[Action::ToggleVariables]);
    assert!(!f.screen(80, 16).contains("oil = 2"));
}

#[test]
fn the_help_lists_keys_and_controller_buttons() {
    let mut f = Fixture::new("tui-help");
    f.press(&[Action::Help]);
    let screen = f.screen(80, 24);
    check_snapshot("help", &screen);
    // While the help is open, inputs close it rather than play.
    f.press(&[Action::Confirm]);
    assert_eq!(f.app.session().turns(), 0);
    assert!(!f.screen(80, 24).contains("Controller"));
}

#[test]
fn a_reload_shows_what_changed_and_the_word_diff_of_the_current_node() {
    let mut f = Fixture::new("tui-reload");
    f.edit(|s| s.replace("Waves batter the rocks", "Grey waves pound the rocks"));
    let banner = f.app.banner().unwrap();
    assert_eq!(banner.kind, BannerKind::Reload);
    let screen = mask_timing(&f.screen(80, 20));
    check_snapshot("reload-banner", &screen);
    assert!(screen.contains("changed shore (text)"));
    assert!(
        screen.contains(
            "[-Waves-]{+Grey waves+} [-batter-]{+pound+} the rocks below the lighthouse, …"
        ),
        "{screen}"
    );
    // The passage shows the new text, and the session kept its place.
    assert!(screen.contains("Grey waves pound the rocks"));
    // The banner goes after its time.
    assert!(!f.app.tick(f.now + BANNER_TIME - Duration::from_millis(1)));
    assert!(f.app.tick(f.now + BANNER_TIME));
    assert!(f.app.banner().is_none());
}

#[test]
fn the_diff_is_drawn_in_colour() {
    let mut f = Fixture::new("tui-reload-colour");
    f.edit(|s| s.replace("Waves batter", "Grey waves pound"));
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
    let frame = terminal.draw(|frame| f.app.draw(frame)).unwrap();
    let cells: Vec<_> = frame.buffer.content().iter().collect();
    let text: String = cells.iter().map(|c| c.symbol()).collect();
    let removed = text.find("[-Waves").unwrap();
    let added = text.find("{+Grey").unwrap();
    // Byte offsets equal cell offsets up to here: the text before is ASCII and box lines
    // (3 bytes a cell), so count cells instead.
    let cell_at = |byte: usize| text[..byte].chars().count();
    assert_eq!(cells[cell_at(removed)].fg, Color::Red);
    assert_eq!(cells[cell_at(added)].fg, Color::Green);
}

#[test]
fn a_rejected_edit_shows_its_errors_until_fixed_while_play_goes_on() {
    let mut f = Fixture::new("tui-rejected");
    f.edit(|s| s.replace(r#"to: "lamp""#, r#"to: "lamp_room""#));
    // No snapshot: the error names the temporary directory, whose length varies.
    let screen = f.screen(100, 20);
    assert!(
        screen.contains("Reload rejected: still playing the previous version"),
        "{screen}"
    );
    assert!(
        screen.contains("story.ron:11:54: error: choice leads to `lamp_room`"),
        "{screen}"
    );
    assert_eq!(f.app.errors().len(), 1);
    let error = &f.app.errors()[0];
    assert!(error.contains("story.ron:11:54: "), "{error}");
    assert!(error.contains("lamp_room"), "{error}");
    // Play goes on with the old story.
    f.press(&[Action::Down, Action::Confirm]);
    assert_eq!(f.app.session().text(), "The great lamp is cold.");
    assert_eq!(
        f.app.errors().len(),
        1,
        "the errors stay while the file is broken"
    );
    // Fixed: the panel goes.
    f.edit(|s| s.replace(r#"to: "lamp_room""#, r#"to: "lamp""#));
    assert!(f.app.errors().is_empty());
    assert!(!f.screen(100, 20).contains("Reload rejected"));
}

#[test]
fn resizing_reflows_the_passage() {
    let mut f = Fixture::new("tui-resize");
    let wide = f.screen(80, 14);
    let narrow = f.screen(40, 14);
    check_snapshot("narrow", &narrow);
    assert!(wide.contains("Waves batter the rocks below the lighthouse, and the wind carries"));
    assert!(narrow.contains("Waves batter the rocks below the"));
    for line in narrow.lines() {
        assert!(line.chars().count() <= 40);
    }
}

#[test]
fn scrolling_shows_earlier_passage_and_a_step_returns_to_the_end() {
    let mut f = Fixture::with_story(
        "tui-scroll",
        r#"Story(title: "Loop", start: "a", nodes: {
            "a": (text: "Room A.", choices: [(text: "To B", to: "b")]),
            "b": (text: "Room B.", choices: [(text: "To A", to: "a")]),
        })"#,
    );
    for _ in 0..12 {
        f.press(&[Action::Confirm]);
    }
    let bottom = f.screen(40, 12);
    assert!(!bottom.contains("more (PgDn)"));
    f.press(&[
        Action::ScrollUp,
        Action::ScrollUp,
        Action::ScrollUp,
        Action::ScrollUp,
    ]);
    let scrolled = f.screen(40, 12);
    assert!(scrolled.contains("more (PgDn)"), "{scrolled}");
    assert_ne!(scrolled, bottom);
    // Scrolling back past the start stops at the first line.
    for _ in 0..100 {
        f.press(&[Action::ScrollUp]);
    }
    let top = f.screen(40, 12);
    assert!(top.lines().nth(1).unwrap().contains("Room A."), "{top}");
    f.press(&[Action::Confirm]);
    assert!(!f.screen(40, 12).contains("more (PgDn)"));
}

#[test]
fn saving_and_loading_a_slot_restores_the_session() {
    let mut f = Fixture::new("tui-slots");
    let saves = TempDir::new("tui-slots-saves");
    let slots = Slots::new(saves.path().join("nested"), 3);
    f.app = {
        let mut host = Host::open(f.dir.path(), &Limits::default()).unwrap().value;
        let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
        App::new(
            host,
            player,
            AppConfig {
                slots: slots.clone(),
                watching: false,
            },
        )
    };
    f.press(&[Action::Confirm]);
    // Save to slot 2: open the list, move down, confirm.
    f.press(&[Action::Save, Action::Down, Action::Confirm]);
    assert_eq!(f.app.banner().unwrap().title, "Saved to slot 2");
    assert!(slots.path(2).exists());
    let tmp_left: Vec<_> = std::fs::read_dir(saves.path().join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        tmp_left.len(),
        1,
        "only the save, no temporary file: {tmp_left:?}"
    );
    f.press(&[Action::Confirm, Action::Confirm]);
    assert_eq!(f.app.session().turns(), 3);
    // The load list shows what each slot holds (once the banner, which names the
    // temporary directory, is gone).
    assert!(f.app.tick(f.now + BANNER_TIME));
    f.press(&[Action::Load]);
    let screen = f.screen(80, 20);
    check_snapshot("load-slots", &screen);
    assert!(screen.contains("2  main · boathouse · turn 1"));
    // Choosing 2 (as the key 2 does) loads it.
    f.press(&[Action::Choose(1)]);
    assert_eq!(f.app.banner().unwrap().title, "Loaded slot 2");
    assert_eq!(f.app.session().turns(), 1);
    assert_eq!(f.app.session().text(), "Nets, rope, and a can of oil.");
    assert!(matches!(&f.app.passage().entries()[0], Entry::Note(n) if n == "loaded slot 2"));
    // An empty slot says so and changes nothing.
    f.press(&[Action::Load, Action::Choose(2)]);
    assert_eq!(f.app.banner().unwrap().title, "Slot 3 is empty");
    assert_eq!(f.app.session().turns(), 1);
}

#[test]
fn the_menu_reaches_save_load_flows_and_quit() {
    let mut f = Fixture::new("tui-menu");
    f.press(&[Action::Menu]);
    check_snapshot("menu", &f.screen(60, 16));
    // Menu > Switch flow… > radio.
    f.press(&[Action::Down, Action::Down, Action::Down, Action::Confirm]);
    let screen = f.screen(60, 16);
    assert!(screen.contains("Switch flow"), "{screen}");
    f.press(&[Action::Down, Action::Confirm]);
    assert_eq!(f.app.session().text(), "The radio hisses.");
    assert!(f.screen(60, 16).contains("flow radio"));
    // Back closes the menu without doing anything; Quit quits.
    f.press(&[Action::Menu, Action::Back]);
    assert!(!f.app.should_quit());
    f.press(&[Action::Menu, Action::Choose(7)]);
    assert!(f.app.should_quit());
}

#[test]
fn the_status_line_follows_controllers_as_they_come_and_go() {
    let mut f = Fixture::new("tui-pads");
    f.app.set_pads(PadSupport::Connected(Vec::new()), f.now);
    assert!(
        f.app
            .banner()
            .unwrap()
            .title
            .starts_with("No controller found")
    );
    assert!(f.screen(100, 12).contains("pad: none"));
    f.app
        .pad_connected("Xbox Wireless Controller".into(), f.now);
    assert!(f.screen(100, 12).contains("pad: Xbox Wireless Controller"));
    f.app.pad_disconnected("Xbox Wireless Controller", f.now);
    assert!(f.screen(100, 12).contains("pad: none"));
    let mut unavailable = Fixture::new("tui-pads-off");
    unavailable.app.set_pads(
        PadSupport::Unavailable("controllers unavailable: no udev".into()),
        f.now,
    );
    let screen = unavailable.screen(100, 12);
    assert!(screen.contains("controllers unavailable: no udev; playing with the keyboard"));
    assert!(screen.contains("pad: unavailable"));
}

#[test]
fn the_end_says_how_to_go_on() {
    let mut f = Fixture::new("tui-end");
    f.press(&[
        Action::Confirm,
        Action::Confirm,
        Action::Down,
        Action::Confirm,
        Action::Confirm,
    ]);
    assert!(f.app.session().is_ended());
    assert!(f.screen(80, 14).contains("The end: u undoes, q quits"));
}

#[test]
fn keys_map_to_the_documented_inputs() {
    use qnce_cli::tui::keys;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
    let cases = [
        (KeyCode::Up, Some(Action::Up)),
        (KeyCode::Char('k'), Some(Action::Up)),
        (KeyCode::Down, Some(Action::Down)),
        (KeyCode::Char('j'), Some(Action::Down)),
        (KeyCode::Enter, Some(Action::Confirm)),
        (KeyCode::Char('1'), Some(Action::Choose(0))),
        (KeyCode::Char('9'), Some(Action::Choose(8))),
        (KeyCode::Char('0'), None),
        (KeyCode::Char('u'), Some(Action::Undo)),
        (KeyCode::Char('r'), Some(Action::Redo)),
        (KeyCode::Char('s'), Some(Action::Save)),
        (KeyCode::Char('l'), Some(Action::Load)),
        (KeyCode::Char('f'), Some(Action::FlowMenu)),
        (KeyCode::Char('v'), Some(Action::ToggleVariables)),
        (KeyCode::Char('?'), Some(Action::Help)),
        (KeyCode::PageUp, Some(Action::ScrollUp)),
        (KeyCode::PageDown, Some(Action::ScrollDown)),
        (KeyCode::Esc, Some(Action::Back)),
        (KeyCode::Char('q'), Some(Action::Quit)),
        (KeyCode::Char('x'), None),
    ];
    for (code, expected) in cases {
        assert_eq!(keys::input(KeyEvent::from(code)), expected, "{code:?}");
    }
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(keys::input(ctrl_c), Some(Action::Quit));
    let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(
        keys::input(ctrl_u),
        None,
        "a modified key is not the plain key"
    );
    let release =
        KeyEvent::new_with_kind(KeyCode::Enter, KeyModifiers::NONE, KeyEventKind::Release);
    assert_eq!(keys::input(release), None, "a release does not act twice");
}

#[test]
fn wrapping_counts_display_columns_and_keeps_each_pieces_style() {
    use qnce_cli::tui::wrap::{wrap, wrap_line};
    use ratatui::style::{Color, Style};
    use ratatui::text::{Line, Span};

    // Wide characters take two columns; a word wider than the line is cut.
    let lines = wrap("灯台守 の話 lighthousekeeper", 6);
    assert_eq!(lines, ["灯台守", "の話", "lighth", "ouseke", "eper"]);
    assert!(lines.iter().all(|l| Line::raw(l.as_str()).width() <= 6));
    // The text's own line breaks stay.
    assert_eq!(wrap("one two\nthree", 20), ["one two", "three"]);

    let red = Style::new().fg(Color::Red);
    let line = Line::from(vec![Span::raw("keep "), Span::styled("this red text", red)]);
    let wrapped = wrap_line(&line, 9);
    let texts: Vec<String> = wrapped.iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["keep this", "red text"]);
    let styles: Vec<Vec<Style>> = wrapped
        .iter()
        .map(|l| l.spans.iter().map(|s| s.style).collect())
        .collect();
    assert_eq!(styles, [vec![Style::new(), red], vec![red, red]]);
}

/// The market example full-screen: a command's dimmed note, a detour that returns to its
/// caller, a call inside a call, variations and conditional text.
#[test]
fn the_market_story_plays_calls_commands_and_variations_full_screen() {
    let text = std::fs::read_to_string(root().join("stories/market/story.ron")).unwrap();
    let mut f = Fixture::with_story("tui-market", &text);
    // Ask the crier (a detour back to the gate), then haggle at the stalls (a call whose
    // chain calls again) and buy the lantern (two commands).
    f.press(&[
        Action::Choose(1),
        Action::Choose(0),
        Action::Choose(0),
        Action::Choose(1),
        Action::Choose(0),
    ]);
    let screen = f.screen(80, 40);
    check_snapshot("market", &screen);
    assert_eq!(f.app.session().call_depth(), 0);
    let notes: Vec<_> = f
        .app
        .passage()
        .entries()
        .iter()
        .filter_map(|e| match e {
            Entry::Note(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "play_sound(\"bells\")",
            "shake(0.25, 6)",
            "play_sound(\"coins\")",
            "shake(0.5, 12)"
        ]
    );
}

/// The menu switches language: the current node is shown again in place in the new
/// language, and play goes on in it.
#[test]
fn the_menu_switches_language_in_place() {
    let dir = TempDir::copy_of(&root().join("stories/market"), "tui-language");
    let mut f = Fixture::in_dir(dir);
    let n_entries = f.app.passage().entries().len();
    // Menu > Language… > pl (after "As written" and de).
    f.press(&[Action::Menu, Action::Choose(4)]);
    assert!(f.screen(60, 16).contains("As written (current)"));
    f.press(&[Action::Choose(2)]);
    assert_eq!(f.app.session().locale(), Some("pl"));
    assert!(
        f.app.session().text().starts_with("Latarnie kołyszą się"),
        "{}",
        f.app.session().text()
    );
    assert_eq!(f.app.passage().entries().len(), n_entries);
    assert!(
        matches!(f.app.passage().entries().last(), Some(Entry::Text { text, .. }) if text.starts_with("Latarnie"))
    );
    f.press(&[Action::Choose(0)]);
    assert_eq!(f.app.session().text(), "Stragany zapełniają plac.");
}
