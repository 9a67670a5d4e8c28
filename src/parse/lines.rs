//! Byte offsets to 1-based line and column numbers, columns counted in
//! characters (what editors, SARIF and GitHub annotations expect).
//!
//! When `src/source` rewrote a file before parsing (down-parts and psql
//! meta-commands blanked, variables and template placeholders
//! substituted), the index carries an [`OffsetMap`]: offsets into the
//! parsed text are mapped back to the original file, so every line, column
//! and displayed source line is the original one.

use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset at which each line starts (in the original text when
    /// mapped).
    starts: Vec<usize>,
    map: Option<Arc<OffsetMap>>,
}

/// How the text that was parsed relates to the original file: the original
/// text, and the replacements that changed length (sorted, disjoint).
/// Offsets outside replacements shift by the accumulated length difference;
/// offsets inside one map into the replaced original range.
#[derive(Debug, Clone, Default)]
pub struct OffsetMap {
    pub original: String,
    pub edits: Vec<Edit>,
}

/// `parsed[at..at + len]` replaced `original[orig_at..orig_at + orig_len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub at: usize,
    pub len: usize,
    pub orig_at: usize,
    pub orig_len: usize,
}

impl OffsetMap {
    /// The original offset of a parsed-text offset.
    pub fn to_original(&self, offset: usize) -> usize {
        // Last edit starting at or before `offset`.
        let i = self.edits.partition_point(|e| e.at <= offset);
        if i == 0 {
            return offset.min(self.original.len());
        }
        let e = self.edits[i - 1];
        let o = if offset < e.at + e.len {
            e.orig_at + (offset - e.at).min(e.orig_len)
        } else {
            offset - (e.at + e.len) + e.orig_at + e.orig_len
        };
        o.min(self.original.len())
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            starts: line_starts(text),
            map: None,
        }
    }

    /// An index over the original text of a rewritten file.
    pub fn mapped(map: Arc<OffsetMap>) -> Self {
        LineIndex {
            starts: line_starts(&map.original),
            map: Some(map),
        }
    }

    /// The map back to the original file, when the parsed text was rewritten.
    pub fn offset_map(&self) -> Option<&OffsetMap> {
        self.map.as_deref()
    }

    /// 1-based (line, column) of a byte offset into the parsed `text`;
    /// column in characters. A `\r` before `\n` belongs to the line it
    /// ends. When mapped, the position is in the original file.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let (text, offset) = match &self.map {
            Some(m) => (m.original.as_str(), m.to_original(offset)),
            None => (text, offset),
        };
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of a 1-based line, without its line terminator (the
    /// original line when mapped).
    pub fn line_text<'a>(&'a self, text: &'a str, line: usize) -> &'a str {
        let text = match &self.map {
            Some(m) => m.original.as_str(),
            None => text,
        };
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).copied().unwrap_or(text.len());
        text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i + 1);
        }
    }
    starts
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_positions_point_at_the_original() {
        // original: "SELECT ${x} FROM t;" parsed: "SELECT abcdef FROM t;"
        let original = "-- é\nSELECT ${x} FROM t;".to_string();
        let parsed = "-- é\nSELECT abcdef FROM t;";
        let at = parsed.find("abcdef").unwrap();
        let map = OffsetMap {
            original: original.clone(),
            edits: vec![Edit {
                at,
                len: 6,
                orig_at: at,
                orig_len: 4,
            }],
        };
        let li = LineIndex::mapped(Arc::new(map));
        assert_eq!(li.line_col(parsed, parsed.find("FROM").unwrap()), (2, 13));
        assert_eq!(li.line_col(parsed, at), (2, 8));
        assert_eq!(li.line_col(parsed, parsed.len()), (2, 20));
        assert_eq!(li.line_text(parsed, 2), "SELECT ${x} FROM t;");
    }
}
