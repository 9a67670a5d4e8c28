//! DROP SCHEMA.
use pg_query::protobuf::ObjectType;
use pg_query::NodeEnum as N;

use super::{Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    let N::DropStmt(s) = cx.node() else { return };
    if s.remove_type != ObjectType::ObjectSchema as i32 {
        return;
    }
    let names: Vec<String> = s.objects.iter().flat_map(crate::model::ast::name_list).collect();
    // A schema created in this same file is scaffolding, not data.
    let new = names.iter().all(|n| cx.cat.schemas.get(n).map(|o| o.file == Some(cx.file)).unwrap_or(false));
    if new && !names.is_empty() {
        return;
    }
    out.emit(cx.span(), format!("DROP SCHEMA {} removes the schema and (with CASCADE) every table in it, with its data", names.join(", ")))
        .help("drop the schema's objects explicitly, after the application stopped using them");
}
