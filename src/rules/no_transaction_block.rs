//! A statement PostgreSQL refuses inside a transaction block (CREATE INDEX
//! CONCURRENTLY, VACUUM, ...) placed inside one: the migration fails.
use super::{tool, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    if !cx.stmt.effects.no_transaction_block || !cx.stmt.placement.in_transaction {
        return;
    }
    let tool_name = match cx.layout {
        crate::input::Layout::Psql => "the migration tool",
        other => tool::tool_name(other),
    };
    let how = if cx.stmt.placement.explicit {
        "inside the BEGIN ... COMMIT block of this file".to_string()
    } else if cx.wrapping == crate::input::Wrapping::ImplicitMultiStatement {
        format!("inside the implicit transaction of the one query string {tool_name} sends the file as")
    } else if matches!(
        cx.layout,
        crate::input::Layout::Drizzle | crate::input::Layout::NodePgMigrate
    ) {
        format!("inside the one transaction {tool_name} runs every pending migration in")
    } else {
        format!("inside the transaction {tool_name} wraps around the file")
    };
    let run = tool::Run::of(cx);
    let r = out.emit(cx.span(), format!("{} cannot run inside a transaction block, and this one runs {how}: the migration fails with \"cannot run inside a transaction block\"", cx.stmt.kind));
    r.help(tool::advice(&run).to_string());
    // The tool's switch, where it is read from the file and the statement
    // is alone there.
    if let Some((line, edit)) = tool::fix_switch(&run) {
        r.fix(format!("{line}\n{}", cx.sql()), vec![edit]);
    }
}
