//! Save slots: numbered save files in one directory, written atomically.

use std::path::{Path, PathBuf};

use qnce::SaveData;
use qnce::persist::{SaveFileError, read_save, write_save};

/// What a slot holds, for the slot list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// No save yet.
    Empty,
    /// A save: its flow, node and turn.
    Saved {
        /// The current flow.
        flow: String,
        /// The flow's current node.
        node: String,
        /// Choices made.
        turn: u64,
    },
    /// A file that is not a readable save (the error, to show).
    Unreadable(String),
}

/// Numbered save slots in a directory (`slot-1.ron`, …), created at the first save.
#[derive(Clone, Debug)]
pub struct Slots {
    dir: PathBuf,
    n_slots: usize,
}

impl Slots {
    /// `n_slots` slots in `dir`.
    pub fn new(dir: PathBuf, n_slots: usize) -> Slots {
        Slots { dir, n_slots }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many slots there are.
    pub fn n_slots(&self) -> usize {
        self.n_slots
    }

    /// The file of slot `number` (from 1).
    pub fn path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("slot-{number}.ron"))
    }

    /// What slot `number` holds.
    pub fn state(&self, number: usize) -> SlotState {
        let path = self.path(number);
        if !path.exists() {
            return SlotState::Empty;
        }
        match read_save(&path) {
            Ok(save) => {
                let node = save
                    .flows
                    .iter()
                    .find(|f| f.name == save.current_flow)
                    .and_then(|f| f.node.clone())
                    .unwrap_or_default();
                SlotState::Saved {
                    flow: save.current_flow,
                    node,
                    turn: save.turn,
                }
            }
            Err(e) => SlotState::Unreadable(e.to_string()),
        }
    }

    /// Writes `save` to slot `number` (temporary file, then rename).
    ///
    /// # Errors
    /// When the directory cannot be created or the file cannot be written; a slot that
    /// held a save keeps it.
    pub fn save(&self, number: usize, save: &SaveData) -> Result<PathBuf, SaveFileError> {
        let path = self.path(number);
        std::fs::create_dir_all(&self.dir).map_err(|source| SaveFileError::Io {
            path: self.dir.clone(),
            source,
        })?;
        write_save(&path, save)?;
        Ok(path)
    }

    /// Reads slot `number`.
    ///
    /// # Errors
    /// When the slot is empty or its file is not a save.
    pub fn load(&self, number: usize) -> Result<SaveData, SaveFileError> {
        read_save(self.path(number))
    }
}
