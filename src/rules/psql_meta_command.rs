//! A psql meta-command that changes what runs or how (`\connect`, `\if`,
//! `\gexec`, `\copy`, `\set AUTOCOMMIT off`; `source::psql` notes them).

use super::{FileCx, Sink};
use crate::source::NoteKind;

pub const HOOK: super::Hook = super::Hook::File(check);

fn check(cx: &FileCx, sink: &mut Sink) {
    super::psql_shell_command::notes(cx, sink, NoteKind::MetaCommand);
}
