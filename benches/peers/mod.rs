//! The three engines behind one small interface, for the side-by-side benches and the
//! test that they play the generated graph alike: ours (`qnce`), ink (`bladeink`, after
//! `bladeink-compiler`) and Yarn Spinner (`yarnspinner`). Shared by path (`#[path]`),
//! because bladeink and yarnspinner are dev-dependencies of `qnce-benches` only.

#![allow(
    dead_code,
    reason = "shared by #[path] between the benches and a test, each using part of it"
)]

use std::path::Path;

use bladeink::story::Story as InkStory;
use qnce::{Limits, Session, SessionConfig, Story};
use yarnspinner::prelude::*;
use yarnspinner::runtime::{MemoryVariableStorage, StringTableTextProvider};

/// What the benches ask of each engine.
pub(crate) trait Engine {
    /// The current node's text, rendered.
    fn text(&self) -> &str;
    /// How many choices are available now (0 at an ending).
    fn n_choices(&self) -> usize;
    /// Takes available choice `index` and renders the next node's text.
    fn choose(&mut self, index: usize);
    /// Starts over from the first node with the initial state.
    fn restart(&mut self);
}

/// Ours: a loaded story and a session.
pub(crate) struct Qnce {
    pub(crate) story: Story,
    pub(crate) session: Session,
}

impl Qnce {
    /// Loads the story written by `write_story` in `dir`.
    pub(crate) fn load(dir: &Path) -> Qnce {
        let story = qnce::load(dir, &Limits::default())
            .expect("the generated story loads")
            .value;
        let session = Session::new(&story, SessionConfig::with_seed(1)).expect("session starts");
        Qnce { story, session }
    }
}

impl Engine for Qnce {
    fn text(&self) -> &str {
        self.session.text()
    }

    fn n_choices(&self) -> usize {
        self.session.n_choices()
    }

    fn choose(&mut self, index: usize) {
        self.session
            .choose(&self.story, index)
            .expect("an available choice");
    }

    fn restart(&mut self) {
        // A new game keeping the session's buffers, as a long-running game would.
        self.session
            .restart(&self.story, 1)
            .expect("session restarts");
    }
}

/// Compiles ink source to the JSON that bladeink runs.
pub(crate) fn compile_ink(source: &str) -> String {
    bladeink_compiler::Compiler::new()
        .compile(source)
        .expect("the generated ink compiles")
}

/// ink: a bladeink story and the text of its last continuation.
pub(crate) struct Ink {
    pub(crate) story: InkStory,
    pub(crate) json: String,
    text: String,
}

impl Ink {
    /// A story from compiled JSON, continued to its first choices.
    pub(crate) fn new(json: String) -> Ink {
        let story = InkStory::new(&json).expect("bladeink reads the compiled story");
        let mut ink = Ink {
            story,
            json,
            text: String::new(),
        };
        ink.continue_();
        ink
    }

    fn continue_(&mut self) {
        self.text = self
            .story
            .continue_maximally()
            .expect("the story continues")
            .trim_end()
            .to_owned();
    }
}

impl Engine for Ink {
    fn text(&self) -> &str {
        &self.text
    }

    fn n_choices(&self) -> usize {
        self.story.get_current_choices().len()
    }

    fn choose(&mut self, index: usize) {
        self.story
            .choose_choice_index(index)
            .expect("an available choice");
        self.continue_();
    }

    fn restart(&mut self) {
        self.story.reset_state().expect("ink resets");
        self.continue_();
    }
}

/// Compiles Yarn source; the program and its base-language string table.
pub(crate) fn compile_yarn(source: &str) -> (YarnProgram, StringTable) {
    let compilation = YarnCompiler::new()
        .add_file(YarnFile {
            file_name: "story.yarn".to_owned(),
            source: source.to_owned(),
        })
        .compile()
        .expect("the generated Yarn compiles");
    let strings = compilation
        .string_table
        .into_iter()
        .map(|(id, info)| (id, info.text))
        .collect();
    (
        compilation
            .program
            .expect("a full compilation has a program"),
        strings,
    )
}

/// Yarn Spinner: a dialogue, the text of its last line and its available options.
pub(crate) struct Yarn {
    pub(crate) dialogue: Dialogue,
    text: String,
    options: Vec<OptionId>,
}

impl Yarn {
    /// A dialogue running `program` from `n0`, continued to its first options.
    pub(crate) fn new(program: YarnProgram, strings: StringTable) -> Yarn {
        let mut text_provider = StringTableTextProvider::new();
        text_provider.extend_base_language(strings);
        let mut dialogue = Dialogue::new(
            Box::new(MemoryVariableStorage::new()),
            Box::new(text_provider),
        );
        dialogue.add_program(program);
        let mut yarn = Yarn {
            dialogue,
            text: String::new(),
            options: Vec::new(),
        };
        yarn.restart();
        yarn
    }

    /// Runs until the next options or the end, keeping the last line's text.
    fn continue_(&mut self) {
        self.options.clear();
        loop {
            let events = self.dialogue.continue_().expect("the dialogue continues");
            let mut waiting = false;
            for event in events {
                match event {
                    DialogueEvent::Line(line) => self.text = line.text,
                    DialogueEvent::Options(options) => {
                        self.options = options
                            .into_iter()
                            .filter(|o| o.is_available)
                            .map(|o| o.id)
                            .collect();
                        waiting = true;
                    }
                    DialogueEvent::DialogueComplete => waiting = true,
                    _ => {}
                }
            }
            if waiting {
                return;
            }
        }
    }
}

impl Yarn {
    /// A hot reload as Yarn Spinner's Bevy plugin does it: the new program and strings
    /// replace the old, variables stay (the storage is kept), and the current node
    /// starts again from its top.
    pub(crate) fn reload(&mut self, program: YarnProgram, strings: StringTable) {
        let node = self.dialogue.current_node().expect("a node is running");
        let mut text_provider = StringTableTextProvider::new();
        text_provider.extend_base_language(strings);
        let storage = self.dialogue.variable_storage().clone_shallow();
        self.dialogue = Dialogue::new(storage, Box::new(text_provider));
        self.dialogue.add_program(program);
        self.dialogue.set_node(node).expect("the node still exists");
        self.continue_();
    }
}

impl Engine for Yarn {
    fn text(&self) -> &str {
        &self.text
    }

    fn n_choices(&self) -> usize {
        self.options.len()
    }

    fn choose(&mut self, index: usize) {
        self.dialogue
            .set_selected_option(self.options[index])
            .expect("an available option");
        self.continue_();
    }

    fn restart(&mut self) {
        // A fresh variable storage: the initial state, as ink's reset and our new session.
        self.dialogue.variable_storage_mut().clear();
        self.dialogue.set_node("n0").expect("n0 exists");
        self.continue_();
    }
}
