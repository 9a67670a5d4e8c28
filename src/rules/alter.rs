//! The opening most ALTER TABLE rules share: match the statement, take the
//! relation it names, resolve it as the model did, keep only relations
//! production uses, and list its subcommands.

use pg_query::protobuf as pb;
use pg_query::protobuf::AlterTableType as T;
use pg_query::NodeEnum as N;

use super::{sql, StmtCx};
use crate::model::catalog::QName;

/// An `ALTER TABLE` (or `ALTER INDEX` / `VIEW` / ..., which share its
/// syntax tree) that names a relation.
pub struct Alter<'a> {
    pub stmt: &'a pb::AlterTableStmt,
    /// The relation as written.
    pub rv: &'a pb::RangeVar,
    /// Its subcommands, in order.
    pub cmds: Vec<&'a pb::AlterTableCmd>,
}

impl<'a> Alter<'a> {
    /// The statement's syntax, without looking at the catalog.
    pub fn of(node: &'a N) -> Option<Alter<'a>> {
        let N::AlterTableStmt(stmt) = node else {
            return None;
        };
        let rv = stmt.relation.as_ref()?;
        Some(Alter {
            stmt,
            rv,
            cmds: sql::alter_cmds(stmt),
        })
    }

    /// The subcommands of one kind.
    pub fn cmds_of(&self, kind: T) -> impl Iterator<Item = &'a pb::AlterTableCmd> + '_ {
        self.cmds
            .iter()
            .copied()
            .filter(move |c| sql::subtype(c) == kind)
    }

    /// Whether any subcommand is of one kind.
    pub fn has(&self, kind: T) -> bool {
        self.cmds_of(kind).next().is_some()
    }
}

/// The statement as an ALTER TABLE of a relation that existed before this
/// file and this transaction (or that the history does not know), with
/// that relation resolved as the statement resolved it.
pub fn existing<'a>(cx: &StmtCx<'a>) -> Option<(Alter<'a>, QName)> {
    let a = Alter::of(cx.node())?;
    let t = cx.resolve(a.rv);
    cx.is_existing(&t).then_some((a, t))
}
