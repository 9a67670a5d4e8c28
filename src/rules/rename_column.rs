//! RENAME COLUMN on an existing table.
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::RenameStmt(s) = cx.node() else { return };
    if s.rename_type != ObjectType::ObjectColumn as i32 {
        return;
    }
    let Some(rv) = &s.relation else { return };
    let t = cx.resolve(rv);
    if !cx.is_existing(&t) {
        return;
    }
    let table = sql::rv(rv);
    // The new column has the old one's type, as the history shows it.
    let ty = cx
        .rel(&t)
        .and_then(|r| r.column(&s.subname))
        .map(|c| sql::type_sql(&c.ty))
        .unwrap_or_else(|| format!("<the type of {}>", sql::ident(&s.subname)));
    out.emit(cx.span(), format!("renaming {t}.{} to {} breaks the running application, which still uses the old name until every instance is replaced", s.subname, s.newname))
        .help("expand and contract: add the new column, write both, backfill, move reads, then drop the old one (or keep a view with the old name during the deploy)")
        .suggest(format!("ALTER TABLE {table} ADD COLUMN {} {ty};\n-- write both columns, backfill in batches, switch reads, then drop {}", sql::ident(&s.newname), sql::ident(&s.subname)));
}
