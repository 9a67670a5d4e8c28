//! RENAME of an existing table (or view).
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::RenameStmt(s) = cx.node() else { return };
    let ty = ObjectType::try_from(s.rename_type).unwrap_or(ObjectType::Undefined);
    if !matches!(ty, ObjectType::ObjectTable | ObjectType::ObjectView | ObjectType::ObjectMatview | ObjectType::ObjectForeignTable) {
        return;
    }
    let Some(rv) = &s.relation else { return };
    let t = cx.resolve(rv);
    if !cx.is_existing(&t) {
        return;
    }
    out.emit(cx.span(), format!("renaming {t} to {} breaks the running application, which still uses the old name until every instance is replaced", s.newname))
        .help("rename in two steps: rename and create a view with the old name (simple views are updatable), ship code using the new name, then drop the view");
}
