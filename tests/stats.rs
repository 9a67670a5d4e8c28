//! Production statistics: `ddlint stats` on a real server (a 10-row and a
//! 1-million-row table, a pg_monitor role, no row values in the file),
//! `check --stats` (severity follows size, estimates, traffic, a relation
//! created by a pending migration), the model's configuration, seeding a
//! dry-run from statistics (the NOT NULL and duplicate-key failures only
//! production data shows), and `stats --calibrate` on a real dry-run.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn ddlint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .expect("run ddlint")
}

fn ddlint(args: &[&str]) -> Output {
    ddlint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

fn findings(v: &Value) -> Vec<&Value> {
    v["findings"].as_array().unwrap().iter().collect()
}

fn finding_at<'a>(v: &'a Value, path_end: &str, line: u64) -> &'a Value {
    findings(v)
        .into_iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(path_end) && f["line"] == line)
        .unwrap_or_else(|| panic!("no finding at {path_end}:{line}: {v:#}"))
}

const FIXTURE: &str = "fixtures/stats";

fn fixture_check(extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "--no-config",
        "--schema",
        "fixtures/stats/schema.sql",
        "--stats",
        "fixtures/stats/ddlint-stats.json",
    ];
    args.extend_from_slice(extra);
    args.push("fixtures/stats/migrations");
    ddlint(&args)
}

/// The whole diagnostic with a committed statistics file: the small
/// table's finding is info, the large ones carry size, duration, traffic
/// and the pool, the pending table says it has no statistics.
#[test]
fn check_with_stats_text() {
    let o = fixture_check(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    insta::assert_snapshot!("check_with_stats_text", stdout(&o));
}

#[test]
fn check_with_stats_json_and_every_format() {
    let o = fixture_check(&["--format", "json"]);
    let v = json(&o);
    let small = finding_at(&v, "0001_settings_index.sql", 2);
    assert_eq!(small["severity"], "info");
    assert_eq!(small["impact"]["relation"], "public.settings");
    assert_eq!(small["impact"]["rows"], 40);
    assert!(small["impact"]["summary"]
        .as_str()
        .unwrap()
        .contains("the lock lasts milliseconds"));
    let big = finding_at(&v, "0002_events.sql", 1);
    assert_eq!(big["severity"], "error");
    let i = &big["impact"];
    assert_eq!(i["relation"], "public.events");
    assert_eq!(i["rows"], 210_000_000u64);
    let secs = i["estimated_seconds"].as_f64().unwrap();
    // 38 GB of heap at the default index build throughput.
    let expected = (38u64 << 30) as f64 / (180.0 * 1024.0 * 1024.0);
    assert!((secs - expected).abs() < 0.01, "{secs} vs {expected}");
    assert_eq!(
        i["blocked_writes"].as_u64().unwrap(),
        (3430.0 * expected).round() as u64
    );
    assert!(i.get("blocked_reads").is_none(), "ShareLock lets reads in");
    assert_eq!(i["pool_size"], 200);
    assert_eq!(i["work"][0]["operation"], "index_build");
    let not_null = finding_at(&v, "0002_events.sql", 3);
    assert_eq!(not_null["impact"]["work"][0]["operation"], "scan");
    assert!(not_null["impact"]["blocked_reads"].as_u64().unwrap() > 0);
    let fk = finding_at(&v, "0002_events.sql", 2);
    let ops: Vec<&str> = fk["impact"]["work"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["validate_foreign_key", "validate_foreign_key"]);
    let pending = finding_at(&v, "0004_audit_index.sql", 2);
    assert_eq!(pending["severity"], "error");
    assert!(pending["impact"].get("estimated_seconds").is_none());
    assert!(pending["impact"]["summary"]
        .as_str()
        .unwrap()
        .contains("public.audit is created by a pending migration"));
    // A finding about something else than traffic has no impact.
    let fk_index = findings(&v)
        .into_iter()
        .find(|f| f["rule"] == "foreign-key-without-index")
        .unwrap();
    assert!(fk_index.get("impact").is_none());

    // Every format shows the same numbers.
    let summary = big["impact"]["summary"].as_str().unwrap();
    for format in ["sarif", "markdown", "github", "gitlab", "junit"] {
        let o = fixture_check(&["--format", format]);
        let out = stdout(&o);
        let shown = if format == "github" {
            // GitHub annotations escape newlines and commas.
            out.replace("%2C", ",")
        } else {
            out.clone()
        };
        assert!(
            shown.contains(summary)
                || shown.contains(&summary.replace('~', "\\u007e"))
                || shown.contains("~4 min of blocking work (index build)"),
            "{format}: {out}"
        );
    }
    let sarif = json(&fixture_check(&["--format", "sarif"]));
    let with_impact = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["impact"].is_object())
        .count();
    assert_eq!(with_impact, 5);
}

