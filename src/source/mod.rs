//! Which files, in which order, which parts, in which transactions, and
//! with which text: everything between the paths on the command line and
//! the `Input`s the model replays.
//!
//! - `discovery`: files, directories, globs, excludes.
//! - `projects`: where a directory's projects begin; each is read with its
//!   own layout and replayed into its own catalog (`Part::project`).
//! - `ordering`: numbers compare as numbers, flyway versions part by part.
//! - `layouts`: one module per migration tool (detected, or `--layout`):
//!   which files run, up/down parts, transaction wrapping.
//! - `psql`: meta-commands and `:variables` for scripts psql runs.
//! - `templates`: `${NAME}`, Go templates, graphile placeholders.
//! - `rewrite`: removed text is blanked (offsets unchanged), substituted
//!   text is recorded in an offset map, so positions are always original.
//! - `git`: `--since REF`.
//! - `read`: strict UTF-8 decoding; binary files (a NUL byte in the first
//!   8000 bytes) are told apart from text that is not UTF-8.
//! - `sources`: the stage as the commands drive it (options, `--since`,
//!   `--schema`).
//!
//! One `Input` per transaction unit: usually one per file (its up part),
//! several for a Liquibase file (one per changeset) or a psql script that
//! includes others (the parts around each `\i`).
//!
//! Every SQL file under the paths given is read or listed in
//! [`Coverage::skipped`] with why (a down part, excluded, not run by its
//! tool, binary, it or its project could not be read): nothing is dropped
//! silently. A symlink loop is listed there too, and not followed.

pub mod applied;
pub mod discovery;
pub mod git;
pub mod history;
pub mod layouts;
pub mod ordering;
pub mod projects;
pub mod psql;
pub mod read;
pub mod rewrite;
mod sources;
pub mod templates;

pub use sources::{SourceArgs, Sources};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use layouts::Layout;
pub use ordering::natural_cmp;
pub use read::{decode, read_text, read_text_limited, DecodeError, MAX_FILE_BYTES};

use crate::input::Input;
use crate::input::Wrapping;
use crate::parse::lines::OffsetMap;
use layouts::{Planned, Unit};
use rewrite::{keep_only, Rewriter};

/// A path that cannot be read, and why: `path: message` (just the message
/// when no path applies).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}{message}", .path, if .path.is_empty() { "" } else { ": " })]
pub struct SourceError {
    pub path: String,
    pub message: String,
}

impl SourceError {
    /// One error saying all of `errors` (one per line), or the only one.
    fn combine(mut errors: Vec<SourceError>) -> SourceError {
        if errors.len() == 1 {
            return errors.remove(0);
        }
        SourceError {
            path: String::new(),
            message: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
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
    /// The project it belongs to (an index into [`Coverage::projects`]):
    /// each project is replayed into its own catalog.
    pub project: usize,
    pub text: String,
    pub map: Option<Arc<OffsetMap>>,
    pub wrapping: Wrapping,
    pub down: bool,
}

impl Part {
    /// The part as history that every project starts from (`--schema`):
    /// replayed once, never reported.
    pub fn into_shared_input(self) -> Input {
        Input {
            path: self.path,
            text: self.text,
            wrapping: self.wrapping,
            layout: self.layout,
            report: false,
            map: self.map,
            project: None,
            session: None,
        }
    }
}

/// What the source stage saw that a rule may report (it makes no finding
/// itself: `rules::psql_shell_command` and `rules::psql_meta_command` turn
/// these into findings, so configuration and ignores apply to them as to
/// every other finding). Positions are in the original file.
#[derive(Debug, Clone)]
pub struct Note {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub kind: NoteKind,
    pub message: String,
    pub help: Option<String>,
}

/// What a [`Note`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// A psql script runs a shell command (`\!`, a backtick in `\set`).
    ShellCommand,
    /// A psql meta-command changes what runs or how (`\connect`, `\if`,
    /// `\gexec`, `\copy`, `\set AUTOCOMMIT off`).
    MetaCommand,
    /// A migration the lock file records as applied was changed since.
    ModifiedApplied,
    /// A migration that does not match the tool's own integrity file
    /// (Atlas's `atlas.sum`): edited after it was hashed, or not in it.
    ChecksumMismatch,
}

/// Something that stops a project from being read (an unresolved
/// placeholder, an include that cannot be read).
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One project as it was read.
#[derive(Debug, Clone)]
pub struct ProjectInfo {
    /// Its root directory (for files named on the command line, the
    /// directory of their project; `-` for stdin).
    pub root: String,
    /// The layouts it was read with: one, except when files named on the
    /// command line are detected one by one.
    pub layouts: Vec<Layout>,
}

/// Why a SQL file was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// A down part; `--include-down` reads it.
    Down,
    /// The configuration's `exclude`.
    Excluded,
    /// The project's tool does not run it.
    NotRun,
    /// It could not be read (not UTF-8, too large), or its project could
    /// not be (an unresolved placeholder): the run must not pass.
    Failed,
    /// A binary file (a NUL byte in its first 8000 bytes, as git decides)
    /// found in a directory: not SQL, so not a migration.
    Binary,
    /// A symlink to a directory it is already in: not followed, its files
    /// are read through the real path.
    Loop,
}

