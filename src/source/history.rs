//! What each migration tool records in the database about what it ran: its
//! history table, how a row names a migration file, the checksum it keeps
//! and how the tool computes it, and what a failed or dirty row means.
//! Reading the table is the dry-run's and `ddlint status`'s business
//! (`dryrun::history`); this module only knows the tools.
//!
//! | tool | table | a file's key | checksum | failure |
//! |---|---|---|---|---|
//! | dbmate | `schema_migrations(version)` | leading digits | - | - |
//! | golang-migrate | `schema_migrations(version, dirty)`: one row, the current version | version number | - | `dirty` |
//! | goose | `goose_db_version(version_id, is_applied)`: the newest row per version | version number | - | - |
//! | flyway | `flyway_schema_history(version, script, checksum, success)`; a `BASELINE` row: versions up to it never run | `V<ver>__`: the version (`_` as `.`); `R__`: the script | CRC32 over the lines without line endings, signed | `success = false` |
//! | sqlx | `_sqlx_migrations(version, checksum, success)` | version number | SHA-384 of the file | `success = false` |
//! | diesel | `__diesel_schema_migrations(version)` | directory name before `_`, without `-` | - | - |
//! | prisma | `_prisma_migrations(migration_name, checksum, finished_at, rolled_back_at)` | directory name | SHA-256 of migration.sql (hex) | `finished_at IS NULL` |
//! | graphile-migrate | `graphile_migrate.migrations(filename, hash)` | committed file name | `sha1:` of the previous hash, a newline and the body | - |
//! | sql-migrate | `gorp_migrations(id)` | file name | - | - |
//! | pop / popx | `schema_migration(version)` | leading digits | - | - |
//! | sqitch | `sqitch.changes(change)` | change name | - | - |
//! | node-pg-migrate | `pgmigrations(name)` | file name without `.sql` | - | - |
//! | atlas | `atlas_schema_revisions.atlas_schema_revisions(version, type, applied, total, error)`; a baseline revision (`type & 1`): versions up to it never run | version (before `_`) | - | `applied < total` or an error |
//! | django | `django_migrations(app, name)` | `<app>/<name>.sql`: the directory is the app, the file name the migration | - | - |
//! | alembic | `alembic_version(version_num)`: the current head(s) | each `-- Running upgrade A -> B` part of an offline script is revision B; applied when a head reaches it through the parts' down revisions | - | - |
//! | liquibase | `databasechangelog(id, author, filename, md5sum, exectype)` | each `--changeset author:id` of a changelog: `<file name>::<id>::<author>` (`logicalFilePath:` replaces the name) | checksum v9: `9:` + MD5 of the change sums (`9:` + MD5 of the SQL without whitespace, then `:`) | - (a failed changeset is not recorded) |
//!
//! A migration is a [`Unit`]: a whole file for most tools, a part of one
//! for Alembic and Liquibase; [`without`] leaves the parts that do not run
//! out of a file's text (dry-run runs only a script's pending revisions).
//!
//! Sources: dbmate `pkg/driver/postgres/postgres.go` (CreateMigrationsTable,
//! SelectMigrations); golang-migrate `database/postgres/postgres.go`
//! (SetVersion, Version: one row, `dirty`); goose `internal/dialect/dialectquery`
//! (postgres: `goose_db_version`, newest row per version_id decides);
//! flyway `flyway-core/.../resolver/ChecksumCalculator.java` and
//! `resource/Resource.calculateChecksum` (CRC32 of each line read by
//! `BufferedReader.readLine`, BOM stripped); sqlx
//! `sqlx-core/src/migrate/migration.rs` (`Sha384::digest(sql)`) and
//! `sqlx-postgres/src/migrate.rs`; diesel `diesel_migrations` (version =
//! the directory name's part before `_`, `-` removed); prisma
//! `_prisma_migrations` as prisma-engines' `schema-connector` creates it
//! (checksum: SHA-256 of the script); graphile-migrate `src/hash.ts`
//! (`sha1` of `(previousHash + "\n" + body).trim() + "\n"`) and
//! `src/migration.ts` (header lines, then a blank line, then the body);
//! sql-migrate `migrate.go` (`gorp_migrations`, id = file name); pop
//! `fizz`/`popx` (`schema_migration.version`); sqitch `sqitch.changes`;
//! node-pg-migrate `src/migration.ts` (`pgmigrations`, name = file name
//! without extension); atlas `sql/migrate/migrate.go` (`Revision`: version,
//! type with `RevisionTypeBaseline = 1`, applied of total statements,
//! error); Django
//! `django/db/migrations/recorder.py` (`MigrationRecorder`: app, name,
//! applied); alembic `alembic/runtime/migration.py` (`HeadMaintainer`:
//! `alembic_version` holds the heads, a row is updated, inserted or
//! deleted as revisions run; the offline markers are
//! `"-- Running %s" % step.short_log`); the ancestry followed is the
//! markers' down revisions (`depends_on` is not in them); Liquibase
//! `CreateDatabaseChangeLogTableGenerator` (the table),
//! `MarkChangeSetRanGenerator` (no row for FAILED or SKIPPED; EXECUTED,
//! RERAN, MARK_RAN), `ChangeSet.generateCheckSum` and `CheckSum.compute`
//! (v9: whitespace removed), verified by running Liquibase 4.28 in
//! `tests/history.rs`. Alembic, Django and Liquibase run for real there too.

