//! CHECK / FOREIGN KEY constraints added (also inline in ADD COLUMN) to an
//! existing table without NOT VALID: the whole table is read while a lock
//! that blocks writes (CHECK: reads too) is held.
use pg_query::protobuf::{AlterTableType as T, ConstrType as C, Constraint, RangeVar};

use super::{alter::Alter, sql, Edit, FileCx, Hook, Sink, StmtCx, StmtFacts};
use crate::model::txn::Wrapping;

pub const HOOK: Hook = Hook::File(check);

/// An ALTER TABLE that adds a CHECK or FOREIGN KEY constraint validated at
/// once: the table, how many subcommands, the first such constraint and
/// the column it is inline in.
#[derive(Debug)]
pub struct Added {
    rv: RangeVar,
    cmds: usize,
    constraint: Constraint,
    inline: Option<String>,
}

pub(super) fn facts(cx: &StmtCx, f: &mut StmtFacts) {
    let Some(Alter { rv, cmds, .. }) = Alter::of(cx.node()) else { return };
    // (constraint, inline column) pairs that validate now.
    let mut found = Vec::new();
    for c in &cmds {
        match sql::subtype(c) {
            T::AtAddConstraint => {
                if let Some(k) = sql::constraint(c) {
                    if matches!(sql::contype(k), C::ConstrCheck | C::ConstrForeign) && !k.skip_validation {
                        found.push((k, None));
                    }
                }
            }
            T::AtAddColumn => {
                if let Some(d) = sql::column_def(c) {
                    for k in sql::column_constraints(d) {
                        if matches!(sql::contype(k), C::ConstrCheck | C::ConstrForeign) && !k.skip_validation {
                            found.push((k, Some(d.colname.as_str())));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let Some((k, inline)) = found.first() else { return };
    f.validating = Some(Box::new(Added {
        rv: rv.clone(),
        cmds: cmds.len(),
        constraint: (*k).clone(),
        inline: inline.map(str::to_string),
    }));
}

fn check(cx: &FileCx, out: &mut Sink) {
    let stmts = &cx.fa.statements;
    for (i, st) in stmts.iter().enumerate() {
        let Some(added) = &cx.facts[i].validating else { continue };
        let rv = &added.rv;
        let fx = &st.effects;
        let t = super::resolve_with(fx, cx.cat, &rv.schemaname, &rv.relname);
        if fx.new_relations.contains(&t) || !fx.scans.contains(&t) {
            continue;
        }
        let (k, inline) = (&added.constraint, &added.inline.as_deref());
        let fk = sql::contype(k) == C::ConstrForeign;
        let lock = fx.locks.get(&t).map(|m| sql::mode_phrase(*m)).unwrap_or_default();
        let kind = if fk { "FOREIGN KEY" } else { "CHECK" };
        let mut msg = format!("adding this {kind} constraint reads every row of {t} to validate it while holding {lock}");
        if fk {
            if let Some(pk) = &k.pktable {
                let r = super::resolve_with(fx, cx.cat, &pk.schemaname, &pk.relname);
                msg.push_str(&format!(", and blocks writes to {r}"));
            }
        }
        let name = sql::constraint_name(&rv.relname, k, *inline);
        let validate = format!("ALTER TABLE {} VALIDATE CONSTRAINT {};", sql::rv(rv), sql::ident(&name));
        let r = out.emit(st.span, msg);
        if inline.is_some() || added.cmds != 1 {
            r.help(format!(
                "add the constraint on its own with NOT VALID (instant: only new rows are checked), then run `{validate}` in a later transaction: VALIDATE takes only ShareUpdateExclusiveLock"
            ));
            continue;
        }
        // The statement with NOT VALID (and the name PostgreSQL would choose).
        let text = &cx.fa.text[st.span.start..st.span.end];
        let mut edits = Vec::new();
        let mut fixed = text.to_string();
        if k.conname.is_empty() {
            if let Some((f, e)) = sql::insert_after(st.span.start, text, "add", &format!(" CONSTRAINT {}", sql::ident(&name))) {
                fixed = f;
                edits.push(e);
            }
        }
        let body = sql::body(text);
        edits.push(Edit { start: st.span.start + body.len(), end: st.span.start + body.len(), text: " NOT VALID".into() });
        fixed = format!("{} NOT VALID;", sql::body(&fixed));
        // Where VALIDATE goes: right after it outside a transaction, after
        // the COMMIT of an explicit transaction, nowhere (suggest only) in a
        // transaction the migration tool wraps around the file.
        let place = if !st.placement.in_transaction {
            Some(st.span.end)
        } else if st.placement.explicit || cx.fa.wrapping != Wrapping::Transaction {
            stmts[i + 1..]
                .iter()
                .find(|n| n.placement.txn == st.placement.txn && cx.facts[n.index].commit)
                .map(|n| n.span.end)
        } else {
            None
        };
        // The suggested SQL shows VALIDATE where it goes: right after, after
        // the COMMIT, or in the next migration.
        match place {
            Some(at) => {
                edits.push(Edit { start: at, end: at, text: format!("\n{validate}") });
                let (where_, shown) = if st.placement.in_transaction {
                    (" after this transaction commits", format!("{fixed}\n-- after the COMMIT that ends this transaction:\n{validate}"))
                } else {
                    ("", format!("{fixed}\n{validate}"))
                };
                r.help(format!("add it NOT VALID (instant: only new rows are checked), then VALIDATE it{where_}: validation takes only ShareUpdateExclusiveLock, reads and writes continue"))
                    .fix(shown, edits);
            }
            None => {
                r.help("add it NOT VALID in this migration and VALIDATE it in the next one (a separate transaction): validation takes only ShareUpdateExclusiveLock")
                    .suggest(format!("{fixed}\n-- in the next migration (its own transaction):\n{validate}"));
            }
        }
    }
}
