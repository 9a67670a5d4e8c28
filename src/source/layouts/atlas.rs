//! Atlas versioned migrations: `<version>_<name>.sql` beside `atlas.sum`.
//! Checked in ariga/atlas (main at a5e0aecc):
//!
//! - `sql/migrate/dir.go`, `LocalDir.Files`: the `*.sql` files directly in
//!   the directory (`fs.Glob(d, "*.sql")`), sorted by name as strings.
//!   `FilesFromLastCheckpoint`: a new database starts from the last file
//!   whose header says `atlas:checkpoint` (the files before it are the
//!   history it sums up), so they are replayed from there.
//! - `sql/migrate/dir.go`, `NewHashFile`, `HashFile.Sum`/`MarshalText`/
//!   `UnmarshalText`, `Validate`: `atlas.sum` is `h1:<sum>` then one
//!   `<file> h1:<hash>` line per file. The hash is cumulative: one sha256
//!   is fed each file's name and bytes in order, and each file's hash is
//!   that digest so far, base64 (a file whose first line says
//!   `atlas:sum ignore` feeds only its name and has no line). The first
//!   line is the base64 sha256 of every name and hash. `migrate apply`
//!   refuses to run when the directory does not match (the first
//!   mismatching line: a file edited, added or removed).
//! - `sql/migrate/dir.go`, `LocalFile.comments`/`Directive` and
//!   `cmd/atlas/internal/cmdapi/migrate.go`, `txmodeFor`/`tx.driverFor`:
//!   file directives are the `--`/`#` comment lines the file starts with,
//!   only when an empty line separates them from the statements;
//!   `-- atlas:txmode none` runs the file's statements one by one without
//!   a transaction, `file` (and the default `--tx-mode file`) one
//!   transaction per file; `all` in a file, an unknown value or two values
//!   are errors. Atlas splits the statements and executes each on its own.
//!
//! `--tx-mode all` on the command line (one transaction for every pending
//! file) cannot be seen from the files and is not modelled.

use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned, Unit};
use crate::input::Wrapping;
use crate::source::{Note, NoteKind, Problem};

/// The integrity file's name.
pub const SUM_FILE: &str = "atlas.sum";

/// Whether `dir` is an Atlas migration directory.
pub fn is_root(dir: &Path) -> bool {
    dir.join(SUM_FILE).is_file()
}

/// The file's directive comments, with their 0-based line numbers
/// (`LocalFile.comments`): the `#`/`--` lines it starts with, when an
/// empty line (or the end of the file) follows them.
fn comments(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut content = text;
    let mut line = 0;
    while content.starts_with('#') || content.starts_with("--") {
        match content.find('\n') {
            None => {
                // A file of comments only, without a final newline: atlas
                // keeps it as it is, then finds no empty line after it.
                out.push((line, content.to_string()));
                break;
            }
            Some(i) => {
                out.push((line, content[..i].trim().to_string()));
                content = &content[i + 1..];
                line += 1;
            }
        }
    }
    if !content.trim_start_matches([' ', '\t']).starts_with('\n') && !content.is_empty() {
        return Vec::new();
    }
    out
}

/// `reDirective` (`^([ -~]*)atlas:(\w+)(?: +(.+))*`) on one text: the
/// directive's name and its arguments. The prefix is greedy, so the last
/// `atlas:<name>` of the first line is the one read.
fn directive(text: &str) -> Option<(String, String)> {
    let first = text.split('\n').next().unwrap_or("");
    // The prefix is printable ASCII only.
    let printable = first
        .char_indices()
        .find(|(_, c)| !(' '..='~').contains(c))
        .map_or(first.len(), |(i, _)| i);
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut at = first[..printable].len();
    while let Some(i) = first[..at].rfind("atlas:") {
        let rest = &first[i + "atlas:".len()..];
        let name_len = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
        if name_len > 0 {
            let name = &rest[..name_len];
            let after = &rest[name_len..];
            let args = if after.starts_with(' ') {
                after.trim_start_matches(' ')
            } else {
                ""
            };
            // `(?: +(.+))*`: nothing after spaces alone.
            return Some((name.to_string(), args.to_string()));
        }
        at = i;
    }
    None
}

