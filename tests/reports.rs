//! Every report format on the same fixtures (snapshots), SARIF validated
//! against the official 2.1.0 schema, and colour control.

use std::process::{Command, Output};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ddlint"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run ddlint")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn every_format_snapshot() {
    for format in [
        "text", "concise", "json", "sarif", "github", "gitlab", "junit", "markdown",
    ] {
        let o = run(
            &[
                "check",
                "--color",
                "never",
                "--format",
                format,
                "fixtures/reports",
            ],
            &[],
        );
        assert_eq!(
            o.status.code(),
            Some(1),
            "{format}: the fixture has an error"
        );
        // JSON is compact when not on a terminal: indented here to review.
        let out = match format {
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
                serde_json::to_string_pretty(&v).unwrap()
            }
            _ => stdout(&o),
        };
        insta::assert_snapshot!(format!("format_{format}"), out);
    }
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let o = run(&["check", "--format", "sarif", "fixtures/reports"], &[]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let r = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "syntax-error")
        .unwrap();
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        30
    );
}

#[test]
fn github_annotations_appear_automatically_under_actions() {
    let o = run(
        &["check", "--color", "never", "fixtures/reports"],
        &[("GITHUB_ACTIONS", "true")],
    );
    let out = stdout(&o);
    assert!(out.contains("error[syntax-error]"), "normal output kept");
    assert!(
        out.contains("::error file=fixtures/reports/003_broken.sql,line=2,col=30,"),
        "{out}"
    );
    let o = run(
        &["check", "--format", "json", "fixtures/reports"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(
        !stdout(&o).contains("::error"),
        "an explicit format is respected"
    );
}

#[test]
fn colours_follow_flags_environment_and_tty() {
    let always = run(&["check", "--color", "always", "fixtures/reports"], &[]);
    assert!(stdout(&always).contains("\u{1b}["), "--color always");
    let piped = run(&["check", "fixtures/reports"], &[]);
    assert!(
        !stdout(&piped).contains("\u{1b}["),
        "a pipe gets no escape codes"
    );
    let forced = run(&["check", "fixtures/reports"], &[("CLICOLOR_FORCE", "1")]);
    assert!(stdout(&forced).contains("\u{1b}["), "CLICOLOR_FORCE");
    let no = run(
        &["check", "fixtures/reports"],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(!stdout(&no).contains("\u{1b}["), "NO_COLOR wins");
}

#[test]
fn quiet_statistics_and_output_file() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("001.sql");
    std::fs::write(&clean, "CREATE TABLE t (id int);\n").unwrap();
    let o = run(&["check", "--quiet", clean.to_str().unwrap()], &[]);
    assert_eq!(
        (o.status.code(), stdout(&o)),
        (Some(0), String::new()),
        "quiet and clean prints nothing"
    );

    let o = run(
        &["check", "--quiet", "--color", "never", "fixtures/reports"],
        &[],
    );
    let out = stdout(&o);
    assert!(
        out.contains("error[syntax-error]") && !out.contains("scans public.orders"),
        "{out}"
    );

    let o = run(
        &[
            "check",
            "--statistics",
            "--color",
            "never",
            "fixtures/reports",
        ],
        &[],
    );
    assert!(
        stdout(&o).contains("1  error    syntax-error"),
        "{}",
        stdout(&o)
    );

    let sarif = d.path().join("out.sarif");
    let o = run(
        &[
            "check",
            "--format",
            "sarif",
            "--output",
            sarif.to_str().unwrap(),
            "--color",
            "never",
            "fixtures/reports",
        ],
        &[],
    );
    assert!(
        stdout(&o).contains("error[syntax-error]"),
        "the terminal still gets text"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
}

/// The terminal layout: findings first (one per problem, the other rules
/// that found it on an `also` line), a span of several lines marked down
/// its left side as rustc does (from the middle of a line: `_^` under its
/// first character), then one summary line; `--explain` adds each file's
/// lock table after its findings, what each transaction holds until
/// COMMIT once, no line wider than the terminal (`COLUMNS` when stdout is
/// not one).
#[test]
fn text_layout() {
    let o = run(&["check", "--color", "never", "fixtures/text"], &[]);
    insta::assert_snapshot!("text_layout_default", stdout(&o));
    let o = run(
        &["check", "--color", "never", "--explain", "fixtures/text"],
        &[("COLUMNS", "100")],
    );
    let out = stdout(&o);
    // The lock table: after the file's name on a line of its own.
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "fixtures/text/002_changes.sql")
        .collect();
    assert!(table.len() > 6, "{out}");
    assert!(table.iter().all(|l| l.chars().count() <= 100), "{out}");
    insta::assert_snapshot!("text_layout_explain", out);
    // The first line is a finding, the last the summary.
    let o = run(&["check", "--color", "never", "fixtures/text"], &[]);
    let out = stdout(&o);
    assert!(out.starts_with("error["), "{out}");
    assert!(out
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("2 files, 10 statements"));
}

/// `--quiet`: the findings and the summary line, nothing when clean;
/// `--statistics` with every format (in the JSON document, after the
/// Markdown report, on stderr for the formats machines read).
#[test]
fn quiet_and_statistics_in_every_format() {
    let o = run(
        &["check", "--quiet", "--color", "never", "fixtures/text"],
        &[],
    );
    let out = stdout(&o);
    assert!(out.starts_with("error[require-concurrent-index]"), "{out}");
    assert!(
        out.trim_end().ends_with("4 errors, 0 warnings, 0 infos"),
        "{out}"
    );
    let o = run(
        &["check", "--statistics", "--format", "json", "fixtures/text"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let stats = v["statistics"].as_array().unwrap();
    assert_eq!(stats.len(), 4, "{stats:?}");
    assert!(stats.iter().any(|s| s["rule"] == "require-concurrent-index"
        && s["count"] == 1
        && s["severity"] == "error"));
    let o = run(
        &[
            "check",
            "--statistics",
            "--format",
            "markdown",
            "fixtures/text",
        ],
        &[],
    );
    assert!(
        stdout(&o).contains("| 1 | error | `add-required-column` |"),
        "{}",
        stdout(&o)
    );
    for format in ["sarif", "github", "gitlab", "junit", "concise"] {
        let o = run(
            &["check", "--statistics", "--format", format, "fixtures/text"],
            &[],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("1  error    add-required-column"),
            "{format}: {err}"
        );
        assert!(
            !stdout(&o).contains("1  error    add-required-column"),
            "{format}"
        );
    }
    let o = run(
        &[
            "check",
            "--statistics",
            "--format",
            "sarif",
            "fixtures/text",
        ],
        &[],
    );
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("SARIF stays valid JSON");
}

/// Findings per file, and the summary, from the JSON report.
fn findings_per_file(dir: &str) -> (Vec<usize>, serde_json::Value) {
    let o = run(&["check", "--format", "json", dir], &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for f in v["findings"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        match counts.iter_mut().find(|(p, _)| p == path) {
            Some((_, n)) => *n += 1,
            None => counts.push((path.to_string(), 1)),
        }
    }
    let per_file = counts.into_iter().map(|(_, n)| n).collect();
    (per_file, v["summary"].clone())
}

#[test]
fn markdown_fits_a_pull_request_comment_and_counts_what_it_leaves_out() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("0000_setup.sql"),
        "CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);\n",
    )
    .unwrap();
    // 400 files with the same findings each: far more than 64 KB of them.
    for i in 1..=400 {
        std::fs::write(
            d.path().join(format!("{i:04}_index.sql")),
            format!("CREATE INDEX orders_total_{i} ON orders (total);\n"),
        )
        .unwrap();
    }
    let dir = d.path().to_str().unwrap();
    let (per_file, summary) = findings_per_file(dir);
    assert_eq!(per_file.len(), 400);
    let each = per_file[0];
    assert!(
        each > 0 && per_file.iter().all(|n| *n == each),
        "{per_file:?}"
    );
    let total = each * 400;

    let o = run(&["check", "--format", "markdown", dir], &[]);
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    assert!(md.len() <= 65_536, "{} bytes", md.len());
    assert!(md.chars().count() < 65_536);
    assert!(md.len() > 60_000, "it fills the room it has: {}", md.len());
    let shown = md.matches("\n- **").count();
    assert!(shown < total);
    // Files are complete until the one that was cut.
    let files_left = 400 - shown / each;
    assert!(
        md.ends_with(&format!(
            "\n> **{} findings in {files_left} files are not shown**, to keep this report \
             within 65536 characters. `ddlint check --format text` shows everything, or raise \
             `--markdown-limit` (`--markdown-limit 1048576` fits a job summary).\n",
            total - shown
        )),
        "{}",
        &md[md.len() - 400..]
    );
    // The header still counts every finding.
    assert!(
        md.starts_with(&format!(
            "## ddlint: {} errors, {} warnings in 401 migration files",
            summary["errors"], summary["warnings"]
        )),
        "{}",
        &md[..80]
    );

    // A job summary's limit holds them all.
    let o = run(
        &[
            "check",
            "--format",
            "markdown",
            "--markdown-limit",
            "1048576",
            dir,
        ],
        &[],
    );
    let md = stdout(&o);
    assert!(md.len() > 65_536 && md.len() <= 1_048_576, "{}", md.len());
    assert_eq!(md.matches("\n- **").count(), total);
    assert!(!md.contains("not shown"));
}
