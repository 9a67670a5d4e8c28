//! Text for the parser, positions from the original.
//!
//! Everything the migration tool removes before sending SQL to the server
//! (down-parts, psql meta-commands, other tools' sections) is *blanked*:
//! each character is replaced by spaces of the same byte length, line
//! breaks kept, so every offset, line and column is unchanged. Everything
//! substituted (psql variables, template placeholders) changes length and
//! is recorded as an [`Edit`]; the resulting [`OffsetMap`] travels with the
//! `Input` and `LineIndex` maps each reported position back to the
//! original file.

use std::sync::Arc;

use crate::parse::lines::{Edit, OffsetMap};

#[derive(Debug, Clone)]
pub struct Rewriter<'a> {
    original: &'a str,
    /// (start, end, replacement) in original offsets; disjoint.
    edits: Vec<(usize, usize, String)>,
}

impl<'a> Rewriter<'a> {
    pub fn new(original: &'a str) -> Self {
        Rewriter {
            original,
            edits: Vec::new(),
        }
    }

    pub fn original(&self) -> &'a str {
        self.original
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Whether any part of `start..end` was already edited.
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.edits
            .iter()
            .any(|(s, e, _)| start < *e && *s < end || (start == end && *s < start && start < *e))
    }

    /// Replace `original[start..end]` with spaces (line breaks kept).
    /// Ranges already edited are left as they are.
    pub fn blank(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        // Substitutions inside the blanked range go; ranges already
        // blanked or partly substituted are left as they are.
        self.edits.retain(|(s, e, _)| !(start <= *s && *e <= end));
        let mut cuts: Vec<(usize, usize)> = vec![(start, end)];
        for (s, e, _) in &self.edits {
            let mut next = Vec::new();
            for (a, b) in cuts {
                if *e <= a || b <= *s {
                    next.push((a, b));
                } else {
                    if a < *s {
                        next.push((a, *s));
                    }
                    if *e < b {
                        next.push((*e, b));
                    }
                }
            }
            cuts = next;
        }
        for (a, b) in cuts {
            let blank: String = self.original[a..b]
                .chars()
                .flat_map(|c| {
                    let n = if c == '\n' || c == '\r' {
                        0
                    } else {
                        c.len_utf8()
                    };
                    let keep = if n == 0 { Some(c) } else { None };
                    keep.into_iter().chain(std::iter::repeat_n(' ', n))
                })
                .collect();
            self.edits.push((a, b, blank));
        }
    }

    /// Replace `original[start..end]` with `with`. Returns false (and does
    /// nothing) when the range overlaps an earlier edit.
    pub fn replace(&mut self, start: usize, end: usize, with: impl Into<String>) -> bool {
        if self.overlaps(start, end) {
            return false;
        }
        self.edits.push((start, end, with.into()));
        true
    }

    /// The text to parse and, when it differs from the original, the map
    /// back to it.
    pub fn finish(mut self) -> (String, Option<Arc<OffsetMap>>) {
        if self.edits.is_empty() {
            return (self.original.to_string(), None);
        }
        self.edits.sort_by_key(|(s, e, _)| (*s, *e));
        let mut out = String::with_capacity(self.original.len());
        let mut map = Vec::new();
        let mut pos = 0;
        for (s, e, with) in &self.edits {
            out.push_str(&self.original[pos..*s]);
            if with.len() != e - s {
                map.push(Edit {
                    at: out.len(),
                    len: with.len(),
                    orig_at: *s,
                    orig_len: e - s,
                });
            }
            out.push_str(with);
            pos = *e;
        }
        out.push_str(&self.original[pos..]);
        (
            out,
            Some(Arc::new(OffsetMap {
                original: self.original.to_string(),
                edits: map,
            })),
        )
    }
}

/// Blank every part of `text` outside `keep` ranges.
pub fn keep_only(rw: &mut Rewriter, keep: &[(usize, usize)]) {
    let mut pos = 0;
    let len = rw.original().len();
    let mut ks = keep.to_vec();
    ks.sort();
    for (s, e) in ks {
        if s > pos {
            rw.blank(pos, s);
        }
        pos = pos.max(e);
    }
    if pos < len {
        rw.blank(pos, len);
    }
}

/// The byte offset where the line holding `at` ends (after its `\n`).
pub fn line_end(text: &str, at: usize) -> usize {
    text[at..]
        .find('\n')
        .map(|i| at + i + 1)
        .unwrap_or(text.len())
}

/// Each line with its start offset and its text without the line break.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let end = line_end(text, pos);
        pos = end;
        Some((start, text[start..end].trim_end_matches(['\n', '\r'])))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::LineIndex;

    #[test]
    fn blanking_keeps_offsets_and_substitution_maps_back() {
        let orig = "\\set x 'é'\nSELECT :x, 1 FROM t;\n";
        let mut rw = Rewriter::new(orig);
        rw.blank(0, line_end(orig, 0));
        let at = orig.find(":x").unwrap();
        rw.replace(at, at + 2, "'é'");
        let (text, map) = rw.finish();
        assert_eq!(text.len(), orig.len() + 2);
        assert!(text.starts_with("           \nSELECT 'é', 1"));
        let li = LineIndex::mapped(map.unwrap());
        let one = text.find("1 FROM").unwrap();
        assert_eq!(li.line_col(&text, one), (2, 12));
        assert_eq!(li.line_text(&text, 1), "\\set x 'é'");
    }
}
