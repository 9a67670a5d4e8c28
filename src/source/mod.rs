//! Which files, in which order, with which text. Directories are the
//! ordered history: files sorted by path with numbers compared as numbers
//! (`2_x.sql` before `10_x.sql`). Text is decoded strictly: a file that is
//! not UTF-8 is an error naming the file and line, not a guess.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct SourceError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Largest file read (files this big are not migrations someone reviews).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

fn is_sql(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".sql") || name.ends_with(".sql.postgres") || name.ends_with(".psql")
}

/// Expand paths into the ordered list of SQL files.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| SourceError {
            path: p.display().to_string(),
            message: io_message(&e),
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, 0)?;
            if found.is_empty() {
                return Err(SourceError {
                    path: p.display().to_string(),
                    message: "directory holds no SQL files (*.sql, *.sql.postgres)".into(),
                });
            }
            found.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), SourceError> {
    if depth > 64 {
        return Err(SourceError {
            path: dir.display().to_string(),
            message: "directories nested too deeply (a symlink loop?)".into(),
        });
    }
    let rd = std::fs::read_dir(dir).map_err(|e| SourceError {
        path: dir.display().to_string(),
        message: io_message(&e),
    })?;
    for entry in rd {
        let entry = entry.map_err(|e| SourceError {
            path: dir.display().to_string(),
            message: io_message(&e),
        })?;
        let path = entry.path();
        let ft = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if entry.file_type().map(|t| t.is_symlink()).unwrap_or(false) {
                    return Err(SourceError {
                        path: path.display().to_string(),
                        message: format!("broken or looping symlink ({})", io_message(&e)),
                    });
                }
                return Err(SourceError {
                    path: path.display().to_string(),
                    message: io_message(&e),
                });
            }
        };
        if ft.is_dir() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk(&path, out, depth + 1)?;
        } else if is_sql(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Compare with digit runs as numbers: "V2__a" < "V10__a".
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut ai, mut bi) = (a.char_indices().peekable(), b.char_indices().peekable());
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((_, ca)), Some((_, cb))) if ca.is_ascii_digit() && cb.is_ascii_digit() => {
                let mut na = String::new();
                while let Some((_, c)) = ai.peek().copied().filter(|(_, c)| c.is_ascii_digit()) {
                    na.push(c);
                    ai.next();
                }
                let mut nb = String::new();
                while let Some((_, c)) = bi.peek().copied().filter(|(_, c)| c.is_ascii_digit()) {
                    nb.push(c);
                    bi.next();
                }
                let ta = na.trim_start_matches('0');
                let tb = nb.trim_start_matches('0');
                let o = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then_with(|| na.len().cmp(&nb.len()));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some((_, ca)), Some((_, cb))) => {
                if ca != cb {
                    return ca.cmp(&cb);
                }
                ai.next();
                bi.next();
            }
        }
    }
}

fn io_message(e: &std::io::Error) -> String {
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
    let err = |message: String| SourceError {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(io_message(&e)))?;
    if meta.is_dir() {
        return Err(err("is a directory, not a file".into()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(format!(
            "file is {} MB, larger than the {} MB limit",
            meta.len() / 1_048_576,
            MAX_FILE_BYTES / 1_048_576
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
    fn numbers_sort_as_numbers() {
        let mut v = vec![
            "V10__b.sql",
            "V2__a.sql",
            "V1.10__x.sql",
            "V1.2__y.sql",
            "001_a.sql",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec![
                "001_a.sql",
                "V1.2__y.sql",
                "V1.10__x.sql",
                "V2__a.sql",
                "V10__b.sql"
            ]
        );
    }

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
