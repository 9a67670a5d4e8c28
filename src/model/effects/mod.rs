//! The effects of one statement, computed from the catalog as it is right
//! before the statement, for one PostgreSQL major version: relation-level
//! locks (strongest mode per relation, as pg_locks names them), rewrites
//! (new relfilenode), full scans, index rebuilds, and whether it may run in
//! a transaction block. Mirrors PostgreSQL's own decisions
//! (`AlterTableGetLockLevel`, `ATColumnChangeRequiresRewrite`,
//! `DefineIndex`, `RemoveRelations`, `ExecuteTruncate`, ...).
//!
//! What is reported: locks on tables, partitioned tables, views,
//! materialized views, foreign tables and sequences the statement opens,
//! and on indexes the statement names or drops. Locks PostgreSQL takes on
//! a table's indexes as a side effect of locking the table (planning, index
//! maintenance) follow the table's lock and are not listed.

mod alter_table;
mod ddl;
mod dml;
pub mod prune;
pub mod quals;

pub use alter_table::MAY_REWRITE;
pub(crate) use ddl::drop_relation;
pub(crate) use dml::parse_analysis;

use pg_query::protobuf::{node::Node as N, Node, RangeVar};

use super::catalog::{Catalog, Origin, QName, RelKind, Relation};
use super::locks::LockMode;
pub use super::relset::{LockMap, RelSet};
use super::session::Session;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Effects {
    pub locks: LockMap,
    pub rewrites: RelSet,
    pub scans: RelSet,
    /// Indexes rebuilt without a table rewrite (or dropped and recreated).
    pub index_rebuilds: RelSet,
    /// Relations created in this file or transaction: locking them harms
    /// nobody.
    pub new_relations: RelSet,
    /// Relations the statement touches that the catalog does not know
    /// (history not given): treated as pre-existing.
    pub unknown_relations: RelSet,
    /// Indexes the history does not show, locked by name: their table,
    /// which the history does not show either, takes the same lock.
    pub unseen_index_tables: RelSet,
    /// The statement refuses to run inside a transaction block.
    pub no_transaction_block: bool,
    /// Why (part of) the effects could not be determined.
    pub unknown: Option<String>,
    /// Explanations worth showing (why no rewrite, what was assumed).
    pub notes: Vec<String>,
    /// The result depends on data (rows matched, partitions routed to).
    pub data_dependent: bool,
    /// A DO block whose statements only read (a ROLLBACK after it throws
    /// nothing away).
    pub read_only: bool,
}

impl Effects {
    pub fn lock(&mut self, q: &QName, mode: LockMode) {
        self.locks.lock(q, mode);
    }

    pub fn rewrite(&mut self, q: &QName) {
        self.rewrites.insert(q.clone());
        self.scans.insert(q.clone());
    }

    pub fn scan(&mut self, q: &QName) {
        self.scans.insert(q.clone());
    }

    pub fn note(&mut self, s: impl Into<String>) {
        let s = s.into();
        if !self.notes.contains(&s) {
            self.notes.push(s);
        }
    }

    pub fn set_unknown(&mut self, s: impl Into<String>) {
        if self.unknown.is_none() {
            self.unknown = Some(s.into());
        }
    }

    pub fn merge(&mut self, other: Effects) {
        for (q, m) in other.locks {
            self.lock(&q, m);
        }
        self.rewrites.extend(other.rewrites);
        self.scans.extend(other.scans);
        self.index_rebuilds.extend(other.index_rebuilds);
        self.new_relations.extend(other.new_relations);
        self.unknown_relations.extend(other.unknown_relations);
        self.unseen_index_tables.extend(other.unseen_index_tables);
        self.no_transaction_block |= other.no_transaction_block;
        self.data_dependent |= other.data_dependent;
        if self.unknown.is_none() {
            self.unknown = other.unknown;
        }
        for n in other.notes {
            self.note(n);
        }
    }

