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
    decode(bytes).map_err(err)
}

pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let bytes = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes[3..].to_vec()
    } else {
        bytes
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(
            "file is UTF-16; convert it to UTF-8 (PostgreSQL migration tools read UTF-8)".into(),
        );
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            if let Some(pos) = s.find('\0') {
                let line = s[..pos].bytes().filter(|b| *b == b'\n').count() + 1;
                return Err(format!(
                    "line {line}: NUL byte: this looks like a binary file, not SQL"
                ));
            }
            Ok(s)
        }
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = bytes[..pos].iter().filter(|b| **b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(
                &bytes[bytes[..pos]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map(|p| p + 1)
                    .unwrap_or(0)..pos],
            )
            .chars()
            .count()
                + 1;
            Err(format!(
                "line {line}, column {col}: invalid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                bytes[pos]
            ))
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
        assert!(decode(b"SELECT 1;\n\xFF".to_vec())
            .unwrap_err()
            .starts_with("line 2, column 1"));
        assert!(decode(b"a\0b".to_vec()).unwrap_err().contains("binary"));
    }
}
