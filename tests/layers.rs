//! The layers of ARCHITECTURE.md, enforced: a module never imports one
//! above it. Data flows source -> parse -> model -> rules -> report, with
//! dryrun beside rules and cli on top; `input` is the small module source
//! and model share. Read from the source text (as rust-analyzer's tidy
//! tests do): every `crate::<layer>` path outside tests counts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer and the layers it must never import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "input",
        &["source", "model", "rules", "report", "dryrun", "cli"],
    ),
    (
        "parse",
        &["source", "model", "rules", "report", "dryrun", "cli"],
    ),
    ("source", &["model", "rules", "report", "dryrun", "cli"]),
    (
        "model",
        &["source", "rules", "report", "dryrun", "cli", "stats"],
    ),
    ("stats", &["source", "rules", "report", "dryrun", "cli"]),
    ("rules", &["report", "dryrun", "cli"]),
    ("report", &["cli"]),
    ("dryrun", &["report", "cli"]),
];

/// What `report` may take from `dryrun`: its results and the plan they
/// refer to, never the executor (connections, servers, sessions).
const REPORT_MAY_USE_FROM_DRYRUN: &[&str] = &["outcome", "plan"];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The layer a source file belongs to (`src/<layer>.rs` or `src/<layer>/`).
fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The text of a file without its trailing `#[cfg(test)] mod tests`.
/// Comments and string literals stay: a `crate::` path in a comment is
/// rare, and flagging it is harmless (it describes a dependency too).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Every `crate::a::b` path and `use crate::{a, b::c}` group: (a, b).
fn crate_paths(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                let first = ident(item);
                let second = item
                    .strip_prefix(&first)
                    .and_then(|r| r.strip_prefix("::"))
                    .map(ident)
                    .unwrap_or_default();
                if !first.is_empty() {
                    out.insert((first, second));
                }
            }
        } else {
            let first = ident(rest);
            let second = rest[first.len()..]
                .strip_prefix("::")
                .map(ident)
                .unwrap_or_default();
            out.insert((first, second));
        }
    }
    out
}

#[test]
fn no_layer_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for f in &files {
        let Some(layer) = layer_of(&src, f) else {
            continue;
        };
        // Test-only files may reach anywhere.
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let paths = crate_paths(without_tests(&text));
        let forbidden = FORBIDDEN
            .iter()
            .find(|(l, _)| *l == layer)
            .map(|(_, f)| *f)
            .unwrap_or(&[]);
        for (first, second) in &paths {
            let rel = f.strip_prefix(&src).unwrap().display();
            if forbidden.contains(&first.as_str()) {
                violations.push(format!("src/{rel}: {layer} imports crate::{first}"));
            }
            if layer == "report"
                && first == "dryrun"
                && !REPORT_MAY_USE_FROM_DRYRUN.contains(&second.as_str())
            {
                violations.push(format!(
                    "src/{rel}: report imports crate::dryrun::{second} (only {REPORT_MAY_USE_FROM_DRYRUN:?})"
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations (see ARCHITECTURE.md):\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn the_checker_sees_paths_and_groups() {
    let p = crate_paths("use crate::model::{self, Input};\nuse crate::{rules::fix, report};\nx = crate::dryrun::run::execute();");
    let want: BTreeSet<(String, String)> = [
        ("model", ""),
        ("rules", "fix"),
        ("report", ""),
        ("dryrun", "run"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(p, want);
}
