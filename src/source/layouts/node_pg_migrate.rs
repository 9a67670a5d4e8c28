//! node-pg-migrate SQL migrations. Checked in salsita/node-pg-migrate
//! (main at 55b10c22; the same in v7.9.1 and v8.0.3):
//!
//! - `src/sqlMigration.ts`, `getActions`: the up part starts at the first
//!   line matching `^\s*--[\s-]*up\s+migration` (case-insensitive) and
//!   ends at the down marker when that comes later, else at the end; the
//!   down part likewise. Without an up marker the whole file is the up
//!   part. The part is sent with `pgm.sql(...)`: one query string.
//! - `src/migration.ts`, `getMigrationFilePaths`: the files directly in
//!   the migrations directory but those matching the ignore pattern
//!   (`^\..*` by default), ordered by their numeric prefix
//!   (`src/utils/fileNameUtils.ts`, `getNumericPrefix`: 17 digits are a
//!   UTC time `YYYYMMDDhhmmssSSS` taken as milliseconds, anything else the
//!   number itself; a file without one stops the run), ties by name
//!   (`src/utils/comparators.ts`, `compareMigrationFileNames`).
//! - `src/runner.ts` and `src/migration.ts`, `_apply`: by default
//!   (`singleTransaction`, turned off by `--no-single-transaction`) every
//!   pending migration runs inside one `BEGIN` ... `COMMIT`; otherwise
//!   each migration gets its own `BEGIN`/`COMMIT` unless it called
//!   `pgm.noTransaction()`, which only a JavaScript/TypeScript migration
//!   can: an SQL migration always runs in a transaction.
//!
//! ddlint's transaction model ends a transaction with its file, so each
//! file is modelled as one transaction (what cannot run in a transaction
//! block fails there either way); locks an earlier pending migration took
//! are not known to be held while a later one runs. JavaScript and
//! TypeScript migrations in the same directory run in between but are not
//! read. The grouped `.up.sql`/`.down.sql` loader of the 10.0 alphas
//! (`migrationLoaderStrategies`) is not the default and not modelled.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::{file_name, planned, sections, Planned, Unit};
use crate::input::Wrapping;

/// The direction a marker line starts (`^\s*--[\s-]*(up|down)\s+migration`,
/// case-insensitive): Some(true) for up.
pub fn marker(line: &str) -> Option<bool> {
    let rest = line.trim_start().strip_prefix("--")?;
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '-');
    let lower = rest.to_ascii_lowercase();
    let (up, after) = if let Some(a) = lower.strip_prefix("up") {
        (true, a)
    } else if let Some(a) = lower.strip_prefix("down") {
        (false, a)
    } else {
        return None;
    };
    let words = after.trim_start();
    (words.len() < after.len() && words.starts_with("migration")).then_some(up)
}

/// A marker line as `node-pg-migrate create` writes it (`-- Up Migration`,
/// nothing after it): the detection signal, stricter than what the tool
/// accepts, so a psql script's comment does not make a project.
pub fn detects(text: &str) -> bool {
    text.lines().any(|l| {
        marker(l) == Some(true) && {
            let lower = l.trim().to_ascii_lowercase();
            lower.ends_with("migration")
        }
    })
}