    /// Give back spare capacity: effects are kept for the whole run.
    pub fn shrink_to_fit(&mut self) {
        self.locks.shrink_to_fit();
        self.rewrites.shrink_to_fit();
        self.scans.shrink_to_fit();
        self.index_rebuilds.shrink_to_fit();
        self.new_relations.shrink_to_fit();
        self.unknown_relations.shrink_to_fit();
        self.unseen_index_tables.shrink_to_fit();
        self.notes.shrink_to_fit();
    }

    /// How to name a locked relation to a reader: an index the history
    /// does not show stands for its unnamed table too.
    pub fn describe(&self, q: &QName) -> String {
        if self.unseen_index_tables.contains(q) {
            format!("{q} and its table (neither is in the migration history)")
        } else {
            q.to_string()
        }
    }

    /// The strongest lock on a relation that existed before this run's
    /// current file (i.e. one production traffic uses).
    pub fn existing_locks(&self) -> impl Iterator<Item = (&QName, LockMode)> {
        self.locks
            .iter()
            .filter(|(q, _)| !self.new_relations.contains(q))
            .map(|(q, m)| (q, *m))
    }
}

/// What the effects computation may look at.
pub struct Ctx<'a> {
    pub cat: &'a Catalog,
    pub session: &'a Session,
    pub pg: u32,
    /// Where the statement sits: file index and transaction id.
    pub now: Origin,
}

impl<'a> Ctx<'a> {
    /// Resolve a possibly unqualified relation name the way the server
    /// does: pg_temp first, then search_path; unknown names land in the
    /// first schema of search_path (`model::resolve`).
    pub fn resolve_parts(&self, schema: &str, name: &str) -> QName {
        super::resolve::relation(self.cat, self.session, schema, name)
    }

    pub fn resolve(&self, rv: &RangeVar) -> QName {
        super::resolve::range_var(self.cat, self.session, rv)
    }

    pub fn resolve_names(&self, names: &[String]) -> QName {
        super::resolve::names(self.cat, self.session, names)
    }

    pub fn rel(&self, q: &QName) -> Option<&'a Relation> {
        self.cat.get(q)
    }

    /// Was `q` created in this file or this transaction?
    pub fn is_new(&self, q: &QName) -> bool {
        match self.cat.get(q) {
            Some(r) => {
                (r.origin.file.is_some() && r.origin.file == self.now.file)
                    || (r.origin.txn.is_some() && r.origin.txn == self.now.txn)
            }
            None => false,
        }
    }

    /// Does the catalog know the relation, or is history missing? When the
    /// catalog holds nothing in that schema, it cannot be authoritative.
    pub fn exists_or_unknown(&self, q: &QName) -> bool {
        self.cat.contains(q)
            || self.cat.unseen.contains_key(q)
            || !self.cat.relations.any_in_schema(&q.schema)
    }

    /// Lock a relation and, when `recurse`, every partition and inheritance
    /// child (as ALTER TABLE, LOCK and TRUNCATE do without ONLY).
    pub fn lock_tree(&self, fx: &mut Effects, q: &QName, mode: LockMode, recurse: bool) {
        fx.lock(q, mode);
        if recurse {
            for d in self.cat.descendants(q) {
                fx.lock(&d, mode);
            }
        }
    }

    pub fn tree(&self, q: &QName, recurse: bool) -> Vec<QName> {
        let mut v = vec![q.clone()];
        if recurse {
            v.extend(self.cat.descendants(q));
        }
        v
    }

    /// Relations with storage in a tree (partitioned parents have none).
    pub fn storage_tree(&self, q: &QName, recurse: bool) -> Vec<QName> {
        self.tree(q, recurse)
            .into_iter()
            .filter(|r| {
                self.rel(r)
                    .map(|r| r.kind != RelKind::PartitionedTable)
                    .unwrap_or(true)
            })
            .collect()
    }

    /// Sequences owned by columns of `q` (serial / identity).
    pub fn owned_sequences(&self, q: &QName) -> Vec<QName> {
        self.cat.owned_sequences(q)
    }
}

/// Effects of one top-level statement.
pub fn effects(node: &N, cx: &Ctx) -> Effects {
    let mut fx = Effects::default();
    dispatch(node, cx, &mut fx);
    finish(&mut fx, cx);
    fx
}

