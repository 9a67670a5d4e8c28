//! Parsing: PostgreSQL's own grammar (libpg_query) turns a file's text into
//! statements with exact byte spans. A statement never loses its location.
//!
//! The whole text is parsed in one call (the fast path). When that fails, the
//! text is split with libpg_query's scanner-based splitter and every piece is
//! parsed on its own, so one syntax error becomes one finding at its exact
//! position and the statements around it are still analysed.

mod ffi;
pub mod lex;
pub mod lines;
pub mod scan;

pub use lines::LineIndex;
use pg_query::protobuf::node::Node as NodeEnum;

/// A half-open byte range into a file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// One top-level statement: its exact span (from the first token to the
/// terminating semicolon, inclusive, comments before it excluded) and tree.
#[derive(Debug, Clone)]
pub struct Statement {
    pub span: Span,
    pub node: NodeEnum,
}

/// A piece of text PostgreSQL's grammar rejects.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where the server would point (the offending token), as a byte offset.
    pub offset: usize,
    /// The span of the whole statement that failed.
    pub span: Span,
    pub message: String,
}

/// Items are consumed once, right after parsing: boxing the common
/// variant would only add an allocation per statement.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Item {
    Statement(Statement),
    Error(SyntaxError),
}

/// Parse a whole file. Never panics; every byte of input ends up either in a
/// statement, in an error, or in whitespace/comments between them.
pub fn parse(text: &str) -> Vec<Item> {
    if let Some(nul) = text.find('\0') {
        return vec![Item::Error(SyntaxError {
            offset: nul,
            span: Span::new(nul, nul + 1),
            message: "NUL byte in input: PostgreSQL does not accept NUL characters in SQL text"
                .into(),
        })];
    }
    if text.len() > CHUNK_THRESHOLD {
        return parse_chunked(text);
    }
    match ffi::parse(text) {
        Ok(stmts) => stmts
            .into_iter()
            .filter_map(|raw| {
                let span = statement_span(text, raw.start, raw.len);
                raw.node
                    .map(|node| Item::Statement(Statement { span, node }))
            })
            .collect(),
        Err(_) => parse_piecewise(text),
    }
}

/// Files above this size are parsed in chunks of whole statements:
/// libpg_query's memory for one call grows with the input (a 6 MB file
/// took 1.5 GB in one call), a chunk's is freed before the next.
const CHUNK_THRESHOLD: usize = 512 * 1024;
const CHUNK_BYTES: usize = 64 * 1024;

fn parse_chunked(text: &str) -> Vec<Item> {
    let pieces = match ffi::split_with_scanner(text) {
        Ok(p) => p,
        Err(_) => return parse_piecewise(text),
    };
    let mut items = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let start = pieces[i].0;
        let mut j = i;
        let mut end = start;
        while j < pieces.len() {
            let (s, l) = pieces[j];
            let e = if l == 0 {
                text.len()
            } else {
                (s + l).min(text.len())
            };
            if j > i && e - start > CHUNK_BYTES {
                break;
            }
            end = e;
            j += 1;
        }
        // Take the chunk up to (and including) the semicolon after it.
        let stop = match text[end..].find(';') {
            Some(k) if text[end..end + k].trim().is_empty() => end + k + 1,
            _ => end,
        };
        let chunk = &text[start..stop];
        match ffi::parse(chunk) {
            Ok(stmts) => {
                for raw in stmts {
                    let sp = statement_span(chunk, raw.start, raw.len);
                    if let Some(node) = raw.node {
                        items.push(Item::Statement(Statement {
                            span: Span::new(start + sp.start, start + sp.end),
                            node,
                        }));
                    }
                }
            }
            Err(_) => {
                for mut it in parse_piecewise(chunk) {
                    shift(&mut it, start);
                    items.push(it);
                }
            }
        }
        i = j;
    }
    items
}