/// A SQL file under the paths given that was not read (or a symlink loop
/// that was not followed), and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
    pub kind: SkipKind,
}

/// What a run read: the projects, and every SQL file it did not read with
/// the reason (nothing under the paths given is dropped silently).
#[derive(Debug, Default, Clone)]
pub struct Coverage {
    pub projects: Vec<ProjectInfo>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Default)]
pub struct Loaded {
    /// Every project's parts, project after project.
    pub parts: Vec<Part>,
    pub notes: Vec<Note>,
    pub coverage: Coverage,
    /// Why some projects, or some migrations of a project otherwise read,
    /// could not be read (their files are listed in `coverage.skipped`).
    /// When no project could be read, `load` fails instead.
    pub failed: Vec<SourceError>,
}

/// Files read with one layout: a project found under a directory, or the
/// files of one project named on the command line.
struct Group {
    root: PathBuf,
    files: Vec<PathBuf>,
    /// Named on the command line: always linted, down or not.
    explicit: bool,
    /// The project it is read into.
    project: PathBuf,
    /// The SQL texts of `files` (explicit groups: of every file), the
    /// files that could not be read, and the binary ones (not named: a
    /// named binary file cannot be read).
    texts: BTreeMap<PathBuf, String>,
    unreadable: BTreeMap<PathBuf, SourceError>,
    binary: std::collections::BTreeSet<PathBuf>,
}

/// What one path argument names, before files are read.
enum Named {
    /// A directory: a project, or several.
    Dir { dir: PathBuf, files: Vec<PathBuf> },
    /// Files named (or matched by a glob): linted whatever their names.
    Files(Vec<PathBuf>),
}

/// Expand one path argument. Excluded SQL files are added to `excluded`,
/// symlink loops (not followed) to `loops`.
fn name_path(
    p: &Path,
    skip: &dyn Fn(&str) -> bool,
    excluded: &mut Vec<PathBuf>,
    loops: &mut Vec<discovery::Loop>,
) -> Result<Vec<Named>, SourceError> {
    let arg = p.display().to_string();
    let mut keep = |f: &PathBuf| {
        let out = skip(&f.display().to_string());
        if out && discovery::is_sql(f) {
            excluded.push(f.clone());
        }
        !out
    };
    match std::fs::metadata(p) {
        Ok(meta) if meta.is_dir() => {
            let mut found = Vec::new();
            discovery::walk(p, &mut found, loops)?;
            let had_sql = found.iter().any(|f| discovery::is_sql(f));
            found.retain(&mut keep);
            if had_sql && !found.iter().any(|f| discovery::is_sql(f)) {
                // Everything here is excluded by the configuration.
                return Ok(vec![]);
            }
            if !found.iter().any(|f| discovery::is_sql(f)) {
                return Err(SourceError {
                    path: arg,
                    message: "directory holds no SQL files (*.sql, *.sql.postgres, *.psql)".into(),
                });
            }
            Ok(vec![Named::Dir {
                dir: p.to_path_buf(),
                files: found,
            }])
        }
        Ok(_) if !keep(&p.to_path_buf()) => Ok(vec![]),
        Ok(_) => Ok(vec![Named::Files(vec![p.to_path_buf()])]),
        Err(e) if discovery::has_glob(&arg) => {
            let mut found = discovery::expand_glob(&arg, loops)?;
            found.retain(&mut keep);
            let mut out = Vec::new();
            let mut files = Vec::new();
            for f in found {
                if f.is_dir() {
                    // A directory matched is read as if it were named.
                    let mut inner = Vec::new();
                    discovery::walk(&f, &mut inner, loops)?;
                    inner.retain(&mut keep);
                    if inner.iter().any(|f| discovery::is_sql(f)) {
                        out.push(Named::Dir {
                            dir: f,
                            files: inner,
                        });
                    }
                } else if discovery::is_sql(&f) {
                    files.push(f);
                }
            }
            if out.is_empty() && files.is_empty() {
                return Err(SourceError {
                    path: arg,
                    message: format!(
                        "no SQL file matches this pattern ({})",
                        read::io_message(&e)
                    ),
                });
            }
            if !files.is_empty() {
                out.push(Named::Files(files));
            }
            Ok(out)
        }
        Err(e) => Err(SourceError {
            path: arg,
            message: read::io_message(&e),
        }),
    }
}

