//! A statement PostgreSQL refuses inside a transaction block (CREATE INDEX
//! CONCURRENTLY, VACUUM, ...) placed inside one: the migration fails.
use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    if !cx.stmt.effects.no_transaction_block || !cx.stmt.placement.in_transaction {
        return;
    }
    let how = if cx.stmt.placement.explicit {
        "inside the BEGIN ... COMMIT block of this file"
    } else {
        "inside the transaction the migration tool wraps around the file"
    };
    out.emit(cx.span(), format!("{} cannot run inside a transaction block, and this one runs {how}: the migration fails with \"cannot run inside a transaction block\"", cx.stmt.kind))
        .help("put it in a migration that runs without a transaction (most tools have a per-file switch, e.g. `-- +goose NO TRANSACTION`, `-- migrate:up transaction:false`, flyway `executeInTransaction=false`), alone in that file");
}