/// The up part (and, with `include_down`, the down part) of a file.
pub fn units(text: &str, include_down: bool) -> Vec<Unit> {
    // Only the first marker of each direction counts (`content.search`).
    let mut seen = (false, false);
    let secs = sections(text, |l| {
        let up = marker(l)?;
        let first = if up { &mut seen.0 } else { &mut seen.1 };
        if *first {
            return None;
        }
        *first = true;
        Some(up)
    });
    if !secs.iter().any(|(up, _, _)| *up) {
        // No up marker: the whole file is the up part (the down part too,
        // when there is one).
        let mut out = vec![Unit::whole(text, Wrapping::Transaction, false)];
        if include_down {
            out.extend(secs.into_iter().map(|(_, s, e)| Unit {
                keep: vec![(s, e)],
                wrapping: Wrapping::Transaction,
                down: true,
                replace: vec![],
            }));
        }
        return out;
    }
    secs.into_iter()
        .filter(|(up, _, _)| *up || include_down)
        .map(|(up, s, e)| Unit {
            keep: vec![(s, e)],
            wrapping: Wrapping::Transaction,
            down: !up,
            replace: vec![],
        })
        .collect()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `getNumericPrefix`: the leading digits as a number (a JavaScript
/// `Number`), 17 digits as the UTC time they spell in milliseconds (NaN
/// when JavaScript's `Date` refuses it); None without leading digits.
pub fn numeric_prefix(name: &str) -> Option<f64> {
    let digits = super::leading_digits(name)?;
    if digits.len() != 17 {
        return Some(digits.parse::<f64>().unwrap_or(f64::NAN));
    }
    let n = |a: usize, b: usize| digits[a..b].parse::<i64>().unwrap_or(0);
    let (y, mo, d, h, mi, s, ms) = (
        n(0, 4),
        n(4, 6),
        n(6, 8),
        n(8, 10),
        n(10, 12),
        n(12, 14),
        n(14, 17),
    );
    // V8 takes days 1-31 in any month (30 February is 1 March) and 24:00.
    let valid = (1..=12).contains(&mo)
        && (1..=31).contains(&d)
        && (h < 24 || (h == 24 && mi == 0 && s == 0 && ms == 0))
        && mi < 60
        && s < 60;
    if !valid {
        return Some(f64::NAN);
    }
    let days = days_from_civil(y, mo, 1) + d - 1;
    Some((((days * 24 + h) * 60 + mi) * 60 + s) as f64 * 1000.0 + ms as f64)
}

/// `compareMigrationFileNames`: numeric prefixes, then names (numbers in
/// names compared as numbers).
fn compare(a: &str, b: &str) -> Ordering {
    let (x, y) = (
        numeric_prefix(a).unwrap_or(f64::NAN),
        numeric_prefix(b).unwrap_or(f64::NAN),
    );
    match x.partial_cmp(&y) {
        Some(Ordering::Equal) | None => super::super::ordering::natural_cmp(a, b),
        Some(o) => o,
    }
}

/// Whether node-pg-migrate runs a file of the directory `root`.
fn runs(p: &Path, root: &Path) -> bool {
    let name = file_name(p);
    p.parent() == Some(root) && !name.starts_with('.') && numeric_prefix(name).is_some()
}

pub fn plan(root: &Path, sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let mut files: Vec<&PathBuf> = sql.iter().filter(|p| runs(p, root)).collect();
    files.sort_by(|a, b| compare(file_name(a), file_name(b)));
    (
        files
            .into_iter()
            .map(|p| planned(p, false, Wrapping::Transaction))
            .collect(),
        vec![],
    )
}

/// Why node-pg-migrate does not run a SQL file of its directory.
pub fn why_not_run(path: &Path, root: &Path) -> String {
    let name = file_name(path);
    if path.parent() != Some(root) {
        "node-pg-migrate runs only the files directly in its migrations directory".into()
    } else if name.starts_with('.') {
        "node-pg-migrate ignores files whose name starts with `.` (its default --ignore-pattern)"
            .into()
    } else {
        "no numeric prefix: node-pg-migrate stops with \"Cannot determine numeric prefix\" while this file is in its migrations directory".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_as_the_regex_reads_them() {
        assert_eq!(marker("-- Up Migration"), Some(true));
        assert_eq!(marker("  ---- up   MIGRATION and more"), Some(true));
        assert_eq!(marker("--down migration"), Some(false));
        assert_eq!(marker("-- upmigration"), None);
        assert_eq!(marker("-- +migrate Up"), None);
        assert_eq!(marker("SELECT 1; -- Up Migration"), None);
        assert!(detects("-- Up Migration\nCREATE TABLE t ();\n"));
        assert!(!detects("-- up migration of the users table\n"));
    }

    #[test]
    fn up_and_down_parts() {
        let t =
            "-- comment\n-- Up Migration\nCREATE TABLE t ();\n-- Down Migration\nDROP TABLE t;\n";
        let u = units(t, false);
        assert_eq!(u.len(), 1);
        assert_eq!(
            &t[u[0].keep[0].0..u[0].keep[0].1],
            "-- Up Migration\nCREATE TABLE t ();\n"
        );
        let u = units(t, true);
        assert_eq!(u.len(), 2);
        assert!(u[1].down);
        // Down first: the up part runs to the end.
        let t = "-- Down Migration\nDROP TABLE t;\n-- Up Migration\nCREATE TABLE t ();\n";
        let u = units(t, false);
        assert_eq!(
            &t[u[0].keep[0].0..u[0].keep[0].1],
            "-- Up Migration\nCREATE TABLE t ();\n"
        );
        // A second up marker does not start another part.
        let t = "-- Up Migration\nSELECT 1;\n-- Up Migration\nSELECT 2;\n";
        assert_eq!(units(t, true).len(), 1);
        // No up marker: the whole file.
        let t = "CREATE TABLE t ();\n-- Down Migration\nDROP TABLE t;\n";
        let u = units(t, false);
        assert_eq!(u[0].keep, vec![(0, t.len())]);
    }

    #[test]
    fn order_by_numeric_prefix_then_name() {
        // 17 digits are a UTC time: 2020-05-13 07:07:24.505.
        assert_eq!(
            numeric_prefix("20200513070724505_x.sql"),
            Some(1_589_353_644_505.0)
        );
        // A 13-digit millisecond prefix sorts with them by time.
        assert_eq!(
            compare("1589353644504_a.sql", "20200513070724505_b.sql"),
            Ordering::Less
        );
        assert_eq!(compare("2_b.sql", "10_a.sql"), Ordering::Less);
        assert_eq!(compare("1_b.sql", "1_a.sql"), Ordering::Greater);
        assert!(numeric_prefix("notes.sql").is_none());
        assert!(numeric_prefix("20201301000000000_x.sql").unwrap().is_nan());
    }
}
