//! ALTER TABLE (and ALTER INDEX / VIEW / MATERIALIZED VIEW / SEQUENCE /
//! FOREIGN TABLE, which share its machinery). The statement takes the
//! strongest lock any of its subcommands needs (`AlterTableGetLockLevel`)
//! on the relation, and on every descendant when a subcommand recurses.

use pg_query::protobuf::{
    self as pb, node::Node as N, AlterTableType as T, ConstrType as C, ObjectType as O,
};

use super::{dml, Ctx, Effects};
use crate::model::ast::{
    any_cascade, column_constraints, contype, defelem_name, range_var, range_var_names, subtype,
};
use crate::model::catalog::Volatility;
use crate::model::catalog::{ConstraintKind, Persistence, QName, RelKind, Relation};
use crate::model::functions;
use crate::model::locks::LockMode::{self, *};
use crate::model::types::{analyse_change, ChangeContext, TypeRef};

/// How a note starts when ddlint lists a rewrite it cannot confirm (the
/// add-column-rewrites rule words its finding from it).
pub const MAY_REWRITE: &str = "may rewrite: ";

pub fn alter_table(s: &pb::AlterTableStmt, cx: &Ctx, fx: &mut Effects) {
    let Some(rv) = &s.relation else { return };
    let q = cx.resolve(rv);
    if s.missing_ok && !cx.exists_or_unknown(&q) {
        fx.note(format!("{q} does not exist: IF EXISTS makes this a no-op"));
        return;
    }
    let objtype = O::try_from(s.objtype).unwrap_or(O::ObjectTable);
    if objtype == O::ObjectType {
        // ALTER TYPE ... ADD/ALTER/DROP ATTRIBUTE on a composite type: its
        // pg_class entry is locked; it has no storage. With CASCADE each
        // typed table (CREATE TABLE ... OF type) gets the same change as
        // an ALTER TABLE of its column; without, the statement fails if
        // there is one.
        fx.lock(&q, AccessExclusive);
        let cascade = any_cascade(s);
        if cascade {
            let ty = crate::model::resolve::type_name(cx.session, &range_var_names(rv));
            for t in cx.cat.typed_tables(&ty) {
                let rel = cx.rel(&t);
                let mut mode = ShareUpdateExclusive;
                for cmd in &s.cmds {
                    if let Some(N::AlterTableCmd(cmd)) = &cmd.node {
                        let (m, _) = subcommand(cmd, &t, rel, O::ObjectTable, false, cx, fx);
                        mode = mode.max(m);
                    }
                }
                fx.lock(&t, mode);
            }
        }
        return;
    }
    let rel = cx.rel(&q);
    let mut mode: Option<LockMode> = None;
    let mut recurse_cmd = false;
    for cmd in &s.cmds {
        let Some(N::AlterTableCmd(cmd)) = &cmd.node else {
            continue;
        };
        let (m, recurses) = subcommand(cmd, &q, rel, objtype, rv.inh, cx, fx);
        mode = Some(mode.map_or(m, |x| x.max(m)));
        recurse_cmd |= recurses;
    }
    let mode = mode.unwrap_or(AccessExclusive);
    fx.lock(&q, mode);
    if rv.inh && recurse_cmd {
        for d in cx.cat.descendants(&q) {
            fx.lock(&d, mode);
        }
    }
}