use crate::input::Layout;

/// A tool's history table.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// As the tool names it (with its schema when it has one).
    pub table: &'static str,
    /// Rows of `(key, checksum, ok)`: one per applied (or failed)
    /// migration, in the tool's order.
    pub query: &'static str,
    pub checksum: Option<Checksum>,
    /// The table holds only the current version: every file up to it is
    /// applied (golang-migrate).
    pub up_to: bool,
    /// The table holds the current heads of a revision graph: a revision
    /// is applied when it is one of them or an ancestor of one (alembic).
    pub heads: bool,
    /// What the tool requires before the next deploy after a failure.
    pub failed_help: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Flyway: CRC32 of every line's UTF-8 bytes without line endings, as a
    /// signed 32-bit integer.
    FlywayCrc32,
    /// sqlx: SHA-384 of the file, hex.
    Sha384,
    /// prisma: SHA-256 of the file, hex.
    Sha256,
    /// graphile-migrate: `sha1:` + SHA-1 of the previous hash, a newline
    /// and the body (after the header), trimmed, plus a newline.
    Graphile,
    /// Liquibase (checksum version 9, `9:<hex>`): MD5 of the changeset's
    /// change checksums, each `9:` + MD5 of its SQL without whitespace,
    /// followed by `:`.
    Liquibase,
}

impl Checksum {
    pub fn describe(self) -> &'static str {
        match self {
            Checksum::FlywayCrc32 => "CRC32",
            Checksum::Sha384 => "SHA-384",
            Checksum::Sha256 => "SHA-256",
            Checksum::Graphile => "graphile hash",
            Checksum::Liquibase => "MD5SUM",
        }
    }
}

