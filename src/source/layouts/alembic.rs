//! Alembic's offline SQL (`alembic upgrade <range> --sql`): the whole run
//! as one script with its own BEGIN/COMMIT, a `-- Running upgrade A -> B`
//! comment before each revision's SQL (alembic `runtime/migration.py`,
//! `MigrationContext.run_migrations`: `"-- Running %s" % step.short_log`,
//! `short_log` = `"<upgrade|downgrade> <from, from> -> <to>"`, the
//! revisions comma-separated, dependencies left out), and the
//! `alembic_version` INSERT/UPDATE after it.
//!
//! The file stays one unit for check (one script, one run). What each
//! revision is, for the history table, is [`revisions`]: a revision's part
//! starts at a `BEGIN;` right before its marker (`transaction_per_migration`)
//! or at the marker, and ends where the next one starts; the first also
//! takes what comes before it (the `CREATE TABLE alembic_version` of a run
//! from the base).

/// One `-- Running upgrade` part of an offline script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The revision it upgrades to.
    pub revision: String,
    /// The revisions it upgrades from (none: from the base; two or more: a
    /// merge).
    pub from: Vec<String>,
    /// Byte range of its part of the file.
    pub start: usize,
    pub end: usize,
    /// 1-based line of its marker.
    pub line: usize,
}

/// `-- Running upgrade a, b -> c` as `(["a", "b"], "c")`.
fn marker(line: &str) -> Option<(Vec<String>, String)> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("Running upgrade")?;
    let (from, to) = rest.split_once("->")?;
    let to = to.trim();
    // One target: an upgrade step names exactly one revision.
    if to.is_empty() || to.contains([',', ' ']) {
        return None;
    }
    let from = from
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    Some((from, to.to_string()))
}

/// Transaction control alembic writes around revisions.
pub fn is_transaction_control(line: &str) -> bool {
    let t = line.trim().trim_end_matches(';').trim();
    t.eq_ignore_ascii_case("BEGIN") || t.eq_ignore_ascii_case("COMMIT")
}

/// The upgrade revisions of an offline script, in file order (empty when
/// it has no `-- Running upgrade` marker; downgrade parts are not
/// revisions to apply).
pub fn revisions(text: &str) -> Vec<Revision> {
    let mut out: Vec<Revision> = Vec::new();
    // Where a `BEGIN;` line followed only by blank lines started.
    let mut begin: Option<usize> = None;
    for (n, (start, line)) in super::super::rewrite::lines(text).enumerate() {
        if let Some((from, revision)) = marker(line) {
            let at = if out.is_empty() {
                0
            } else {
                begin.unwrap_or(start)
            };
            if let Some(last) = out.last_mut() {
                last.end = at;
            }
            out.push(Revision {
                revision,
                from,
                start: at,
                end: text.len(),
                line: n + 1,
            });
            begin = None;
        } else if line.trim().eq_ignore_ascii_case("BEGIN;") {
            begin = Some(start);
        } else if !line.trim().is_empty() {
            begin = None;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_an_offline_script() {
        let t = "BEGIN;\n\nCREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\n\n-- Running upgrade  -> a1\n\nCREATE TABLE t (id int);\n\nINSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;\n\n-- Running upgrade a1 -> b2\n\nCREATE INDEX i ON t (id);\n\nCOMMIT;\n\nBEGIN;\n\n-- Running upgrade b2, x9 -> c3\n\nSELECT 1;\n\nCOMMIT;\n";
        let r = revisions(t);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].revision.as_str(), r[0].from.len()), ("a1", 0));
        assert_eq!(r[0].start, 0);
        assert_eq!(r[0].line, 5);
        assert_eq!(r[1].from, ["a1"]);
        // The BEGIN before c3's marker is c3's.
        assert!(t[r[1].start..r[1].end].trim_end().ends_with("COMMIT;"));
        assert!(t[r[2].start..].starts_with("BEGIN;"));
        assert_eq!(r[2].from, ["b2", "x9"]);
        assert_eq!(r[2].end, t.len());
        assert!(revisions("-- Running downgrade b2 -> a1\nSELECT 1;\n").is_empty());
    }
}
