//! `ddlint dry-run` against real PostgreSQL servers started by the test:
//! rollback leaves the schema exactly as it was (compared with pg_dump, not
//! with ddlint's own fingerprint), CREATE INDEX CONCURRENTLY is undone also
//! when it fails, a session holding a lock is named as the blocker, data
//! failures carry file:line, faults (lost connection, timeouts, missing
//! privileges, unreachable server) are reported with the right exit code,
//! observed locks agree with `ddlint check` on every rule fixture, and
//! probes measure blocked writes during a long index build.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use support::pg::PgServer;

fn server() -> Option<PgServer> {
    match PgServer::start(15) {
        Ok(s) => Some(s),
        Err(e) => {
            if std::env::var("DDLINT_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!("PostgreSQL 15 is required: {e}");
            }
            eprintln!("skipped: no PostgreSQL 15 ({e})");
            None
        }
    }
}

/// A fresh database; returns its connection string for `--db`.
fn database(pg: &PgServer, name: &str, setup: &str) -> String {
    let mut c = pg.connect().expect("connect");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("drop database");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let mut d = pg.connect_db(name).expect("connect db");
    d.batch_execute(setup).expect("setup");
    pg.conn_string(name)
}

fn files(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir.to_path_buf()
}

fn ddlint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ddlint")
}

