//! `\!` or a backtick `\set` in a psql script: ddlint never runs them, so
//! what they change is invisible (`source::psql` notes them).

use super::{FileCx, Place, Sink};
use crate::source::NoteKind;

pub const HOOK: super::Hook = super::Hook::File(check);

fn check(cx: &FileCx, sink: &mut Sink) {
    notes(cx, sink, NoteKind::ShellCommand);
}

/// Report the source stage's notes of one kind, where they are.
pub(super) fn notes(cx: &FileCx, sink: &mut Sink, kind: NoteKind) {
    for n in cx.notes.iter().filter(|n| n.kind == kind) {
        let place = Place {
            line: n.line,
            column: n.column,
            end_line: n.end_line,
            end_column: n.end_column,
        };
        let raw = sink.emit_at(place, n.message.clone());
        if let Some(h) = &n.help {
            raw.help(h.clone());
        }
    }
}
