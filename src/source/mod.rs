//! Which files, in which order, which parts, in which transactions, and
//! with which text: everything between the paths on the command line and
//! the `Input`s the model replays.
//!
//! - `discovery`: files, directories, globs, excludes.
//! - `ordering`: numbers compare as numbers, flyway versions part by part.
//! - `layouts`: one module per migration tool (detected, or `--layout`):
//!   which files run, up/down parts, transaction wrapping.
//! - `psql`: meta-commands and `:variables` for scripts psql runs.
//! - `templates`: `${NAME}`, Go templates, graphile placeholders.
//! - `rewrite`: removed text is blanked (offsets unchanged), substituted
//!   text is recorded in an offset map, so positions are always original.
//! - `git`: `--since REF`.
//! - `read`: strict UTF-8 decoding.
//!
//! One `Input` per transaction unit: usually one per file (its up part),
//! several for a Liquibase file (one per changeset) or a psql script that
//! includes others (the parts around each `\i`).

pub mod discovery;
pub mod git;
pub mod layouts;
pub mod ordering;
pub mod projects;
pub mod psql;
pub mod read;
pub mod rewrite;
pub mod templates;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use layouts::Layout;
pub use ordering::natural_cmp;
pub use read::{decode, read_text, read_text_limited, MAX_FILE_BYTES};

use crate::model::txn::Wrapping;
use crate::model::Input;
use crate::parse::lines::OffsetMap;
use crate::rules::{Category, Finding, Severity};
use layouts::{Planned, Unit};
use rewrite::{keep_only, Rewriter};

#[derive(Debug)]
pub struct SourceError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// How to read the sources.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Forced layout (`--layout`); detected per path otherwise.
    pub layout: Option<Layout>,
    /// `--var NAME=VALUE` and config `variables:`.
    pub vars: BTreeMap<String, String>,
    /// Lint down parts too (after all up parts, newest first).
    pub include_down: bool,
    /// Exclude globs (config `exclude`).
    pub exclude: Vec<String>,
    /// The name stdin (`-`) is linted as.
    pub stdin_filename: Option<String>,
    /// Plain psql scripts run inside one transaction each.
    pub assume_in_transaction: bool,
    /// Largest file read, in bytes (0: [`MAX_FILE_BYTES`]).
    pub max_file_bytes: u64,
}

impl Options {
    fn limit(&self) -> u64 {
        if self.max_file_bytes == 0 {
            MAX_FILE_BYTES
        } else {
            self.max_file_bytes
        }
    }
}

/// One transaction unit, ready for the model.
#[derive(Debug, Clone)]
pub struct Part {
    /// The path as reported.
    pub path: String,
    /// The file on disk (None for stdin).
    pub file: Option<PathBuf>,
    pub layout: Layout,
    pub text: String,
    pub map: Option<Arc<OffsetMap>>,
    pub wrapping: Wrapping,
    pub down: bool,
}

impl Part {
    pub fn into_input(self, report: bool) -> Input {
        Input {
            path: self.path,
            text: self.text,
            wrapping: self.wrapping,
            report,
            map: self.map,
            // `--schema` history, shared by every project.
            project: None,
        }
    }
}

/// Something the source stage found and reports as a finding (a shell
/// command in a psql script, a meta-command that changes what runs).
/// Positions are in the original file.
#[derive(Debug, Clone)]
pub struct Note {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub rule: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
}

/// Something that stops the run (an unresolved placeholder).
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub parts: Vec<Part>,
    pub notes: Vec<Note>,
    /// The layout used for each path argument.
    pub layouts: Vec<(String, Layout)>,
}

/// Expand paths into the ordered list of SQL files (no layout applied).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| SourceError {
            path: p.display().to_string(),
            message: read::io_message(&e),
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            discovery::walk(p, &mut found, 0)?;
            found.retain(|f| discovery::is_sql(f));
            if found.is_empty() {
                return Err(SourceError {
                    path: p.display().to_string(),
                    message: "directory holds no SQL files (*.sql, *.sql.postgres)".into(),
                });
            }
            found.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// A path argument: a directory (a project's migrations), files matched