/// The values of a file directive (`Directive(name)`), with the 0-based
/// line of each.
fn file_directive(text: &str, name: &str) -> Vec<(usize, String)> {
    comments(text)
        .into_iter()
        .filter_map(|(line, c)| match directive(&c) {
            Some((n, args)) if n == name => Some((line, args)),
            _ => None,
        })
        .collect()
}

/// `-- atlas:txmode none` among the file directives.
pub fn wrapping(text: &str) -> Wrapping {
    match file_directive(text, "txmode").as_slice() {
        [(_, mode)] if mode == "none" => Wrapping::Autocommit,
        _ => Wrapping::Transaction,
    }
}

/// A txmode directive atlas refuses (`txmodeFor`), at its line.
pub fn txmode_problem(path: &Path, text: &str) -> Option<Problem> {
    let ds = file_directive(text, "txmode");
    let at = |line: usize, message: String| Problem {
        path: path.display().to_string(),
        line: line + 1,
        column: 1,
        message,
    };
    match ds.as_slice() {
        [] => None,
        [(_, m)] if m == "none" || m == "file" => None,
        [(line, m)] if m == "all" => Some(at(*line, "`atlas:txmode all` is not allowed in a file (atlas refuses it: use `file`, or `--tx-mode all` on the command line)".into())),
        [(line, m)] => Some(at(
            *line,
            format!("unknown atlas txmode {m:?}: atlas refuses the file (it knows `none` and `file`)"),
        )),
        [_, (line, _), ..] => Some(at(
            *line,
            "a second `atlas:txmode` directive: atlas refuses a file with several".into(),
        )),
    }
}

/// Where `-- atlas:txmode none` goes so atlas reads it as a file
/// directive, and the text to insert. After the comment lines the file
/// starts with when an empty line detaches them (its first line may be
/// `atlas:sum ignore`, which must stay first); an empty line after them
/// when they are attached to the first statement but already say
/// `atlas:txmode none`; else first, with the empty line that detaches it.
/// None when the file's directives already set another txmode (a second
/// one is an error: that one is to be changed by hand).
pub fn no_transaction_edit(text: &str) -> Option<(usize, &'static str)> {
    // The end of the comment lines the file starts with.
    let mut end = 0;
    while text[end..].starts_with('#') || text[end..].starts_with("--") {
        end = match text[end..].find('\n') {
            Some(i) => end + i + 1,
            None => text.len(),
        };
    }
    let block = &text[..end];
    let detached = !comments(text).is_empty();
    let says_none = block
        .lines()
        .any(|l| directive(l.trim()).is_some_and(|(n, a)| n == "txmode" && a == "none"));
    if detached && !file_directive(text, "txmode").is_empty() {
        return None;
    }
    if end == text.len() && !text.ends_with('\n') {
        // Comments only, without a final newline.
        return Some((end, "\n-- atlas:txmode none\n"));
    }
    Some(match (detached, says_none) {
        (true, _) => (end, "-- atlas:txmode none\n"),
        (false, true) => (end, "\n"),
        (false, false) => (0, "-- atlas:txmode none\n\n"),
    })
}

/// Whether the file is a checkpoint (`atlas:checkpoint [tag]`).
fn is_checkpoint(text: &str) -> bool {
    !file_directive(text, "checkpoint").is_empty()
}

/// Whether a file's first line says `atlas:sum ignore` (`NewHashFile`
/// reads `directive(content, "sum")` on the whole text, anchored at its
/// start).
fn sum_ignored(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    matches!(directive(&text), Some((n, a)) if n == "sum" && a == "ignore")
}

/// The `*.sql` files directly in `root` (what atlas reads), by name.
fn dir_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The last checkpoint file of the directory, if any.
pub fn last_checkpoint(root: &Path) -> Option<String> {
    dir_files(root)
        .into_iter()
        .rev()
        .find(|n| std::fs::read_to_string(root.join(n)).is_ok_and(|t| is_checkpoint(&t)))
}