/// The files read: texts, failures, binary files.
#[derive(Default)]
struct Read {
    texts: BTreeMap<PathBuf, String>,
    unreadable: BTreeMap<PathBuf, SourceError>,
    binary: std::collections::BTreeSet<PathBuf>,
}

/// Read `files` (the SQL ones, or all when named). A binary file found in
/// a directory is set apart; named, it cannot be read.
fn read_files(files: &[PathBuf], named: bool, opts: &Options) -> Read {
    let mut read = Read::default();
    // A file that cannot be read is an error only if the tool would run
    // it (e.g. a latin1 MySQL variant next to the PostgreSQL one is not).
    for f in files.iter().filter(|f| named || discovery::is_sql(f)) {
        let bytes = match read::read_bytes_limited(f, opts.limit()) {
            Ok(b) => b,
            Err(e) => {
                read.unreadable.insert(f.clone(), e);
                continue;
            }
        };
        match decode(bytes) {
            Ok(t) => {
                read.texts.insert(f.clone(), t);
            }
            Err(DecodeError::Binary) if !named => {
                read.binary.insert(f.clone());
            }
            Err(e) => {
                let e = SourceError {
                    path: f.display().to_string(),
                    message: e.to_string(),
                };
                read.unreadable.insert(f.clone(), e);
            }
        }
    }
    read
}

/// The groups one path argument is read as: a directory split into its
/// projects (one project with `--layout`: the tool named reads the whole
/// directory), files grouped by the project each belongs to.
fn groups(named: Named, opts: &Options) -> Vec<Group> {
    match named {
        Named::Dir { dir, files } => {
            let mut read = read_files(&files, false, opts);
            let found = match opts.layout {
                Some(_) => vec![projects::Found {
                    root: dir.clone(),
                    files,
                }],
                None => projects::split(&dir, files, &read.texts),
            };
            found
                .into_iter()
                .map(|f| Group {
                    texts: take_keys(&mut read.texts, &f.files),
                    unreadable: take_keys(&mut read.unreadable, &f.files),
                    binary: f
                        .files
                        .iter()
                        .filter(|p| read.binary.contains(*p))
                        .cloned()
                        .collect(),
                    project: f.root.clone(),
                    root: f.root,
                    files: f.files,
                    explicit: false,
                })
                .collect()
        }
        Named::Files(files) => {
            let Read {
                mut texts,
                mut unreadable,
                ..
            } = read_files(&files, true, opts);
            let mut by_project: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
            for f in files {
                let project = projects::root_of_file(&f, texts.get(&f).map(String::as_str));
                match by_project.iter_mut().find(|(p, _)| *p == project) {
                    Some((_, v)) => v.push(f),
                    None => by_project.push((project, vec![f])),
                }
            }
            by_project
                .into_iter()
                .map(|(project, files)| Group {
                    root: project.clone(),
                    texts: take_keys(&mut texts, &files),
                    unreadable: take_keys(&mut unreadable, &files),
                    binary: Default::default(),
                    files,
                    explicit: true,
                    project,
                })
                .collect()
        }
    }
}

/// Move the entries of `keys` out of `map`.
fn take_keys<V>(map: &mut BTreeMap<PathBuf, V>, keys: &[PathBuf]) -> BTreeMap<PathBuf, V> {
    keys.iter().filter_map(|k| map.remove_entry(k)).collect()
}

/// One project while it is read.
#[derive(Default)]
struct Reading {
    root: String,
    layouts: Vec<Layout>,
    ups: Vec<Part>,
    /// Per file, its down parts (replayed newest first, after the ups).
    downs: Vec<Vec<Part>>,
    notes: Vec<Note>,
    problems: Vec<Problem>,
    /// What stopped it (no migrations).
    error: Option<SourceError>,
    /// Its migrations that could not be read (listed as skipped; the rest
    /// is read, unless nothing is).
    unreadable: Vec<SourceError>,
    skipped: Vec<Skipped>,
    /// Its SQL files, listed as skipped when it cannot be read.
    sql: Vec<String>,
}

