//! Every migration-tool layout over its fixture in `fixtures/layouts/`:
//! which files run, in which order, which statements (up parts only unless
//! `--include-down`), and how each is wrapped (`wrapping` per file,
//! `in_transaction` per statement), read from `ddlint check --format json`.

use std::path::Path;
use std::process::Command;

fn ddlint(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One line per input: `path [wrapping] KIND@line:col, ...`, statements
/// that run outside a transaction marked `(autocommit)`.
fn summary(v: &serde_json::Value, base: &str) -> String {
    let mut out = String::new();
    for f in v["files"].as_array().unwrap() {
        let p = f["path"].as_str().unwrap();
        let p = Path::new(p).strip_prefix(base).unwrap_or(Path::new(p));
        let st: Vec<String> = f["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}@{}:{}{}",
                    s["kind"].as_str().unwrap(),
                    s["line"],
                    s["column"],
                    if s["in_transaction"].as_bool().unwrap() {
                        ""
                    } else {
                        " (autocommit)"
                    }
                )
            })
            .collect();
        out.push_str(&format!(
            "{} [{}] {}\n",
            p.display(),
            f["wrapping"].as_str().unwrap(),
            st.join(", ")
        ));
    }
    out
}

fn check(layout: &str, args: &[&str], expected: &str) {
    let dir = format!("fixtures/layouts/{layout}");
    let mut all: Vec<&str> = args.to_vec();
    all.push(&dir);
    let (code, v, err) = ddlint(&all);
    assert!(code == 0 || code == 1, "{layout}: exit {code}: {err}");
    let got = summary(&v, &dir);
    assert_eq!(got.trim(), expected.trim(), "{layout}:\n{got}");
    for f in v["findings"].as_array().unwrap() {
        assert_ne!(f["rule"], "syntax-error", "{layout}: {f}");
    }
}

#[test]
fn psql_scripts() {
    // `\set` variables, `\ir` include (its statements between the parts of
    // the including script), `\gexec` ends a query; autocommit unless the
    // script says BEGIN.
    //
    // Known limitation, pinned here so it is not forgotten: each part is
    // its own model input, and the model starts every input in a fresh
    // session, so the included GRANT is shown outside the includer's open
    // transaction and the COMMIT after it as autocommit. Fixing it needs
    // the model to carry the session and transaction from one input to the
    // next (see the report on the `sources` branch).
    check(
        "psql",
        &[],
        "
001_schema.sql [autocommit] BEGIN@5:1, CREATE TABLE@6:1
inc/grants.sql [autocommit] GRANT@1:1 (autocommit)
001_schema.sql [autocommit] COMMIT@8:1 (autocommit)
002_index.sql [autocommit] CREATE INDEX CONCURRENTLY@2:1 (autocommit), SELECT@3:1 (autocommit)
",
    );
    check(
        "psql",
        &["--include-down"],
        "
001_schema.sql [autocommit] BEGIN@5:1, CREATE TABLE@6:1
inc/grants.sql [autocommit] GRANT@1:1 (autocommit)
001_schema.sql [autocommit] COMMIT@8:1 (autocommit)
002_index.sql [autocommit] CREATE INDEX CONCURRENTLY@2:1 (autocommit), SELECT@3:1 (autocommit)
002_index.down.sql [autocommit] DROP INDEX CONCURRENTLY@1:1 (autocommit)
",
    );
}

#[test]
fn flyway() {
    // V1 < V1.1 < V1.10 < V2; repeatables last; U undo not run; CONCURRENTLY
    // and executeInTransaction=false (comment or .sql.conf) run outside a
    // transaction.
    check(
        "flyway",
        &["--var", "reader=analyst"],
        "
V1__init.sql [transaction] CREATE TABLE@1:1
V1.1__grants.sql [transaction] GRANT@1:1
V1.10__add_column.sql [transaction] ALTER TABLE@1:1
V2__index.sql [autocommit] CREATE INDEX CONCURRENTLY@2:1 (autocommit)
V3__enum.sql [autocommit] CREATE TYPE@2:1 (autocommit), ALTER TYPE@3:1 (autocommit)
V4__conf.sql [autocommit] UPDATE@1:1 (autocommit)
R__users_view.sql [transaction] CREATE OR REPLACE VIEW@1:1
",
    );
}

#[test]
fn flyway_undo_with_include_down() {
    let (_, v, _) = ddlint(&[
        "--var",
        "reader=x",
        "--include-down",
        "fixtures/layouts/flyway",
    ]);
    let s = summary(&v, "fixtures/layouts/flyway");
    assert!(
        s.trim_end()
            .ends_with("U1.10__add_column.sql [transaction] ALTER TABLE@1:1"),
        "{s}"
    );
}

