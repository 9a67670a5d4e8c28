//! Reading a file's text: strict UTF-8, no BOM, no NUL, bounded size.

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
    let bytes = std::fs::read(path).map_err(|e| err(io_message(&e)))?;
    decode(bytes).map_err(|e| err(e.to_string()))
}

/// Why a file's bytes are not SQL text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("file is UTF-16; convert it to UTF-8 (PostgreSQL migration tools read UTF-8)")]
    Utf16,
    #[error("line {line}: NUL byte: this looks like a binary file, not SQL")]
    Nul { line: usize },
    #[error(
        "line {line}, column {column}: invalid UTF-8 (byte 0x{byte:02X}); save the file as UTF-8"
    )]
    InvalidUtf8 {
        line: usize,
        column: usize,
        byte: u8,
    },
}

/// The text of `bytes`: UTF-8 (a leading byte-order mark dropped), no NUL.
pub fn decode(bytes: Vec<u8>) -> Result<String, DecodeError> {
    let bytes = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[3..].to_vec()
    } else {
        bytes
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DecodeError::Utf16);
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            if let Some(pos) = s.find('\0') {
                let line = s[..pos].bytes().filter(|b| *b == b'\n').count() + 1;
                return Err(DecodeError::Nul { line });
            }
            Ok(s)
        }
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1;
            let column = String::from_utf8_lossy(
                &bytes[bytes[..pos]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map(|p| p + 1)
                    .unwrap_or(0)..pos],
            )
            .chars()
            .count()
                + 1;
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
            decode(b"a\nb\0".to_vec()).unwrap_err().to_string(),
            "line 2: NUL byte: this looks like a binary file, not SQL"
        );
        assert_eq!(
            decode(b"\xFF\xFEa".to_vec()).unwrap_err(),
            DecodeError::Utf16
        );
    }
}
