//! A real terminal for the full-screen tests and benches, with nothing installed: a
//! pseudo-terminal opened here (portable-pty) is the program's controlling terminal, and a
//! terminal emulator (vt100) reads every byte the program writes, so the caller sees what
//! a person would: the cells, the alternate screen, the cursor, and after exit the
//! terminal's modes, read from the pty itself.
//!
//! Every wait wakes on the program's output (a condition variable the reading thread
//! signals), never on a timer, and gives up after a generous [`PATIENCE`] with the last
//! screen in the panic message.
//!
//! ```no_run
//! # use std::path::Path;
//! let mut term = qnce_terminal::Terminal::start(Path::new("target/debug/qnce"), &["play", "stories/crossroads"], 90, 26);
//! term.wait_text("turn 0");
//! term.keys(&["Enter"]);
//! term.wait_text("turn 1");
//! term.keys(&["q"]);
//! assert_eq!(term.wait_exit(), 0);
//! assert!(term.cooked(), "the terminal was given back");
//! ```

#![expect(
    clippy::unwrap_used,
    reason = "test support: a broken pty or a poisoned lock ends the test with its message"
)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::termios::LocalFlags;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize};

/// How long any one expected screen may take; far above what a step or a reload takes.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What the emulator has seen, shared with the thread that reads the pty.
struct Shared {
    parser: vt100::Parser,
    /// The program's side of the pty is closed: it exited (or closed its terminal).
    closed: bool,
}

/// One program running in a pseudo-terminal of the test's own.
pub struct Terminal {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    shared: Arc<(Mutex<Shared>, Condvar)>,
}

impl Terminal {
    /// Starts `program` with `args` in a `width` × `height` terminal, in this process's
    /// current directory and environment, with `TERM=xterm-256color`.
    ///
    /// # Panics
    /// When no pseudo-terminal can be opened or the program cannot be started.
    pub fn start(program: &Path, args: &[&str], width: u16, height: u16) -> Terminal {
        Terminal::start_with_env(program, args, &[], width, height)
    }

    /// As [`Terminal::start`], with `env` added to the program's environment.
    ///
    /// # Panics
    /// When no pseudo-terminal can be opened or the program cannot be started.
    pub fn start_with_env(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        width: u16,
        height: u16,
    ) -> Terminal {
        let pair = portable_pty::native_pty_system()
            .openpty(PtySize {
                rows: height,
                cols: width,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal opens");
        // portable-pty looks a relative program up in PATH, even `target/release/qnce`.
        let program = std::path::absolute(program).expect("the program's path resolves");
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.cwd(std::env::current_dir().unwrap());
        command.env("TERM", "xterm-256color");
        for (key, value) in env {
            command.env(key, value);
        }
        let child = pair
            .slave
            .spawn_command(command)
            .expect("the program starts");
        // Only the program holds the terminal's side now, so its exit ends the reading.
        drop(pair.slave);
        let shared = Arc::new((
            Mutex::new(Shared {
                parser: vt100::Parser::new(
                    NonZeroU16::new(height).expect("a terminal has rows"),
                    NonZeroU16::new(width).expect("a terminal has columns"),
                    0,
                ),
                closed: false,
            }),
            Condvar::new(),
        ));
        let reader = pair.master.try_clone_reader().unwrap();
        let feed = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || read_into_emulator(reader, &feed))
            .unwrap();
        let writer = pair.master.take_writer().unwrap();
        Terminal {
            master: pair.master,
            writer,
            child,
            shared,
        }
    }

    /// Types `keys`, each a key name (`Enter`, `Escape`, `Up`, `Down`, `Left`, `Right`,
    /// `Tab`, `Backspace`) or literal text.
    pub fn keys(&mut self, keys: &[&str]) {
        for key in keys {
            let bytes: &[u8] = match *key {
                "Enter" => b"\r",
                "Escape" => b"\x1b",
                "Tab" => b"\t",
                "Backspace" => b"\x7f",
                "Up" => b"\x1b[A",
                "Down" => b"\x1b[B",
                "Right" => b"\x1b[C",
                "Left" => b"\x1b[D",
                text => text.as_bytes(),
            };
            self.writer.write_all(bytes).unwrap();
        }
        self.writer.flush().unwrap();
    }

    /// The screen's text now, a line per row.
    pub fn screen(&self) -> String {
        self.lock().parser.screen().contents()
    }

    /// Whether the program has the alternate screen on.
    pub fn alternate_screen(&self) -> bool {
        self.lock().parser.screen().alternate_screen()
    }

    /// Whether the program has hidden the cursor.
    pub fn cursor_hidden(&self) -> bool {
        self.lock().parser.screen().hide_cursor()
    }

    /// Waits until the screen shows what `ready` looks for, and returns it. Wakes on each
    /// chunk the program writes, not on a timer.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.wait(what, |shared| {
            let screen = shared.parser.screen().contents();
            ready(&screen).then_some(screen)
        })
    }

    /// Waits until the screen shows `needle`, and returns it.
    pub fn wait_text(&self, needle: &str) -> String {
        self.wait_for(needle, |s| s.contains(needle))
    }

    /// The program's process id.
    ///
    /// # Panics
    /// When the pty layer does not know it.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the program's pid is known")
    }

    /// Waits for the program to exit and for everything it wrote to be read, and returns
    /// its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        self.wait("the program's exit", |shared| shared.closed.then_some(()));
        self.child.wait().unwrap().exit_code()
    }

    /// Waits, waking on each chunk the program writes, until `done` gives a value; panics
    /// with the last screen after [`PATIENCE`], or once the program has exited without it.
    fn wait<T>(&self, what: &str, done: impl Fn(&Shared) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        let (_, written) = &*self.shared;
        let mut shared = self.lock();
        loop {
            if let Some(value) = done(&shared) {
                return value;
            }
            let now = Instant::now();
            assert!(
                now < deadline && !shared.closed,
                "no {what} within {PATIENCE:?} (program exited: {}); last screen:\n{}",
                shared.closed,
                shared.parser.screen().contents()
            );
            shared = written.wait_timeout(shared, deadline - now).unwrap().0;
        }
    }

    /// Whether the terminal's line discipline is in canonical mode with echo on (as a
    /// shell leaves it), read from the pty; raw mode turns both off.
    pub fn cooked(&self) -> bool {
        let modes = self
            .master
            .get_termios()
            .expect("the pty's modes can be read");
        modes
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO)
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.0.lock().unwrap()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // A failed test must not leave the program running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Feeds the emulator every chunk the program writes, until its side closes (read gives
/// 0, or EIO as Linux does once the last descriptor of the terminal's side is closed).
fn read_into_emulator(mut reader: Box<dyn Read + Send>, shared: &(Mutex<Shared>, Condvar)) {
    let (state, written) = shared;
    let mut buf = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => 0,
        };
        // A poisoned lock means the caller panicked waiting: nobody reads on.
        let Ok(mut state) = state.lock() else { return };
        if n == 0 {
            state.closed = true;
        } else {
            state.parser.process(&buf[..n]);
        }
        written.notify_all();
        if state.closed {
            return;
        }
    }
}
