//! Save files on disk: atomic writes (a temporary file, then a rename) and reads that
//! name the file in their errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use qnce_core::runtime::{SaveData, SaveError};

/// Why a save file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SaveFileError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The save file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's content is not a valid save.
    #[error("{}:{source}", path.display())]
    Invalid {
        /// The save file.
        path: PathBuf,
        /// What is wrong, with line and column for a parse error.
        source: SaveError,
    },
}

/// Writes `text` to `path` atomically: to a temporary file beside it, flushed to disk,
/// then renamed over `path`. A crash leaves either the old file or the new one, never a
/// half-written file.
///
/// # Errors
/// Any I/O error; `path` is then unchanged.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "save".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a save file atomically.
///
/// # Errors
/// [`SaveFileError::Io`] when the file cannot be written.
pub fn write_save(path: &Path, save: &SaveData) -> Result<(), SaveFileError> {
    write_atomic(path, &save.to_ron()).map_err(|source| SaveFileError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads a save file.
///
/// # Errors
/// [`SaveFileError::Io`] when it cannot be read, [`SaveFileError::Invalid`] when it is not
/// a save this build reads.
pub fn read_save(path: &Path) -> Result<SaveData, SaveFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| SaveFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    SaveData::from_ron(&text).map_err(|source| SaveFileError::Invalid {
        path: path.to_owned(),
        source,
    })
}
