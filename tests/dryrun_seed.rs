//! `--seed-rows`: `ddlint::dryrun::seed::seed_tables` on a real server (the
//! throwaway server of `ddlint::dryrun::server`).

use ddlint::dryrun::seed::{seed_tables, Rows, SeedReport};
use ddlint::dryrun::server::{find_binaries, EmbeddedServer, ServerOptions};

fn server() -> Option<EmbeddedServer> {
    if let Err(e) = find_binaries(None) {
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("DDLINT_REQUIRE_PG").is_some();
        assert!(!required, "{e}");
        eprintln!("skipping: {e}");
        return None;
    }
    Some(
        EmbeddedServer::start(&ServerOptions {
            system_user: Some("ddlint-test".to_string()),
            ..ServerOptions::default()
        })
        .expect("start"),
    )
}

const SCHEMA: &str = r#"
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN short_code AS varchar(3);
CREATE SCHEMA app;

CREATE TABLE app.accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email varchar(5) NOT NULL UNIQUE,
    balance numeric(5,2) NOT NULL,
    ratio numeric(3,3),
    mood mood NOT NULL,
    points posint NOT NULL,
    code short_code,
    created timestamptz NOT NULL,
    born date,
    at_time time,
    span interval,
    ext uuid NOT NULL UNIQUE,
    doc jsonb NOT NULL,
    raw json,
    ip inet NOT NULL,
    net cidr,
    tags text[] NOT NULL,
    blob bytea,
    flag boolean NOT NULL,
    small smallint NOT NULL,
    f8 double precision,
    during tstzrange,
    "Mixed Case" text NOT NULL,
    email_upper text GENERATED ALWAYS AS (upper(email)) STORED,
    note text DEFAULT 'kept'
);

CREATE TABLE regions (
    country char(2) NOT NULL,
    code integer NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (country, code)
);

-- Referencing an identity key, a composite key and itself.
CREATE TABLE app.orders (
    id serial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES app.accounts,
    country char(2) NOT NULL,
    region integer NOT NULL,
    parent_id integer REFERENCES app.orders,
    FOREIGN KEY (country, region) REFERENCES regions
);

-- Self-reference with a generated (not defaulted) key and NOT NULL.
CREATE TABLE nodes (
    id integer PRIMARY KEY,
    parent integer NOT NULL REFERENCES nodes
);

CREATE TABLE events (
    id bigint NOT NULL,
    account_id bigint REFERENCES app.accounts,
    happened timestamptz NOT NULL
) PARTITION BY RANGE (id);
CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE events_high PARTITION OF events FOR VALUES FROM (100) TO (MAXVALUE);

-- Cannot be satisfied: 'v' || g never starts with X.
CREATE TABLE strict (code text NOT NULL CHECK (code LIKE 'X%'));

-- Satisfiable once the nullable column is NULL.
CREATE TABLE lenient (id integer NOT NULL, maybe integer CHECK (maybe < 0));

-- Already has rows: collisions on the unique key are skipped, not fatal.
CREATE TABLE existing (id integer PRIMARY KEY, v text);
INSERT INTO existing VALUES (1, 'old'), (2, 'old');

CREATE TABLE no_columns ();
"#;