fn finish(fx: &mut Effects, cx: &Ctx) {
    let all: Vec<QName> = fx
        .locks
        .keys()
        .chain(fx.rewrites.iter())
        .chain(fx.scans.iter())
        .cloned()
        .collect();
    for q in all {
        if cx.is_new(&q) {
            fx.new_relations.insert(q);
        } else if !cx.cat.contains(&q) {
            fx.unknown_relations.insert(q);
        }
    }
}

fn dispatch(node: &N, cx: &Ctx, fx: &mut Effects) {
    match node {
        N::AlterTableStmt(s) => alter_table::alter_table(s, cx, fx),
        N::IndexStmt(s) => ddl::create_index(s, cx, fx),
        N::CreateStmt(s) => ddl::create_table(s, cx, fx),
        N::DropStmt(s) => ddl::drop(s, cx, fx),
        N::RenameStmt(s) => ddl::rename(s, cx, fx),
        N::AlterObjectSchemaStmt(s) => ddl::set_schema(s, cx, fx),
        N::TruncateStmt(s) => ddl::truncate(s, cx, fx),
        N::LockStmt(s) => ddl::lock(s, cx, fx),
        N::ViewStmt(s) => ddl::create_view(s, cx, fx),
        N::CreateTableAsStmt(s) => ddl::create_table_as(s, cx, fx),
        N::RefreshMatViewStmt(s) => ddl::refresh_matview(s, cx, fx),
        N::CreateTrigStmt(s) => ddl::create_trigger(s, cx, fx),
        N::CreateFunctionStmt(s) => ddl::create_function(s, cx, fx),
        N::CreatePolicyStmt(s) => {
            if let Some(t) = &s.table {
                fx.lock(&cx.resolve(t), LockMode::AccessExclusive);
            }
            for e in s.qual.iter().chain(s.with_check.iter()) {
                dml::read_expr(e, cx, fx);
            }
        }
        N::AlterPolicyStmt(s) => {
            if let Some(t) = &s.table {
                fx.lock(&cx.resolve(t), LockMode::AccessExclusive);
            }
            for e in s.qual.iter().chain(s.with_check.iter()) {
                dml::read_expr(e, cx, fx);
            }
        }
        N::RuleStmt(s) => {
            if let Some(t) = &s.relation {
                fx.lock(&cx.resolve(t), LockMode::AccessExclusive);
            }
        }
        N::CommentStmt(s) => ddl::comment(s, cx, fx),
        N::SecLabelStmt(_) => {}
        N::GrantStmt(s) => ddl::grant(s, cx, fx),
        N::CreateStatsStmt(s) => {
            for r in s.relations.iter().filter_map(super::ast::range_var) {
                fx.lock(&cx.resolve(r), LockMode::ShareUpdateExclusive);
            }
        }
        N::AlterStatsStmt(_) => {}
        N::VacuumStmt(s) => ddl::vacuum(s, cx, fx),
        N::ClusterStmt(s) => ddl::cluster(s, cx, fx),
        N::ReindexStmt(s) => ddl::reindex(s, cx, fx),
        N::AlterEnumStmt(s) => ddl::alter_enum(s, cx, fx),
        N::CreateSeqStmt(s) => ddl::create_sequence(s, cx, fx),
        N::AlterSeqStmt(s) => ddl::alter_sequence(s, cx, fx),
        N::AlterDomainStmt(s) => ddl::alter_domain(s, cx, fx),
        N::AlterOwnerStmt(_) => {}
        N::InsertStmt(s) => dml::insert(s, node, cx, fx),
        N::UpdateStmt(s) => dml::update(s, node, cx, fx),
        N::DeleteStmt(s) => dml::delete(s, node, cx, fx),
        N::MergeStmt(s) => dml::merge(s, node, cx, fx),
        N::SelectStmt(s) => dml::select(s, node, cx, fx),
        N::CopyStmt(s) => dml::copy(s, cx, fx),
        N::ExplainStmt(s) => dml::explain(s, cx, fx),
        N::CallStmt(s) => match &s.funccall {
            Some(f) => super::functions::call_procedure(f, cx, fx),
            None => fx.set_unknown("CALL runs a procedure whose effects are not analysed"),
        },
        N::ExecuteStmt(_) => {
            fx.set_unknown("EXECUTE runs a prepared statement whose effects are not analysed")
        }
        N::DoStmt(_) => {
            // Replay analyses DO bodies statement by statement; reaching
            // here means it could not.
            fx.set_unknown("DO block: its body could not be analysed")
        }
        N::CreatePublicationStmt(s) => {
            for o in &s.pubobjects {
                if let Some(N::PublicationObjSpec(spec)) = &o.node {
                    if let Some(t) = spec.pubtable.as_ref().and_then(|t| t.relation.as_ref()) {
                        fx.lock(&cx.resolve(t), LockMode::ShareUpdateExclusive);
                    }
                }
            }
        }
        N::AlterPublicationStmt(s) => {
            for o in &s.pubobjects {
                if let Some(N::PublicationObjSpec(spec)) = &o.node {
                    if let Some(t) = spec.pubtable.as_ref().and_then(|t| t.relation.as_ref()) {
                        fx.lock(&cx.resolve(t), LockMode::ShareUpdateExclusive);
                    }
                }
            }
        }
        N::CreatedbStmt(_)
        | N::DropdbStmt(_)
        | N::CreateTableSpaceStmt(_)
        | N::DropTableSpaceStmt(_) => {
            fx.no_transaction_block = true;
        }
        N::AlterSystemStmt(_) => fx.no_transaction_block = true,
        N::CreateSubscriptionStmt(_) | N::DropSubscriptionStmt(_) => {
            fx.no_transaction_block = true;
        }
        N::AlterTableMoveAllStmt(_) => fx.set_unknown(
            "ALTER TABLE ALL IN TABLESPACE moves every matching relation: effects not enumerated",
        ),
        N::ImportForeignSchemaStmt(_) => {}
        // Statements that take no lock on an existing table.
        N::TransactionStmt(_)
        | N::VariableSetStmt(_)
        | N::VariableShowStmt(_)
        | N::AlterFunctionStmt(_)
        | N::CreateSchemaStmt(_)
        | N::CreateExtensionStmt(_)
        | N::AlterExtensionStmt(_)
        | N::AlterExtensionContentsStmt(_)
        | N::CreateRoleStmt(_)
        | N::AlterRoleStmt(_)
        | N::AlterRoleSetStmt(_)
        | N::DropRoleStmt(_)
        | N::GrantRoleStmt(_)
        | N::AlterDefaultPrivilegesStmt(_)
        | N::CreateEnumStmt(_)
        | N::CompositeTypeStmt(_)
        | N::CreateDomainStmt(_)
        | N::CreateRangeStmt(_)
        | N::AlterTypeStmt(_)
        | N::DefineStmt(_)
        | N::CreateCastStmt(_)
        | N::CreateOpClassStmt(_)
        | N::CreateOpFamilyStmt(_)
        | N::AlterOpFamilyStmt(_)
        | N::AlterOperatorStmt(_)
        | N::CreateConversionStmt(_)
        | N::CreateTransformStmt(_)
        | N::CreateAmStmt(_)
        | N::CreatePlangStmt(_)
        | N::CreateFdwStmt(_)
        | N::AlterFdwStmt(_)
        | N::CreateForeignServerStmt(_)
        | N::AlterForeignServerStmt(_)
        | N::CreateUserMappingStmt(_)
        | N::AlterUserMappingStmt(_)
        | N::DropUserMappingStmt(_)
        | N::CreateEventTrigStmt(_)
        | N::AlterEventTrigStmt(_)
        | N::AlterTsconfigurationStmt(_)
        | N::AlterTsdictionaryStmt(_)
        | N::AlterCollationStmt(_)
        | N::AlterDatabaseStmt(_)
        | N::AlterDatabaseSetStmt(_)
        | N::AlterDatabaseRefreshCollStmt(_)
        | N::AlterTableSpaceOptionsStmt(_)
        | N::DropOwnedStmt(_)
        | N::ReassignOwnedStmt(_)
        | N::AlterObjectDependsStmt(_)
        | N::NotifyStmt(_)
        | N::ListenStmt(_)
        | N::UnlistenStmt(_)
        | N::DiscardStmt(_)
        | N::CheckPointStmt(_)
        | N::DeallocateStmt(_)
        | N::PrepareStmt(_)
        | N::LoadStmt(_)
        | N::ConstraintsSetStmt(_)
        | N::DeclareCursorStmt(_)
        | N::FetchStmt(_)
        | N::ClosePortalStmt(_)
        | N::AlterSubscriptionStmt(_) => {}
        other => fx.set_unknown(format!("{} is not modelled", statement_kind(other))),
    }
}

