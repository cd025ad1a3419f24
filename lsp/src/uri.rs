//! File paths as `file://` URIs and back: percent-encoded as RFC 3986 asks, so that a
//! story under a path with spaces or non-ASCII names round-trips.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use lsp_types::Uri;

/// The `file://` URI of an absolute path.
pub(crate) fn from_path(path: &Path) -> Option<Uri> {
    let mut uri = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

/// The path a `file://` URI names; `None` for another scheme.
pub(crate) fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://localhost/p` names `/p` too; a query or fragment is not part of the path.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    let path = PathBuf::from(String::from_utf8(out).ok()?);
    path.is_absolute().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_uris() {
        for path in ["/stories/crossroads/story.ron", "/a b/ünï #1%/story.ron"] {
            let uri = from_path(Path::new(path)).expect("a valid uri");
            assert!(!uri.as_str().contains(' '), "{}", uri.as_str());
            assert_eq!(to_path(&uri), Some(PathBuf::from(path)));
        }
        let vscode = Uri::from_str("file:///a%20b/c%3A.ron").expect("a valid uri");
        assert_eq!(to_path(&vscode), Some(PathBuf::from("/a b/c:.ron")));
        let other = Uri::from_str("untitled:Untitled-1").expect("a valid uri");
        assert_eq!(to_path(&other), None);
    }
}