impl Reading {
    /// Add what one more group of the project read, as if it had been read
    /// into this one: after an error only its SQL files count.
    fn absorb(&mut self, g: Reading) {
        self.sql.extend(g.sql);
        if self.error.is_some() {
            return;
        }
        for l in g.layouts {
            add_layout(self, l);
        }
        self.ups.extend(g.ups);
        self.downs.extend(g.downs);
        self.notes.extend(g.notes);
        self.problems.extend(g.problems);
        self.error = g.error;
        self.unreadable.extend(g.unreadable);
        self.skipped.extend(g.skipped);
    }

    /// What stops the project from being read, if anything.
    fn failure(&mut self) -> Option<SourceError> {
        if let Some(e) = self.error.take() {
            return Some(e);
        }
        if self.ups.is_empty() && self.downs.is_empty() && !self.unreadable.is_empty() {
            // Nothing of it could be read.
            return Some(SourceError::combine(std::mem::take(&mut self.unreadable)));
        }
        if self.problems.is_empty() {
            return None;
        }
        let n = self.problems.len();
        let mut msg = String::new();
        for (i, pr) in self.problems.iter().enumerate() {
            if i == 20 {
                msg.push_str(&format!("... and {} more\n", n - 20));
                break;
            }
            msg.push_str(&format!(
                "{}:{}:{}: {}\n",
                pr.path, pr.line, pr.column, pr.message
            ));
        }
        Some(SourceError {
            path: String::new(),
            message: msg.trim_end().to_string(),
        })
    }
}

/// Read every path the way its migration tool runs it.
pub fn load(paths: &[PathBuf], opts: &Options) -> Result<Loaded, SourceError> {
    load_with(paths, opts, &|_| false)
}

/// [`load`], skipping the paths `skip` says (configuration `exclude`).
///
/// Each project is read on its own: a project that cannot be read (an
/// unresolved placeholder) is listed in `failed` and its files as skipped,
/// and the others are read. When no project can be read, this fails with
/// the reason.
pub fn load_with(
    paths: &[PathBuf],
    opts: &Options,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Loaded, SourceError> {
    // Projects in the order they are first met, by root.
    let mut reading: Vec<(PathBuf, Reading)> = Vec::new();
    let mut excluded = Vec::new();
    let mut loops = Vec::new();
    enum Job {
        Stdin,
        Named(Named),
    }
    let mut jobs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            jobs.push(Job::Stdin);
            continue;
        }
        jobs.extend(
            name_path(p, skip, &mut excluded, &mut loops)?
                .into_iter()
                .map(Job::Named),
        );
    }
    // Directories are read and their projects planned in parallel (each
    // group into a reading of its own), then gathered in the order given.
    use rayon::prelude::*;
    let read: Vec<Option<Vec<(PathBuf, Reading)>>> = jobs
        .par_iter_mut()
        .map(|job| match std::mem::replace(job, Job::Stdin) {
            Job::Stdin => None,
            Job::Named(named) => Some(
                groups(named, opts)
                    .into_iter()
                    .map(|g| {
                        let project = g.project.clone();
                        let mut r = Reading::default();
                        read_group(g, opts, &mut r);
                        (project, r)
                    })
                    .collect(),
            ),
        })
        .collect();
    for part in read {
        let Some(groups) = part else {
            let (name, text) = read_stdin(opts)?;
            // Stdin belongs to the project its name (`--stdin-filename`)
            // shows, as a named file does: an editor's buffer is linted
            // after the history given with it.
            let project = projects::root_of_file(Path::new(&name), Some(&text));
            let r = reading_for(&mut reading, &project);
            if r.root.is_empty() {
                r.root = project.display().to_string();
            }
            read_stdin_part(&name, &text, opts, r);
            continue;
        };
        for (project, g) in groups {
            let r = reading_for(&mut reading, &project);
            if r.root.is_empty() {
                r.root = project.display().to_string();
            }
            r.absorb(g);
        }
    }
    let reading: Vec<Reading> = reading.into_iter().map(|(_, r)| r).collect();
    let mut loaded = Loaded::default();
    loaded
        .coverage
        .skipped
        .extend(excluded.iter().map(|f| Skipped {
            path: f.display().to_string(),
            reason: "excluded by the configuration (`exclude`)".into(),
            kind: SkipKind::Excluded,
        }));
    // A loop met twice (a directory and a glob over it) is listed once.
    loops.sort_by(|a, b| a.link.cmp(&b.link));
    loops.dedup_by(|a, b| a.link == b.link);
    loaded
        .coverage
        .skipped
        .extend(loops.iter().map(|l| Skipped {
            path: l.link.display().to_string(),
            reason: l.reason(),
            kind: SkipKind::Loop,
        }));
    let total = reading.len();
    let mut projects_failed = 0;
    for mut r in reading {
        if let Some(e) = r.failure() {
            let reason = format!(
                "its project ({}) could not be read: {}",
                r.root,
                first_line(&e)
            );
            loaded
                .coverage
                .skipped
                .extend(r.sql.into_iter().map(|path| Skipped {
                    path,
                    reason: reason.clone(),
                    kind: SkipKind::Failed,
                }));
            loaded.failed.push(e);
            projects_failed += 1;
            continue;
        }
        // Migrations that could not be read are listed (`r.skipped`) and
        // fail the run; the rest of the project is read.
        loaded.failed.append(&mut r.unreadable);
        let id = loaded.coverage.projects.len();
        loaded.coverage.projects.push(ProjectInfo {
            root: r.root,
            layouts: r.layouts,
        });
        // Down parts run after every up part, newest first (a full rollback).
        let downs = r.downs.into_iter().rev().flatten();
        for mut part in r.ups.into_iter().chain(downs) {
            part.project = id;
            if opts.assume_in_transaction
                && part.layout == Layout::Psql
                && part.wrapping == Wrapping::Autocommit
            {
                part.wrapping = Wrapping::Transaction;
            }
            loaded.parts.push(part);
        }
        loaded.notes.extend(r.notes);
        loaded.coverage.skipped.extend(r.skipped);
    }
    loaded
        .coverage
        .skipped
        .sort_by(|a, b| natural_cmp(&a.path, &b.path));
    if total > 0 && projects_failed == total {
        return Err(SourceError::combine(std::mem::take(&mut loaded.failed)));
    }
    Ok(loaded)
}

