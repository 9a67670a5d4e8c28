//! The heart: replays the migration history statement by statement into a
//! catalog, and for each statement computes its effects (locks, rewrites,
//! scans) for the target PostgreSQL version, inside the transaction model.

pub mod ast;
pub mod catalog;
mod consts;
pub mod effects;
pub mod functions;
pub mod hashfn;
pub mod locks;
mod pleval;
mod plpgsql;
mod probe;
pub mod relset;
pub mod replay;
pub mod resolve;
pub mod session;
pub mod timezone;
pub mod txn;
pub mod types;
pub mod volatility;

use std::collections::BTreeMap;

use pg_query::protobuf::{node::Node as N, VariableSetKind};

use crate::parse::{self, Item, LineIndex, Span, SyntaxError};
use catalog::{Catalog, Origin};
use effects::{effects, statement_kind, Ctx, Effects};
use session::{is_utc_zone, parse_duration_ms, Session, Setting};
use txn::{HeldLock, Placement, TxnEvent, TxnTracker, Wrapping};

pub const MIN_PG: u32 = 11;
pub const MAX_PG: u32 = 18;
/// The oldest major version still supported upstream.
pub const DEFAULT_PG: u32 = 15;

#[derive(Clone, Debug)]
pub struct Options {
    pub pg_version: u32,
    /// The server's TimeZone is UTC unless the migration sets another.
    pub timezone_utc: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pg_version: DEFAULT_PG,
            timezone_utc: true,
        }
    }
}

pub use crate::input::Input;

#[derive(Debug)]
pub struct StatementInfo {
    pub index: usize,
    pub span: Span,
    pub start: (usize, usize),
    pub end: (usize, usize),
    pub kind: String,
    pub effects: Effects,
    pub placement: Placement,
    /// Locks held from earlier statements of the same transaction while
    /// this one runs (shared between statements while it does not change).
    pub held: std::sync::Arc<[HeldLock]>,
    /// Session settings in force when it runs.
    pub lock_timeout: Option<Setting<Option<std::time::Duration>>>,
    pub statement_timeout: Option<Setting<Option<std::time::Duration>>>,
    pub timezone_utc: bool,
}

#[derive(Debug)]
pub struct SyntaxErrorInfo {
    pub error: SyntaxError,
    pub start: (usize, usize),
    pub end: (usize, usize),
}

#[derive(Debug)]
pub struct FileAnalysis {
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    pub wrapping: Wrapping,
    /// The tool that runs the file.
    pub layout: crate::input::Layout,
    pub report: bool,
    pub project: Option<usize>,
    pub statements: Vec<StatementInfo>,
    pub syntax_errors: Vec<SyntaxErrorInfo>,
    pub txn_events: Vec<TxnEvent>,
}

#[derive(Debug)]
pub struct Analysis {
    pub pg_version: u32,
    pub files: Vec<FileAnalysis>,
    /// The catalog built by the shared inputs (project `None`), which every
    /// project's catalog starts from.
    pub shared: Catalog,
    /// Each project's catalog after its last input.
    pub projects: BTreeMap<usize, Catalog>,
}

impl Analysis {
    /// Number the statements' transactions 1, 2, ... in the order they
    /// run. Projects replayed in parallel number theirs in spaces of their
    /// own ([`analyse_with`]); the catalogs keep those ids.
    pub fn number_transactions(&mut self) {
        let mut dense: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
        for f in &mut self.files {
            for s in &mut f.statements {
                if let Some(t) = &mut s.placement.txn {
                    let n = dense.len() as u64 + 1;
                    *t = *dense.entry(*t).or_insert(n);
                }
            }
        }
    }

    /// The catalog after the whole run as a file of `project` sees it.
    pub fn catalog(&self, project: Option<usize>) -> &Catalog {
        project
            .and_then(|p| self.projects.get(&p))
            .unwrap_or(&self.shared)
    }
}