/// The history table of a tool, if ddlint reads it.
pub fn spec(layout: Layout) -> Option<Spec> {
    let none = "";
    Some(match layout {
        Layout::Dbmate => Spec {
            table: "schema_migrations",
            query: "SELECT version::text, NULL::text, true FROM schema_migrations ORDER BY version",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::GolangMigrate => Spec {
            table: "schema_migrations",
            query: "SELECT version::text, NULL::text, NOT dirty FROM schema_migrations",
            checksum: None,
            up_to: true,
            heads: false,
            failed_help: "golang-migrate refuses to run until the dirty version is fixed by hand and \
                          marked with `migrate force <version>`",
        },
        Layout::Goose => Spec {
            table: "goose_db_version",
            query: "SELECT version_id::text, NULL::text, true FROM ( \
                      SELECT DISTINCT ON (version_id) version_id, is_applied FROM goose_db_version \
                      WHERE version_id > 0 ORDER BY version_id, id DESC) v WHERE is_applied \
                    ORDER BY version_id",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Flyway => Spec {
            table: "flyway_schema_history",
            // A BASELINE row: versions up to it are never run (`<=` key).
            query: "SELECT CASE WHEN type = 'BASELINE' THEN '<=' || version ELSE COALESCE(version, script) END, \
                    checksum::text, success FROM flyway_schema_history \
                    WHERE type NOT IN ('SCHEMA', 'DELETE') ORDER BY installed_rank",
            checksum: Some(Checksum::FlywayCrc32),
            up_to: false,
            heads: false,
            failed_help: "flyway refuses to migrate until the failed row is removed with \
                          `flyway repair` (after undoing what the migration did)",
        },
        Layout::Sqlx => Spec {
            table: "_sqlx_migrations",
            query: "SELECT version::text, encode(checksum, 'hex'), success FROM _sqlx_migrations \
                    ORDER BY version",
            checksum: Some(Checksum::Sha384),
            up_to: false,
            heads: false,
            failed_help: "sqlx refuses to run (`migration ... is partially applied`) until the row \
                          is deleted from _sqlx_migrations and the database fixed by hand",
        },
        Layout::Diesel => Spec {
            table: "__diesel_schema_migrations",
            query: "SELECT version::text, NULL::text, true FROM __diesel_schema_migrations ORDER BY version",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Prisma => Spec {
            table: "_prisma_migrations",
            query: "SELECT migration_name::text, checksum::text, finished_at IS NOT NULL \
                    FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY started_at",
            checksum: Some(Checksum::Sha256),
            up_to: false,
            heads: false,
            failed_help: "prisma migrate deploy refuses to run (P3009) until the failed migration is \
                          resolved with `prisma migrate resolve --rolled-back` or `--applied`",
        },
        Layout::Graphile => Spec {
            table: "graphile_migrate.migrations",
            query: "SELECT filename::text, hash::text, true FROM graphile_migrate.migrations ORDER BY filename",
            checksum: Some(Checksum::Graphile),
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::SqlMigrate => Spec {
            table: "gorp_migrations",
            query: "SELECT id::text, NULL::text, true FROM gorp_migrations ORDER BY id",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Pop => Spec {
            table: "schema_migration",
            query: "SELECT version::text, NULL::text, true FROM schema_migration ORDER BY version",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Sqitch => Spec {
            table: "sqitch.changes",
            query: "SELECT change::text, NULL::text, true FROM sqitch.changes ORDER BY committed_at",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::NodePgMigrate => Spec {
            table: "pgmigrations",
            query: "SELECT name::text, NULL::text, true FROM pgmigrations ORDER BY run_on, id",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Atlas => Spec {
            table: "atlas_schema_revisions.atlas_schema_revisions",
            // type 1 is RevisionTypeBaseline: versions up to it are not run.
            query: "SELECT CASE WHEN type & 1 = 1 THEN '<=' ELSE '' END || version::text, NULL::text, \
                    applied = total AND coalesce(error, '') = '' \
                    FROM atlas_schema_revisions.atlas_schema_revisions ORDER BY version",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: "atlas refuses to continue until the partially applied revision is fixed \
                          by hand and resolved with `atlas migrate set`",
        },
        Layout::Django => Spec {
            table: "django_migrations",
            query: "SELECT app || '/' || name, NULL::text, true FROM django_migrations ORDER BY id",
            checksum: None,
            up_to: false,
            heads: false,
            failed_help: none,
        },
        Layout::Alembic => Spec {
            table: "alembic_version",
            query: "SELECT version_num::text, NULL::text, true FROM alembic_version ORDER BY version_num",
            checksum: None,
            up_to: false,
            heads: true,
            failed_help: none,
        },
        // A failed changeset is not recorded (MarkChangeSetRanGenerator
        // writes no row for FAILED or SKIPPED): every row ran (EXECUTED,
        // RERAN, MARK_RAN).
        Layout::Liquibase => Spec {
            table: "databasechangelog",
            query: "SELECT regexp_replace(filename, '^.*[/\\\\]', '') || '::' || id || '::' || author, \
                    md5sum::text, true \
                    FROM databasechangelog ORDER BY dateexecuted, orderexecuted",
            checksum: Some(Checksum::Liquibase),
            up_to: false,
            heads: false,
            failed_help: none,
        },
        // drizzle's table keeps only each migration's hash and journal time,
        // not its name: not read yet.
        Layout::Drizzle | Layout::Psql => return None,
    })
}

/// The leading digits of a name, as a number (`000042_x` -> `42`).
fn number(name: &str) -> Option<String> {
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed }.to_string())
}

/// The name under which the tool records the file at `path` (its path as
/// the source stage shows it); `None`: the tool does not record it (a
/// down part, graphile's current.sql, ...).
pub fn key(layout: Layout, path: &str) -> Option<String> {
    let p = std::path::Path::new(path);
    let file = p.file_name()?.to_str()?;
    let dir = p
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|d| d.to_str())
        .unwrap_or("");
    match layout {
        Layout::Dbmate => {
            let d: String = file.chars().take_while(|c| c.is_ascii_digit()).collect();
            (!d.is_empty()).then_some(d)
        }
        Layout::GolangMigrate | Layout::Goose | Layout::Sqlx => number(file),
        Layout::Flyway => {
            if let Some(rest) = file.strip_prefix('V') {
                let (ver, _) = rest.split_once("__")?;
                Some(ver.replace('_', "."))
            } else if file.starts_with("R__") {
                Some(file.to_string())
            } else {
                None
            }
        }
        Layout::Diesel => Some(dir.split('_').next()?.replace('-', "")),
        Layout::Prisma => Some(dir.to_string()),
        Layout::Graphile => (dir == "committed").then(|| file.to_string()),
        Layout::SqlMigrate => Some(file.to_string()),
        Layout::Pop => Some(file.split('_').next()?.to_string()),
        Layout::Sqitch => {
            // deploy/<change>.sql, the change possibly in subdirectories.
            let i = path.rfind("deploy/")?;
            Some(
                path[i + "deploy/".len()..]
                    .trim_end_matches(".sql")
                    .to_string(),
            )
        }
        Layout::NodePgMigrate => Some(file.trim_end_matches(".sql").to_string()),
        Layout::Atlas => Some(file.split('_').next()?.trim_end_matches(".sql").to_string()),
        // <app>/<name>.sql: the file of `manage.py sqlmigrate <app> <name>`.
        Layout::Django => {
            let name = file.strip_suffix(".sql")?;
            (!dir.is_empty()).then(|| format!("{dir}/{name}"))
        }
        // Parts of a file: `units`.
        Layout::Alembic | Layout::Liquibase | Layout::Drizzle | Layout::Psql => None,
    }
}

/// Whether two keys name the same migration (numbers compare as numbers).
pub fn same_key(a: &str, b: &str) -> bool {
    a == b
        || matches!((number(a), number(b)), (Some(x), Some(y)) if x == y && a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()))
}

/// `a <= b` for versions: numbers, or dotted numbers as flyway compares
/// them (`1.2 < 1.10`, `1.0 == 1`); other keys as text.
pub fn up_to(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> Option<Vec<u128>> {
        let mut p = v
            .split('.')
            .map(|s| s.parse::<u128>().ok())
            .collect::<Option<Vec<_>>>()?;
        while p.len() > 1 && p.last() == Some(&0) {
            p.pop();
        }
        Some(p)
    }
    match (parts(a), parts(b)) {
        (Some(x), Some(y)) => x <= y,
        _ => a <= b,
    }
}

/// A baseline row's version (key `<=<version>`): the tool never runs the
/// migrations up to it (flyway BASELINE, atlas's baseline revision).
fn baseline(key: &str) -> Option<&str> {
    key.strip_prefix("<=")
}

/// The checksum the tool computes for a file's content, as the history
/// table stores it (`None`: the file cannot be checked this way, e.g. a
/// graphile migration without its header, or a flyway repeatable).
pub fn checksum(kind: Checksum, text: &str) -> Option<String> {
    match kind {
        Checksum::FlywayCrc32 => {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let mut h = crc32fast::Hasher::new();
            // BufferedReader.readLine: \n, \r and \r\n end a line.
            let mut rest = text;
            while !rest.is_empty() {
                let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                h.update(&rest.as_bytes()[..end]);
                rest = &rest[end..];
                if rest.starts_with("\r\n") {
                    rest = &rest[2..];
                } else if !rest.is_empty() {
                    rest = &rest[1..];
                }
            }
            Some((h.finalize() as i32).to_string())
        }
        Checksum::Sha384 => Some(hex(&openssl::sha::sha384(text.as_bytes()))),
        Checksum::Sha256 => Some(hex(&openssl::sha::sha256(text.as_bytes()))),
        Checksum::Liquibase => {
            // The changeset's SQL: its lines after `--changeset`, without
            // the rollback and the other directives Liquibase takes out.
            let directives = [
                "--rollback",
                "--comment",
                "--precondition",
                "--validchecksum",
                "--ignorelines",
            ];
            let mut sql = String::new();
            for line in text.lines().skip(1) {
                let l = line.trim_start().to_ascii_lowercase();
                if directives.iter().any(|d| l.starts_with(d)) {
                    continue;
                }
                // Java's \s: what CheckSum.compute removes.
                sql.extend(
                    line.chars()
                        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')),
                );
            }
            let md5 = |s: &str| {
                openssl::hash::hash(openssl::hash::MessageDigest::md5(), s.as_bytes())
                    .map(|d| hex(&d))
                    .ok()
            };
            let change = md5(&sql)?;
            Some(format!("9:{}", md5(&format!("9:{change}:"))?))
        }
        Checksum::Graphile => {
            let (previous, body) = graphile_parts(text)?;
            let mut s = previous.unwrap_or("").to_string();
            s.push('\n');
            s.push_str(body);
            let input = format!("{}\n", s.trim());
            let mut h = openssl::sha::Sha1::new();
            h.update(input.as_bytes());
            Some(format!("sha1:{}", hex(&h.finish())))
        }
    }
}

/// A committed graphile migration's previous hash and body: header lines
/// (`--! Name: value`), a blank line, the body.
fn graphile_parts(text: &str) -> Option<(Option<&str>, &str)> {
    let mut previous = None;
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let end = rest.find('\n')?;
        let line = &rest[..end];
        if line.is_empty() {
            return Some((previous, &text[at + 1..]));
        }
        let header = line.strip_prefix("--! ")?;
        if let Some(v) = header.strip_prefix("Previous: ") {
            previous = (v != "-").then_some(v);
        }
        at += end + 1;
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            key(Layout::Dbmate, "db/migrations/20240101120000_init.sql").as_deref(),
            Some("20240101120000")
        );
        assert_eq!(
            key(Layout::GolangMigrate, "m/000042_x.up.sql").as_deref(),
            Some("42")
        );
        assert_eq!(
            key(Layout::Flyway, "sql/V1_2__add.sql").as_deref(),
            Some("1.2")
        );
        assert_eq!(
            key(Layout::Flyway, "sql/R__views.sql").as_deref(),
            Some("R__views.sql")
        );
        assert_eq!(
            key(Layout::Diesel, "migrations/2024-01-01-000000_init/up.sql").as_deref(),
            Some("20240101000000")
        );
        assert_eq!(
            key(
                Layout::Prisma,
                "prisma/migrations/20240101_init/migration.sql"
            )
            .as_deref(),
            Some("20240101_init")
        );
        assert_eq!(
            key(Layout::Graphile, "migrations/committed/000001.sql").as_deref(),
            Some("000001.sql")
        );
        assert_eq!(key(Layout::Graphile, "migrations/current.sql"), None);
        assert_eq!(
            key(Layout::Sqitch, "proj/deploy/app/users.sql").as_deref(),
            Some("app/users")
        );
        assert!(up_to("9", "10"));
        assert!(up_to("1.2", "1.10") && !up_to("1.10", "1.2"));
        assert!(up_to("2.0", "2") && up_to("2", "2.0.0"));
        assert!(same_key("0042", "42"));
    }

    #[test]
    fn alembic_heads_reach_their_ancestors() {
        // a1 -> b2 -> m4 (merge of b2 and x3), a1 -> x3, m4 -> c5.
        let t = "BEGIN;\n\n-- Running upgrade  -> a1\n\nCREATE TABLE t (id int);\n\n\
                 -- Running upgrade a1 -> b2\n\nSELECT 2;\n\n\
                 -- Running upgrade a1 -> x3\n\nSELECT 3;\n\n\
                 -- Running upgrade b2, x3 -> m4\n\nSELECT 4;\n\n\
                 -- Running upgrade m4 -> c5\n\nSELECT 5;\n\nCOMMIT;\n";
        let spec = spec(Layout::Alembic).unwrap();
        let row = |k: &str| Entry {
            key: k.into(),
            checksum: None,
            ok: true,
        };
        let states = |rows: &[Entry]| {
            let (c, orphans) = classify(&spec, Layout::Alembic, &[("up.sql", t)], rows);
            let applied: Vec<String> = c
                .iter()
                .filter(|c| c.state == State::Applied)
                .map(|c| c.unit.key.clone())
                .collect();
            (applied, orphans.len())
        };
        assert_eq!(states(&[]), (vec![], 0));
        // Two heads of two branches.
        assert_eq!(
            states(&[row("b2"), row("x3")]),
            (vec!["a1".into(), "b2".into(), "x3".into()], 0)
        );
        assert_eq!(states(&[row("m4")]).0, ["a1", "b2", "x3", "m4"]);
        assert_eq!(states(&[row("zz")]), (vec![], 1));
        // What runs when the database is at b2 and x3: the merge and c5,
        // inside the script's BEGIN/COMMIT.
        let (c, _) = classify(
            &spec,
            Layout::Alembic,
            &[("up.sql", t)],
            &[row("b2"), row("x3")],
        );
        let ran: Vec<(usize, usize)> = c
            .iter()
            .filter(|c| c.state == State::Applied)
            .map(|c| (c.unit.start, c.unit.end))
            .collect();
        let rest = without(t, &ran);
        assert_eq!(rest.len(), t.len());
        let words: Vec<&str> = rest.split_whitespace().collect();
        assert_eq!(
            words.join(" "),
            "BEGIN; -- Running upgrade b2, x3 -> m4 SELECT 4; -- Running upgrade m4 -> c5 SELECT 5; COMMIT;"
        );
    }

    #[test]
    fn liquibase_changesets_run_again_on_change_or_always() {
        let t = "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n\
                 --changeset a:2 runOnChange:true\nCREATE VIEW v AS SELECT 2;\n\
                 --changeset a:3 runAlways:true\nSELECT 3;\n";
        let spec = spec(Layout::Liquibase).unwrap();
        let row = |k: &str| Entry {
            key: format!("changelog.sql::{k}::a"),
            checksum: Some("9:0".into()),
            ok: true,
        };
        let (c, orphans) = classify(
            &spec,
            Layout::Liquibase,
            &[("db/changelog.sql", t)],
            &[row("1"), row("2"), row("3")],
        );
        assert!(orphans.is_empty());
        let states: Vec<&str> = c.iter().map(|c| c.state.as_str()).collect();
        assert_eq!(states, ["changed", "pending", "applied"]);
        assert_eq!(c[1].unit.line, 4);
    }

    #[test]
    fn checksums_as_the_tools_compute_them() {
        // CRC32 ignores line endings and a BOM.
        let a = checksum(
            Checksum::FlywayCrc32,
            "CREATE TABLE t (id int);\nSELECT 1;\n",
        )
        .unwrap();
        let b = checksum(
            Checksum::FlywayCrc32,
            "\u{feff}CREATE TABLE t (id int);\r\nSELECT 1;",
        )
        .unwrap();
        assert_eq!(a, b);
        // java.util.zip.CRC32 of "SELECT 1;" is 0x7e3a0a9d... as a signed int.
        let crc = checksum(Checksum::FlywayCrc32, "SELECT 1;").unwrap();
        assert_eq!(crc, (crc32fast::hash(b"SELECT 1;") as i32).to_string());
        assert_eq!(
            checksum(Checksum::Sha256, "").unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum(Checksum::Sha384, "abc").unwrap().len(), 96);
        let g = "--! Previous: -\n--! Hash: sha1:x\n\ncreate table t();\n";
        assert!(checksum(Checksum::Graphile, g)
            .unwrap()
            .starts_with("sha1:"));
        assert_eq!(checksum(Checksum::Graphile, "no header\n"), None);
        // As Liquibase 4.28 recorded it for this changeset.
        assert_eq!(
            checksum(
                Checksum::Liquibase,
                "--changeset alice:2\nCREATE INDEX l_v ON l (v);\n\n"
            )
            .unwrap(),
            "9:014ba2964c798bb3762f3169d54912f6"
        );
    }
}

/// One row of a history table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub checksum: Option<String>,
    /// false: failed, dirty or unfinished.
    pub ok: bool,
}

/// Where a migration file stands against the history table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Applied,
    /// At or below the baseline the table records: the tool never runs it.
    BelowBaseline,
    Pending,
    /// Applied, and the file no longer matches the recorded checksum.
    Changed {
        recorded: String,
        file: String,
    },
    /// The row says it failed (or is dirty, or never finished).
    Failed,
}

