//! ADD CONSTRAINT ... NOT VALID followed by VALIDATE CONSTRAINT in the same
//! transaction: the lock of the ADD is held during validation, so the split
//! buys nothing.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};
use pg_query::NodeEnum as N;

use super::{sql, FileCx, Hook, Sink};

pub const HOOK: Hook = Hook::File(check);

fn check(cx: &FileCx, out: &mut Sink) {
    // (txn, table, constraint name, line) of NOT VALID additions.
    let mut added: Vec<(u64, String, String, usize)> = Vec::new();
    for st in &cx.fa.statements {
        let N::AlterTableStmt(s) = &st.node else { continue };
        let Some(rv) = &s.relation else { continue };
        let Some(txn) = st.placement.txn else { continue };
        for c in sql::alter_cmds(s) {
            match sql::subtype(c) {
                T::AtAddConstraint => {
                    if let Some(k) = sql::constraint(c) {
                        if k.skip_validation && matches!(sql::contype(k), C::ConstrCheck | C::ConstrForeign | C::ConstrNotnull) {
                            added.push((txn, rv.relname.clone(), sql::constraint_name(&rv.relname, k, None), st.start.0));
                        }
                    }
                }
                T::AtValidateConstraint => {
                    if let Some((_, _, _, line)) = added.iter().find(|(t, tab, n, _)| *t == txn && *tab == rv.relname && *n == c.name) {
                        out.emit(st.span, format!("{} is validated in the same transaction that added it NOT VALID (line {line}): the lock taken by the ADD is still held while every row is read, so the split buys nothing", c.name))
                            .help("commit in between: VALIDATE in a later transaction (the next migration, or after COMMIT) only takes ShareUpdateExclusiveLock");
                    }
                }
                _ => {}
            }
        }
    }
}
