//! The metrics endpoint: a small HTTP/1.1 server on a pool service thread.
//!
//! - `GET /metrics`: every metric in the Prometheus text format, for a Prometheus scrape;
//! - `GET /snapshot.json`: a [`Snapshot`](super::Snapshot) with quantiles, for `qnce perf`;
//! - `POST /reset`: empties the histograms.
//!
//! Each connection is answered on a thread of its own, so a slow client delays nobody
//! else; at most [`MAX_CONNECTIONS`] at once (more are closed at once), each with
//! [`REQUEST_DEADLINE`] to send a request of at most [`MAX_REQUEST`] bytes. It is meant for
//! loopback and trusted networks: there is no authentication.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::metrics::Registry;
use crate::pool::Pool;

/// How long a client has to send its whole request (not each read of it).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(2);
/// How long a client has to take the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// The most bytes of a request (its line and headers) read.
pub const MAX_REQUEST: usize = 16 * 1024;
/// The most connections answered at once.
pub const MAX_CONNECTIONS: usize = 256;

/// Serves `registry` at `addr` (port 0 picks a free port) on a service thread of `pool`,
/// until the pool shuts down. Returns the address bound.
///
/// # Errors
/// When the address cannot be bound or the thread cannot start.
pub fn serve(
    addr: SocketAddr,
    registry: Arc<Registry>,
    pool: &Pool,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let run = {
        let stop = Arc::clone(&stop);
        let open = Arc::new(AtomicUsize::new(0));
        move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                // Past the bound, the connection is closed at once (dropped).
                let Some(slot) = Slot::take(&open) else {
                    continue;
                };
                let registry = Arc::clone(&registry);
                // The slot is freed when the thread ends, or with the closure if it
                // cannot start.
                let _ = std::thread::Builder::new()
                    .name("qnce-metrics-client".into())
                    .stack_size(256 * 1024)
                    .spawn(move || {
                        let _slot = slot;
                        // A client's failure is its own; the server goes on.
                        let _ = answer(stream, &registry);
                    });
            }
        }
    };
    let wake = move || {
        stop.store(true, Ordering::Release);
        // `accept` blocks; a connection of our own ends it.
        let _ = TcpStream::connect_timeout(&bound, Duration::from_secs(1));
    };
    pool.service("metrics", run, wake)?;
    Ok(bound)
}

/// One of the [`MAX_CONNECTIONS`] connections answered at once, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>) -> Option<Slot> {
        if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What reading a request's head came to.
enum Head {
    /// The request line, once the head was read whole.
    Line(String),
    /// The head passed [`MAX_REQUEST`].
    TooLarge,
    /// The deadline passed, or the client closed first.
    Incomplete,
}

/// Reads the request's head (up to its blank line) within the deadline and the size
/// bound, whatever pace the client sends at.
fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    let deadline = Instant::now() + REQUEST_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    // Where the search for the blank line resumes: each byte is looked at a few times at
    // most, however the client splits its request.
    let mut searched = 0;
    loop {
        if let Some(end) = find_blank_line(&head, searched) {
            let text = String::from_utf8_lossy(&head[..end]);
            return Ok(Head::Line(text.lines().next().unwrap_or("").to_owned()));
        }
        if head.len() > MAX_REQUEST {
            return Ok(Head::TooLarge);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Head::Incomplete);
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(Head::Incomplete),
            Ok(n) => {
                searched = head.len().saturating_sub(3);
                head.extend_from_slice(&chunk[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(Head::Incomplete);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Where the head ends: after its first blank line (`\r\n\r\n`, or `\n\n`), looking from
/// `from` on.
fn find_blank_line(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = bytes.get(from..)?;
    let crlf = rest
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4);
    let lf = rest
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| from + i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn answer(mut stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    let request_line = match read_head(&mut stream)? {
        Head::Line(line) => line,
        Head::TooLarge => {
            return respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain; charset=utf-8",
                "request too large\n",
                true,
            );
        }
        // Nothing to answer: the client is gone or too slow.
        Head::Incomplete => return Ok(()),
    };
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            registry.prometheus(),
        ),
        ("GET" | "HEAD", "/snapshot.json") => (
            "200 OK",
            "application/json",
            serde_json::to_string(&registry.snapshot()).unwrap_or_default(),
        ),
        ("POST", "/reset") => {
            registry.reset_histograms();
            ("200 OK", "text/plain; charset=utf-8", "reset\n".to_owned())
        }
        (_, "/metrics" | "/snapshot.json" | "/reset") => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "method not allowed\n".to_owned(),
        ),
        _ => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found: try /metrics, /snapshot.json or POST /reset\n".to_owned(),
        ),
    };
    respond(&mut stream, status, content_type, &body, method != "HEAD")
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
    with_body: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if with_body {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}
