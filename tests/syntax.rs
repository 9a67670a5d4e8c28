//! A statement PostgreSQL rejects is always a finding.
//!
//! Real statements (the project's fixtures, and `../shared/corpus` when it
//! is present) are broken the ways people break them: a keyword dropped or
//! misspelt, a parenthesis, comma or quote removed, a semicolon lost. For
//! every broken file:
//! - every byte is inside an analysed statement, inside a syntax error, or
//!   whitespace, comments and empty statements (`parse::uncovered_by`);
//! - every statement psql would send is analysed or is a syntax error:
//!   nothing after a broken statement is lost that psql would still send;
//! - every syntax error becomes a `syntax-error` finding (category syntax,
//!   severity error) at the error's position;
//! - and, against a real PostgreSQL 18 server (the grammar libpg_query
//!   carries), each statement psql would send is rejected by the server
//!   exactly when ddlint reports a syntax error for it, with the same
//!   message at the same position.

mod support;

use std::path::{Path, PathBuf};

use ddlint::model::{txn::Wrapping, Input, Options};
use ddlint::parse::{self, split::psql_pieces, Item, LineIndex};
use ddlint::rules::{self, Category, Settings, Severity};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Statements the broken files are made from: every statement of the
/// fixtures, and of the corpus when it is there (capped, evenly sampled).
fn statements() -> &'static [String] {
    static CELL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sql_files(&root.join("fixtures"), &mut files);
        let mut out = collect(&files, usize::MAX);
        let corpus = root.join("../shared/corpus");
        if corpus.join("SOURCES.md").exists() {
            let mut files = Vec::new();
            sql_files(&corpus, &mut files);
            out.extend(collect(&files, 6000));
        }
        out.sort();
        out.dedup();
        assert!(out.len() > 300, "too few statements: {}", out.len());
        out
    })
}

fn sql_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sql_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "sql") {
            out.push(p);
        }
    }
}

/// Statements that parse on their own and hold no psql meta-command or
/// variable (those are the source stage's business), at most `cap`.
fn collect(files: &[PathBuf], cap: usize) -> Vec<String> {
    let mut all = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for item in parse::parse(&text) {
            if let Item::Statement(s) = item {
                let sql = &text[s.span.start..s.span.end];
                if sql.len() < 4000 && !sql.contains('\\') && !sql.contains(":'") {
                    all.push(sql.to_string());
                }
            }
        }
    }
    if all.len() <= cap {
        return all;
    }
    let step = all.len() as f64 / cap as f64;
    (0..cap)
        .map(|i| all[(i as f64 * step) as usize].clone())
        .collect()
}

/// The ways a statement gets broken.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    DropWord,
    MisspellWord,
    DropChar(char),
    DuplicateWord,
}

/// Apply `m` at the `pick`-th candidate place of `sql` (modulo the
/// number of places); `None` when `sql` has no such place.
fn mutate(sql: &str, m: Mutation, pick: usize) -> Option<String> {
    match m {
        Mutation::DropChar(c) => {
            let places: Vec<usize> = sql.match_indices(c).map(|(i, _)| i).collect();
            let at = *places.get(pick % places.len().max(1))?;
            Some(format!("{}{}", &sql[..at], &sql[at + c.len_utf8()..]))
        }
        Mutation::DropWord | Mutation::MisspellWord | Mutation::DuplicateWord => {
            let words: Vec<(usize, usize)> = words(sql);
            let &(s, e) = words.get(pick % words.len().max(1))?;
            Some(match m {
                Mutation::DropWord => format!("{}{}", &sql[..s], &sql[e..]),
                Mutation::MisspellWord => {
                    // Drop one letter (SELECT -> SELCT), or double it for a
                    // one-letter word.
                    let w = &sql[s..e];
                    let k = (pick / 7) % w.len();
                    if w.len() == 1 {
                        format!("{}{w}{w}{}", &sql[..s], &sql[e..])
                    } else {
                        format!("{}{}{}{}", &sql[..s], &w[..k], &w[k + 1..], &sql[e..])
                    }
                }
                _ => format!("{} {}", &sql[..e], &sql[s..]),
            })
        }
    }
}