/// The lock one subcommand needs and whether it recurses to descendants;
/// records its other effects.
fn subcommand(
    cmd: &pb::AlterTableCmd,
    q: &QName,
    rel: Option<&Relation>,
    objtype: O,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) -> (LockMode, bool) {
    let pg = cx.pg;
    let leaves = |cx: &Ctx| cx.storage_tree(q, inh);
    match subtype(cmd) {
        T::AtAddColumn | T::AtAddColumnToView => {
            if let Some(N::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                add_column(def, cmd.missing_ok, q, rel, inh, cx, fx);
            }
            (AccessExclusive, true)
        }
        T::AtDropColumn => {
            drop_column(
                &cmd.name,
                cmd.behavior == pb::DropBehavior::DropCascade as i32,
                cmd.missing_ok,
                q,
                rel,
                cx,
                fx,
            );
            // Even with ONLY, the children's copies of the column are
            // updated (they become local): direct children are locked.
            if !inh {
                for c in rel.map(|r| r.children.clone()).unwrap_or_default() {
                    fx.lock(&c, AccessExclusive);
                }
            }
            (AccessExclusive, true)
        }
        T::AtAlterColumnType => {
            if let Some(N::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                alter_column_type(&cmd.name, def, q, rel, inh, cx, fx);
            }
            (AccessExclusive, true)
        }
        T::AtColumnDefault | T::AtCookedColumnDefault => (AccessExclusive, true),
        T::AtDropNotNull => (AccessExclusive, true),
        T::AtSetNotNull => {
            set_not_null(&cmd.name, q, inh, cx, fx);
            (AccessExclusive, true)
        }
        T::AtSetExpression => {
            // A VIRTUAL generated column (18) is computed on read: a new
            // expression rewrites nothing.
            let virtual_ = rel
                .and_then(|r| r.column(&cmd.name))
                .is_some_and(|c| c.generated == Some('v'));
            if virtual_ {
                fx.note(format!(
                    "{} is a VIRTUAL generated column: nothing is stored, nothing is rewritten",
                    cmd.name
                ));
            } else {
                for t in leaves(cx) {
                    fx.rewrite(&t);
                }
            }
            (AccessExclusive, true)
        }
        T::AtDropExpression => (AccessExclusive, true),
        T::AtSetStatistics => (ShareUpdateExclusive, objtype != O::ObjectIndex),
        T::AtSetOptions | T::AtResetOptions => (ShareUpdateExclusive, false),
        T::AtSetStorage => (AccessExclusive, true),
        T::AtSetCompression => (AccessExclusive, true),
        T::AtAddIdentity => (AccessExclusive, pg >= 17),
        T::AtSetIdentity | T::AtDropIdentity => {
            // The identity's sequence is altered (SHARE ROW EXCLUSIVE) or
            // dropped (ACCESS EXCLUSIVE).
            let seq_mode = if subtype(cmd) == T::AtDropIdentity {
                AccessExclusive
            } else {
                ShareRowExclusive
            };
            if let Some(seq) = rel
                .and_then(|r| r.column(&cmd.name))
                .and_then(|c| c.serial_sequence.as_ref())
            {
                fx.lock(seq, seq_mode);
            }
            (AccessExclusive, pg >= 17)
        }
        T::AtAddConstraint | T::AtReAddConstraint => {
            if let Some(N::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                add_constraint(c, q, rel, inh, cx, fx)
            } else {
                (AccessExclusive, true)
            }
        }
        T::AtAddIndexConstraint | T::AtAddIndex | T::AtReAddIndex => (AccessExclusive, false),
        T::AtAlterConstraint => {
            alter_constraint(cmd, q, rel, cx, fx);
            (AccessExclusive, true)
        }
        T::AtValidateConstraint => {
            validate_constraint(&cmd.name, q, rel, inh, cx, fx);
            (ShareUpdateExclusive, true)
        }
        T::AtDropConstraint => {
            drop_constraint(
                &cmd.name,
                cmd.behavior == pb::DropBehavior::DropCascade as i32,
                q,
                rel,
                inh,
                cx,
                fx,
            );
            (AccessExclusive, true)
        }
        T::AtClusterOn | T::AtDropCluster => (ShareUpdateExclusive, false),
        T::AtSetLogged | T::AtSetUnLogged => {
            let target = if subtype(cmd) == T::AtSetLogged {
                Persistence::Permanent
            } else {
                Persistence::Unlogged
            };
            let already = rel.map(|r| r.persistence == target).unwrap_or(false);
            if already {
                fx.note(format!(
                    "{q} is already {}: no rewrite",
                    if target == Persistence::Permanent {
                        "LOGGED"
                    } else {
                        "UNLOGGED"
                    }
                ));
            } else if rel
                .map(|r| r.kind == RelKind::PartitionedTable)
                .unwrap_or(false)
            {
                fx.note("a partitioned table has no storage of its own");
            } else {
                fx.rewrite(q);
            }
            (AccessExclusive, false)
        }
        T::AtSetTableSpace => {
            let same = rel
                .map(|r| r.tablespace.as_deref().unwrap_or("pg_default") == cmd.name)
                .unwrap_or(false);
            let storage = rel.map(|r| r.kind.has_storage()).unwrap_or(true);
            if same {
                fx.note(format!(
                    "{q} is already in tablespace {}: nothing moves",
                    cmd.name
                ));
            } else if storage {
                // The files are copied to a new relfilenode.
                if objtype == O::ObjectIndex || rel.map(|r| r.kind.is_index()).unwrap_or(false) {
                    fx.index_rebuilds.insert(q.clone());
                    fx.rewrites.insert(q.clone());
                } else {
                    fx.rewrite(q);
                }
            }
            (AccessExclusive, false)
        }
        T::AtSetAccessMethod => {
            let same = rel
                .map(|r| r.access_method.as_deref().unwrap_or("heap") == cmd.name)
                .unwrap_or(false);
            if !same && !cmd.name.is_empty() {
                for t in leaves(cx) {
                    fx.rewrite(&t);
                }
            }
            (AccessExclusive, false)
        }
        T::AtSetRelOptions | T::AtResetRelOptions => {
            let kind = rel.map(|r| r.kind);
            let mut m = ShareUpdateExclusive;
            if let Some(N::List(l)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                for d in l.items.iter().filter_map(defelem_name) {
                    m = m.max(reloption_lock(&d.defnamespace, &d.defname, kind, objtype));
                }
            }
            (m, false)
        }
        T::AtReplaceRelOptions => (AccessExclusive, false),
        T::AtEnableTrig
        | T::AtEnableAlwaysTrig
        | T::AtEnableReplicaTrig
        | T::AtDisableTrig
        | T::AtEnableTrigAll
        | T::AtDisableTrigAll
        | T::AtEnableTrigUser
        | T::AtDisableTrigUser => {
            // Since 13 a partitioned table's triggers are cloned on its
            // partitions, and enabling / disabling recurses to them.
            let partitioned = rel
                .map(|r| r.kind == RelKind::PartitionedTable)
                .unwrap_or(false);
            (ShareRowExclusive, partitioned && pg >= 13)
        }
        T::AtEnableRule | T::AtEnableAlwaysRule | T::AtEnableReplicaRule | T::AtDisableRule => {
            (AccessExclusive, false)
        }
        T::AtAddInherit => {
            if let Some(p) = cmd.def.as_ref().and_then(|d| range_var(d)) {
                fx.lock(&cx.resolve(p), ShareUpdateExclusive);
            }
            (AccessExclusive, false)
        }
        T::AtDropInherit => {
            if let Some(p) = cmd.def.as_ref().and_then(|d| range_var(d)) {
                fx.lock(&cx.resolve(p), AccessShare);
            }
            (AccessExclusive, false)
        }
        T::AtAddOf | T::AtDropOf => (AccessExclusive, false),
        T::AtReplicaIdentity => (AccessExclusive, false),
        T::AtEnableRowSecurity
        | T::AtDisableRowSecurity
        | T::AtForceRowSecurity
        | T::AtNoForceRowSecurity => (AccessExclusive, false),
        T::AtChangeOwner => {
            for seq in cx.owned_sequences(q) {
                fx.lock(&seq, AccessExclusive);
            }
            (AccessExclusive, false)
        }
        T::AtGenericOptions | T::AtAlterColumnGenericOptions => (AccessExclusive, false),
        T::AtAttachPartition => {
            if let Some(N::PartitionCmd(pc)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                if objtype == O::ObjectIndex {
                    attach_index(pc, q, cx, fx);
                } else {
                    attach_partition(pc, q, rel, cx, fx);
                }
            }
            (
                if pg >= 12 {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                },
                false,
            )
        }
        T::AtDetachPartition => {
            let mut concurrent = false;
            if let Some(N::PartitionCmd(pc)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                concurrent = pc.concurrent;
                detach_partition(pc, q, cx, fx);
            }
            (
                if concurrent {
                    ShareUpdateExclusive
                } else {
                    AccessExclusive
                },
                false,
            )
        }
        T::AtDetachPartitionFinalize => {
            if let Some(N::PartitionCmd(pc)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                if let Some(name) = &pc.name {
                    fx.lock(&cx.resolve(name), AccessExclusive);
                }
            }
            (ShareUpdateExclusive, false)
        }
        T::AtDropOids => (AccessExclusive, true),
        other => {
            fx.set_unknown(format!("ALTER TABLE subcommand {other:?} is not modelled"));
            (AccessExclusive, true)
        }
    }
}