impl State {
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Applied | State::BelowBaseline => "applied",
            State::Pending => "pending",
            State::Changed { .. } => "changed",
            State::Failed => "failed",
        }
    }
}

/// One migration as the tool records it: a whole file, or a part of one
/// (an Alembic revision of an offline script, a Liquibase changeset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub key: String,
    /// Byte range in the file's text.
    pub start: usize,
    pub end: usize,
    /// 1-based line where it starts.
    pub line: usize,
    /// Alembic: the revisions it upgrades from.
    pub parents: Vec<String>,
}

/// The migrations of one file (path as the source stage shows it, its
/// text), as the tool records them; empty when it records none of it.
pub fn units(layout: Layout, path: &str, text: &str) -> Vec<Unit> {
    match layout {
        Layout::Alembic => crate::source::layouts::alembic::revisions(text)
            .into_iter()
            .map(|r| Unit {
                key: r.revision,
                start: r.start,
                end: r.end,
                line: r.line,
                parents: r.from,
            })
            .collect(),
        Layout::Liquibase => {
            let file = std::path::Path::new(path)
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or(path);
            crate::source::layouts::liquibase::changesets(text)
                .into_iter()
                .map(|c| {
                    let logical = c.logical_path.as_deref().unwrap_or(file);
                    let name = logical.rsplit(['/', '\\']).next().unwrap_or(logical);
                    Unit {
                        key: format!("{name}::{}::{}", c.id, c.author),
                        start: c.start,
                        end: c.end,
                        line: c.line,
                        parents: Vec::new(),
                    }
                })
                .collect()
        }
        _ => key(layout, path)
            .map(|key| Unit {
                key,
                start: 0,
                end: text.len(),
                line: 1,
                parents: Vec::new(),
            })
            .into_iter()
            .collect(),
    }
}

