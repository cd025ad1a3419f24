//! The signals that end a program (SIGTERM, SIGINT, SIGHUP, SIGQUIT), caught so that the
//! runner can save and restore the terminal before it exits with the conventional status,
//! 128 and the signal's number.

use crossbeam_channel::Receiver;

/// A caught signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal(pub i32);

impl Signal {
    /// The exit status that reports it: 128 and its number.
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(u8::MAX)
    }

    /// Its name, as `kill -l` gives it.
    pub fn name(self) -> String {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
            match self.0 {
                SIGTERM => return "SIGTERM".into(),
                SIGINT => return "SIGINT".into(),
                SIGHUP => return "SIGHUP".into(),
                SIGQUIT => return "SIGQUIT".into(),
                _ => {}
            }
        }
        format!("signal {}", self.0)
    }
}

/// From now on, the first signal that ends a program arrives on the returned channel
/// instead of ending it (a thread of its own forwards it); a second one ends the program
/// as it would have, should saving and restoring hang.
///
/// # Errors
/// When the handlers or the thread cannot be set up.
#[cfg(unix)]
pub fn catch() -> std::io::Result<Receiver<Signal>> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    const ENDING: [i32; 4] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT];
    let caught = Arc::new(AtomicBool::new(false));
    for signal in ENDING {
        // Once one was caught, the next takes the default action: the program ends.
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&caught))?;
    }
    let mut signals = signal_hook::iterator::Signals::new(ENDING)?;
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("qnce-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                caught.store(true, Ordering::SeqCst);
                let _ = tx.send(Signal(signal));
            }
        })?;
    Ok(rx)
}

/// Elsewhere, signals keep their default action.
///
/// # Errors
/// Never.
#[cfg(not(unix))]
pub fn catch() -> std::io::Result<Receiver<Signal>> {
    Ok(crossbeam_channel::never())
}
