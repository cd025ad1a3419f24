//! Drawing the runner: the passage, the choices, the banner and error panels, the
//! variables panel, the status line and the overlays.

use qnce::Value;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::passage::Entry;
use super::slots::SlotState;
use super::wrap::{wrap, wrap_lines};
use super::{App, BannerKind, MenuItem, Overlay, PadSupport, SlotMode, Tone};

/// The variables panel's width, when the screen is wide enough.
const PANEL_WIDTH: u16 = 34;
/// The most lines a banner or the error panel takes.
const MAX_PANEL_LINES: usize = 6;

pub(super) fn draw(app: &mut App, frame: &mut Frame<'_>) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    let (story_area, panel_area) = if app.show_variables {
        let width = PANEL_WIDTH.min(main.width / 2);
        let [story, panel] =
            Layout::horizontal([Constraint::Min(10), Constraint::Length(width)]).areas(main);
        (story, Some(panel))
    } else {
        (main, None)
    };
    draw_story_column(app, frame, story_area);
    if let Some(area) = panel_area {
        draw_variables(app, frame, area);
    }
    draw_status(app, frame, status);
    if let Some(overlay) = app.overlay {
        draw_overlay(app, frame, overlay);
    }
}

fn draw_story_column(app: &mut App, frame: &mut Frame<'_>, area: Rect) {
    let inner_width = usize::from(area.width.saturating_sub(2));
    let choice_lines = choice_lines(app, inner_width);
    let max_choices = usize::from(area.height / 2).max(3);
    let choices_height = (choice_lines.len() + 2).min(max_choices);
    // A banner is its title alone on one line, or a box with its lines.
    // Measured and drawn from the same wrapped lines.
    let banner = app.banner.as_ref().map(|b| {
        let lines: Vec<Line<'static>> = b.lines.iter().map(|pieces| tone_line(pieces)).collect();
        let lines = wrap_lines(&lines, inner_width);
        let height = if lines.is_empty() {
            1
        } else {
            lines.len().min(MAX_PANEL_LINES) + 2
        };
        (b, lines, height)
    });
    let banner_height = banner.as_ref().map_or(0, |&(_, _, height)| height);
    let error_lines: Vec<Line<'_>> = app
        .errors
        .iter()
        .flat_map(|e| wrap(e, inner_width))
        .map(Line::raw)
        .collect();
    let error_height = if error_lines.is_empty() {
        0
    } else {
        error_lines.len().min(MAX_PANEL_LINES) + 2
    };
    let [banner_area, passage_area, error_area, choices_area] = Layout::vertical([
        Constraint::Length(to_u16(banner_height)),
        Constraint::Min(3),
        Constraint::Length(to_u16(error_height)),
        Constraint::Length(to_u16(choices_height)),
    ])
    .areas(area);

    if let Some((b, lines, _)) = banner {
        let color = match b.kind {
            BannerKind::Info => Color::Blue,
            BannerKind::Reload => Color::Green,
            BannerKind::Problem => Color::Yellow,
        };
        let title = Span::styled(
            format!(" {} ", b.title),
            Style::new().fg(color).add_modifier(Modifier::BOLD),
        );
        if lines.is_empty() {
            frame.render_widget(Paragraph::new(Line::from(title)), banner_area);
        } else {
            let block = Block::bordered()
                .border_style(Style::new().fg(color))
                .title(title);
            frame.render_widget(Paragraph::new(lines).block(block), banner_area);
        }
    }
    draw_passage(app, frame, passage_area);
    if error_height > 0 {
        let block = Block::bordered()
            .border_style(Style::new().fg(Color::Red))
            .title(Span::styled(
                " Reload rejected: still playing the previous version ",
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        frame.render_widget(Paragraph::new(error_lines).block(block), error_area);
    }
    let title = if app.session().is_ended() {
        " The end: u undoes, q quits "
    } else {
        " Choices "
    };
    let block = Block::bordered().title(title);
    frame.render_widget(Paragraph::new(choice_lines).block(block), choices_area);
}

/// The displayed choices, numbered and wrapped with a hanging indent; the highlighted one
/// marked and reversed.
fn choice_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let session = app.session();
    let selected = app.controls.selected();
    let mut lines = Vec::new();
    for (i, (_, text)) in session.choices().enumerate() {
        let marker = if i == selected { "▶" } else { " " };
        let prefix = format!("{marker} {}. ", i + 1);
        let indent = prefix.chars().count();
        let style = if i == selected {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
        };
        for (j, line) in wrap(text, width.saturating_sub(indent))
            .into_iter()
            .enumerate()
        {
            let lead = if j == 0 {
                prefix.clone()
            } else {
                " ".repeat(indent)
            };
            lines.push(Line::from(vec![Span::raw(lead), Span::styled(line, style)]));
        }
    }
    lines
}

fn draw_passage(app: &mut App, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::bordered()
        .title(format!(" {} ", app.story().title()))
        .padding(Padding::horizontal(1));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    app.page = height;
    let width = usize::from(inner.width);
    let (lines, complete) = passage_lines(app.passage.entries(), width, height + app.scroll);
    if complete {
        app.scroll = app.scroll.min(lines.len().saturating_sub(height));
    }
    let end = lines.len().saturating_sub(app.scroll);
    let start = end.saturating_sub(height);
    let visible: Vec<Line<'static>> = lines[start..end].to_vec();
    frame.render_widget(Paragraph::new(visible), inner);
    if app.scroll > 0 {
        let more = Span::styled(
            format!(" ↓ {} more (PgDn) ", app.scroll),
            Style::new().add_modifier(Modifier::REVERSED),
        );
        let width = to_u16(more.width()).min(area.width);
        let at = Rect::new(
            area.right().saturating_sub(width + 1),
            area.bottom().saturating_sub(1),
            width,
            1,
        );
        frame.render_widget(Paragraph::new(Line::from(more)), at);
    }
}

/// The last lines of the passage, wrapped to `width`: at least `need` lines when the
/// passage has that many. Only the entries needed are wrapped. Returns whether the
/// passage's first line is among them.
fn passage_lines(entries: &[Entry], width: usize, need: usize) -> (Vec<Line<'static>>, bool) {
    let mut reversed: Vec<Line<'static>> = Vec::new();
    for (i, entry) in entries.iter().enumerate().rev() {
        let mut lines: Vec<Line<'static>> = match entry {
            Entry::Text { text, .. } => wrap(text, width).into_iter().map(Line::raw).collect(),
            Entry::Chosen(text) => {
                let style = Style::new().fg(Color::Cyan).add_modifier(Modifier::ITALIC);
                wrap(text, width.saturating_sub(2))
                    .into_iter()
                    .enumerate()
                    .map(|(j, l)| {
                        let lead = if j == 0 { "› " } else { "  " };
                        Line::from(vec![Span::styled(lead, style), Span::styled(l, style)])
                    })
                    .collect()
            }
            Entry::Note(text) => {
                let style = Style::new()
                    .fg(Color::DarkGray)
                    .add_modifier(Modifier::ITALIC);
                wrap(&format!("· {text} ·"), width)
                    .into_iter()
                    .map(|l| Line::styled(l, style))
                    .collect()
            }
        };
        if i > 0 {
            lines.insert(0, Line::raw(""));
        }
        reversed.extend(lines.into_iter().rev());
        if reversed.len() >= need && i > 0 {
            reversed.reverse();
            return (reversed, false);
        }
    }
    reversed.reverse();
    (reversed, true)
}