/// reloptions.c: each storage parameter declares the lock it needs.
fn reloption_lock(namespace: &str, name: &str, kind: Option<RelKind>, objtype: O) -> LockMode {
    if namespace == "toast" {
        return ShareUpdateExclusive;
    }
    let is_view = kind == Some(RelKind::View) || objtype == O::ObjectView;
    match name {
        "check_option" | "security_barrier" | "security_invoker" => AccessExclusive,
        "user_catalog_table" => AccessExclusive,
        "buffering" => AccessExclusive,
        "fillfactor"
        | "autovacuum_enabled"
        | "toast_tuple_target"
        | "parallel_workers"
        | "vacuum_index_cleanup"
        | "vacuum_truncate"
        | "log_autovacuum_min_duration"
        | "vacuum_max_eager_freeze_failure_rate"
        | "fastupdate"
        | "gin_pending_list_limit"
        | "pages_per_range"
        | "autosummarize"
        | "deduplicate_items" => ShareUpdateExclusive,
        n if n.starts_with("autovacuum_") => ShareUpdateExclusive,
        _ if is_view => AccessExclusive,
        _ => AccessExclusive,
    }
}

fn is(c: &pb::Constraint, t: C) -> bool {
    c.contype == t as i32
}

fn add_column(
    def: &pb::ColumnDef,
    if_not_exists: bool,
    q: &QName,
    rel: Option<&Relation>,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    if if_not_exists && rel.and_then(|r| r.column(&def.colname)).is_some() {
        fx.note(format!(
            "column {} already exists: IF NOT EXISTS makes this a no-op (the lock is still taken)",
            def.colname
        ));
        return;
    }
    let ty = def
        .type_name
        .as_ref()
        .map(TypeRef::from_ast)
        .unwrap_or_default();
    let cons = column_constraints(def);
    let mut rewrite_reason: Option<String> = None;
    let mut scan_reason: Option<String> = None;
    let default = cons
        .iter()
        .find(|c| is(c, C::ConstrDefault))
        .and_then(|c| c.raw_expr.as_deref());
    let not_null = def.is_not_null
        || cons.iter().any(|c| is(c, C::ConstrNotnull))
        || cons.iter().any(|c| is(c, C::ConstrPrimary));
    if ty.serial_base().is_some() {
        rewrite_reason = Some(format!(
            "a {} column's default nextval() is volatile: every row gets its own value",
            ty.name
        ));
    }
    if cons.iter().any(|c| is(c, C::ConstrIdentity)) {
        rewrite_reason =
            Some("an identity column's values come from a sequence, one per row".into());
    }
    // Expressions the statement plans (expression_planner), with when
    // the calls left in them run.
    let mut planned: Vec<(functions::Planner, bool)> = Vec::new();
    if let Some(g) = cons.iter().find(|c| is(c, C::ConstrGenerated)) {
        // PostgreSQL 18 adds VIRTUAL generated columns (computed on read).
        let virtual_ = g.generated_kind == "v";
        if !virtual_ {
            rewrite_reason =
                Some("a STORED generated column is computed and written for every row".into());
            if let Some(e) = g.raw_expr.as_deref() {
                let mut p = functions::Planner::new(cx);
                p.plan_expr(e);
                planned.push((p, true));
            }
        }
    }
    // Set when whether the table is rewritten is not known.
    let mut may_rewrite = false;
    if let Some(d) = default {
        // nextval() of an existing sequence runs once per existing row.
        if let Some(seq) = crate::model::replay::nextval_sequence(d, &q.schema) {
            if rel.map(|r| r.may_have_rows).unwrap_or(true) {
                fx.lock(&seq, RowExclusive);
            }
        }
        // A volatile default is evaluated for every existing row, anything
        // else once, its value stored for the rows that exist (the
        // "missing" value). PostgreSQL 12+ decides on the default once
        // planned (ATExecAddColumn: expression_planner, which fills in
        // default arguments, pre-evaluates immutable calls and inlines SQL
        // functions, then contain_volatile_functions); 11 on the default
        // as written (AddRelationNewConstraints).
        let mut p = functions::Planner::new(cx);
        let planned_volatility = p.plan_expr(d);
        let (as_written, unknown_written) = d
            .node
            .as_ref()
            .map(|n| functions::declared(n, cx))
            .unwrap_or_default();
        let (v, unknown) = if cx.pg >= 12 {
            (planned_volatility, p.unknown.clone())
        } else {
            (as_written, unknown_written)
        };
        if v == Volatility::Volatile {
            match unknown {
                Some(f) => {
                    may_rewrite = true;
                    rewrite_reason = Some(format!(
                        "the default calls {f}(), which is neither a built-in ddlint knows nor created in the migration history: its volatility is not known, and if it is volatile every existing row is rewritten"
                    ));
                    fx.set_unknown(format!(
                        "whether adding column {} rewrites {q} is not known: its default calls {f}(), whose volatility ddlint does not know (not a known built-in, not created in the migration history)",
                        def.colname
                    ));
                }
                None => {
                    rewrite_reason =
                        Some("the default is volatile: evaluated for every existing row".into())
                }
            }
        } else if as_written == Volatility::Volatile && !p.inlined.is_empty() {
            fx.note(format!(
                "no rewrite: the planner inlines the SQL function(s) {} and the planned default is not volatile (PostgreSQL 12+ decides on the planned default)",
                p.inlined.join(", ")
            ));
        }
        planned.push((p, false));
    }
    if let Some((_, true)) = cx.cat.domains.get(&domain_key(&ty, cx)) {
        {
            rewrite_reason.get_or_insert_with(|| {
                format!(
                    "{} is a domain with constraints: every row is checked",
                    ty.name
                )
            });
        }
    }
    let has_default = default
        .map(|d| !crate::model::ast::is_null_const(d))
        .unwrap_or(false)
        || rewrite_reason.is_some();
    if not_null && !has_default {
        scan_reason = Some("NOT NULL without a default: every existing row is checked (and the statement fails if there are rows)".into());
    }
    for c in &cons {
        if is(c, C::ConstrCheck) && !c.skip_validation {
            scan_reason.get_or_insert_with(|| {
                "the CHECK constraint is validated against every row".into()
            });
            if let Some(e) = c.raw_expr.as_deref() {
                check_expression(e, q, rel, cx, fx);
            }
        }
        if is(c, C::ConstrUnique) || is(c, C::ConstrPrimary) {
            scan_reason.get_or_insert_with(|| {
                "the index for the constraint is built from every row".into()
            });
        }
        if is(c, C::ConstrForeign) {
            if let Some(pk) = &c.pktable {
                let r = cx.resolve(pk);
                fx.lock(&r, ShareRowExclusive);
                if !c.skip_validation {
                    scan_reason.get_or_insert_with(|| {
                        "the foreign key is validated against every row".into()
                    });
                }
            }
        }
    }
    let leaves = cx.storage_tree(q, inh);
    // Only a relation with storage has its default planned and evaluated.
    if !leaves.is_empty() {
        let rows = rel.is_none_or(|r| r.may_have_rows);
        for (p, per_row) in planned {
            let runs = if rewrite_reason.is_none() && !per_row {
                functions::Runs::Once
            } else if rows {
                functions::Runs::PerRow(format!("for each existing row of {q}"))
            } else {
                functions::Runs::Never
            };
            functions::settle(p, &runs, cx, fx);
        }
    }
    if let Some(r) = rewrite_reason {
        for t in &leaves {
            fx.rewrite(t);
        }
        if may_rewrite {
            fx.note(format!("{MAY_REWRITE}{r}"));
        } else {
            fx.note(format!("rewrite: {r}"));
        }
    } else if let Some(r) = scan_reason {
        for t in &leaves {
            fx.scan(t);
        }
        fx.note(format!("scan: {r}"));
    }
}

