//! A statement whose locks the model cannot determine.
use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    if let Some(why) = &cx.stmt.effects.unknown {
        out.emit(cx.span(), format!("the locks this statement takes are not known: {why}"))
            .help("review it by hand, or prove it with `ddlint dry-run`");
    }
}