/// The first line of an error (a project's reason for being skipped).
fn first_line(e: &SourceError) -> String {
    let s = e.to_string();
    let mut lines = s.lines();
    let first = lines.next().unwrap_or("").to_string();
    match lines.count() {
        0 => first,
        n => format!("{first} (and {n} more)"),
    }
}

/// The project read under `key` (its root), added when first met.
fn reading_for<'a>(reading: &'a mut Vec<(PathBuf, Reading)>, key: &Path) -> &'a mut Reading {
    let i = match reading.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            reading.push((key.to_path_buf(), Reading::default()));
            reading.len() - 1
        }
    };
    &mut reading[i].1
}

/// Stdin's name (`--stdin-filename`) and text.
fn read_stdin(opts: &Options) -> Result<(String, String), SourceError> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|e| SourceError {
        path: "<stdin>".into(),
        message: e.to_string(),
    })?;
    let name = opts
        .stdin_filename
        .clone()
        .unwrap_or_else(|| "<stdin>".into());
    let text = decode(bytes).map_err(|e| SourceError {
        path: name.clone(),
        message: e.to_string(),
    })?;
    Ok((name, text))
}

fn read_stdin_part(name: &str, text: &str, opts: &Options, r: &mut Reading) {
    let path = PathBuf::from(name);
    let mut texts = BTreeMap::new();
    texts.insert(path.clone(), text.to_string());
    let layout = opts
        .layout
        .unwrap_or_else(|| layouts::detect(std::slice::from_ref(&path), &texts));
    add_layout(r, layout);
    let planned = default_planned(layout, &path, text);
    let (ups, d) = file_parts(
        layout,
        &planned,
        text,
        None,
        name,
        opts.include_down,
        opts,
        &mut r.notes,
        &mut r.problems,
    );
    r.ups.extend(ups);
    if !d.is_empty() {
        r.downs.push(d);
    }
    r.sql.push(name.to_string());
}

fn add_layout(r: &mut Reading, layout: Layout) {
    if !r.layouts.contains(&layout) {
        r.layouts.push(layout);
    }
}