fn domain_key(ty: &TypeRef, cx: &Ctx) -> QName {
    match ty.name.split_once('.') {
        Some((s, n)) => QName::new(s, n),
        None => cx
            .cat
            .domains
            .keys()
            .find(|k| k.name == ty.name)
            .cloned()
            .unwrap_or_else(|| QName::new("public", ty.name.as_str())),
    }
}

fn drop_column(
    name: &str,
    cascade: bool,
    missing_ok: bool,
    q: &QName,
    rel: Option<&Relation>,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let Some(rel) = rel else { return };
    if rel.column(name).is_none() && missing_ok {
        fx.note(format!(
            "column {name} does not exist: IF EXISTS makes this a no-op (the lock is still taken)"
        ));
        return;
    }
    // A serial or identity column's sequence is dropped with it.
    for seq in cx.cat.owned_sequences(q) {
        let owned_here = cx
            .rel(&seq)
            .and_then(|s| s.owned_by.as_ref())
            .is_some_and(|(_, col)| col == name);
        if owned_here {
            fx.lock(&seq, AccessExclusive);
        }
    }
    if let Some(seq) = rel.column(name).and_then(|c| c.serial_sequence.as_ref()) {
        fx.lock(seq, AccessExclusive);
    }
    // Foreign keys using the column are dropped with it: the referenced
    // table loses its RI triggers.
    for c in &rel.constraints {
        if c.columns.iter().any(|k| k == name) {
            if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                if ref_table != q {
                    fx.lock(ref_table, AccessExclusive);
                }
            }
        }
    }
    // Other tables' foreign keys onto this column (CASCADE drops them).
    if cascade {
        for (other, con) in cx.cat.referencing(q) {
            if let Some(o) = cx.rel(&other) {
                if let Some(c) = o.constraint(&con) {
                    if let ConstraintKind::ForeignKey { ref_columns, .. } = &c.kind {
                        if ref_columns.iter().any(|k| k == name) {
                            fx.lock(&other, AccessExclusive);
                        }
                    }
                }
            }
        }
        let mut stack = cx.cat.dependent_views(q);
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

fn alter_column_type(
    name: &str,
    def: &pb::ColumnDef,
    q: &QName,
    rel: Option<&Relation>,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let new = def
        .type_name
        .as_ref()
        .map(TypeRef::from_ast)
        .unwrap_or_default();
    // A column the history added to a table it does not create is known.
    let unseen = rel.is_none() && cx.cat.unseen.contains_key(q);
    let rel = rel.or_else(|| cx.cat.known_facts(q));
    let old_col = rel.and_then(|r| r.column(name));
    let leaves = cx.storage_tree(q, inh);
    let Some(old_col) = old_col else {
        for t in &leaves {
            fx.rewrite(t);
        }
        fx.note(format!(
            "column {name} is not in the catalog: assuming the type change rewrites the table"
        ));
        return;
    };
    // USING col or USING col::newtype is the same as no USING.
    let using_trivial = match def.raw_default.as_deref().and_then(|n| n.node.as_ref()) {
        None => true,
        Some(N::ColumnRef(c)) => crate::model::ast::strings(&c.fields)
            .last()
            .map(|f| f == name)
            .unwrap_or(false),
        Some(N::TypeCast(tc)) => match tc.arg.as_deref().and_then(|n| n.node.as_ref()) {
            Some(N::ColumnRef(c)) => {
                crate::model::ast::strings(&c.fields)
                    .last()
                    .map(|f| f == name)
                    .unwrap_or(false)
                    && tc
                        .type_name
                        .as_ref()
                        .map(TypeRef::from_ast)
                        .map(|t| t == new)
                        .unwrap_or(false)
            }
            _ => false,
        },
        _ => false,
    };
    let collation_changed = def
        .coll_clause
        .as_ref()
        .map(|c| crate::model::ast::strings(&c.collname).last().cloned() != old_col.collation)
        .unwrap_or(false);
    let domains = |n: &str| -> Option<(TypeRef, bool)> {
        cx.cat
            .domains
            .iter()
            .find(|(k, _)| k.name == n || format!("{k}") == n)
            .map(|(_, v)| v.clone())
    };
    let change = if using_trivial {
        analyse_change(
            &old_col.ty,
            &new,
            collation_changed,
            &ChangeContext {
                pg_version: cx.pg,
                timezone_utc: cx.session.timezone_utc,
                domain: &domains,
            },
        )
    } else {
        crate::model::types::TypeChange {
            rewrite: true,
            rebuild_indexes: true,
            scan: true,
            reason: "a USING expression is evaluated for every row".into(),
        }
    };
    if let Some(u) = def.raw_default.as_deref() {
        dml::read_expr_subqueries(u, cx, fx);
    }
    // A VIRTUAL generated column (18) has no storage: its type changes
    // without touching a row.
    let change = if old_col.generated == Some('v') {
        crate::model::types::TypeChange {
            rewrite: false,
            rebuild_indexes: false,
            scan: false,
            reason: format!("{name} is a VIRTUAL generated column: nothing is stored"),
        }
    } else {
        change
    };
    if change.rewrite {
        for t in &leaves {
            fx.rewrite(t);
        }
        fx.note(format!("rewrite: {}", change.reason));
    } else {
        if change.scan {
            for t in &leaves {
                fx.scan(t);
            }
        }
        fx.note(format!("no rewrite: {}", change.reason));
    }
    // Every index and constraint that uses the column is dropped and
    // re-created from its definition (ATPostAlterTypeCleanup). With a
    // rewrite every index of the table is rebuilt anyway. Without one an
    // index keeps its storage (TryReuseIndex) only when it has no
    // expression and no predicate and its key's operator class and
    // collation do not change (CheckIndexCompatible); any other index
    // that uses the column is built again, reading the whole table. An
    // index that does not use the column is never touched.
    if unseen && !change.rewrite {
        fx.note(format!(
            "{q} is older than the migration history: its earlier indexes and CHECK constraints are unknown, and any that use {name} would be rebuilt or validated again"
        ));
    }
    for t in &leaves {
        let Some(r) = cx.cat.known_facts(t) else {
            continue;
        };
        for idx in &r.indexes {
            let info = cx.rel(idx).and_then(|i| i.index.as_ref());
            // A partition's index attached to a partitioned index is
            // re-created with it, and DefineIndex never passes the old
            // storage down to partitions: always rebuilt.
            let rebuilt = change.rewrite
                || info.is_some_and(|i| {
                    i.uses_column(name)
                        && (i.has_expressions_or_predicate()
                            || i.parent.is_some()
                            || (change.rebuild_indexes && i.is_key_column(name)))
                });
            if !rebuilt {
                continue;
            }
            fx.index_rebuilds.insert(idx.clone());
            if !change.rewrite {
                fx.scan(t);
                let why = if info.is_some_and(|i| i.has_expressions_or_predicate()) {
                    "an index with an expression or predicate using the column is always rebuilt"
                } else if info.is_some_and(|i| i.parent.is_some()) {
                    "a partition's index is re-created with its partitioned index"
                } else {
                    "its operator class or collation changes"
                };
                fx.note(format!("index {idx} is rebuilt: {why}"));
            }
        }
        // A valid CHECK constraint that uses the column is validated
        // again: a full scan under the ACCESS EXCLUSIVE lock, even when
        // nothing is rewritten (NOT VALID ones are re-added unvalidated).
        if !change.rewrite {
            for c in &r.constraints {
                if matches!(c.kind, ConstraintKind::Check { .. })
                    && c.valid
                    && c.columns.iter().any(|k| k == name)
                {
                    fx.scan(t);
                    fx.note(format!(
                        "CHECK constraint {} on {t} uses the column and is validated again (a full scan)",
                        c.name
                    ));
                }
            }
        }
    }
    // An identity column's sequence changes type with it.
    if let Some(seq) = old_col
        .serial_sequence
        .as_ref()
        .filter(|_| old_col.identity.is_some())
    {
        fx.lock(seq, ShareRowExclusive);
    }
    // Foreign keys through the column are dropped and re-created.
    if let Some(rel) = rel {
        for c in &rel.constraints {
            if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                if c.columns.iter().any(|k| k == name) && ref_table != q {
                    fx.lock(ref_table, AccessExclusive);
                    if change.rewrite {
                        fx.scan(ref_table);
                    }
                }
            }
        }
        for (other, con) in cx.cat.referencing(q) {
            if let Some(c) = cx.rel(&other).and_then(|o| o.constraint(&con)) {
                if let ConstraintKind::ForeignKey { ref_columns, .. } = &c.kind {
                    if ref_columns.iter().any(|k| k == name) && &other != q {
                        fx.lock(&other, AccessExclusive);
                        if change.rewrite {
                            fx.scan(&other);
                        }
                    }
                }
            }
        }
    }
}

