//! A statement PostgreSQL's grammar rejects.
use super::{FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for e in &cx.fa.syntax_errors {
        let span = e.error.span;
        let mut help =
            "PostgreSQL would reject this statement; fix it so the migration can run".to_string();
        // psql sends everything after an unclosed `(` as one statement:
        // say so, or the statements it swallowed look merely unanalysed.
        let piece = cx.fa.text.get(span.start..span.end).unwrap_or("");
        if let Some(open) = crate::parse::split::unclosed_paren(piece) {
            let (line, col) = cx.fa.lines.line_col(&cx.fa.text, span.start + open);
            let (first, _) = cx.fa.lines.line_col(&cx.fa.text, span.start);
            let (end_line, _) = cx.fa.lines.line_col(&cx.fa.text, span.end);
            if end_line > line {
                help = format!(
                    "the `(` at {line}:{col} is never closed, so psql reads lines {first}-{end_line} \
                     as one statement and the server rejects all of it; close it so the \
                     statements after it run"
                );
            }
        }
        out.emit(
            crate::parse::Span::new(e.error.offset, span.end.max(e.error.offset)),
            e.error.message.clone(),
        )
        .help(help);
    }
}
