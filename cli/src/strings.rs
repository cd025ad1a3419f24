//! `qnce strings extract`: the story's base catalogue of translatable texts
//! (`template.pot`), and every translation beside it (`*.po`) brought up to date with it.

use std::path::{Path, PathBuf};

use qnce::load::Limits;
use qnce::po::Catalogue;
use qnce::strings::{extract, merge};

use crate::{EXIT_ERRORS, EXIT_USAGE};

/// The file name of the base catalogue.
pub(crate) const TEMPLATE: &str = "template.pot";

/// Writes `DIR/template.pot` (default `STORY/locales`) and merges each `DIR/*.po` with
/// it, printing what each merge did.
pub(crate) fn extract_run(story_path: &Path, out: Option<&Path>) -> u8 {
    // The story without its translations: a mistake in one does not stop extracting.
    let story = match qnce::load_untranslated(story_path, &Limits::default()) {
        Ok(loaded) => loaded.value,
        Err(e) => {
            eprintln!("qnce: {e}");
            return EXIT_ERRORS;
        }
    };
    let dir = out.map_or_else(|| story.root().join("locales"), Path::to_owned);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("qnce: cannot create {}: {e}", dir.display());
        return EXIT_USAGE;
    }
    let base = extract(&story);
    let template = dir.join(TEMPLATE);
    if let Err(e) = qnce::persist::write_atomic(&template, &base.to_po()) {
        eprintln!("qnce: cannot write {}: {e}", template.display());
        return EXIT_USAGE;
    }
    say!("{}: {} string(s)", template.display(), base.entries.len());
    let mut code = 0;
    for po in translations(&dir) {
        let text = match std::fs::read_to_string(&po) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("qnce: cannot read {}: {e}", po.display());
                code = EXIT_ERRORS;
                continue;
            }
        };
        let translation = match Catalogue::parse(&text) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}:{e}", po.display());
                code = EXIT_ERRORS;
                continue;
            }
        };
        let (merged, counts) = merge(&base, &translation);
        if let Err(e) = qnce::persist::write_atomic(&po, &merged.to_po()) {
            eprintln!("qnce: cannot write {}: {e}", po.display());
            code = EXIT_USAGE;
            continue;
        }
        say!(
            "{}: {} kept, {} stale (fuzzy), {} new, {} obsolete",
            po.display(),
            counts.kept,
            counts.stale,
            counts.new,
            counts.obsolete
        );
    }
    code
}

/// The `.po` files of a directory, by name.
fn translations(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "po") && p.is_file())
        .collect();
    found.sort();
    found
}
