//! Save files on disk: atomic writes (a temporary file, then a rename) and reads that
//! name the file in their errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use qnce_core::runtime::{SaveData, SaveError};

/// Why a save file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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

/// Writes `text` to `path` atomically: to a uniquely named temporary file beside it
/// (tempfile), flushed to disk, renamed over `path`, and the directory flushed so that the
/// rename itself survives a crash. A crash leaves either the old file or the new one,
/// never a half-written file, and writers of the same path at once (threads, processes)
/// never share a temporary file: the last rename wins whole. A file written over keeps its
/// permissions; a new one gets the usual `0666` less the umask.
///
/// # Errors
/// Any I/O error; `path` is then unchanged.
pub fn write_atomic(path: impl AsRef<Path>, text: &str) -> std::io::Result<()> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    // A new file gets the permissions any new file gets (`0666` less the umask), not a
    // temporary file's owner-only ones: a catalogue is for translators' tools to read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(dir)?;
    // A file written over keeps its permissions exactly.
    if let Some(permissions) = existing {
        file.as_file().set_permissions(permissions)?;
    }
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    // On failure the temporary file is removed when the error drops it.
    file.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// How the temporary files of [`write_atomic`] are named: `.qnce-XXXXXX.tmp`, so that
/// those a killed process left behind can be told from anyone else's files.
const TEMP_PREFIX: &str = ".qnce-";
const TEMP_SUFFIX: &str = ".tmp";

/// How old a temporary file of ours must be to count as left behind: a write takes
/// milliseconds, so one this old belongs to a process that was killed while writing.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the temporary files [`write_atomic`] left in `dir` when its process was killed
/// while writing (older than [`STALE_AFTER`]); returns how many. Other files, and a
/// write going on now, are left alone. A directory that does not exist has none.
///
/// # Errors
/// When `dir` cannot be listed.
pub fn remove_stale_temporaries(dir: impl AsRef<Path>) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX));
        let Ok(meta) = entry.metadata() else { continue };
        let stale = meta
            .modified()
            .ok()
            .and_then(|at| now.duration_since(at).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if ours && meta.is_file() && stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Flushes a directory's entries (a rename) to disk, where the platform can.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a save file atomically.
///
/// # Errors
/// [`SaveFileError::Io`] when the file cannot be written, [`SaveFileError::Invalid`] when
/// the save cannot be written as text.
pub fn write_save(path: impl AsRef<Path>, save: &SaveData) -> Result<(), SaveFileError> {
    let path = path.as_ref();
    let text = save.to_ron().map_err(|source| SaveFileError::Invalid {
        path: path.to_owned(),
        source,
    })?;
    write_atomic(path, &text).map_err(|source| SaveFileError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Reads a save file.
///
/// # Errors
/// [`SaveFileError::Io`] when it cannot be read, [`SaveFileError::Invalid`] when it is not
/// a save this build reads.
pub fn read_save(path: impl AsRef<Path>) -> Result<SaveData, SaveFileError> {
    let path = path.as_ref();
    let io = |source| SaveFileError::Io {
        path: path.to_owned(),
        source,
    };
    let text = read_bounded(path, MAX_SAVE_BYTES).map_err(io)?;
    SaveData::from_ron(&text).map_err(|source| SaveFileError::Invalid {
        path: path.to_owned(),
        source,
    })
}

/// The largest save file read: far beyond any save a story writes, and a bound on what a
/// damaged or hostile file costs.
pub const MAX_SAVE_BYTES: u64 = 64 * 1024 * 1024;

/// The UTF-8 text of the regular file at `path`, at most `max` bytes, without a leading
/// byte-order mark. Anything but a regular file, a larger file and text that is not UTF-8
/// are errors; the size is checked from metadata before reading and again while reading.
fn read_bounded(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read as _};
    if !std::fs::metadata(path)?.is_file() {
        return Err(Error::other("not a regular file"));
    }
    let too_large = || Error::other(format!("larger than the limit of {max} bytes"));
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > max {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large());
    }
    if bytes.starts_with(crate::read::BOM) {
        bytes.drain(..crate::read::BOM.len());
    }
    String::from_utf8(bytes).map_err(|e| Error::new(ErrorKind::InvalidData, e))
}