/// ASCII words of `sql` (keywords and identifiers alike).
fn words(sql: &str) -> Vec<(usize, usize)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::DropWord),
        Just(Mutation::MisspellWord),
        Just(Mutation::DuplicateWord),
        Just(Mutation::DropChar('(')),
        Just(Mutation::DropChar(')')),
        Just(Mutation::DropChar(',')),
        Just(Mutation::DropChar('\'')),
        Just(Mutation::DropChar(';')),
    ]
}

/// A three-statement file whose middle statement is broken.
fn broken_file(i: usize, m: Mutation, pick: usize) -> Option<(String, usize)> {
    let st = statements();
    let n = st.len();
    let middle = mutate(&st[i % n], m, pick)?;
    let before = &st[(i + 1) % n];
    let after = &st[(i + 2) % n];
    let before = terminated(before);
    let text = format!("{before}\n{middle}\n{}\n", terminated(after));
    Some((text, before.len() + 1))
}

fn terminated(s: &str) -> String {
    if s.trim_end().ends_with(';') {
        s.to_string()
    } else {
        format!("{s};")
    }
}

/// The checks every broken file must pass, without a server.
fn check_invariants(text: &str) -> Result<(), TestCaseError> {
    let items = parse::parse(text);
    if let Some(at) = parse::uncovered_by(text, &items) {
        return Err(TestCaseError::fail(format!(
            "byte {at} is in no statement and no error: {:?}\n--- file:\n{text}",
            &text[at..(at + 40).min(text.len())]
        )));
    }
    // Every piece psql sends is analysed or is an error.
    for (s, e) in psql_pieces(text) {
        if parse::lex::is_trivia_or_semicolons(&text[s..e]) {
            continue;
        }
        let inside = |a: usize, b: usize| a < e && b > s;
        let found = items.iter().any(|it| match it {
            Item::Statement(st) => inside(st.span.start, st.span.end),
            Item::Error(er) => inside(er.span.start, er.span.end),
        });
        prop_assert!(found, "piece {:?} was lost", &text[s..e]);
    }
    // Every syntax error is a finding at its position.
    let errors: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Error(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    let inputs = vec![Input {
        path: "001_broken.sql".into(),
        text: text.to_string(),
        wrapping: Wrapping::Transaction,
        layout: Default::default(),
        report: true,
        map: None,
        project: Some(0),
        session: None,
    }];
    let (_, findings) = rules::run(inputs, &Options::default(), &Settings::default());
    let lines = LineIndex::new(text);
    for e in &errors {
        let (line, column) = lines.line_col(text, e.offset);
        prop_assert!(
            findings.iter().any(|f| f.rule == "syntax-error"
                && f.category == Category::Syntax
                && f.severity == Severity::Error
                && f.line == line
                && f.column == column
                && f.message == e.message),
            "no syntax-error finding for {e:?}"
        );
    }
    Ok(())
}

#[test]
fn broken_statements_are_never_lost() {
    let n = statements().len();
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    runner
        .run(
            &(0..n, mutation(), 0usize..10_000),
            |(i, m, pick)| match broken_file(i, m, pick) {
                Some((text, _)) => check_invariants(&text),
                None => Ok(()),
            },
        )
        .unwrap();
}

#[test]
fn the_issue_examples_are_findings() {
    for (sql, line, col) in [
        ("SELEC 1;\n", 1, 1),
        ("CRATE INDEX i ON t (a);\n", 1, 1),
        ("SLECT f();\n", 1, 1),
        ("FOO;\n", 1, 1),
        ("CREATE INDEX i ON t (a;\nCREATE TABLE y (b int);\n", 1, 23),
        ("CREATE TABLE x (a int;\nSELECT 1;\n", 1, 22),
        ("SELECT 1;\nSELEC 2;\nSELECT 3;\n", 2, 1),
    ] {
        check_invariants(sql).unwrap();
        let items = parse::parse(sql);
        let e = items
            .iter()
            .find_map(|i| match i {
                Item::Error(e) => Some(e),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{sql:?}: no error"));
        assert_eq!(
            LineIndex::new(sql).line_col(sql, e.offset),
            (line, col),
            "{sql:?}"
        );
    }
    // The statements around a broken one are analysed.
    let sql = "SELECT 1;\nSELEC 2;\nSELECT 3;\n";
    let n = parse::parse(sql)
        .iter()
        .filter(|i| matches!(i, Item::Statement(_)))
        .count();
    assert_eq!(n, 2);
}

/// What PostgreSQL says of a piece of SQL without running it: `Ok` when
/// its grammar accepts the text, or its error message and 1-based
/// character position. The piece follows a DO block that always raises:
/// the server parses the whole query string before running any of it, so
/// the block's error means the grammar accepted everything.
fn server_verdict(client: &mut postgres::Client, sql: &str) -> Result<(), (String, Option<usize>)> {
    const PREFIX: &str = "DO $ddlint$BEGIN RAISE EXCEPTION 'ddlint: parsed'; END$ddlint$;\n";
    match client.batch_execute(&format!("{PREFIX}{sql}")) {
        Ok(()) => panic!("the DO block must raise"),
        Err(e) => {
            let db = e.as_db_error().expect("a server error");
            if db.message() == "ddlint: parsed" {
                return Ok(());
            }
            let pos = match db.position() {
                Some(postgres::error::ErrorPosition::Original(p)) => {
                    Some(*p as usize - PREFIX.chars().count())
                }
                _ => None,
            };
            Err((db.message().to_string(), pos))
        }
    }
}

#[test]
fn the_server_agrees_on_every_broken_statement() {
    let major = 18;
    if support::pg::find_bin_dir(major).is_none() {
        if std::env::var_os("DDLINT_REQUIRE_PG").is_some() {
            panic!("PostgreSQL {major} binaries are required (scripts/pg-binaries.sh)");
        }
        eprintln!("no PostgreSQL {major}: skipped");
        return;
    }
    let server = support::pg::PgServer::start(major).expect("server");
    let mut client = server.connect().expect("connect");
    let st = statements();
    let n = st.len();
    let kinds = [
        Mutation::DropWord,
        Mutation::MisspellWord,
        Mutation::DuplicateWord,
        Mutation::DropChar('('),
        Mutation::DropChar(')'),
        Mutation::DropChar(','),
        Mutation::DropChar('\''),
        Mutation::DropChar(';'),
    ];
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let (mut compared, mut rejected) = (0, 0);
    let mut mismatches = Vec::new();
    for round in 0..2500 {
        let i = rng.random_range(0..n);
        let m = kinds[round % kinds.len()];
        let Some((text, _)) = broken_file(i, m, rng.random_range(0..10_000)) else {
            continue;
        };
        let items = parse::parse(&text);
        for (s, e) in psql_pieces(&text) {
            let piece = &text[s..e];
            if parse::lex::is_trivia_or_semicolons(piece) {
                continue;
            }
            let ours = items.iter().find_map(|it| match it {
                Item::Error(er) if er.span.start >= s && er.span.start < e => Some(er),
                _ => None,
            });
            let theirs = server_verdict(&mut client, piece);
            compared += 1;
            let agree = match (&theirs, ours) {
                (Ok(()), None) => true,
                (Err((msg, pos)), Some(er)) => {
                    rejected += 1;
                    let our_pos = text[s..er.offset].chars().count() + 1;
                    *msg == er.message && pos.is_none_or(|p| p == our_pos)
                }
                _ => false,
            };
            if !agree {
                mismatches.push(format!(
                    "{piece:?}\n  server: {theirs:?}\n  ddlint: {:?}",
                    ours.map(|e| (&e.message, text[s..e.offset].chars().count() + 1))
                ));
            }
        }
    }
    eprintln!("{compared} statements compared with PostgreSQL {major}, {rejected} rejected");
    assert!(rejected > 500, "too few broken statements: {rejected}");
    assert!(
        mismatches.is_empty(),
        "{} disagreements with the server:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

/// Text with comments removed and whitespace collapsed, to compare what
/// psql sent (it drops `--` comments and leading whitespace) with a piece.
fn normalised(sql: &str) -> String {
    let mut code = String::new();
    parse::scan::regions(sql, |r, a, b| {
        if r != parse::scan::Region::LineComment && r != parse::scan::Region::BlockComment {
            code.push_str(&sql[a..b]);
        }
        code.push(' ');
    });
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The statements psql sent to the server, from its log: `log_statement`
/// logs those the grammar accepted; one it rejected is only logged as the
/// `STATEMENT:` after its error (which also follows the logged statement
/// when it fails later, at execution).
fn sent_by_psql(log: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut logged: Option<String> = None;
    for entry in log.split(marker).skip(1) {
        if let Some(rest) = entry.strip_prefix("LOG:  statement: ") {
            out.push(normalised(rest));
            logged = out.last().cloned();
        } else if let Some(rest) = entry.strip_prefix("STATEMENT:  ") {
            let sql = normalised(rest);
            if logged.take().as_ref() != Some(&sql) {
                out.push(sql);
            }
        }
    }
    out
}

#[test]
fn pieces_are_what_psql_sends() {
    let major = 18;
    let psql = ["/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let (Some(psql), Some(_)) = (psql, support::pg::find_bin_dir(major)) else {
        if std::env::var_os("DDLINT_REQUIRE_PG").is_some() {
            panic!("psql and PostgreSQL {major} binaries are required");
        }
        eprintln!("no psql or PostgreSQL {major}: skipped");
        return;
    };
    const MARKER: &str = "\n@@ddlint@@ ";
    let server =
        support::pg::PgServer::start_with(major, &[("log_line_prefix", "@@ddlint@@ ")]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let st = statements();
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let kinds = [
        Mutation::DropChar('('),
        Mutation::DropChar(')'),
        Mutation::DropChar('\''),
        Mutation::DropChar(';'),
        Mutation::DropWord,
        Mutation::MisspellWord,
    ];
    // Lexical corners, broken and not, before the generated files.
    let tricky = [
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\n  SELECT 3;\nEND;\nSELECT 4;\n",
        "create or replace procedure p() language sql begin atomic select 1; end; select 2;\n",
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT (2;\nEND;\nSELECT 5;\n",
        "SELECT E'it\\'s; fine';\nSELECT 'a''b;';\nSELECT $tag$ ; $x$ ; $tag$;\nSELECT 1;\n",
        "/* outer /* inner; */ still; */ SELECT 1;\nSELECT a$b FROM t;\nSELECT U&'d\\0061t;' ;\n",
        "SELECT 1 -- trailing; comment\n;\nSELECT (1));\nSELECT 2;\n",
        "SELECT 'unterminated;\nSELECT 1;\n",
        "SELECT $$ unterminated;\nSELECT 1;\n",
        "BEGIN;\nCREATE TABLE t (a int);\nEND;\nSELECT 1;;;\n",
        "CREATE TRIGGER x BEGIN; SELECT 1;\n",
        "SELECT 5abc; SELECT 1;\n",
    ];
    // A round whose mutation does not apply (a quote to drop from a
    // statement without one) makes no file: go on until enough files were
    // compared, whatever statements the fixtures hold.
    let wanted = 300 + tricky.len();
    let mut checked = 0;
    for round in 0..(4 * wanted) {
        if checked == wanted {
            break;
        }
        let text = if round < tricky.len() {
            tricky[round].to_string()
        } else {
            let i = rng.random_range(0..st.len());
            match broken_file(i, kinds[round % kinds.len()], rng.random_range(0..9999)) {
                Some((text, _)) => text,
                None => continue,
            }
        };
        // Several broken files per psql run would hide which one moved a
        // boundary: one file, one run, one fresh log.
        let file = dir.path().join(format!("{round}.sql"));
        std::fs::write(&file, &text).unwrap();
        let before = server.log().len();
        let out = std::process::Command::new(psql)
            .arg(server.conn_string("postgres"))
            .args(["-X", "-q", "-o", "/dev/null", "-f"])
            .arg(&file)
            .env("PGOPTIONS", "-c log_statement=all")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The log is written asynchronously by the logging collector, if
        // any; the server here logs to a file directly.
        let log = server.log();
        let sent = sent_by_psql(&format!("\n{}", &log[before..]), MARKER);
        if std::env::var_os("DDLINT_DEBUG_LOG").is_some() {
            eprintln!("{}", &log[before..]);
        }
        let ours: Vec<String> = psql_pieces(&text)
            .into_iter()
            .map(|(s, e)| normalised(&text[s..e]))
            // psql sends a lone `;` too (an empty query); only a piece of
            // nothing but comments and whitespace stays in its buffer.
            .filter(|p| !p.is_empty())
            .collect();
        assert_eq!(sent, ours, "psql split this file differently:\n{text}");
        checked += 1;
    }
    assert_eq!(checked, wanted, "too few mutations apply");
}
