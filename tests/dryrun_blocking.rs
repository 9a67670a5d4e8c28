//! Blocking that relation locks do not show: sessions waiting on the rows
//! a migration's transaction has updated (transaction-id waits), seen
//! through `pg_blocking_pids` while the dry-run runs.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::pg::PgServer;

/// A PostgreSQL 15 server, or None (skipped) unless DDLINT_REQUIRE_PG.
fn pg15() -> Option<PgServer> {
    match PgServer::start(15) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                std::env::var("DDLINT_REQUIRE_PG").is_err(),
                "PostgreSQL 15 is required: {e}"
            );
            None
        }
    }
}

/// `ddlint dry-run --db DB --format json FILE EXTRA...`: exit code, report.
fn dry_run(db: &str, file: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "dry-run",
            "--no-config",
            "--db",
            db,
            "--format",
            "json",
            "-q",
        ])
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

#[test]
fn row_locks_held_by_a_backfill_are_reported() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text);
         INSERT INTO events SELECT g, 'k' FROM generate_series(1, 10000) g;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001_backfill.sql");
    std::fs::write(
        &file,
        "BEGIN;\nUPDATE events SET kind = 'x' WHERE id <= 1000;\nSELECT pg_sleep(3);\nCOMMIT;\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    // The application updates a row the backfill holds, a second in.
    let app = {
        let db = db.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1000));
            let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
            c.execute("UPDATE events SET kind = 'y' WHERE id = 5", &[])
                .unwrap();
        })
    };
    let (code, v) = dry_run(&db, &file, &[]);
    app.join().unwrap();
    assert_eq!(code, Some(0), "{v:#}");
    let blocked: Vec<&Value> = v["files"][0]["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.get("blocked_sessions"))
        .flat_map(|b| b.as_array().unwrap())
        .collect();
    assert_eq!(blocked.len(), 1, "{v:#}");
    assert_eq!(blocked[0]["kind"], "row lock");
    assert_eq!(blocked[0]["relation"], "public.events");
    assert!(blocked[0]["waited_ms"].as_f64().unwrap() > 500.0, "{v:#}");
    assert!(blocked[0]["query"]
        .as_str()
        .unwrap()
        .contains("WHERE id = 5"));
}

/// `--probe` locks a row the backfill changed, as an application's UPDATE
/// would: row blocking is measured, and kept apart from the relation-lock
/// probes (which the backfill's ROW EXCLUSIVE does not block).
#[test]
fn a_row_probe_measures_what_a_backfill_blocks() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text);
         INSERT INTO events SELECT g, 'k' FROM generate_series(1, 10000) g;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001_backfill.sql");
    std::fs::write(
        &file,
        "BEGIN;\nUPDATE events SET kind = 'x' WHERE id <= 1000;\nSELECT pg_sleep(2);\nCOMMIT;\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let (code, v) = dry_run(&db, &file, &["--probe"]);
    assert_eq!(code, Some(0), "{v:#}");
    let probes = v["probes"].as_array().unwrap();
    let of = |op: &str| {
        probes
            .iter()
            .find(|p| p["operation"] == op && p["relation"] == "public.events")
            .unwrap_or_else(|| panic!("no {op} probe: {v:#}"))
    };
    let rows = of("row_write");
    assert_eq!(rows["statement"], 2, "{v:#}");
    assert!(rows["blocked_ms"].as_f64().unwrap() > 1500.0, "{v:#}");
    assert!(rows["worst_ms"].as_f64().unwrap() > 1500.0, "{v:#}");
    // ROW EXCLUSIVE blocks neither reads nor other writes of the table.
    assert!(of("write")["blocked_ms"].as_f64().unwrap() < 200.0, "{v:#}");
    assert!(of("read")["blocked_ms"].as_f64().unwrap() < 200.0, "{v:#}");
    // The probes report themselves; they are not sessions the migration
    // kept waiting.
    assert!(!v.to_string().contains("FOR NO KEY UPDATE"), "{v:#}");
}