/// The files atlas runs on a new database: the directory's `*.sql` by
/// name, from the last checkpoint on. One transaction per file unless its
/// directives say `txmode none` (decided per file in [`wrapping`]).
pub fn plan(root: &Path, sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let from = last_checkpoint(root);
    let mut files: Vec<&PathBuf> = sql
        .iter()
        .filter(|p| p.parent() == Some(root) && file_name(p).ends_with(".sql"))
        .filter(|p| from.as_deref().is_none_or(|ck| file_name(p) >= ck))
        .collect();
    files.sort_by(|a, b| file_name(a).cmp(file_name(b)));
    (
        files
            .into_iter()
            .map(|p| planned(p, false, Wrapping::Transaction))
            .collect(),
        vec![],
    )
}

pub fn units(text: &str, p: &Planned) -> Vec<Unit> {
    vec![Unit::whole(text, wrapping(text), p.down)]
}

/// Why atlas does not run a SQL file of its directory.
pub fn why_not_run(path: &Path, root: &Path) -> String {
    if path.parent() != Some(root) {
        return "atlas runs only the *.sql files directly in its migration directory (beside atlas.sum)".into();
    }
    match last_checkpoint(root) {
        Some(ck) => format!(
            "before the checkpoint {ck}: atlas starts a new database from its last checkpoint, which holds what this file did"
        ),
        None => "atlas does not run it".into(),
    }
}

/// One line of `atlas.sum`: a file and its cumulative hash (base64, no
/// `h1:`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    name: String,
    hash: String,
}

/// `HashFile.Sum`: the base64 sha256 of every name and hash.
fn sum_of(lines: &[Line]) -> String {
    let mut h = openssl::sha::Sha256::new();
    for l in lines {
        h.update(l.name.as_bytes());
        h.update(l.hash.as_bytes());
    }
    openssl::base64::encode_block(&h.finish())
}

/// `NewHashFile`: the lines atlas would write for these files.
fn hash_files(files: &[(String, Vec<u8>)]) -> Vec<Line> {
    let mut h = openssl::sha::Sha256::new();
    let mut out = Vec::new();
    for (name, bytes) in files {
        h.update(name.as_bytes());
        if sum_ignored(bytes) {
            continue;
        }
        h.update(bytes);
        out.push(Line {
            name: name.clone(),
            hash: openssl::base64::encode_block(&h.clone().finish()),
        });
    }
    out
}

/// `HashFile.UnmarshalText`: the file's lines, or what is wrong with it
/// (1-based line, message).
fn parse_sum(text: &str) -> Result<Vec<Line>, (usize, String)> {
    // bufio.ScanLines: lines end at `\n`, a `\r` before it is dropped, a
    // final newline ends the last line.
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    let lines: Vec<&str> = lines
        .into_iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let sum = lines
        .first()
        .map(|l| l.strip_prefix("h1:").unwrap_or(l))
        .unwrap_or("");
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(1) {
        let Some((name, hash)) = l.split_once("h1:") else {
            return Err((
                i + 1,
                "not `<file> h1:<hash>`: atlas refuses the directory (checksum file format invalid)"
                    .into(),
            ));
        };
        out.push(Line {
            name: name.trim().to_string(),
            hash: hash.to_string(),
        });
    }
    if sum != sum_of(&out) {
        return Err((
            1,
            "the sum on the first line does not match the lines below it: atlas refuses the directory (checksum mismatch); `atlas migrate hash` recomputes atlas.sum".into(),
        ));
    }
    Ok(out)
}

/// How the directory differs from `atlas.sum` (`Validate`): the first
/// line that does not match, as atlas reports it.
#[derive(Debug, PartialEq, Eq)]
enum Mismatch {
    /// The file at this line was edited after it was hashed.
    Edited { file: String, line: usize },
    /// A file atlas.sum does not list, where `line` expected another.
    Added { file: String, line: usize },
    /// atlas.sum lists a file that is gone.
    Removed { file: String, line: usize },
}