/// Replay every input in order, each into its project's catalog. Files are
/// parsed independently (in parallel, a bounded number of files ahead of
/// the replay) and replayed sequentially.
pub fn analyse(inputs: Vec<Input>, opts: &Options) -> Analysis {
    analyse_with(inputs, opts, &|_: &StatementView| {})
}

/// What a visitor sees of each statement while the history is replayed:
/// the statement with its effects, and the catalog as it was right before
/// the statement ran (rules that need the old schema read it here).
pub struct StatementView<'a> {
    pub file: usize,
    pub path: &'a str,
    pub text: &'a str,
    /// The tool that runs the file.
    pub layout: crate::input::Layout,
    pub report: bool,
    pub statement: &'a StatementInfo,
    /// The statement's syntax tree (not kept after the statement is
    /// replayed: rules take what they need from it here).
    pub node: &'a N,
    pub catalog_before: &'a Catalog,
}

/// [`analyse`], calling `visit` for every statement before the catalog is
/// updated with it.
///
/// Projects never see each other's objects, so with several projects each
/// is replayed on a thread of its own (as many as there are cores), after
/// the shared inputs that every project starts from. Transaction ids stay
/// unique over the run: a project's ids start `1 << 32` after the previous
/// project's first id (reports number them densely, see
/// `report::json`).
pub fn analyse_with(
    inputs: Vec<Input>,
    opts: &Options,
    visit: &(dyn Fn(&StatementView) + Sync),
) -> Analysis {
    let mut shared = Catalog::new();
    let mut files = Vec::with_capacity(inputs.len());
    let mut next_txn = 1u64;
    // The shared inputs come first; then each project's, one run each.
    let mut inputs = inputs.into_iter().peekable();
    let mut shared_inputs = Vec::new();
    while let Some(i) = inputs.next_if(|i| i.project.is_none()) {
        shared_inputs.push(i);
    }
    let mut groups: Vec<(usize, Vec<Input>)> = Vec::new();
    let mut contiguous = true;
    for i in inputs {
        let p = i.project;
        match groups.last_mut() {
            Some((q, g)) if Some(*q) == p => g.push(i),
            _ => {
                let Some(p) = p else {
                    contiguous = false;
                    groups.push((usize::MAX, vec![i]));
                    continue;
                };
                contiguous &= !groups.iter().any(|(q, _)| *q == p);
                groups.push((p, vec![i]));
            }
        }
    }
    parse_ahead(shared_inputs, &mut |fi, input, items| {
        files.push(analyse_file(
            fi,
            input,
            items,
            &mut shared,
            opts,
            &mut next_txn,
            visit,
        ));
    });
    let mut projects: BTreeMap<usize, Catalog> = BTreeMap::new();
    if !contiguous || groups.len() <= 1 {
        // One project (or inputs in an order the projects interleave):
        // replayed in order on this thread.
        let first = files.len();
        let rest: Vec<Input> = groups.into_iter().flat_map(|(_, g)| g).collect();
        parse_ahead(rest, &mut |fi, input, items| {
            let cat = match input.project {
                None => &mut shared,
                // A project starts from the shared history.
                Some(p) => projects.entry(p).or_insert_with(|| shared.clone()),
            };
            files.push(analyse_file(
                first + fi,
                input,
                items,
                cat,
                opts,
                &mut next_txn,
                visit,
            ));
        });
    } else {
        let mut first = files.len();
        let jobs: Vec<_> = groups
            .into_iter()
            .enumerate()
            .map(|(g, (p, inputs))| {
                let job = (g, p, first, inputs);
                first += job.3.len();
                job
            })
            .collect();
        let done = run_projects(jobs, &shared, next_txn, opts, visit);
        for (p, cat, fas) in done {
            projects.insert(p, cat);
            files.extend(fas);
        }
    }
    Analysis {
        pg_version: opts.pg_version,
        files,
        shared,
        projects,
    }
}

