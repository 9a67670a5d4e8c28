//! The binary's contract: exit codes, errors on unusable input, exact
//! positions, and the JSON report (snapshot).

use std::path::Path;
use std::process::{Command, Output};

fn ddlint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddlint"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run ddlint")
}

fn write(dir: &Path, name: &str, body: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_migration_exits_zero() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "001.sql",
        b"CREATE TABLE t (id int);\nCREATE INDEX ON t (id);\n",
    );
    let o = ddlint(&["check", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn syntax_error_is_a_finding_with_position_and_exit_one() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "001.sql",
        "SELECT 'é';\nALTER TABLE t ADD COLUMN;\nSELECT 2;\n".as_bytes(),
    );
    let o = ddlint(&["check", "--format", "json", &f]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fnd = &v["findings"][0];
    assert_eq!(fnd["rule"], "syntax-error");
    assert_eq!(fnd["category"], "syntax");
    assert_eq!(
        (fnd["line"].as_u64(), fnd["column"].as_u64()),
        (Some(2), Some(25))
    );
    assert_eq!(
        v["files"][0]["statements"].as_array().unwrap().len(),
        2,
        "the rest of the file is still analysed"
    );
}

#[test]
fn unusable_input_exits_two_with_the_file_named() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope.sql").display().to_string();
    let o = ddlint(&["check", &missing]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nope.sql") && stderr(&o).contains("no such file"),
        "{}",
        stderr(&o)
    );

    let empty = tempfile::tempdir().unwrap();
    write(empty.path(), "README.md", b"# not sql");
    let o = ddlint(&["check", &empty.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no SQL files"), "{}", stderr(&o));

    let bad = write(d.path(), "latin1.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n");
    let o = ddlint(&["check", &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("latin1.sql: line 2") && stderr(&o).contains("UTF-8"),
        "{}",
        stderr(&o)
    );

    let bin = write(d.path(), "blob.sql", b"\x7fELF\x00\x00\x01");
    let o = ddlint(&["check", &bin]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("binary"), "{}", stderr(&o));

    let big = d.path().join("big.sql");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    let o = ddlint(&["check", &big.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("big.sql") && stderr(&o).contains("--max-file-size"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "one-line error");

    let o = ddlint(&["check", "--pg-version", "9", &missing]);
    assert_eq!(o.status.code(), Some(2), "bad flags are usage errors");
}

#[test]
fn deep_nesting_and_many_statements_do_not_crash() {
    let d = tempfile::tempdir().unwrap();
    let deep = format!("SELECT {}1{};\n", "(".repeat(10_000), ")".repeat(10_000));
    let f = write(d.path(), "deep.sql", deep.as_bytes());
    let o = ddlint(&["check", &f]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "PostgreSQL's own limit is reported: {}",
        stderr(&o)
    );
    let many: String = (0..10_000)
        .map(|i| format!("ALTER TABLE t{} ADD COLUMN c{i} int;\n", i % 7))
        .collect();
    let f = write(d.path(), "many.sql", many.as_bytes());
    let o = ddlint(&["check", "--format", "json", "--ignore", "all", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["statements"], 10_000);
}

#[test]
fn bom_crlf_and_comment_only_files() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "001.sql",
        b"\xEF\xBB\xBFCREATE TABLE t (id int);\r\n",
    );
    write(d.path(), "002.sql", b"-- nothing here\r\n/* at all */\r\n");
    write(d.path(), "003.sql", b"");
    write(
        d.path(),
        "010.sql",
        b"\r\n\r\nCREATE INDEX i ON t (id);\r\n",
    );
    let o = ddlint(&["check", "--format", "json", &d.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "syntax-error"),
        "BOM, CRLF, empty and comment-only files parse"
    );
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "require-concurrent-index"));
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    assert!(
        files[3]["path"].as_str().unwrap().ends_with("010.sql"),
        "numeric order"
    );
    let s = &files[3]["statements"][0];
    assert_eq!(
        (
            s["line"].as_u64(),
            s["column"].as_u64(),
            s["end_column"].as_u64()
        ),
        (Some(3), Some(1), Some(26))
    );
    // A table created in an earlier file is pre-existing: the index locks it.
    assert_eq!(s["locks"][0]["relation"], "public.t");
    assert_eq!(s["locks"][0]["mode"], "ShareLock");
    assert!(s["locks"][0].get("new").is_none());
}

#[test]
fn transactions_make_held_locks_visible() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "001.sql",
        b"CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int, a_id int);\n",
    );
    write(
        d.path(),
        "002.sql",
        b"BEGIN;\nALTER TABLE b ADD CONSTRAINT fk FOREIGN KEY (a_id) REFERENCES a (id);\nUPDATE b SET id = id + 1;\nCOMMIT;\nSELECT 1;\n",
    );
    let o = ddlint(&["check", "--format", "json", &d.path().display().to_string()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let st = v["files"][1]["statements"].as_array().unwrap();
    assert_eq!(st[2]["kind"], "UPDATE");
    assert_eq!(st[2]["in_transaction"], true);
    // The locks a statement runs under: its transaction's entries whose
    // statement range includes it.
    let held = |i: usize| -> Vec<(String, String)> {
        let Some(id) = st[i]["transaction"].as_u64() else {
            return Vec::new();
        };
        v["files"][1]["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["id"] == id)
            .flat_map(|t| t["locks"].as_array().unwrap())
            .filter(|h| {
                h["from"].as_u64().unwrap() as usize <= i && i <= h["to"].as_u64().unwrap() as usize
            })
            .map(|h| {
                (
                    h["relation"].as_str().unwrap().into(),
                    h["mode"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(v["version"], 2);
    assert!(
        held(2).contains(&("public.a".into(), "ShareRowExclusiveLock".into())),
        "{:?}",
        held(2)
    );
    // Nothing is held before the lock is taken, or after COMMIT.
    assert!(held(1).is_empty(), "{:?}", held(1));
    assert_eq!(st[4]["in_transaction"], false);
    assert!(held(4).is_empty());
}

#[test]
fn savepoints_release_what_they_roll_back() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "001.sql",
        b"CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
    );
    write(
        d.path(),
        "002.sql",
        b"BEGIN;\nLOCK a IN SHARE MODE;\nSAVEPOINT s;\nLOCK b;\nSELECT 1;\nROLLBACK TO SAVEPOINT s;\nSELECT 2;\nLOCK a;\nSELECT 3;\nCOMMIT;\n",
    );
    let o = ddlint(&["check", "--format", "json", &d.path().display().to_string()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Compact: not a terminal.
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 1);
    let t = &v["files"][1]["transactions"][0]["locks"];
    let entries: Vec<(String, String, u64, u64)> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["relation"].as_str().unwrap().into(),
                h["mode"].as_str().unwrap().into(),
                h["from"].as_u64().unwrap(),
                h["to"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            // SHARE on a from the SAVEPOINT until LOCK a upgrades it.
            ("public.a".into(), "ShareLock".into(), 2, 7),
            // b from SELECT 1 until the rollback to the savepoint.
            ("public.b".into(), "AccessExclusiveLock".into(), 4, 5),
            ("public.a".into(), "AccessExclusiveLock".into(), 8, 9),
        ],
        "{t:#}"
    );
}

#[test]
fn version_changes_the_answer() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "001.sql",
        b"CREATE TABLE p (id int) PARTITION BY RANGE (id);\nCREATE TABLE p1 (id int);\n",
    );
    write(
        d.path(),
        "002.sql",
        b"ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10);\n",
    );
    let mode = |v: &str| -> String {
        let o = ddlint(&[
            "check",
            "--format",
            "json",
            "--pg-version",
            v,
            &d.path().display().to_string(),
        ]);
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        j["files"][1]["statements"][0]["locks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["relation"] == "public.p")
            .map(|l| l["mode"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(mode("11"), "AccessExclusiveLock");
    assert_eq!(mode("12"), "ShareUpdateExclusiveLock");
}

/// `--timezone` takes what PostgreSQL takes as TimeZone and decides
/// whether timestamp -> timestamptz rewrites; anything else is a usage
/// error naming the closest zones (`tests/timezone.rs` compares with real
/// servers).
#[test]
fn timezone_is_checked_and_decides_the_rewrite() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "001.sql", b"CREATE TABLE t (ts timestamp);\n");
    write(
        d.path(),
        "002.sql",
        b"ALTER TABLE t ALTER COLUMN ts TYPE timestamptz;\n",
    );
    let dir = d.path().display().to_string();
    let rewrites = |zone: &str| -> bool {
        let o = ddlint(&["check", "--format", "json", "--timezone", zone, &dir]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{zone}: {}",
            stderr(&o)
        );
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // Left out when empty.
        j["files"][1]["statements"][0]
            .get("rewrites")
            .is_some_and(|r| !r.as_array().unwrap().is_empty())
    };
    for utc in ["UTC", "etc/universal", "Zulu", "GMT", "0", "<+00>0"] {
        assert!(!rewrites(utc), "{utc}");
    }
    for other in ["Europe/Berlin", "Africa/Abidjan", "UTC+3", "-7"] {
        assert!(rewrites(other), "{other}");
    }
    for (bad, hint) in [
        ("Amerca/New_York", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("Berlin", "Europe/Berlin"),
    ] {
        let o = ddlint(&["check", "--timezone", bad, &f]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{bad}: {e}");
        assert!(e.contains("time zone") && e.contains(hint), "{bad}: {e}");
    }
    let o = ddlint(&["dry-run", "--timezone", "Mars/Olympus_Mons", &f]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn demo_report_snapshot() {
    let o = ddlint(&["check", "--format", "json", "fixtures/demo"]);
    // Compact when not on a terminal: indented here to review.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    insta::assert_snapshot!("demo_json", serde_json::to_string_pretty(&v).unwrap());
    let o = ddlint(&["check", "--color", "never", "fixtures/demo"]);
    insta::assert_snapshot!("demo_text", String::from_utf8(o.stdout).unwrap());
}

/// Inputs the fuzzers found crashing, kept as regressions: every format
/// must render them (exit 0 or 1, never a panic).
#[test]
fn fuzz_regressions_render_in_every_format() {
    for entry in std::fs::read_dir("fixtures/regressions").unwrap() {
        let path = entry.unwrap().path();
        for format in [
            "text", "json", "sarif", "gitlab", "github", "junit", "markdown", "concise",
        ] {
            for layout in ["psql", "flyway", "goose", "liquibase"] {
                let o = ddlint(&[
                    "check",
                    "--layout",
                    layout,
                    "--format",
                    format,
                    path.to_str().unwrap(),
                ]);
                assert!(
                    matches!(o.status.code(), Some(0) | Some(1) | Some(2))
                        && !stderr(&o).contains("panicked"),
                    "{} --layout {layout} --format {format}: {}",
                    path.display(),
                    stderr(&o)
                );
            }
        }
    }
}

#[test]
fn a_misspelt_rule_id_gets_the_closest_one_suggested() {
    let o = ddlint(&["explain", "require-concurent-index"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ddlint: error: no rule `require-concurent-index`; did you mean \
         `require-concurrent-index`? (`ddlint rules` lists them)\n"
    );
    let o = ddlint(&["explain", "nothing-like-any-rule"]);
    assert_eq!(
        stderr(&o),
        "ddlint: error: no rule `nothing-like-any-rule` (`ddlint rules` lists them)\n"
    );

    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "001.sql", b"SELECT 1;\n");
    let o = ddlint(&["check", "--no-config", "--ignore", "lockng", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("`--ignore`: unknown rule or category `lockng`; did you mean `locking`?"),
        "{}",
        stderr(&o)
    );
    let o = ddlint(&["check", "--no-config", "--select", "prefer-bigint-key", &f]);
    assert!(
        stderr(&o).contains("did you mean `prefer-bigint-keys`?"),
        "{}",
        stderr(&o)
    );

    let config = write(
        d.path(),
        "ddlint.yaml",
        b"severity:\n  require-concurent-index: warning\n",
    );
    let o = ddlint(&["check", "--config", &config, &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "`severity.require-concurent-index`: unknown rule or category \
             `require-concurent-index`; did you mean `require-concurrent-index`?"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn binary_and_non_utf8_files_in_a_directory_are_listed_and_the_rest_is_linted() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    write(&m, "001_a.sql", b"CREATE TABLE a (id int);\n");
    write(
        &m,
        "002_png.sql",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\xda",
    );
    write(
        &m,
        "003_latin1.sql",
        b"-- caf\xe9\nINSERT INTO a VALUES (1); -- na\xefve\n",
    );
    write(&m, "004_b.sql", b"CREATE INDEX ON a (id);\n");
    let dir = m.display().to_string();
    let binary = format!("{dir}/002_png.sql");
    let latin1 = format!("{dir}/003_latin1.sql");
    let located =
        format!("{latin1}: line 1, column 7: invalid UTF-8 (byte 0xE9); save the file as UTF-8");

    let o = ddlint(&["check", "--format", "json", &dir]);
    // The file that could not be read fails the run; the others are linted.
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o), format!("ddlint: error: {located}\n"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [format!("{dir}/001_a.sql"), format!("{dir}/004_b.sql")]
    );
    assert_eq!(
        v["skipped"],
        serde_json::json!([
            {"path": binary, "reason": "binary file, not SQL (a NUL byte in its first 8000 bytes)"},
            {"path": latin1, "reason": located},
        ])
    );
    assert_eq!(
        v["findings"][0]["rule"], "require-concurrent-index",
        "the history before the unreadable file is replayed"
    );

    let o = ddlint(&["check", &dir]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "not read: {binary}: binary file, not SQL (a NUL byte in its first 8000 bytes)\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("not read: 1 file: {located}\n")),
        "{text}"
    );

    // Binary files alone are no failure: they are not migrations.
    std::fs::remove_file(&latin1).unwrap();
    let o = ddlint(&["check", "--ignore", "all", &dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_symlink_loop_is_listed_once_and_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("migrations");
    std::fs::create_dir_all(m.join("sub")).unwrap();
    write(&m, "001.sql", b"CREATE TABLE a (id int);\n");
    write(&m.join("sub"), "002.sql", b"CREATE TABLE b (id int);\n");
    std::os::unix::fs::symlink(".", m.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", m.join("sub/up")).unwrap();
    let dir = m.display().to_string();
    let o = ddlint(&["check", "--format", "json", &dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"].as_array().unwrap().len(), 2, "each file once");
    assert_eq!(
        v["skipped"],
        serde_json::json!([
            {
                "path": format!("{dir}/loop"),
                "reason": "symlink loop (it points to ., a directory it is in): not followed"
            },
            {
                "path": format!("{dir}/sub/up"),
                "reason": "symlink loop (it points to .., a directory it is in): not followed"
            },
        ])
    );
    let o = ddlint(&["check", &format!("{dir}/**/*.sql")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert_eq!(text.matches("symlink loop").count(), 2, "{text}");
    assert!(!text.contains("loop/loop"), "{text}");
}
