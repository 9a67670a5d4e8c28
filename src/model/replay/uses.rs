//! Which functions a relation's defaults, generation expressions, checks,
//! triggers, policies, indexes and view queries call (`Relation::
//! function_uses`), kept as the catalog changes.

use pg_query::protobuf::{self as pb, ConstrType as C};

use super::CatalogView;
use crate::model::ast::{column_constraints, contype};
use crate::model::catalog::*;
use crate::model::functions;

/// The functions a column definition's DEFAULT and generation
/// expression call.
pub(super) fn column_uses(def: &pb::ColumnDef, cat: &Catalog, v: &CatalogView) -> Vec<FuncUse> {
    let mut out = Vec::new();
    if let Some(d) = def.raw_default.as_deref() {
        out.extend(functions::uses_in(
            d,
            &UseKind::Default(def.colname.clone()),
            cat,
            v.session,
        ));
    }
    for c in column_constraints(def) {
        let kind = match contype(c) {
            C::ConstrDefault => UseKind::Default(def.colname.clone()),
            C::ConstrGenerated => UseKind::Generated(def.colname.clone()),
            _ => continue,
        };
        if let Some(e) = c.raw_expr.as_deref() {
            out.extend(functions::uses_in(e, &kind, cat, v.session));
        }
    }
    out
}

/// Record that `q` uses functions (touching the relation only when there
/// is something to record: a mutable access marks its reverse links).
pub(super) fn add_uses(cat: &mut Catalog, q: &QName, uses: Vec<FuncUse>) {
    if uses.is_empty() {
        return;
    }
    if let Some(r) = cat.get_mut(q) {
        for u in uses {
            if !r.function_uses.contains(&u) {
                r.function_uses.push(u);
            }
        }
    }
}

/// Forget the uses of `q` that `what` selects.
pub(super) fn remove_uses(cat: &mut Catalog, q: &QName, what: impl Fn(&UseKind) -> bool) {
    let any = cat
        .get(q)
        .is_some_and(|r| r.function_uses.iter().any(|u| what(&u.kind)));
    if any {
        if let Some(r) = cat.get_mut(q) {
            r.function_uses.retain(|u| !what(&u.kind));
        }
    }
}
