//! `session:` in ddlint.yaml, the session a migration runner prepares
//! before each migration: the model starts every file from it, the
//! timeout rules judge its values instead of asking each file to set them,
//! and dry-run runs with it (and names the target's own defaults).

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::pg::PgServer;

fn ddlint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ddlint")
}

/// A project: ddlint.yaml with `config`, and two migrations.
fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("001_create.sql"),
        "CREATE SCHEMA app;\nCREATE TABLE app.t (id bigint PRIMARY KEY, v text);\nCREATE TABLE public.t (id bigint PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        m.join("002_change.sql"),
        "ALTER TABLE t ADD COLUMN w int;\nALTER TABLE t ADD CONSTRAINT t_w CHECK (w > 0);\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ddlint.yaml"), config).unwrap();
    dir
}

fn check(dir: &Path) -> (i32, Value, String) {
    let o = ddlint_in(dir, &["check", "--format", "json", "migrations"]);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let v =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    (o.status.code().unwrap(), v, stderr)
}

/// (rule, related) of the findings in 002_change.sql.
fn rules_on_change(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with("002_change.sql"))
        .flat_map(|f| {
            std::iter::once(f["rule"].as_str().unwrap().to_string()).chain(
                f["related"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r.as_str().unwrap().to_string()),
            )
        })
        .collect()
}

#[test]
fn the_runner_sets_the_timeouts() {
    // Nothing configured: every file has to set them.
    let p = project("");
    let (_, v, _) = check(p.path());
    let rules = rules_on_change(&v);
    assert!(
        rules.contains(&"require-lock-timeout".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"require-statement-timeout".to_string()),
        "{rules:?}"
    );

    // The runner sets sane values: no finding asks the file for them.
    let p = project("session:\n  lock_timeout: 3s\n  statement_timeout: 1min\n");
    let (_, v, _) = check(p.path());
    let rules = rules_on_change(&v);
    assert!(!rules.iter().any(|r| r.contains("timeout")), "{rules:?}");

    // The runner disables the lock timeout: judged, once per file.
    let p = project("session:\n  lock_timeout: 0\n");
    let (code, v, _) = check(p.path());
    assert_eq!(code, 1);
    let mine: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "lock-timeout-too-long")
        .collect();
    assert_eq!(mine.len(), 1, "{v:#}");
    assert_eq!(mine[0]["line"], 1);
    assert!(mine[0]["message"]
        .as_str()
        .unwrap()
        .contains("sets lock_timeout to 0 (no limit)"));

    // Too long for lock_timeout_max.
    let p = project("lock_timeout_max: 5s\nsession:\n  lock_timeout: 30s\n");
    let (_, v, _) = check(p.path());
    let msg = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "lock-timeout-too-long")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        msg.contains("30000ms, above the configured maximum of 5000ms"),
        "{msg}"
    );

    // A file that sets its own value overrides the runner's.
    std::fs::write(
        p.path().join("migrations/002_change.sql"),
        "SET lock_timeout = '2s';\nALTER TABLE t ADD COLUMN w int;\n",
    )
    .unwrap();
    let (_, v, _) = check(p.path());
    assert!(
        !rules_on_change(&v).contains(&"lock-timeout-too-long".to_string()),
        "{v:#}"
    );
}

#[test]
fn overrides_and_search_path() {
    // Per path: the legacy directory's runner waits forever.
    let p = project(
        "session:\n  lock_timeout: 3s\n  search_path: [app, public]\noverrides:\n  - paths: [\"migrations/002_*\"]\n    session:\n      lock_timeout: 0\n",
    );
    let (_, v, _) = check(p.path());
    assert!(rules_on_change(&v).contains(&"lock-timeout-too-long".to_string()));
    // search_path from the runner: `t` is app.t.
    let st = &v["files"][1]["statements"][0];
    assert_eq!(st["locks"][0]["relation"], "app.t", "{st:#}");

    // Mistakes name the key.
    for (yaml, key) in [
        ("session:\n  lock_timeout: soon\n", "`session.lock_timeout`"),
        ("session:\n  timezone: Mars/Base\n", "`session.timezone`"),
        ("session:\n  lock_timout: 3s\n", "lock_timout"),
        (
            "overrides:\n  - paths: [x]\n    session: {statement_timeout: forever}\n",
            "`overrides[0].session.statement_timeout`",
        ),
    ] {
        let p = project(yaml);
        let o = ddlint_in(p.path(), &["check", "migrations"]);
        assert_eq!(o.status.code(), Some(2), "{yaml}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(key), "{yaml}: {err}");
    }
}

#[test]
fn dry_run_runs_with_the_runners_session() {
    let pg = match PgServer::start(15) {
        Ok(s) => s,
        Err(e) => {
            assert!(
                std::env::var("DDLINT_REQUIRE_PG").is_err(),
                "PostgreSQL 15 is required: {e}"
            );
            return;
        }
    };
    let mut c = pg.connect().unwrap();
    c.batch_execute("CREATE DATABASE app").unwrap();
    c.batch_execute("ALTER DATABASE app SET statement_timeout = '45s'")
        .unwrap();
    let mut d = pg.connect_db("app").unwrap();
    d.batch_execute("CREATE SCHEMA app; CREATE TABLE app.t (id bigint PRIMARY KEY)")
        .unwrap();
    let p = project("session:\n  lock_timeout: 3s\n  search_path: app, public\n");
    let o = ddlint_in(
        p.path(),
        &[
            "dry-run",
            "--db",
            &pg.conn_string("app"),
            "migrations/002_change.sql",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The settings it ran with, the runner's search_path finding app.t,
    // and the database's own default.
    assert!(
        out.contains(
            "session: search_path=\"app\", \"public\" lock_timeout=3000ms statement_timeout=0"
        ),
        "{out}"
    );
    assert!(
        out.contains("the target already sets statement_timeout = 45s for the database app"),
        "{out}"
    );
    // An explicit flag wins over the configuration.
    let o = ddlint_in(
        p.path(),
        &[
            "dry-run",
            "--db",
            &pg.conn_string("app"),
            "--lock-timeout",
            "1s",
            "migrations/002_change.sql",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("lock_timeout=1000ms"), "{out}");
}
