//! `--schema FILE` seeds the catalog from a real `pg_dump --schema-only`:
//! a schema is built on a real PostgreSQL 15, dumped with pg_dump, and each
//! change statement is both observed on the server and predicted by
//! `ddlint check --schema dump.sql change.sql`; locks on pre-existing
//! tables and rewrites must agree.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::observe::{merge_mode, Observer};
use support::pg::PgServer;

const SETUP: &str = r#"
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'paid');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE app.customers (id bigserial PRIMARY KEY, email app.email NOT NULL UNIQUE, name varchar(50));
CREATE TABLE app.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES app.customers (id),
    status app.status NOT NULL DEFAULT 'new',
    total numeric(10,2) CHECK (total >= 0),
    price numeric(10,2),
    qty int,
    placed_at timestamp NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE TABLE app.events (id bigint NOT NULL, at date NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW app.contacts AS SELECT id, email FROM app.customers;
CREATE MATERIALIZED VIEW app.order_totals AS SELECT customer_id, sum(total) AS total FROM app.orders GROUP BY customer_id;
INSERT INTO app.customers (email) VALUES ('a@b');
INSERT INTO app.orders (customer_id, total) VALUES (1, 10);
"#;

const CHANGES: &[&str] = &[
    "CREATE INDEX orders_placed_idx ON app.orders (placed_at);",
    "ALTER TABLE app.orders ADD COLUMN note text;",
    "ALTER TABLE app.orders ADD COLUMN ref uuid DEFAULT gen_random_uuid();",
    "ALTER TABLE app.orders ALTER COLUMN price TYPE numeric(12,2);",
    "ALTER TABLE app.orders ALTER COLUMN price TYPE numeric(12,3);",
    "ALTER TABLE app.orders ALTER COLUMN qty TYPE bigint;",
    "ALTER TABLE app.customers ALTER COLUMN name TYPE varchar(100);",
    "ALTER TABLE app.orders ALTER COLUMN placed_at TYPE timestamptz;",
    "ALTER TABLE app.orders DROP CONSTRAINT orders_customer_id_fkey;",
    "ALTER TABLE app.orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;",
    "ALTER TABLE app.events ADD COLUMN source text;",
    "CREATE INDEX events_at_idx ON app.events (at);",
    "DROP TABLE app.events_2025;",
    "ALTER TABLE app.events DETACH PARTITION app.events_2026;",
    "REFRESH MATERIALIZED VIEW app.order_totals;",
    "DROP VIEW app.contacts;",
    "TRUNCATE app.customers CASCADE;",
    "ALTER TABLE app.customers RENAME COLUMN name TO full_name;",
    "INSERT INTO app.orders (customer_id, total) VALUES (1, 5);",
    "ALTER TYPE app.status ADD VALUE 'shipped';",
    "ALTER TABLE app.orders ALTER COLUMN status SET DEFAULT 'paid';",
];

fn pg_dump() -> Option<PathBuf> {
    ["/usr/lib/postgresql/15/bin/pg_dump", "/usr/bin/pg_dump"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn predicted(dump: &Path, change: &Path) -> (BTreeMap<String, String>, Vec<String>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args([
            "check",
            "--format",
            "json",
            "--pg-version",
            "15",
            "--schema",
        ])
        .arg(dump)
        .arg(change)
        .output()
        .expect("run ddlint");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["files"].as_array().unwrap().len(),
        1,
        "the schema file is not reported"
    );
    let mut locks = BTreeMap::new();
    let mut rewrites = Vec::new();
    for s in json["files"][0]["statements"].as_array().unwrap() {
        for l in s["locks"].as_array().unwrap() {
            merge_mode(
                &mut locks,
                l["relation"].as_str().unwrap(),
                l["mode"].as_str().unwrap(),
            );
        }
        for r in s["rewrites"].as_array().into_iter().flatten() {
            rewrites.push(r.as_str().unwrap().to_string());
        }
    }
    (locks, rewrites)
}

#[test]
fn schema_seeded_from_pg_dump_gives_exact_locks() {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("DDLINT_REQUIRE_PG").is_some();
    let (server, dump_bin) = match (PgServer::start(15), pg_dump()) {
        (Ok(s), Some(d)) => (s, d),
        (s, d) => {
            let msg = format!(
                "PostgreSQL 15 server or pg_dump missing: {:?} {:?}",
                s.err(),
                d
            );
            assert!(!required, "{msg}");
            eprintln!("skipping: {msg}");
            return;
        }
    };
    let mut admin = server.connect().expect("connect");
    admin
        .batch_execute("CREATE DATABASE dumped")
        .expect("create db");
    server
        .connect_db("dumped")
        .expect("connect")
        .batch_execute(SETUP)
        .expect("setup");
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("schema.sql");
    let out = Command::new(&dump_bin)
        .args([
            "--schema-only",
            "--no-owner",
            "-d",
            &server.conn_string("dumped"),
            "-f",
        ])
        .arg(&dump)
        .output()
        .expect("pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut observer = Observer::new(&server).expect("observer");
    let mut failures = Vec::new();
    for (i, change) in CHANGES.iter().enumerate() {
        let obs = observer.observe(SETUP, change);
        assert!(obs.error.is_none(), "{change}: {:?}", obs.error);
        let path = dir.path().join(format!("change_{i}.sql"));
        std::fs::write(&path, change).unwrap();
        let (locks, rewrites) = predicted(&dump, &path);
        let tables = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.iter()
                .filter(|(r, _)| obs.relkinds.get(*r).is_some_and(|k| !k.contains("index")))
                .map(|(r, m)| (r.clone(), m.clone()))
                .collect()
        };
        let (p, o) = (tables(&locks), tables(&obs.locks));
        if p != o {
            failures.push(format!("{change}\n  predicted {p:?}\n  observed  {o:?}"));
        }
        let mut pr: Vec<String> = rewrites
            .into_iter()
            .filter(|r| obs.relkinds.contains_key(r))
            .collect();
        pr.sort();
        let or: Vec<String> = obs
            .rewrites
            .iter()
            .filter(|r| obs.relkinds.get(*r).is_some_and(|k| !k.contains("index")))
            .cloned()
            .collect();
        if pr != or {
            failures.push(format!(
                "{change}\n  predicted rewrites {pr:?}\n  observed rewrites  {or:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