fn set_not_null(col: &str, q: &QName, inh: bool, cx: &Ctx, fx: &mut Effects) {
    for t in cx.storage_tree(q, inh) {
        // A table the history does not create may still have a CHECK the
        // history added and validated (ddlint's own safe pattern).
        let Some(r) = cx.cat.known_facts(&t) else {
            fx.scan(&t);
            continue;
        };
        if r.column(col).map(|c| c.not_null).unwrap_or(false) {
            continue;
        }
        let proven = cx.pg >= 12
            && r.constraints.iter().any(|c| {
                c.valid
                    && matches!(&c.kind, ConstraintKind::Check { not_null_of: Some(n) } if n == col)
            });
        if proven {
            fx.note(format!(
                "no scan: a validated CHECK ({col} IS NOT NULL) on {t} proves the column has no NULLs (PostgreSQL 12+)"
            ));
        } else {
            fx.scan(&t);
        }
    }
}

fn add_constraint(
    c: &pb::Constraint,
    q: &QName,
    rel: Option<&Relation>,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) -> (LockMode, bool) {
    let leaves = cx.storage_tree(q, inh);
    let contype = contype(c);
    match contype {
        C::ConstrForeign => {
            if let Some(pk) = &c.pktable {
                let r = cx.resolve(pk);
                fx.lock(&r, ShareRowExclusive);
                for p in cx.cat.partitions_deep(&r) {
                    fx.lock(&p, ShareRowExclusive);
                }
                if !c.skip_validation {
                    for t in &leaves {
                        fx.scan(t);
                    }
                    // The validation joins the referencing rows to the
                    // referenced table: with none (a table this migration
                    // created and has not written to) the referenced
                    // table is not read (checked on 11-18).
                    if known_empty(q, cx) {
                        fx.note(format!(
                            "no rows to validate: {q} was created in this migration and nothing was written to it, so {r} is not read"
                        ));
                    } else {
                        for t in cx.storage_tree(&r, true) {
                            fx.scan(&t);
                        }
                    }
                }
            }
            // Foreign keys recurse to partitions; to plain inheritance
            // children only since 18.
            let partitioned = rel
                .map(|r| r.kind == RelKind::PartitionedTable)
                .unwrap_or(false);
            (ShareRowExclusive, partitioned || cx.pg >= 18)
        }
        C::ConstrCheck | C::ConstrNotnull => {
            if !c.skip_validation {
                for t in &leaves {
                    fx.scan(t);
                }
                if let Some(e) = c.raw_expr.as_deref() {
                    check_expression(e, q, rel, cx, fx);
                }
            }
            (AccessExclusive, true)
        }
        C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion => {
            if !c.indexname.is_empty() {
                // USING INDEX: the index exists; a primary key still checks
                // that its columns hold no NULLs.
                if contype == C::ConstrPrimary {
                    let idx = QName::new(q.schema.as_str(), c.indexname.as_str());
                    let cols: Vec<String> = cx
                        .rel(&idx)
                        .and_then(|i| i.index.as_ref())
                        .map(|i| i.columns.iter().flatten().cloned().collect())
                        .unwrap_or_default();
                    let nullable = cols.iter().any(|k| {
                        rel.and_then(|r| r.column(k))
                            .map(|c| !c.not_null)
                            .unwrap_or(true)
                    });
                    if nullable || cols.is_empty() {
                        for t in &leaves {
                            fx.scan(t);
                        }
                        fx.note("scan: PRIMARY KEY USING INDEX sets NOT NULL on its columns, which checks every row");
                    }
                }
                (AccessExclusive, false)
            } else {
                for t in &leaves {
                    fx.scan(t);
                }
                // On a partitioned table the index is built on every
                // partition (DefineIndex: SHARE); PostgreSQL 18 also adds
                // NOT NULL constraints to them for a primary key, and so
                // does any version when a key column is still nullable.
                let partitioned = rel
                    .map(|r| r.kind == RelKind::PartitionedTable)
                    .unwrap_or(false);
                if !partitioned {
                    // PostgreSQL 18 also locks plain inheritance children.
                    let children = rel.map(|r| !r.children.is_empty()).unwrap_or(false);
                    return (AccessExclusive, cx.pg >= 18 && children);
                }
                let cols: Vec<String> = crate::model::ast::strings(&c.keys);
                let nullable = cols.iter().any(|k| {
                    rel.and_then(|r| r.column(k))
                        .map(|c| !c.not_null)
                        .unwrap_or(true)
                });
                if contype == C::ConstrPrimary && (cx.pg >= 18 || nullable) {
                    return (AccessExclusive, true);
                }
                if inh {
                    for d in cx.cat.descendants(q) {
                        fx.lock(&d, Share);
                    }
                }
                (AccessExclusive, false)
            }
        }
        _ => (AccessExclusive, true),
    }
}