/// Replay each project (index, project, index of its first file, inputs)
/// from the shared catalog, on up to one thread per core; the results in
/// the order of the projects.
#[allow(clippy::type_complexity)]
fn run_projects(
    jobs: Vec<(usize, usize, usize, Vec<Input>)>,
    shared: &Catalog,
    first_txn: u64,
    opts: &Options,
    visit: &(dyn Fn(&StatementView) + Sync),
) -> Vec<(usize, Catalog, Vec<FileAnalysis>)> {
    let n = jobs.len();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(n);
    // Largest first: the longest project starts at once instead of last.
    let mut jobs = jobs;
    jobs.sort_by_key(|(g, _, _, inputs)| {
        let bytes: usize = inputs.iter().map(|i| i.text.len()).sum();
        (std::cmp::Reverse(bytes), *g)
    });
    let queue = std::sync::Mutex::new(jobs.into_iter());
    // Each project's catalog starts as a copy of the shared one; copies
    // share its parts until they change (`catalog::Shared`), made on the
    // thread that owns them.
    let seeds: Vec<std::sync::Mutex<Option<Catalog>>> = (0..n)
        .map(|_| std::sync::Mutex::new(Some(shared.clone())))
        .collect();
    let results: Vec<std::sync::Mutex<Option<(usize, Catalog, Vec<FileAnalysis>)>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let Some((g, p, first, inputs)) = queue.lock().unwrap().next() else {
                    break;
                };
                let mut cat = seeds[g].lock().unwrap().take().unwrap_or_default();
                let mut next_txn = first_txn + ((g as u64) << 32);
                let mut fas = Vec::with_capacity(inputs.len());
                // The other threads keep the cores busy: each file is
                // parsed right before its replay, on this thread.
                for (fi, input) in inputs.into_iter().enumerate() {
                    let items = parse::parse(&input.text);
                    fas.push(analyse_file(
                        first + fi,
                        input,
                        items,
                        &mut cat,
                        opts,
                        &mut next_txn,
                        visit,
                    ));
                }
                *results[g].lock().unwrap() = Some((p, cat, fas));
            });
        }
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().unwrap())
        .collect()
}

/// Files parsed per batch ahead of the replay, and the most SQL a batch
/// takes once it has more than one file. Syntax trees are large (several
/// hundred bytes per node, ~40 times the text): only a few batches are
/// alive at a time, so memory does not grow with the number of files.
const PARSE_BATCH: usize = 32;
const PARSE_BATCH_BYTES: usize = 128 * 1024;

/// Parse the inputs in batches (each batch in parallel) on a helper thread
/// while `replay` consumes them in order on this one; at most two batches
/// wait parsed.
fn parse_ahead(inputs: Vec<Input>, replay: &mut dyn FnMut(usize, Input, Vec<Item>)) {
    use rayon::prelude::*;
    if inputs.len() <= PARSE_BATCH {
        let parsed: Vec<Vec<Item>> = inputs.par_iter().map(|i| parse::parse(&i.text)).collect();
        for (fi, (input, items)) in inputs.into_iter().zip(parsed).enumerate() {
            replay(fi, input, items);
        }
        return;
    }
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Input, Vec<Item>)>>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut inputs = inputs.into_iter().peekable();
            loop {
                let mut batch: Vec<Input> = Vec::new();
                let mut bytes = 0;
                while let Some(next) = inputs.next_if(|i| {
                    batch.is_empty()
                        || (batch.len() < PARSE_BATCH && bytes + i.text.len() <= PARSE_BATCH_BYTES)
                }) {
                    bytes += next.text.len();
                    batch.push(next);
                }
                if batch.is_empty() {
                    break;
                }
                let parsed: Vec<Vec<Item>> =
                    batch.par_iter().map(|i| parse::parse(&i.text)).collect();
                if tx.send(batch.into_iter().zip(parsed).collect()).is_err() {
                    break;
                }
            }
        });
        let mut fi = 0;
        for batch in rx {
            for (input, items) in batch {
                replay(fi, input, items);
                fi += 1;
            }
        }
    });
}

