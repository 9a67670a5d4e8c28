//! ADD CONSTRAINT ... NOT VALID followed by VALIDATE CONSTRAINT in the same
//! transaction: the lock of the ADD is held during validation, so the split
//! buys nothing.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C};

use super::{alter::Alter, sql, FileCx, Hook, Sink, StmtCx, StmtFacts};

pub const HOOK: Hook = Hook::File(check);

/// An ALTER TABLE's table and, in order, the constraints it adds NOT VALID
/// and those it validates.
#[derive(Debug)]
pub struct Changes {
    table: String,
    changes: Vec<Change>,
}

#[derive(Debug)]
enum Change {
    AddedNotValid(String),
    Validated(String),
}

pub(super) fn facts(cx: &StmtCx, f: &mut StmtFacts) {
    let Some(Alter { rv, cmds, .. }) = Alter::of(cx.node()) else { return };
    let mut changes = Vec::new();
    for c in cmds {
        match sql::subtype(c) {
            T::AtAddConstraint => {
                if let Some(k) = sql::constraint(c) {
                    if k.skip_validation && matches!(sql::contype(k), C::ConstrCheck | C::ConstrForeign | C::ConstrNotnull) {
                        changes.push(Change::AddedNotValid(sql::constraint_name(&rv.relname, k, None)));
                    }
                }
            }
            T::AtValidateConstraint => changes.push(Change::Validated(c.name.clone())),
            _ => {}
        }
    }
    if !changes.is_empty() {
        f.not_valid = Some(Box::new(Changes { table: rv.relname.clone(), changes }));
    }
}

fn check(cx: &FileCx, out: &mut Sink) {
    // (txn, table, constraint name, line) of NOT VALID additions.
    let mut added: Vec<(u64, String, String, usize)> = Vec::new();
    for st in &cx.fa.statements {
        let Some(ch) = &cx.facts[st.index].not_valid else { continue };
        let Some(txn) = st.placement.txn else { continue };
        for c in &ch.changes {
            match c {
                Change::AddedNotValid(name) => {
                    added.push((txn, ch.table.clone(), name.clone(), st.start.0));
                }
                Change::Validated(name) => {
                    if let Some((_, _, _, line)) = added.iter().find(|(t, tab, n, _)| *t == txn && *tab == ch.table && n == name) {
                        out.emit(st.span, format!("{name} is validated in the same transaction that added it NOT VALID (line {line}): the lock taken by the ADD is still held while every row is read, so the split buys nothing"))
                            .help("commit in between: VALIDATE in a later transaction (the next migration, or after COMMIT) only takes ShareUpdateExclusiveLock");
                    }
                }
            }
        }
    }
}