/// A readable name for the statement kind ("ALTER TABLE", "CREATE INDEX").
pub fn statement_kind(node: &N) -> String {
    use pg_query::protobuf::ObjectType as O;
    let obj = |t: i32| -> &'static str {
        match O::try_from(t).unwrap_or(O::Undefined) {
            O::ObjectTable => "TABLE",
            O::ObjectIndex => "INDEX",
            O::ObjectView => "VIEW",
            O::ObjectMatview => "MATERIALIZED VIEW",
            O::ObjectSequence => "SEQUENCE",
            O::ObjectForeignTable => "FOREIGN TABLE",
            O::ObjectSchema => "SCHEMA",
            O::ObjectType => "TYPE",
            O::ObjectDomain => "DOMAIN",
            O::ObjectFunction => "FUNCTION",
            O::ObjectProcedure => "PROCEDURE",
            O::ObjectTrigger => "TRIGGER",
            O::ObjectPolicy => "POLICY",
            O::ObjectColumn => "COLUMN",
            O::ObjectTabconstraint => "CONSTRAINT",
            O::ObjectExtension => "EXTENSION",
            O::ObjectRule => "RULE",
            O::ObjectDatabase => "DATABASE",
            O::ObjectRole => "ROLE",
            O::ObjectStatisticExt => "STATISTICS",
            O::ObjectAggregate => "AGGREGATE",
            O::ObjectCollation => "COLLATION",
            _ => "OBJECT",
        }
    };
    match node {
        N::AlterTableStmt(s) => format!("ALTER {}", obj(s.objtype)),
        N::IndexStmt(s) => {
            if s.concurrent {
                "CREATE INDEX CONCURRENTLY".into()
            } else if s.unique {
                "CREATE UNIQUE INDEX".into()
            } else {
                "CREATE INDEX".into()
            }
        }
        N::CreateStmt(_) => "CREATE TABLE".into(),
        N::DropStmt(s) => {
            if s.concurrent {
                format!("DROP {} CONCURRENTLY", obj(s.remove_type))
            } else {
                format!("DROP {}", obj(s.remove_type))
            }
        }
        N::RenameStmt(s) => format!("ALTER {} RENAME", obj(s.rename_type)),
        N::AlterObjectSchemaStmt(s) => format!("ALTER {} SET SCHEMA", obj(s.object_type)),
        N::TruncateStmt(_) => "TRUNCATE".into(),
        N::LockStmt(_) => "LOCK TABLE".into(),
        N::ViewStmt(s) => {
            if s.replace {
                "CREATE OR REPLACE VIEW".into()
            } else {
                "CREATE VIEW".into()
            }
        }
        N::CreateTableAsStmt(s) => format!("CREATE {} AS", obj(s.objtype)),
        N::RefreshMatViewStmt(s) => {
            if s.concurrent {
                "REFRESH MATERIALIZED VIEW CONCURRENTLY".into()
            } else {
                "REFRESH MATERIALIZED VIEW".into()
            }
        }
        N::CreateTrigStmt(_) => "CREATE TRIGGER".into(),
        N::CreatePolicyStmt(_) => "CREATE POLICY".into(),
        N::AlterPolicyStmt(_) => "ALTER POLICY".into(),
        N::CommentStmt(_) => "COMMENT".into(),
        N::GrantStmt(s) => if s.is_grant { "GRANT" } else { "REVOKE" }.into(),
        N::GrantRoleStmt(s) => if s.is_grant {
            "GRANT ROLE"
        } else {
            "REVOKE ROLE"
        }
        .into(),
        N::CreateStatsStmt(_) => "CREATE STATISTICS".into(),
        N::VacuumStmt(s) => if s.is_vacuumcmd { "VACUUM" } else { "ANALYZE" }.into(),
        N::ClusterStmt(_) => "CLUSTER".into(),
        N::ReindexStmt(_) => "REINDEX".into(),
        N::AlterEnumStmt(_) => "ALTER TYPE".into(),
        N::CreateEnumStmt(_) => "CREATE TYPE".into(),
        N::CreateSeqStmt(_) => "CREATE SEQUENCE".into(),
        N::AlterSeqStmt(_) => "ALTER SEQUENCE".into(),
        N::InsertStmt(_) => "INSERT".into(),
        N::UpdateStmt(_) => "UPDATE".into(),
        N::DeleteStmt(_) => "DELETE".into(),
        N::MergeStmt(_) => "MERGE".into(),
        N::SelectStmt(_) => "SELECT".into(),
        N::CopyStmt(_) => "COPY".into(),
        N::ExplainStmt(_) => "EXPLAIN".into(),
        N::CallStmt(_) => "CALL".into(),
        N::DoStmt(_) => "DO".into(),
        N::TransactionStmt(s) => {
            use pg_query::protobuf::TransactionStmtKind as K;
            match K::try_from(s.kind).unwrap_or(K::Undefined) {
                K::TransStmtBegin => "BEGIN",
                K::TransStmtStart => "START TRANSACTION",
                K::TransStmtCommit => "COMMIT",
                K::TransStmtRollback => "ROLLBACK",
                K::TransStmtSavepoint => "SAVEPOINT",
                K::TransStmtRelease => "RELEASE",
                K::TransStmtRollbackTo => "ROLLBACK TO SAVEPOINT",
                K::TransStmtPrepare => "PREPARE TRANSACTION",
                K::TransStmtCommitPrepared => "COMMIT PREPARED",
                K::TransStmtRollbackPrepared => "ROLLBACK PREPARED",
                _ => "TRANSACTION",
            }
            .into()
        }
        N::VariableSetStmt(s) => {
            if s.is_local {
                "SET LOCAL".into()
            } else if s.kind == pg_query::protobuf::VariableSetKind::VarReset as i32
                || s.kind == pg_query::protobuf::VariableSetKind::VarResetAll as i32
            {
                "RESET".into()
            } else {
                "SET".into()
            }
        }
        N::VariableShowStmt(_) => "SHOW".into(),
        N::CreateFunctionStmt(s) => if s.is_procedure {
            "CREATE PROCEDURE"
        } else {
            "CREATE FUNCTION"
        }
        .into(),
        N::CreateSchemaStmt(_) => "CREATE SCHEMA".into(),
        N::CreateExtensionStmt(_) => "CREATE EXTENSION".into(),
        N::CreateDomainStmt(_) => "CREATE DOMAIN".into(),
        N::AlterDomainStmt(_) => "ALTER DOMAIN".into(),
        N::CompositeTypeStmt(_) => "CREATE TYPE".into(),
        N::CreateRoleStmt(_) => "CREATE ROLE".into(),
        N::AlterOwnerStmt(s) => format!("ALTER {} OWNER", obj(s.object_type)),
        N::RuleStmt(_) => "CREATE RULE".into(),
        N::CreatedbStmt(_) => "CREATE DATABASE".into(),
        N::DropdbStmt(_) => "DROP DATABASE".into(),
        N::AlterFunctionStmt(_) => "ALTER FUNCTION".into(),
        N::CreatePublicationStmt(_) => "CREATE PUBLICATION".into(),
        N::AlterDefaultPrivilegesStmt(_) => "ALTER DEFAULT PRIVILEGES".into(),
        N::DefineStmt(_) => "CREATE".into(),
        other => {
            // "AlterRoleStmt" -> "ALTER ROLE"
            let dbg = format!("{other:?}");
            let name = dbg.split('(').next().unwrap_or("statement");
            let name = name.trim_end_matches("Stmt");
            let mut out = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push(' ');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }
}

pub(crate) fn node_rv(n: &Node) -> Option<&RangeVar> {
    super::ast::range_var(n)
}
