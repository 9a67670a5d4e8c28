//! Applying a statement to the catalog: after this, later statements see
//! the schema it produced. Split the way `model::effects` is: one module a
//! statement family, plus the naming of implicit objects (`naming`) and
//! partition bounds and routing (`partition`). Names are resolved by
//! `model::resolve`, as the effects resolve them.

mod alter_table;
mod constraints;
mod create;
mod drop;
mod index;
mod naming;
mod objects;
mod partition;
mod rename;
mod uses;
mod views;

use pg_query::protobuf::{node::Node as N, RangeVar};

pub use super::ast::object_with_args;
use super::catalog::{Catalog, Origin, QName};
use super::resolve;
use super::session::Session;
pub use create::nextval_sequence;
pub use index::create_index;
pub use naming::{figure_colname, make_object_name};
pub use partition::{bound_of, route, route_one};

/// Apply one statement. `cx_session`, `pg` and `origin` describe where it
/// runs (for origins and name resolution); `cat` is the catalog being
/// built.
pub fn apply(node: &N, cat: &mut Catalog, cx_session: &Session, pg: u32, origin: Origin) {
    let v = CatalogView {
        session: cx_session,
        pg,
        origin,
    };
    match node {
        N::CreateSchemaStmt(s) => {
            let name = if s.schemaname.is_empty() {
                s.authrole
                    .as_ref()
                    .map(|r| r.rolename.clone())
                    .unwrap_or_default()
            } else {
                s.schemaname.clone()
            };
            cat.schemas.entry(name.clone()).or_insert(origin);
            let mut sess = cx_session.clone();
            sess.search_path = vec![name];
            for e in &s.schema_elts {
                if let Some(n) = &e.node {
                    apply(n, cat, &sess, pg, origin);
                }
            }
        }
        N::CreateStmt(s) => create::create_table(s, cat, &v),
        N::IndexStmt(s) => index::index_stmt(s, cat, &v),
        N::DropStmt(s) => drop::drop(s, cat, &v),
        N::RenameStmt(s) => rename::rename(s, cat, &v),
        N::AlterObjectSchemaStmt(s) => rename::set_schema(s, cat, &v),
        N::AlterTableStmt(s) => alter_table::alter_table(s, cat, &v),
        N::CompositeTypeStmt(s) => objects::create_composite(s, cat, &v),
        N::ClusterStmt(s) => objects::cluster(s, cat, &v),
        N::ViewStmt(s) => views::create_view(s, cat, &v),
        N::CreateTableAsStmt(s) => views::create_table_as(s, cat, &v),
        N::SelectStmt(s) => views::select_into(s, cat, &v),
        N::CreateSeqStmt(s) => create::create_sequence(s, cat, &v),
        N::AlterSeqStmt(s) => create::alter_sequence(s, cat, &v),
        N::CreateEnumStmt(s) => objects::create_enum(s, cat, &v),
        N::AlterEnumStmt(s) => objects::alter_enum(s, cat, &v),
        N::CreateDomainStmt(s) => objects::create_domain(s, cat, &v),
        N::AlterDomainStmt(s) => objects::alter_domain(s, cat, &v),
        N::CreateFunctionStmt(s) => objects::create_function(s, cat, &v),
        N::AlterFunctionStmt(s) => objects::alter_function(s, cat, &v),
        N::CreateTrigStmt(s) => objects::create_trigger(s, cat, &v),
        N::CreatePolicyStmt(s) => objects::create_policy(s, cat, &v),
        N::AlterPolicyStmt(s) => objects::alter_policy(s, cat, &v),
        N::RuleStmt(s) => {
            objects::add_object_name(cat, &v, s.relation.as_ref(), &s.rulename, |r| &mut r.rules)
        }
        N::CreateStatsStmt(s) => objects::create_statistics(s, cat, &v),
        N::InsertStmt(s) => objects::mark_rows(s.relation.as_ref(), cat, &v),
        N::UpdateStmt(s) => objects::mark_rows(s.relation.as_ref(), cat, &v),
        N::CopyStmt(s) if s.is_from => objects::mark_rows(s.relation.as_ref(), cat, &v),
        N::MergeStmt(s) => objects::mark_rows(s.relation.as_ref(), cat, &v),
        _ => {}
    }
}