/// by a glob, or one file.
struct Group {
    root: PathBuf,
    files: Vec<PathBuf>,
    /// Named on the command line: always linted, down or not.
    explicit: bool,
    arg: String,
}

fn groups(
    paths: &[PathBuf],
    opts: &Options,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Vec<Group>, SourceError> {
    let keep =
        |f: &PathBuf| !discovery::excluded(f, &opts.exclude) && !skip(&f.display().to_string());
    let mut out = Vec::new();
    for p in paths {
        let arg = p.display().to_string();
        if arg == "-" {
            continue;
        }
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                discovery::walk(p, &mut found, 0)?;
                let had_sql = found.iter().any(|f| discovery::is_sql(f));
                found.retain(keep);
                if had_sql && !found.iter().any(|f| discovery::is_sql(f)) {
                    // Everything here is excluded by the configuration.
                    continue;
                }
                if !found.iter().any(|f| discovery::is_sql(f)) {
                    return Err(SourceError {
                        path: arg,
                        message: "directory holds no SQL files (*.sql, *.sql.postgres, *.psql)"
                            .into(),
                    });
                }
                out.push(Group {
                    root: p.clone(),
                    files: found,
                    explicit: false,
                    arg,
                });
            }
            Ok(_) if !keep(p) => {}
            Ok(_) => out.push(Group {
                root: p.parent().map(Path::to_path_buf).unwrap_or_default(),
                files: vec![p.clone()],
                explicit: true,
                arg,
            }),
            Err(e) if discovery::has_glob(&arg) => {
                let mut found = discovery::expand_glob(&arg)?;
                found.retain(keep);
                let mut files = Vec::new();
                for f in found {
                    if f.is_dir() {
                        discovery::walk(&f, &mut files, 0)?;
                    } else {
                        files.push(f);
                    }
                }
                files.retain(|f| discovery::is_sql(f));
                if files.is_empty() {
                    return Err(SourceError {
                        path: arg,
                        message: format!(
                            "no SQL file matches this pattern ({})",
                            read::io_message(&e)
                        ),
                    });
                }
                out.push(Group {
                    root: PathBuf::from("."),
                    files,
                    explicit: true,
                    arg,
                });
            }
            Err(e) => {
                return Err(SourceError {
                    path: arg,
                    message: read::io_message(&e),
                })
            }
        }
    }
    Ok(out)
}

/// Read every path the way its migration tool runs it.
pub fn load(paths: &[PathBuf], opts: &Options) -> Result<Loaded, SourceError> {
    load_with(paths, opts, &|_| false)
}