/// A rewrite writes the whole table to the WAL: the dry-run says how much.
#[test]
fn wal_written_by_a_rewrite_is_measured() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50000) g;",
    )
    .unwrap();
    let size: i64 = c
        .query_one("SELECT pg_relation_size('t')", &[])
        .unwrap()
        .get(0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(&file, "ALTER TABLE t ALTER COLUMN id TYPE bigint;\n").unwrap();
    let db = pg.conn_string("postgres");
    let (_, v) = dry_run(&db, &file, &[]);
    let wal = v["files"][0]["statements"][0]["wal_bytes"]
        .as_u64()
        .unwrap();
    assert!(wal as i64 > size, "{wal} <= {size}");
    assert_eq!(v["summary"]["wal_bytes"].as_u64(), Some(wal));
}

/// A sort that does not fit in maintenance_work_mem spills to temporary
/// files: the dry-run says how much the disk had to hold, for a serial
/// build (the backend's own files) and a parallel one (the workers' shared
/// fileset).
#[test]
fn temporary_files_of_a_sort_that_spills_are_measured() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 300000) g;
         ANALYZE t;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(
        &file,
        "SET maintenance_work_mem = '1MB';\n\
         SET max_parallel_maintenance_workers = 0;\n\
         CREATE INDEX t_serial ON t (v, id);\n\
         SET max_parallel_maintenance_workers = 2;\n\
         ALTER TABLE t SET (parallel_workers = 2);\n\
         CREATE INDEX t_parallel ON t (v, id);\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let (code, v) = dry_run(&db, &file, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    let stmts = v["files"][0]["statements"].as_array().unwrap();
    let temp = |i: usize| stmts[i]["temp_bytes"].as_u64().unwrap_or(0);
    // 300,000 keys of 32 characters and an int: ~15 MB to sort.
    for i in [2, 5] {
        assert!(
            temp(i) > 4 << 20,
            "statement {}: {} bytes\n{v:#}",
            i + 1,
            temp(i)
        );
    }
    assert_eq!(stmts[0]["temp_bytes"].as_u64(), Some(0), "{v:#}");
    assert_eq!(
        v["summary"]["temp_bytes_peak"].as_u64(),
        Some(temp(2).max(temp(5)))
    );
}

/// With --db, the prediction starts from the target's schema (pg_dump): a
/// column already bigint is not "predicted rewrite" against an observed
/// nothing.
#[test]
fn predictions_start_from_the_targets_schema() {
    let Some(pg) = pg15() else { return };
    if Command::new("pg_dump").arg("--version").output().is_err() {
        assert!(
            std::env::var("DDLINT_REQUIRE_PG").is_err(),
            "pg_dump is needed (postgresql-client)"
        );
        return;
    }
    let mut c = pg.connect().unwrap();
    c.batch_execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(&file, "ALTER TABLE t ALTER COLUMN id TYPE bigint;\n").unwrap();
    let db = pg.conn_string("postgres");
    let (_, v) = dry_run(&db, &file, &[]);
    assert_eq!(v["summary"]["disagreements"], 0, "{v:#}");
    assert!(
        v.to_string().contains("starts from the target's schema"),
        "{v:#}"
    );
    // The finding knows the column: no rewrite predicted.
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "column-type-change-rewrites"),
        "{v:#}"
    );
}

/// A foreign key that times out waiting for the referenced table held its
/// own table meanwhile: both get a blocking window.
#[test]
fn locks_held_while_waiting_count_in_the_windows() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE accounts (id bigint PRIMARY KEY);
         CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint);",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let holder = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
            c.batch_execute(
                "BEGIN; LOCK TABLE accounts IN ROW EXCLUSIVE MODE; SELECT pg_sleep(2.5); COMMIT",
            )
            .unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(
        &file,
        "ALTER TABLE events ADD CONSTRAINT events_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\n",
    )
    .unwrap();
    let (code, v) = dry_run(&db, &file, &["--lock-timeout", "800ms"]);
    holder.join().unwrap();
    assert_eq!(code, Some(1), "{v:#}");
    let windows: Vec<(String, String)> = v["blocking_windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["relation"].as_str().unwrap().to_string(),
                w["blocked"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        windows.contains(&("public.events".into(), "writes".into())),
        "{windows:?}"
    );
    assert!(
        windows.contains(&("public.accounts".into(), "writes".into())),
        "{windows:?}"
    );
}

