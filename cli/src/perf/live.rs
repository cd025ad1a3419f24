//! `qnce perf live`: a full-screen dashboard that reads the engine every interval and
//! draws its figures with sparklines of their history and the alerts raised.
//!
//! [`Dashboard`] is the state and the drawing (tested in a `TestBackend`); [`run`] is the
//! terminal loop around it.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::{PerfError, Report, Thresholds, fetch};

/// Readings kept for the sparklines.
const HISTORY: usize = 120;

/// One reading's figures, for the sparklines.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Point {
    step_p99_ns: u64,
    reload_p99_ns: u64,
    input_p99_ns: u64,
    hit_rate_permille: u64,
    queue_depth: u64,
}

/// Reads one figure of a [`Point`].
type Figure = fn(&Point) -> u64;

/// The live dashboard's state.
#[derive(Debug)]
pub struct Dashboard {
    addr: SocketAddr,
    thresholds: Thresholds,
    history: VecDeque<Point>,
    report: Option<Report>,
    error: Option<String>,
    n_readings: u64,
}

impl Dashboard {
    /// A dashboard of the engine at `addr`, before its first reading.
    pub fn new(addr: SocketAddr, thresholds: Thresholds) -> Dashboard {
        Dashboard {
            addr,
            thresholds,
            history: VecDeque::with_capacity(HISTORY),
            report: None,
            error: None,
            n_readings: 0,
        }
    }

    /// Takes a reading (or the failure to get one: the last figures stay, marked stale).
    pub fn update(&mut self, reading: Result<qnce::telemetry::Snapshot, PerfError>) {
        match reading {
            Ok(snapshot) => {
                let report = Report::new(&snapshot, &self.thresholds);
                if self.history.len() == HISTORY {
                    self.history.pop_front();
                }
                self.history.push_back(Point {
                    step_p99_ns: report.span("step").p99_ns,
                    reload_p99_ns: report.span("reload").p99_ns,
                    input_p99_ns: report.input_latency.p99_ns,
                    hit_rate_permille: report.hit_rate().map_or(0, |r| (r * 1000.0) as u64),
                    queue_depth: u64::try_from(report.queue_depth).unwrap_or(0),
                });
                self.report = Some(report);
                self.error = None;
                self.n_readings += 1;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The alerts of the last reading.
    pub fn alerts(&self) -> &[String] {
        self.report.as_ref().map_or(&[], |r| &r.alerts)
    }

    /// Draws the dashboard over the whole frame.
    pub fn draw(&self, frame: &mut Frame<'_>) {
        let [header, charts, table, alerts] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(10),
            Constraint::Min(4),
            Constraint::Length(4),
        ])
        .areas(frame.area());
        let status = match &self.error {
            Some(e) => Span::styled(format!("stale: {e}"), Style::new().fg(Color::Red)),
            None => Span::raw(format!("{} readings", self.n_readings)),
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(
                    format!("qnce perf live · {} · ", self.addr),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                status,
                Span::raw(" · q quits · figures since start or reset"),
            ])),
            header,
        );
        self.draw_charts(frame, charts);
        if let Some(report) = &self.report {
            let text = super::table(self.addr, report);
            // The table's first line repeats the header; its alert lines have a panel.
            let body: Vec<Line<'_>> = text
                .lines()
                .skip(1)
                .filter(|l| !l.starts_with("ALERT") && !l.starts_with("alerts"))
                .map(|l| Line::raw(l.to_owned()))
                .collect();
            frame.render_widget(
                Paragraph::new(body).block(Block::new().borders(Borders::TOP).title("figures")),
                table,
            );
        }
        let lines: Vec<Line<'_>> = if self.alerts().is_empty() {
            vec![Line::styled("no alerts", Style::new().fg(Color::Green))]
        } else {
            self.alerts()
                .iter()
                .map(|a| Line::styled(format!("ALERT {a}"), Style::new().fg(Color::Red)))
                .collect()
        };
        frame.render_widget(
            Paragraph::new(lines).block(Block::new().borders(Borders::TOP).title("alerts")),
            alerts,
        );
    }

    fn draw_charts(&self, frame: &mut Frame<'_>, area: Rect) {
        let rows = Layout::vertical([Constraint::Length(2); 5]).split(area);
        let last = self.history.back().copied().unwrap_or_default();
        let charts: [(String, Figure); 5] = [
            (
                format!("step p99 {:.1} µs", last.step_p99_ns as f64 / 1e3),
                |p| p.step_p99_ns,
            ),
            (
                format!("reload p99 {:.2} ms", last.reload_p99_ns as f64 / 1e6),
                |p| p.reload_p99_ns,
            ),
            (
                format!("input p99 {:.2} ms", last.input_p99_ns as f64 / 1e6),
                |p| p.input_p99_ns,
            ),
            (
                format!(
                    "cache hit rate {:.1}%",
                    last.hit_rate_permille as f64 / 10.0
                ),
                |p| p.hit_rate_permille,
            ),
            (format!("pool queue {}", last.queue_depth), |p| {
                p.queue_depth
            }),
        ];
        for ((title, value), row) in charts.iter().zip(rows.iter()) {
            let [label, chart] =
                Layout::horizontal([Constraint::Length(24), Constraint::Min(10)]).areas(*row);
            frame.render_widget(Paragraph::new(title.as_str()), label);
            let data: Vec<u64> = self.history.iter().map(value).collect();
            // The newest reading at the right edge.
            let skip = data.len().saturating_sub(usize::from(chart.width));
            frame.render_widget(
                Sparkline::default()
                    .data(&data[skip..])
                    .style(Style::new().fg(Color::Cyan)),
                chart,
            );
        }
    }
}

/// Runs the dashboard full-screen, reading every `interval`, until `q` or Esc.
///
/// # Errors
/// When the terminal cannot be set up, drawn to or read (it is restored first).
pub fn run(addr: SocketAddr, thresholds: Thresholds, interval: Duration) -> std::io::Result<()> {
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            ratatui::restore();
        }
    }
    let _restore = Restore;
    let mut terminal = ratatui::try_init()?;
    let mut dashboard = Dashboard::new(addr, thresholds);
    loop {
        dashboard.update(fetch(addr));
        terminal.draw(|frame| dashboard.draw(frame))?;
        let next = Instant::now() + interval;
        loop {
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() || !event::poll(left)? {
                break;
            }
            match event::read()? {
                Event::Key(key)
                    if key.kind == KeyEventKind::Press
                        && matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) =>
                {
                    return Ok(());
                }
                Event::Resize(..) => {
                    terminal.draw(|frame| dashboard.draw(frame))?;
                }
                _ => {}
            }
        }
    }
}