fn analyse_file(
    fi: usize,
    input: Input,
    items: Vec<Item>,
    cat: &mut Catalog,
    opts: &Options,
    next_txn: &mut u64,
    visit: &(dyn Fn(&StatementView) + Sync),
) -> FileAnalysis {
    let lines = match &input.map {
        Some(m) => LineIndex::mapped(m.clone()),
        None => LineIndex::new(&input.text),
    };
    let mut session = Session::prepared(opts.timezone_utc, input.session.as_deref());
    // A query string holding one statement forms no implicit transaction
    // block (exec_simple_query groups statements only when there are
    // several): such a file runs like autocommit, so CREATE INDEX
    // CONCURRENTLY alone in a golang-migrate file works.
    let statements_in_file = items
        .iter()
        .filter(|i| matches!(i, Item::Statement(_)))
        .count();
    let wrapping = if input.wrapping == Wrapping::ImplicitMultiStatement && statements_in_file <= 1
    {
        Wrapping::Autocommit
    } else {
        input.wrapping
    };
    let mut tracker = TxnTracker::new(wrapping, *next_txn);
    let mut statements = Vec::new();
    let mut syntax_errors = Vec::new();
    let mut begun_at: Option<usize> = None;
    for item in items {
        match item {
            Item::Error(e) => {
                let start = lines.line_col(&input.text, e.offset);
                let end = lines.line_col(&input.text, e.span.end);
                syntax_errors.push(SyntaxErrorInfo {
                    error: e,
                    start,
                    end,
                });
            }
            Item::Statement(st) => {
                let index = statements.len();
                let txn_stmt = match &st.node {
                    N::TransactionStmt(t) => Some(t),
                    _ => None,
                };
                let placement = tracker.place(index, txn_stmt);
                if let Some(t) = txn_stmt {
                    use pg_query::protobuf::TransactionStmtKind as K;
                    let k = K::try_from(t.kind).unwrap_or(K::Undefined);
                    if matches!(k, K::TransStmtBegin | K::TransStmtStart) && begun_at.is_none() {
                        begun_at = Some(index);
                    }
                    if matches!(
                        k,
                        K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare
                    ) {
                        begun_at = None;
                    }
                }
                let held = tracker.held();
                let mut followed = false;
                let origin = Origin {
                    file: Some(fi),
                    txn: placement.txn,
                };
                // DO blocks replay their body statement by statement while
                // their effects are computed (the visitor then sees the
                // catalog after the block); other statements are applied
                // after the visitor has seen the catalog before them.
                let mut fx = match &st.node {
                    N::DoStmt(d) => {
                        plpgsql::do_effects_and_apply(d, cat, &session, opts.pg_version, origin)
                    }
                    other => {
                        let cx = Ctx {
                            cat,
                            session: &session,
                            pg: opts.pg_version,
                            now: origin,
                        };
                        let fx = effects(other, &cx);
                        // A call of a PL/pgSQL function whose effects are
                        // unknown is followed with its constant arguments
                        // (the catalog then learns what it created).
                        if fx.unknown.is_some() {
                            follow(
                                other,
                                fx,
                                cat,
                                &session,
                                opts.pg_version,
                                origin,
                                &mut followed,
                            )
                        } else {
                            fx
                        }
                    }
                };
                fx.shrink_to_fit();
                let start = lines.line_col(&input.text, st.span.start);
                let end = lines.line_col(&input.text, st.span.end);
                let info = StatementInfo {
                    index,
                    span: st.span,
                    start,
                    end,
                    kind: statement_kind(&st.node),
                    effects: fx,
                    placement,
                    held,
                    lock_timeout: session.lock_timeout.clone(),
                    statement_timeout: session.statement_timeout.clone(),
                    timezone_utc: session.timezone_utc,
                };
                let node = st.node;
                visit(&StatementView {
                    file: fi,
                    path: &input.path,
                    text: &input.text,
                    layout: input.layout,
                    report: input.report,
                    statement: &info,
                    node: &node,
                    catalog_before: cat,
                });
                // Apply to the catalog (DO bodies replay their statements).
                if !matches!(node, N::DoStmt(_)) {
                    replay::apply(&node, cat, &session, opts.pg_version, origin);
                }
                apply_session(&node, &mut session, st.span.start, opts);
                tracker.after(
                    index,
                    start.0,
                    &info.effects.locks,
                    txn_stmt_of(&node),
                    match &node {
                        N::DoStmt(_) => !info.effects.read_only,
                        other => followed || changes_something(other),
                    },
                );
                if !tracker_in_txn(&node, &info) {
                    session.end_transaction();
                }
                // The tree is dropped here: only the statement's facts stay.
                statements.push(info);
            }
        }
    }
    tracker.finish(begun_at);
    *next_txn = tracker.next_id();
    // Kept until the report: no spare capacity.
    statements.shrink_to_fit();
    FileAnalysis {
        path: input.path,
        text: input.text,
        lines,
        wrapping: input.wrapping,
        layout: input.layout,
        report: input.report,
        project: input.project,
        statements,
        syntax_errors,
        txn_events: std::mem::take(&mut tracker.events),
    }
}

