//! The migration tools' history tables: `ddlint status` (the deploy gate)
//! and `dry-run --db` running only what is pending.
//!
//! Real tools where a registry this project reaches ships them: dbmate,
//! graphile-migrate and node-pg-migrate from npm, Alembic and Django from
//! PyPI, Liquibase from npm (with the machine's Java) apply the migrations,
//! then ddlint reads their tables (pending, applied, an edited applied
//! file, a migration running in another session). Tools that cannot run
//! here (golang-migrate, goose, flyway, sqlx, prisma, diesel, sqitch,
//! sql-migrate, pop, atlas need Go, a Rust build, Perl modules or downloads
//! outside the registries) get their tables created as their source
//! defines them,
//! rows written as the tool writes them, checksums computed by independent
//! programs (Python's zlib and hashlib).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::pg::PgServer;

fn required() -> bool {
    std::env::var("DDLINT_REQUIRE_PG").is_ok_and(|v| v == "1")
}

fn server() -> Option<PgServer> {
    match PgServer::start(15) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(!required(), "PostgreSQL 15 is required: {e}");
            eprintln!("skipped: no PostgreSQL 15 ({e})");
            None
        }
    }
}

/// dbmate, graphile-migrate and node-pg-migrate from npm, installed once
/// per target dir.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("history-tools");
    let bin = dir.join("node_modules/.bin");
    if ["dbmate", "graphile-migrate", "node-pg-migrate"]
        .iter()
        .all(|b| bin.join(b).exists())
    {
        return Some(bin);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            dir.to_str().unwrap(),
            "dbmate@2.36.0",
            "graphile-migrate@1.4.1",
            "node-pg-migrate@9.0.0",
            "pg@8.23.1",
        ])
        .output();
    match o {
        Ok(o) if o.status.success() => Some(bin),
        other => {
            assert!(
                !required(),
                "npm install dbmate graphile-migrate node-pg-migrate failed: {other:?}"
            );
            eprintln!("skipped: cannot install the npm tools: {other:?}");
            None
        }
    }
}

fn ddlint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ddlint")
}

fn status(dir: &Path, db: &str, path: &str) -> (i32, Value) {
    // The directory name says which tool (sqlx's N_name.sql alone does not).
    let mut args = vec![
        "status",
        "--no-config",
        "--db",
        db,
        "--format",
        "json",
        path,
    ];
    let first = path.split('/').next().unwrap_or(path);
    if [
        "sqlx",
        "diesel",
        "sqitch",
        "sql-migrate",
        "pop",
        "atlas",
        "flyway",
    ]
    .contains(&first)
    {
        args.extend(["--layout", first]);
    }
    let o = ddlint_in(dir, &args);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap(), v)
}

fn states(v: &Value) -> Vec<(String, String)> {
    v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["migrations"].as_array().unwrap().iter())
        .map(|m| {
            let path = m["path"].as_str().unwrap();
            let name = path.rsplit('/').next().unwrap().to_string();
            (name, m["state"].as_str().unwrap().to_string())
        })
        .collect()
}

fn database(pg: &PgServer, name: &str) -> String {
    pg.connect()
        .unwrap()
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    pg.conn_string(name)
}

/// `postgres://` URL of a database, for the tools.
fn url(pg: &PgServer, name: &str) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{}/{name}?sslmode=disable",
        pg.port
    )
}

#[test]
fn dbmate_pending_running_and_the_gate() {
    let Some(pg) = server() else { return };
    let Some(bin) = tools() else { return };
    let db = database(&pg, "dbm");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("db/migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(
        m.join("20240101000000_init.sql"),
        "-- migrate:up\nCREATE TABLE t (id bigint PRIMARY KEY, v text);\n-- migrate:down\nDROP TABLE t;\n",
    )
    .unwrap();
    std::fs::write(
        m.join("20240102000000_index.sql"),
        "-- migrate:up\nCREATE INDEX t_v ON t (v);\n-- migrate:down\nDROP INDEX t_v;\n",
    )
    .unwrap();
    let dbmate = |args: &[&str]| {
        let o = Command::new(bin.join("dbmate"))
            .args(["--no-dump-schema"])
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", url(&pg, "dbm"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "dbmate: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    dbmate(&["up"]);
    std::fs::write(
        m.join("20240103000000_column.sql"),
        "-- migrate:up\nALTER TABLE t ADD COLUMN w int;\n-- migrate:down\nALTER TABLE t DROP COLUMN w;\n",
    )
    .unwrap();

    let (code, v) = status(dir.path(), &db, "db/migrations");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["status"], "pending");
    assert_eq!(
        states(&v),
        [
            ("20240101000000_init.sql".into(), "applied".into()),
            ("20240102000000_index.sql".into(), "applied".into()),
            ("20240103000000_column.sql".into(), "pending".into()),
        ]
    );
    assert_eq!(v["projects"][0]["table"], "schema_migrations");

    // dry-run --db runs exactly the pending migration.
    let o = ddlint_in(
        dir.path(),
        &[
            "dry-run",
            "--no-config",
            "--db",
            &db,
            "--format",
            "json",
            "db/migrations",
        ],
    );
    let run: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{run:#}");
    let ran: Vec<&str> = run["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["statements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s.get("status").is_some())
        })
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["db/migrations/20240103000000_column.sql"], "{run:#}");
    assert!(run
        .to_string()
        .contains("lists 2 of the 3 file(s) given as applied"));

    // Everything applied; then a migration running in another session:
    // exit 1 while it runs, 0 after.
    dbmate(&["up"]);
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let holder = std::thread::spawn(move || {
        c.batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT")
            .unwrap();
    });
    std::thread::sleep(Duration::from_millis(500));
    let (code, v) = status(dir.path(), &db, "db/migrations");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["status"], "running", "{v:#}");
    let r = &v["running"][0];
    assert!(
        r["holds"].to_string().contains("AccessExclusiveLock on t"),
        "{r:#}"
    );
    holder.join().unwrap();
    let (code, v) = status(dir.path(), &db, "db/migrations");
    assert_eq!(code, 0, "{v:#}");
    // The text report says what to do.
    let o = ddlint_in(
        dir.path(),
        &["status", "--no-config", "--db", &db, "db/migrations"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("safe to promote (exit 0)"), "{text}");
    assert!(
        text.contains("schema_migrations records no checksums"),
        "{text}"
    );

    // The wrong database: no table, cannot tell.
    let other = database(&pg, "empty");
    let (code, v) = status(dir.path(), &other, "db/migrations");
    assert_eq!(code, 3);
    assert!(v["problems"][0]
        .as_str()
        .unwrap()
        .contains("no schema_migrations table"));
}

