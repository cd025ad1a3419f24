//! Every request the server answers, at every sort of place in text being typed: random
//! edits of the example stories' files (quotes, braces, escapes, multibyte characters
//! cut in), then each request at positions across the file. None may panic.

use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;

use crate::index::{FileIndex, StoryFiles};
use crate::{complete, hover, navigate, symbols};

fn example(path: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../stories");
    std::fs::read_to_string(root.join(path)).expect("an example story file")
}

/// An edit of a file's text, by character.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let pieces = prop::sample::select(vec![
        "\"",
        "'",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ":",
        ",",
        "\\",
        "r#\"",
        "\"#",
        "é",
        "🌊",
        "\n",
        "visits('",
        "to: \"",
        "{if ",
        "{sequence: a | ",
        "Some(",
        "//",
        "/*",
    ]);
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), pieces).prop_map(|(at, p)| Edit::Insert(at, p)),
        (any::<usize>(), 1usize..80).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn apply(text: &mut String, edit: &Edit) {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = |n: usize| bounds[n % bounds.len()];
    match *edit {
        Edit::Delete(start, n) => {
            let (a, b) = (at(start), at(start % bounds.len() + n).max(at(start)));
            text.replace_range(a..b, "");
        }
        Edit::Insert(start, piece) => text.insert_str(at(start), piece),
        Edit::Duplicate(start, n) => {
            let (a, b) = (at(start), at(start % bounds.len() + n).max(at(start)));
            let piece = text[a..b].to_owned();
            text.insert_str(b, &piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn requests_on_text_being_typed_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec(edit(), 1..8),
        offsets in proptest::collection::vec(any::<usize>(), 64),
    ) {
        let files = [
            "crossroads/story.ron",
            "lighthouse/story.ron",
            "lighthouse/chapters/tower.ron",
            "market/story.ron",
        ];
        let mut text = example(files[which]);
        for e in &edits {
            apply(&mut text, e);
        }
        let path = PathBuf::from("/story/story.ron");
        let file = Arc::new(FileIndex::new(path.clone(), Arc::from(text.as_str())));
        let story = StoryFiles { main: path, files: vec![file.clone()], translations: Vec::new() };
        let _ = symbols::document_symbols(&file);
        let _ = symbols::workspace_symbols(std::slice::from_ref(&story), "a");
        for &o in &offsets {
            let position = file.lines.position(&file.text, o % (text.len() + 1));
            let offset = file.lines.offset(&file.text, position);
            prop_assert!(text.is_char_boundary(offset));
            let _ = complete::complete(&story, &file, offset);
            let _ = hover::hover(&story, &file, offset);
            let _ = navigate::definition(&story, &file, offset);
            let _ = navigate::references(&story, &file, offset, true);
            let _ = navigate::rename(&story, &file, offset, "renamed");
        }
    }
}