/// ALTER CONSTRAINT (18+): making a foreign key ENFORCED creates its
/// triggers on the referenced table (SHARE ROW EXCLUSIVE) and checks every
/// row against it; NOT ENFORCED drops them (ACCESS EXCLUSIVE). Checked on
/// PostgreSQL 18. Deferrability changes only touch the table's own.
fn alter_constraint(
    cmd: &pb::AlterTableCmd,
    q: &QName,
    rel: Option<&Relation>,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let Some(N::AtalterConstraint(a)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return;
    };
    if !a.alter_enforceability {
        return;
    }
    let Some(con) = rel.and_then(|r| r.constraint(&a.conname)) else {
        return;
    };
    let ConstraintKind::ForeignKey { ref_table, .. } = &con.kind else {
        return;
    };
    if a.is_enforced {
        fx.lock(ref_table, ShareRowExclusive);
        for t in cx.storage_tree(q, true) {
            fx.scan(&t);
        }
        if !known_empty(q, cx) {
            for t in cx.storage_tree(ref_table, true) {
                fx.scan(&t);
            }
        }
    } else {
        fx.lock(ref_table, AccessExclusive);
    }
}

/// A CHECK expression validated against the rows: planned once
/// (`ExecPrepareExpr`: SQL function bodies parsed to try inlining them),
/// evaluated for each row.
fn check_expression(e: &pb::Node, q: &QName, rel: Option<&Relation>, cx: &Ctx, fx: &mut Effects) {
    if cx.cat.functions.is_empty() {
        return;
    }
    let mut p = functions::Planner::new(cx);
    p.plan_expr(e);
    let runs = if rel.is_none_or(|r| r.may_have_rows) {
        functions::Runs::PerRow(format!("for each row of {q} the constraint checks"))
    } else {
        functions::Runs::Never
    };
    functions::settle(p, &runs, cx, fx);
}