#[test]
fn flyway_unresolved_placeholder_is_an_error_with_its_location() {
    let (code, _, err) = ddlint(&["fixtures/layouts/flyway"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("fixtures/layouts/flyway/V1.1__grants.sql:1:26: unresolved placeholder `${reader}`; pass --var reader=VALUE"),
        "{err}"
    );
}

#[test]
fn golang_migrate() {
    // One multi-statement exec per file: an implicit transaction, unless
    // the file says BEGIN itself.
    check(
        "golang-migrate",
        &["--layout", "golang-migrate"],
        "
1_init.up.sql [implicit-multi-statement] CREATE TABLE@1:1, CREATE TABLE@2:1
2_explicit.up.sql [implicit-multi-statement] BEGIN@1:1, ALTER TABLE@2:1, COMMIT@3:1
10_later.up.sql [implicit-multi-statement] ALTER TABLE@1:1 (autocommit)
",
    );
}

#[test]
fn goose() {
    check(
        "goose",
        &[],
        "
00001_init.sql [transaction] CREATE TABLE@2:1
00002_index.sql [autocommit] CREATE INDEX CONCURRENTLY@3:1 (autocommit)
00003_function.sql [transaction] CREATE FUNCTION@3:1, ALTER TABLE@10:1
",
    );
    // Down parts after every up part, newest first.
    check(
        "goose",
        &["--include-down"],
        "
00001_init.sql [transaction] CREATE TABLE@2:1
00002_index.sql [autocommit] CREATE INDEX CONCURRENTLY@3:1 (autocommit)
00003_function.sql [transaction] CREATE FUNCTION@3:1, ALTER TABLE@10:1
00003_function.sql [transaction] DROP FUNCTION@14:1
00002_index.sql [autocommit] DROP INDEX CONCURRENTLY@6:1 (autocommit)
00001_init.sql [transaction] DROP TABLE@5:1
",
    );
}

#[test]
fn dbmate() {
    check(
        "dbmate",
        &[],
        "
20240101000000_init.sql [transaction] CREATE TABLE@2:1
20240102000000_index.sql [implicit-multi-statement] CREATE INDEX CONCURRENTLY@2:1 (autocommit)
",
    );
}

#[test]
fn sql_migrate() {
    check(
        "sql-migrate",
        &["--include-down"],
        "
1_init.sql [transaction] CREATE TABLE@2:1, CREATE FUNCTION@4:1
2_index.sql [autocommit] CREATE INDEX CONCURRENTLY@2:1 (autocommit), ALTER TABLE@3:1 (autocommit)
2_index.sql [transaction] DROP INDEX@6:1
1_init.sql [transaction] DROP TABLE@8:1
",
    );
}

#[test]
fn sqlx() {
    check(
        "sqlx",
        &[],
        "
20240101000000_init.sql [transaction] CREATE TABLE@1:1
20240102000000_index.sql [implicit-multi-statement] CREATE INDEX CONCURRENTLY@2:1 (autocommit)
",
    );
    check(
        "sqlx-reversible",
        &["--layout", "sqlx", "--include-down"],
        "
20240101000000_init.up.sql [transaction] CREATE TABLE@1:1
20240101000000_init.down.sql [transaction] DROP TABLE@1:1
",
    );
}

#[test]
fn diesel() {
    // Versions compare with the dashes removed, so the old and new
    // directory styles interleave correctly; metadata.toml
    // run_in_transaction = false sends the file as one query.
    check(
        "diesel",
        &["--include-down"],
        "
20231231000000_dumped/up.sql [transaction] CREATE TABLE@1:1
2024-01-01-000000_init/up.sql [transaction] ALTER TABLE@1:1
2024-01-02-000000_add_index/up.sql [implicit-multi-statement] CREATE INDEX CONCURRENTLY@1:1 (autocommit)
2024-01-01-000000_init/down.sql [transaction] ALTER TABLE@1:1
20231231000000_dumped/down.sql [transaction] DROP TABLE@1:1
",
    );
}

#[test]
fn sqitch() {
    // sqitch.plan order (users before accounts), not name order.
    check(
        "sqitch",
        &[],
        "
deploy/users.sql [autocommit] BEGIN@2:1, CREATE TABLE@3:1, COMMIT@4:1
deploy/accounts.sql [autocommit] BEGIN@2:1, CREATE TABLE@3:1, COMMIT@4:1
",
    );
    check(
        "sqitch",
        &["--include-down"],
        "
deploy/users.sql [autocommit] BEGIN@2:1, CREATE TABLE@3:1, COMMIT@4:1
deploy/accounts.sql [autocommit] BEGIN@2:1, CREATE TABLE@3:1, COMMIT@4:1
verify/users.sql [autocommit] BEGIN@1:1, SELECT@2:1, ROLLBACK@3:1
verify/accounts.sql [autocommit] BEGIN@1:1, SELECT@2:1, ROLLBACK@3:1
revert/accounts.sql [autocommit] BEGIN@1:1, DROP TABLE@2:1, COMMIT@3:1
revert/users.sql [autocommit] BEGIN@1:1, DROP TABLE@2:1, COMMIT@3:1
",
    );
}

#[test]
fn prisma() {
    check(
        "prisma",
        &[],
        "
20240101000000_init/migration.sql [implicit-multi-statement] CREATE TABLE@2:1 (autocommit)
20240102000000_index/migration.sql [implicit-multi-statement] CREATE UNIQUE INDEX@2:1, ALTER TABLE@4:1
",
    );
}

#[test]
fn graphile_migrate() {
    check(
        "graphile-migrate",
        &[
            "--var",
            "DATABASE_NAME=app",
            "--var",
            "DATABASE_OWNER=app_owner",
            "--var",
            "DATABASE_VISITOR=app_visitor",
        ],
        "
afterReset.sql [implicit-multi-statement] GRANT@1:1 (autocommit)
committed/000001.sql [transaction] CREATE SCHEMA@5:1, CREATE TABLE@6:1, GRANT@7:1
committed/000002.sql [implicit-multi-statement] CREATE INDEX CONCURRENTLY@5:1 (autocommit)
current.sql [transaction] ALTER TABLE@1:1
",
    );
    let (code, _, err) = ddlint(&["fixtures/layouts/graphile-migrate"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("afterReset.sql:1:27: unresolved graphile-migrate placeholder `:DATABASE_NAME`; pass --var DATABASE_NAME=VALUE"),
        "{err}"
    );
}

#[test]
fn pop() {
    // The .postgres. file wins over the generic one, .mysql. never runs on
    // PostgreSQL, .autocommit. runs outside the migration transaction.
    check(
        "pop",
        &["--var", "Namespace=identity", "--include-down"],
        "
20240101000000_identities.postgres.up.sql [transaction] CREATE TABLE@1:1
20240102000000_traits_idx.postgres.autocommit.up.sql [implicit-multi-statement] CREATE INDEX CONCURRENTLY@1:1 (autocommit)
20240101000000_identities.down.sql [transaction] DROP TABLE@1:1
",
    );
}

#[test]
fn django_and_alembic() {
    check(
        "django",
        &[],
        "0001_initial.sql [autocommit] BEGIN@1:1, CREATE TABLE@5:1, ALTER TABLE@9:1, ALTER TABLE@10:1, COMMIT@11:1",
    );
    check(
        "alembic",
        &[],
        "upgrade.sql [autocommit] BEGIN@1:1, CREATE TABLE@3:1, CREATE TABLE@10:1, INSERT@16:1, ALTER TABLE@20:1, UPDATE@22:1, COMMIT@24:1",
    );
}

#[test]
fn liquibase() {
    // One unit per changeset; dbms:mysql skipped; endDelimiter honoured;
    // --rollback lines are the down part.
    check(
        "liquibase",
        &["--include-down"],
        "
changelog.sql [transaction] CREATE TABLE@4:1, CREATE TABLE@5:1
changelog.sql [autocommit] CREATE INDEX CONCURRENTLY@10:1 (autocommit)
changelog.sql [transaction] CREATE FUNCTION@16:1
changelog.sql [transaction] DROP TABLE@6:12, DROP TABLE@7:12
",
    );
}

/// The `skipped` list: (path under `base`, reason).
fn skipped(v: &serde_json::Value, base: &str) -> Vec<(String, String)> {
    v["skipped"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    let p = s["path"].as_str().unwrap();
                    (
                        Path::new(p)
                            .strip_prefix(base)
                            .unwrap_or(Path::new(p))
                            .display()
                            .to_string(),
                        s["reason"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (rule, file name, line) of each finding.
fn found(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

const DRIZZLE: &str = "
0000_init.sql [transaction] CREATE TABLE@1:1
0001_orders.sql [transaction] CREATE TABLE@1:1, ALTER TABLE@7:1, CREATE INDEX CONCURRENTLY@8:1
0002_backfill.sql [transaction] UPDATE@2:1, ALTER TABLE@4:1
";

#[test]
fn drizzle() {
    // meta/_journal.json decides which files run and in which order; each
    // file is one transaction (drizzle runs every pending one in a single
    // transaction), so the CREATE INDEX CONCURRENTLY drizzle-kit generated
    // for `.concurrently()` fails there. A custom migration's pieces need
    // no `;` before a breakpoint. A file the journal does not list is not
    // run.
    check("drizzle", &[], DRIZZLE);
    check("drizzle", &["--layout", "drizzle"], DRIZZLE);
    let (_, v, _) = ddlint(&["fixtures/layouts/drizzle"]);
    assert_eq!(
        skipped(&v, "fixtures/layouts/drizzle"),
        vec![(
            "0003_draft.sql".to_string(),
            "not listed in fixtures/layouts/drizzle/meta/_journal.json: drizzle-kit migrate runs only the migrations its journal lists".to_string()
        )]
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "no-transaction-block")
        .unwrap();
    assert_eq!(
        (f["path"].as_str().unwrap(), f["line"].as_u64().unwrap()),
        ("fixtures/layouts/drizzle/0001_orders.sql", 8)
    );
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("the one transaction drizzle-kit runs every pending migration in"),
        "{msg}"
    );
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("outside `drizzle-kit migrate`"),
        "{f}"
    );
}

/// A migration named on the command line (an editor, pre-commit) is read
/// with the tool whose journal or sum file sits beside it.
#[test]
fn a_named_file_beside_a_journal_or_sum_file() {
    let (_, v, err) = ddlint(&["fixtures/layouts/drizzle/0001_orders.sql"]);
    let f = v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{err}"))
        .iter()
        .find(|f| f["rule"] == "no-transaction-block")
        .unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("drizzle-kit"),
        "{f}"
    );
    // psql would run it statement by statement; atlas in a transaction.
    let (_, v, err) = ddlint(&["fixtures/layouts/atlas/20240101000000_init.sql"]);
    assert_eq!(v["files"][0]["wrapping"], "transaction", "{err}");
}

#[test]
fn drizzle_journal_that_drizzle_refuses_is_an_error_at_its_line() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("drizzle");
    std::fs::create_dir_all(d.join("meta")).unwrap();
    std::fs::write(d.join("0000_a.sql"), "CREATE TABLE a (id int);\n").unwrap();
    let journal = d.join("meta/_journal.json");
    let run = |text: &str| {
        std::fs::write(&journal, text).unwrap();
        let (code, _, err) = ddlint(&[d.to_str().unwrap()]);
        assert_eq!(code, 2, "{text}: {err}");
        err
    };
    let shown = journal.display().to_string();
    let err = run("{\n  \"entries\": [\n    { \"idx\": 0, \"tag\": \"0000_a\" },\n  ]\n}\n");
    assert!(err.contains(&format!("{shown}:4:3: drizzle-kit's journal is not what drizzle-kit migrate reads (trailing comma)")), "{err}");
    let err = run("{\n  \"entries\": [\n    {\n      \"idx\": 0\n    }\n  ]\n}\n");
    assert!(
        err.contains(&format!("{shown}:5:5:")) && err.contains("missing field `tag`"),
        "{err}"
    );
    let err = run("{\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"tag\": \"0000_a\"\n    },\n    {\n      \"idx\": 1,\n      \"tag\": \"0001_b\"\n    }\n  ]\n}\n");
    assert!(
        err.contains(&format!("{shown}:9:1: the journal lists `0001_b`, but ")),
        "{err}"
    );
    let err = run("[]");
    assert!(err.contains(&format!("{shown}:1:")), "{err}");
    // A folder without a journal, read as drizzle.
    std::fs::remove_file(&journal).unwrap();
    let (code, _, err) = ddlint(&["--layout", "drizzle", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read drizzle-kit's journal"), "{err}");
}

/// The committed fixture is what `drizzle-kit generate` writes, and
/// drizzle-kit's real output reads the same: this test installs
/// drizzle-kit with npm, generates the two migrations of the fixture from
/// a schema, compares the SQL byte for byte with the fixture's and lints
/// the folder. Skipped (with a message) when npm is missing or cannot
/// install (offline).
#[test]
fn drizzle_kit_generate_output() {
    let Ok(npm) = which_npm() else {
        eprintln!("npm not found: drizzle-kit's real output not checked");
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("package.json"), "{ \"private\": true }\n").unwrap();
    let install = Command::new(&npm)
        .current_dir(d)
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
            "--fetch-retries=1",
            "drizzle-kit@0.31.11",
            "drizzle-orm@0.44.7",
        ])
        .output()
        .unwrap();
    if !install.status.success() {
        eprintln!(
            "npm could not install drizzle-kit (offline?): its real output not checked\n{}",
            String::from_utf8_lossy(&install.stderr)
        );
        return;
    }
    std::fs::write(
        d.join("drizzle.config.ts"),
        "import { defineConfig } from \"drizzle-kit\";\nexport default defineConfig({ dialect: \"postgresql\", schema: \"./schema.ts\", out: \"./drizzle\" });\n",
    )
    .unwrap();
    let users = "import { pgTable, serial, text, integer, timestamp, index } from \"drizzle-orm/pg-core\";\n\nexport const users = pgTable(\"users\", {\n  id: serial(\"id\").primaryKey(),\n  email: text(\"email\").notNull(),\n});\n";
    let orders = "\nexport const orders = pgTable(\"orders\", {\n  id: serial(\"id\").primaryKey(),\n  userId: integer(\"user_id\").notNull().references(() => users.id),\n  createdAt: timestamp(\"created_at\", { withTimezone: true }).defaultNow(),\n}, (t) => [index(\"orders_user_id_idx\").on(t.userId).concurrently()]);\n";
    let generate = |schema: String, name: &str| {
        std::fs::write(d.join("schema.ts"), schema).unwrap();
        let out = Command::new("node")
            .current_dir(d)
            .args([
                "node_modules/drizzle-kit/bin.cjs",
                "generate",
                "--name",
                name,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "drizzle-kit generate: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    generate(users.to_string(), "init");
    generate(format!("{users}{orders}"), "orders");
    let out = d.join("drizzle");
    for f in ["0000_init.sql", "0001_orders.sql"] {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/layouts/drizzle");
        assert_eq!(
            std::fs::read_to_string(out.join(f)).unwrap(),
            std::fs::read_to_string(fixture.join(f)).unwrap(),
            "{f}: drizzle-kit writes another text than the fixture's"
        );
    }
    let (code, v, err) = ddlint(&[out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        summary(&v, out.to_str().unwrap()).trim(),
        "0000_init.sql [transaction] CREATE TABLE@1:1\n0001_orders.sql [transaction] CREATE TABLE@1:1, ALTER TABLE@7:1, CREATE INDEX CONCURRENTLY@8:1"
    );
    assert!(
        found(&v).contains(&(
            "no-transaction-block".to_string(),
            "0001_orders.sql".to_string(),
            8
        )),
        "{v}"
    );
}

fn which_npm() -> Result<std::path::PathBuf, ()> {
    let ok = |c: &str| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok("npm") && ok("node") {
        Ok("npm".into())
    } else {
        Err(())
    }
}

const ATLAS: &str = "
20240101000000_init.sql [transaction] CREATE TABLE@2:1
20240102000000_orders_created_at.sql [autocommit] CREATE INDEX CONCURRENTLY@4:1 (autocommit)
20240103000000_orders_note.sql [transaction] CREATE INDEX CONCURRENTLY@2:1
";

#[test]
fn atlas() {
    // Files by name beside atlas.sum, one transaction each; `-- atlas:txmode
    // none` is a directive only when an empty line detaches it from the
    // statement (20240103's is not, so its CONCURRENTLY fails); files in a
    // subdirectory are not run; atlas.sum matches.
    check("atlas", &[], ATLAS);
    check("atlas", &["--layout", "atlas"], ATLAS);
    let (_, v, _) = ddlint(&["fixtures/layouts/atlas"]);
    assert_eq!(
        found(&v),
        vec![(
            "no-transaction-block".to_string(),
            "20240103000000_orders_note.sql".to_string(),
            2
        )]
    );
    assert_eq!(
        skipped(&v, "fixtures/layouts/atlas"),
        vec![(
            "seed/orders.sql".to_string(),
            "atlas runs only the *.sql files directly in its migration directory (beside atlas.sum)".to_string()
        )]
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A file that no longer matches atlas.sum is `modified-applied-migration`
/// (atlas refuses to run, and databases that applied the old text would
/// never run the new one); only the first mismatch, as atlas reports it
/// (the hashes are cumulative). An atlas.sum atlas cannot read is an
/// error at its line.
#[test]
fn atlas_sum_mismatch_and_a_bad_sum_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("migrations");
    copy_dir(Path::new("fixtures/layouts/atlas"), &d);
    let p = d.to_str().unwrap();
    let modified = |v: &serde_json::Value| -> Vec<(String, u64, String)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "modified-applied-migration")
            .map(|f| {
                (
                    Path::new(f["path"].as_str().unwrap())
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    f["line"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let edit = d.join("20240101000000_init.sql");
    let original = std::fs::read_to_string(&edit).unwrap();
    std::fs::write(&edit, format!("{original}-- edited\n")).unwrap();
    let (code, v, err) = ddlint(&[p]);
    assert_eq!(code, 1, "{err}");
    let m = modified(&v);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!((m[0].0.as_str(), m[0].1), ("20240101000000_init.sql", 1));
    assert!(
        m[0].2
            .contains("atlas.sum (line 2) records another hash for this migration"),
        "{}",
        m[0].2
    );
    std::fs::write(&edit, &original).unwrap();
    // A new file atlas.sum does not list.
    std::fs::write(
        d.join("20240104000000_more.sql"),
        "ALTER TABLE \"orders\" ADD COLUMN \"total\" integer NULL;\n",
    )
    .unwrap();
    let (_, v, _) = ddlint(&[p]);
    let m = modified(&v);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, "20240104000000_more.sql");
    assert!(
        m[0].2.starts_with("this migration is not in "),
        "{}",
        m[0].2
    );
    std::fs::remove_file(d.join("20240104000000_more.sql")).unwrap();
    let (_, v, _) = ddlint(&[p]);
    assert!(modified(&v).is_empty(), "{v}");
    // atlas.sum itself: a line without a hash, then a first line that does
    // not sum the others.
    let sum = d.join("atlas.sum");
    let good = std::fs::read_to_string(&sum).unwrap();
    std::fs::write(&sum, good.replacen(" h1:", " ", 1)).unwrap();
    let (code, _, err) = ddlint(&[p]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}:2:1: not `<file> h1:<hash>`", sum.display())),
        "{err}"
    );
    std::fs::write(&sum, good.replacen("h1:", "h1:A", 1)).unwrap();
    let (code, _, err) = ddlint(&[p]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}:1:1: the sum on the first line", sum.display())),
        "{err}"
    );
    // Not text at all: still no panic, an error at its first line.
    std::fs::write(&sum, b"\xff\xfe\x00h1:\n").unwrap();
    let (code, _, err) = ddlint(&[p]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{}:1:1:", sum.display())), "{err}");
}

/// A checkpoint starts a new database: the files before it are not run.
/// `txmode all` in a file, or two txmode directives, are refused as atlas
/// refuses them.
#[test]
fn atlas_checkpoints_and_txmode_errors() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("atlas.sum"), "").unwrap();
    std::fs::write(d.join("1_a.sql"), "CREATE TABLE a (id int);\n").unwrap();
    std::fs::write(
        d.join("2_ck.sql"),
        "-- atlas:checkpoint v2\n\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
    )
    .unwrap();
    std::fs::write(d.join("3_c.sql"), "ALTER TABLE b ADD COLUMN n int;\n").unwrap();
    // An empty atlas.sum does not sum anything: refused.
    let (code, _, err) = ddlint(&[d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_file(d.join("atlas.sum")).unwrap();
    let (code, v, err) = ddlint(&["--layout", "atlas", d.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(
        summary(&v, d.to_str().unwrap()).trim(),
        "2_ck.sql [transaction] CREATE TABLE@3:1, CREATE TABLE@4:1\n3_c.sql [transaction] ALTER TABLE@1:1"
    );
    assert_eq!(
        skipped(&v, d.to_str().unwrap()),
        vec![("1_a.sql".to_string(), "before the checkpoint 2_ck.sql: atlas starts a new database from its last checkpoint, which holds what this file did".to_string())]
    );
    std::fs::write(
        d.join("3_c.sql"),
        "-- atlas:txmode all\n\nALTER TABLE b ADD COLUMN n int;\n",
    )
    .unwrap();
    let (code, _, err) = ddlint(&["--layout", "atlas", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("3_c.sql:1:1: `atlas:txmode all` is not allowed in a file"),
        "{err}"
    );
    std::fs::write(
        d.join("3_c.sql"),
        "-- atlas:txmode none\n# atlas:txmode file\n\nALTER TABLE b ADD COLUMN n int;\n",
    )
    .unwrap();
    let (code, _, err) = ddlint(&["--layout", "atlas", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("3_c.sql:2:1: a second `atlas:txmode` directive"),
        "{err}"
    );
}

const NODE_PG_MIGRATE: &str = "
1699000000000_orders.sql [transaction] CREATE TABLE@2:1
20231110090000000_orders_email.sql [transaction] ALTER TABLE@2:1
1700000000000_orders_created_at.sql [transaction] CREATE INDEX CONCURRENTLY@2:1
";

#[test]
fn node_pg_migrate() {
    // Ordered by numeric prefix as node-pg-migrate reads it: 17 digits are
    // a UTC time (2023-11-10 09:00, between the two millisecond
    // prefixes), not a bigger number. Up parts from `-- Up Migration`;
    // every migration in a transaction, so CONCURRENTLY fails.
    check("node-pg-migrate", &[], NODE_PG_MIGRATE);
    check(
        "node-pg-migrate",
        &["--layout", "node-pg-migrate", "--include-down"],
        "
1699000000000_orders.sql [transaction] CREATE TABLE@2:1
20231110090000000_orders_email.sql [transaction] ALTER TABLE@2:1
1700000000000_orders_created_at.sql [transaction] CREATE INDEX CONCURRENTLY@2:1
1700000000000_orders_created_at.sql [transaction] DROP INDEX CONCURRENTLY@5:1
20231110090000000_orders_email.sql [transaction] ALTER TABLE@5:1
1699000000000_orders.sql [transaction] DROP TABLE@5:1
",
    );
    let (_, v, _) = ddlint(&["fixtures/layouts/node-pg-migrate"]);
    assert!(
        found(&v).contains(&(
            "no-transaction-block".to_string(),
            "1700000000000_orders_created_at.sql".to_string(),
            2
        )),
        "{v}"
    );
    // What node-pg-migrate does not run, and why.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let m = "-- Up Migration\nSELECT 1;\n";
    for f in ["1_a.sql", "notes.sql", ".2_hidden.sql", "sub/3_b.sql"] {
        std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
        std::fs::write(d.join(f), m).unwrap();
    }
    let (_, v, err) = ddlint(&[d.to_str().unwrap()]);
    assert_eq!(
        summary(&v, d.to_str().unwrap()).trim(),
        "1_a.sql [transaction] SELECT@2:1",
        "{err}"
    );
    let reasons: Vec<(String, String)> = skipped(&v, d.to_str().unwrap());
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|(p, r)| p == ".2_hidden.sql" && r.contains("starts with `.`")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(p, r)| p == "notes.sql" && r.contains("Cannot determine numeric prefix")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(p, r)| p == "sub/3_b.sql" && r.contains("directly in its migrations directory")),
        "{reasons:?}"
    );
}

/// The three tools side by side in one directory: each project is found
/// from its markers (meta/_journal.json, atlas.sum, `-- Up Migration`)
/// and read as checking it alone does.
#[test]
fn drizzle_atlas_and_node_pg_migrate_side_by_side() {
    let t = tempfile::tempdir().unwrap();
    for l in ["drizzle", "atlas", "node-pg-migrate"] {
        copy_dir(
            &Path::new("fixtures/layouts").join(l),
            &t.path().join("services").join(l),
        );
    }
    let root = t.path().to_str().unwrap();
    let (code, v, err) = ddlint(&[root]);
    assert_eq!(code, 1, "{err}");
    let got = summary(&v, &format!("{root}/services"));
    let want: String = [
        ("atlas", ATLAS),
        ("drizzle", DRIZZLE),
        ("node-pg-migrate", NODE_PG_MIGRATE),
    ]
    .iter()
    .flat_map(|(l, s)| s.trim().lines().map(move |line| format!("{l}/{line}\n")))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn layouts_are_detected() {
    // Every fixture but the ambiguous golang-migrate/sqlx pair is detected
    // from names and markers alone (checked through the wrapping).
    for (dir, wrapping) in [
        ("goose", "transaction"),
        ("dbmate", "transaction"),
        ("prisma", "implicit-multi-statement"),
        ("sqitch", "autocommit"),
        ("diesel", "transaction"),
    ] {
        let (_, v, err) = ddlint(&[&format!("fixtures/layouts/{dir}")]);
        assert_eq!(v["files"][0]["wrapping"], wrapping, "{dir}: {err}");
    }
}

#[test]
fn substituted_text_reports_original_positions() {
    // `${flyway:defaultSchema}` becomes `public` (17 bytes shorter): the
    // statement still ends at the original column, and the text report
    // shows the original line.
    let (_, v, _) = ddlint(&[
        "--var",
        "reader=analyst",
        "fixtures/layouts/flyway/V1__init.sql",
    ]);
    let s = &v["files"][0]["statements"][0];
    assert_eq!(
        (s["line"].as_u64(), s["end_column"].as_u64()),
        (Some(1), Some(80))
    );
    // pop: `{{ index .Options "Namespace" }}` -> `identity`
    let (_, v, _) = ddlint(&[
        "--var",
        "Namespace=identity",
        "fixtures/layouts/pop/20240102000000_traits_idx.postgres.autocommit.up.sql",
    ]);
    let s = &v["files"][0]["statements"][0];
    assert_eq!(s["end_column"].as_u64(), Some(110));
    assert_eq!(s["locks"][0]["relation"], "identity.identities");
}

#[test]
fn stdin_with_a_filename() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "db/migrations/00042_index.sql",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- +goose Down\nDROP INDEX i;\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary(&v, ""),
        "db/migrations/00042_index.sql [autocommit] CREATE INDEX CONCURRENTLY@3:1 (autocommit)\n"
    );
}

#[test]
fn globs_are_expanded() {
    let (code, v, err) = ddlint(&["fixtures/layouts/goose/0000[12]_*.sql"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        summary(&v, "fixtures/layouts/goose"),
        "00001_init.sql [transaction] CREATE TABLE@2:1\n00002_index.sql [autocommit] CREATE INDEX CONCURRENTLY@3:1 (autocommit)\n"
    );
}

#[test]
fn shell_commands_are_reported_not_run() {
    let t = tempfile::tempdir().unwrap();
    let marker = t.path().join("ran");
    let script = format!(
        "\\set body `touch {m}`\n\\! touch {m}\nBEGIN;\nINSERT INTO pages VALUES (:'body');\nCOMMIT;\n",
        m = marker.display()
    );
    let f = t.path().join("deploy.sql");
    std::fs::write(&f, script).unwrap();
    let (code, v, err) = ddlint(&[f.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(!marker.exists(), "a shell command ran");
    let shell: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "psql-shell-command")
        .map(|x| {
            (
                x["line"].as_u64().unwrap(),
                x["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        shell,
        vec![(1, "warning".to_string()), (2, "warning".to_string())]
    );
    let s = &v["files"][0]["statements"][1];
    assert_eq!(
        (s["kind"].as_str(), s["line"].as_u64()),
        (Some("INSERT"), Some(4))
    );
}

/// psql notes are findings of real rules: an inline ignore on the line
/// (or the line above) and `ignore-file` suppress them, and are not
/// reported as unused.
#[test]
fn psql_findings_obey_inline_ignores() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("deploy.sql");
    let rules = |v: &serde_json::Value| -> Vec<(String, u64)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["rule"].as_str().unwrap().to_string(),
                    x["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    std::fs::write(
        &f,
        "-- ddlint: ignore psql-shell-command -- prints the date\n\\! date\n\\! uptime\n\\copy t FROM 'x.csv'\nSELECT 1;\n",
    )
    .unwrap();
    let (_, v, err) = ddlint(&[f.to_str().unwrap()]);
    assert_eq!(
        rules(&v),
        vec![
            ("psql-shell-command".to_string(), 3),
            ("psql-meta-command".to_string(), 4)
        ],
        "{err}"
    );
    std::fs::write(
        &f,
        "-- ddlint: ignore-file psql-shell-command, psql-meta-command\n\\! date\n\\copy t FROM 'x.csv'\nSELECT 1;\n",
    )
    .unwrap();
    let (_, v, err) = ddlint(&[f.to_str().unwrap()]);
    assert_eq!(rules(&v), vec![], "{err}");
}

#[test]
fn the_project_language_tells_sqlx_from_golang_migrate() {
    let t = tempfile::tempdir().unwrap();
    let rust = t.path().join("rust");
    let go = t.path().join("go");
    for (root, marker) in [(&rust, "Cargo.toml"), (&go, "go.mod")] {
        std::fs::create_dir_all(root.join("migrations")).unwrap();
        std::fs::write(root.join(marker), "").unwrap();
        std::fs::write(
            root.join("migrations/20240101000000_init.up.sql"),
            "CREATE TABLE t (id int);\n",
        )
        .unwrap();
    }
    std::fs::write(
        rust.join("migrations/20240102000000_more.up.sql"),
        "SELECT 1;\n",
    )
    .unwrap();
    let (_, v, err) = ddlint(&[rust.join("migrations").to_str().unwrap()]);
    assert_eq!(v["files"][0]["wrapping"], "transaction", "sqlx: {err}");
    let (_, v, err) = ddlint(&[go.join("migrations").to_str().unwrap()]);
    assert_eq!(
        v["files"][0]["wrapping"], "implicit-multi-statement",
        "golang-migrate: {err}"
    );
    // sqlx's simple (up-only) migrations in a Rust project
    let simple = rust.join("simple");
    std::fs::create_dir_all(&simple).unwrap();
    std::fs::write(
        simple.join("20240101000000_init.sql"),
        "CREATE TABLE s (id int);\n",
    )
    .unwrap();
    let (_, v, err) = ddlint(&[simple.to_str().unwrap()]);
    assert_eq!(
        v["files"][0]["wrapping"], "transaction",
        "sqlx simple: {err}"
    );
}

#[test]
fn fix_rewrites_the_original_file_not_the_parsed_text() {
    // The down part is blanked and the placeholder substituted for the
    // parser; --fix must edit the file as written.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("V1__t.sql"), "CREATE TABLE t (x int);\n").unwrap();
    std::fs::write(
        d.join("V2__i.sql"),
        "-- flyway:executeInTransaction=false\nCREATE INDEX i ON ${flyway:defaultSchema}.t (x);\n",
    )
    .unwrap();
    std::fs::write(d.join("U2__i.sql"), "DROP INDEX i;\n").unwrap();
    let (code, _, err) = ddlint(&["--fix", d.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(err.contains("fixed"), "{err}");
    let fixed = std::fs::read_to_string(d.join("V2__i.sql")).unwrap();
    assert!(
        fixed.starts_with("-- flyway:executeInTransaction=false\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains("CREATE INDEX CONCURRENTLY i ON ${flyway:defaultSchema}.t (x);"),
        "{fixed}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("U2__i.sql")).unwrap(),
        "DROP INDEX i;\n"
    );
    let (code, _, err) = ddlint(&["--fix", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot rewrite stdin"), "{err}");
}

/// A COMMIT or ROLLBACK inside the transaction a tool wraps the file in
/// ends it early (checked on a real server for the implicit multi-statement
/// case: the COMMIT commits, the ROLLBACK discards, the rest runs on): each
/// is an `ends-transaction-early` finding at its line; a COMMIT of a
/// transaction the file began itself is not.
#[test]
fn commit_or_rollback_inside_the_tools_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    // goose: one transaction per file.
    write(
        "001_a.sql",
        "-- +goose Up\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
    );
    write(
        "002_b.sql",
        "-- +goose Up\nALTER TABLE a ADD COLUMN n int;\nROLLBACK;\n",
    );
    let p = dir.path().to_str().unwrap();
    let (code, v, err) = ddlint(&[p]);
    assert_eq!(code, 1, "{err}");
    let found: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ends-transaction-early")
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            (
                Path::new(path)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![("001_a.sql".to_string(), 3), ("002_b.sql".to_string(), 3)]
    );
    // golang-migrate: one implicit transaction per file; a file that
    // manages its own BEGIN/COMMIT is fine.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("1_a.up.sql"),
        "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("2_b.up.sql"),
        "CREATE TABLE b (id int);\nCOMMIT;\nCREATE TABLE c (id int);\n",
    )
    .unwrap();
    let p = dir.path().to_str().unwrap();
    let (_, v, _) = ddlint(&[p]);
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ends-transaction-early")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2], "{v}");
}

/// golang-migrate (and dbmate without a transaction, pop's `.autocommit.`)
/// send a file as one query string; PostgreSQL groups statements into an
/// implicit transaction block only when the string holds several
/// (exec_simple_query), so CREATE INDEX CONCURRENTLY alone in a file runs
/// (checked on PostgreSQL 15 with psql -c) and next to another statement
/// fails.
#[test]
fn a_lone_statement_in_an_implicit_multi_statement_file_runs_outside_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("1_t.up.sql", "CREATE TABLE t (a int, b int);\n");
    write(
        "2_idx.up.sql",
        "-- a comment is not a statement\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n",
    );
    write(
        "3_idx.up.sql",
        "CREATE INDEX CONCURRENTLY t_b ON t (b);\nSELECT 1;\n",
    );
    let p = dir.path().to_str().unwrap();
    let (_, v, err) = ddlint(&["--layout", "golang-migrate", p]);
    let files: Vec<(String, bool)> = v["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{err}"))
        .iter()
        .map(|f| {
            (
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["statements"][0]["in_transaction"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            ("1_t.up.sql".to_string(), false),
            ("2_idx.up.sql".to_string(), false),
            ("3_idx.up.sql".to_string(), true)
        ]
    );
    let flagged: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "no-transaction-block")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(flagged[0].ends_with("3_idx.up.sql"));
}
