//! ALTER DOMAIN that checks every stored value of the domain (ADD
//! CONSTRAINT without NOT VALID, VALIDATE CONSTRAINT, SET NOT NULL): each
//! table with a column of the domain is locked SHARE and read in full.
use pg_query::NodeEnum as N;

use super::{Edit, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::AlterDomainStmt(s) = cx.node() else {
        return;
    };
    let adds_check = s.subtype == "C";
    if !matches!(s.subtype.as_str(), "C" | "V" | "O") {
        return;
    }
    if let Some(N::Constraint(c)) = s.def.as_ref().and_then(|d| d.node.as_ref()) {
        if c.skip_validation {
            return;
        }
    }
    let fx = &cx.stmt.effects;
    let tables: Vec<String> = fx
        .existing_locks()
        .filter(|(q, m)| m.blocks_writes() && cx.is_existing(q))
        .map(|(q, _)| q.to_string())
        .collect();
    let domain = crate::model::ast::strings(&s.type_name).join(".");
    let where_ = if !tables.is_empty() {
        tables.join(", ")
    } else if fx.unknown.is_some() {
        "every table that uses it (the migration history does not show which)".to_string()
    } else {
        return;
    };
    let what = match s.subtype.as_str() {
        "C" => "adding this constraint",
        "V" => "validating this constraint",
        _ => "SET NOT NULL",
    };
    let msg = format!(
        "{what} on domain {domain} reads every value of it in {where_} while holding SHARE locks: writes to those tables wait until all of them are read"
    );
    let help = match s.subtype.as_str() {
        "C" => "add it NOT VALID: existing values are not read, new and changed ones are checked. VALIDATE CONSTRAINT later still blocks writes to those tables while it reads them (unlike a table's): run it at a quiet time with a lock_timeout, or check the columns with table constraints (NOT VALID, then VALIDATE under SHARE UPDATE EXCLUSIVE)",
        "V" => "unlike a table's, a domain's VALIDATE CONSTRAINT blocks writes while it reads: run it at a quiet time with a lock_timeout, or check the columns with table constraints (NOT VALID, then VALIDATE under SHARE UPDATE EXCLUSIVE)",
        _ => "there is no NOT VALID form of SET NOT NULL: add CHECK (VALUE IS NOT NULL) NOT VALID to the domain instead, so new values are checked without reading the old ones",
    };
    let r = out.emit(cx.span(), msg);
    r.help(help);
    if adds_check {
        // NOT VALID goes at the end of the constraint, before the `;`.
        let sql = cx.sql();
        let body = sql.trim_end().trim_end_matches(';').trim_end();
        let at = cx.span().start + body.len();
        r.fix(
            format!("{body} NOT VALID;"),
            vec![Edit {
                start: at,
                end: at,
                text: " NOT VALID".into(),
            }],
        );
    }
}