/// Follow a statement calling PL/pgSQL functions ([`pleval`]): on
/// success the catalog is the one after the calls and the effects are
/// what ran (`changed` says whether anything changed); otherwise `fx`
/// (unknown) with a note saying why the calls could not be followed.
fn follow(
    node: &N,
    mut fx: Effects,
    cat: &mut Catalog,
    session: &session::Session,
    pg: u32,
    origin: Origin,
    changed: &mut bool,
) -> Effects {
    match pleval::follow_statement(node, cat, session, pg, origin) {
        None => {
            if pleval::calls_plpgsql(node, cat, session) {
                let why = format!(
                    "a PL/pgSQL call was not followed ({})",
                    fx.unknown.as_deref().unwrap_or("")
                );
                cat.opaque.get_or_insert(why);
            }
            fx
        }
        Some(Ok(f)) => {
            *cat = f.cat;
            *changed = f.changed;
            let mut out = f.fx;
            out.note(format!(
                "followed the PL/pgSQL call with its constant arguments: {} SQL statement(s) ran",
                f.executed
            ));
            out
        }
        Some(Err(why)) => {
            cat.opaque
                .get_or_insert_with(|| format!("a PL/pgSQL call was not followed ({})", why.0));
            fx.note(format!(
                "the PL/pgSQL call could not be followed: {}",
                why.0
            ));
            fx
        }
    }
}

fn txn_stmt_of(n: &N) -> Option<&pg_query::protobuf::TransactionStmt> {
    match n {
        N::TransactionStmt(t) => Some(t),
        _ => None,
    }
}

/// Whether a statement may change something that a ROLLBACK would throw
/// away: everything but plain reads, session settings and transaction
/// control (a sqitch verify script reads, then rolls back on purpose).
pub(crate) fn changes_something(node: &N) -> bool {
    match node {
        N::TransactionStmt(_) | N::VariableSetStmt(_) | N::VariableShowStmt(_) => false,
        N::SelectStmt(s) => {
            s.into_clause.is_some()
                || !s.locking_clause.is_empty()
                || s.with_clause.as_ref().is_some_and(|w| {
                    w.ctes.iter().any(|c| match &c.node {
                        Some(N::CommonTableExpr(cte)) => !matches!(
                            cte.ctequery.as_deref().and_then(|q| q.node.as_ref()),
                            Some(N::SelectStmt(_))
                        ),
                        _ => true,
                    })
                })
        }
        // EXPLAIN ANALYZE runs the statement.
        N::ExplainStmt(e) => {
            e.options
                .iter()
                .filter_map(ast::defelem_name)
                .any(|d| d.defname == "analyze")
                && e.query
                    .as_deref()
                    .and_then(|q| q.node.as_ref())
                    .is_some_and(changes_something)
        }
        _ => true,
    }
}

