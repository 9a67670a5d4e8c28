//! Identifiers longer than 63 bytes, which PostgreSQL silently truncates
//! (two long names can collide once truncated). The parser has already
//! truncated them in the tree, so this rule reads the statement's text.
use super::{Hook, Sink, StmtCx};
use crate::parse::Span;

pub const HOOK: Hook = Hook::Statement(check);

const MAX: usize = 63;

/// (offset, identifier) of every identifier token in `sql` (quoted ones
/// unquoted), skipping string literals and comments.
fn identifiers(sql: &str) -> Vec<(usize, String)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'$' {
            // Dollar quoting: skip $tag$ ... $tag$.
            let start = i;
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j < b.len() && b[j] == b'$' {
                let tag = &sql[start..=j];
                match sql[j + 1..].find(tag) {
                    Some(p) => i = j + 1 + p + tag.len(),
                    None => i = b.len(),
                }
            } else {
                i += 1;
            }
        } else if c == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            out.push((start, sql[start..i.min(b.len())].to_string()));
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                i += 1;
            }
            out.push((start, sql[start..i].to_string()));
        } else {
            i += 1;
        }
    }
    out
}

fn check(cx: &StmtCx, out: &mut Sink) {
    use pg_query::NodeEnum as N;
    if !matches!(
        cx.node(),
        N::CreateStmt(_) | N::IndexStmt(_) | N::ViewStmt(_) | N::AlterTableStmt(_) | N::RenameStmt(_) | N::CreateTableAsStmt(_) | N::CreateSeqStmt(_)
    ) {
        return;
    }
    for (off, n) in identifiers(cx.sql()) {
        if n.len() > MAX {
            let mut cut = MAX;
            while !n.is_char_boundary(cut) {
                cut -= 1;
            }
            let start = cx.span().start + off;
            out.emit(Span::new(start, start + n.len()), format!("identifier \"{n}\" is {} bytes: PostgreSQL silently truncates it to \"{}\"", n.len(), &n[..cut]))
                .help("use a name of at most 63 bytes, so the name in the database is the one in your code");
        }
    }
}