#[test]
fn graphile_migrate_hashes_and_an_edited_migration() {
    let Some(pg) = server() else { return };
    let Some(bin) = tools() else { return };
    let db = database(&pg, "gm");
    let dir = tempfile::tempdir().unwrap();
    let committed = dir.path().join("migrations/committed");
    std::fs::create_dir_all(&committed).unwrap();
    std::fs::write(
        dir.path().join(".gmrc"),
        format!("{{ \"connectionString\": \"{}\" }}", url(&pg, "gm")),
    )
    .unwrap();
    // Committed migrations with their headers, hashed by Python's hashlib
    // as graphile-migrate's src/hash.ts does (graphile-migrate checks it).
    let py = Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import hashlib, sys
d = sys.argv[1]
def h(body, prev):
    return "sha1:" + hashlib.sha1((((prev or "") + "\n" + body).strip() + "\n").encode()).hexdigest()
prev = None
for i, body in enumerate(["create table t (id bigint primary key, v text);\n", "create index t_v on t (v);\n"], 1):
    cur = h(body, prev)
    open(f"{d}/{i:06}.sql", "w").write(f"--! Previous: {prev or '-'}\n--! Hash: {cur}\n\n{body}")
    prev = cur
"#,
        )
        .arg(&committed)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let o = Command::new(bin.join("graphile-migrate"))
        .arg("migrate")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "graphile-migrate: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let (code, v) = status(dir.path(), &db, "migrations");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(
        states(&v),
        [
            ("000001.sql".into(), "applied".into()),
            ("000002.sql".into(), "applied".into())
        ]
    );
    // Edited after it ran: graphile-migrate would refuse; ddlint says so
    // with both hashes, without git.
    let f = committed.join("000002.sql");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace("(v)", "(v, id)")).unwrap();
    let (code, v) = status(dir.path(), &db, "migrations");
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["status"], "changed");
    let m = &v["projects"][0]["migrations"][1];
    assert_eq!(m["state"], "changed");
    assert!(m["recorded_checksum"]
        .as_str()
        .unwrap()
        .starts_with("sha1:"));
    assert_ne!(m["recorded_checksum"], m["file_checksum"]);

    // dry-run --db: the same mismatch is a modified-applied-migration
    // error at the file's first line, with both hashes, and fails the run;
    // the edited file is not run, the pending current.sql is.
    std::fs::write(
        dir.path().join("migrations/current.sql"),
        "create table u (id bigint);\n",
    )
    .unwrap();
    let (code, run) = dry_run(dir.path(), &db, "migrations");
    assert_eq!(code, 1, "{run:#}");
    let f: Vec<&Value> = run["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "modified-applied-migration")
        .collect();
    assert_eq!(f.len(), 1, "{run:#}");
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["path"], "migrations/committed/000002.sql");
    assert_eq!(f[0]["line"], 1);
    let message = f[0]["message"].as_str().unwrap();
    for hash in [&m["recorded_checksum"], &m["file_checksum"]] {
        assert!(message.contains(hash.as_str().unwrap()), "{message}");
    }
    assert_eq!(ran_sql(dir.path(), &run), ["create table u (id bigint);"]);
    // Nothing pending: the mismatch is the error, with where and what.
    std::fs::remove_file(dir.path().join("migrations/current.sql")).unwrap();
    let o = ddlint_in(
        dir.path(),
        &["dry-run", "--no-config", "--db", &db, "migrations"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("migrations/committed/000002.sql:1: graphile_migrate.migrations on the target records this migration as applied"),
        "{err}"
    );
}

/// Python computes what the tools store (independent of ddlint's code).
fn python(code: &str, file: &Path) -> String {
    let o = Command::new("python3")
        .arg("-c")
        .arg(code)
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

const FLYWAY_CRC: &str = r#"
import sys, zlib
text = open(sys.argv[1], encoding="utf-8").read()
if text.startswith("\ufeff"): text = text[1:]
crc = 0
for line in text.splitlines():
    crc = zlib.crc32(line.encode(), crc)
print(crc - (1 << 32) if crc >= (1 << 31) else crc)
"#;
/// flyway's history table as `JdbcTableSchemaHistory` creates it on
/// PostgreSQL.
const FLYWAY_TABLE: &str = "CREATE TABLE flyway_schema_history (installed_rank int NOT NULL PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
     type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
     installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL)";