/// [`load`], skipping the paths `skip` says (configuration `exclude`).
pub fn load_with(
    paths: &[PathBuf],
    opts: &Options,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Loaded, SourceError> {
    let mut loaded = Loaded::default();
    let mut problems = Vec::new();
    let mut downs: Vec<Vec<Part>> = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| {
                SourceError {
                    path: "<stdin>".into(),
                    message: e.to_string(),
                }
            })?;
            let name = opts
                .stdin_filename
                .clone()
                .unwrap_or_else(|| "<stdin>".into());
            let text = decode(bytes).map_err(|m| SourceError {
                path: name.clone(),
                message: m,
            })?;
            let path = PathBuf::from(&name);
            let mut texts = BTreeMap::new();
            texts.insert(path.clone(), text.clone());
            let layout = opts
                .layout
                .unwrap_or_else(|| layouts::detect(std::slice::from_ref(&path), &texts));
            loaded.layouts.push(("-".into(), layout));
            let planned = default_planned(layout, &path, &text);
            let (ups, mut d) = file_parts(
                layout,
                &planned,
                &text,
                None,
                &name,
                opts.include_down,
                opts,
                &mut loaded.notes,
                &mut problems,
            );
            loaded.parts.extend(ups);
            if !d.is_empty() {
                downs.push(std::mem::take(&mut d));
            }
            continue;
        }
        for g in groups(std::slice::from_ref(p), opts, skip)? {
            // Read everything once; a file that cannot be read is an error
            // only if the tool would run it (e.g. a latin1 MySQL variant
            // next to the PostgreSQL one is not).
            let mut texts = BTreeMap::new();
            let mut unreadable = BTreeMap::new();
            for f in g
                .files
                .iter()
                .filter(|f| g.explicit || discovery::is_sql(f))
            {
                match read_text_limited(f, opts.limit()) {
                    Ok(t) => {
                        texts.insert(f.clone(), t);
                    }
                    Err(e) => {
                        unreadable.insert(f.clone(), e);
                    }
                }
            }
            let layout = opts
                .layout
                .unwrap_or_else(|| layouts::detect(&g.files, &texts));
            loaded.layouts.push((g.arg.clone(), layout));
            let mut plan =
                layouts::plan(layout, &g.root, &g.files, opts.include_down || g.explicit);
            if plan.is_empty() && !g.explicit {
                return Err(SourceError {
                    path: g.arg,
                    message: format!(
                        "no {} migrations here ({}); choose another --layout",
                        layout.name(),
                        layout.expected()
                    ),
                });
            }
            if layout.is_psql() && !g.explicit {
                // Scripts another script includes run there, not on their own.
                let included = psql::include_targets(&texts);
                plan.retain(|p| !included.contains(&canonical(&p.path)));
            }
            if g.explicit {
                // Files named on the command line are linted even when the
                // tool would not pick them up by name.
                for f in &g.files {
                    if let Some(e) = unreadable.remove(f) {
                        return Err(e);
                    }
                    if !plan.iter().any(|x| &x.path == f) {
                        plan.push(default_planned(layout, f, &texts[f]));
                    }
                }
            }
            if let Some(e) = plan.iter().find_map(|p| unreadable.remove(&p.path)) {
                return Err(e);
            }
            for planned in plan {
                let text = &texts[&planned.path];
                let display = planned.path.display().to_string();
                let (ups, d) = file_parts(
                    layout,
                    &planned,
                    text,
                    Some(&planned.path),
                    &display,
                    opts.include_down,
                    opts,
                    &mut loaded.notes,
                    &mut problems,
                );
                loaded.parts.extend(ups);
                if !d.is_empty() {
                    downs.push(d);
                }
            }
        }
    }
    // Down parts run after every up part, newest first (a full rollback).
    for d in downs.into_iter().rev() {
        loaded.parts.extend(d);
    }
    if opts.assume_in_transaction {
        for p in &mut loaded.parts {
            if p.layout == Layout::Psql && p.wrapping == Wrapping::Autocommit {
                p.wrapping = Wrapping::Transaction;
            }
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        let mut msg = String::new();
        for (i, pr) in problems.iter().enumerate() {
            if i == 20 {
                msg.push_str(&format!("... and {} more\n", n - 20));
                break;
            }
            msg.push_str(&format!(
                "{}:{}:{}: {}\n",
                pr.path, pr.line, pr.column, pr.message
            ));
        }
        return Err(SourceError {
            path: String::new(),
            message: msg.trim_end().to_string(),
        });
    }
    Ok(loaded)
}

fn default_planned(layout: Layout, path: &Path, _text: &str) -> Planned {
    let name = layouts::file_name(path);
    let down = name.ends_with(".down.sql") || name == "down.sql";
    let wrapping = match layout {
        Layout::Psql | Layout::Django | Layout::Alembic | Layout::Liquibase | Layout::Sqitch => {
            Wrapping::Autocommit
        }
        Layout::GolangMigrate | Layout::Prisma => Wrapping::ImplicitMultiStatement,
        Layout::Diesel => {
            if layouts::diesel::run_in_transaction(path.parent().unwrap_or(Path::new("."))) {
                Wrapping::Transaction
            } else {
                Wrapping::ImplicitMultiStatement
            }
        }
        Layout::Pop => match layouts::pop::parse_name(name) {
            Some(n) if n.autocommit => Wrapping::ImplicitMultiStatement,
            _ => Wrapping::Transaction,
        },
        _ => Wrapping::Transaction,
    };
    Planned {
        path: path.to_path_buf(),
        down,
        wrapping,
    }
}

