//! `ddlint dry-run`: runs migrations on a real PostgreSQL and observes what
//! the static model predicts (locks, rewrites), plus what only a real server
//! can tell (durations, lock waits and their blockers, errors on real data,
//! how long reads and writes of each table were blocked).
//!
//! - `connect`: where to connect (URL / key=value DSN, PG* environment,
//!   ~/.pgpass, TLS modes), with passwords kept out of every message.
//! - `server`: a throwaway local server (initdb + pg_ctl) when no `--db`.
//! - `seed`: synthetic rows for pre-existing tables (`--seed-rows`).
//! - `plan`: the steps (statements with the tool's transaction placement)
//!   and what a run that must leave the database unchanged refuses.
//! - `run`: the executor (transactions, rollback, cleanup, blocking windows).
//! - `outcome`: the results (plain data the reports render).
//! - `observe`: pg_class / pg_locks snapshots and the comparison with the
//!   prediction; `monitor`: the second session watching lock waits;
//!   `probe`: sessions measuring blocked reads and writes.
//!
//! Rendering lives in `report::dryrun`, driven by `cli::dry_run`.

pub mod capture;
pub mod clients;
pub mod connect;
pub mod history;
pub mod monitor;
pub mod observe;
pub mod outcome;
pub mod plan;
pub mod probe;
pub mod run;
pub mod seed;
pub mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::model::{self, Input};
use crate::rules;
use connect::Target;

/// Set by Ctrl-C (or SIGTERM): the run stops after cancelling the running
/// statement, then cleans up as after a failure.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How to cancel the statement running on the migration session.
static CANCEL: Mutex<Option<(Target, postgres::CancelToken)>> = Mutex::new(None);

/// Set while migrations execute: an interrupt then cleans up gracefully.
static RUNNING: AtomicBool = AtomicBool::new(false);

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

pub fn running() -> bool {
    RUNNING.load(Ordering::SeqCst)
}

/// Called by the interrupt handler: marks the run interrupted and cancels
/// the running statement; the run then rolls back and cleans up.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    if let Ok(guard) = CANCEL.lock() {
        if let Some((target, token)) = guard.as_ref() {
            let _ = target.cancel(token);
        }
    }
}

/// A server error as one line: SQLSTATE, message, detail.
pub fn db_error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => connect::redact(&e.to_string()),
    }
}

/// A digest of the user-visible schema (relations, columns, defaults,
/// constraints, indexes and their validity, types, enum labels, functions,
/// triggers, views, schemas): equal before and after a run that leaves the
/// database as it found it. Storage (relfilenode) and sequence values are
/// not part of it.
///
/// It reads catalog rows only, expressions as their stored node trees
/// (`adbin`, `conbin`, `indexprs`, `ev_action`), never through
/// `pg_get_indexdef`, `pg_get_constraintdef`, `pg_get_expr` or
/// `pg_get_viewdef`: those take AccessShareLock on the table, so with
/// another session holding or queued for an AccessExclusiveLock (what
/// pre-flight is there to report) the fingerprint would wait, and fail on
/// the short lock_timeout before anything ran.
pub fn fingerprint(client: &mut postgres::Client) -> Result<String, postgres::Error> {
    const USER_NS: &str = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";
    let sql = format!(
        "SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (\
         SELECT 'ns ' || n.nspname AS x FROM pg_namespace n WHERE {USER_NS} \
         UNION ALL SELECT format('rel %s.%s %s %s %s %s', n.nspname, c.relname, c.relkind, \
             c.relpersistence, c.reloptions, c.relam) \
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS} \
         UNION ALL SELECT format('col %s.%s %s %s %s %s %s', n.nspname, c.relname, a.attnum, a.attname, \
             format_type(a.atttypid, a.atttypmod), a.attnotnull, d.adbin::text) \
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
           WHERE {USER_NS} AND a.attnum > 0 AND NOT a.attisdropped \
         UNION ALL SELECT format('con %s.%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s', \
             n.nspname, co.conname, co.conrelid::regclass, co.contypid::regtype, co.contype, \
             co.condeferrable, co.condeferred, co.convalidated, co.conkey, \
             co.confrelid::regclass, co.confkey, co.confupdtype, co.confdeltype, \
             co.confmatchtype, co.conexclop, co.conindid::regclass, co.conbin::text) \
           FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE {USER_NS} \
         UNION ALL SELECT format('idx %s.%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s', \
             n.nspname, c.relname, i.indrelid::regclass, i.indnkeyatts, i.indkey, i.indclass, \
             i.indcollation, i.indoption, i.indisunique, i.indisprimary, i.indisexclusion, \
             i.indimmediate, i.indexprs::text, i.indpred::text, i.indisvalid, i.indisready) \
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE {USER_NS} \
         UNION ALL SELECT format('type %s.%s %s', n.nspname, t.typname, t.typtype) \
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_NS} \
         UNION ALL SELECT format('enum %s %s %s', e.enumtypid::regtype, e.enumsortorder, e.enumlabel) \
           FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace \
           WHERE {USER_NS} \
         UNION ALL SELECT format('fn %s.%s(%s) %s', n.nspname, p.proname, \
             pg_get_function_identity_arguments(p.oid), md5(coalesce(p.prosrc, ''))) \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_NS} \
         UNION ALL SELECT format('trg %s %s %s', t.tgrelid::regclass, t.tgname, t.tgenabled) \
           FROM pg_trigger t WHERE NOT t.tgisinternal \
         UNION ALL SELECT format('rule %s.%s %s %s', n.nspname, c.relname, r.rulename, r.ev_action::text) \
           FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class \
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS} \
        ) s"
    );
    Ok(client.query_one(&sql, &[])?.get(0))
}

