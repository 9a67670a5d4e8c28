//! A small scanner that knows PostgreSQL's lexical regions (quotes,
//! dollar quotes, comments) so psql variables, meta-commands and
//! placeholders are only recognised where psql and the server would.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    Code,
    /// `'...'`, `E'...'`, `B'...'`, `U&'...'`
    String,
    /// `"..."`
    Ident,
    /// `$tag$...$tag$`
    Dollar,
    LineComment,
    BlockComment,
}

/// Split `text` into regions, calling `f(region, start, end)` in order.
pub fn regions(text: &str, mut f: impl FnMut(Region, usize, usize)) {
    let mut i = 0;
    while i < text.len() {
        match next_special(text, i) {
            Some((r, s, e)) => {
                if i < s {
                    f(Region::Code, i, s);
                }
                f(r, s, e);
                i = e.max(s + 1);
            }
            None => {
                f(Region::Code, i, text.len());
                break;
            }
        }
    }
}

/// The first quoted or commented region that starts at or after `from`:
/// (region, start, end). Everything between `from` and its start is code.
pub fn next_special(text: &str, from: usize) -> Option<(Region, usize, usize)> {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = from;
    while i < n {
        let c = b[i];
        let found: Option<(Region, usize)> = match c {
            b'-' if i + 1 < n && b[i + 1] == b'-' => {
                let e = text[i..].find('\n').map(|p| i + p).unwrap_or(n);
                Some((Region::LineComment, e))
            }
            b'/' if i + 1 < n && b[i + 1] == b'*' => {
                let mut depth = 0usize;
                let mut j = i;
                let mut end = n;
                while j < n {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                Some((Region::BlockComment, end))
            }
            b'\'' => {
                // E'' strings (backslash escapes) when preceded by E/e.
                let escapes = i > 0
                    && (b[i - 1] == b'E' || b[i - 1] == b'e')
                    && (i < 2 || !is_ident_byte(b[i - 2]));
                let mut j = i + 1;
                let mut end = n;
                while j < n {
                    if escapes && b[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if b[j] == b'\'' {
                        if j + 1 < n && b[j + 1] == b'\'' {
                            j += 2;
                            continue;
                        }
                        end = j + 1;
                        break;
                    }
                    j += 1;
                }
                Some((Region::String, end.min(n)))
            }
            b'"' => {
                let mut j = i + 1;
                let mut end = n;
                while j < n {
                    if b[j] == b'"' {
                        if j + 1 < n && b[j + 1] == b'"' {
                            j += 2;
                            continue;
                        }
                        end = j + 1;
                        break;
                    }
                    j += 1;
                }
                Some((Region::Ident, end))
            }
            b'$' if i == 0 || !is_ident_byte(b[i - 1]) => dollar_tag(text, i).map(|tag| {
                let body = i + tag.len();
                let end = text[body..]
                    .find(tag)
                    .map(|p| body + p + tag.len())
                    .unwrap_or(n);
                (Region::Dollar, end)
            }),
            _ => None,
        };
        if let Some((r, end)) = found {
            return Some((r, i, end));
        }
        i += 1;
    }
    None
}

pub fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// `$tag$` or `$$` starting at `i`.
fn dollar_tag(text: &str, i: usize) -> Option<&str> {
    let b = text.as_bytes();
    let mut j = i + 1;
    while j < b.len() && b[j] != b'$' {
        let c = b[j];
        let ok = if j == i + 1 {
            c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
        } else {
            is_ident_byte(c)
        };
        if !ok {
            return None;
        }
        j += 1;
    }
    if j < b.len() {
        Some(&text[i..=j])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_found() {
        let t = "SELECT 'a''b', E'\\'', \"x\"\"y\", $f$ ' $f$ -- c\n/* a /* b */ */ x";
        let mut v = Vec::new();
        regions(t, |r, s, e| v.push((r, &t[s..e])));
        let kinds: Vec<Region> = v
            .iter()
            .map(|x| x.0)
            .filter(|r| *r != Region::Code)
            .collect();
        assert_eq!(
            kinds,
            vec![
                Region::String,
                Region::String,
                Region::Ident,
                Region::Dollar,
                Region::LineComment,
                Region::BlockComment
            ]
        );
        assert!(v.iter().any(|x| x.1 == "E'\\''".trim_start_matches('E')));
    }
}
