//! Reading a file's text: strict UTF-8, no BOM, no NUL, bounded size; a
//! NUL byte in the first 8000 bytes makes it binary (as git decides).

use std::path::Path;

use super::SourceError;

/// Largest file read by default: a migration this big is a data dump, not
/// something a person reviews (`--max-file-size` raises it).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub(crate) fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            if s.contains("Too many levels of symbolic links") {
                "symlink loop".into()
            } else {
                s
            }
        }
    }
}

/// Read a file as UTF-8 text without a byte-order mark.
pub fn read_text(path: &Path) -> Result<String, SourceError> {
    read_text_limited(path, MAX_FILE_BYTES)
}

/// [`read_text`] with an explicit size limit in bytes.
pub fn read_text_limited(path: &Path, limit: u64) -> Result<String, SourceError> {
    let bytes = read_bytes_limited(path, limit)?;
    decode(bytes).map_err(|e| SourceError {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// A file's bytes, refused when it is a directory or larger than `limit`;
/// [`decode`] makes them text.
pub fn read_bytes_limited(path: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
    let err = |message: String| SourceError {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(io_message(&e)))?;
    if meta.is_dir() {
        return Err(err("is a directory, not a file".into()));
    }
    if meta.len() > limit {
        return Err(err(format!(
            "file is {:.1} MB, larger than the {} MB limit for one migration (raise it with --max-file-size)",
            meta.len() as f64 / 1_048_576.0,
            limit / 1_048_576
        )));
    }
    std::fs::read(path).map_err(|e| err(io_message(&e)))
}

/// How far into a file a NUL byte makes it binary: git's heuristic
/// (`buffer_is_binary` looks at the first 8000 bytes).
pub const BINARY_PROBE_BYTES: usize = 8000;

/// Why a file's bytes are not SQL text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("file is UTF-16; convert it to UTF-8 (PostgreSQL migration tools read UTF-8)")]
    Utf16,
    /// A NUL byte in the first [`BINARY_PROBE_BYTES`]: not text at all.
    #[error("binary file, not SQL (a NUL byte in its first 8000 bytes)")]
    Binary,
    /// A NUL byte further on, in what is otherwise text.
    #[error("line {line}, column {column}: NUL byte; SQL text cannot hold one")]
    Nul { line: usize, column: usize },
    #[error(
        "line {line}, column {column}: invalid UTF-8 (byte 0x{byte:02X}); save the file as UTF-8"
    )]
    InvalidUtf8 {
        line: usize,
        column: usize,
        byte: u8,
    },
}

/// The 1-based line and character column of byte `pos` in `bytes` (the
/// bytes before it on its line read as UTF-8, invalid ones one character
/// each).
fn line_column(bytes: &[u8], pos: usize) -> (usize, usize) {
    let line = bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1;
    let start = bytes[..pos]
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    let column = String::from_utf8_lossy(&bytes[start..pos]).chars().count() + 1;
    (line, column)
}

/// The text of `bytes`: UTF-8 (a leading byte-order mark dropped), no NUL.
/// A NUL byte in the first [`BINARY_PROBE_BYTES`] makes it
/// [`DecodeError::Binary`], as git decides; other problems are located.
pub fn decode(bytes: Vec<u8>) -> Result<String, DecodeError> {
    let bytes = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[3..].to_vec()
    } else {
        bytes
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DecodeError::Utf16);
    }
    if bytes[..bytes.len().min(BINARY_PROBE_BYTES)].contains(&0) {
        return Err(DecodeError::Binary);
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            if let Some(pos) = s.find('\0') {
                let (line, column) = line_column(s.as_bytes(), pos);
                return Err(DecodeError::Nul { line, column });
            }
            Ok(s)
        }
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let (line, column) = line_column(&bytes, pos);
            Err(DecodeError::InvalidUtf8 {
                line,
                column,
                byte: bytes[pos],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFSELECT 1;".to_vec()).unwrap(),
            "SELECT 1;"
        );
        assert_eq!(
            decode(b"SELECT 1;\n\xFF".to_vec()).unwrap_err().to_string(),
            "line 2, column 1: invalid UTF-8 (byte 0xFF); save the file as UTF-8"
        );
        assert_eq!(
            decode(b"SELECT 'caf\xE9';".to_vec())
                .unwrap_err()
                .to_string(),
            "line 1, column 12: invalid UTF-8 (byte 0xE9); save the file as UTF-8"
        );
        assert_eq!(decode(b"a\nb\0".to_vec()).unwrap_err(), DecodeError::Binary);
        assert_eq!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).unwrap_err(),
            DecodeError::Binary
        );
        // Past the first 8000 bytes a NUL is a located problem in text.
        let mut late = "-- x\n".repeat(2000).into_bytes();
        late.extend(b"SELECT \0;");
        assert_eq!(
            decode(late).unwrap_err().to_string(),
            "line 2001, column 8: NUL byte; SQL text cannot hold one"
        );
        assert_eq!(
            decode(b"\xFF\xFEa".to_vec()).unwrap_err(),
            DecodeError::Utf16
        );
    }
}