/// The parts of one file: (up parts, down parts).
#[allow(clippy::too_many_arguments)]
fn file_parts(
    layout: Layout,
    planned: &Planned,
    text: &str,
    file: Option<&Path>,
    display: &str,
    include_down: bool,
    opts: &Options,
    notes: &mut Vec<Note>,
    problems: &mut Vec<Problem>,
) -> (Vec<Part>, Vec<Part>) {
    let units = layouts::units(layout, planned, text, include_down);
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for unit in units {
        let parts = unit_parts(layout, &unit, text, file, display, opts, notes, problems, 0);
        if unit.down {
            downs.extend(parts);
        } else {
            ups.extend(parts);
        }
    }
    (ups, downs)
}

#[allow(clippy::too_many_arguments)]
fn unit_parts(
    layout: Layout,
    unit: &Unit,
    text: &str,
    file: Option<&Path>,
    display: &str,
    opts: &Options,
    notes: &mut Vec<Note>,
    problems: &mut Vec<Problem>,
    depth: usize,
) -> Vec<Part> {
    let mut rw = Rewriter::new(text);
    keep_only(&mut rw, &unit.keep);
    for (s, e, with) in &unit.replace {
        rw.replace(*s, *e, with.clone());
    }
    let mut vars = opts.vars.clone();
    let mut included: Vec<Vec<Part>> = Vec::new();
    let includes = if layout.is_psql() {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(display));
        let mut inner_notes = Vec::new();
        let mut inner_problems = Vec::new();
        let includes = {
            let mut cx = psql::Ctx {
                path: &path,
                display,
                given: &opts.vars,
                notes: &mut inner_notes,
                problems: &mut inner_problems,
            };
            let mut on_include =
                |inc: &psql::Include, vars: &mut psql::Vars, cx: &mut psql::Ctx| {
                    let parts = include_parts(inc, vars, opts, cx, depth);
                    included.push(parts);
                };
            psql::process(&mut rw, &mut vars, &mut cx, &mut on_include)
        };
        notes.extend(inner_notes);
        problems.extend(inner_problems);
        includes
    } else {
        Vec::new()
    };
    match layout {
        Layout::Flyway => {
            let mut builtins = BTreeMap::new();
            builtins.insert("flyway:defaultSchema".to_string(), "public".to_string());
            builtins.insert(
                "flyway:table".to_string(),
                "flyway_schema_history".to_string(),
            );
            builtins.insert(
                "flyway:timestamp".to_string(),
                "2000-01-01 00:00:00".to_string(),
            );
            builtins.insert(
                "flyway:filename".to_string(),
                display.rsplit('/').next().unwrap_or(display).to_string(),
            );
            templates::dollar_braces(&mut rw, &opts.vars, &builtins, true, display, problems);
        }
        Layout::Pop => templates::go_template(&mut rw, &opts.vars, display, problems),
        Layout::Goose if layouts::goose::envsub(text) => {
            // `-- +goose ENVSUB ON`: goose substitutes `${VAR}` from its
            // environment; here from --var.
            templates::dollar_braces(
                &mut rw,
                &opts.vars,
                &BTreeMap::new(),
                true,
                display,
                problems,
            );
        }
        Layout::Graphile => templates::graphile(&mut rw, &opts.vars, display, problems),
        _ => {
            if !opts.vars.is_empty() {
                templates::dollar_braces(
                    &mut rw,
                    &opts.vars,
                    &BTreeMap::new(),
                    false,
                    display,
                    problems,
                );
                templates::dollar_percent(&mut rw, &opts.vars, display, problems);
            }
        }
    }
    let make = |rw: Rewriter| {
        let (t, map) = rw.finish();
        Part {
            path: display.to_string(),
            file: file.map(Path::to_path_buf),
            layout,
            text: t,
            map,
            wrapping: unit.wrapping,
            down: unit.down,
        }
    };
    if includes.is_empty() {
        return vec![make(rw)];
    }
    // The script around each include is its own part; the included
    // script's parts go in between.
    let mut out = Vec::new();
    let mut from = 0;
    for (inc, parts) in includes.iter().zip(included) {
        let mut seg = rw.clone();
        keep_only(&mut seg, &[(from, inc.start)]);
        out.push(make(seg));
        out.extend(parts);
        from = inc.end;
    }
    let mut seg = rw;
    keep_only(&mut seg, &[(from, text.len())]);
    out.push(make(seg));
    out
}