#[test]
fn without_stats_nothing_changes() {
    let with = json(&fixture_check(&["--format", "json"]));
    let without = json(&ddlint(&[
        "check",
        "--no-config",
        "--schema",
        "fixtures/stats/schema.sql",
        "--format",
        "json",
        "fixtures/stats/migrations",
    ]));
    let small = finding_at(&without, "0001_settings_index.sql", 2);
    assert_eq!(small["severity"], "error");
    assert!(findings(&without).iter().all(|f| f.get("impact").is_none()));
    let strip = |v: &Value| -> Vec<(String, u64, String)> {
        findings(v)
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&with), strip(&without));
}

/// `stats:` in ddlint.yaml: the file, the thresholds, the throughputs.
#[test]
fn stats_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    std::fs::write(
        dir.path().join("ddlint.yaml"),
        format!(
            "stats:\n  file: {}\n  small_table: 5\n  large_table: 300MB\n  pool_size: 20\n  throughput:\n    index_build: 360\n",
            root.join("ddlint-stats.json").display()
        ),
    )
    .unwrap();
    let schema = root.join("schema.sql");
    let migrations = root.join("migrations");
    let o = ddlint_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--schema",
            schema.to_str().unwrap(),
            migrations.to_str().unwrap(),
        ],
    );
    let v = json(&o);
    // 40 rows is not below 5: the rule's severity stays.
    let settings = finding_at(&v, "0001_settings_index.sql", 2);
    assert_eq!(settings["severity"], "error");
    assert_eq!(settings["impact"]["pool_size"], 20);
    let big = finding_at(&v, "0002_events.sql", 1);
    let expected = (38u64 << 30) as f64 / (360.0 * 1024.0 * 1024.0);
    assert!((big["impact"]["estimated_seconds"].as_f64().unwrap() - expected).abs() < 0.01);
    // A warning on a table above large_table is an error.
    assert!(findings(&v)
        .iter()
        .filter(|f| f
            .get("impact")
            .is_some_and(|i| i["relation"] == "public.events"))
        .all(|f| f["severity"] == "error"));

    // Mistakes name the key.
    std::fs::write(
        dir.path().join("ddlint.yaml"),
        "stats:\n  throughput:\n    rewrite: 0\n",
    )
    .unwrap();
    let o = ddlint_in(dir.path(), &["check", migrations.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("stats.throughput.rewrite"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        dir.path().join("ddlint.yaml"),
        "stats:\n  small_table: lots\n",
    )
    .unwrap();
    let o = ddlint_in(dir.path(), &["check", migrations.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a size"), "{}", stderr(&o));
    // A file that is not a statistics file.
    let o = ddlint(&[
        "check",
        "--no-config",
        "--stats",
        "Cargo.toml",
        "fixtures/stats/migrations",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("Cargo.toml: not a ddlint stats file"),
        "{}",
        stderr(&o)
    );
}

const SECRET: &str = "s3cr3t-row-value";

/// A database like production: a 10-row and a 1-million-row table.
fn production(pg: &PgServer) -> String {
    let mut c = pg.connect().expect("connect");
    c.batch_execute("CREATE DATABASE prod").unwrap();
    c.batch_execute("CREATE ROLE monitor LOGIN; GRANT pg_monitor TO monitor")
        .unwrap();
    let mut d = pg.connect_db("prod").unwrap();
    d.batch_execute(&format!(
        "CREATE TABLE settings (id int PRIMARY KEY, name text NOT NULL, value text);
         INSERT INTO settings SELECT g, 'name' || g, '{SECRET}' FROM generate_series(1, 10) g;
         CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint, kind text, note text);
         INSERT INTO events SELECT g, g % 1000, 'kind' || (g % 7),
                CASE WHEN g % 4 = 0 THEN NULL ELSE '{SECRET}' || g END
           FROM generate_series(1, 1000000) g;"
    ))
    .unwrap();
    d.batch_execute("VACUUM ANALYZE").unwrap();
    pg.conn_string("prod")
}

fn with_user(conn: &str, user: &str) -> String {
    let mut parts: Vec<String> = conn
        .split_whitespace()
        .filter(|p| !p.starts_with("user="))
        .map(str::to_string)
        .collect();
    parts.push(format!("user={user}"));
    parts.join(" ")
}

#[test]
fn stats_on_a_real_server_then_check_and_calibrate() {
    let Some(pg) = server() else { return };
    let db = production(&pg);
    let dir = tempfile::tempdir().unwrap();

    // A role with pg_monitor only, while the application writes.
    let monitor_file = dir.path().join("monitor.json");
    let writer = {
        let conn = db.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&conn, postgres::NoTls).unwrap();
            let start = std::time::Instant::now();
            let mut n = 2_000_000i64;
            while start.elapsed() < std::time::Duration::from_secs(4) {
                c.execute("INSERT INTO events VALUES ($1, 1, 'k', NULL)", &[&n])
                    .unwrap();
                c.query("SELECT * FROM settings WHERE id = 1", &[]).unwrap();
                n += 1;
            }
        })
    };
    let o = ddlint(&[
        "stats",
        "--db",
        &with_user(&db, "monitor"),
        "--sample",
        "2s",
        "-o",
        monitor_file.to_str().unwrap(),
    ]);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not read: column statistics of public.events"),
        "{}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(&monitor_file).unwrap();
    assert!(
        !text.contains(SECRET),
        "row values in the statistics: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], "ddlint-stats");
    assert_eq!(v["version"], 1);
    assert_eq!(v["server"]["version_num"].as_u64().unwrap() / 10000, 15);
    assert_eq!(v["server"]["max_connections"], 20);
    assert_eq!(v["server"]["database"], "prod");
    assert!(v["captured_at"].as_str().unwrap().ends_with('Z'));
    let rel = |v: &Value, name: &str| -> Value {
        v["relations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let events = rel(&v, "events");
    assert_eq!(events["rows"], 1_000_000);
    assert!(events["heap_bytes"].as_u64().unwrap() > 40_000_000);
    assert_eq!(events["indexes"][0]["name"], "events_pkey");
    assert_eq!(events["indexes"][0]["primary"], true);
    assert!(
        events["rates"]["inserts"].as_f64().unwrap() > 1.0,
        "{events:#}"
    );
    let reads = &rel(&v, "settings")["rates"];
    assert!(
        reads["index_scans"].as_f64().unwrap() + reads["seq_scans"].as_f64().unwrap() > 1.0,
        "{reads}"
    );
    assert_eq!(events["columns"].as_array().unwrap().len(), 0);
    let unreadable: Vec<&str> = v["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["what"].as_str().unwrap())
        .collect();
    assert!(unreadable.contains(&"column statistics of public.events"));
    assert!(unreadable.contains(&"column statistics of public.settings"));

    // The owner reads the columns' shape: null_frac and n_distinct only.
    let owner_file = dir.path().join("owner.json");
    let o = ddlint(&[
        "stats",
        "--db",
        &db,
        "--sample",
        "0",
        "-q",
        "-o",
        owner_file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let text = std::fs::read_to_string(&owner_file).unwrap();
    assert!(!text.contains(SECRET), "row values in the statistics");
    let v: Value = serde_json::from_str(&text).unwrap();
    let events = rel(&v, "events");
    let note = events["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "note")
        .unwrap();
    let keys: Vec<&str> = note
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["n_distinct", "name", "null_frac"]);
    assert!(
        (note["null_frac"].as_f64().unwrap() - 0.25).abs() < 0.03,
        "{note}"
    );
    let kind = events["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "kind")
        .unwrap();
    assert_eq!(kind["n_distinct"], 7.0);

    // check --stats: the small table's finding is info, the large one's has
    // an estimate, and the writes seen while sampling.
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE settings (id int PRIMARY KEY, name text NOT NULL, value text);
         CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint, kind text, note text);",
    )
    .unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("001_indexes.sql"),
        "CREATE INDEX settings_value ON settings (value);\nCREATE INDEX events_kind ON events (kind);\n",
    )
    .unwrap();
    let schema = dir.path().join("schema.sql");
    let o = ddlint(&[
        "check",
        "--no-config",
        "--format",
        "json",
        "--schema",
        schema.to_str().unwrap(),
        "--stats",
        monitor_file.to_str().unwrap(),
        m.to_str().unwrap(),
    ]);
    let v = json(&o);
    let small = finding_at(&v, "001_indexes.sql", 1);
    assert_eq!(small["severity"], "info");
    assert_eq!(small["impact"]["rows"], 10);
    let big = finding_at(&v, "001_indexes.sql", 2);
    assert_eq!(big["severity"], "error");
    assert_eq!(big["impact"]["rows"], 1_000_000);
    assert!(big["impact"]["estimated_seconds"].as_f64().unwrap() > 0.05);
    assert!(
        big["impact"]["blocked_writes"].as_u64().unwrap() > 0,
        "{big:#}"
    );
    assert_eq!(big["impact"]["pool_size"], 20);

    // The dry-run prints its measurement next to the estimate, and the
    // calibration fits the index build throughput to it.
    let run = dir.path().join("run.json");
    let o = ddlint(&[
        "dry-run",
        "--no-config",
        "--db",
        &db,
        "--schema",
        schema.to_str().unwrap(),
        "--stats",
        owner_file.to_str().unwrap(),
        "--format",
        "json",
        "-o",
        run.to_str().unwrap(),
        "-q",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("(estimated ~"),
        "the text report on the terminal: {}",
        stderr(&o)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&run).unwrap()).unwrap();
    let st = &r["files"][0]["statements"][1];
    assert_eq!(st["estimate"]["work"][0]["operation"], "index_build");
    assert!(st["duration_ms"].as_f64().unwrap() > 0.0);
    let o = ddlint(&["stats", "--no-config", "--calibrate", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("index_build:"), "{}", stdout(&o));
    assert!(stdout(&o).contains("# fitted"), "{}", stdout(&o));
    // Nothing to calibrate from a report without estimates.
    let o = ddlint(&["stats", "--no-config", "--calibrate", "Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

fn pg_bin() -> Option<PathBuf> {
    support::pg::find_bin_dir(15)
}

/// Production has NULLs in a column and duplicates in another; synthetic
/// rows have neither unless seeded from the statistics.
#[test]
fn seeding_from_stats_reproduces_production_failures() {
    let Some(pg) = server() else { return };
    let Some(bin) = pg_bin() else { return };
    let mut c = pg.connect().unwrap();
    c.batch_execute("CREATE DATABASE shop").unwrap();
    let mut d = pg.connect_db("shop").unwrap();
    let schema =
        "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, nickname text);";
    d.batch_execute(&format!(
        "{schema}
         INSERT INTO customers SELECT g, 'user' || (g % 50) || '@example.com',
                CASE WHEN g % 5 = 0 THEN NULL ELSE 'nick' || g END
           FROM generate_series(1, 20000) g;
         ANALYZE;"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let o = ddlint(&[
        "stats",
        "--db",
        &pg.conn_string("shop"),
        "--sample",
        "0",
        "-q",
        "-o",
        stats.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let schema_file = dir.path().join("schema.sql");
    std::fs::write(&schema_file, schema).unwrap();
    let cases = [
        (
            "unique",
            "CREATE UNIQUE INDEX customers_email ON customers (email);\n",
            "could not create unique index",
        ),
        (
            "not_null",
            "ALTER TABLE customers ALTER COLUMN nickname SET NOT NULL;\n",
            "contains null values",
        ),
    ];
    for (name, sql, failure) in cases {
        let m = dir.path().join(name);
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("001_change.sql"), sql).unwrap();
        let run = |extra: &[&str]| -> Output {
            let mut args = vec![
                "dry-run",
                "--no-config",
                "--pg-bin",
                bin.to_str().unwrap(),
                "--schema",
                schema_file.to_str().unwrap(),
                "--format",
                "json",
                "-q",
            ];
            args.extend_from_slice(extra);
            args.push(m.to_str().unwrap());
            ddlint(&args)
        };
        // Plain synthetic rows: distinct and non-NULL, the change passes.
        let plain = run(&["--seed-rows", "20000"]);
        assert_eq!(plain.status.code(), Some(0), "{name}: {}", stderr(&plain));
        // Shaped like production: it fails as it would there.
        let shaped = run(&["--seed-rows", "auto", "--stats", stats.to_str().unwrap()]);
        assert_eq!(shaped.status.code(), Some(1), "{name}: {}", stderr(&shaped));
        let v = json(&shaped);
        let err = v["files"][0]["statements"][0]["error"].to_string();
        assert!(err.contains(failure), "{name}: {err}");
        let notes = v.to_string();
        assert!(
            notes.contains("seeded 1 table(s) with production's row counts (at most 1000000)"),
            "{notes}"
        );
        assert!(notes.contains("public.customers 20000"), "{notes}");
    }
    // auto needs statistics.
    let o = ddlint(&[
        "dry-run",
        "--no-config",
        "--seed-rows",
        "auto",
        "fixtures/stats/migrations",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--stats FILE"), "{}", stderr(&o));
}

/// The capture's queries on every major the harness has (11-18):
/// partitioned tables sum their partitions, partitions name their parent,
/// a table never analysed has no row estimate and says so.
#[test]
fn capture_on_every_major() {
    let majors = PgServer::available_majors();
    if majors.is_empty() {
        assert!(
            std::env::var("DDLINT_REQUIRE_PG").is_err(),
            "PostgreSQL is required"
        );
        return;
    }
    for major in majors {
        let pg = PgServer::start(major).unwrap_or_else(|e| panic!("{major}: {e}"));
        let mut c = pg.connect().unwrap();
        c.batch_execute(
            "CREATE TABLE m (id int, at date NOT NULL, v text) PARTITION BY RANGE (at);
             CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
             CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             INSERT INTO m SELECT g, date '2025-06-01' + (g % 400), CASE WHEN g % 2 = 0 THEN 'x' END
               FROM generate_series(1, 3000) g;
             CREATE INDEX m_id ON m (id);
             CREATE MATERIALIZED VIEW mv AS SELECT id FROM m_2025;
             CREATE TABLE fresh (id int PRIMARY KEY);",
        )
        .unwrap();
        for q in [
            "VACUUM ANALYZE m_2025",
            "VACUUM ANALYZE m_2026",
            "ANALYZE m",
            "ANALYZE mv",
        ] {
            c.batch_execute(q).unwrap();
        }
        let o = ddlint(&[
            "stats",
            "--db",
            &pg.conn_string("postgres"),
            "--sample",
            "0",
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{major}: {}", stderr(&o));
        let v = json(&o);
        let rel = |name: &str| -> Value {
            v["relations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("{major}: no {name}: {v:#}"))
        };
        let (a, b, parent) = (rel("m_2025"), rel("m_2026"), rel("m"));
        assert_eq!(parent["kind"], "partitioned table", "{major}");
        assert_eq!(a["parent"]["name"], "m", "{major}");
        let sum = a["rows"].as_u64().unwrap() + b["rows"].as_u64().unwrap();
        assert_eq!(sum, 3000, "{major}");
        assert_eq!(parent["rows"].as_u64(), Some(sum), "{major}: {parent:#}");
        assert_eq!(
            parent["heap_bytes"].as_u64().unwrap(),
            a["heap_bytes"].as_u64().unwrap() + b["heap_bytes"].as_u64().unwrap(),
            "{major}"
        );
        // The partitioned table's columns are the inherited statistics.
        let v_col = parent["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "v")
            .cloned()
            .unwrap_or_else(|| panic!("{major}: {parent:#}"));
        assert!(
            (v_col["null_frac"].as_f64().unwrap() - 0.5).abs() < 0.05,
            "{major}"
        );
        assert_eq!(rel("mv")["kind"], "materialized view", "{major}");
        assert_eq!(a["indexes"][0]["name"], "m_2025_id_idx", "{major}");
        if major >= 14 {
            // reltuples is -1 until the first VACUUM or ANALYZE (14+).
            assert!(rel("fresh").get("rows").is_none(), "{major}");
            assert!(
                v["unreadable"].to_string().contains("public.fresh"),
                "{major}"
            );
        }
    }
}
