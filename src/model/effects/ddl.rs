//! CREATE / DROP / RENAME / TRUNCATE / LOCK / views / indexes / maintenance.

use pg_query::protobuf::{self as pb, node::Node as N, ObjectType as O};

use super::{dml, node_rv, Ctx, Effects};
use crate::model::ast::{const_str, defelem_name, index_exprs, name_list, range_var, strings};
use crate::model::catalog::{ConstraintKind, QName, RelKind};
use crate::model::locks::LockMode::{self, *};
use crate::model::types::TypeRef;

pub fn create_index(s: &pb::IndexStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let table = cx.resolve(rv);
    let mode = if s.concurrent {
        ShareUpdateExclusive
    } else {
        Share
    };
    if s.concurrent {
        fx.no_transaction_block = true;
    }
    // An index on a partitioned table cascades to every partition unless
    // ON ONLY is used.
    let recurse = rv.inh;
    let exists = !s.idxname.is_empty()
        && cx
            .rel(&QName::new(table.schema.as_str(), s.idxname.as_str()))
            .is_some();
    cx.lock_tree(fx, &table, mode, recurse && is_partitioned(cx, &table));
    if s.if_not_exists && exists {
        fx.note(format!(
            "index {} already exists: IF NOT EXISTS makes this a no-op (the lock is still taken)",
            s.idxname
        ));
        return;
    }
    for t in cx.storage_tree(&table, recurse && is_partitioned(cx, &table)) {
        fx.scan(&t);
    }
    if let Some(w) = &s.where_clause {
        dml::read_expr_subqueries(w, cx, fx);
    }
    // The build plans the key expressions and the predicate
    // (RelationGetIndexExpressions: eval_const_expressions) and evaluates
    // them for each row.
    if !cx.cat.functions.is_empty() {
        let rows = cx.rel(&table).is_none_or(|r| r.may_have_rows);
        for e in index_exprs(s) {
            let mut p = crate::model::functions::Planner::new(cx);
            p.plan_expr(e);
            let runs = if rows {
                crate::model::functions::Runs::PerRow(format!("for each row of {table} indexed"))
            } else {
                crate::model::functions::Runs::Never
            };
            crate::model::functions::settle(p, &runs, cx, fx);
        }
    }
}

fn is_partitioned(cx: &Ctx, q: &QName) -> bool {
    cx.rel(q)
        .map(|r| r.kind == RelKind::PartitionedTable)
        .unwrap_or(false)
}

pub fn create_table(s: &pb::CreateStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(rv) = &s.relation {
        let q = cx.resolve(rv);
        if s.if_not_exists && cx.rel(&q).is_some() {
            fx.note(format!(
                "{q} already exists: IF NOT EXISTS makes this a no-op"
            ));
            return;
        }
    }
    // PARTITION OF: the parent is locked ACCESS EXCLUSIVE (DefineRelation),
    // and a default partition is locked and scanned to check none of its
    // rows belong in the new partition.
    if s.partbound.is_some() {
        for p in s.inh_relations.iter().filter_map(node_rv) {
            let parent = cx.resolve(p);
            fx.lock(&parent, AccessExclusive);
            if let Some(def) = default_partition(cx, &parent) {
                fx.lock(&def, AccessExclusive);
                for t in cx.storage_tree(&def, true) {
                    fx.lock(&t, AccessExclusive);
                    fx.scan(&t);
                }
            }
            inherited_fk_targets(cx, &parent, fx);
        }
    } else {
        for p in s.inh_relations.iter().filter_map(node_rv) {
            fx.lock(&cx.resolve(p), ShareUpdateExclusive);
        }
    }
    for elt in &s.table_elts {
        match &elt.node {
            Some(N::TableLikeClause(like)) => {
                if let Some(r) = &like.relation {
                    fx.lock(&cx.resolve(r), AccessShare);
                }
            }
            Some(N::ColumnDef(col)) => {
                for c in &col.constraints {
                    if let Some(N::Constraint(con)) = &c.node {
                        fk_target(con, cx, fx);
                    }
                }
            }
            Some(N::Constraint(con)) => fk_target(con, cx, fx),
            _ => {}
        }
    }
    for c in &s.constraints {
        if let Some(N::Constraint(con)) = &c.node {
            fk_target(con, cx, fx);
        }
    }
}

/// A foreign key's referenced table is locked SHARE ROW EXCLUSIVE (the FK
/// adds triggers to it).
fn fk_target(con: &pb::Constraint, cx: &Ctx, fx: &mut Effects) {
    if con.contype == pb::ConstrType::ConstrForeign as i32 {
        if let Some(pk) = &con.pktable {
            let q = cx.resolve(pk);
            fx.lock(&q, ShareRowExclusive);
            // A partitioned referenced table gets triggers on every partition.
            for p in cx.catalog_partitions(&q) {
                fx.lock(&p, ShareRowExclusive);
            }
        }
    }
}