fn include_parts(
    inc: &psql::Include,
    vars: &mut psql::Vars,
    opts: &Options,
    cx: &mut psql::Ctx,
    depth: usize,
) -> Vec<Part> {
    let text = cx.path.to_path_buf();
    let _ = text;
    if depth >= 16 {
        cx.problems.push(Problem {
            path: cx.display.to_string(),
            line: 0,
            column: 0,
            message: format!(
                "`\\i {}`: includes nested more than 16 deep (a cycle?)",
                inc.path.display()
            ),
        });
        return vec![];
    }
    let src = match read_text_limited(&inc.path, opts.limit()) {
        Ok(t) => t,
        Err(e) => {
            cx.problems.push(Problem {
                path: cx.display.to_string(),
                line: 0,
                column: 0,
                message: format!("cannot include {}: {}", inc.path.display(), e.message),
            });
            return vec![];
        }
    };
    let display = inc.path.display().to_string();
    let unit = Unit::whole(&src, Wrapping::Autocommit, false);
    let mut o = opts.clone();
    // The included script continues the including session's variables.
    o.vars = vars.clone();
    let mut notes = Vec::new();
    let parts = unit_parts(
        Layout::Psql,
        &unit,
        &src,
        Some(&inc.path),
        &display,
        &o,
        &mut notes,
        cx.problems,
        depth + 1,
    );
    cx.notes.extend(notes);
    // Variables \set by the included script are visible after it: replay
    // its \set/\unset lines (cheap; scripts are small).
    let mut rw = Rewriter::new(&src);
    let mut sink_n = Vec::new();
    let mut sink_p = Vec::new();
    let mut cx2 = psql::Ctx {
        path: &inc.path,
        display: &display,
        given: &o.vars,
        notes: &mut sink_n,
        problems: &mut sink_p,
    };
    psql::process(&mut rw, vars, &mut cx2, &mut |_, _, _| {});
    parts
}

/// Source notes as findings, attached to the first analysed file with
/// the note's path, with the configured severity (or dropped when the
/// configuration turns the rule off).
pub fn findings(
    notes: &[Note],
    analysis: &crate::model::Analysis,
    settings: &crate::rules::Settings,
) -> Vec<Finding> {
    notes
        .iter()
        .filter_map(|n| {
            let file = analysis
                .files
                .iter()
                .position(|f| f.path == n.path && f.report)?;
            let severity = configured(n.rule, n.severity, &n.path, settings)?;
            Some(Finding {
                rule: n.rule,
                category: n.category,
                severity,
                file,
                line: n.line,
                column: n.column,
                end_line: n.end_line,
                end_column: n.end_column,
                message: n.message.clone(),
                help: n.help.clone(),
                fix: None,
                edits: Vec::new(),
            })
        })
        .collect()
}

/// The severity the configuration gives a source-stage rule on a path
/// (None: turned off).
fn configured(
    rule: &str,
    default: Severity,
    path: &str,
    settings: &crate::rules::Settings,
) -> Option<Severity> {
    match crate::rules::meta(rule) {
        Some(m) => {
            if settings.enabled(m, path) {
                settings.severity(m, path)
            } else {
                None
            }
        }
        None => Some(default),
    }
}

