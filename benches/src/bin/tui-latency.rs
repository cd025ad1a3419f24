//! Input latency in a real terminal (key read to frame drawn, as the runner records it):
//! the release binary full-screen in a pseudo-terminal of our own (100×30), 400 keys
//! (Enter and `u` alternating, each typed once the previous frame shows), then the help
//! screen's p50/p99 line. Needs no tmux and no system package.
//!
//! `cargo build --release -p qnce-cli && cargo run --release -p qnce-benches --bin
//! tui-latency -- target/release/qnce stories/lighthouse`

use std::path::Path;

use qnce_terminal::Terminal;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(qnce), Some(story)) = (args.next(), args.next()) else {
        return Err("usage: tui-latency QNCE_BINARY STORY".into());
    };
    let saves = std::env::temp_dir().join(format!("qnce-lat-saves-{}", std::process::id()));
    let saves = saves
        .to_str()
        .ok_or("the temporary directory is not UTF-8")?;
    let mut term = Terminal::start(
        Path::new(&qnce),
        &[
            "play",
            &story,
            "--seed",
            "1",
            "--save-dir",
            saves,
            "--no-gamepad",
        ],
        100,
        30,
    );
    term.wait_text("turn 0");
    for _ in 0..200 {
        term.keys(&["Enter"]);
        term.wait_text("turn 1");
        term.keys(&["u"]);
        term.wait_text("turn 0");
    }
    term.keys(&["?"]);
    let screen = term.wait_text("Input latency: p50");
    let line = screen
        .lines()
        .find_map(|l| l.find("Input latency: p50").map(|at| &l[at..]))
        .unwrap_or_default();
    let line = line.split('│').next().unwrap_or_default().trim_end();
    #[expect(clippy::print_stdout, reason = "the figure is this program's output")]
    {
        println!("{line}");
    }
    // Esc closes the help (on its own: Esc and q in one read would be Alt-q), q quits.
    term.keys(&["Escape"]);
    term.wait_for("the help closed", |s| !s.contains("Input latency"));
    term.keys(&["q"]);
    term.wait_exit();
    let _ = std::fs::remove_dir_all(saves);
    Ok(())
}
