//! The metrics endpoint: a small HTTP/1.1 server on a pool service thread.
//!
//! - `GET /metrics`: every metric in the Prometheus text format, for a Prometheus scrape;
//! - `GET /snapshot.json`: a [`Snapshot`](super::Snapshot) with quantiles, for `qnce perf`;
//! - `POST /reset`: empties the histograms.
//!
//! One request per connection, answered in turn; a client gets five seconds to send its
//! request. It is meant for loopback and trusted networks: there is no authentication.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::metrics::Registry;
use crate::pool::Pool;

const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most header bytes read from a request.
const MAX_REQUEST: usize = 16 * 1024;

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
        move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                if let Ok(stream) = stream {
                    // A client's failure is its own; the server goes on.
                    let _ = answer(stream, &registry);
                }
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

fn answer(stream: TcpStream, registry: &Registry) -> std::io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers; the requests we serve have no body that matters.
    let mut n_read = request_line.len();
    loop {
        let mut header = String::new();
        let n = reader.read_line(&mut header)?;
        n_read += n;
        if n == 0 || header == "\r\n" || header == "\n" || n_read > MAX_REQUEST {
            break;
        }
    }
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
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}
