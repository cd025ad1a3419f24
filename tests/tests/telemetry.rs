//! Telemetry and metrics: the JSON-lines sink, the bounded queue dropping its oldest
//! events, shutdown losing nothing accepted, the file budget, span timings, and
//! `/metrics` scraped over loopback and read by an independent Prometheus parser.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use qnce::input::{Controls, Input};
use qnce::pool::{AtShutdown, Pool, PoolConfig, Priority};
use qnce::reload::Host;
use qnce::services::{Services, ServicesConfig};
use qnce::telemetry::{
    Event, Registry, SPAN_METRIC, Snapshot, SpanTimings, Telemetry, TelemetryConfig,
};
use qnce::{Limits, SessionConfig};
use tracing_subscriber::layer::SubscriberExt as _;

use crate::support::{TempDir, example};

fn one_thread() -> PoolConfig {
    PoolConfig {
        threads: 1,
        ..PoolConfig::default()
    }
}

/// Holds the pool's only worker until the sender is dropped, so nothing is flushed.
fn hold(pool: &Pool) -> crossbeam_channel::Sender<()> {
    let (release, gate) = crossbeam_channel::bounded::<()>(0);
    let (started_tx, started) = crossbeam_channel::bounded(1);
    pool.spawn(Priority::High, AtShutdown::Finish, move || {
        started_tx.send(()).unwrap();
        let _ = gate.recv();
    })
    .unwrap();
    started.recv_timeout(Duration::from_secs(30)).unwrap();
    release
}

fn node(i: usize) -> Event {
    Event::NodeEntered {
        flow: "main".into(),
        node: format!("n{i}"),
    }
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn telemetry(pool: &Arc<Pool>, file: &std::path::Path, queue: usize, budget: u64) -> Telemetry {
    let config = TelemetryConfig {
        queue,
        file: Some(file.to_owned()),
        file_budget: budget,
    };
    Telemetry::new(Arc::clone(pool), Arc::new(Registry::default()), &config).unwrap()
}

#[test]
fn events_reach_the_json_lines_file_in_order() {
    let dir = TempDir::new("telemetry-file");
    let file = dir.path().join("t.jsonl");
    let pool = Arc::new(Pool::new(&one_thread()).unwrap());
    let t = telemetry(&pool, &file, 64, u64::MAX);
    for i in 0..5 {
        t.record(node(i));
    }
    t.input_latency(Duration::from_micros(1500));
    t.close();
    pool.shutdown();
    let lines = lines(&file);
    let names: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["node_entered"; 5]
            .iter()
            .copied()
            .chain(["input_latency"])
            .collect::<Vec<_>>()
    );
    assert_eq!(lines[3]["node"], "n3");
    assert_eq!(lines[5]["micros"], 1500);
    assert!(lines[0]["ts_ms"].as_u64().unwrap() > 1_700_000_000_000);
}

#[test]
fn a_full_queue_drops_its_oldest_events_counts_them_and_says_so() {
    let dir = TempDir::new("telemetry-overflow");
    let file = dir.path().join("t.jsonl");
    let pool = Arc::new(Pool::new(&one_thread()).unwrap());
    let t = telemetry(&pool, &file, 4, u64::MAX);
    let release = hold(&pool);
    for i in 0..10 {
        t.record(node(i));
    }
    assert_eq!(t.stats().dropped, 6);
    drop(release);
    t.close();
    pool.shutdown();
    let lines = lines(&file);
    let nodes: Vec<&str> = lines.iter().filter_map(|l| l["node"].as_str()).collect();
    assert_eq!(nodes, ["n6", "n7", "n8", "n9"], "the newest four are kept");
    let note = lines
        .iter()
        .find(|l| l["event"] == "budget_exceeded")
        .unwrap();
    assert_eq!(
        (note["budget"].as_str(), note["limit"].as_u64()),
        (Some("telemetry_queue"), Some(4))
    );
    assert_eq!(note["requested"], 10);
}

