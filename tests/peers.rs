//! The patterns the peer linters (squawk, pgfence, eugene, strong_migrations)
//! document, written here in our own SQL: ddlint flags every "bad" one that
//! is really dangerous, with a rule of the expected kind, and stays silent
//! on every "good" one (PostgreSQL 15, the same existing schema).

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ddlint");

const SCHEMA: &str = "CREATE TABLE accounts (id bigint PRIMARY KEY, email text, plan text, created timestamptz, score integer, nickname varchar(30));\n\
CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint, total numeric(10,2), issued timestamptz);\n\
CREATE INDEX invoices_account_id ON invoices (account_id);\n\
CREATE TYPE plan_kind AS ENUM ('free', 'pro');\n";

fn rules(sql: &str, extra: &[&str]) -> Vec<String> {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("schema.sql"), SCHEMA).unwrap();
    std::fs::write(t.path().join("m.sql"), sql).unwrap();
    let mut args = vec![
        "check",
        "--no-config",
        "--format",
        "json",
        "--schema",
        "schema.sql",
        "m.sql",
    ];
    args.extend_from_slice(extra);
    let out = Command::new(BIN)
        .current_dir(t.path())
        .args(&args)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = Path::new(".");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// (what, bad, rule expected on bad, good). Every good case starts with a