/// Read one group into its project: the files its tool runs, in order,
/// and the SQL files it does not run, with why.
fn read_group(mut g: Group, opts: &Options, r: &mut Reading) {
    r.sql.extend(
        g.files
            .iter()
            .filter(|f| g.explicit || discovery::is_sql(f))
            .map(|f| f.display().to_string()),
    );
    if r.error.is_some() {
        return;
    }
    let texts = &g.texts;
    let layout = opts
        .layout
        .unwrap_or_else(|| layouts::detect(&g.files, texts));
    add_layout(r, layout);
    // The tool's own files (a journal, a sum file): one it would refuse
    // stops the project, as it stops the tool.
    let (problems, notes) = layouts::check(layout, &g.root, &g.files, texts);
    if !problems.is_empty() {
        r.problems.extend(problems);
        return;
    }
    r.notes.extend(notes);
    let mut plan = layouts::plan(layout, &g.root, &g.files, opts.include_down || g.explicit);
    if plan.is_empty() && !g.explicit {
        r.error = Some(SourceError {
            path: g.root.display().to_string(),
            message: format!(
                "no {} migrations here ({}); choose another --layout",
                layout.name(),
                layout.expected()
            ),
        });
        return;
    }
    if layout.is_psql() && !g.explicit {
        // Scripts another script includes run there, not on their own.
        let included = psql::include_targets(texts);
        plan.retain(|p| !included.contains(&canonical(&p.path)));
    }
    // What the tool runs, for `not_run`: files dropped below are not "not
    // run by the tool".
    let planned: std::collections::BTreeSet<PathBuf> =
        plan.iter().map(|p| p.path.clone()).collect();
    if g.explicit {
        // Files named on the command line are linted even when the tool
        // would not pick them up by name.
        for f in &g.files {
            if !plan.iter().any(|x| &x.path == f) {
                let text = texts.get(f).map_or("", String::as_str);
                plan.push(default_planned(layout, f, text));
            }
        }
    }
    // A migration that cannot be read is listed and fails the run; a binary
    // file found in a directory is listed as such. The rest is read.
    plan.retain(|p| {
        let path = p.path.display().to_string();
        if let Some(e) = g.unreadable.remove(&p.path) {
            r.skipped.push(Skipped {
                path,
                reason: e.to_string(),
                kind: SkipKind::Failed,
            });
            r.unreadable.push(e);
            false
        } else if g.binary.contains(&p.path) {
            r.skipped.push(Skipped {
                path,
                reason: DecodeError::Binary.to_string(),
                kind: SkipKind::Binary,
            });
            false
        } else {
            true
        }
    });
    // Files read through a psql include, besides the planned ones.
    let mut read_too = Vec::new();
    for planned in &plan {
        let text = &texts[&planned.path];
        let display = planned.path.display().to_string();
        let (ups, d) = file_parts(
            layout,
            planned,
            text,
            Some(&planned.path),
            &display,
            opts.include_down,
            opts,
            &mut r.notes,
            &mut r.problems,
        );
        if layout.is_psql() {
            read_too.extend(
                ups.iter()
                    .chain(&d)
                    .filter_map(|p| p.file.as_ref())
                    .filter(|f| **f != planned.path)
                    .map(|f| canonical(f)),
            );
        }
        r.ups.extend(ups);
        if !d.is_empty() {
            r.downs.push(d);
        }
    }
    if !g.explicit {
        r.skipped
            .extend(not_run(layout, &g, &planned, &read_too, opts.include_down));
    }
}

/// The SQL files of a group its tool does not run, with why.
fn not_run(
    layout: Layout,
    g: &Group,
    planned: &std::collections::BTreeSet<PathBuf>,
    read_too: &[PathBuf],
    include_down: bool,
) -> Vec<Skipped> {
    let mut rest: Vec<&PathBuf> = g
        .files
        .iter()
        .filter(|f| discovery::is_sql(f) && !planned.contains(*f))
        .filter(|f| read_too.is_empty() || !read_too.contains(&canonical(f)))
        .collect();
    if rest.is_empty() {
        return Vec::new();
    }
    rest.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    let downs: std::collections::BTreeSet<PathBuf> = if include_down {
        Default::default()
    } else {
        layouts::plan(layout, &g.root, &g.files, true)
            .into_iter()
            .filter(|p| p.down)
            .map(|p| p.path)
            .collect()
    };
    rest.into_iter()
        .map(|f| {
            let (kind, reason) = if downs.contains(f) {
                (
                    SkipKind::Down,
                    "a down migration: --include-down lints it".to_string(),
                )
            } else {
                (
                    SkipKind::NotRun,
                    layouts::why_not_run(layout, f, &g.root, &g.files),
                )
            };
            Skipped {
                path: f.display().to_string(),
                reason,
                kind,
            }
        })
        .collect()
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
            // Set when the project's parts are collected.
            project: 0,
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