#[test]
fn shutdown_flushes_every_accepted_event() {
    let dir = TempDir::new("telemetry-shutdown");
    let file = dir.path().join("t.jsonl");
    let services = Services::start(&ServicesConfig {
        pool: one_thread(),
        telemetry: TelemetryConfig {
            file: Some(file.clone()),
            ..TelemetryConfig::default()
        },
        ..ServicesConfig::default()
    })
    .unwrap();
    let release = hold(&services.pool);
    for i in 0..10_000 {
        services.telemetry.record(node(i));
    }
    drop(release);
    services.shutdown();
    let stats = services.telemetry.stats();
    assert_eq!(
        (stats.recorded, stats.flushed, stats.dropped),
        (10_000, 10_000, 0)
    );
    assert_eq!(lines(&file).len(), 10_000);
    services.telemetry.record(node(0));
    assert_eq!(
        services.telemetry.stats().recorded,
        10_000,
        "closed: nothing more accepted"
    );
}

#[test]
fn the_file_budget_stops_writing_and_reports_it() {
    let dir = TempDir::new("telemetry-budget");
    let file = dir.path().join("t.jsonl");
    let pool = Arc::new(Pool::new(&one_thread()).unwrap());
    let t = telemetry(&pool, &file, 64, 300);
    for i in 0..20 {
        t.record(node(i));
    }
    t.close();
    pool.shutdown();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines = lines(&file);
    let last = lines.last().unwrap();
    assert_eq!(
        (last["event"].as_str(), last["budget"].as_str()),
        (Some("budget_exceeded"), Some("telemetry_file"))
    );
    let kept = lines.len() - 1;
    assert!(kept > 0 && kept < 20);
    assert!(
        text.len() - text.lines().last().unwrap().len() - 1 <= 300,
        "the events kept fit the budget"
    );
    let snapshot = t.registry().snapshot();
    assert_eq!(
        snapshot.counter("qnce_telemetry_file_dropped_total"),
        (20 - kept) as u64
    );
    assert_eq!(
        snapshot.counter(r#"qnce_budget_exceeded_total{budget="telemetry_file"}"#),
        1
    );
}

/// Set in the process that [`span_timings_fill_the_step_and_reload_histograms`] starts.
const SPAN_CHILD: &str = "QNCE_TEST_SPAN_CHILD";

#[test]
fn span_timings_fill_the_step_and_reload_histograms() {
    // tracing caches each callsite's interest for the whole process, and tests on other
    // threads hit the engine's callsites while this one would install a scoped
    // subscriber: a racing registration can leave a span disabled. So the test runs
    // again in a process of its own, alone, with the layer as the global subscriber, as
    // `qnce play` installs it.
    if std::env::var_os(SPAN_CHILD).is_none() {
        let name = "telemetry::span_timings_fill_the_step_and_reload_histograms";
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads=1"])
            .env(SPAN_CHILD, "1")
            .status()
            .unwrap();
        assert!(status.success(), "the test failed in its own process");
        return;
    }
    let registry = Arc::new(Registry::default());
    let subscriber = tracing_subscriber::registry().with(SpanTimings::new(Arc::clone(&registry)));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let dir = TempDir::copy_of(&example("crossroads"), "spans");
    let mut host = Host::open(dir.path(), &Limits::default()).unwrap().value;
    let player = host.add_session(SessionConfig::with_seed(3)).unwrap();
    let mut controls = Controls::default();
    // 16 steps, 32 undos and 16 redos: one in sixteen of each name is timed.
    for _ in 0..16 {
        for input in [Input::Choose(2), Input::Undo, Input::Redo, Input::Undo] {
            host.input(player, &mut controls, input).unwrap().unwrap();
        }
    }
    host.reload(None).result.unwrap();
    let s = registry.snapshot();
    let span = |name: &str| s.histogram(&format!(r#"qnce_span_duration_seconds{{span="{name}"}}"#));
    assert_eq!(s.counter(r#"qnce_spans_seen_total{span="step"}"#), 16);
    assert_eq!(span("step").count, 1);
    assert_eq!(s.counter(r#"qnce_spans_seen_total{span="undo"}"#), 32);
    assert_eq!(span("undo").count, 2);
    assert_eq!(span("input").count, 64, "inputs are not sampled");
    for name in ["load", "parse", "reload", "diff", "apply"] {
        assert!(span(name).count >= 1, "{name} was timed");
    }
    let reload = span("reload");
    assert!(reload.p50_ns > 0 && reload.p50_ns <= reload.max_ns);
    assert_eq!(
        span("eval").count,
        0,
        "eval is TRACE, below the default level"
    );
}

fn http(addr: SocketAddr, method: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

/// Services with the metrics endpoint on a free loopback port.
fn serving_metrics() -> (Services, SocketAddr) {
    let services = Services::start(&ServicesConfig::default()).unwrap();
    let addr = services
        .serve_metrics("127.0.0.1:0".parse().unwrap())
        .unwrap();
    (services, addr)
}

#[test]
fn metrics_are_scraped_over_loopback_in_the_prometheus_format() {
    let (services, addr) = serving_metrics();
    // Span durations reach the registry through the tracing layer, tested above and end
    // to end in `perf`; here one is recorded directly so the exposition has a family
    // with labels.
    services
        .registry
        .histogram(SPAN_METRIC, "span durations", &[("span", "step")])
        .record(Duration::from_micros(3));
    let mut host = Host::open(example("crossroads"), &Limits::default())
        .unwrap()
        .value;
    host.attach(&services);
    let player = host.add_session(SessionConfig::with_seed(1)).unwrap();
    let mut controls = Controls::default();
    assert!(services.pool.wait_idle(Duration::from_secs(30)));
    for _ in 0..3 {
        host.input(player, &mut controls, Input::Choose(0))
            .unwrap()
            .unwrap();
        services.telemetry.input_latency(Duration::from_micros(700));
        // As a player reading the text: the preloads finish before the next input.
        assert!(services.pool.wait_idle(Duration::from_secs(30)));
    }
    host.reload(None).result.unwrap();
    services.telemetry.flush();
    assert!(services.pool.wait_idle(Duration::from_secs(30)));

    let (head, body) = http(addr, "GET", "/metrics");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Type: text/plain; version=0.0.4"));
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_owned()))).unwrap();
    assert!(scrape.samples.iter().all(|s| s.metric.starts_with("qnce_")));
    let sample = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("{name} {label:?} missing:\n{body}"))
            .value
            .clone()
    };
    use prometheus_parse::Value;
    match sample("qnce_input_latency_seconds", None) {
        Value::Histogram(buckets) => {
            let le_1ms = buckets.iter().find(|b| b.less_than == 0.001).unwrap();
            let le_500us = buckets.iter().find(|b| b.less_than == 0.0005).unwrap();
            assert_eq!((le_500us.count, le_1ms.count), (0.0, 3.0));
        }
        other => panic!("input latency is {other:?}"),
    }
    match sample("qnce_span_duration_seconds", Some(("span", "step"))) {
        Value::Histogram(buckets) => {
            let le_5us = buckets.iter().find(|b| b.less_than == 5e-6).unwrap();
            assert_eq!(le_5us.count, 1.0);
        }
        other => panic!("step duration is {other:?}"),
    }
    // Crossroads, the first choice three times: start, river, far bank, epilogue; each
    // node after the first finds its asset preloaded, and the reload looks at the
    // epilogue's again.
    assert_eq!(
        sample("qnce_asset_cache_hits_total", None),
        Value::Counter(4.0)
    );
    assert!(matches!(
        sample("qnce_asset_cache_misses_total", None),
        Value::Counter(_)
    ));
    assert_eq!(
        sample("qnce_asset_cache_evictions_total", None),
        Value::Counter(0.0)
    );
    assert!(matches!(
        sample("qnce_pool_queue_depth", Some(("priority", "low"))),
        Value::Gauge(_)
    ));
    assert_eq!(
        sample("qnce_telemetry_dropped_total", None),
        Value::Counter(0.0)
    );
    assert_eq!(
        sample("qnce_reloads_total", Some(("outcome", "ok"))),
        Value::Counter(1.0)
    );
    assert_eq!(
        sample("qnce_events_total", Some(("event", "choice_made"))),
        Value::Counter(3.0)
    );

    // The same numbers as a snapshot, and a reset of the histograms.
    let (_, json) = http(addr, "GET", "/snapshot.json");
    let snapshot: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot.histogram("qnce_input_latency_seconds").count, 3);
    let (head, _) = http(addr, "POST", "/reset");
    assert!(head.starts_with("HTTP/1.1 200 OK"));
    let (_, json) = http(addr, "GET", "/snapshot.json");
    let snapshot: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(snapshot.histogram("qnce_input_latency_seconds").count, 0);
    assert_eq!(
        snapshot.counter("qnce_asset_cache_hits_total"),
        4,
        "counters are not reset"
    );
    let (head, _) = http(addr, "GET", "/nothing");
    assert!(head.starts_with("HTTP/1.1 404"));

    let report = services.shutdown();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the endpoint stops with the pool"
    );
    assert_eq!(report.cancelled, 0);
}

/// Issue 14, class 10: the endpoint answered one connection at a time with a timeout per
/// read, so a client trickling a byte now and then held every scrape back, and so did a
/// crowd of idle connections. Each connection is answered on its own now, with a deadline
/// for its whole request.
#[test]
fn slow_and_idle_clients_do_not_hold_a_scrape_back() {
    let (services, addr) = serving_metrics();
    // A client that sends its request a byte at a time, for far longer than the deadline.
    let (trickled, closed) = crossbeam_channel::bounded(1);
    let mut slow = TcpStream::connect(addr).unwrap();
    std::thread::spawn(move || {
        for byte in "GET /metrics HTTP/1.1\r\n".bytes().cycle().take(600) {
            if slow.write_all(&[byte]).is_err() {
                let _ = trickled.send(());
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // And 200 idle connections.
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let (head, body) = http(addr, "GET", "/metrics");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(body.contains("qnce_"));
    // The trickling client is cut off once its deadline has passed.
    closed
        .recv_timeout(Duration::from_secs(60))
        .expect("the slow client was cut off");
    drop(idle);
    services.shutdown();
}

/// Issue 14, class 10: a request line had no size limit (a 100 MB line took 98 MB).
#[test]
fn a_request_past_the_size_limit_is_refused() {
    let (services, addr) = serving_metrics();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // 1 MiB of request line; the server stops reading past 16 KiB and answers.
    let line = format!("GET /{} HTTP/1.1\r\n", "a".repeat(1 << 20));
    let _ = stream.write_all(line.as_bytes());
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 431 Request Header Fields Too Large"),
        "{response}"
    );
    services.shutdown();
}

/// Issue 14, class 10: `--metrics-addr 0.0.0.0:…` served every interface without a word.
#[test]
fn a_public_metrics_address_needs_metrics_public() {
    let story = example("crossroads");
    let story = story.to_str().unwrap();
    let refused = crate::support::qnce(&[
        "play",
        story,
        "--choices",
        "1",
        "--metrics-addr",
        "0.0.0.0:0",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = crate::support::stderr(&refused);
    assert!(
        stderr.contains("can be reached from other machines"),
        "{stderr}"
    );
    assert!(stderr.contains("--metrics-public"), "{stderr}");
    let allowed = crate::support::qnce(&[
        "play",
        story,
        "--choices",
        "1",
        "--metrics-addr",
        "0.0.0.0:0",
        "--metrics-public",
    ]);
    assert!(allowed.status.success(), "{allowed:?}");
    let stderr = crate::support::stderr(&allowed);
    assert!(
        stderr.contains("warning: metrics at 0.0.0.0:0 are served to the network"),
        "{stderr}"
    );
}
