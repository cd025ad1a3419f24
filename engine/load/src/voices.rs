//! Voice files: `voice/LINE_ID.ogg` beside `story.ron` for the source language, and
//! `locales/TAG/voice/LINE_ID.ogg` for each locale, found when the story loads and keyed
//! by line id, so that a game can play a line's recording in the player's language.

use std::path::{Path, PathBuf};

use qnce_core::story::Voices;
use rustc_hash::FxHashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Source;

/// The extensions a voice file may have, in the order preferred when a line has several.
pub const VOICE_EXTENSIONS: [&str; 5] = ["ogg", "opus", "wav", "mp3", "flac"];

/// Whether `path`, relative to the story directory, is where a voice file may be:
/// `voice/NAME.EXT` or `locales/TAG/voice/NAME.EXT`, with a voice extension.
pub fn is_voice_path(relative: &Path) -> bool {
    let parts: Vec<_> = relative.iter().collect();
    let place = match parts.as_slice() {
        [voice, _] => *voice == "voice",
        [locales, _, voice, _] => *locales == "locales" && *voice == "voice",
        _ => false,
    };
    place
        && relative
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| VOICE_EXTENSIONS.contains(&e))
}

/// Finds the voice files of the story at `root`. With `lines` (what gives the story's line
/// ids, asked only when there is a voice file), a file named for no line, and a second
/// file for one line, are warnings.
pub fn find<'l>(
    source: &dyn Source,
    root: &Path,
    lines: Option<&dyn Fn() -> FxHashSet<&'l str>>,
    warnings: &mut Vec<Diagnostic>,
) -> Vec<Voices> {
    let mut known: Option<FxHashSet<&str>> = None;
    let mut out = Vec::new();
    let mut dirs = vec![(None, root.join("voice"))];
    let mut locales = source.dirs_in(&root.join("locales"));
    locales.sort();
    for dir in locales {
        if let Some(tag) = dir.file_name().and_then(|n| n.to_str()) {
            dirs.push((Some(tag.replace('_', "-")), dir.join("voice")));
        }
    }
    for (locale, dir) in dirs {
        let mut files: Vec<PathBuf> = source
            .files_in(&dir)
            .into_iter()
            .filter(|p| {
                p.strip_prefix(root).is_ok_and(is_voice_path)
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        if files.is_empty() {
            continue;
        }
        // Preferred extension first, so that it is the one kept.
        let rank = |p: &Path| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            VOICE_EXTENSIONS.iter().position(|e| *e == ext)
        };
        files.sort_by(|a, b| (a.file_stem(), rank(a)).cmp(&(b.file_stem(), rank(b))));
        let mut voices = Voices {
            locale: locale.as_deref().map(Into::into),
            lines: Default::default(),
        };
        for path in files {
            let Some(line) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let warn = |message: String| Diagnostic {
                severity: Severity::Warning,
                path: path.clone(),
                line: 1,
                col: 1,
                message,
                source_line: None,
            };
            let unknown =
                lines.is_some_and(|lines| !known.get_or_insert_with(lines).contains(line));
            if unknown {
                warnings.push(warn(format!(
                    "no text has line id `{line}`, so this voice file is never played"
                )));
                continue;
            }
            let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
            if let Some(kept) = voices.lines.get(line) {
                warnings.push(warn(format!(
                    "line `{line}` has another voice file, `{}`, which is the one used",
                    kept.display()
                )));
                continue;
            }
            voices.lines.insert(line.into(), relative);
        }
        out.push(voices);
    }
    out
}
