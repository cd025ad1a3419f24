//! Where a story's files come from: the file system ([`FileSystem`]), or memory
//! ([`MemoryFiles`]: an archive a game unpacked, a test's strings), behind one small
//! trait ([`Source`]). Loading reads files only through it.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::cache::normalize as lexical;
use std::sync::Arc;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// Reading failed (`NotFound` for no such file).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The path names something other than a regular file, which is never read (a FIFO
    /// would wait for a writer forever, a device never ends).
    #[error("not a regular file ({0}): only files are read")]
    NotAFile(&'static str),
}

/// A tree of story files. Paths are as loading builds them: the path given to load, and
/// includes and assets joined to its directory.
pub trait Source: fmt::Debug + Send + Sync {
    /// At most `limit` bytes of the file at `path` (reading one byte past a size limit
    /// tells "at the limit" from "over it").
    ///
    /// # Errors
    /// [`SourceError::Io`] (`NotFound` for no such file), or [`SourceError::NotAFile`].
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, SourceError>;

    /// Whether `path` is a directory (then the story is its `story.ron`).
    fn is_dir(&self, path: &Path) -> bool;

    /// Whether `path` is a regular file (an asset must be).
    fn is_file(&self, path: &Path) -> bool;

    /// The files directly in directory `dir` (none when it is not one).
    fn files_in(&self, dir: &Path) -> Vec<PathBuf>;

    /// The directories directly in directory `dir` (none when it is not one, and none
    /// for a source that does not list directories: then only the source language's
    /// voice files are found).
    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        let _ = dir;
        Vec::new()
    }

    /// `path` with links followed, for sources that have links: a file that lies inside
    /// the story directory by name but outside it by a link is refused.
    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        let _ = path;
        None
    }
}

/// The file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileSystem;

impl Source for FileSystem {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
        let meta = std::fs::metadata(path)?;
        let kind = meta.file_type();
        if !kind.is_file() {
            return Err(SourceError::NotAFile(crate::read::kind_name(kind)));
        }
        // Room for the file as its metadata gives it, within the limit, and the one byte
        // more that reading to the end looks for: one allocation rather than doubling.
        // The limit, not the metadata, bounds what is read.
        let expected = meta.len().min(limit).saturating_add(1);
        let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        std::fs::File::open(path)?
            .take(limit)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect()
    }

    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect()
    }

    fn real_path(&self, path: &Path) -> Option<PathBuf> {
        path.canonicalize().ok()
    }
}

/// Story files held in memory, by path: what a game unpacked from an archive, or a
/// test's strings. Paths are relative and compared lexically (`./a/../b.ron` is
/// `b.ron`); diagnostics name them as given.
///
/// # Examples
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use qnce_load::{Limits, MemoryFiles, load_from};
///
/// let files = MemoryFiles::default()
///     .with("story.ron", r#"Story(title: "t", start: "a", include: ["more.ron"], nodes: {
///         "a": (text: "Hello", choices: [(text: "On", to: "b")]) })"#)
///     .with("more.ron", r#"Include(nodes: { "b": (text: "Bye") })"#);
/// let story = load_from(&files, "story.ron", &Limits::default())?.value;
/// assert_eq!(story.n_nodes(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: BTreeMap<PathBuf, Arc<[u8]>>,
}

impl MemoryFiles {
    /// These files with `path` holding `contents` (replacing what it held).
    pub fn with(mut self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> Self {
        self.insert(path, contents);
        self
    }

    /// Puts `contents` at `path`, replacing what it held.
    pub fn insert(&mut self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
        self.files
            .insert(lexical(path.as_ref()), Arc::from(contents.as_ref()));
    }

    /// Removes the file at `path`; whether there was one.
    pub fn remove(&mut self, path: impl AsRef<Path>) -> bool {
        self.files.remove(&lexical(path.as_ref())).is_some()
    }
}

impl Source for MemoryFiles {
    fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
        let path = lexical(path);
        match self.files.get(&path) {
            Some(bytes) => {
                let n = usize::try_from(limit)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                Ok(bytes[..n].to_vec())
            }
            None if self.is_dir(&path) => Err(SourceError::NotAFile("a directory")),
            None => Err(SourceError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file in memory",
            ))),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        let path = lexical(path);
        self.files
            .keys()
            .any(|k| k.starts_with(&path) && *k != path)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&lexical(path))
    }

    fn files_in(&self, dir: &Path) -> Vec<PathBuf> {
        let dir = lexical(dir);
        self.files
            .keys()
            .filter(|k| k.parent() == Some(dir.as_path()))
            .cloned()
            .collect()
    }

    fn dirs_in(&self, dir: &Path) -> Vec<PathBuf> {
        let dir = lexical(dir);
        let mut dirs: Vec<PathBuf> = self
            .files
            .keys()
            .filter_map(|k| {
                let rest = k.strip_prefix(&dir).ok()?;
                let mut parts = rest.components();
                let first = parts.next()?;
                // Only a path with more below it names a directory.
                parts.next()?;
                Some(dir.join(first))
            })
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }
}
