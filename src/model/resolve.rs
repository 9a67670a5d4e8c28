//! Name resolution: which relation or type a name written in a statement
//! means, the way the server looks it up (`RangeVarGetRelid`,
//! `RangeVarGetCreationNamespace`, `LookupTypeName`). The one resolver both
//! the catalog replay and the effects use.

use pg_query::protobuf::RangeVar;

use super::catalog::{Catalog, QName};
use super::session::Session;

/// A possibly unqualified relation name: pg_temp first, then the
/// search_path; a name the catalog does not know lands in the schema
/// objects are created in (the first of search_path).
pub fn relation(cat: &Catalog, session: &Session, schema: &str, name: &str) -> QName {
    if !schema.is_empty() {
        return QName::new(schema, name);
    }
    let temp = QName::new("pg_temp", name);
    if cat.contains(&temp) {
        return temp;
    }
    for s in &session.search_path {
        let q = QName::new(s.as_str(), name);
        if cat.contains(&q) {
            return q;
        }
    }
    QName::new(session.creation_schema(), name)
}

/// A relation a statement reads or changes (`TEMP` names live in pg_temp).
pub fn range_var(cat: &Catalog, session: &Session, rv: &RangeVar) -> QName {
    if rv.relpersistence == "t" && rv.schemaname.is_empty() {
        return QName::new("pg_temp", rv.relname.as_str());
    }
    relation(cat, session, &rv.schemaname, &rv.relname)
}

/// A relation named by a dotted name list (`DROP TABLE a.b`, `OWNED BY`).
pub fn names(cat: &Catalog, session: &Session, names: &[String]) -> QName {
    match names {
        [n] => relation(cat, session, "", n),
        [.., s, n] => QName::new(s.as_str(), n.as_str()),
        [] => QName::new(session.creation_schema(), ""),
    }
}

/// The relation a CREATE makes: an unqualified name goes to the creation
/// schema whatever exists elsewhere on the search_path.
pub fn create_target(session: &Session, rv: &RangeVar) -> QName {
    if rv.relpersistence == "t" && rv.schemaname.is_empty() {
        return QName::new("pg_temp", rv.relname.as_str());
    }
    if rv.schemaname.is_empty() {
        return QName::new(session.creation_schema(), rv.relname.as_str());
    }
    QName::new(rv.schemaname.as_str(), rv.relname.as_str())
}

/// A type, statistics object or other non-relation name: unqualified, the
/// creation schema.
pub fn type_name(session: &Session, names: &[String]) -> QName {
    match names {
        [n] => QName::new(session.creation_schema(), n.as_str()),
        [.., s, n] => QName::new(s.as_str(), n.as_str()),
        [] => QName::new(session.creation_schema(), ""),
    }
}