/// lock_timeout so that only the rule under test is in question.
const CASES: &[(&str, &str, &str, &str)] = &[
    ("index without concurrently",
     "CREATE INDEX accounts_email ON accounts (email);",
     "require-concurrent-index",
     "CREATE INDEX CONCURRENTLY accounts_email ON accounts (email);"),
    ("unique index without concurrently",
     "CREATE UNIQUE INDEX accounts_email_key ON accounts (email);",
     "require-concurrent-index",
     "CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email);"),
    ("drop index without concurrently",
     "DROP INDEX invoices_account_id;",
     "require-concurrent-index-drop",
     "DROP INDEX CONCURRENTLY invoices_account_id;"),
    ("foreign key validated at once",
     "ALTER TABLE invoices ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);",
     "constraint-requires-not-valid",
     "ALTER TABLE invoices ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;"),
    ("check validated at once",
     "ALTER TABLE invoices ADD CONSTRAINT invoices_total_nonneg CHECK (total >= 0);",
     "constraint-requires-not-valid",
     "ALTER TABLE invoices ADD CONSTRAINT invoices_total_nonneg CHECK (total >= 0) NOT VALID;"),
    ("inline foreign key in add column",
     "ALTER TABLE invoices ADD COLUMN payer_id bigint REFERENCES accounts (id);",
     "constraint-requires-not-valid",
     "ALTER TABLE invoices ADD COLUMN payer_id bigint;"),
    ("unique constraint builds its index under the lock",
     "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
     "unique-constraint-requires-index",
     "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;"),
    ("primary key builds its index under the lock",
     "ALTER TABLE invoices DROP CONSTRAINT invoices_pkey, ADD PRIMARY KEY (id, account_id);",
     "unique-constraint-requires-index",
     "SELECT 1;"),
    ("exclusion constraint",
     "ALTER TABLE invoices ADD CONSTRAINT no_overlap EXCLUDE USING gist (account_id WITH =);",
     "exclusion-constraint",
     "SELECT 1;"),
    ("set not null scans",
     "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
     "set-not-null-scans-table",
     "ALTER TABLE accounts ADD CONSTRAINT accounts_email_nn CHECK (email IS NOT NULL) NOT VALID;"),
    ("type change that rewrites",
     "ALTER TABLE accounts ALTER COLUMN score TYPE bigint;",
     "column-type-change-rewrites",
     "ALTER TABLE accounts ALTER COLUMN nickname TYPE varchar(60);"),
    ("volatile default",
     "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();",
     "add-column-rewrites",
     "ALTER TABLE accounts ADD COLUMN tier text DEFAULT 'basic';"),
    ("serial column added",
     "ALTER TABLE accounts ADD COLUMN seq bigserial;",
     "add-column-rewrites",
     "ALTER TABLE accounts ADD COLUMN seq bigint;"),
    ("stored generated column added",
     "ALTER TABLE accounts ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;",
     "add-column-rewrites",
     "ALTER TABLE accounts ADD COLUMN email_lower text;"),
    ("required column without default",
     "ALTER TABLE accounts ADD COLUMN region text NOT NULL;",
     "add-required-column",
     "ALTER TABLE accounts ADD COLUMN region text NOT NULL DEFAULT 'eu';"),
    ("drop column", "ALTER TABLE accounts DROP COLUMN plan;", "drop-column", "SELECT 1;"),
    ("drop table", "DROP TABLE invoices;", "drop-table", "SELECT 1;"),
    ("rename column", "ALTER TABLE accounts RENAME COLUMN email TO mail;", "rename-column", "SELECT 1;"),
    ("rename table", "ALTER TABLE accounts RENAME TO users;", "rename-table", "SELECT 1;"),
    ("truncate", "TRUNCATE invoices;", "truncate-table", "SELECT 1;"),
    ("truncate cascade", "TRUNCATE accounts CASCADE;", "truncate-table", "SELECT 1;"),
    ("drop database", "DROP DATABASE app;", "drop-database", "SELECT 1;"),
    ("vacuum full", "VACUUM FULL accounts;", "table-rewrite", "VACUUM accounts;"),
    ("cluster", "CLUSTER invoices USING invoices_account_id;", "table-rewrite", "ANALYZE invoices;"),
    ("set tablespace", "ALTER TABLE accounts SET TABLESPACE fast;", "table-rewrite", "SELECT 1;"),
    ("concurrently in a transaction",
     "BEGIN;\nCREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);\nCOMMIT;",
     "no-transaction-block",
     "CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);"),
    ("nested transaction", "BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;", "nested-begin", "BEGIN;\nSELECT 1;\nCOMMIT;"),
    ("uncommitted transaction", "BEGIN;\nSELECT 1;", "begin-without-commit", "BEGIN;\nSELECT 1;\nCOMMIT;"),
    ("not valid then validate in one transaction",
     "BEGIN;\nALTER TABLE invoices ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\nALTER TABLE invoices VALIDATE CONSTRAINT c;\nCOMMIT;",
     "not-valid-validated-in-same-transaction",
     "ALTER TABLE invoices ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\nALTER TABLE invoices VALIDATE CONSTRAINT c;"),
    ("many exclusive locks then a backfill in one transaction",
     "BEGIN;\nALTER TABLE accounts ADD COLUMN tier text;\nUPDATE accounts SET tier = 'basic';\nCOMMIT;",
     "lock-held-during-long-work",
     "BEGIN;\nALTER TABLE accounts ADD COLUMN tier text;\nCOMMIT;"),
    ("enum value used in its transaction",
     "BEGIN;\nALTER TYPE plan_kind ADD VALUE 'team';\nSELECT 'team'::plan_kind;\nCOMMIT;",
     "enum-value-in-transaction",
     "ALTER TYPE plan_kind ADD VALUE 'team';"),
    // The bad version of this one (no SET at all) is checked below.
    ("no lock timeout",
     "ALTER TABLE accounts ADD COLUMN tier text;",
     "",
     "ALTER TABLE accounts ADD COLUMN tier text;"),
    ("lock timeout disabled", "SET lock_timeout = 0;", "lock-timeout-too-long", "SET lock_timeout = '2s';"),
    ("drop not null default", "ALTER TABLE accounts ALTER COLUMN email DROP DEFAULT;", "", "SELECT 1;"),
];

#[test]
fn peer_examples() {
    let mut failures = Vec::new();
    for (what, bad, rule, good) in CASES {
        let bad_rules = rules(
            &format!("SET lock_timeout = '2s';\nSET statement_timeout = '30s';\n{bad}\n"),
            &[],
        );
        if !rule.is_empty() && !bad_rules.iter().any(|r| r == rule) {
            failures.push(format!(
                "{what}: bad not flagged with {rule} ({bad_rules:?})"
            ));
        }
        let good_rules = rules(
            &format!("SET lock_timeout = '2s';\nSET statement_timeout = '30s';\n{good}\n"),
            &[],
        );
        let noisy: Vec<&String> = good_rules
            .iter()
            .filter(|r| *r != "unique-may-fail-on-duplicates" && *r != "unknown-effects")
            .collect();
        if !noisy.is_empty() {
            failures.push(format!("{what}: good flagged: {noisy:?}"));
        }
    }
    // The lock-timeout case: the bad version has no SET at all.
    let r = rules("ALTER TABLE accounts ADD COLUMN tier text;\n", &[]);
    assert!(r.contains(&"require-lock-timeout".to_string()), "{r:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