const SHA384: &str =
    "import sys, hashlib; print(hashlib.sha384(open(sys.argv[1], 'rb').read()).hexdigest())";
const SHA256: &str =
    "import sys, hashlib; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())";

#[test]
fn tables_of_the_tools_that_cannot_run_here() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| -> PathBuf {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    };

    // golang-migrate: one row, the current version; dirty = failed.
    write("gm/000001_init.up.sql", "CREATE TABLE a (id int);\n");
    write("gm/000002_more.up.sql", "ALTER TABLE a ADD COLUMN b int;\n");
    write("gm/000003_last.up.sql", "ALTER TABLE a ADD COLUMN c int;\n");
    let db = database(&pg, "golang");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // database/postgres/postgres.go ensureVersionTable.
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (2, false);",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "gm");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v).into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        ["applied", "applied", "pending"]
    );
    c.batch_execute("UPDATE schema_migrations SET version = 3, dirty = true")
        .unwrap();
    let (code, v) = status(dir.path(), &db, "gm");
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["status"], "failed");
    assert!(v.to_string().contains("migrate force"), "{v:#}");

    // goose: the newest row per version decides (a rollback writes
    // is_applied = false).
    write(
        "goose/00001_a.sql",
        "-- +goose Up\nCREATE TABLE g (id int);\n",
    );
    write(
        "goose/00002_b.sql",
        "-- +goose Up\nALTER TABLE g ADD COLUMN x int;\n",
    );
    let db = database(&pg, "goose");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
         INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (2, false);",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "goose");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v).into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        ["applied", "pending"]
    );

    // flyway: CRC32 of the lines; success = false is failed.
    let v1 = write(
        "fw/V1__init.sql",
        "CREATE TABLE f (id int);\r\nCREATE TABLE f2 (id int);\r\n",
    );
    let v2 = write("fw/V2__more.sql", "ALTER TABLE f ADD COLUMN x int;\n");
    let db = database(&pg, "flyway");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let crc1: i32 = python(FLYWAY_CRC, &v1).parse().unwrap();
    let crc2: i32 = python(FLYWAY_CRC, &v2).parse().unwrap();
    c.batch_execute(FLYWAY_TABLE).unwrap();
    c.execute(
        "INSERT INTO flyway_schema_history VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', $1, 'me', now(), 5, true),
                                                  (2, '2', 'more', 'SQL', 'V2__more.sql', $2, 'me', now(), 5, true)",
        &[&crc1, &crc2],
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "fw");
    assert_eq!(code, 0, "{v:#}");
    std::fs::write(&v2, "ALTER TABLE f ADD COLUMN x bigint;\n").unwrap();
    let (code, v) = status(dir.path(), &db, "fw");
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(
        v["projects"][0]["migrations"][1]["recorded_checksum"],
        crc2.to_string()
    );

    // sqlx: SHA-384 of the file.
    let s1 = write("sqlx/20240101000000_init.sql", "CREATE TABLE s (id int);\n");
    write(
        "sqlx/20240102000000_more.sql",
        "ALTER TABLE s ADD COLUMN x int;\n",
    );
    let db = database(&pg, "sqlx");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
           installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL,
           execution_time BIGINT NOT NULL)",
    )
    .unwrap();
    let sha = python(SHA384, &s1);
    c.execute(
        "INSERT INTO _sqlx_migrations VALUES (20240101000000, 'init', now(), true, decode($1, 'hex'), 1)",
        &[&sha],
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "sqlx");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v).into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        ["applied", "pending"]
    );
    c.batch_execute("UPDATE _sqlx_migrations SET success = false")
        .unwrap();
    let (code, _) = status(dir.path(), &db, "sqlx");
    assert_eq!(code, 2);

    // prisma: SHA-256 of migration.sql; finished_at NULL is failed.
    let p1 = write(
        "prisma/migrations/20240101000000_init/migration.sql",
        "CREATE TABLE p (id int);\n",
    );
    write(
        "prisma/migrations/migration_lock.toml",
        "provider = \"postgresql\"\n",
    );
    let db = database(&pg, "prisma");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE TABLE \"_prisma_migrations\" (\"id\" VARCHAR(36) PRIMARY KEY NOT NULL, \"checksum\" VARCHAR(64) NOT NULL,
           \"finished_at\" TIMESTAMPTZ, \"migration_name\" VARCHAR(255) NOT NULL, \"logs\" TEXT, \"rolled_back_at\" TIMESTAMPTZ,
           \"started_at\" TIMESTAMPTZ NOT NULL DEFAULT now(), \"applied_steps_count\" INTEGER NOT NULL DEFAULT 0)",
    )
    .unwrap();
    let sha = python(SHA256, &p1);
    c.execute(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('x', $1, now(), '20240101000000_init')",
        &[&sha],
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "prisma/migrations");
    assert_eq!(code, 0, "{v:#}");
    c.batch_execute("UPDATE _prisma_migrations SET finished_at = NULL")
        .unwrap();
    let (code, v) = status(dir.path(), &db, "prisma/migrations");
    assert_eq!(code, 2, "{v:#}");
    assert!(v.to_string().contains("prisma migrate resolve"));

    // The tool's table is not on this database: cannot tell.
    write(
        "lb/changelog.sql",
        "--liquibase formatted sql\n--changeset me:1\nCREATE TABLE l (id int);\n",
    );
    let (code, v) = status(dir.path(), &db, "lb");
    assert_eq!(code, 3, "{v:#}");
    assert!(
        v.to_string().contains("no databasechangelog table"),
        "{v:#}"
    );
    // No connection: cannot tell.
    let (code, _) = status(
        dir.path(),
        "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=2",
        "sqlx",
    );
    assert_eq!(code, 3);
}

