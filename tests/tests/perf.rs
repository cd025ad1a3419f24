//! `qnce perf` against a running `qnce play --metrics-addr`: two real processes talking
//! over loopback; and the live dashboard drawn into a `TestBackend`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, ChildStdout};
use std::time::{Duration, Instant};

use qnce::telemetry::Snapshot;
use qnce_cli::perf::live::Dashboard;
use qnce_cli::perf::{Report, Thresholds};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::support::{TempDir, qnce, qnce_bin, spawn_qnce, stdout};
use qnce_terminal::Terminal as Pty;

const PATIENCE: Duration = Duration::from_secs(60);

/// `qnce play` in line mode, serving metrics, with its standard input held open.
struct Player {
    child: Child,
    out: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl Player {
    fn start(args: &[&str]) -> Player {
        let play = [
            "play",
            "stories/crossroads",
            "--plain",
            "--seed",
            "1",
            "--metrics-addr",
            "127.0.0.1:0",
        ];
        let mut child = spawn_qnce(&[&play[..], args].concat());
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let addr = read_addr(&mut err);
        let out = BufReader::new(child.stdout.take().unwrap());
        Player { child, out, addr }
    }

    /// Sends a command and reads the output up to the line containing `until`.
    fn send(&mut self, command: &str, until: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "play ended before {until:?}"
            );
            if line.contains(until) {
                return;
            }
        }
    }

    fn finish(mut self) -> std::process::ExitStatus {
        drop(self.child.stdin.take());
        self.child.wait().unwrap()
    }
}