fn mismatch(recorded: &[Line], actual: &[Line]) -> Option<Mismatch> {
    if sum_of(recorded) == sum_of(actual) {
        return None;
    }
    for (i, h) in recorded.iter().enumerate() {
        if actual.get(i) == Some(h) {
            continue;
        }
        let line = i + 2;
        return Some(match actual.iter().position(|e| e.name == h.name) {
            None => Mismatch::Removed {
                file: h.name.clone(),
                line,
            },
            Some(idx) if idx == i => Mismatch::Edited {
                file: h.name.clone(),
                line,
            },
            Some(_) => Mismatch::Added {
                file: actual[i].name.clone(),
                line,
            },
        });
    }
    actual.get(recorded.len()).map(|e| Mismatch::Added {
        file: e.name.clone(),
        line: recorded.len() + 2,
    })
}

/// What `atlas.sum` says of the directory: a problem when it is not a
/// sum file atlas reads (at its line), or a note on the first file that
/// does not match it (`modified-applied-migration` reports it). `read`
/// are the files being read, as they are reported.
pub fn check_sum(root: &Path, read: &[PathBuf]) -> Result<Option<Note>, Problem> {
    let sum_path = root.join(SUM_FILE);
    let text = match std::fs::read(&sum_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Problem {
                path: sum_path.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read it: {}", super::super::read::io_message(&e)),
            })
        }
        // Atlas compares bytes: text that is not UTF-8 cannot match.
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
    };
    let recorded = parse_sum(&text).map_err(|(line, message)| Problem {
        path: sum_path.display().to_string(),
        line,
        column: 1,
        message,
    })?;
    let mut files = Vec::new();
    for name in dir_files(root) {
        match std::fs::read(root.join(&name)) {
            Ok(b) => files.push((name, b)),
            // Reported where it is read; nothing to compare.
            Err(_) => return Ok(None),
        }
    }
    let actual = hash_files(&files);
    let Some(m) = mismatch(&recorded, &actual) else {
        return Ok(None);
    };
    let sum = sum_path.display();
    let (on, message, help) = match &m {
        Mismatch::Edited { file, line } => (
            file.clone(),
            format!("{sum} (line {line}) records another hash for this migration: it changed after it was hashed, so `atlas migrate apply` refuses to run (checksum mismatch), and databases that applied the old text would never run the new one"),
            "restore the text atlas.sum records and put the change in a new migration; if no database has applied this migration, `atlas migrate hash` records the new text".to_string(),
        ),
        Mismatch::Added { file, line } => (
            file.clone(),
            format!("this migration is not in {sum} (line {line} names another file there): `atlas migrate apply` refuses to run until atlas.sum lists it (checksum mismatch)"),
            "run `atlas migrate hash` (`atlas migrate new` and `atlas migrate diff` update atlas.sum themselves)".to_string(),
        ),
        Mismatch::Removed { file, line } => {
            // On the file that now takes its place, else the last one.
            let on = actual
                .get(line - 2)
                .or(actual.last())
                .map(|e| e.name.clone())
                .unwrap_or_default();
            (
                on,
                format!("{sum} (line {line}) lists {file}, which is no longer in the directory: `atlas migrate apply` refuses to run (checksum mismatch), and deleting an applied migration does not undo it on the databases that ran it"),
                format!("restore {file}; if no database has applied it, `atlas migrate hash` records its removal"),
            )
        }
    };
    let Some(path) = read
        .iter()
        .find(|p| file_name(p) == on && p.parent() == Some(root))
    else {
        return Ok(None);
    };
    let first = std::fs::read(path)
        .map(|b| {
            String::from_utf8_lossy(&b)
                .trim_start_matches('\u{feff}')
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .count()
        })
        .unwrap_or(0);
    Ok(Some(Note {
        path: path.display().to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: first + 1,
        kind: NoteKind::ChecksumMismatch,
        message,
        help: Some(help),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(v: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        v.iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    fn marshal(lines: &[Line]) -> String {
        let mut s = format!("h1:{}\n", sum_of(lines));
        for l in lines {
            s.push_str(&format!("{} h1:{}\n", l.name, l.hash));
        }
        s
    }

    #[test]
    fn directives_are_the_detached_header_comments() {
        let t = "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
        assert_eq!(wrapping(t), Wrapping::Autocommit);
        // Attached to the statement: not a file directive.
        let t = "-- atlas:txmode none\nCREATE INDEX CONCURRENTLY i ON t (a);\n";
        assert_eq!(wrapping(t), Wrapping::Transaction);
        let t = "# atlas:txmode file\n-- note\n\nSELECT 1;\n";
        assert_eq!(file_directive(t, "txmode"), vec![(0, "file".to_string())]);
        assert_eq!(wrapping("-- atlas:txmode none\n"), Wrapping::Autocommit);
        assert_eq!(wrapping("-- atlas:txmode none"), Wrapping::Transaction);
        assert!(txmode_problem(Path::new("a.sql"), "-- atlas:txmode all\n\nSELECT 1;").is_some());
        let p = txmode_problem(
            Path::new("a.sql"),
            "-- atlas:txmode none\n-- atlas:txmode file\n\nSELECT 1;",
        )
        .unwrap();
        assert_eq!(p.line, 2);
        assert!(is_checkpoint(
            "-- atlas:checkpoint v1\n\nCREATE TABLE t ();"
        ));
        for t in [
            "CREATE INDEX i ON t (a);\n",
            "-- attached\nCREATE INDEX i ON t (a);\n",
            "-- atlas:sum ignore\n-- note\n\nCREATE INDEX i ON t (a);\n",
            "-- atlas:txmode none\nCREATE INDEX i ON t (a);\n",
        ] {
            let (at, ins) = no_transaction_edit(t).unwrap();
            let fixed = format!("{}{ins}{}", &t[..at], &t[at..]);
            assert_eq!(wrapping(&fixed), Wrapping::Autocommit, "{fixed}");
            assert_eq!(
                fixed.lines().next(),
                t.lines()
                    .next()
                    .filter(|l| l.contains("atlas:sum"))
                    .or(Some("-- atlas:txmode none"))
            );
        }
        assert!(no_transaction_edit("-- atlas:txmode file\n\nCREATE INDEX i ON t (a);").is_none());
        assert!(sum_ignored(b"-- atlas:sum ignore\nSELECT 1;"));
        assert!(!sum_ignored(b"SELECT 1;\n-- atlas:sum ignore\n"));
    }

    #[test]
    fn hashes_are_cumulative_and_mismatches_found_as_atlas_does() {
        let old = hash_files(&files(&[("1_a.sql", "A"), ("2_b.sql", "B")]));
        // The second hash covers the first file too.
        let alone = hash_files(&files(&[("2_b.sql", "B")]));
        assert_ne!(old[1].hash, alone[0].hash);
        let text = marshal(&old);
        assert_eq!(parse_sum(&text).unwrap(), old);
        let edited = hash_files(&files(&[("1_a.sql", "A2"), ("2_b.sql", "B")]));
        assert_eq!(
            mismatch(&old, &edited),
            Some(Mismatch::Edited {
                file: "1_a.sql".into(),
                line: 2
            })
        );
        let added = hash_files(&files(&[
            ("1_a.sql", "A"),
            ("2_b.sql", "B"),
            ("3_c.sql", "C"),
        ]));
        assert_eq!(
            mismatch(&old, &added),
            Some(Mismatch::Added {
                file: "3_c.sql".into(),
                line: 4
            })
        );
        let inserted = hash_files(&files(&[
            ("1_a.sql", "A"),
            ("15_x.sql", "X"),
            ("2_b.sql", "B"),
        ]));
        assert_eq!(
            mismatch(&old, &inserted),
            Some(Mismatch::Added {
                file: "15_x.sql".into(),
                line: 3
            })
        );
        let removed = hash_files(&files(&[("2_b.sql", "B")]));
        assert_eq!(
            mismatch(&old, &removed),
            Some(Mismatch::Removed {
                file: "1_a.sql".into(),
                line: 2
            })
        );
        assert_eq!(mismatch(&old, &old), None);
    }

    #[test]
    fn a_bad_sum_file_is_refused_at_its_line() {
        let old = hash_files(&files(&[("1_a.sql", "A")]));
        let text = marshal(&old);
        assert_eq!(parse_sum(&text.replace(" h1:", " ")).unwrap_err().0, 2);
        let tampered = text.replacen("h1:", "h1:x", 1);
        assert_eq!(parse_sum(&tampered).unwrap_err().0, 1);
        assert_eq!(parse_sum(&format!("{text}\n")).unwrap_err().0, 3);
    }
}