fn tracker_in_txn(node: &N, info: &StatementInfo) -> bool {
    // SET LOCAL lasts until the transaction the statement ran in ends.
    match node {
        N::TransactionStmt(t) => {
            use pg_query::protobuf::TransactionStmtKind as K;
            !matches!(
                K::try_from(t.kind).unwrap_or(K::Undefined),
                K::TransStmtCommit | K::TransStmtRollback | K::TransStmtPrepare
            )
        }
        _ => info.placement.in_transaction,
    }
}

/// SET / RESET / set_config() of the settings the model and rules use.
fn apply_session(node: &N, session: &mut Session, at: usize, opts: &Options) {
    match node {
        N::VariableSetStmt(s) => {
            let kind = VariableSetKind::try_from(s.kind).unwrap_or(VariableSetKind::Undefined);
            let value = s.args.first().and_then(ast::const_str);
            let reset = matches!(
                kind,
                VariableSetKind::VarReset | VariableSetKind::VarSetDefault
            );
            if kind == VariableSetKind::VarResetAll {
                *session = Session::new(opts.timezone_utc);
                return;
            }
            set_setting(
                session,
                &s.name,
                if reset { None } else { value.as_deref() },
                s.is_local,
                at,
                &s.args,
                opts,
            );
        }
        N::SelectStmt(sel) => {
            // pg_dump: SELECT pg_catalog.set_config('search_path', '', false);
            for t in &sel.target_list {
                if let Some(N::ResTarget(rt)) = &t.node {
                    if let Some(N::FuncCall(f)) = rt.val.as_deref().and_then(|v| v.node.as_ref()) {
                        if f.funcname.last().and_then(ast::string_of) == Some("set_config")
                            && f.args.len() == 3
                        {
                            let name = ast::const_str(&f.args[0]).unwrap_or_default();
                            let val = ast::const_str(&f.args[1]);
                            let local = ast::const_str(&f.args[2])
                                .map(|v| v == "on" || v == "true" || v == "t")
                                .unwrap_or(false);
                            set_setting(session, &name, val.as_deref(), local, at, &[], opts);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn set_setting(
    session: &mut Session,
    name: &str,
    value: Option<&str>,
    local: bool,
    at: usize,
    args: &[pg_query::protobuf::Node],
    opts: &Options,
) {
    match name.to_ascii_lowercase().as_str() {
        "search_path" => {
            let mut path: Vec<String> = if args.is_empty() {
                value
                    .unwrap_or("public")
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .collect()
            } else {
                args.iter().filter_map(ast::const_str).collect()
            };
            path.retain(|s| !s.is_empty() && s != "$user" && s != "pg_catalog");
            if value.is_none() && args.is_empty() {
                path = vec!["public".into()];
            }
            session.search_path = path;
        }
        "timezone" => {
            // `SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE` reaches the
            // server as `INTERVAL '...'` (hours east, not a POSIX spec).
            let interval = matches!(
                args.first().and_then(|a| a.node.as_ref()),
                Some(N::TypeCast(_))
            );
            session.timezone_utc = match value {
                Some(v) if interval => is_utc_zone(&format!("INTERVAL '{v}'")),
                Some(v) => is_utc_zone(v),
                None => opts.timezone_utc,
            };
        }
        "lock_timeout" => {
            session.lock_timeout = value.and_then(parse_duration_ms).map(|v| Setting {
                value: v,
                local,
                at,
                runner: false,
            });
        }
        "session_replication_role" => {
            session.replica = value.map(|v| Setting {
                value: v.eq_ignore_ascii_case("replica"),
                local,
                at,
                runner: false,
            });
        }
        "statement_timeout" => {
            session.statement_timeout = value.and_then(parse_duration_ms).map(|v| Setting {
                value: v,
                local,
                at,
                runner: false,
            });
        }
        _ => {}
    }
}
