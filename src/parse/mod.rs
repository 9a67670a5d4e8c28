//! Parsing: PostgreSQL's own grammar (libpg_query) turns a file's text into
//! statements with exact byte spans. A statement never loses its location.
//!
//! The whole text is parsed in one call (the fast path). When that fails, the
//! text is split where psql would end its statements (`split.rs`) and every
//! piece is parsed on its own, so one syntax error becomes one finding at
//! PostgreSQL's position and the statements around it are still analysed.
//!
//! Invariant (checked by [`uncovered`] in tests and the `syntax` fuzz
//! target): every byte of the text is inside a statement, inside a syntax
//! error's span, or whitespace, a comment or an empty statement's `;`.

mod ffi;
pub mod lex;
pub mod lines;
pub mod memo;
pub mod scan;
pub mod split;

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
    let pieces = split::psql_pieces(text);
    let mut items = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let start = pieces[i].0;
        let mut j = i;
        let mut end = start;
        while j < pieces.len() {
            let e = pieces[j].1;
            if j > i && e - start > CHUNK_BYTES {
                break;
            }
            end = e;
            j += 1;
        }
        let chunk = &text[start..end];
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

/// Parse each statement psql would send on its own: a broken one becomes
/// one error at PostgreSQL's position, and the statements around it are
/// still analysed.
fn parse_piecewise(text: &str) -> Vec<Item> {
    let pieces = split::psql_pieces(text);
    let mut items = Vec::with_capacity(pieces.len());
    for (start, end) in pieces {
        let span = statement_span(text, start, end - start);
        if span.start >= span.end || lex::is_trivia_or_semicolons(&text[span.start..span.end]) {
            continue;
        }
        let piece = &text[span.start..end];
        match ffi::parse(piece) {
            Ok(stmts) => {
                for raw in stmts {
                    // Located in the whole text, so the span takes in the
                    // semicolon after the piece.
                    let abs = span.start + raw.start;
                    let len = if raw.len == 0 {
                        end.saturating_sub(abs).max(1)
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

/// The first byte of `text` that is neither inside one of `covered` (the
/// spans of statements and syntax errors) nor whitespace, a comment or an
/// empty statement's semicolon: text that would be silently lost. `None`
/// when everything is accounted for.
pub fn uncovered(text: &str, covered: &[Span]) -> Option<usize> {
    let mut spans: Vec<Span> = covered.to_vec();
    spans.sort();
    let mut at = 0;
    for s in spans {
        if s.start > at {
            let gap_end = lex::skip_trivia_and_semicolons(&text[..s.start], at);
            if gap_end < s.start {
                return Some(gap_end);
            }
        }
        at = at.max(s.end.min(text.len()));
    }
    let rest = lex::skip_trivia_and_semicolons(text, at);
    (rest < text.len()).then_some(rest)
}

/// [`uncovered`] for the result of [`parse`].
pub fn uncovered_by(text: &str, items: &[Item]) -> Option<usize> {
    let spans: Vec<Span> = items
        .iter()
        .map(|i| match i {
            Item::Statement(s) => s.span,
            Item::Error(e) => e.span,
        })
        .collect();
    uncovered(text, &spans)
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
