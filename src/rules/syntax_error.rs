//! A statement PostgreSQL's grammar rejects.
use super::{FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    for e in &cx.fa.syntax_errors {
        out.emit(
            crate::parse::Span::new(e.error.offset, e.error.span.end.max(e.error.offset)),
            e.error.message.clone(),
        )
        .help("PostgreSQL would reject this statement; fix it so the migration can run");
    }
}
