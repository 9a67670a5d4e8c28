//! Parser for the lock-model case corpus (`fixtures/lockmodel/*.sql`).
//!
//! ```text
//! -- case: add column with constant default
//! -- setup:
//! CREATE TABLE t (id int PRIMARY KEY, v text);
//! -- statement:
//! ALTER TABLE t ADD COLUMN c int DEFAULT 0;
//! -- versions: 12-18          (optional; default all majors 11-18)
//! -- expect-error: 42P01      (optional; the statement must fail so)
//! ```
//!
//! `-- history:` (optional, may be empty) is what ddlint sees as the
//! history instead of the setup, for objects the server has but the
//! migration history does not show.
//!
//! Cases are separated by `-- case:` lines; text before the first case is a
//! file comment. `-- versions:` takes a comma-separated list of majors and
//! ranges (`12-18`, `14+`, `-13`, `11,13`).

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Case {
    /// File the case comes from (relative to the crate root when possible).
    pub file: PathBuf,
    /// Line of the `-- case:` line (1-based).
    pub line: usize,
    pub name: String,
    pub setup: String,
    /// What ddlint is given as the history instead of the setup (`--
    /// history:`, possibly empty): objects the server has but the history
    /// does not show, as when a project's early migrations are missing.
    pub history: Option<String>,
    pub statement: String,
    /// Majors the case applies to.
    pub versions: Vec<u32>,
    pub expect_error: Option<String>,
    /// ddlint must say the effects are unknown (e.g. a trigger's function
    /// writes another table): the locks are then not compared.
    pub expect_unknown: bool,
    /// A known gap of the model, with the reason: its mismatches are
    /// printed but do not fail the suite.
    pub known_gap: Option<String>,
    /// `-- compare-scans:` the scans are compared too (by default they are
    /// informational: ordinary plans scan tiny tables sequentially).
    pub compare_scans: bool,
}

impl Case {
    pub fn applies_to(&self, major: u32) -> bool {
        self.versions.contains(&major)
    }

    /// `file:line` for reports.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

pub fn parse_versions(spec: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |s: &str| -> Result<u32, String> {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("bad version {s:?} in {spec:?}"))
        };
        let (lo, hi) = if let Some(lo) = part.strip_suffix('+') {
            (num(lo)?, 18)
        } else if let Some(hi) = part.strip_prefix('-') {
            (11, num(hi)?)
        } else if let Some((lo, hi)) = part.split_once('-') {
            (num(lo)?, num(hi)?)
        } else {
            let v = num(part)?;
            (v, v)
        };
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(format!("empty versions {spec:?}"));
    }
    Ok(out)
}

enum Section {
    None,
    Setup,
    History,
    Statement,
}

pub fn parse_cases(file: &Path, text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    let mut section = Section::None;
    for (idx, line) in text.lines().enumerate() {
        let lineno = idx + 1;
        let trimmed = line.trim();
        let directive = |name: &str| -> Option<String> {
            let rest = trimmed.strip_prefix("--")?.trim_start();
            let rest = rest.strip_prefix(name)?;
            let rest = rest.strip_prefix(':')?;
            Some(rest.trim().to_string())
        };
        let err = |msg: String| format!("{}:{lineno}: {msg}", file.display());
        if let Some(name) = directive("case") {
            if let Some(prev) = cases.last() {
                check_case(prev)?;
            }
            cases.push(Case {
                file: file.to_path_buf(),
                line: lineno,
                name,
                setup: String::new(),
                history: None,
                statement: String::new(),
                versions: super::pg::ALL_MAJORS.to_vec(),
                expect_error: None,
                expect_unknown: false,
                known_gap: None,
                compare_scans: false,
            });
            section = Section::None;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            continue;
        };
        if directive("setup").is_some() {
            section = Section::Setup;
        } else if directive("history").is_some() {
            case.history = Some(String::new());
            section = Section::History;
        } else if directive("statement").is_some() {
            section = Section::Statement;
        } else if let Some(v) = directive("versions") {
            let spec = v.split('(').next().unwrap_or("").replace(' ', "");
            case.versions = parse_versions(&spec).map_err(err)?;
        } else if let Some(code) = directive("expect-error") {
            case.expect_error = Some(code);
        } else if directive("expect-unknown").is_some() {
            case.expect_unknown = true;
        } else if let Some(why) = directive("known-gap") {
            case.known_gap = Some(why);
        } else if directive("compare-scans").is_some() {
            case.compare_scans = true;
        } else {
            let target = match section {
                Section::Setup => &mut case.setup,
                Section::History => case.history.get_or_insert_with(String::new),
                Section::Statement => &mut case.statement,
                Section::None => {
                    if trimmed.is_empty() || trimmed.starts_with("--") {
                        continue;
                    }
                    return Err(err("SQL outside of -- setup: / -- statement:".into()));
                }
            };
            target.push_str(line);
            target.push('\n');
        }
    }
    if let Some(prev) = cases.last() {
        check_case(prev)?;
    }
    Ok(cases)
}

fn check_case(case: &Case) -> Result<(), String> {
    if case.statement.trim().is_empty() {
        return Err(format!(
            "{}: case {:?} has no statement",
            case.location(),
            case.name
        ));
    }
    Ok(())
}

/// Directory of the corpus.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lockmodel")
}

/// All cases of the corpus, in file then line order.
pub fn load_corpus() -> Result<Vec<Case>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map_err(|e| format!("read {}: {e}", corpus_dir().display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut all = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        all.extend(parse_cases(&rel, &text)?);
    }
    Ok(all)
}