/// One migration and where it stands against the history table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classified<'a> {
    pub path: &'a str,
    pub unit: Unit,
    pub state: State,
}

/// The state of each migration in the files (path, its text) of one tool,
/// and the rows that name none of them.
pub fn classify<'a>(
    spec: &Spec,
    layout: Layout,
    files: &[(&'a str, &'a str)],
    entries: &[Entry],
) -> (Vec<Classified<'a>>, Vec<Entry>) {
    let all: Vec<(&'a str, &'a str, Unit)> = files
        .iter()
        .flat_map(|(path, text)| {
            units(layout, path, text)
                .into_iter()
                .map(move |u| (*path, *text, u))
        })
        .collect();
    let mut used = vec![false; entries.len()];
    let mut out = Vec::new();
    if spec.heads {
        // Every revision a head row reaches through the files' down
        // revisions is applied.
        let mut applied = std::collections::BTreeSet::new();
        let mut todo: Vec<&str> = Vec::new();
        for (j, e) in entries.iter().enumerate() {
            let known = all
                .iter()
                .any(|(_, _, u)| u.key == e.key || u.parents.contains(&e.key));
            used[j] = known;
            if known {
                todo.push(&e.key);
            }
        }
        while let Some(rev) = todo.pop() {
            if applied.insert(rev.to_string()) {
                for (_, _, u) in all.iter().filter(|(_, _, u)| u.key == rev) {
                    todo.extend(u.parents.iter().map(String::as_str));
                }
            }
        }
        for (path, _, u) in all.iter().cloned() {
            let state = if applied.contains(&u.key) {
                State::Applied
            } else {
                State::Pending
            };
            out.push(Classified {
                path,
                unit: u,
                state,
            });
        }
    }
    for (path, text, u) in all.into_iter().filter(|_| !spec.heads) {
        let k = u.key.clone();
        let state = if spec.up_to {
            match entries.first() {
                Some(e) if same_key(&k, &e.key) => {
                    used[0] = true;
                    if e.ok {
                        State::Applied
                    } else {
                        State::Failed
                    }
                }
                Some(e) if up_to(&k, &e.key) => {
                    used[0] = true;
                    State::Applied
                }
                _ => State::Pending,
            }
        } else {
            // The last row for the key wins (a repeatable runs again).
            let below_baseline = k.chars().all(|c| c.is_ascii_digit() || c == '.')
                && entries
                    .iter()
                    .filter_map(|e| baseline(&e.key))
                    .any(|v| up_to(&k, v));
            match entries.iter().rposition(|e| same_key(&k, &e.key)) {
                None if below_baseline => State::BelowBaseline,
                None => State::Pending,
                Some(i) => {
                    for (j, e) in entries.iter().enumerate() {
                        if same_key(&k, &e.key) {
                            used[j] = true;
                        }
                    }
                    let e = &entries[i];
                    let repeatable = layout == Layout::Flyway && k.starts_with("R__");
                    // Liquibase runs a changeset again when it changed
                    // (runOnChange) or on every update (runAlways).
                    let attr = |name: &str| {
                        layout == Layout::Liquibase
                            && text
                                .get(u.start..)
                                .and_then(|t| t.lines().next())
                                .is_some_and(|l| {
                                    crate::source::layouts::liquibase::changeset_line(l)
                                        .is_some_and(|a| {
                                            a.iter().any(|(k, v)| {
                                                k == name && v.eq_ignore_ascii_case("true")
                                            })
                                        })
                                })
                    };
                    let (run_on_change, run_always) = (attr("runonchange"), attr("runalways"));
                    let part = &text[u.start.min(text.len())..u.end.min(text.len())];
                    let computed = spec.checksum.and_then(|c| checksum(c, part));
                    let matches = |recorded: &str, file: &str| {
                        recorded == file
                            // prisma accepts the script with LF line endings too.
                            || (spec.checksum == Some(Checksum::Sha256)
                                && checksum(Checksum::Sha256, &part.replace("\r\n", "\n")).as_deref()
                                    == Some(recorded))
                    };
                    match (&e.checksum, computed) {
                        _ if !e.ok => State::Failed,
                        _ if run_always => State::Applied,
                        (Some(r), Some(f))
                            if run_on_change && r.starts_with("9:") && !matches(r, &f) =>
                        {
                            State::Pending
                        }
                        // Liquibase upgrades older checksum versions itself.
                        (Some(r), Some(_))
                            if spec.checksum == Some(Checksum::Liquibase)
                                && !r.starts_with("9:") =>
                        {
                            State::Applied
                        }
                        (Some(r), Some(f)) if !repeatable && !matches(r, &f) => State::Changed {
                            recorded: r.clone(),
                            file: f,
                        },
                        _ => State::Applied,
                    }
                }
            }
        };
        out.push(Classified {
            path,
            unit: u,
            state,
        });
    }
    // Django's table lists every app (auth, contenttypes, ...): rows of
    // apps none of the files belong to are not this project's.
    let apps: Vec<&str> = out
        .iter()
        .filter_map(|c| c.unit.key.split_once('/').map(|(a, _)| a))
        .collect();
    let orphans = entries
        .iter()
        .zip(&used)
        .filter(|(e, u)| {
            !**u && baseline(&e.key).is_none()
                && (layout != Layout::Django
                    || e.key
                        .split_once('/')
                        .is_some_and(|(a, _)| apps.contains(&a)))
        })
        .map(|(e, _)| e.clone())
        .collect();
    (out, orphans)
}

/// `text` with the lines that start in `parts` (byte ranges, at line
/// starts) blanked, same length, except the transaction control around
/// them (`BEGIN;`, `COMMIT;`: an Alembic script's run shares them): what
/// runs of a file when only some of its migrations do.
pub fn without(text: &str, parts: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    for (start, line) in crate::source::rewrite::lines(text) {
        let full = &text[start..crate::source::rewrite::line_end(text, start)];
        let blank = parts.iter().any(|(s, e)| (*s..*e).contains(&start))
            && !crate::source::layouts::alembic::is_transaction_control(line);
        if blank {
            for c in full.chars() {
                match c {
                    '\n' | '\r' => out.push(c),
                    _ => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
                }
            }
        } else {
            out.push_str(full);
        }
    }
    out
}