fn read_addr(err: &mut BufReader<ChildStderr>) -> SocketAddr {
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("metrics: http://")
        .and_then(|l| l.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no metrics address on standard error: {line:?}"))
        .parse()
        .unwrap()
}

fn export(addr: SocketAddr) -> Snapshot {
    let out = qnce(&["perf", "export", "--addr", &addr.to_string()]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// Exports until `ready` holds: telemetry reaches the registry through a pool job, a
/// moment after the step that recorded it.
fn export_when(addr: SocketAddr, ready: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let snapshot = export(addr);
        if ready(&snapshot) {
            return snapshot;
        }
        assert!(Instant::now() < deadline, "never ready: {snapshot:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const CHOICES_MADE: &str = r#"qnce_events_total{event="choice_made"}"#;
const STEP: &str = r#"qnce_span_duration_seconds{span="step"}"#;
const INPUT: &str = r#"qnce_span_duration_seconds{span="input"}"#;

#[test]
fn perf_export_reads_a_running_play_and_reset_empties_its_histograms() {
    let dir = TempDir::new("perf-export");
    let telemetry = dir.path().join("telemetry.jsonl");
    let trace = dir.path().join("trace.json");
    let mut player = Player::start(&[
        "--telemetry",
        telemetry.to_str().unwrap(),
        "--trace-chrome",
        trace.to_str().unwrap(),
    ]);
    player.send("1", "The river is wide");
    player.send("1", "You made it across");
    let snapshot = export_when(player.addr, |s| {
        s.counter(CHOICES_MADE) == 2 && s.histogram("qnce_input_latency_seconds").count == 2
    });
    assert_eq!(
        snapshot.histogram(STEP).count,
        2,
        "a trace keeps every span"
    );
    assert_eq!(snapshot.histogram(INPUT).count, 2);
    assert!(
        snapshot
            .histogram(r#"qnce_span_duration_seconds{span="load"}"#)
            .count
            >= 1
    );
    // Three lookups (one a node); whether the preloads won the race with the script's
    // next command is up to the scheduler, so hits are not counted here (the hit rate is
    // tested in-process, where the test waits for the preloads as a reader would).
    let lookups = snapshot.counter("qnce_asset_cache_hits_total")
        + snapshot.counter("qnce_asset_cache_misses_total");
    assert_eq!(lookups, 3);
    assert_eq!(snapshot.histogram("qnce_input_latency_seconds").count, 2);
    assert_eq!(
        snapshot.gauge(r#"qnce_pool_queue_depth{priority="high"}"#),
        0
    );

    // The table names the spans; a hit rate is too early to alert (3 lookups).
    let addr = player.addr.to_string();
    // Thresholds far above anything a debug build on a busy machine takes: no alert.
    let table = qnce(&[
        "perf",
        "dashboard",
        "--addr",
        &addr,
        "--alert-step-p99",
        "10000",
        "--alert-reload-p99",
        "10000",
    ]);
    assert!(table.status.success(), "{table:?}");
    let text = stdout(&table);
    assert!(
        text.lines()
            .any(|l| l.starts_with("step ") && l.contains(" 2 ")),
        "{text}"
    );
    assert!(
        text.contains("asset cache    hits ") && text.contains("alerts         none"),
        "{text}"
    );
    // A threshold crossed: exit 1 and the alert named.
    let alerting = qnce(&[
        "perf",
        "dashboard",
        "--addr",
        &addr,
        "--alert-step-p99",
        "0",
    ]);
    assert_eq!(alerting.status.code(), Some(1));
    assert!(stdout(&alerting).contains("ALERT          step p99"));

    let csv = qnce(&["perf", "export", "--addr", &addr, "--format", "csv"]);
    let csv = stdout(&csv);
    assert!(csv.starts_with("kind,name,value,count,sum_ns,p50_ns,p95_ns,p99_ns,max_ns\n"));
    assert!(
        csv.contains("counter,\"qnce_events_total{event=\"\"choice_made\"\"}\",2,"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with(r#"histogram,"qnce_span_duration_seconds{span=""step""}",,2,"#)),
        "{csv}"
    );

    assert!(qnce(&["perf", "reset", "--addr", &addr]).status.success());
    let after = export(player.addr);
    assert_eq!(after.histogram(STEP).count, 0);
    assert_eq!(after.counter(CHOICES_MADE), 2, "counters keep counting");

    assert!(player.finish().success());
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&telemetry)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "session_started",
            "choice_made",
            "node_entered",
            "input_latency",
            "choice_made",
            "node_entered",
            "input_latency",
        ]
    );
    let trace: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let begins = |name: &str| {
        trace
            .iter()
            .filter(|e| e["ph"] == "B" && e["name"] == name)
            .count()
    };
    assert_eq!(begins("step"), 2);
    assert!(
        begins("eval") > 0,
        "the trace holds expression evaluation too"
    );
}

#[test]
fn perf_reports_an_engine_it_cannot_reach() {
    // A port just freed: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = qnce(&["perf", "export", "--addr", &addr]);
    assert_eq!(out.status.code(), Some(2));
    assert!(crate::support::stderr(&out).contains(&format!("cannot reach {addr}")));
}

fn screen(dashboard: &Dashboard) -> String {
    let mut terminal = Terminal::new(TestBackend::new(90, 24)).unwrap();
    terminal.draw(|frame| dashboard.draw(frame)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn reading(step_p99_ns: u64, hits: u64, misses: u64) -> Snapshot {
    let mut s = Snapshot::default();
    s.histograms.insert(
        STEP.to_owned(),
        qnce::telemetry::Summary {
            count: 10,
            p99_ns: step_p99_ns,
            max_ns: step_p99_ns,
            ..Default::default()
        },
    );
    s.counters
        .insert("qnce_asset_cache_hits_total".into(), hits);
    s.counters
        .insert("qnce_asset_cache_misses_total".into(), misses);
    s
}

#[test]
fn live_dashboard_draws_history_and_raises_alerts_past_thresholds() {
    let addr: SocketAddr = "127.0.0.1:9464".parse().unwrap();
    let mut dashboard = Dashboard::new(addr, Thresholds::default());
    dashboard.update(Ok(reading(40_000, 99, 1)));
    let calm = screen(&dashboard);
    assert!(
        calm.contains("qnce perf live · 127.0.0.1:9464 · 1 readings"),
        "{calm}"
    );
    assert!(calm.contains("step p99 40.0 µs") && calm.contains("cache hit rate 99.0%"));
    assert!(calm.contains("no alerts"));

    dashboard.update(Ok(reading(2_500_000, 99, 30)));
    let alarmed = screen(&dashboard);
    assert_eq!(
        dashboard.alerts(),
        [
            "step p99 2.500 ms > 1.000 ms",
            "asset cache hit rate 76.7% < 95.0%"
        ]
    );
    assert!(
        alarmed.contains("ALERT step p99 2.500 ms > 1.000 ms"),
        "{alarmed}"
    );

    // An unreachable engine leaves the last figures, marked stale.
    dashboard.update(Err(
        qnce_cli::perf::fetch("127.0.0.1:1".parse().unwrap()).unwrap_err()
    ));
    let stale = screen(&dashboard);
    assert!(stale.contains("stale: cannot reach 127.0.0.1:1"), "{stale}");
    assert!(stale.contains("ALERT step p99"));
    let report = Report::new(&reading(1, 0, 0), &Thresholds::default());
    assert_eq!(report.hit_rate(), None, "no lookups, no rate");
}

#[test]
fn perf_live_follows_a_running_play_full_screen_and_quits_on_q() {
    let mut player = Player::start(&[]);
    let addr = player.addr.to_string();
    let mut term = Pty::start(
        qnce_bin(),
        &[
            "perf",
            "live",
            "--addr",
            &addr,
            "--interval",
            "100",
            "--alert-hit-rate",
            "0",
        ],
        100,
        28,
    );
    // The alerts panel is the frame's last part: a read can end inside a frame.
    let header = format!("qnce perf live · {} · ", player.addr);
    term.wait_for("the header and no alerts", |s| {
        s.contains(&header) && s.contains("no alerts")
    });
    // A step in the other process shows up within a few readings.
    player.send("1", "The river is wide");
    let screen = term.wait_for("an input counted", |s| {
        s.lines()
            .any(|l| l.starts_with("input ") && l.contains(" 1 "))
    });
    assert!(screen.contains("step p99"), "{screen}");
    term.keys(&["q"]);
    assert_eq!(term.wait_exit(), 0);
    assert!(term.cooked(), "the terminal's modes restored");
    assert!(!term.alternate_screen());
    assert!(player.finish().success());
}