fn draw_variables(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let story = app.story();
    let session = app.session();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled("Variables", bold)];
    if story.var_ids().is_empty() {
        lines.push(Line::raw("(none)"));
    }
    for &var in story.var_ids() {
        let value = session.var(var).map_or_else(|| "?".to_owned(), show_value);
        lines.push(Line::raw(format!("{} = {value}", story.var_name(var))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Visits", bold));
    let mut visited: Vec<(&str, u32)> = story
        .node_ids()
        .map(|n| (story.node_name(n), session.visits(n)))
        .filter(|&(_, v)| v > 0)
        .collect();
    visited.sort_unstable();
    for (name, visits) in visited {
        lines.push(Line::raw(format!("{name} ×{visits}")));
    }
    let block = Block::bordered().title(" Variables (v) ");
    let lines = wrap_lines(&lines, usize::from(area.width.saturating_sub(2)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn show_value(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{:?}", s.as_ref()),
        other => other.to_string(),
    }
}

fn draw_status(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let story = app.story();
    let session = app.session();
    let node = session.current_node().map_or("-", |n| story.node_name(n));
    let pad = match &app.pads {
        PadSupport::NotBuilt => "pad: not built".to_owned(),
        PadSupport::Unavailable(_) => "pad: unavailable".to_owned(),
        PadSupport::Connected(names) if names.is_empty() => "pad: none".to_owned(),
        PadSupport::Connected(names) => format!("pad: {}", names.join(", ")),
    };
    let mut parts = vec![
        story.title().to_owned(),
        format!("flow {}", story.flow_name(session.current_flow())),
        format!("node {node}"),
        format!("turn {}", session.turns()),
        pad,
    ];
    if app.config.watching {
        parts.push("watching".to_owned());
    }
    let style = Style::new().add_modifier(Modifier::REVERSED);
    // The help hint keeps its place at the right however long the rest is.
    let hint = " ? help ";
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(to_u16(hint.len()))])
            .areas(area);
    frame.render_widget(
        Paragraph::new(format!(" {}", parts.join(" │ "))).style(style),
        left,
    );
    frame.render_widget(Paragraph::new(hint).style(style), right);
}

fn draw_overlay(app: &App, frame: &mut Frame<'_>, overlay: Overlay) {
    match overlay {
        Overlay::Help => draw_help(app, frame),
        Overlay::Menu { selected } => {
            let items: Vec<String> = MenuItem::ALL.iter().map(|m| m.label().to_owned()).collect();
            draw_list(frame, " Menu ", &items, selected);
        }
        Overlay::Slots { mode, selected } => {
            let slots = &app.config.slots;
            let items: Vec<String> = (1..=slots.n_slots())
                .map(|n| match slots.state(n) {
                    SlotState::Empty => format!("{n}  (empty)"),
                    SlotState::Saved { flow, node, turn } => {
                        format!("{n}  {flow} · {node} · turn {turn}")
                    }
                    SlotState::Unreadable(_) => format!("{n}  (unreadable)"),
                })
                .collect();
            let title = match mode {
                SlotMode::Save => " Save to slot ",
                SlotMode::Load => " Load slot ",
            };
            draw_list(frame, title, &items, selected);
        }
        Overlay::Flows { selected } => {
            let story = app.story();
            let current = app.session().current_flow();
            let items: Vec<String> = story
                .flow_ids()
                .iter()
                .map(|&f| {
                    let mark = if f == current { " (current)" } else { "" };
                    format!("{}{mark}", story.flow_name(f))
                })
                .collect();
            draw_list(frame, " Switch flow ", &items, selected);
        }
        Overlay::Languages { selected } => {
            let current = app.session().locale();
            let mark = |on: bool| if on { " (current)" } else { "" };
            let items: Vec<String> =
                std::iter::once(format!("As written{}", mark(current.is_none())))
                    .chain(
                        app.story()
                            .translations()
                            .iter()
                            .map(|t| format!("{}{}", t.locale, mark(current == Some(&*t.locale)))),
                    )
                    .collect();
            draw_list(frame, " Language ", &items, selected);
        }
    }
}

fn draw_list(frame: &mut Frame<'_>, title: &str, items: &[String], selected: usize) {
    let width = items
        .iter()
        .map(|i| i.chars().count() + 8)
        .max()
        .unwrap_or(20)
        .max(title.len() + 4);
    let area = centered(frame.area(), to_u16(width), to_u16(items.len() + 3));
    let lines: Vec<Line<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if i == selected {
                Line::styled(
                    format!("▶ {item}"),
                    Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
                )
            } else {
                Line::raw(format!("  {item}"))
            }
        })
        .chain(std::iter::once(Line::styled(
            "Enter picks · Esc closes",
            Style::new().fg(Color::DarkGray),
        )))
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

/// Keys, controller buttons, and what they do.
const HELP: &[(&str, &str, &str)] = &[
    ("Up/Down, j/k", "D-pad, left stick", "move the selection"),
    ("Enter, 1-9", "South (A)", "choose"),
    ("u", "East (B)", "undo"),
    ("r", "North (Y)", "redo"),
    ("s / l", "Start > Save/Load", "save / load a slot"),
    ("f", "Start > Flow", "switch flow"),
    ("v", "Select", "variables and visits"),
    ("PgUp/PgDn", "LT / RT", "scroll the passage"),
    ("m", "Start", "menu"),
    ("Esc", "East (B)", "close, back"),
    ("q, Ctrl-C", "Start > Quit", "quit"),
];

fn draw_help(app: &App, frame: &mut Frame<'_>) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<14}", "Keys"), bold),
        Span::styled(format!("{:<19}", "Controller"), bold),
        Span::styled("Does", bold),
    ])];
    for (keys, pad, does) in HELP {
        lines.push(Line::raw(format!("{keys:<14}{pad:<19}{does}")));
    }
    lines.push(Line::raw(""));
    let latency = app.latency().summary();
    lines.push(Line::raw(if latency.count == 0 {
        "Input latency: no input yet".to_owned()
    } else {
        format!(
            "Input latency: p50 {:.2} ms, p99 {:.2} ms over {} inputs",
            latency.p50_ns as f64 / 1e6,
            latency.p99_ns as f64 / 1e6,
            latency.count
        )
    }));
    lines.push(Line::raw(format!(
        "Saves: {}",
        app.config.slots.dir().display()
    )));
    let width = lines.iter().map(Line::width).max().unwrap_or(40) + 4;
    let area = centered(frame.area(), to_u16(width), to_u16(lines.len() + 2));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Help (Esc closes) ")),
        area,
    );
}

fn tone_line(pieces: &[(String, Tone)]) -> Line<'static> {
    let spans: Vec<Span<'static>> = pieces
        .iter()
        .map(|&(ref text, tone)| {
            let style = match tone {
                Tone::Plain => Style::new(),
                Tone::Removed => Style::new()
                    .fg(Color::Red)
                    .add_modifier(Modifier::CROSSED_OUT),
                Tone::Added => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            };
            Span::styled(crate::report::mark(text, tone), style)
        })
        .collect();
    Line::from(spans)
}

/// A `width` × `height` rectangle in the middle of `area`, no larger than it.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

fn to_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}