fn validate_constraint(
    name: &str,
    q: &QName,
    rel: Option<&Relation>,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let con = rel.and_then(|r| r.constraint(name));
    if let Some(c) = con {
        if c.valid {
            fx.note(format!(
                "constraint {name} is already valid: nothing to check"
            ));
            return;
        }
        if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
            fx.lock(ref_table, RowShare);
            fx.scan(ref_table);
        }
    }
    for t in cx.storage_tree(q, inh) {
        fx.scan(&t);
    }
}

fn drop_constraint(
    name: &str,
    cascade: bool,
    q: &QName,
    rel: Option<&Relation>,
    inh: bool,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let _ = inh;
    let Some(c) = rel.and_then(|r| r.constraint(name)) else {
        return;
    };
    match &c.kind {
        ConstraintKind::ForeignKey { ref_table, .. } if ref_table != q => {
            fx.lock(ref_table, AccessExclusive);
            for p in cx.cat.partitions_deep(ref_table) {
                fx.lock(&p, AccessExclusive);
            }
        }
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
            if cascade {
                for (other, con) in cx.cat.referencing(q) {
                    let hit = cx
                        .rel(&other)
                        .and_then(|o| o.constraint(&con))
                        .map(|fk| match &fk.kind {
                            ConstraintKind::ForeignKey { ref_columns, .. } => {
                                ref_columns == &c.columns || ref_columns.is_empty()
                            }
                            _ => false,
                        })
                        .unwrap_or(false);
                    if hit && &other != q {
                        fx.lock(&other, AccessExclusive);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A table created in this file or transaction that nothing has written
/// rows to (it and every partition or child).
fn known_empty(q: &QName, cx: &Ctx) -> bool {
    std::iter::once(q.clone())
        .chain(cx.cat.descendants(q))
        .all(|t| cx.is_new(&t) && cx.rel(&t).is_some_and(|r| !r.may_have_rows))
}

fn attach_partition(
    pc: &pb::PartitionCmd,
    parent: &QName,
    rel: Option<&Relation>,
    cx: &Ctx,
    fx: &mut Effects,
) {
    let Some(name) = &pc.name else { return };
    let part = cx.resolve(name);
    for t in cx.tree(&part, true) {
        fx.lock(&t, AccessExclusive);
    }
    let is_default = pc.bound.as_ref().map(|b| b.is_default).unwrap_or(false);
    // The partition is scanned to prove its rows fit the bound, unless a
    // validated CHECK constraint already implies it.
    let proven = cx
        .cat
        .known_facts(&part)
        .map(|p| {
            p.constraints
                .iter()
                .any(|c| c.valid && matches!(c.kind, ConstraintKind::Check { .. }))
        })
        .unwrap_or(false);
    if proven {
        fx.note(format!("no scan of {part}: assuming its validated CHECK constraint implies the partition bound"));
    } else {
        for t in cx.storage_tree(&part, true) {
            fx.scan(&t);
        }
    }
    // An existing default partition must give up rows that belong to the
    // new partition: locked and scanned.
    if !is_default {
        if let Some(def) = super::ddl::default_partition(cx, parent) {
            for t in cx.tree(&def, true) {
                fx.lock(&t, AccessExclusive);
            }
            for t in cx.storage_tree(&def, true) {
                fx.scan(&t);
            }
        }
    }
    // Parent foreign keys are cloned onto the partition: triggers on the
    // referenced table since 12; on 11 only the validation reads it.
    if let Some(r) = rel {
        for c in &r.constraints {
            if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                fx.lock(
                    ref_table,
                    if cx.pg >= 12 {
                        ShareRowExclusive
                    } else {
                        RowShare
                    },
                );
            }
        }
    }
    // Foreign keys onto the partitioned parent get action triggers on the
    // new partition (12+): the referencing tables are locked.
    if cx.pg >= 12 {
        for (other, _) in cx.cat.referencing(parent) {
            if other != part {
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
}

fn attach_index(pc: &pb::PartitionCmd, parent_idx: &QName, cx: &Ctx, fx: &mut Effects) {
    let Some(name) = &pc.name else { return };
    let child = cx.resolve(name);
    fx.lock(&child, AccessExclusive);
    if let Some(t) = cx.cat.index_table(&child) {
        fx.lock(t, AccessShare);
    }
    if let Some(t) = cx.cat.index_table(parent_idx) {
        fx.lock(t, AccessShare);
    }
}

fn detach_partition(pc: &pb::PartitionCmd, parent: &QName, cx: &Ctx, fx: &mut Effects) {
    let Some(name) = &pc.name else { return };
    let part = cx.resolve(name);
    let mode = if pc.concurrent {
        fx.no_transaction_block = true;
        ShareUpdateExclusive
    } else if cx.pg >= 14 {
        AccessExclusive
    } else {
        ShareUpdateExclusive
    };
    // When foreign keys reference the parent, the partition's action
    // triggers are dropped: it and the referencing tables are locked
    // ACCESS EXCLUSIVE.
    let referencing = cx.cat.referencing(parent);
    let mode = if !pc.concurrent && !referencing.is_empty() {
        AccessExclusive
    } else {
        mode
    };
    for (other, _) in &referencing {
        if other != &part {
            fx.lock(other, AccessExclusive);
        }
    }
    // The partition's inherited foreign keys become its own, with their
    // own triggers on the referenced tables.
    if let Some(r) = cx.rel(parent) {
        for c in &r.constraints {
            if let ConstraintKind::ForeignKey { ref_table, .. } = &c.kind {
                fx.lock(ref_table, ShareRowExclusive);
            }
        }
    }
    fx.lock(&part, mode);
    // A partitioned partition's own partitions lose an ancestor.
    for d in cx.cat.descendants(&part) {
        fx.lock(&d, AccessExclusive);
    }
    if !pc.concurrent {
        if let Some(def) = super::ddl::default_partition(cx, parent) {
            if def != part {
                fx.lock(&def, AccessExclusive);
            }
        }
    }
}
