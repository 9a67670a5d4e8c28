//! DROP ... CASCADE: drops whatever depends on the object, unseen.
use pg_query::protobuf::{AlterTableType as T, DropBehavior};
use pg_query::NodeEnum as N;

use super::{sql, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let cascade = DropBehavior::DropCascade as i32;
    let hit = match cx.node() {
        N::DropStmt(s) => s.behavior == cascade,
        N::AlterTableStmt(s) => sql::alter_cmds(s).iter().any(|c| matches!(sql::subtype(c), T::AtDropColumn | T::AtDropConstraint) && c.behavior == cascade),
        N::DropOwnedStmt(s) => s.behavior == cascade,
        _ => false,
    };
    if !hit {
        return;
    }
    out.emit(cx.span(), "CASCADE also drops every object that depends on this one (views, foreign keys, columns of other tables ...), none of which this migration names")
        .help("drop the dependent objects explicitly first, so the migration says what it removes, then drop without CASCADE");
}