/// Alembic and Django (with psycopg2) from PyPI, in a virtualenv made once
/// per target dir: its `bin` directory.
fn python_tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("history-python");
    let bin = dir.join("bin");
    let ready = dir.join("ready");
    if ready.exists() {
        return Some(bin);
    }
    let run = |cmd: &mut Command| match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).into_owned()),
        Err(e) => Err(e.to_string()),
    };
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&dir)).and_then(|_| {
        run(Command::new(bin.join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "alembic==1.20.1",
            "Django==5.2.19",
            "psycopg2-binary==2.9.13",
        ]))
    });
    match made {
        Ok(()) => {
            std::fs::write(&ready, "").unwrap();
            Some(bin)
        }
        Err(e) => {
            assert!(
                !required(),
                "pip install alembic Django psycopg2-binary failed: {e}"
            );
            eprintln!("skipped: cannot install alembic/Django: {e}");
            None
        }
    }
}

/// Runs a tool in `dir`, asserting it succeeds; its stdout.
fn tool(dir: &Path, program: &Path, args: &[&str]) -> String {
    let o = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Each migration's key and state.
fn keyed(v: &Value) -> Vec<(String, String)> {
    v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["migrations"].as_array().unwrap().iter())
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The first line of each statement a dry-run ran (read from its file).
fn ran_sql(dir: &Path, run: &Value) -> Vec<String> {
    run["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(dir.join(f["path"].as_str().unwrap())).unwrap();
            f["statements"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s.get("status").is_some())
                .map(|s| {
                    let line = s["line"].as_u64().unwrap() as usize;
                    text.lines().nth(line - 1).unwrap().trim().to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn dry_run(dir: &Path, db: &str, path: &str) -> (i32, Value) {
    let o = ddlint_in(
        dir,
        &[
            "dry-run",
            "--no-config",
            "--db",
            db,
            "--format",
            "json",
            path,
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap(), v)
}

#[test]
fn alembic_revisions_of_an_offline_script() {
    let Some(pg) = server() else { return };
    let Some(bin) = python_tools() else { return };
    let db = database(&pg, "alm");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let alembic = bin.join("alembic");
    tool(d, &alembic, &["init", "-t", "generic", "al"]);
    let ini = std::fs::read_to_string(d.join("alembic.ini")).unwrap();
    let ini: String = ini
        .lines()
        .map(|l| {
            if l.starts_with("sqlalchemy.url") {
                format!(
                    "sqlalchemy.url = postgresql+psycopg2://postgres@127.0.0.1:{}/alm",
                    pg.port
                )
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(d.join("alembic.ini"), ini).unwrap();
    let revision = |rev: &str, down: &str, up: &str| {
        std::fs::write(
            d.join(format!("al/versions/{rev}.py")),
            format!(
                "from alembic import op\nimport sqlalchemy as sa\nrevision = {rev:?}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\ndef upgrade():\n    {up}\n\ndef downgrade():\n    pass\n"
            ),
        )
        .unwrap();
    };
    revision(
        "a1",
        "None",
        "op.create_table('t', sa.Column('id', sa.BigInteger, primary_key=True), sa.Column('v', sa.Text))",
    );
    revision("b2", "'a1'", "op.execute('CREATE INDEX t_v ON t (v)')");
    revision(
        "c3",
        "'b2'",
        "op.add_column('t', sa.Column('w', sa.Integer))",
    );
    // The offline script of the whole chain, as a deploy would review it.
    let sql = tool(d, &alembic, &["upgrade", "head", "--sql"]);
    assert!(sql.contains("-- Running upgrade a1 -> b2"), "{sql}");
    std::fs::create_dir_all(d.join("sql")).unwrap();
    std::fs::write(d.join("sql/upgrade.sql"), &sql).unwrap();
    // The database has the first revision only.
    tool(d, &alembic, &["upgrade", "a1"]);

    let (code, v) = status(d, &db, "sql");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["projects"][0]["tool"], "alembic");
    assert_eq!(v["projects"][0]["table"], "alembic_version");
    assert_eq!(
        keyed(&v),
        [
            ("a1".into(), "applied".into()),
            ("b2".into(), "pending".into()),
            ("c3".into(), "pending".into()),
        ]
    );
    let line = |key: &str| {
        sql.lines()
            .position(|l| l.starts_with("-- Running upgrade") && l.ends_with(&format!("> {key}")))
            .unwrap()
            + 1
    };
    assert_eq!(v["projects"][0]["migrations"][1]["line"], line("b2"));
    let o = ddlint_in(d, &["status", "--no-config", "--db", &db, "sql"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("pending  sql/upgrade.sql:{} (b2)", line("b2"))),
        "{text}"
    );

    // dry-run runs b2 and c3 in the script's transaction, not a1.
    let (code, run) = dry_run(d, &db, "sql");
    assert_eq!(code, 0, "{run:#}");
    let ran = ran_sql(d, &run);
    assert!(
        ran.iter().any(|s| s.starts_with("CREATE INDEX t_v")),
        "{ran:?}"
    );
    assert!(
        ran.iter()
            .any(|s| s.starts_with("ALTER TABLE t ADD COLUMN w")),
        "{ran:?}"
    );
    assert!(
        !ran.iter()
            .any(|s| s.contains("CREATE TABLE") || s.contains("INSERT INTO alembic_version")),
        "{ran:?}"
    );
    assert!(ran.iter().any(|s| s.starts_with("BEGIN")), "{ran:?}");
    assert!(
        run.to_string()
            .contains("lists 1 of the 3 revision(s) given as applied"),
        "{run:#}"
    );
    // ... and leaves the database as it was.
    let (_, v) = status(d, &db, "sql");
    assert_eq!(keyed(&v)[1].1, "pending");

    tool(d, &alembic, &["upgrade", "head"]);
    let (code, v) = status(d, &db, "sql");
    assert_eq!(code, 0, "{v:#}");
    assert!(keyed(&v).iter().all(|(_, s)| s == "applied"), "{v:#}");

    // A head no file names: which revisions it includes cannot be told.
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE alembic_version SET version_num = 'f00d'")
        .unwrap();
    let (code, v) = status(d, &db, "sql");
    assert_eq!(code, 3, "{v:#}");
    assert!(v["problems"][0].as_str().unwrap().contains("f00d"), "{v:#}");
}

#[test]
fn django_sqlmigrate_files_by_app_and_name() {
    let Some(pg) = server() else { return };
    let Some(bin) = python_tools() else { return };
    let _ = database(&pg, "dj");
    let db = pg.conn_string("dj");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |rel: &str, text: &str| {
        let p = d.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "manage.py",
        "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    );
    write(
        "settings.py",
        &format!(
            "SECRET_KEY = 'x'\nUSE_TZ = True\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n\
             INSTALLED_APPS = ['django.contrib.contenttypes', 'shop']\n\
             DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', 'NAME': 'dj', 'USER': 'postgres', 'HOST': '127.0.0.1', 'PORT': '{}'}}}}\n",
            pg.port
        ),
    );
    write("shop/__init__.py", "");
    write("shop/migrations/__init__.py", "");
    write(
        "shop/migrations/0001_initial.py",
        "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(name='Item', fields=[\n            ('id', models.BigAutoField(primary_key=True, serialize=False)),\n            ('name', models.TextField()),\n        ]),\n    ]\n",
    );
    write(
        "shop/migrations/0002_item_price.py",
        "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n    operations = [\n        migrations.AddField(model_name='item', name='price', field=models.IntegerField(null=True)),\n    ]\n",
    );
    let python = bin.join("python");
    for name in ["0001_initial", "0002_item_price"] {
        let sql = tool(d, &python, &["manage.py", "sqlmigrate", "shop", name]);
        write(&format!("sql/shop/{name}.sql"), &sql);
    }
    // contenttypes' rows are in django_migrations too: not this project's.
    tool(d, &python, &["manage.py", "migrate", "contenttypes"]);
    tool(d, &python, &["manage.py", "migrate", "shop", "0001"]);

    let (code, v) = status(d, &db, "sql");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["projects"][0]["tool"], "django");
    assert_eq!(v["projects"][0]["table"], "django_migrations");
    assert_eq!(
        keyed(&v),
        [
            ("shop/0001_initial".into(), "applied".into()),
            ("shop/0002_item_price".into(), "pending".into()),
        ]
    );
    assert!(v["projects"][0].get("unknown_rows").is_none(), "{v:#}");

    let (code, run) = dry_run(d, &db, "sql");
    assert_eq!(code, 0, "{run:#}");
    let ran = ran_sql(d, &run);
    assert!(
        ran.iter().any(|s| s.contains("ADD COLUMN \"price\"")),
        "{ran:?}"
    );
    assert!(!ran.iter().any(|s| s.contains("CREATE TABLE")), "{ran:?}");

    tool(d, &python, &["manage.py", "migrate"]);
    let (code, v) = status(d, &db, "sql");
    assert_eq!(code, 0, "{v:#}");
}

/// Liquibase 4.28 (Apache-2.0) from npm, which bundles the distribution
/// and PostgreSQL's JDBC driver; it needs a Java runtime on PATH. Its
/// `liquibase` script.
fn liquibase() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("history-liquibase");
    let script = dir.join("node_modules/liquibase/dist/liquibase/liquibase");
    let java = Command::new("java").arg("-version").output();
    if !java.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(!required(), "Liquibase needs java on PATH: {java:?}");
        eprintln!("skipped: no java for Liquibase");
        return None;
    }
    if script.exists() {
        return Some(script);
    }
    std::fs::create_dir_all(&dir).unwrap();
    let o = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg("liquibase@4.28.1")
        .output();
    match o {
        Ok(o) if o.status.success() && script.exists() => Some(script),
        other => {
            assert!(!required(), "npm install liquibase failed: {other:?}");
            eprintln!("skipped: cannot install liquibase: {other:?}");
            None
        }
    }
}

#[test]
fn liquibase_changesets_of_a_formatted_changelog() {
    let Some(pg) = server() else { return };
    let Some(lb) = liquibase() else { return };
    let db = database(&pg, "lqb");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("db")).unwrap();
    let changelog = "--liquibase formatted sql\n\n\
        --changeset alice:1\nCREATE TABLE l (id bigint PRIMARY KEY, v text);\n--rollback DROP TABLE l;\n\n\
        --changeset alice:2\nCREATE INDEX l_v ON l (v);\n\n\
        --changeset bob:3 runInTransaction:false\n-- w is the weight\nALTER TABLE l\n  ADD COLUMN w int;\n\n\
        --changeset bob:4 dbms:mysql\nSELECT 1;\n";
    std::fs::write(d.join("db/changelog.sql"), changelog).unwrap();
    let liquibase = |args: &[&str]| {
        let url = format!("--url=jdbc:postgresql://127.0.0.1:{}/lqb", pg.port);
        let mut all = vec![
            url.as_str(),
            "--username=postgres",
            "--search-path=db",
            "--changelog-file=changelog.sql",
            "--show-banner=false",
        ];
        all.extend(args);
        tool(d, &lb, &all)
    };
    liquibase(&["update-count", "--count=1"]);

    let (code, v) = status(d, &db, "db");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["projects"][0]["tool"], "liquibase");
    assert_eq!(v["projects"][0]["table"], "databasechangelog");
    // One row per changeset, keyed as Liquibase identifies it; the
    // changeset for MySQL is not one Liquibase runs here.
    assert_eq!(
        keyed(&v),
        [
            ("changelog.sql::1::alice".into(), "applied".into()),
            ("changelog.sql::2::alice".into(), "pending".into()),
            ("changelog.sql::3::bob".into(), "pending".into()),
        ]
    );
    assert_eq!(v["projects"][0]["migrations"][1]["line"], 7);

    let (code, run) = dry_run(d, &db, "db");
    assert_eq!(code, 0, "{run:#}");
    assert_eq!(
        ran_sql(d, &run),
        ["CREATE INDEX l_v ON l (v);", "ALTER TABLE l"]
    );
    assert!(
        run.to_string()
            .contains("lists 1 of the 3 changeset(s) given as applied"),
        "{run:#}"
    );

    // Every changeset applied, and each checksum as Liquibase computed it
    // (a difference would be "changed").
    liquibase(&["update"]);
    let (code, v) = status(d, &db, "db");
    assert_eq!(code, 0, "{v:#}");

    // An applied changeset edited, a new one added: Liquibase refuses
    // (validation fails on the MD5SUM); status and dry-run say so at the
    // changeset's line, and dry-run still runs the new one.
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let recorded: String = c
        .query_one("SELECT md5sum FROM databasechangelog WHERE id = '2'", &[])
        .unwrap()
        .get(0);
    let edited = changelog.replace("ON l (v);", "ON l (v, id);")
        + "\n--changeset carol:5\nCREATE TABLE m (id int);\n";
    std::fs::write(d.join("db/changelog.sql"), edited).unwrap();
    let (code, v) = status(d, &db, "db");
    assert_eq!(code, 2, "{v:#}");
    let m = &v["projects"][0]["migrations"][1];
    assert_eq!(m["state"], "changed", "{v:#}");
    assert_eq!(m["recorded_checksum"], recorded.as_str());
    let (code, run) = dry_run(d, &db, "db");
    assert_eq!(code, 1, "{run:#}");
    let f = run["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "modified-applied-migration")
        .unwrap_or_else(|| panic!("{run:#}"));
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64()),
        (Some("db/changelog.sql"), Some(7))
    );
    assert!(f["message"].as_str().unwrap().contains(&recorded), "{f:#}");
    assert_eq!(ran_sql(d, &run), ["CREATE TABLE m (id int);"]);
    let o = Command::new(&lb)
        .args([
            &format!("--url=jdbc:postgresql://127.0.0.1:{}/lqb", pg.port),
            "--username=postgres",
            "--search-path=db",
            "--changelog-file=changelog.sql",
            "validate",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!o.status.success(), "Liquibase accepts the edit after all");
}

#[test]
fn more_tables_of_the_tools_that_cannot_run_here() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| -> PathBuf {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    };
    let only_states =
        |v: &Value| -> Vec<String> { states(v).into_iter().map(|(_, s)| s).collect() };

    // diesel: the version is the directory name before `_` without `-`;
    // `diesel setup` records its own 00000000000000 migration.
    write(
        "diesel/00000000000000_diesel_initial_setup/up.sql",
        "CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;\n",
    );
    write(
        "diesel/00000000000000_diesel_initial_setup/down.sql",
        "DROP FUNCTION diesel_set_updated_at();\n",
    );
    write(
        "diesel/2024-01-01-000000_init/up.sql",
        "CREATE TABLE d (id int);\n",
    );
    write("diesel/2024-01-01-000000_init/down.sql", "DROP TABLE d;\n");
    write(
        "diesel/2024-02-01-000000_more/up.sql",
        "ALTER TABLE d ADD COLUMN x int;\n",
    );
    write(
        "diesel/2024-02-01-000000_more/down.sql",
        "ALTER TABLE d DROP COLUMN x;\n",
    );
    let db = database(&pg, "diesel");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // diesel_migrations `CREATE_MIGRATIONS_TABLE`.
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL,
           run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
         INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20240101000000'), ('20231201000000');",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "diesel");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(only_states(&v), ["applied", "applied", "pending"], "{v:#}");
    // A row no file names (a migration deleted, or another branch's).
    assert_eq!(
        v["projects"][0]["unknown_rows"][0], "20231201000000",
        "{v:#}"
    );

    // sqitch: changes by name in the registry schema; a revert deletes
    // the row.
    write(
        "sqitch/sqitch.plan",
        "%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T00:00:00Z Me <me@example.com> # users\nflips [users] 2024-01-02T00:00:00Z Me <me@example.com> # flips\n",
    );
    write(
        "sqitch/deploy/users.sql",
        "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n",
    );
    write(
        "sqitch/deploy/flips.sql",
        "BEGIN;\nCREATE TABLE flips (id int);\nCOMMIT;\n",
    );
    write(
        "sqitch/revert/users.sql",
        "BEGIN;\nDROP TABLE users;\nCOMMIT;\n",
    );
    write(
        "sqitch/revert/flips.sql",
        "BEGIN;\nDROP TABLE flips;\nCOMMIT;\n",
    );
    let db = database(&pg, "sqitch");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // App::Sqitch `etc/pg.sql` (the registry).
    c.batch_execute(
        "CREATE SCHEMA sqitch;
         CREATE TABLE sqitch.projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE,
           created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), creator_name TEXT NOT NULL, creator_email TEXT NOT NULL);
         CREATE TABLE sqitch.changes (change_id TEXT PRIMARY KEY, script_hash TEXT NULL, change TEXT NOT NULL,
           project TEXT NOT NULL REFERENCES sqitch.projects(project) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '',
           committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL,
           planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL, UNIQUE(project, script_hash));
         INSERT INTO sqitch.projects VALUES ('app', NULL, now(), 'Me', 'me@example.com');
         INSERT INTO sqitch.changes (change_id, script_hash, change, project, committer_name, committer_email, planned_at, planner_name, planner_email)
           VALUES ('a1', 'h1', 'users', 'app', 'Me', 'me@example.com', now(), 'Me', 'me@example.com'),
                  ('a2', 'h2', 'flips', 'app', 'Me', 'me@example.com', now(), 'Me', 'me@example.com');",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "sqitch");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(only_states(&v), ["applied", "applied"], "{v:#}");
    c.batch_execute("DELETE FROM sqitch.changes WHERE change = 'flips'")
        .unwrap();
    let (code, v) = status(dir.path(), &db, "sqitch");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(only_states(&v), ["applied", "pending"], "{v:#}");

    // sql-migrate: the id is the file name.
    write(
        "sql-migrate/1_init.sql",
        "-- +migrate Up\nCREATE TABLE sm (id int);\n-- +migrate Down\nDROP TABLE sm;\n",
    );
    write(
        "sql-migrate/2_more.sql",
        "-- +migrate Up\nALTER TABLE sm ADD COLUMN x int;\n-- +migrate Down\nALTER TABLE sm DROP COLUMN x;\n",
    );
    let db = database(&pg, "sqlmigrate");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // sql-migrate `migrate.go` (gorp's table for `Migration{Id, AppliedAt}`).
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS gorp_migrations (id text not null primary key, applied_at timestamp with time zone);
         INSERT INTO gorp_migrations VALUES ('1_init.sql', now());",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "sql-migrate");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v),
        [
            ("1_init.sql".into(), "applied".into()),
            ("2_more.sql".into(), "pending".into())
        ]
    );

    // pop: the timestamp before `_`; down files are not migrations to run.
    write(
        "pop/20240101000000_init.up.sql",
        "CREATE TABLE pp (id int);\n",
    );
    write("pop/20240101000000_init.down.sql", "DROP TABLE pp;\n");
    write(
        "pop/20240102000000_more.up.sql",
        "ALTER TABLE pp ADD COLUMN x int;\n",
    );
    write(
        "pop/20240102000000_more.down.sql",
        "ALTER TABLE pp DROP COLUMN x;\n",
    );
    let db = database(&pg, "pop");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // gobuffalo/pop `migrator.go` CreateSchemaMigrations (fizz).
    c.batch_execute(
        "CREATE TABLE schema_migration (version varchar(14) NOT NULL);
         CREATE UNIQUE INDEX schema_migration_version_idx ON schema_migration (version);
         INSERT INTO schema_migration VALUES ('20240101000000'), ('20240102000000');",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "pop");
    assert_eq!(code, 0, "{v:#}");
    assert!(only_states(&v).iter().all(|s| s == "applied"), "{v:#}");
    c.batch_execute("DELETE FROM schema_migration WHERE version = '20240102000000'")
        .unwrap();
    let (code, v) = status(dir.path(), &db, "pop");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v)
            .into_iter()
            .filter(|(_, s)| s == "pending")
            .map(|(f, _)| f)
            .collect::<Vec<_>>(),
        ["20240102000000_more.up.sql"],
        "{v:#}"
    );

    // atlas: a baseline revision (type 1) covers the versions up to it;
    // applied < total with an error is a partial (failed) revision.
    write(
        "atlas/20240101000000_init.sql",
        "CREATE TABLE at (id int);\n",
    );
    write(
        "atlas/20240102000000_more.sql",
        "ALTER TABLE at ADD COLUMN x int;\n",
    );
    write(
        "atlas/20240103000000_last.sql",
        "ALTER TABLE at ADD COLUMN y int;\nALTER TABLE at ADD COLUMN z int;\n",
    );
    let db = database(&pg, "atlas");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    // ariga/atlas `cmd/atlas/internal/migrate/ent/schema/revision.go`.
    c.batch_execute(
        "CREATE SCHEMA atlas_schema_revisions;
         CREATE TABLE atlas_schema_revisions.atlas_schema_revisions (version character varying NOT NULL PRIMARY KEY,
           description character varying NOT NULL, type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0,
           total bigint NOT NULL DEFAULT 0, executed_at timestamptz NOT NULL, execution_time bigint NOT NULL,
           error text NULL, error_stmt text NULL, hash character varying NOT NULL, partial_hashes jsonb NULL,
           operator_version character varying NOT NULL);
         INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES
           ('20240101000000', '', 1, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI v0.30.0'),
           ('20240102000000', 'more', 2, 1, 1, now(), 1000, NULL, NULL, 'h', NULL, 'Atlas CLI v0.30.0');",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "atlas");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(only_states(&v), ["applied", "applied", "pending"], "{v:#}");
    let first = &v["projects"][0]["migrations"][0];
    assert!(
        first["note"].as_str().unwrap_or("").contains("baseline"),
        "{v:#}"
    );
    // A baseline row names no file, and is not "a row no file names".
    assert!(v["projects"][0].get("unknown_rows").is_none(), "{v:#}");
    c.batch_execute(
        "INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES
           ('20240103000000', 'last', 2, 1, 2, now(), 1000, 'column \"z\" already exists', 'ALTER TABLE at ADD COLUMN z int;', 'h', NULL, 'Atlas CLI v0.30.0')",
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "atlas");
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["status"], "failed");
    assert!(v.to_string().contains("atlas migrate set"), "{v:#}");

    // flyway: a BASELINE row at 2 covers V1 and V2; V3 ran.
    write("flyway/V1__a.sql", "CREATE TABLE fb (id int);\n");
    write("flyway/V2__b.sql", "ALTER TABLE fb ADD COLUMN x int;\n");
    let v3 = write("flyway/V3__c.sql", "ALTER TABLE fb ADD COLUMN y int;\n");
    write("flyway/V3_1__d.sql", "ALTER TABLE fb ADD COLUMN z int;\n");
    let db = database(&pg, "flywaybase");
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let crc3: i32 = python(FLYWAY_CRC, &v3).parse().unwrap();
    c.batch_execute(FLYWAY_TABLE).unwrap();
    c.execute(
        "INSERT INTO flyway_schema_history VALUES
           (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'me', now(), 0, true),
           (2, '3', 'c', 'SQL', 'V3__c.sql', $1, 'me', now(), 5, true)",
        &[&crc3],
    )
    .unwrap();
    let (code, v) = status(dir.path(), &db, "flyway");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        states(&v),
        [
            ("V1__a.sql".into(), "applied".into()),
            ("V2__b.sql".into(), "applied".into()),
            ("V3__c.sql".into(), "applied".into()),
            ("V3_1__d.sql".into(), "pending".into()),
        ],
        "{v:#}"
    );
    // A baseline row names no file, and is not "a row no file names".
    assert!(v["projects"][0].get("unknown_rows").is_none(), "{v:#}");
}

#[test]
fn node_pg_migrate_sql_migrations() {
    let Some(pg) = server() else { return };
    let Some(bin) = tools() else { return };
    let db = database(&pg, "npgm");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    for (name, up, down) in [
        (
            "1700000000000_init.sql",
            "CREATE TABLE n (id bigint PRIMARY KEY, v text);",
            "DROP TABLE n;",
        ),
        (
            "1700000000001_index.sql",
            "CREATE INDEX n_v ON n (v);",
            "DROP INDEX n_v;",
        ),
        (
            "1700000000002_column.sql",
            "ALTER TABLE n ADD COLUMN w int;",
            "ALTER TABLE n DROP COLUMN w;",
        ),
    ] {
        std::fs::write(
            m.join(name),
            format!("-- Up Migration\n{up}\n\n-- Down Migration\n{down}\n"),
        )
        .unwrap();
    }
    let npgm = |args: &[&str]| {
        let o = Command::new(bin.join("node-pg-migrate"))
            .args(args)
            .args(["-m", "migrations"])
            .current_dir(dir.path())
            .env("DATABASE_URL", url(&pg, "npgm"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "node-pg-migrate: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    };
    npgm(&["up", "2"]);
    let (code, v) = status(dir.path(), &db, "migrations");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["projects"][0]["table"], "pgmigrations", "{v:#}");
    assert_eq!(
        states(&v),
        [
            ("1700000000000_init.sql".into(), "applied".into()),
            ("1700000000001_index.sql".into(), "applied".into()),
            ("1700000000002_column.sql".into(), "pending".into()),
        ]
    );
    // dry-run --db runs the pending file only.
    let (code, run) = dry_run(dir.path(), &db, "migrations");
    assert_eq!(code, 0, "{run:#}");
    assert_eq!(
        ran_sql(dir.path(), &run),
        ["ALTER TABLE n ADD COLUMN w int;"],
        "{run:#}"
    );
    npgm(&["up"]);
    let (code, v) = status(dir.path(), &db, "migrations");
    assert_eq!(code, 0, "{v:#}");
    // A down migration deletes the row: pending again.
    npgm(&["down"]);
    let (code, v) = status(dir.path(), &db, "migrations");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["status"], "pending");
}