/// `--fix`: apply the findings' edits to the original files. Edits are in
/// the parsed text's offsets; they are mapped back through the offset map
/// of rewritten files (an edit that touches substituted text is skipped),
/// and the edits of every part of one file are applied together. Returns
/// (path, edits applied) for each file written.
pub fn apply_fixes(
    analysis: &crate::model::Analysis,
    findings: &[Finding],
) -> Result<Vec<(String, usize)>, SourceError> {
    let mut per_file: BTreeMap<String, (String, Vec<crate::rules::Edit>)> = BTreeMap::new();
    for (fi, fa) in analysis.files.iter().enumerate() {
        if !fa.report || fa.path == "<stdin>" {
            continue;
        }
        let edits = crate::rules::fix::edits_for(findings, fi);
        let original = match fa.lines.offset_map() {
            Some(m) => m.original.clone(),
            None => fa.text.clone(),
        };
        let entry = per_file
            .entry(fa.path.clone())
            .or_insert_with(|| (original, Vec::new()));
        for e in edits {
            let mapped = match fa.lines.offset_map() {
                None => Some(e.clone()),
                Some(m) => {
                    let touches = m
                        .edits
                        .iter()
                        .any(|x| e.start < x.at + x.len && x.at < e.end.max(e.start + 1));
                    let (s, t) = (m.to_original(e.start), m.to_original(e.end));
                    (!touches && t - s == e.end - e.start).then(|| crate::rules::Edit {
                        start: s,
                        end: t,
                        text: e.text.clone(),
                    })
                }
            };
            if let Some(x) = mapped {
                entry.1.push(x);
            }
        }
    }
    let mut out = Vec::new();
    for (path, (original, edits)) in per_file {
        if edits.is_empty() {
            continue;
        }
        let refs: Vec<&crate::rules::Edit> = edits.iter().collect();
        let (text, n) = crate::rules::fix::apply(&original, &refs);
        if n == 0 || text == original {
            continue;
        }
        std::fs::write(&path, &text).map_err(|e| SourceError {
            path: path.clone(),
            message: format!("writing the fixed file: {e}"),
        })?;
        out.push((path, n));
    }
    Ok(out)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Where `--since` asks git: the directory of the first path argument.
pub fn git_dir(paths: &[PathBuf]) -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for p in paths {
        if p.as_os_str() == "-" {
            continue;
        }
        let d = if p.is_dir() {
            p.clone()
        } else {
            match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => here.clone(),
            }
        };
        if d.exists() {
            return d;
        }
    }
    here
}

/// Whether a part is reported: always, unless `--since` limits the run to
/// the files that changed (stdin is always reported).
pub fn reported(part: &Part, changes: Option<&git::Changes>) -> bool {
    match (changes, &part.file) {
        (Some(c), Some(f)) => c.get(f).is_some(),
        _ => true,
    }
}

/// `--since`: an already-applied migration (it existed at REF) that was
/// edited or renamed is an error; deleted ones are reported on stderr.
pub fn git_findings(
    c: &git::Changes,
    since: &str,
    analysis: &crate::model::Analysis,
    settings: &crate::rules::Settings,
) -> Vec<Finding> {
    for d in &c.deleted {
        eprintln!(
            "ddlint: warning: {d} existed at {since} and was deleted; if it was applied, the database still has its changes"
        );
    }
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (fi, f) in analysis.files.iter().enumerate() {
        if !f.report || !seen.insert(f.path.clone()) {
            continue;
        }
        let Some(change) = c.get(Path::new(&f.path)) else {
            continue;
        };
        let Some(severity) = configured(
            "modified-applied-migration",
            Severity::Error,
            &f.path,
            settings,
        ) else {
            continue;
        };
        let short = &c.base[..c.base.len().min(10)];
        let (line, message) = match change {
            git::Change::Modified { line } => (
                *line,
                format!(
                    "this migration existed at {since} ({short}) and was edited: databases that already applied it will not run the new text (or the tool refuses to start on a checksum mismatch)"
                ),
            ),
            git::Change::Renamed { from } => (
                1,
                format!(
                    "this migration was renamed from {from} since {since} ({short}): the tool sees a new migration and runs it again on databases that already applied it"
                ),
            ),
            _ => continue,
        };
        let line = line.min(f.lines.line_count()).max(1);
        let width = f.lines.line_text(&f.text, line).chars().count();
        out.push(Finding {
            rule: "modified-applied-migration",
            category: Category::Failure,
            severity,
            file: fi,
            line,
            column: 1,
            end_line: line,
            end_column: width + 1,
            message,
            help: Some(
                "restore the applied migration as it was and put the change in a new migration"
                    .into(),
            ),
            fix: None,
            edits: Vec::new(),
        });
    }
    out
}