fn parse_piecewise(text: &str) -> Vec<Item> {
    let pieces = match ffi::split_with_scanner(text) {
        Ok(p) => p,
        Err(e) => {
            let offset = e.byte_offset(text).unwrap_or(0);
            // The statement holding the token the scanner rejects is the
            // error; the statements before it, and after it when it ends
            // (e.g. `5abc`, trailing junk after a numeric literal, rather
            // than an unterminated quote or comment), are parsed on their
            // own.
            let (s, end) = enclosing_statement(text, offset);
            let end = end.unwrap_or(text.len());
            let mut items = if s > 0 {
                parse_piecewise(&text[..s])
            } else {
                Vec::new()
            };
            let start = lex::skip_trivia(text, s).min(end);
            items.push(Item::Error(SyntaxError {
                offset,
                span: Span::new(start, end),
                message: e.message,
            }));
            if end < text.len() {
                for mut it in parse_piecewise(&text[end..]) {
                    shift(&mut it, end);
                    items.push(it);
                }
            }
            return items;
        }
    };
    let mut items = Vec::with_capacity(pieces.len());
    for (start, len) in pieces {
        let span = statement_span(text, start, len);
        if span.start >= span.end {
            continue;
        }
        let body_end = if len == 0 {
            text.len()
        } else {
            (start + len).min(text.len())
        };
        let piece = &text[span.start..body_end];
        match ffi::parse(piece) {
            Ok(stmts) => {
                for raw in stmts {
                    // Located in the whole text, so the span takes in the
                    // semicolon after the piece.
                    let abs = span.start + raw.start;
                    let len = if raw.len == 0 {
                        body_end.saturating_sub(abs).max(1)
                    } else {
                        raw.len
                    };
                    let span = statement_span(text, abs, len);
                    if let Some(node) = raw.node {
                        items.push(Item::Statement(Statement { span, node }));
                    }
                }
            }
            Err(e) => {
                let offset = span.start + e.byte_offset(piece).unwrap_or(0);
                items.push(Item::Error(SyntaxError {
                    offset,
                    span,
                    message: e.message,
                }));
            }
        }
    }
    items
}

fn shift(it: &mut Item, by: usize) {
    match it {
        Item::Statement(st) => st.span = Span::new(by + st.span.start, by + st.span.end),
        Item::Error(e) => {
            e.offset += by;
            e.span = Span::new(by + e.span.start, by + e.span.end);
        }
    }
}

/// The statement around byte `offset`: from after the previous top-level
/// semicolon to after the next one (outside quotes, dollar quotes and
/// comments); no end when no semicolon follows in code, or when `offset`
/// is inside a region that runs to the end of the text.
fn enclosing_statement(text: &str, offset: usize) -> (usize, Option<usize>) {
    let mut start = 0;
    let mut end = None;
    let mut unterminated = false;
    scan::regions(text, |r, a, b| {
        if end.is_some() || unterminated {
            return;
        }
        if r != scan::Region::Code {
            if b >= text.len() && a <= offset && r != scan::Region::LineComment {
                unterminated = true;
            }
            return;
        }
        for (i, c) in text[a..b].char_indices() {
            if c == ';' {
                let at = a + i;
                if at < offset {
                    start = at + 1;
                } else {
                    end = Some(at + 1);
                    return;
                }
            }
        }
    });
    (start.min(text.len()), end)
}

/// libpg_query reports a statement as starting right after the previous
/// semicolon (leading comments included) and ending before its own
/// semicolon. Narrow it to the first token and widen it over the semicolon.
fn statement_span(text: &str, start: usize, len: usize) -> Span {
    let end = if len == 0 {
        text.len()
    } else {
        (start + len).min(text.len())
    };
    // A comment can run past the end the parser gave (an unterminated one
    // in a statement it still accepted): never start after the end.
    let begin = lex::skip_trivia(text, start.min(end)).min(end);
    let mut stop = lex::trim_trailing_trivia(text, begin, end);
    let after = lex::skip_trivia(text, end);
    if text[end..].starts_with(';') {
        stop = end + 1;
    } else if after < text.len()
        && text.as_bytes()[after] == b';'
        && text[end..after].trim().is_empty()
    {
        stop = after + 1;
    }
    Span::new(begin, stop.max(begin))
}

#[cfg(test)]
mod tests;

/// Parse text expected to hold only valid statements (from inside a DO
/// block): the trees, or None on any error.
pub fn parse_statements_only(text: &str) -> Option<Vec<NodeEnum>> {
    ffi::parse(text)
        .ok()
        .map(|v| v.into_iter().filter_map(|r| r.node).collect())
}