/// Each statement's estimated blocking work (`--stats`), from the impact of
/// the findings on it.
fn attach_estimates(analysis: &model::Analysis, findings: &[rules::Finding], run: &mut run::Run) {
    for s in &mut run.statements {
        let Some(st) = analysis
            .files
            .get(s.file)
            .and_then(|f| f.statements.get(s.stmt))
        else {
            continue;
        };
        let best = findings
            .iter()
            .filter(|f| f.file == s.file && f.line >= st.start.0 && f.line <= st.end.0)
            .filter_map(|f| f.impact.as_deref())
            .filter(|i| i.estimated_seconds.is_some())
            .max_by(|a, b| {
                a.estimated_seconds
                    .partial_cmp(&b.estimated_seconds)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        if let Some(i) = best {
            s.estimate = Some(outcome::Estimate {
                seconds: i.estimated_seconds.unwrap_or(0.0),
                work: i.work.clone(),
            });
        }
    }
}

/// The target's schema as `pg_dump --schema-only` writes it, psql
/// meta-commands (`\restrict`, `\connect`) blanked.
fn target_schema(target: &Target) -> Result<String, String> {
    let (conninfo, env) = target.libpq();
    let mut cmd = std::process::Command::new("pg_dump");
    // pg_dump takes ACCESS SHARE on every table: never queue behind a
    // session's lock (or a queued request) for long.
    cmd.args([
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        "--no-comments",
        "--lock-wait-timeout=2000",
        "-d",
    ])
    .arg(&conninfo)
    .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run pg_dump: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("").trim().to_string();
        return Err(format!("pg_dump failed: {first}"));
    }
    let text =
        String::from_utf8(out.stdout).map_err(|_| "pg_dump wrote non-UTF-8 text".to_string())?;
    Ok(text
        .lines()
        .map(|l| if l.starts_with('\\') { "" } else { l })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Everything `ddlint dry-run` was asked to do.
pub struct Request {
    pub inputs: Vec<Input>,
    /// What the source stage did not read (reported as `skipped`).
    pub coverage: crate::source::Coverage,
    pub db: Option<String>,
    pub pg_bin: Option<PathBuf>,
    pub seed_rows: Option<seed::Rows>,
    pub config: run::Config,
    pub application_name: String,
    pub settings: rules::Settings,
    /// With --db and neither --since nor a lock file: run only what the
    /// tool's history table on the target does not list as applied.
    pub pending_from_history: bool,
}

pub use outcome::Progress;

/// Marks the migrations the tool's history table lists as applied as
/// history (not run), and says what it found. A file only some of whose
/// migrations ran (an Alembic script, a Liquibase changelog) is split: the
/// applied part is history, the rest runs. An applied migration the file
/// no longer matches (the table's checksum) is a `modified-applied-migration`
/// note at its line, for the rule to report.
fn pending_from_history(
    client: &mut postgres::Client,
    inputs: &mut Vec<Input>,
    notes: &mut Vec<String>,
    changed: &mut Vec<crate::source::Note>,
) -> Result<(), String> {
    use crate::source::history::{self as h, State};
    let mut projects: Vec<(usize, crate::input::Layout)> = Vec::new();
    for i in inputs.iter().filter(|i| i.report) {
        if let Some(p) = i.project {
            if !projects.iter().any(|(q, _)| *q == p) {
                projects.push((p, i.layout));
            }
        }
    }
    for (project, layout) in projects {
        if layout == crate::input::Layout::Psql {
            continue; // plain scripts: no tool, no history table
        }
        let Some(spec) = h::spec(layout) else {
            notes.push(format!(
                "ddlint does not read {}'s history table yet: every file given is run (use --since or ddlint.lock to leave applied ones out)",
                layout.name()
            ));
            continue;
        };
        let Some(entries) = history::read(client, &spec)? else {
            notes.push(format!(
                "no {} table on the target: is this the right database? {} has not run here, so every file given is run",
                spec.table,
                layout.name()
            ));
            continue;
        };
        let (states, orphans) = history::classify_inputs(
            &spec,
            layout,
            inputs
                .iter()
                .filter(|i| i.project == Some(project) && i.report),
            &entries,
        );
        if spec.heads && !orphans.is_empty() {
            notes.push(format!(
                "{} on the target holds {}, which no file given names: which revisions it includes cannot be told, so every file given is run",
                spec.table,
                orphans.iter().map(|e| e.key.as_str()).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let parts = matches!(
            layout,
            crate::input::Layout::Alembic | crate::input::Layout::Liquibase
        );
        let name = |s: &history::FileState| {
            if parts {
                format!("{}:{} ({})", s.path, s.unit.line, s.unit.key)
            } else {
                s.path.clone()
            }
        };
        let mut applied = 0;
        let mut pending = Vec::new();
        for s in &states {
            match &s.state {
                State::Pending => pending.push(name(s)),
                State::Applied | State::BelowBaseline => applied += 1,
                State::Changed { recorded, file } => {
                    applied += 1;
                    let what = spec.checksum.map(|c| c.describe()).unwrap_or("checksum");
                    notes.push(format!(
                        "{} is applied ({}) but changed since: recorded {recorded}, the file's is {file}; it is not run, and the database has the old version (reported as modified-applied-migration)",
                        name(s),
                        spec.table
                    ));
                    let text = std::fs::read_to_string(&s.path).unwrap_or_default();
                    let width = text
                        .lines()
                        .nth(s.unit.line - 1)
                        .unwrap_or("")
                        .chars()
                        .count();
                    changed.push(crate::source::Note {
                        path: s.path.clone(),
                        line: s.unit.line,
                        column: 1,
                        end_line: s.unit.line,
                        end_column: width + 1,
                        kind: crate::source::NoteKind::ChecksumMismatch,
                        message: format!(
                            "{} on the target records this migration as applied with {what} {recorded}, but the file's is {file}: it was edited after it ran, so the database has the old version and {} refuses or ignores the new text",
                            spec.table,
                            layout.name()
                        ),
                        help: Some(
                            "restore the applied migration as it was and put the change in a new migration"
                                .into(),
                        ),
                    });
                }
                State::Failed => {
                    applied += 1;
                    notes.push(format!(
                        "{} failed or is dirty in {}: {}",
                        name(s),
                        spec.table,
                        spec.failed_help
                    ));
                }
            }
        }
        let old = std::mem::take(inputs);
        for mut i in old {
            if i.project != Some(project) || !i.report {
                inputs.push(i);
                continue;
            }
            // The migrations with text in this input (a file, or the part
            // of it the source stage made one unit).
            let mine: Vec<&history::FileState> = states
                .iter()
                .filter(|s| {
                    s.path == i.path
                        && i.text
                            .get(s.unit.start..s.unit.end)
                            .is_some_and(|t| !t.trim().is_empty())
                })
                .collect();
            let is_pending = |s: &&history::FileState| s.state == State::Pending;
            if mine.is_empty() || mine.iter().all(is_pending) {
                inputs.push(i);
                continue;
            }
            let was_changed = mine
                .iter()
                .any(|s| matches!(s.state, State::Changed { .. }));
            if mine.iter().any(is_pending) {
                // Split: what ran is history, the rest runs.
                let ranges = |pending: bool| -> Vec<(usize, usize)> {
                    mine.iter()
                        .filter(|s| (s.state == State::Pending) == pending)
                        .map(|s| (s.unit.start, s.unit.end))
                        .collect()
                };
                let (ran, to_run) = (ranges(false), ranges(true));
                let mut done = i.clone();
                done.text = h::without(&i.text, &to_run);
                done.report = false;
                inputs.push(done);
                i.text = h::without(&i.text, &ran);
                inputs.push(i);
                continue;
            }
            i.report = false;
            if was_changed {
                // Nothing of it runs, but its finding needs a reported
                // part of the file to sit on: the file's text blanked.
                let mut shown = i.clone();
                shown.text = h::without(&i.text, &[(0, i.text.len())]);
                shown.report = true;
                inputs.push(i);
                inputs.push(shown);
                continue;
            }
            inputs.push(i);
        }
        notes.push(format!(
            "{} on the target lists {} of the {} {} given as applied (taken as history, not run); pending: {}",
            spec.table,
            applied,
            states.len(),
            match layout {
                crate::input::Layout::Alembic => "revision(s)",
                crate::input::Layout::Liquibase => "changeset(s)",
                _ => "file(s)",
            },
            if pending.is_empty() { "none".to_string() } else { pending.join(", ") }
        ));
    }
    Ok(())
}

/// A dry-run that ran: what to report. The throwaway server, if any, stops
/// when this is dropped (after the report is written).
pub struct Done {
    pub analysis: model::Analysis,
    pub findings: Vec<rules::Finding>,
    pub run: run::Run,
    pub info: outcome::Info,
    pub server: Option<server::EmbeddedServer>,
}

impl Done {
    /// 0 ran and nothing failed; 1 a statement failed (error, lock timeout,
    /// statement timeout: migration problems) or an applied migration
    /// changed since it ran (`modified-applied-migration` at error
    /// severity: the target has another version than the files); 2 lost
    /// connection or something left behind; 130 interrupted.
    pub fn exit_code(&self) -> i32 {
        let modified = self.findings.iter().any(|f| {
            f.rule == "modified-applied-migration" && f.severity == rules::Severity::Error
        });
        match &self.run.outcome {
            run::Outcome::Interrupted { .. } => 130,
            run::Outcome::ConnectionLost { .. } => 2,
            _ if !self.run.left_behind.is_empty() => 2,
            _ if self.run.problems() > 0 || modified => 1,
            _ => 0,
        }
    }
}

/// Run the migrations of `req` as the tool would, observing each
/// statement. An error means it could not run (connection, refusal, bad
/// input): exit status 2.
pub fn execute(mut req: Request, progress: &mut dyn Progress) -> Result<Done, String> {
    server::install_interrupt_handler().map_err(|e| e.to_string())?;
    let mut embedded = None;
    let target = match &req.db {
        Some(db) => Target::resolve(Some(db)).map_err(|e| e.to_string())?,
        None => {
            let srv = server::EmbeddedServer::start(&server::ServerOptions {
                bin_dir: req.pg_bin.clone(),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
            let t = Target::local(srv.host(), srv.port(), srv.user(), "postgres");
            let mut c = t.connect("ddlint").map_err(|e| e.to_string())?;
            c.batch_execute("CREATE DATABASE ddlint")
                .map_err(|e| db_error_text(&e))?;
            let t = Target::local(srv.host(), srv.port(), srv.user(), "ddlint");
            embedded = Some(srv);
            // A throwaway server: run exactly as the tool would.
            req.config.commit = true;
            t
        }
    };
    for w in target.warnings() {
        eprintln!("ddlint: warning: {w}");
    }
    let mut client = target
        .connect(&req.application_name)
        .map_err(|e| e.to_string())?;
    let (version, num, server_zone): (String, String, String) = {
        let row = client
            .query_one(
                "SELECT current_setting('server_version'), current_setting('server_version_num'), \
                 current_setting('TimeZone')",
                &[],
            )
            .map_err(|e| db_error_text(&e))?;
        (row.get(0), row.get(1), row.get(2))
    };
    let major = num.parse::<u32>().unwrap_or(150000) / 10000;
    let where_ = match &embedded {
        Some(_) => format!("a throwaway PostgreSQL {version} ({})", target.describe()),
        None => format!("{} (PostgreSQL {version})", target.describe()),
    };
    // Shown while it runs; the report says it once.
    progress.target(&where_);
    let opts = model::Options {
        pg_version: major.clamp(model::MIN_PG, model::MAX_PG),
        // The session's TimeZone decides whether timestamp <-> timestamptz
        // rewrites: --timezone as the run sets it, else the server's (a
        // throwaway server's is the machine's).
        timezone_utc: model::session::is_utc_zone(
            req.config.timezone.as_deref().unwrap_or(&server_zone),
        ),
    };
    let mut inputs = std::mem::take(&mut req.inputs);
    let mut history_notes = Vec::new();
    // The prediction shown next to the observations starts from the
    // target's own schema (else a column already bigint "would rewrite").
    if embedded.is_none() && !inputs.iter().any(|i| i.project.is_none()) {
        match target_schema(&target) {
            Ok(text) => {
                history_notes.push(
                    "ddlint check's prediction starts from the target's schema (pg_dump --schema-only; --schema FILE replaces it)"
                        .into(),
                );
                inputs.insert(
                    0,
                    Input {
                        path: format!("{} (pg_dump --schema-only)", target.dbname()),
                        text,
                        wrapping: crate::input::Wrapping::Autocommit,
                        layout: crate::input::Layout::Psql,
                        report: false,
                        map: None,
                        project: None,
                        session: None,
                    },
                );
            }
            Err(why) => history_notes.push(format!(
                "ddlint check's prediction starts from the migrations alone, not the target's schema ({why}); give --schema with a pg_dump --schema-only of it"
            )),
        }
    }
    let mut changed = Vec::new();
    if req.pending_from_history && embedded.is_none() {
        pending_from_history(&mut client, &mut inputs, &mut history_notes, &mut changed)?;
    }
    let facts = rules::SourceFacts {
        notes: &changed,
        since: None,
    };
    let (analysis, findings) = rules::run_with(inputs, facts, &opts, &req.settings);
    // A file with a syntax error cannot be split into statements the way
    // the server would run it (the history counts only when it runs).
    let runs_history = embedded.is_some();
    let syntax: Vec<String> = analysis
        .files
        .iter()
        .filter(|f| f.report || runs_history)
        .flat_map(|f| {
            f.syntax_errors.iter().map(move |e| {
                format!(
                    "{}:{}: syntax error: {}",
                    f.path, e.start.0, e.error.message
                )
            })
        })
        .collect();
    if !syntax.is_empty() {
        return Err(format!(
            "the migrations have syntax errors; fix them first (ddlint check shows them):\n  {}",
            syntax.join("\n  ")
        ));
    }
    // --clients without --rate: production's rates on the relations the
    // migrations lock, from --stats.
    if let (Some((n, None)), Some(model)) = (req.config.clients, &req.settings.stats) {
        let locked: std::collections::BTreeSet<crate::model::catalog::QName> = analysis
            .files
            .iter()
            .filter(|f| f.report)
            .flat_map(|f| &f.statements)
            .flat_map(|s| s.effects.existing_locks().map(|(q, _)| q.clone()))
            .collect();
        // A partitioned table's rates already sum its partitions'.
        let rate: f64 = locked
            .iter()
            .filter_map(|q| model.stats.relation(q))
            .filter(|r| {
                r.parent.as_ref().is_none_or(|p| {
                    !locked.contains(&crate::model::catalog::QName::new(
                        p.schema.as_str(),
                        p.name.as_str(),
                    ))
                })
            })
            .filter_map(|r| r.rates)
            .map(|r| r.reads() + r.writes())
            .sum();
        if rate > 0.0 {
            req.config.clients = Some((n, Some(rate.min(2000.0))));
        }
    }
    let mut steps = plan::steps(&analysis);
    plan::mark_psql_error_handling(&mut steps, &analysis, req.config.on_error_stop);
    let unsupported = plan::unsupported(&steps, embedded.is_some());
    if !unsupported.is_empty() {
        return Err(format!(
            "cannot dry-run these statements:\n  {}",
            unsupported.join("\n  ")
        ));
    }
    let mut notes = history_notes;
    if embedded.is_some() {
        let n = run::replay_history(&mut client, &steps)?;
        if n > 0 {
            notes.push(format!(
                "replayed {n} earlier statements (history) first, committed"
            ));
        }
        if let Some(rows) = req.seed_rows {
            let stats = req.settings.stats.as_ref().map(|m| &m.stats);
            let seeded = seed::seed_tables(&mut client, rows, stats)?;
            let shape = match stats {
                Some(s) => format!(
                    ", NULLs and distinct values as in {} (captured {})",
                    s.path.display(),
                    s.snapshot.captured_at
                ),
                None => String::new(),
            };
            notes.push(match rows {
                seed::Rows::Fixed(0) => String::new(),
                _ if seeded.tables.is_empty() && seeded.skipped.is_empty() => {
                    "seeded no table: none exists before the migrations run (they create every \
                     table they touch), so they run on empty tables; the earlier migrations as \
                     history (`--since`, ddlint.lock) or `--schema FILE` give them tables with rows"
                        .to_string()
                }
                seed::Rows::Fixed(n) => format!(
                    "seeded {} table(s) with {n} synthetic rows each{shape}",
                    seeded.tables.len()
                ),
                seed::Rows::FromStats { max } => format!(
                    "seeded {} table(s) with production's row counts (at most {max}){shape}: {}",
                    seeded.tables.len(),
                    seeded
                        .tables
                        .iter()
                        .map(|t| format!("{} {}", t.table, t.rows))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            notes.retain(|n| !n.is_empty());
            for (t, why) in &seeded.skipped {
                notes.push(format!("could not seed {t}: {why}"));
            }
        }
    } else {
        if steps.iter().any(|s| s.history) && !req.pending_from_history {
            notes.push(
                "files before --since (and --schema files) are taken as already applied on this \
                 database: not run"
                    .into(),
            );
        }
        if req.seed_rows.is_some() {
            return Err("--seed-rows fills a throwaway server; it is not used with --db".into());
        }
    }
    if steps.iter().all(|s| s.history) {
        if !changed.is_empty() {
            // The run has nothing to show them in: they are the error.
            return Err(format!(
                "nothing to run, and applied migrations changed since they ran (modified-applied-migration):\n  {}",
                changed
                    .iter()
                    .map(|n| format!("{}:{}: {}", n.path, n.line, n.message))
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
        return Err("nothing to run: no statements in the migrations selected".into());
    }
    if !req.config.commit {
        let refused = plan::refusals(&steps);
        if !refused.is_empty() {
            return Err(format!(
                "without --commit, dry-run must leave the database as it was, and cannot here:\n  {}",
                refused.join("\n  ")
            ));
        }
    }
    for (name, value, at) in run::target_defaults(&mut client) {
        notes.push(format!(
            "the target already sets {name} = {value} for the {at} (ALTER ... SET): a runner that sets nothing runs with it{}",
            match name.to_ascii_lowercase().as_str() {
                "lock_timeout" | "statement_timeout" => "; `session:` in ddlint.yaml tells check the same",
                _ => "",
            }
        ));
    }
    let settings = run::apply_settings(&mut client, &req.config);
    // What the session really runs with, after the target's and role's
    // defaults and the run's own settings: what decides name resolution and
    // timestamp conversions.
    let effective = client
        .query_one(
            "SELECT current_user::text, current_setting('TimeZone'), current_setting('search_path')",
            &[],
        )
        .ok()
        .map(|row| {
            let (user, zone, path): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            outcome::Effective {
                utc: model::session::is_utc_zone(&zone),
                user,
                timezone: zone,
                search_path: path,
            }
        });
    if let Ok(mut g) = CANCEL.lock() {
        *g = Some((target.clone(), client.cancel_token()));
    }
    progress.start(steps.iter().filter(|s| !s.history).count());
    let app = req.application_name.clone();
    let connect = |name: &str| -> Result<postgres::Client, String> {
        let name = if name == "ddlint" { app.as_str() } else { name };
        target.connect(name).map_err(|e| e.to_string())
    };
    let tick =
        |s: &plan::Step, elapsed: Duration, waited: Duration| progress.tick(s, elapsed, waited);
    RUNNING.store(true, Ordering::SeqCst);
    let result = run::execute(
        &analysis,
        &steps,
        &req.config,
        client,
        settings,
        &connect,
        &tick,
    );
    RUNNING.store(false, Ordering::SeqCst);
    let mut result = result?;
    attach_estimates(&analysis, &findings, &mut result);
    result.effective = effective;
    if req.config.probe
        && !req.config.commit
        && result
            .statements
            .iter()
            .any(|s| s.transaction.is_none() && s.status != outcome::Status::NotRun)
    {
        result.notes.push(
            "this run rolls back, so statements the tool runs outside a transaction ran inside \
             one here and their locks piled up until the end: the probes measured that (an upper \
             bound; each says how much of it falls inside the blocking windows, which follow the \
             tool's own transactions); --commit on a copy (or a throwaway server) runs with the \
             tool's placement, and its probe figures are what the deploy would see"
                .into(),
        );
    }
    progress.finish();
    if let Ok(mut g) = CANCEL.lock() {
        *g = None;
    }
    result.notes.splice(0..0, notes);
    let info = outcome::Info {
        target: where_,
        server_version: version,
        embedded: embedded.is_some(),
        coverage: std::mem::take(&mut req.coverage),
    };
    Ok(Done {
        analysis,
        findings,
        run: result,
        info,
        server: embedded,
    })
}
