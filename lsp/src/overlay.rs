//! The story's files as the editor has them: its unsaved buffers over the file system, as
//! a [`Source`] the engine's loader reads, so that diagnostics follow typing, not saving.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qnce_load::{FileSystem, Source, SourceError};

use crate::index::normalize;

/// The open buffers (absolute paths) in front of the file system.
#[derive(Clone, Debug, Default)]
pub(crate) struct Overlay {
    buffers: HashMap<PathBuf, Arc<str>>,
}

impl Overlay {
    /// Puts the buffer of `path` in front of the file.
    pub(crate) fn open(&mut self, path: &Path, text: Arc<str>) {
        self.buffers.insert(normalize(path), text);
    }

    /// Takes the buffer of `path` away: the file on disk shows again.
    pub(crate) fn close(&mut self, path: &Path) {
        self.buffers.remove(&normalize(path));
    }

    /// The buffer of `path`, if open.
    pub(crate) fn buffer(&self, path: &Path) -> Option<&Arc<str>> {
        self.buffers.get(&normalize(path))
    }

    /// The text of `path`: its buffer, else the file (`None` when unreadable or not
    /// UTF-8, or larger than `limit` bytes).
    pub(crate) fn text(&self, path: &Path, limit: u64) -> Option<Arc<str>> {
        if let Some(text) = self.buffer(path) {
            return Some(text.clone());
        }
        let bytes = FileSystem.read(path, limit.saturating_add(1)).ok()?;
        if bytes.len() as u64 > limit {
            return None;
        }
        String::from_utf8(bytes).ok().map(Arc::from)
    }
}

impl Source for Overlay {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
        match self.buffer(path) {
            Some(text) => {
                let n = usize::try_from(limit).unwrap_or(usize::MAX).min(text.len());
                Ok(text.as_bytes()[..n].to_vec())
            }
            None => FileSystem.read(path, limit),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        FileSystem.is_dir(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.buffer(path).is_some() || FileSystem.is_file(path)
    }

    fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        let dir = normalize(dir);
        let mut files = FileSystem.files_in(&dir);
        for path in self.buffers.keys() {
            if path.parent() == Some(dir.as_path()) && !files.contains(path) {
                files.push(path.clone());
            }
        }
        files
    }

    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        FileSystem.dirs_in(dir)
    }

    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        FileSystem.real_path(path)
    }
}
