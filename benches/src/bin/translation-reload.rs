//! Measures live reload with translations on the generated 10,000-node story: a one-node
//! story edit without translations against the same edit with two complete ones, and a
//! one-entry edit of a translation file.
//!
//! `cargo run --release -p qnce-benches --bin translation-reload [-- CYCLES]` (default 200)
//!
//! The translations are written from the extracted catalogue (every `msgstr` its `msgid`
//! with `[de] ` or `[fr] ` before it, so that every entry checks). Each cycle writes one
//! file (alternating between two versions, not timed) and reloads it through
//! `Reloader::reload`; the figures are medians of the wall clock around that call. The
//! three kinds of edit take turns within each round, so that the machine's noise falls on
//! all three alike.
#![expect(clippy::print_stdout, reason = "it prints its measurements")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use qnce::Limits;
use qnce::reload::Reloader;
use qnce_benches::generate::{StoryShape, file_name, write_story};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A complete translation of `template`: every entry translated as `[tag] ` + source.
fn translation(template: &qnce::po::Catalogue, tag: &str) -> String {
    let mut c = template.clone();
    for e in &mut c.entries {
        e.translation = format!("[{tag}] {}", e.source);
    }
    c.to_po()
}

/// One file that a cycle writes in turn: its two versions.
struct Edit {
    path: PathBuf,
    versions: [String; 2],
}

impl Edit {
    fn new(path: PathBuf, from: &str, to: &str) -> std::io::Result<Edit> {
        let original = std::fs::read_to_string(&path)?;
        let edited = original.replacen(from, to, 1);
        assert_ne!(original, edited, "{from} is in {}", path.display());
        Ok(Edit {
            path,
            versions: [original, edited],
        })
    }

    /// Writes the version for `cycle` and reloads it; returns the wall time.
    fn cycle(
        &self,
        cycle: usize,
        story: &mut qnce::Story,
        reloader: &mut Reloader,
    ) -> Result<Duration, Box<dyn std::error::Error>> {
        std::fs::write(&self.path, &self.versions[(cycle + 1) % 2])?;
        let t = Instant::now();
        let report = reloader.reload(story, Some(std::slice::from_ref(&self.path)))?;
        let wall = t.elapsed();
        assert!(
            report.translation_errors.is_empty(),
            "{}",
            report.translation_errors
        );
        Ok(wall)
    }
}

fn story_in(dir: &Path) -> Result<(qnce::Story, Reloader), Box<dyn std::error::Error>> {
    Ok(Reloader::load(dir, &Limits::default())?.value)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cycles: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let base = std::env::temp_dir().join(format!("qnce-tr-reload-{}", std::process::id()));
    let (plain, translated) = (base.join("plain"), base.join("translated"));
    write_story(&plain, StoryShape::LARGE)?;
    write_story(&translated, StoryShape::LARGE)?;
    let template = qnce::strings::extract(&qnce::load(&plain, &Limits::default())?.value);
    std::fs::create_dir_all(translated.join("locales"))?;
    for tag in ["de", "fr"] {
        std::fs::write(
            translated.join(format!("locales/{tag}.po")),
            translation(&template, tag),
        )?;
    }

    // The story edit: node 5000's text, in the middle of the story.
    let story_edit =
        |dir: &Path| Edit::new(dir.join(file_name(50)), "\"Room 5000. ", "\"Hall 5000. ");
    let plain_edit = story_edit(&plain)?;
    let translated_edit = story_edit(&translated)?;
    let po_edit = Edit::new(
        translated.join("locales/de.po"),
        "msgstr \"[de] Room 5000. ",
        "msgstr \"[de] Saal 5000. ",
    )?;

    let (mut plain_story, mut plain_reloader) = story_in(&plain)?;
    let (mut story, mut reloader) = story_in(&translated)?;
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for cycle in 0..cycles {
        a.push(plain_edit.cycle(cycle, &mut plain_story, &mut plain_reloader)?);
        b.push(translated_edit.cycle(cycle, &mut story, &mut reloader)?);
        c.push(po_edit.cycle(cycle, &mut story, &mut reloader)?);
    }
    let (a, b, c) = (median(a), median(b), median(c));
    println!(
        "story: {} nodes over {} files, {} texts; two complete translations of {:.1} MB each",
        story.n_nodes(),
        StoryShape::LARGE.n_files,
        template.entries.len(),
        std::fs::metadata(translated.join("locales/de.po"))?.len() as f64 / 1e6
    );
    println!("medians of {cycles} reloads each, taking turns:");
    println!(
        "  story edit (one node's text), no translations:  {:.2} ms",
        ms(a)
    );
    println!(
        "  story edit (one node's text), two translations: {:.2} ms ({:.2}x)",
        ms(b),
        b.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "  translation edit (one entry of de.po):          {:.2} ms ({:.2}x the story edit without)",
        ms(c),
        c.as_secs_f64() / a.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