fn json_run(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["dry-run", "--format", "json"];
    all.extend_from_slice(args);
    let out = ddlint(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn statements(v: &Value) -> Vec<&Value> {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["statements"].as_array().unwrap().iter())
        .collect()
}

/// The schema as pg_dump prints it: independent of ddlint.
fn dump(pg: &PgServer, db: &str) -> String {
    let bin = [
        pg.bin_dir.join("pg_dump"),
        "/usr/lib/postgresql/15/bin/pg_dump".into(),
        "/usr/bin/pg_dump".into(),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .expect("pg_dump (Debian's postgresql-client)");
    let out = Command::new(bin)
        .args([
            "--schema-only",
            "--no-owner",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
        ])
        .args(["-p", &pg.port.to_string(), db])
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Newer pg_dump prints a random \\restrict key on every run.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn indexes(pg: &PgServer, db: &str) -> Vec<String> {
    let mut c = pg.connect_db(db).unwrap();
    c.query(
        "SELECT c.relname || ' valid=' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

const ORDERS: &str = "CREATE TABLE orders (id bigserial PRIMARY KEY, email text, total int);
INSERT INTO orders (email, total) SELECT 'u' || (g % 100), g FROM generate_series(1, 20000) g;";

#[test]
fn rollback_cleanup_blockers_and_data_failures() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(&pg, "app", ORDERS);
    let before = dump(&pg, "app");
    let before_idx = indexes(&pg, "app");

    // 1. A transactional migration: rolled back, schema unchanged; the
    // observed locks and rewrites agree with the prediction.
    let dir = files(
        &tmp.path().join("tx"),
        &[(
            "0001_change.sql",
            "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_total ON orders (total);\n\
             ALTER TABLE orders ALTER COLUMN total TYPE bigint;\nCOMMIT;\n",
        )],
    );
    let (code, v, err) = json_run(&["--db", &db, dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    let st = statements(&v);
    assert_eq!(st[2]["observed_locks"][0]["mode"], "ShareLock", "{v:#}");
    assert_eq!(st[3]["observed_rewrites"][0], "public.orders", "{v:#}");
    assert_eq!(v["summary"]["disagreements"], 0, "{v:#}");
    assert_eq!(v["dry_run"]["schema_unchanged"], true);
    let windows = v["blocking_windows"].as_array().unwrap();
    assert!(
        windows
            .iter()
            .any(|w| w["relation"] == "public.orders" && w["blocked"] == "reads"),
        "{v:#}"
    );
    assert_eq!(
        dump(&pg, "app"),
        before,
        "rollback must leave the schema as it was"
    );

    // 2. CREATE INDEX CONCURRENTLY, one succeeding and one failing on
    // duplicates (which leaves an INVALID index): both dropped afterwards.
    let dir = files(
        &tmp.path().join("cic"),
        &[(
            "0002_cic.sql",
            "CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);\n\
             CREATE UNIQUE INDEX CONCURRENTLY orders_email_key ON orders (email);\n",
        )],
    );
    let (code, v, err) = json_run(&["--db", &db, dir.to_str().unwrap()]);
    assert_eq!(
        code, 1,
        "a data failure is a migration problem: {err}\n{v:#}"
    );
    let st = statements(&v);
    assert_eq!(st[1]["error"]["sqlstate"], "23505", "{v:#}");
    assert_eq!(st[1]["line"], 2);
    assert!(v["files"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("0002_cic.sql"));
    assert_eq!(
        indexes(&pg, "app"),
        before_idx,
        "no index left, valid or invalid"
    );
    assert_eq!(dump(&pg, "app"), before);
    assert_eq!(
        v["dry_run"]["cleanup"].as_array().unwrap().len(),
        2,
        "{v:#}"
    );

    // 3. A unique index on duplicate data, in a transaction: the failure
    // with its file:line, the statements after it not run.
    let dir = files(
        &tmp.path().join("uniq"),
        &[(
            "0003_unique.sql",
            "BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCREATE UNIQUE INDEX orders_email ON orders (email);\n\
             ALTER TABLE orders ADD COLUMN y int;\nCOMMIT;\n",
        )],
    );
    let out = ddlint(&["dry-run", "--db", &db, dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("23505"), "{text}");
    assert!(text.contains("0003_unique.sql:3"), "{text}");
    assert!(text.contains("is duplicated"), "{text}");
    assert!(text.contains("not run"), "{text}");
    assert_eq!(dump(&pg, "app"), before);

    // 4. Another session holds a lock: the report names it and the wait.
    let mut holder = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    holder
        .batch_execute("SET application_name = 'webapp'; BEGIN; SELECT count(*) FROM orders")
        .unwrap();
    let dir = files(
        &tmp.path().join("blocked"),
        &[("0004_col.sql", "ALTER TABLE orders ADD COLUMN z int;\n")],
    );
    let (code, v, err) = json_run(&[
        "--db",
        &db,
        "--lock-timeout",
        "500ms",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let st = statements(&v);
    assert_eq!(st[0]["error"]["sqlstate"], "55P03", "{v:#}");
    assert!(
        st[0]["error"]["explanation"]
            .as_str()
            .unwrap()
            .contains("queued behind pid"),
        "{v:#}"
    );
    let blockers = st[0]["wait"]["blockers"].as_array().unwrap();
    assert_eq!(blockers[0]["application"], "webapp", "{v:#}");
    assert!(
        st[0]["wait"]["waited_ms"].as_f64().unwrap() >= 400.0,
        "{v:#}"
    );
    assert_eq!(
        st[0]["wait"]["waiting_for"], "AccessExclusiveLock on public.orders",
        "{v:#}"
    );
    let pre = &v["dry_run"]["preflight"]["lock_holders"];
    assert_eq!(pre[0]["session"]["application"], "webapp", "{v:#}");
    holder.batch_execute("ROLLBACK").unwrap();
    drop(holder);

    // 4b. The holder lets go after a while: the statement runs, and the
    // report says how long it waited and behind whom.
    let mut holder = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    holder
        .batch_execute(
            "SET application_name = 'report-job'; BEGIN; LOCK TABLE orders IN ACCESS SHARE MODE",
        )
        .unwrap();
    // Released 600 ms after the migration is seen waiting (not after a
    // fixed delay: on a busy machine the run may start late).
    let watch_db = db.clone();
    let release = std::thread::spawn(move || {
        let mut watch = postgres::Client::connect(&watch_db, postgres::NoTls).unwrap();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let waiting: i64 = watch
                .query_one("SELECT count(*) FROM pg_locks WHERE NOT granted", &[])
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(600));
        holder.batch_execute("COMMIT").unwrap();
    });
    let (code, v, err) = json_run(&["--db", &db, "--lock-timeout", "10s", dir.to_str().unwrap()]);
    release.join().unwrap();
    assert_eq!(code, 0, "{err}\n{v:#}");
    let st = statements(&v);
    assert_eq!(st[0]["status"], "ok");
    assert!(
        st[0]["wait"]["waited_ms"].as_f64().unwrap() >= 500.0,
        "{v:#}"
    );
    assert_eq!(
        st[0]["wait"]["blockers"][0]["application"], "report-job",
        "{v:#}"
    );
    let w = &v["blocking_windows"][0];
    assert!(
        w["duration_ms"].as_f64().unwrap() >= 500.0,
        "the wait blocks too: {v:#}"
    );

    // 5. What cannot be undone is refused before anything runs.
    let dir = files(
        &tmp.path().join("refuse"),
        &[("0005_drop.sql", "DROP INDEX CONCURRENTLY orders_pkey;\n")],
    );
    let out = ddlint(&["dry-run", "--db", &db, dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("0005_drop.sql:1") && err.contains("cannot be undone"),
        "{err}"
    );
    assert_eq!(dump(&pg, "app"), before);

    // 6. --commit keeps the changes, as the tool would.
    let dir = files(
        &tmp.path().join("commit"),
        &[(
            "0006_commit.sql",
            "ALTER TABLE orders ADD COLUMN kept int;\nCREATE INDEX CONCURRENTLY orders_kept ON orders (kept);\n",
        )],
    );
    let (code, v, err) = json_run(&["--db", &db, "--commit", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert!(dump(&pg, "app").contains("kept integer"));
    assert!(indexes(&pg, "app").contains(&"orders_kept valid=true".to_string()));
    assert_eq!(
        v["dry_run"]["committed_statements"],
        serde_json::json!([1, 2]),
        "{v:#}"
    );

    // 7. --commit and a failure halfway: what was committed is exactly
    // what the tool would have committed, and the report says so.
    let dir = files(
        &tmp.path().join("halfway"),
        &[
            (
                "0007_a.sql",
                "ALTER TABLE orders ADD COLUMN first_done int;\n",
            ),
            (
                "0008_b.sql",
                "BEGIN;\nALTER TABLE orders ADD COLUMN second_done int;\n\
                 CREATE UNIQUE INDEX orders_email_u ON orders (email);\nCOMMIT;\n",
            ),
        ],
    );
    let out = ddlint(&["dry-run", "--db", &db, "--commit", dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("committed: statements 1 (of 5)"), "{text}");
    let schema = dump(&pg, "app");
    assert!(
        schema.contains("first_done integer") && !schema.contains("second_done"),
        "{schema}"
    );
}

#[test]
fn faults_are_reported_with_what_ran() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(&pg, "faults", ORDERS);
    let before = dump(&pg, "faults");

    // The backend is killed mid-run.
    let dir = files(
        &tmp.path().join("kill"),
        &[(
            "0001_slow.sql",
            "BEGIN;\nALTER TABLE orders ADD COLUMN a int;\nSELECT pg_sleep(5);\nALTER TABLE orders ADD COLUMN b int;\nCOMMIT;\n",
        )],
    );
    let killer = {
        let db = db.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
            for _ in 0..100 {
                std::thread::sleep(Duration::from_millis(100));
                let n: i64 = c
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                         WHERE application_name = 'ddlint' AND query LIKE '%pg_sleep%'",
                        &[],
                    )
                    .unwrap()
                    .get(0);
                if n > 0 {
                    return;
                }
            }
        })
    };
    let (code, v, err) = json_run(&["--db", &db, dir.to_str().unwrap()]);
    killer.join().unwrap();
    assert_eq!(
        code, 2,
        "a lost connection means it could not run: {err}\n{v:#}"
    );
    assert_eq!(
        v["dry_run"]["outcome"]["result"], "connection-lost",
        "{v:#}"
    );
    let st = statements(&v);
    assert_eq!(st[1]["status"], "ok");
    assert_eq!(st[2]["status"], "failed");
    assert_eq!(st[3]["status"], "not-run");
    assert_eq!(dump(&pg, "faults"), before);

    // Ctrl-C while a statement runs: the statement is cancelled, the work
    // rolled back, the report says where it stopped; exit 130.
    let child = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "dry-run",
            "--format",
            "json",
            "--db",
            &db,
            dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let mut running = false;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ddlint' \
                 AND query LIKE '%pg_sleep%' AND state = 'active'",
                &[],
            )
            .unwrap()
            .get(0);
        if n > 0 {
            running = true;
            break;
        }
    }
    assert!(running, "the migration never reached pg_sleep");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dry_run"]["outcome"]["result"], "interrupted", "{v:#}");
    assert_eq!(v["dry_run"]["schema_unchanged"], true, "{v:#}");
    assert_eq!(dump(&pg, "faults"), before);

    // statement_timeout.
    let dir = files(
        &tmp.path().join("timeout"),
        &[("0002_sleep.sql", "SELECT pg_sleep(2);\n")],
    );
    let (code, v, _) = json_run(&[
        "--db",
        &db,
        "--statement-timeout",
        "200ms",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let st = statements(&v);
    assert_eq!(st[0]["error"]["sqlstate"], "57014", "{v:#}");
    assert!(st[0]["error"]["explanation"]
        .as_str()
        .unwrap()
        .contains("statement_timeout"));

    // A role without privileges: permission denied; settings it may not
    // change are reported, not fatal.
    let mut c = pg.connect_db("faults").unwrap();
    c.batch_execute("CREATE ROLE weak LOGIN").unwrap();
    let weak = db.replace("user=postgres", "user=weak");
    let dir = files(
        &tmp.path().join("perm"),
        &[("0003_perm.sql", "ALTER TABLE orders ADD COLUMN c int;\n")],
    );
    let (code, v, _) = json_run(&["--db", &weak, dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(statements(&v)[0]["error"]["sqlstate"], "42501", "{v:#}");
    let settings = v["dry_run"]["settings"].as_array().unwrap();
    let llw = settings
        .iter()
        .find(|s| s["name"] == "log_lock_waits")
        .unwrap();
    assert_eq!(llw["applied"], false, "{v:#}");
    assert_eq!(dump(&pg, "faults"), before);

    // Nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = ddlint(&[
        "dry-run",
        "--db",
        &format!("host=127.0.0.1 port={port} user=postgres dbname=x connect_timeout=3"),
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&port.to_string()), "{err}");
}

/// Every rule fixture case (the rule's setup, else the shared one, then the
/// case) runs on a fresh database with --commit: whatever ran agrees with
/// the prediction.
#[test]
fn observed_locks_agree_with_the_prediction_on_rule_fixtures() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut compared = 0;
    let mut disagreements = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut n = 0;
    for d in &dirs {
        let id = d.file_name().unwrap().to_string_lossy().to_string();
        if id == "syntax-error" {
            continue;
        }
        let setup = if d.join("setup.sql").exists() {
            d.join("setup.sql")
        } else {
            root.join("setup.sql")
        };
        let mut variants: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|f| f != "setup.sql" && f.ends_with(".sql"))
            .map(|f| f.trim_end_matches(".sql").to_string())
            .collect();
        variants.sort();
        for variant in variants {
            let case = tmp.path().join(format!("{id}-{variant}"));
            std::fs::create_dir_all(&case).unwrap();
            std::fs::copy(&setup, case.join("001_setup.sql")).unwrap();
            std::fs::copy(
                d.join(format!("{variant}.sql")),
                case.join(format!("002_{variant}.sql")),
            )
            .unwrap();
            n += 1;
            let name = format!("fx{n}");
            let db = database(&pg, &name, "");
            let (_, v, err) = json_run(&["--db", &db, "--commit", case.to_str().unwrap()]);
            assert!(v["dry_run"].is_object(), "{id} {variant}: {err}");
            for s in statements(&v) {
                if s["status"] == "ok" && !s["observed_locks"].as_array().unwrap().is_empty() {
                    compared += 1;
                }
                for dis in s["disagreements"].as_array().unwrap() {
                    disagreements.push(format!("{id}/{variant} line {}: {dis}", s["line"]));
                }
            }
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(
        compared > 300,
        "only {compared} statements with locks were compared"
    );
}

/// A non-concurrent index build on a table large enough to take seconds:
/// the write probe measures the writes it blocked, the read probe none.
#[test]
fn probes_measure_blocked_writes_during_an_index_build() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(
        &pg,
        "probe",
        "CREATE TABLE big (id bigint, t text);
         INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 1500000) g;
         ANALYZE big;",
    );
    let dir = files(
        &tmp.path().join("probe"),
        &[("0001_index.sql", "CREATE INDEX big_t ON big (t);\n")],
    );
    let (code, v, err) = json_run(&["--db", &db, "--probe", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    let took = statements(&v)[0]["duration_ms"].as_f64().unwrap();
    let probes = v["probes"].as_array().unwrap();
    let get = |op: &str| {
        probes
            .iter()
            .find(|p| p["relation"] == "public.big" && p["operation"] == op)
            .unwrap_or_else(|| panic!("no {op} probe: {v:#}"))
    };
    let writes = get("write");
    let reads = get("read");
    assert!(
        took > 500.0,
        "the build was too quick to measure: {took} ms"
    );
    assert!(
        writes["blocked_ms"].as_f64().unwrap() > took * 0.5,
        "writes blocked {} ms of a {took} ms build: {v:#}",
        writes["blocked_ms"]
    );
    assert_eq!(
        reads["blocked_attempts"], 0,
        "a ShareLock does not block reads: {v:#}"
    );
    let w = v["blocking_windows"].as_array().unwrap();
    assert!(w
        .iter()
        .any(|w| w["blocked"] == "writes" && w["relation"] == "public.big"));
}

/// Pre-flight lists the sessions whose locks conflict with what the
/// migration will request (held, or queued ahead of it) and those that keep
/// such a queued request waiting, not every session that touched the
/// tables; a session's query is labelled as its last, not as the one that
/// took the lock.
#[test]
fn preflight_lists_only_sessions_whose_locks_conflict() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(
        &pg,
        "pre",
        "CREATE TABLE customers (id bigint PRIMARY KEY);
         CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);",
    );
    // A foreign key takes ShareRowExclusiveLock on both tables.
    let dir = files(
        &tmp.path().join("fk"),
        &[(
            "0001_fk.sql",
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) \
             REFERENCES customers (id) NOT VALID;\n",
        )],
    );
    let session = |app: &str, sql: &[&str]| {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        c.batch_execute(&format!("SET application_name = '{app}'"))
            .unwrap();
        for s in sql {
            c.batch_execute(s).unwrap();
        }
        c
    };
    let holders = |v: &Value| -> Vec<(String, String, bool)> {
        v["dry_run"]["preflight"]["lock_holders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["session"]["application"].as_str().unwrap().to_string(),
                    format!(
                        "{} on {}",
                        h["mode"].as_str().unwrap(),
                        h["relation"].as_str().unwrap()
                    ),
                    h["granted"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let args = [
        "--db",
        db.as_str(),
        "--lock-timeout",
        "300ms",
        dir.to_str().unwrap(),
    ];

    // An idle reader of the referenced table (AccessShareLock: no
    // conflict) and a writer of the altered table (RowExclusiveLock:
    // conflicts), both idle in transaction, their lock taken by a
    // statement before their last one.
    let mut reader = session(
        "reader",
        &["BEGIN", "SELECT count(*) FROM customers", "SELECT 1"],
    );
    let mut writer = session(
        "writer",
        &["BEGIN", "INSERT INTO orders VALUES (1, NULL)", "SELECT 2"],
    );
    let (code, v, err) = json_run(&args);
    assert_eq!(code, 1, "the writer makes it time out: {err}\n{v:#}");
    assert_eq!(
        holders(&v),
        vec![(
            "writer".into(),
            "RowExclusiveLock on public.orders".into(),
            true
        )],
        "{v:#}"
    );
    let h = &v["dry_run"]["preflight"]["lock_holders"][0];
    assert_eq!(h["conflicts_with"], "ShareRowExclusiveLock", "{v:#}");
    assert_eq!(h["session"]["last_query"], "SELECT 2", "{v:#}");
    assert_eq!(
        h["session"]["query"], "SELECT 2",
        "the version 1 name stays"
    );
    assert_eq!(h["session"]["lock_may_predate_last_query"], true, "{v:#}");
    let long: Vec<&str> = v["dry_run"]["preflight"]["long_transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["application"].as_str().unwrap())
        .collect();
    assert!(
        long.contains(&"reader") && long.contains(&"writer"),
        "{v:#}"
    );
    let blocker = &statements(&v)[0]["wait"]["blockers"][0];
    assert_eq!(blocker["application"], "writer", "{v:#}");
    assert_eq!(blocker["last_query"], "SELECT 2", "{v:#}");

    // The text names the conflict, and the reader only among the long
    // transactions, said not to block.
    let out = ddlint(&[
        "dry-run",
        "--db",
        &db,
        "--lock-timeout",
        "300ms",
        dir.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let conflicts = text
        .split("pre-flight: the migration would queue behind these sessions:")
        .nth(1)
        .and_then(|t| t.split("pre-flight: long or idle-in-transaction").next())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        conflicts.contains(
            "holds RowExclusiveLock on public.orders, which conflicts with the \
             ShareRowExclusiveLock the migration will request; last query: SELECT 2 (its \
             locks may come from an earlier statement of its transaction)"
        ) && conflicts.contains("(writer, "),
        "{text}"
    );
    assert!(!conflicts.contains("reader"), "{text}");
    assert!(text.contains("(not blocking unless listed above"), "{text}");
    let md = ddlint(&[
        "dry-run",
        "--db",
        &db,
        "--lock-timeout",
        "300ms",
        "--format",
        "markdown",
        dir.to_str().unwrap(),
    ]);
    let md = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(
        md.contains("**Pre-flight**: the migration would queue behind these sessions")
            && md.contains("last query: SELECT 2 (its locks may come"),
        "{md}"
    );
    writer.batch_execute("ROLLBACK").unwrap();

    // A DROP TABLE-like request queued behind the reader: the migration
    // would queue behind it, and so wait for the reader too.
    let conn = db.clone();
    let dropper = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
        c.batch_execute(
            "SET application_name = 'dropper'; BEGIN; \
             LOCK TABLE customers IN ACCESS EXCLUSIVE MODE",
        )
        .unwrap();
        c.batch_execute("ROLLBACK").unwrap();
    });
    let mut watch = pg.connect_db("pre").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while watch
        .query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'dropper' \
             AND wait_event_type = 'Lock'",
            &[],
        )
        .unwrap()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the dropper never queued"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, v, err) = json_run(&args);
    assert_eq!(code, 1, "{err}\n{v:#}");
    assert_eq!(
        holders(&v),
        vec![
            (
                "dropper".into(),
                "AccessExclusiveLock on public.customers".into(),
                false
            ),
            (
                "reader".into(),
                "AccessShareLock on public.customers".into(),
                true
            ),
        ],
        "{v:#}"
    );
    let pre = &v["dry_run"]["preflight"]["lock_holders"];
    let dropper_pid = pre[0]["session"]["pid"].clone();
    assert_eq!(pre[1]["holds_up"], dropper_pid, "{v:#}");
    assert!(pre[1].get("conflicts_with").is_none(), "{v:#}");
    reader.batch_execute("ROLLBACK").unwrap();
    dropper.join().unwrap();
}

/// The catalog fingerprint that proves a rollback run left the schema as
/// it was sees changes to defaults, constraints, indexes and views, and
/// takes no lock on tables: a session queued for an AccessExclusiveLock
/// does not make it wait.
#[test]
fn fingerprint_sees_changes_and_takes_no_table_locks() {
    let Some(pg) = server() else { return };
    database(
        &pg,
        "fp",
        "CREATE TABLE p (id int PRIMARY KEY);
         CREATE TABLE t (id int PRIMARY KEY, n int DEFAULT 1 CONSTRAINT t_n CHECK (n > 0),
             p_id int CONSTRAINT t_p REFERENCES p);
         ALTER TABLE t ADD CONSTRAINT t_big CHECK (n < 100) NOT VALID;
         CREATE INDEX t_expr ON t ((n + 1)) WHERE n > 2;
         CREATE VIEW v AS SELECT id, n FROM t;",
    );
    let mut c = pg.connect_db("fp").unwrap();
    let base = ddlint::dryrun::fingerprint(&mut c).unwrap();
    for change in [
        "ALTER TABLE t ALTER n SET DEFAULT 2",
        "ALTER TABLE t DROP CONSTRAINT t_n, ADD CONSTRAINT t_n CHECK (n > 1)",
        "ALTER TABLE t VALIDATE CONSTRAINT t_big",
        "ALTER TABLE t DROP CONSTRAINT t_p, \
         ADD CONSTRAINT t_p FOREIGN KEY (p_id) REFERENCES p ON DELETE CASCADE",
        "DROP INDEX t_expr; CREATE INDEX t_expr ON t ((n + 1)) WHERE n > 3",
        "DROP INDEX t_expr; CREATE INDEX t_expr ON t ((n + 2)) WHERE n > 2",
        "CREATE OR REPLACE VIEW v AS SELECT id, n FROM t WHERE n > 0",
    ] {
        c.batch_execute(&format!("BEGIN; {change}")).unwrap();
        let changed = ddlint::dryrun::fingerprint(&mut c).unwrap();
        c.batch_execute("ROLLBACK").unwrap();
        assert_ne!(changed, base, "{change}");
    }
    assert_eq!(ddlint::dryrun::fingerprint(&mut c).unwrap(), base);

    // A reader, and a DROP queued behind it: reading the catalog through
    // pg_get_indexdef() and friends would queue behind the DROP.
    let mut reader = pg.connect_db("fp").unwrap();
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM t")
        .unwrap();
    let conn = pg.conn_string("fp");
    let dropper = std::thread::spawn(move || {
        let mut d = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
        d.batch_execute("SET application_name = 'fp-dropper'; BEGIN; DROP TABLE t CASCADE")
            .unwrap();
        d.batch_execute("ROLLBACK").unwrap();
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while c
        .query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = 'fp-dropper' \
             AND wait_event_type = 'Lock'",
            &[],
        )
        .unwrap()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the DROP never queued"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    c.batch_execute("SET lock_timeout = '200ms'").unwrap();
    let under_queue = ddlint::dryrun::fingerprint(&mut c);
    reader.batch_execute("ROLLBACK").unwrap();
    dropper.join().unwrap();
    assert_eq!(under_queue.expect("no lock wait"), base);
}

/// The prediction uses the migration session's TimeZone: `--timezone` as
/// the run sets it, else the server's (here the database's default), so a
/// timestamp -> timestamptz change is predicted and observed alike.
#[test]
fn the_session_timezone_decides_the_predicted_rewrite() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(
        &pg,
        "zones",
        "CREATE TABLE events (id int PRIMARY KEY, at timestamp);
         INSERT INTO events SELECT g, now() FROM generate_series(1, 100) g;",
    );
    let dir = files(
        &tmp.path().join("m"),
        &[(
            "0001_tz.sql",
            "ALTER TABLE events ALTER COLUMN at TYPE timestamptz;\n",
        )],
    );
    // The prediction needs the table's columns: the schema as pg_dump
    // would give it.
    let schema = tmp.path().join("schema.sql");
    std::fs::write(
        &schema,
        "CREATE TABLE events (id int PRIMARY KEY, at timestamp);\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--db", db.as_str(), "--schema", schema.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(dir.to_str().unwrap());
        let (code, v, err) = json_run(&args);
        assert_eq!(code, 0, "{err}\n{v:#}");
        assert_eq!(v["summary"]["disagreements"], 0, "{extra:?}: {v:#}");
        let st = statements(&v);
        (
            !st[0]["observed_rewrites"].as_array().unwrap().is_empty(),
            v["dry_run"]["settings"].to_string(),
        )
    };
    // The test server's TimeZone is UTC: no rewrite.
    assert!(!run(&[]).0);
    let (rewrote, settings) = run(&["--timezone", "Europe/Berlin"]);
    assert!(rewrote);
    assert!(settings.contains("TimeZone"), "{settings}");
    assert!(!run(&["--timezone", "Etc/Universal"]).0);
    // A database whose sessions start in another zone.
    pg.connect()
        .unwrap()
        .batch_execute("ALTER DATABASE zones SET timezone = 'America/Sao_Paulo'")
        .unwrap();
    assert!(run(&[]).0);
}

/// The whole text and Markdown reports, timings and paths redacted.
#[test]
fn reports_snapshot() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(&pg, "snap", ORDERS);
    let dir = files(
        &tmp.path().join("migrations"),
        &[
            (
                "0001_note.sql",
                "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_total ON orders (total);\nCOMMIT;\n",
            ),
            (
                "0002_email.sql",
                "BEGIN;\nALTER TABLE orders ADD COLUMN verified boolean;\n\
                 CREATE UNIQUE INDEX orders_email ON orders (email);\n\
                 ALTER TABLE orders ADD CONSTRAINT orders_email_key UNIQUE USING INDEX orders_email;\nCOMMIT;\n",
            ),
        ],
    );
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+\.\d+ (ms|s)\b", "[T]");
    settings.add_filter(&regex_escape(&dir.display().to_string()), "[DIR]");
    settings.add_filter(r"port \d+", "port [PORT]");
    settings.add_filter(r"pid \d+", "pid [PID]");
    settings.add_filter(r"PostgreSQL [0-9.]+[^)\n]*", "PostgreSQL [VERSION]");
    // Timing-dependent: the terminal timeline's bars, the gantt's times.
    settings.add_filter(r"[█▒·]{10,}", "[BARS]");
    settings.add_filter(r", \d+, \d+\n", ", [START], [END]\n");
    for (format, name) in [("text", "dryrun_text"), ("markdown", "dryrun_markdown")] {
        // A session idle in transaction after reading orders: pre-flight
        // lists it (its AccessShareLock conflicts with ALTER TABLE's
        // AccessExclusiveLock), and statement 2 waits for it until it lets
        // go, once the migration is seen waiting.
        let mut reader = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        for sql in [
            "SET application_name = 'snapshot-reader'",
            "BEGIN",
            "SELECT count(*) FROM orders",
        ] {
            reader.batch_execute(sql).unwrap();
        }
        let mut watch = pg.connect_db("snap").unwrap();
        let release = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < deadline
                && watch
                    .query(
                        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'ddlint' \
                         AND wait_event_type = 'Lock'",
                        &[],
                    )
                    .unwrap()
                    .is_empty()
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(200));
            reader.batch_execute("ROLLBACK").unwrap();
        });
        let out = ddlint(&[
            "dry-run",
            "--db",
            &db,
            "--format",
            format,
            dir.to_str().unwrap(),
        ]);
        release.join().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let body = String::from_utf8_lossy(&out.stdout).to_string();
        // The target is named once: in the report, not again on stderr.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            body.matches("database snap").count(),
            1,
            "{format}:\n{body}"
        );
        assert!(!stderr.contains("database snap"), "{format}: {stderr}");
        settings.bind(|| insta::assert_snapshot!(name, body));
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Without --db: a throwaway server, the history (--schema here) replayed,
/// the pre-existing table seeded, the migration dry-run and observed.
#[test]
fn throwaway_server_replays_history_and_seeds_rows() {
    let Some(pg) = server() else { return };
    let bin = pg.bin_dir.clone();
    drop(pg);
    let tmp = tempfile::tempdir().unwrap();
    let schema = tmp.path().join("schema.sql");
    std::fs::write(
        &schema,
        // As pg_dump writes it: a psql meta-command line (whose random key
        // may start with a digit) and an emptied search_path.
        "\\restrict 5tZr2Fh0q\n\nSELECT pg_catalog.set_config('search_path', '', false);
         CREATE TYPE public.status AS ENUM ('new', 'paid');
         CREATE TABLE public.customers (id bigint PRIMARY KEY, email varchar(40) NOT NULL UNIQUE);
         CREATE TABLE public.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             customer_id bigint NOT NULL REFERENCES public.customers (id), status public.status NOT NULL,
             total numeric(8,2));
         \\unrestrict 5tZr2Fh0q\n",
    )
    .unwrap();
    let dir = files(
        &tmp.path().join("migrations"),
        &[(
            "0001_index.sql",
            "CREATE INDEX orders_customer ON orders (customer_id);\nALTER TABLE orders ADD COLUMN note text;\n",
        )],
    );
    let (code, v, err) = json_run(&[
        "--pg-bin",
        bin.to_str().unwrap(),
        "--schema",
        schema.to_str().unwrap(),
        "--seed-rows",
        "5000",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert_eq!(v["dry_run"]["throwaway_server"], true);
    let notes = v["dry_run"]["notes"].to_string();
    assert!(notes.contains("seeded 2 table(s) with 5000"), "{v:#}");
    let st = statements(&v);
    assert_eq!(
        st[0]["observed_locks"][0]["relation"], "public.orders",
        "{v:#}"
    );
    assert_eq!(st[0]["observed_locks"][0]["mode"], "ShareLock", "{v:#}");
    assert_eq!(v["summary"]["disagreements"], 0, "{v:#}");

    // A Markdown report to a file, the text report on the terminal: each
    // names the throwaway server once.
    let md = tmp.path().join("dry-run.md");
    let out = ddlint(&[
        "dry-run",
        "--pg-bin",
        bin.to_str().unwrap(),
        "--schema",
        schema.to_str().unwrap(),
        "--format",
        "markdown",
        "-o",
        md.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(out.stdout.is_empty());
    let markdown = std::fs::read_to_string(&md).unwrap();
    for report in [&*text, &markdown] {
        assert_eq!(
            report.matches("a throwaway PostgreSQL").count(),
            1,
            "{report}"
        );
        assert_eq!(report.matches("throwaway").count(), 1, "{report}");
    }
    assert!(
        text.contains("changes: committed as the migration tool would; the server is removed\n"),
        "{text}"
    );

    // Migrations that create every table they touch: nothing to seed, and
    // the note says why rather than "seeded 0 table(s)".
    let fresh = files(
        &tmp.path().join("fresh"),
        &[(
            "0001.sql",
            "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n",
        )],
    );
    let (code, v, err) = json_run(&[
        "--pg-bin",
        bin.to_str().unwrap(),
        "--seed-rows",
        "100",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    let notes = v["dry_run"]["notes"].to_string();
    assert!(
        notes.contains("seeded no table: none exists before"),
        "{v:#}"
    );
    assert!(!notes.contains("seeded 0"), "{v:#}");
}

#[test]
fn markdown_is_cut_to_fit_its_limit() {
    let Some(pg) = server() else { return };
    let bin = pg.bin_dir.clone();
    drop(pg);
    let tmp = tempfile::tempdir().unwrap();
    let sql: String = (1..=200)
        .map(|i| format!("CREATE TABLE t{i} (id int);\n"))
        .collect();
    let dir = files(&tmp.path().join("migrations"), &[("0001_tables.sql", &sql)]);
    let out = ddlint(&[
        "dry-run",
        "--pg-bin",
        bin.to_str().unwrap(),
        "--format",
        "markdown",
        "--markdown-limit",
        "4096",
        dir.to_str().unwrap(),
    ]);
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{md}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        md.len() <= 4096 && md.len() > 3000,
        "{} bytes:\n{md}",
        md.len()
    );
    let rows = md
        .lines()
        .filter(|l| l.contains("| CREATE TABLE |"))
        .count();
    assert!(rows > 0 && rows < 200, "{md}");
    assert!(
        md.contains(&format!(
            "\n> **{} of 200 statements are not shown**, to keep this report within 4096 \
             characters. `ddlint dry-run --format text` (or `--format json`) shows everything, \
             or raise `--markdown-limit` (`--markdown-limit 1048576` fits a job summary).\n",
            200 - rows
        )),
        "{md}"
    );
    // What follows the table is kept.
    assert!(md.ends_with("\n- committed: every statement\n"), "{md}");
}

/// A psql script without ON_ERROR_STOP: psql reports an error and carries
/// on; in a transaction block the server refuses the rest of the block.
/// Rolled back and committed runs both follow psql; ON_ERROR_STOP (in the
/// script or `--var`) stops at the first error.
#[test]
fn psql_carries_on_after_errors_without_on_error_stop() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = "CREATE TABLE a (id int);\n\
                  CREATE UNIQUE INDEX a_u ON a (id);\n\
                  INSERT INTO a VALUES (1), (1);\n\
                  CREATE TABLE b (id int);\n\
                  BEGIN;\n\
                  INSERT INTO b VALUES ('x');\n\
                  CREATE TABLE c (id int);\n\
                  COMMIT;\n\
                  CREATE TABLE d (id int);\n";
    let dir = files(dir.path(), &[("001.sql", script)]);
    let file = dir.join("001.sql");
    let file = file.to_str().unwrap();
    let status = |v: &Value| -> Vec<String> {
        statements(v)
            .iter()
            .map(|s| s["status"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let expected = [
        "ok", "ok", "failed", "ok", "ok", "failed", "not-run", "not-run", "ok",
    ];
    for commit in [false, true] {
        let db = database(&pg, if commit { "psql_c" } else { "psql_r" }, "SELECT 1");
        let mut args = vec!["--no-config", "--db", db.as_str(), file];
        if commit {
            args.push("--commit");
        }
        let (code, v, err) = json_run(&args);
        assert_eq!(code, 1, "{v:#}\n{err}");
        assert_eq!(status(&v), expected, "commit {commit}: {v:#}");
        // An INSERT's duplicate is not a unique index over existing data.
        assert_eq!(
            statements(&v)[2]["error"]["explanation"],
            "a row this migration writes duplicates an existing key",
            "{v:#}"
        );
        assert!(
            statements(&v)[6]["run_notes"][0]
                .as_str()
                .unwrap()
                .contains("25P02"),
            "{v:#}"
        );
        assert!(
            v.to_string().contains("psql carries on after an error"),
            "{v:#}"
        );
        let tables: Vec<String> = pg
            .connect_db(if commit { "psql_c" } else { "psql_r" })
            .unwrap()
            .query(
                "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        if commit {
            // What psql leaves: the failed statements and block undone.
            assert_eq!(tables, ["a", "b", "d"]);
        } else {
            assert!(tables.is_empty(), "{tables:?}");
            assert_eq!(v["dry_run"]["schema_unchanged"], true, "{v:#}");
        }
    }
    // ON_ERROR_STOP stops at the first error, from --var or the script.
    let db = database(&pg, "psql_stop", "SELECT 1");
    let (code, v, _) = json_run(&["--no-config", "--db", &db, "--var", "ON_ERROR_STOP=1", file]);
    assert_eq!(code, 1);
    assert_eq!(
        status(&v),
        ["ok", "ok", "failed", "not-run", "not-run", "not-run", "not-run", "not-run", "not-run"]
    );
    std::fs::write(
        dir.join("001.sql"),
        format!("\\set ON_ERROR_STOP on\n{script}"),
    )
    .unwrap();
    let (_, v, _) = json_run(&["--no-config", "--db", &db, file]);
    assert_eq!(status(&v)[3], "not-run", "{v:#}");
}

/// `--fail-on-disagreement`: an observation that differs from the
/// prediction fails the run (here the prediction starts from a schema file
/// that is wrong about a column's type, so the rewrite is not predicted).
#[test]
fn a_disagreement_fails_the_run_when_asked() {
    let Some(pg) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = database(
        &pg,
        "disagree",
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;",
    );
    let dir = files(
        &tmp.path().join("m"),
        &[("0001.sql", "ALTER TABLE t ALTER COLUMN v TYPE bigint;\n")],
    );
    let schema = tmp.path().join("schema.sql");
    std::fs::write(&schema, "CREATE TABLE t (id int PRIMARY KEY, v bigint);\n").unwrap();
    let args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "--no-config".to_string(),
            "--db".into(),
            db.clone(),
            "--schema".into(),
            schema.to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push(dir.to_str().unwrap().into());
        a
    };
    let plain = args(&[]);
    let (code, v, _) = json_run(&plain.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(v["summary"]["disagreements"].as_u64().unwrap() > 0, "{v:#}");
    assert_eq!(code, 0, "{v:#}");
    let gated = args(&["--fail-on-disagreement"]);
    let (code, _, err) = json_run(&gated.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--fail-on-disagreement"), "{err}");
}