/// `--clients`: a pool of application connections fills up behind a lock.
#[test]
fn clients_exhaust_a_pool_behind_a_lock() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute("CREATE TABLE t (id int PRIMARY KEY)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(
        &file,
        "BEGIN;\nLOCK TABLE t IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(1);\nCOMMIT;\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let (code, v) = dry_run(&db, &file, &["--clients", "5", "--rate", "50"]);
    assert_eq!(code, Some(0), "{v:#}");
    let c = &v["clients"];
    assert_eq!(c["clients"], 5);
    assert_eq!(c["peak_in_use"], 5, "{c:#}");
    assert!(c["longest_wait_ms"].as_f64().unwrap() > 500.0, "{c:#}");
    assert!(c["exhausted_after_ms"].is_number(), "{c:#}");
    assert!(c["without_connection"].as_u64().unwrap() > 0, "{c:#}");
    assert_eq!(c["failed"], 0, "{c:#}");
}

/// A rolled-back run holds an autocommit statement's lock to its end: the
/// probes measure that, and say how little of it the deploy (which commits
/// the ALTER at once) would see.
#[test]
fn probes_in_a_rollback_run_say_what_the_deploy_would_see() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(
        &file,
        "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c int;\nSELECT pg_sleep(1.5);\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let (code, v) = dry_run(&db, &file, &["--probe"]);
    assert_eq!(code, Some(0), "{v:#}");
    let reads = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["operation"] == "read")
        .unwrap();
    let blocked = reads["blocked_ms"].as_f64().unwrap();
    let deploy = reads["in_deploy_ms"].as_f64().unwrap();
    assert!(blocked > 1200.0, "{v:#}");
    assert!(deploy < 300.0, "{deploy} of {blocked}: {v:#}");
    let window = &v["blocking_windows"][0];
    assert!(window["start_ms"].as_f64().is_some(), "{v:#}");

    // With --commit the statements run with the tool's placement (the
    // ALTER commits at once): the probes see what the deploy would.
    let (code, v) = dry_run(&db, &file, &["--probe", "--commit"]);
    assert_eq!(code, Some(0), "{v:#}");
    for p in v["probes"].as_array().unwrap() {
        assert!(p["blocked_ms"].as_f64().unwrap() < 300.0, "{v:#}");
        assert!(p.get("in_deploy_ms").is_none(), "{v:#}");
    }
}

/// The usual backfill of a column the migration adds first: the row
/// probe waits for the column to exist instead of giving up.
#[test]
fn a_row_probe_waits_for_the_column_a_backfill_fills() {
    let Some(pg) = pg15() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute(
        "CREATE TABLE events (id bigint PRIMARY KEY, kind text);
         INSERT INTO events SELECT g, 'k' FROM generate_series(1, 10000) g;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("001.sql");
    std::fs::write(
        &file,
        "SET lock_timeout = '1s';\nALTER TABLE events ADD COLUMN note text;\nSELECT pg_sleep(0.5);\n\
         BEGIN;\nUPDATE events SET note = 'x' WHERE note IS NULL AND id <= 1000;\nSELECT pg_sleep(2);\nCOMMIT;\n",
    )
    .unwrap();
    let db = pg.conn_string("postgres");
    let (code, v) = dry_run(&db, &file, &["--probe", "--commit"]);
    assert_eq!(code, Some(0), "{v:#}");
    let rows = v["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["operation"] == "row_write")
        .unwrap_or_else(|| panic!("no row probe: {v:#}"));
    assert!(rows.get("error").is_none(), "{v:#}");
    assert!(rows["blocked_ms"].as_f64().unwrap() > 1500.0, "{v:#}");
}