/// A new partition inherits the parent's foreign keys: each referenced
/// table gets the new partition's triggers.
fn inherited_fk_targets(cx: &Ctx, parent: &QName, fx: &mut Effects) {
    if let Some(r) = cx.rel(parent) {
        for c in &r.constraints {
            if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                // Since 12 the clone adds triggers to the referenced table;
                // on 11 it is only opened.
                fx.lock(
                    ref_table,
                    if cx.pg >= 12 {
                        ShareRowExclusive
                    } else {
                        AccessShare
                    },
                );
            }
        }
    }
    // Foreign keys onto the partitioned parent are cloned for the new
    // partition: the referencing tables are opened (12-14) or get
    // triggers (15+).
    if cx.pg >= 12 {
        for (other, _) in cx.cat.referencing(parent) {
            fx.lock(
                &other,
                if cx.pg >= 15 {
                    ShareRowExclusive
                } else {
                    AccessShare
                },
            );
        }
    }
}

pub fn default_partition(cx: &Ctx, parent: &QName) -> Option<QName> {
    let r = cx.rel(parent)?;
    r.partitions
        .iter()
        .find(|p| cx.rel(p).map(|x| x.is_default_partition).unwrap_or(false))
        .cloned()
}

impl Ctx<'_> {
    pub fn catalog_partitions(&self, q: &QName) -> Vec<QName> {
        self.cat.partitions_deep(q)
    }
}