fn count(c: &mut postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

fn seeded(report: &SeedReport, table: &str) -> u64 {
    report
        .tables
        .iter()
        .find(|t| t.table == table)
        .unwrap_or_else(|| panic!("{table} not seeded: {report:#?}"))
        .rows
}

#[test]
fn seeds_every_table_in_foreign_key_order() {
    let Some(server) = server() else { return };
    let mut c = server.connect("postgres").expect("connect");
    c.batch_execute(SCHEMA).expect("schema");

    let report = seed_tables(&mut c, Rows::Fixed(300), None).expect("seed");

    // Referenced tables before the tables that reference them.
    let pos = |t: &str| report.tables.iter().position(|s| s.table == t);
    assert!(pos("app.accounts") < pos("app.orders"), "{report:#?}");
    assert!(pos("public.regions") < pos("app.orders"), "{report:#?}");
    assert!(pos("app.accounts") < pos("public.events"), "{report:#?}");

    for t in [
        "app.accounts",
        "app.orders",
        "public.regions",
        "public.nodes",
        "public.events",
        "public.lenient",
        "public.no_columns",
    ] {
        assert_eq!(seeded(&report, t), 300, "{t}");
        assert_eq!(count(&mut c, t), 300, "{t}");
    }
    // Partitions get their rows through the partitioned table.
    assert!(report
        .tables
        .iter()
        .all(|t| !t.table.starts_with("public.events_")));
    assert_eq!(count(&mut c, "events_low"), 99);
    assert_eq!(count(&mut c, "events_high"), 201);

    // Two ids already there: those rows are skipped by ON CONFLICT.
    assert_eq!(seeded(&report, "public.existing"), 298);
    assert_eq!(count(&mut c, "existing"), 300);

    // The CHECK constraint it cannot satisfy: skipped, with the reason.
    let (_, why) = report
        .skipped
        .iter()
        .find(|(t, _)| t == "public.strict")
        .unwrap_or_else(|| panic!("strict not skipped: {report:#?}"));
    assert!(why.contains("strict_code_check"), "{why}");
    assert_eq!(count(&mut c, "strict"), 0);
    assert_eq!(report.skipped.len(), 1, "{report:#?}");

    // The nullable column was NULLed on retry.
    let nulls = count(&mut c, "lenient WHERE maybe IS NULL");
    assert_eq!(nulls, 300);

    // Values honour types and constraints.
    let row = c
        .query_one(
            "SELECT max(length(email)), max(balance)::text, max(ratio)::text, \
                    count(DISTINCT mood), min(points), max(length(code)), \
                    count(DISTINCT ext), bool_and(email_upper = upper(email))::text, \
                    min(note), count(DISTINCT id) \
             FROM app.accounts",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 4); // "v300"
    assert_eq!(row.get::<_, String>(1), "300.00");
    assert_eq!(row.get::<_, String>(2), "0.000");
    assert_eq!(row.get::<_, i64>(3), 3);
    assert!(row.get::<_, i32>(4) > 0);
    assert_eq!(row.get::<_, i32>(5), 3);
    assert_eq!(row.get::<_, i64>(6), 300);
    assert_eq!(row.get::<_, String>(7), "true");
    assert_eq!(row.get::<_, String>(8), "kept");
    assert_eq!(row.get::<_, i64>(9), 300);

    // Foreign keys point at existing rows (the inserts passed the checks;
    // this double-checks the joins chose real keys).
    let orphans: i64 = c
        .query_one(
            "SELECT count(*) FROM app.orders o \
             WHERE NOT EXISTS (SELECT 1 FROM app.accounts a WHERE a.id = o.account_id) \
                OR NOT EXISTS (SELECT 1 FROM regions r WHERE (r.country, r.code) = (o.country, o.region))",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0);
    let chain: i64 = c
        .query_one(
            "SELECT count(DISTINCT parent) FROM nodes WHERE parent <> id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(chain, 300, "each node points at another node");

    // ANALYZE ran.
    let analysed: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_stat_user_tables \
             WHERE relname IN ('accounts', 'orders', 'nodes') AND last_analyze IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(analysed, 3);
}

#[test]
fn empty_parent_leaves_foreign_keys_null_or_skips() {
    let Some(server) = server() else { return };
    let mut c = server.connect("postgres").expect("connect");
    c.batch_execute(
        "CREATE TABLE parent (id integer PRIMARY KEY, code text NOT NULL CHECK (code = 'x'));
         CREATE TABLE optional_child (id integer, parent_id integer REFERENCES parent);
         CREATE TABLE required_child (id integer, parent_id integer NOT NULL REFERENCES parent);
         CREATE TABLE unsupported (id integer, p point, c circle NOT NULL);",
    )
    .expect("schema");
    let report = seed_tables(&mut c, Rows::Fixed(10), None).expect("seed");
    assert_eq!(seeded(&report, "public.optional_child"), 10);
    let skipped: Vec<&str> = report.skipped.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "public.parent",
            "public.required_child",
            "public.unsupported"
        ],
        "{report:#?}"
    );
    let why = &report.skipped[2].1;
    assert!(why.contains("circle") && why.contains("DEFAULT"), "{why}");
    assert_eq!(
        seed_tables(&mut c, Rows::Fixed(0), None).expect("no rows"),
        SeedReport::default()
    );
}
