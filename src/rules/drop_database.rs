//! DROP DATABASE in a migration.
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::DropdbStmt(s) = cx.node() else { return };
    out.emit(cx.span(), format!("DROP DATABASE {} deletes a whole database", s.dbname))
        .help("databases are provisioned and removed outside migrations");
}
