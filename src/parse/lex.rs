//! The few lexical facts the span logic needs: what counts as whitespace
//! and comments between statements (PostgreSQL's rules: `--` to end of
//! line, `/* */` nesting).

/// The first offset at or after `i` that is not whitespace or a comment.
pub fn skip_trivia(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    i = i.min(b.len());
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = skip_block_comment(b, i);
        } else {
            return i;
        }
    }
}

fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

/// The end of `text[start..end]` with trailing whitespace and line comments
/// removed. Only used on text the parser accepted as one statement, so a
/// `--` found here at the start of a line-final run is a real comment
/// when it lies outside the statement's last token; to stay exact we only
/// trim whitespace and whole trailing comment lines.
pub fn trim_trailing_trivia(text: &str, start: usize, end: usize) -> usize {
    if start >= end {
        return start;
    }
    let mut e = end;
    loop {
        let s = &text[start..e];
        let t = s.trim_end();
        e = start + t.len();
        // A trailing comment: find the last line and see if it is only a comment.
        let line_start = t.rfind('\n').map(|p| p + 1).unwrap_or(0);
        let last = t[line_start..].trim_start();
        if line_start > 0 && last.starts_with("--") {
            e = start + line_start;
            continue;
        }
        return e;
    }
}

/// The first offset at or after `i` that is not whitespace, a comment or
/// a semicolon (an empty statement, which PostgreSQL accepts and ignores).
pub fn skip_trivia_and_semicolons(text: &str, mut i: usize) -> usize {
    loop {
        i = skip_trivia(text, i);
        if text.as_bytes().get(i) == Some(&b';') {
            i += 1;
        } else {
            return i;
        }
    }
}

/// True when the text holds nothing but whitespace, comments and
/// semicolons.
pub fn is_trivia_or_semicolons(text: &str) -> bool {
    skip_trivia_and_semicolons(text, 0) >= text.len()
}

/// True when the text holds nothing but whitespace and comments.
pub fn is_trivia(text: &str) -> bool {
    skip_trivia(text, 0) >= text.len()
}
