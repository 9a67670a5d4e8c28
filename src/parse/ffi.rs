//! The libpg_query entry point we need, called directly so that a
//! syntax error keeps its cursor position (the `pg_query` crate's safe API
//! drops it) and so that parsing does not walk every tree a second time.
//! The library itself is linked by the `pg_query` crate.

use std::ffi::{c_char, c_int, CStr, CString};

use pg_query::protobuf;
use prost::Message;

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse_protobuf_opts(
        input: *const c_char,
        parser_options: c_int,
    ) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// An error from libpg_query, with PostgreSQL's 1-based character position
/// (0 when it has none).
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    pub cursorpos: usize,
}

impl Error {
    /// The byte offset in `text` that the 1-based character position names.
    pub fn byte_offset(&self, text: &str) -> Option<usize> {
        if self.cursorpos == 0 {
            return None;
        }
        Some(
            text.char_indices()
                .nth(self.cursorpos - 1)
                .map(|(i, _)| i)
                .unwrap_or(text.len()),
        )
    }

    unsafe fn from_raw(err: *const PgQueryError) -> Error {
        let e = &*err;
        let message = if e.message.is_null() {
            "syntax error".to_string()
        } else {
            CStr::from_ptr(e.message).to_string_lossy().into_owned()
        };
        Error {
            message,
            cursorpos: e.cursorpos.max(0) as usize,
        }
    }
}

pub struct RawStatement {
    pub start: usize,
    pub len: usize,
    pub node: Option<protobuf::node::Node>,
}

pub fn parse(text: &str) -> Result<Vec<RawStatement>, Error> {
    let input = CString::new(text).map_err(|_| Error {
        message: "NUL byte in input".into(),
        cursorpos: 0,
    })?;
    // SAFETY: `input` is a valid NUL-terminated string for the duration of
    // the call; the result is freed exactly once below, after its buffers
    // have been copied out.
    unsafe {
        let result = pg_query_parse_protobuf_opts(input.as_ptr(), 0);
        let out = if !result.error.is_null() {
            Err(Error::from_raw(result.error))
        } else {
            let data = std::slice::from_raw_parts(
                result.parse_tree.data as *const u8,
                result.parse_tree.len,
            );
            match protobuf::ParseResult::decode(data) {
                Ok(tree) => Ok(tree
                    .stmts
                    .into_iter()
                    .map(|raw| RawStatement {
                        start: raw.stmt_location.max(0) as usize,
                        len: raw.stmt_len.max(0) as usize,
                        node: raw.stmt.and_then(|n| n.node),
                    })
                    .collect()),
                Err(e) => Err(Error {
                    message: format!("statement too deeply nested to analyse ({e})"),
                    cursorpos: 0,
                }),
            }
        };
        pg_query_free_protobuf_parse_result(result);
        out
    }
}