/// Where a statement runs, for the catalog change: the session (name
/// resolution), the server version and the statement's origin. Names are
/// resolved by `model::resolve` against the catalog passed in (the replay
/// holds the catalog mutably, so the view does not keep it).
pub struct CatalogView<'a> {
    pub session: &'a Session,
    pub pg: u32,
    pub origin: Origin,
}

impl CatalogView<'_> {
    pub fn resolve_parts(&self, cat: &Catalog, schema: &str, name: &str) -> QName {
        resolve::relation(cat, self.session, schema, name)
    }
    pub fn resolve(&self, cat: &Catalog, rv: &RangeVar) -> QName {
        resolve::range_var(cat, self.session, rv)
    }
    pub fn resolve_create(&self, rv: &RangeVar) -> QName {
        resolve::create_target(self.session, rv)
    }
    pub fn resolve_names(&self, cat: &Catalog, names: &[String]) -> QName {
        resolve::names(cat, self.session, names)
    }
    pub fn resolve_type(&self, names: &[String]) -> QName {
        resolve::type_name(self.session, names)
    }
}

/// `q` and every table that inherits from it or is its partition, at any
/// depth: what a recursing ALTER TABLE changes.
pub(super) fn tree(cat: &Catalog, q: &QName) -> Vec<QName> {
    let mut v = vec![q.clone()];
    v.extend(cat.descendants(q));
    v
}

/// Test helpers: replay SQL into a fresh catalog and look at what it holds.
#[cfg(test)]
mod test_support {
    use crate::model::catalog::{Catalog, Constraint, QName, Relation};
    use crate::model::{analyse, Input, Options};

    /// The catalog after replaying `sql` as one migration file.
    pub fn catalog_after(sql: &str) -> Catalog {
        let a = analyse(
            vec![Input {
                path: "001.sql".into(),
                text: sql.into(),
                wrapping: Default::default(),
                layout: Default::default(),
                report: true,
                map: None,
                project: None,
                session: None,
            }],
            &Options::default(),
        );
        a.catalog(None).clone()
    }

    /// `public.name`.
    pub fn q(name: &str) -> QName {
        match name.split_once('.') {
            Some((s, n)) => QName::new(s, n),
            None => QName::new("public", name),
        }
    }

    pub fn rel<'c>(cat: &'c Catalog, name: &str) -> &'c Relation {
        cat.get(&q(name))
            .unwrap_or_else(|| panic!("{name} is not in the catalog"))
    }

    pub fn columns(cat: &Catalog, table: &str) -> Vec<String> {
        rel(cat, table)
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The table's index names, sorted.
    pub fn indexes(cat: &Catalog, table: &str) -> Vec<String> {
        let mut v: Vec<String> = rel(cat, table)
            .indexes
            .iter()
            .map(|i| i.name.clone())
            .collect();
        v.sort();
        v
    }

    /// The table's constraint names, sorted.
    pub fn constraint_names(cat: &Catalog, table: &str) -> Vec<String> {
        let mut v: Vec<String> = rel(cat, table)
            .constraints
            .iter()
            .map(|c| c.name.clone())
            .collect();
        v.sort();
        v
    }

    pub fn constraint<'c>(cat: &'c Catalog, table: &str, name: &str) -> &'c Constraint {
        rel(cat, table)
            .constraint(name)
            .unwrap_or_else(|| panic!("{table} has no constraint {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    /// Names resolve as the server resolves them (`model::resolve`):
    /// pg_temp first, then search_path; CREATE goes to the first schema.
    #[test]
    fn names_resolve_through_pg_temp_and_the_search_path() {
        let cat = catalog_after(
            "CREATE SCHEMA s;
             CREATE TABLE s.t (a int);
             CREATE TABLE public.t (b int);
             SET search_path = s, public;
             CREATE INDEX ON t (a);
             CREATE TABLE u (c int);
             CREATE TEMP TABLE t (d int);
             CREATE INDEX ON t (d);",
        );
        assert_eq!(indexes(&cat, "s.t"), ["t_a_idx"]);
        assert!(indexes(&cat, "public.t").is_empty());
        assert!(cat.contains(&q("s.u")));
        assert_eq!(indexes(&cat, "pg_temp.t"), ["t_d_idx"]);
    }
}
