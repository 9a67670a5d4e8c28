//! A migration databases already applied was edited: the lock file
//! (`ddlint.lock`, `source::applied`) records it with another sha256, the
//! tool's own sum file no longer matches it (Atlas's `atlas.sum`:
//! `source::layouts::atlas`), the tool's history table on a dry-run's
//! target recorded another checksum (`dryrun::pending_from_history` makes
//! the `ChecksumMismatch` note), or with `--since REF` it existed at REF
//! and was edited or renamed (`source::git` says how each file changed).

use super::{FileCx, Place, Sink};
use crate::source::git::Change;

pub const HOOK: super::Hook = super::Hook::File(check);

fn check(cx: &FileCx, sink: &mut Sink) {
    use crate::source::NoteKind;
    super::psql_shell_command::notes(cx, sink, NoteKind::ModifiedApplied);
    super::psql_shell_command::notes(cx, sink, NoteKind::ChecksumMismatch);
    // The lock file or the tool's sum file said it already: git adds
    // nothing.
    if cx
        .notes
        .iter()
        .any(|n| matches!(n.kind, NoteKind::ModifiedApplied | NoteKind::ChecksumMismatch))
    {
        return;
    }
    let Some(since) = cx.since else { return };
    let (reference, commit) = (since.reference, since.commit);
    let short = &commit[..commit.len().min(10)];
    let (line, message) = match since.change {
        Change::Modified { line } => (
            *line,
            format!(
                "this migration existed at {reference} ({short}) and was edited: databases that already applied it will not run the new text (or the tool refuses to start on a checksum mismatch)"
            ),
        ),
        Change::Renamed { from } => (
            1,
            format!(
                "this migration was renamed from {from} since {reference} ({short}): the tool sees a new migration and runs it again on databases that already applied it"
            ),
        ),
        Change::Added | Change::Untracked => return,
    };
    let fa = cx.fa;
    let line = line.min(fa.lines.line_count()).max(1);
    let width = fa.lines.line_text(&fa.text, line).chars().count();
    let place = Place {
        line,
        column: 1,
        end_line: line,
        end_column: width + 1,
    };
    sink.emit_at(place, message)
        .help("restore the applied migration as it was and put the change in a new migration");
}