pub fn drop(s: &pb::DropStmt, cx: &Ctx, fx: &mut Effects) {
    let kind = O::try_from(s.remove_type).unwrap_or(O::Undefined);
    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
    for obj in &s.objects {
        let names = name_list(obj);
        match kind {
            O::ObjectTable
            | O::ObjectView
            | O::ObjectMatview
            | O::ObjectSequence
            | O::ObjectForeignTable => {
                let q = cx.resolve_names(&names);
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    continue;
                }
                drop_relation(&q, cascade, cx, fx);
            }
            O::ObjectIndex => {
                let q = cx.resolve_names(&names);
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    continue;
                }
                let mode = if s.concurrent {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                };
                if s.concurrent {
                    fx.no_transaction_block = true;
                }
                // The table first (RangeVarCallbackForDropRelation), then
                // the index; a partitioned index drops its partitions' too.
                match cx.cat.index_table(&q).cloned() {
                    Some(t) => {
                        fx.lock(&t, mode);
                        fx.lock(&q, mode);
                        if cx
                            .rel(&q)
                            .map(|r| r.kind == RelKind::PartitionedIndex)
                            .unwrap_or(false)
                        {
                            for child in cx.cat.partition_indexes(&q) {
                                if let Some(ct) = cx.cat.index_table(&child) {
                                    fx.lock(ct, mode);
                                }
                                fx.lock(&child, mode);
                            }
                        }
                        // CASCADE drops the foreign keys whose referenced
                        // key this unique index enforces: their tables lose
                        // their RI triggers.
                        if cascade {
                            for other in fks_on_index(cx, &t, &q) {
                                fx.lock(&other, AccessExclusive);
                            }
                        }
                    }
                    None => {
                        fx.lock(&q, mode);
                        if !cx.cat.contains(&q) {
                            fx.unseen_index_tables.insert(q.clone());
                            fx.note(format!(
                                "index {q} is not in the migration history: its table, which the history does not show either, is locked {} too",
                                mode.pg_name()
                            ));
                        }
                    }
                }
            }
            O::ObjectSchema => {
                if let Some(schema) = names.first() {
                    let mut rels: Vec<&QName> = cx
                        .cat
                        .relations
                        .keys()
                        .filter(|q| &q.schema == schema)
                        .filter(|q| cx.rel(q).map(|r| !r.kind.is_index()).unwrap_or(false))
                        .collect();
                    rels.sort();
                    if cascade {
                        for q in rels {
                            drop_relation(q, true, cx, fx);
                        }
                        // Its functions go with it, and what uses them
                        // anywhere.
                        for f in cx.cat.functions_in_schema(schema) {
                            let users = cx.cat.function_users(&f.name, Some(&f.arg_types));
                            crate::model::functions::drop_users(
                                &f.signature(),
                                &users,
                                true,
                                cx,
                                fx,
                            );
                        }
                    }
                }
            }
            O::ObjectTrigger | O::ObjectPolicy | O::ObjectRule => {
                // names: [schema.]table.name
                if names.len() >= 2 {
                    let q = cx.resolve_names(&names[..names.len() - 1]);
                    if s.missing_ok && !cx.exists_or_unknown(&q) {
                        continue;
                    }
                    // IF EXISTS on a missing trigger/policy locks nothing.
                    let name = &names[names.len() - 1];
                    let missing = match (kind, cx.rel(&q)) {
                        (O::ObjectTrigger, Some(r)) => !r.triggers.contains(name),
                        (O::ObjectPolicy, Some(r)) => !r.policies.contains(name),
                        _ => false,
                    };
                    if s.missing_ok && missing {
                        continue;
                    }
                    fx.lock(&q, AccessExclusive);
                    // Since 13 a partitioned table's triggers have clones
                    // on every partition, dropped with it.
                    if kind == O::ObjectTrigger && cx.pg >= 13 && is_partitioned(cx, &q) {
                        for p in cx.cat.partitions_deep(&q) {
                            fx.lock(&p, AccessExclusive);
                        }
                    }
                }
            }
            O::ObjectFunction | O::ObjectProcedure | O::ObjectRoutine => {
                if let Some(N::ObjectWithArgs(o)) = &obj.node {
                    crate::model::functions::drop_function(o, s.missing_ok, cascade, cx, fx);
                }
            }
            O::ObjectStatisticExt => {
                let q = cx.resolve_names(&names);
                let key = cx
                    .cat
                    .statistics
                    .keys()
                    .find(|k| k.name == q.name && (names.len() == 1 || k.schema == q.schema))
                    .cloned();
                // Since 12, dropping statistics locks their table.
                if let (Some(t), true) = (key.and_then(|k| cx.cat.statistics.get(&k)), cx.pg >= 12)
                {
                    fx.lock(t, ShareUpdateExclusive);
                }
            }
            O::ObjectType | O::ObjectDomain => {
                // A composite type is a pg_class entry too: deleting the
                // type deletes it (AcquireDeletionLock on the relation).
                let q = cx.resolve_names(&names);
                if cx.cat.composites.contains_key(&q) {
                    fx.lock(&q, AccessExclusive);
                }
                if cascade {
                    let ty = names.last().cloned().unwrap_or_default();
                    for r in cx.cat.relations.values() {
                        if r.columns
                            .iter()
                            .any(|c| c.ty.name == ty || c.ty.name.ends_with(&format!(".{ty}")))
                        {
                            fx.lock(&r.name, AccessExclusive);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Tables with a foreign key that depends on unique index `index` of
/// `table`: PostgreSQL ties a foreign key to the first unique index (in
/// creation order) whose key columns are its referenced columns
/// (transformFkeyCheckAttrs).
fn fks_on_index(cx: &Ctx, table: &QName, index: &QName) -> Vec<QName> {
    let Some(t) = cx.rel(table) else {
        return Vec::new();
    };
    let same = |a: &[String], b: &[String]| a.len() == b.len() && a.iter().all(|x| b.contains(x));
    let mut out = Vec::new();
    for (other, con) in cx.cat.referencing(table) {
        let Some(c) = cx.rel(&other).and_then(|o| o.constraint(&con)) else {
            continue;
        };
        let ConstraintKind::ForeignKey { ref_columns, .. } = &c.kind else {
            continue;
        };
        let chosen = t.indexes.iter().find(|i| {
            cx.rel(i).and_then(|r| r.index.as_ref()).is_some_and(|x| {
                x.unique
                    && !x.has_expressions_or_predicate()
                    && same(
                        &x.columns.iter().flatten().cloned().collect::<Vec<_>>(),
                        ref_columns,
                    )
            })
        });
        if chosen == Some(index) && !out.contains(&other) {
            out.push(other);
        }
    }
    out.sort();
    out
}

/// DROP TABLE / VIEW / SEQUENCE: the relation, its partitions, the tables
/// its foreign keys reference (their RI triggers are dropped), and with
/// CASCADE the referencing tables and dependent views.
pub fn drop_relation(q: &QName, cascade: bool, cx: &Ctx, fx: &mut Effects) {
    fx.lock(q, AccessExclusive);
    let Some(rel) = cx.rel(q) else { return };
    // Dropping a partition changes its parent's partition descriptor.
    if let Some(parent) = &rel.partition_of {
        fx.lock(parent, AccessExclusive);
    }
    // A sequence dropped with CASCADE takes the defaults that use it.
    if rel.kind == RelKind::Sequence && cascade {
        for r in cx.cat.relations.values() {
            if r.columns
                .iter()
                .any(|c| c.serial_sequence.as_ref() == Some(q))
            {
                fx.lock(&r.name, AccessExclusive);
            }
        }
    }
    let mut tree = vec![q.clone()];
    for p in cx.cat.partitions_deep(q) {
        fx.lock(&p, AccessExclusive);
        tree.push(p);
    }
    if cascade {
        for c in cx.cat.descendants(q) {
            fx.lock(&c, AccessExclusive);
            tree.push(c);
        }
    }
    for t in &tree {
        if let Some(r) = cx.rel(t) {
            // A partition's foreign keys inherited from its parent own no
            // triggers on the referenced table.
            let inherited = |name: &str| {
                r.partition_of
                    .as_ref()
                    .and_then(|p| cx.rel(p))
                    .map(|p| p.constraint(name).is_some())
                    .unwrap_or(false)
            };
            for c in &r.constraints {
                if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                    if tree.contains(ref_table) || inherited(&c.name) {
                        continue;
                    }
                    // A partitioned referenced table keeps the action
                    // triggers on its partitions (and on itself since 15).
                    let partitioned = cx
                        .rel(ref_table)
                        .map(|x| x.kind == RelKind::PartitionedTable)
                        .unwrap_or(false);
                    if !partitioned || cx.pg >= 15 || cx.pg < 12 {
                        fx.lock(ref_table, AccessExclusive);
                    }
                    if partitioned {
                        for p in cx.cat.partitions_deep(ref_table) {
                            fx.lock(&p, AccessExclusive);
                        }
                    }
                }
            }
        }
        for seq in cx.owned_sequences(t) {
            fx.lock(&seq, AccessExclusive);
        }
        if cascade {
            for (other, _) in cx.cat.referencing(t) {
                if !tree.contains(&other) {
                    fx.lock(&other, AccessExclusive);
                }
            }
            // Dependent views, and views on those, go too.
            let mut stack = cx.cat.dependent_views(t);
            let mut seen = Vec::new();
            while let Some(v) = stack.pop() {
                if seen.contains(&v) {
                    continue;
                }
                fx.lock(&v, AccessExclusive);
                stack.extend(cx.cat.dependent_views(&v));
                seen.push(v);
            }
        }
    }
}

pub fn rename(s: &pb::RenameStmt, cx: &Ctx, fx: &mut Effects) {
    let kind = O::try_from(s.rename_type).unwrap_or(O::Undefined);
    let rel = s.relation.as_ref().map(|r| cx.resolve(r));
    match kind {
        O::ObjectIndex => {
            if let Some(q) = rel {
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    return;
                }
                // ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE since 12.
                let is_index = cx.rel(&q).map(|r| r.kind.is_index()).unwrap_or(true);
                let mode = if cx.pg >= 12 && is_index {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                };
                fx.lock(&q, mode);
            }
        }
        O::ObjectTable
        | O::ObjectView
        | O::ObjectMatview
        | O::ObjectSequence
        | O::ObjectForeignTable => {
            if let Some(q) = rel {
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    return;
                }
                let is_index = cx.rel(&q).map(|r| r.kind.is_index()).unwrap_or(false);
                let _ = is_index;
                fx.lock(&q, AccessExclusive);
            }
        }
        O::ObjectColumn | O::ObjectAttribute => {
            if let Some(q) = rel {
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    return;
                }
                let recurse = s.relation.as_ref().map(|r| r.inh).unwrap_or(true);
                cx.lock_tree(fx, &q, AccessExclusive, recurse);
            }
        }
        O::ObjectTabconstraint => {
            if let Some(q) = rel {
                if s.missing_ok && !cx.exists_or_unknown(&q) {
                    return;
                }
                let recurse = s.relation.as_ref().map(|r| r.inh).unwrap_or(true);
                cx.lock_tree(fx, &q, AccessExclusive, recurse);
            }
        }
        O::ObjectTrigger | O::ObjectPolicy | O::ObjectRule => {
            if let Some(q) = rel {
                fx.lock(&q, AccessExclusive);
            }
        }
        _ => {}
    }
}

pub fn set_schema(s: &pb::AlterObjectSchemaStmt, cx: &Ctx, fx: &mut Effects) {
    let kind = O::try_from(s.object_type).unwrap_or(O::Undefined);
    if let (Some(rv), true) = (
        &s.relation,
        matches!(
            kind,
            O::ObjectTable
                | O::ObjectView
                | O::ObjectMatview
                | O::ObjectSequence
                | O::ObjectForeignTable
        ),
    ) {
        let q = cx.resolve(rv);
        if s.missing_ok && !cx.exists_or_unknown(&q) {
            return;
        }
        fx.lock(&q, AccessExclusive);
        for seq in cx.owned_sequences(&q) {
            fx.lock(&seq, AccessExclusive);
        }
    }
}

pub fn truncate(s: &pb::TruncateStmt, cx: &Ctx, fx: &mut Effects) {
    let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
    let mut targets: Vec<QName> = Vec::new();
    for rv in s.relations.iter().filter_map(range_var) {
        let q = cx.resolve(rv);
        for t in cx.tree(&q, rv.inh) {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    if cascade {
        let mut i = 0;
        while i < targets.len() {
            let t = targets[i].clone();
            for (other, _) in cx.cat.referencing(&t) {
                for o in cx.tree(&other, true) {
                    if !targets.contains(&o) {
                        targets.push(o);
                    }
                }
            }
            i += 1;
        }
    }
    for t in &targets {
        fx.lock(t, AccessExclusive);
        // Before 14, truncating a partition of a table with foreign keys
        // reads the parent to check them.
        if cx.pg < 14 {
            if let Some(p) = cx.rel(t).and_then(|r| r.partition_of.clone()) {
                let has_fk = cx
                    .rel(&p)
                    .map(|r| {
                        r.constraints
                            .iter()
                            .any(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
                    })
                    .unwrap_or(false);
                if has_fk && !targets.contains(&p) {
                    fx.lock(&p, AccessShare);
                }
            }
        }
        let partitioned = is_partitioned(cx, t);
        if !partitioned {
            // A table created in this transaction is truncated in place.
            let same_txn = cx.now.txn.is_some()
                && cx
                    .rel(t)
                    .map(|r| r.origin.txn == cx.now.txn)
                    .unwrap_or(false);
            if same_txn {
                fx.note(format!(
                    "{t} was created in this transaction: truncated in place"
                ));
            } else {
                fx.rewrites.insert(t.clone());
            }
        }
        if s.restart_seqs {
            for seq in cx.owned_sequences(t) {
                fx.lock(&seq, AccessExclusive);
            }
        }
    }
}

pub fn lock(s: &pb::LockStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(mode) = LockMode::from_lockdefs(s.mode) else {
        fx.set_unknown("LOCK TABLE with an unknown mode");
        return;
    };
    for rv in s.relations.iter().filter_map(range_var) {
        let q = cx.resolve(rv);
        lock_relation_deep(&q, mode, rv.inh, cx, fx, 0);
    }
}

/// LOCK on a view also locks, recursively, the relations its query uses.
fn lock_relation_deep(
    q: &QName,
    mode: LockMode,
    recurse: bool,
    cx: &Ctx,
    fx: &mut Effects,
    depth: usize,
) {
    cx.lock_tree(fx, q, mode, recurse);
    if depth > 16 {
        return;
    }
    if let Some(r) = cx.rel(q) {
        if r.kind == RelKind::View {
            for d in r.depends_on.clone() {
                lock_relation_deep(&d, mode, true, cx, fx, depth + 1);
            }
        }
    }
}

pub fn create_view(s: &pb::ViewStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(rv) = &s.view {
        let q = cx.resolve(rv);
        if s.replace && cx.rel(&q).is_some() {
            fx.lock(&q, AccessExclusive);
        }
    }
    if let Some(query) = &s.query {
        dml::read_query_unplanned(query, cx, fx);
    }
}

pub fn create_table_as(s: &pb::CreateTableAsStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(into) = &s.into {
        if let Some(rv) = &into.rel {
            let q = cx.resolve(rv);
            if s.if_not_exists && cx.rel(&q).is_some() {
                fx.note(format!(
                    "{q} already exists: IF NOT EXISTS makes this a no-op"
                ));
                return;
            }
        }
        if let Some(query) = &s.query {
            if into.skip_data {
                dml::read_query(query, cx, fx, false);
            } else {
                dml::run_query(query, cx, fx, true);
            }
        }
    }
}

pub fn refresh_matview(s: &pb::RefreshMatViewStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let q = cx.resolve(rv);
    if s.concurrent {
        fx.lock(&q, Exclusive);
        fx.scan(&q);
    } else {
        fx.lock(&q, AccessExclusive);
        fx.rewrites.insert(q.clone());
    }
    // WITH NO DATA empties the view without running its query.
    if let (Some(r), false) = (cx.rel(&q), s.skip_data) {
        dml::run_stored_query(&r.depends_on, &r.scan_filters, cx, fx);
        // Its query's function calls are planned and run with it.
        let stored = r.query.as_deref().and_then(crate::parse::memo::statements);
        for st in stored.iter().flat_map(|s| s.iter()) {
            crate::model::functions::query_calls(st, "once per row the query reads", cx, fx);
        }
        for d in &r.depends_on {
            crate::model::functions::view_calls(d, cx, fx, 0);
        }
    }
}

/// CREATE FUNCTION ... LANGUAGE sql: the body is parsed and analysed when
/// the function is created (`fmgr_sql_validator` with check_function_bodies
/// on, the default; a BEGIN ATOMIC body always), which opens every relation
/// it reads or writes with the lock its parse analysis takes. A function
/// with polymorphic arguments is only parsed. Other languages open nothing.
pub fn create_function(s: &pb::CreateFunctionStmt, cx: &Ctx, fx: &mut Effects) {
    let (lang, body) = crate::model::ast::language_and_body(&s.options);
    if lang.as_deref() != Some("sql") {
        return;
    }
    let statements: Vec<N> = match (&s.sql_body, body) {
        (Some(b), _) => {
            let mut out = Vec::new();
            flatten_lists(b, &mut out);
            out
        }
        (None, Some(text)) => {
            let polymorphic = s.parameters.iter().any(|p| match &p.node {
                Some(N::FunctionParameter(fp)) => fp.arg_type.as_ref().is_some_and(|t| {
                    strings(&t.names)
                        .last()
                        .is_some_and(|n| n.starts_with("any") && n != "any")
                }),
                _ => false,
            });
            if polymorphic {
                return;
            }
            // Parsed again at every call whose effects are computed.
            crate::parse::memo::statements(&text)
                .map(|s| s.to_vec())
                .unwrap_or_default()
        }
        _ => return,
    };
    let mut opened = false;
    for st in &statements {
        if matches!(
            st,
            N::SelectStmt(_)
                | N::InsertStmt(_)
                | N::UpdateStmt(_)
                | N::DeleteStmt(_)
                | N::MergeStmt(_)
        ) {
            let sub = super::effects(st, cx);
            for (q, m) in sub.locks {
                fx.lock(&q, m);
                opened = true;
            }
        }
    }
    if opened {
        fx.note(
            "a SQL function's body is parsed and analysed at CREATE FUNCTION \
             (check_function_bodies): it opens the relations it uses",
        );
    }
}

fn flatten_lists(n: &pb::Node, out: &mut Vec<N>) {
    match &n.node {
        Some(N::List(l)) => {
            for i in &l.items {
                flatten_lists(i, out);
            }
        }
        Some(other) => out.push(other.clone()),
        None => {}
    }
}

pub fn create_trigger(s: &pb::CreateTrigStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(rv) = &s.relation {
        let q = cx.resolve(rv);
        // Row triggers on a partitioned table are cloned to every partition.
        let recurse = s.row && is_partitioned(cx, &q);
        cx.lock_tree(fx, &q, ShareRowExclusive, recurse);
    }
    if let Some(c) = &s.constrrel {
        fx.lock(&cx.resolve(c), AccessShare);
    }
}

pub fn comment(s: &pb::CommentStmt, cx: &Ctx, fx: &mut Effects) {
    let kind = O::try_from(s.objtype).unwrap_or(O::Undefined);
    let Some(obj) = &s.object else { return };
    let names = name_list(obj);
    let target = match kind {
        O::ObjectTable
        | O::ObjectView
        | O::ObjectMatview
        | O::ObjectSequence
        | O::ObjectForeignTable
        | O::ObjectIndex => Some(cx.resolve_names(&names)),
        O::ObjectColumn if names.len() >= 2 => Some(cx.resolve_names(&names[..names.len() - 1])),
        _ => None,
    };
    if let Some(q) = target {
        fx.lock(&q, ShareUpdateExclusive);
    }
    // Objects that belong to a table (get_object_address_relobject) only
    // open the table ACCESS SHARE.
    if matches!(
        kind,
        O::ObjectTabconstraint | O::ObjectTrigger | O::ObjectPolicy | O::ObjectRule
    ) && names.len() >= 2
    {
        fx.lock(&cx.resolve_names(&names[..names.len() - 1]), AccessShare);
    }
}

pub fn grant(s: &pb::GrantStmt, cx: &Ctx, fx: &mut Effects) {
    // GRANT / REVOKE update pg_class.relacl; PostgreSQL 18 also opens the
    // relation ACCESS SHARE (earlier versions take no lock on it).
    if cx.pg < 18 || s.targtype != pb::GrantTargetType::AclTargetObject as i32 {
        return;
    }
    let kind = O::try_from(s.objtype).unwrap_or(O::Undefined);
    if matches!(
        kind,
        O::ObjectTable
            | O::ObjectSequence
            | O::ObjectView
            | O::ObjectMatview
            | O::ObjectForeignTable
    ) {
        for rv in s.objects.iter().filter_map(range_var) {
            fx.lock(&cx.resolve(rv), AccessShare);
        }
    }
}

pub fn vacuum(s: &pb::VacuumStmt, cx: &Ctx, fx: &mut Effects) {
    let mut full = false;
    let mut analyze = !s.is_vacuumcmd;
    for o in s.options.iter().filter_map(defelem_name) {
        let on = o
            .arg
            .as_deref()
            .and_then(const_str)
            .map(|v| !matches!(v.as_str(), "off" | "false" | "0"))
            .unwrap_or(true);
        match o.defname.as_str() {
            "full" if on => full = true,
            "analyze" if on => analyze = true,
            _ => {}
        }
    }
    if s.is_vacuumcmd {
        fx.no_transaction_block = true;
    }
    let rels: Vec<&pb::RangeVar> = s
        .rels
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::VacuumRelation(v)) => v.relation.as_ref(),
            _ => None,
        })
        .collect();
    if rels.is_empty() {
        fx.note("without a table list it processes every table in the database");
        let mut all: Vec<&QName> = cx
            .cat
            .relations
            .values()
            .filter(|r| r.kind.is_table() || r.kind == RelKind::MatView)
            .map(|r| &r.name)
            .collect();
        all.sort();
        for q in all {
            vacuum_one(q, full, analyze, s.is_vacuumcmd, cx, fx);
        }
        return;
    }
    for rv in rels {
        let q = cx.resolve(rv);
        // Partitions are always processed. Inheritance children are
        // processed too since PostgreSQL 18; before, VACUUM leaves them
        // alone and ANALYZE only samples them (ACCESS SHARE).
        vacuum_one(&q, full, analyze, s.is_vacuumcmd, cx, fx);
        let partitioned = is_partitioned(cx, &q);
        // ONLY (18+) leaves the partitions or children alone, but ANALYZE
        // still samples them for the parent's inheritance statistics.
        let only = !rv.inh && cx.pg >= 18;
        if partitioned {
            for t in cx.cat.partitions_deep(&q) {
                if !only {
                    vacuum_one(&t, full, analyze, s.is_vacuumcmd, cx, fx);
                } else if analyze {
                    fx.lock(&t, AccessShare);
                }
            }
        } else {
            for child in cx.cat.descendants(&q) {
                if cx.pg >= 18 && !only {
                    vacuum_one(&child, full, analyze, s.is_vacuumcmd, cx, fx);
                } else if analyze {
                    fx.lock(&child, AccessShare);
                }
            }
        }
    }
}

fn vacuum_one(q: &QName, full: bool, _analyze: bool, is_vacuum: bool, cx: &Ctx, fx: &mut Effects) {
    if full {
        fx.lock(q, AccessExclusive);
        if !is_partitioned(cx, q) {
            fx.rewrite(q);
        }
    } else {
        fx.lock(q, ShareUpdateExclusive);
        if is_vacuum && !is_partitioned(cx, q) {
            fx.scan(q);
        }
    }
}

pub fn cluster(s: &pb::ClusterStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else {
        // Every table with a clustered index (indisclustered) that the role
        // owns is re-clustered, each in its own transaction; those
        // clustered before the history are not known here.
        fx.no_transaction_block = true;
        let mut clustered: Vec<(QName, QName)> = cx
            .cat
            .relations
            .values()
            .filter_map(|r| {
                let i = r.index.as_ref().filter(|i| i.clustered)?;
                Some((i.table.clone(), r.name.clone()))
            })
            .collect();
        clustered.sort();
        for (t, i) in &clustered {
            fx.lock(t, AccessExclusive);
            fx.lock(i, AccessExclusive);
            fx.rewrite(t);
        }
        let known: Vec<String> = clustered.iter().map(|(t, _)| t.to_string()).collect();
        fx.set_unknown(format!(
            "CLUSTER without a table name re-clusters every table the role has clustered before{}; tables clustered before the migration history are not known here",
            if known.is_empty() {
                String::new()
            } else {
                format!(" (the history shows {})", known.join(", "))
            }
        ));
        return;
    };
    let q = cx.resolve(rv);
    if is_partitioned(cx, &q) {
        fx.no_transaction_block = true;
        for t in cx.tree(&q, true) {
            fx.lock(&t, AccessExclusive);
            if !is_partitioned(cx, &t) {
                fx.rewrite(&t);
            }
        }
    } else {
        fx.lock(&q, AccessExclusive);
        fx.rewrite(&q);
    }
    if !s.indexname.is_empty() {
        let idx = QName::new(q.schema.as_str(), s.indexname.as_str());
        fx.lock(&idx, AccessExclusive);
    } else if let Some(idx) = cx.rel(&q).and_then(|r| {
        r.indexes.iter().find(|i| {
            cx.rel(i)
                .and_then(|x| x.index.as_ref())
                .is_some_and(|x| x.clustered)
        })
    }) {
        // CLUSTER t uses the index it was clustered on before.
        fx.lock(idx, AccessExclusive);
    }
}

pub fn reindex(s: &pb::ReindexStmt, cx: &Ctx, fx: &mut Effects) {
    use pb::ReindexObjectType as K;
    let concurrent = s.params.iter().filter_map(defelem_name).any(|d| {
        d.defname == "concurrently"
            && d.arg
                .as_deref()
                .and_then(const_str)
                .map(|v| v != "off" && v != "false")
                .unwrap_or(true)
    });
    let kind = K::try_from(s.kind).unwrap_or(K::Undefined);
    if concurrent {
        fx.no_transaction_block = true;
    }
    let (tmode, imode) = if concurrent {
        (ShareUpdateExclusive, ShareUpdateExclusive)
    } else {
        (Share, AccessExclusive)
    };
    match kind {
        K::ReindexObjectIndex => {
            let Some(rv) = &s.relation else { return };
            let idx = cx.resolve(rv);
            let partitioned = cx
                .rel(&idx)
                .map(|r| r.kind == RelKind::PartitionedIndex)
                .unwrap_or(false);
            if partitioned {
                fx.no_transaction_block = true;
            }
            if let Some(t) = cx.cat.index_table(&idx).cloned() {
                fx.lock(&t, tmode);
                fx.scan(&t);
            }
            fx.lock(&idx, imode);
            if partitioned {
                // Each partition's index is rebuilt in its own transaction,
                // its table under SHARE.
                if let Some(t) = cx.cat.index_table(&idx).cloned() {
                    for p in cx.cat.partitions_deep(&t) {
                        if !is_partitioned(cx, &p) {
                            fx.lock(&p, tmode);
                        }
                    }
                }
                for child in cx.cat.partition_indexes(&idx) {
                    if cx.rel(&child).is_some_and(|r| r.kind == RelKind::Index) {
                        fx.index_rebuilds.insert(child);
                    }
                }
            } else {
                fx.index_rebuilds.insert(idx);
            }
        }
        K::ReindexObjectTable => {
            let Some(rv) = &s.relation else { return };
            let t = cx.resolve(rv);
            if is_partitioned(cx, &t) {
                fx.no_transaction_block = true;
                fx.lock(&t, tmode);
            }
            for part in cx.storage_tree(&t, true) {
                fx.lock(&part, tmode);
                fx.scan(&part);
                if let Some(r) = cx.rel(&part) {
                    for i in &r.indexes {
                        fx.lock(i, imode);
                        fx.index_rebuilds.insert(i.clone());
                    }
                }
            }
        }
        K::ReindexObjectSchema => {
            fx.no_transaction_block = true;
            fx.note("REINDEX SCHEMA rebuilds every index of the schema, one table at a time");
            let mut tables: Vec<&QName> = cx
                .cat
                .relations
                .values()
                .filter(|r| {
                    r.name.schema == s.name
                        && (r.kind == RelKind::Table || r.kind == RelKind::MatView)
                })
                .map(|r| &r.name)
                .collect();
            tables.sort();
            for t in tables {
                fx.lock(t, tmode);
                fx.scan(t);
                for i in cx.rel(t).map(|r| r.indexes.as_slice()).unwrap_or_default() {
                    fx.index_rebuilds.insert(i.clone());
                }
            }
        }
        _ => {
            fx.no_transaction_block = true;
            fx.note("REINDEX DATABASE/SYSTEM rebuilds every index in scope, one table at a time");
        }
    }
}

pub fn alter_enum(s: &pb::AlterEnumStmt, cx: &Ctx, fx: &mut Effects) {
    if s.old_val.is_empty() && cx.pg < 12 {
        // Before 12, ADD VALUE refuses a transaction block unless the type
        // was created in the same transaction.
        let ty = cx.resolve_names(&strings(&s.type_name));
        let created_here = cx
            .cat
            .enums
            .get(&ty)
            .map(|e| e.origin.txn.is_some() && e.origin.txn == cx.now.txn)
            .unwrap_or(false);
        if !created_here {
            fx.no_transaction_block = true;
        }
    }
}

pub fn create_sequence(s: &pb::CreateSeqStmt, cx: &Ctx, fx: &mut Effects) {
    owned_by_lock(&s.options, cx, fx);
}

pub fn alter_sequence(s: &pb::AlterSeqStmt, cx: &Ctx, fx: &mut Effects) {
    if let Some(rv) = &s.sequence {
        let q = cx.resolve(rv);
        if s.missing_ok && !cx.exists_or_unknown(&q) {
            return;
        }
        fx.lock(&q, ShareRowExclusive);
    }
    owned_by_lock(&s.options, cx, fx);
}

fn owned_by_lock(options: &[pb::Node], cx: &Ctx, fx: &mut Effects) {
    for d in options.iter().filter_map(defelem_name) {
        if d.defname == "owned_by" {
            if let Some(arg) = &d.arg {
                let names = name_list(arg);
                if names.len() >= 2 && names != ["none"] {
                    fx.lock(&cx.resolve_names(&names[..names.len() - 1]), AccessShare);
                }
            }
        }
    }
}

pub fn alter_domain(s: &pb::AlterDomainStmt, cx: &Ctx, fx: &mut Effects) {
    // 'C' add constraint, 'V' validate, 'O' set not null: every column of
    // the domain, or of a domain over it, is checked under SHARE lock
    // (validateDomainCheckConstraint / get_rels_with_domain).
    let checks = matches!(s.subtype.as_str(), "C" | "V" | "O");
    if !checks {
        return;
    }
    if s.subtype == "C" {
        if let Some(N::Constraint(c)) = s.def.as_ref().and_then(|d| d.node.as_ref()) {
            if c.skip_validation {
                return;
            }
        }
    }
    let names = strings(&s.type_name);
    let Some(ty) = domain_in_catalog(cx, &names) else {
        fx.set_unknown(format!(
            "domain {} is not in the migration history: the tables whose columns use it (each locked SHARE and read in full) are unknown",
            names.join(".")
        ));
        return;
    };
    let (hits, maybe) = tables_using_domain(cx, &ty);
    for q in hits {
        fx.lock(&q, Share);
        fx.scan(&q);
    }
    if let Some(m) = maybe.first() {
        fx.set_unknown(format!(
            "{m} was created from a query whose column types are not known here: it may store values of domain {ty} and be locked and read too"
        ));
    }
}

/// The catalog's name of the domain `names` refers to.
fn domain_in_catalog(cx: &Ctx, names: &[String]) -> Option<QName> {
    let (schema, name) = match names {
        [.., s, n] => (Some(s), n),
        [n] => (None, n),
        [] => return None,
    };
    if let Some(s) = schema {
        let q = QName::new(s.as_str(), name.as_str());
        return cx.cat.domains.contains_key(&q).then_some(q);
    }
    // Unqualified: the search path first, then (the history may have set
    // another path) any schema, in name order.
    cx.session
        .search_path
        .iter()
        .map(|s| QName::new(s.as_str(), name.as_str()))
        .find(|q| cx.cat.domains.contains_key(q))
        .or_else(|| {
            let mut found: Vec<&QName> =
                cx.cat.domains.keys().filter(|k| &k.name == name).collect();
            found.sort();
            found.first().map(|q| (*q).clone())
        })
}

/// Tables and materialized views (relations with storage: a partitioned
/// table holds no rows) with a column of the domain or of a domain over it;
/// and those created from a query whose column types are not known that
/// read one of them (they may hold the domain too).
pub fn tables_using_domain(cx: &Ctx, ty: &QName) -> (Vec<QName>, Vec<QName>) {
    let is_name =
        |t: &TypeRef, d: &QName| t.name == d.name || t.name == format!("{}.{}", d.schema, d.name);
    // The domain and every domain built on it, at any depth.
    let mut family = vec![ty.clone()];
    loop {
        let more: Vec<QName> = cx
            .cat
            .domains
            .iter()
            .filter(|(k, (base, _))| !family.contains(k) && family.iter().any(|d| is_name(base, d)))
            .map(|(k, _)| k.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        family.extend(more);
    }
    let mut hits: Vec<QName> = cx
        .cat
        .relations
        .values()
        .filter(|r| matches!(r.kind, RelKind::Table | RelKind::MatView))
        .filter(|r| {
            r.columns
                .iter()
                .any(|c| family.iter().any(|d| is_name(&c.ty, d)))
        })
        .map(|r| r.name.clone())
        .collect();
    hits.sort();
    let mut maybe: Vec<QName> = cx
        .cat
        .relations
        .values()
        .filter(|r| r.columns_unknown && r.depends_on.iter().any(|d| hits.contains(d)))
        .map(|r| r.name.clone())
        .collect();
    maybe.sort();
    (hits, maybe)
}
