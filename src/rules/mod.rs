//! Findings. Rules read the model (catalog, effects, transactions) and
//! report what breaks in production and what to write instead.
//!
//! A rule is a file `src/rules/<rule_id>.rs` with a `HOOK`, a line in
//! [`registry!`] below, its documentation in `rules/<rule-id>.yaml` and its
//! cases in `fixtures/rules/<rule-id>/`; `scripts/new-rule.sh` writes all
//! four. `tests/rules.rs` keeps them in step and has one test per rule.
//!
//! Statement rules run while the history is replayed and see the catalog as
//! it was right before their statement; file rules run once the file has
//! been replayed and see every statement of it (transaction structure,
//! earlier statements).

use serde::Serialize;

use crate::model::catalog::{Catalog, QName, Relation};
use crate::model::txn::Wrapping;
use crate::model::{Analysis, FileAnalysis, Input, Options, StatementInfo, StatementView};
use crate::parse::Span;
use crate::source::git::{Change, Changes};
use crate::source::Note;

pub mod alter;
pub mod config;
pub mod fix;
pub mod ignore;
pub mod impact;
pub mod meta;
pub mod problem;
pub mod sql;
pub mod tool;

pub use config::Settings;
pub use meta::RuleMeta;
pub use problem::Cause;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Locking,
    Rewrite,
    Transaction,
    Timeout,
    Compatibility,
    DataLoss,
    Failure,
    Style,
    Syntax,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::Locking,
        Category::Rewrite,
        Category::Transaction,
        Category::Timeout,
        Category::Compatibility,
        Category::DataLoss,
        Category::Failure,
        Category::Style,
        Category::Syntax,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Locking => "locking",
            Category::Rewrite => "rewrite",
            Category::Transaction => "transaction",
            Category::Timeout => "timeout",
            Category::Compatibility => "compatibility",
            Category::DataLoss => "data-loss",
            Category::Failure => "failure",
            Category::Style => "style",
            Category::Syntax => "syntax",
        }
    }
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One byte-range replacement in a file's original text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Index of the file in the analysis.
    #[serde(skip)]
    pub file: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<String>,
    /// Other rules that found the same problem (`rules::problem`), most
    /// specific first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<&'static str>,
    /// The edits `--fix` applies (empty when the fix is not mechanical).
    #[serde(skip)]
    pub edits: Vec<Edit>,
    /// Production size and traffic (`check --stats`), on findings whose
    /// cause is the traffic a statement blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Box<impact::Impact>>,
}

/// A finding before configuration (severity, ignores) is applied.
#[derive(Clone, Debug)]
pub struct Raw {
    pub rule: &'static str,
    pub file: usize,
    pub span: Span,
    /// Where it is in the original file, for findings about text that is
    /// not in any statement (a psql meta-command, a whole file); `span`
    /// is then empty.
    pub at: Option<Place>,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<String>,
    pub edits: Vec<Edit>,
    /// Causes beyond the one its category implies (`rules::problem`).
    pub causes: Vec<Cause>,
    /// Set when findings are grouped: the other rules of the problem.
    pub related: Vec<&'static str>,
}

/// Where a rule writes its findings.
pub struct Sink<'a> {
    rule: &'static str,
    file: usize,
    /// This file's findings so far.
    out: &'a mut Vec<Raw>,
}

impl Sink<'_> {
    pub fn emit(&mut self, span: Span, message: impl Into<String>) -> &mut Raw {
        self.out.push(Raw {
            rule: self.rule,
            file: self.file,
            span,
            at: None,
            message: message.into(),
            help: None,
            fix: None,
            edits: Vec::new(),
            causes: Vec::new(),
            related: Vec::new(),
        });
        self.out.last_mut().expect("just pushed")
    }

    /// Whether this rule already reported something in this file.
    pub fn emitted(&self) -> bool {
        self.out.iter().any(|r| r.rule == self.rule)
    }

    /// A finding at a place in the original file rather than in the
    /// parsed text (what the source stage saw: it has no span there).
    pub fn emit_at(&mut self, at: Place, message: impl Into<String>) -> &mut Raw {
        let raw = self.emit(Span::new(0, 0), message);
        raw.at = Some(at);
        raw
    }
}

/// 1-based lines and columns (in characters) in the original file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Raw {
    pub fn help(&mut self, h: impl Into<String>) -> &mut Self {
        self.help = Some(h.into());
        self
    }
    /// The finding is also about the traffic its statement blocks (rules
    /// of the locking, rewrite and timeout categories always are).
    pub fn traffic(&mut self) -> &mut Self {
        self.causes.push(Cause::Traffic);
        self
    }
    /// The finding is about this change to a column running code uses.
    pub fn column(&mut self, table: &QName, column: &str) -> &mut Self {
        self.causes
            .push(Cause::Column(table.clone(), column.to_string()));
        self
    }
    /// Replacement SQL shown to the user (not applied by `--fix`).
    pub fn suggest(&mut self, sql: impl Into<String>) -> &mut Self {
        self.fix = Some(sql.into());
        self
    }
    /// Replacement SQL shown to the user and applied by `--fix`.
    pub fn fix(&mut self, sql: impl Into<String>, edits: Vec<Edit>) -> &mut Self {
        self.fix = Some(sql.into());
        self.edits = edits;
        self
    }
}

/// What a statement rule sees.
pub struct StmtCx<'a> {
    pub file: usize,
    pub path: &'a str,
    pub text: &'a str,
    pub wrapping: Wrapping,
    /// The tool that runs the file (file rules: `FileCx::fa.layout`).
    pub layout: crate::input::Layout,
    pub stmt: &'a StatementInfo,
    /// The statement's syntax tree.
    pub node: &'a pg_query::NodeEnum,
    /// The catalog right before the statement.
    pub cat: &'a Catalog,
    pub pg: u32,
    pub settings: &'a Settings,
}

impl<'a> StmtCx<'a> {
    pub fn node(&self) -> &'a pg_query::NodeEnum {
        self.node
    }
    pub fn span(&self) -> Span {
        self.stmt.span
    }
    /// The statement's source text.
    pub fn sql(&self) -> &'a str {
        &self.text[self.stmt.span.start..self.stmt.span.end]
    }
    /// Resolve a relation name as the statement did (the model already
    /// resolved it when it computed the locks).
    pub fn resolve(&self, rv: &pg_query::protobuf::RangeVar) -> QName {
        resolve_with(&self.stmt.effects, self.cat, &rv.schemaname, &rv.relname)
    }
    /// A relation that production traffic uses: it existed before this file
    /// and this transaction (or the history does not say).
    pub fn is_existing(&self, q: &QName) -> bool {
        let fx = &self.stmt.effects;
        if fx.new_relations.contains(q) {
            return false;
        }
        match self.cat.get(q) {
            Some(r) => !self.is_new_rel(r),
            None => true,
        }
    }
    pub fn is_new_rel(&self, r: &Relation) -> bool {
        (r.origin.file.is_some() && r.origin.file == Some(self.file))
            || (r.origin.txn.is_some() && r.origin.txn == self.stmt.placement.txn)
    }
    pub fn rel(&self, q: &QName) -> Option<&'a Relation> {
        self.cat.get(q)
    }
}

/// Resolve `schema.name` the way the model did for this statement: the
/// locked relation of that name, else the catalog's, else `public`.
pub fn resolve_with(
    fx: &crate::model::effects::Effects,
    cat: &Catalog,
    schema: &str,
    name: &str,
) -> QName {
    if !schema.is_empty() {
        return QName::new(schema, name);
    }
    if let Some(q) = fx
        .locks
        .keys()
        .chain(fx.scans.iter())
        .find(|q| q.name == name)
    {
        return q.clone();
    }
    let public = QName::new("public", name);
    if cat.contains(&public) {
        return public;
    }
    // The first schema in name order, not the hash table's: the same
    // input must give the same report on every run.
    cat.relations
        .keys()
        .filter(|q| q.name == name)
        .min()
        .cloned()
        .unwrap_or(public)
}

/// What file rules need from a statement's syntax tree, taken while the
/// statement is replayed (the model does not keep trees: they would hold
/// hundreds of bytes per node for the whole run). Each field belongs to the
/// rule that fills it in its `facts` function.
#[derive(Debug, Default)]
pub struct StmtFacts {
    /// backfill-in-schema-transaction: UPDATE / DELETE / MERGE /
    /// INSERT ... SELECT.
    pub backfill: bool,
    /// UPDATE / DELETE / MERGE of an existing table's rows with no key
    /// range bounding them: its row locks cover an unknown number of rows.
    pub unbounded_rows: Option<Box<crate::model::catalog::QName>>,
    /// Slow work in a transaction (a scan, rewrite or backfill of an
    /// existing table, a sleep): what it does.
    pub slow_work: Option<Box<String>>,
    /// A TRANSACTION statement; `commit` when it is COMMIT.
    pub transaction: bool,
    pub commit: bool,
    /// constraint-requires-not-valid: the first validating constraint added.
    pub validating: Option<Box<constraint_requires_not_valid::Added>>,
    /// foreign-key-without-index: the foreign keys added.
    pub foreign_keys: Option<Box<foreign_key_without_index::Added>>,
    /// not-valid-validated-in-same-transaction.
    pub not_valid: Option<Box<not_valid_validated_in_same_transaction::Changes>>,
    /// enum-value-in-transaction: the value added, and the indexes of the
    /// earlier ADD VALUE statements of the same transaction whose value
    /// this statement uses.
    pub enum_added: Option<String>,
    pub enum_txn: Option<u64>,
    pub enum_uses: Vec<usize>,
    /// lock-held-during-long-work: long work done while blocking locks
    /// taken earlier in the transaction are held.
    pub long_work: Option<Box<lock_held_during_long_work::LongWork>>,
}

/// The facts of one file's statements, in statement order.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub statements: Vec<StmtFacts>,
    /// Indexes of the statements with `enum_added`.
    pub enum_adds: Vec<usize>,
}

fn take_facts(cx: &StmtCx, facts: &mut FileFacts) {
    let mut f = StmtFacts::default();
    if let pg_query::NodeEnum::TransactionStmt(t) = cx.node() {
        use pg_query::protobuf::TransactionStmtKind as K;
        f.transaction = true;
        f.commit = matches!(
            K::try_from(t.kind).unwrap_or(K::Undefined),
            K::TransStmtCommit
        );
    }
    backfill_in_schema_transaction::facts(cx, &mut f);
    constraint_requires_not_valid::facts(cx, &mut f);
    foreign_key_without_index::facts(cx, &mut f);
    not_valid_validated_in_same_transaction::facts(cx, &mut f);
    enum_value_in_transaction::facts(cx, &mut f, facts);
    lock_held_during_long_work::facts(cx, &mut f);
    if f.enum_added.is_some() {
        facts.enum_adds.push(facts.statements.len());
    }
    facts.statements.push(f);
}

/// What a file rule sees: the whole replayed file.
pub struct FileCx<'a> {
    pub file: usize,
    pub fa: &'a FileAnalysis,
    /// Per statement, what file rules took from its syntax tree.
    pub facts: &'a [StmtFacts],
    /// The catalog after the whole run (the file's project's).
    pub cat: &'a Catalog,
    pub pg: u32,
    pub settings: &'a Settings,
    /// What the source stage saw in this file (the first analysed part of
    /// each file gets them).
    pub notes: Vec<&'a Note>,
    /// `--since REF`: how this file changed since REF (the first analysed
    /// part of each file), with REF as given and its commit.
    pub since: Option<Since<'a>>,
}

/// What the source stage saw, for the rules that report it.
#[derive(Clone, Copy, Default)]
pub struct SourceFacts<'a> {
    pub notes: &'a [Note],
    /// `--since REF`: the files changed since REF, and REF as given.
    pub since: Option<(&'a Changes, &'a str)>,
}

/// How one file changed since `--since REF`.
#[derive(Clone, Copy)]
pub struct Since<'a> {
    pub change: &'a Change,
    /// REF as given on the command line.
    pub reference: &'a str,
    /// The commit REF names.
    pub commit: &'a str,
}

pub type StmtFn = fn(&StmtCx, &mut Sink);
pub type FileFn = fn(&FileCx, &mut Sink);

#[derive(Clone, Copy)]
pub enum Hook {
    Statement(StmtFn),
    File(FileFn),
    /// Produced by the engine itself (inline-ignore bookkeeping).
    Engine,
}

pub struct RuleDef {
    pub id: &'static str,
    pub yaml: &'static str,
    pub hook: Hook,
}

macro_rules! registry {
    ($($m:ident => $id:literal),* $(,)?) => {
        $(pub mod $m;)*
        /// Every rule, with its documentation compiled in.
        pub static RULES: &[RuleDef] = &[
            $(RuleDef {
                id: $id,
                yaml: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".yaml")),
                hook: $m::HOOK,
            },)*
        ];
    };
}

registry! {
    syntax_error => "syntax-error",
    unknown_effects => "unknown-effects",
    unused_ignore => "unused-ignore",
    unknown_rule_in_ignore => "unknown-rule-in-ignore",
    modified_applied_migration => "modified-applied-migration",
    psql_shell_command => "psql-shell-command",
    psql_meta_command => "psql-meta-command",
    require_concurrent_index => "require-concurrent-index",
    require_concurrent_index_drop => "require-concurrent-index-drop",
    require_concurrent_reindex => "require-concurrent-reindex",
    require_concurrent_detach_partition => "require-concurrent-detach-partition",
    require_concurrent_refresh => "require-concurrent-refresh",
    constraint_requires_not_valid => "constraint-requires-not-valid",
    domain_constraint_scans => "domain-constraint-scans",
    unique_constraint_requires_index => "unique-constraint-requires-index",
    exclusion_constraint => "exclusion-constraint",
    set_not_null_scans_table => "set-not-null-scans-table",
    column_type_change_rewrites => "column-type-change-rewrites",
    add_column_rewrites => "add-column-rewrites",
    table_rewrite => "table-rewrite",
    lock_held_during_long_work => "lock-held-during-long-work",
    lock_table => "lock-table",
    not_valid_validated_in_same_transaction => "not-valid-validated-in-same-transaction",
    backfill_in_schema_transaction => "backfill-in-schema-transaction",
    require_lock_timeout => "require-lock-timeout",
    lock_timeout_too_long => "lock-timeout-too-long",
    require_statement_timeout => "require-statement-timeout",
    session_setting_in_transaction => "session-setting-in-transaction",
    no_transaction_block => "no-transaction-block",
    nested_begin => "nested-begin",
    ends_transaction_early => "ends-transaction-early",
    begin_without_commit => "begin-without-commit",
    enum_value_in_transaction => "enum-value-in-transaction",
    drop_column => "drop-column",
    drop_table => "drop-table",
    rename_column => "rename-column",
    rename_table => "rename-table",
    change_column_type => "change-column-type",
    drop_column_default => "drop-column-default",
    add_required_column => "add-required-column",
    truncate_table => "truncate-table",
    drop_cascade => "drop-cascade",
    drop_database => "drop-database",
    drop_schema => "drop-schema",
    unique_may_fail_on_duplicates => "unique-may-fail-on-duplicates",
    foreign_key_without_index => "foreign-key-without-index",
    prefer_bigint_keys => "prefer-bigint-keys",
    prefer_identity => "prefer-identity",
    prefer_timestamptz => "prefer-timestamptz",
    prefer_text => "prefer-text",
    prefer_jsonb => "prefer-jsonb",
    prefer_lookup_table => "prefer-lookup-table",
    require_schema_qualified_names => "require-schema-qualified-names",
    identifier_too_long => "identifier-too-long",
    require_idempotent_ddl => "require-idempotent-ddl",
    blocking_lock_during_scan => "blocking-lock-during-scan",
}

pub fn rule(id: &str) -> Option<&'static RuleDef> {
    RULES.iter().find(|r| r.id == id)
}

pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    meta::all().iter().find(|m| m.id == id)
}

/// Run the whole pipeline from inputs to configured findings.
pub fn run(inputs: Vec<Input>, opts: &Options, settings: &Settings) -> (Analysis, Vec<Finding>) {
    run_with(inputs, SourceFacts::default(), opts, settings)
}

/// [`run`], with what the source stage saw (psql meta-commands, `--since`
/// changes) for the rules that report it.
pub fn run_with(
    inputs: Vec<Input>,
    source: SourceFacts,
    opts: &Options,
    settings: &Settings,
) -> (Analysis, Vec<Finding>) {
    let metas = meta::all();
    let wrappings: Vec<Wrapping> = inputs.iter().map(|i| i.wrapping).collect();
    let paths: Vec<String> = inputs.iter().map(|i| i.path.clone()).collect();
    // Which rules run on each file (config, per-path overrides, versions).
    let active: Vec<Vec<bool>> = paths
        .iter()
        .map(|p| {
            RULES
                .iter()
                .zip(metas)
                .map(|(_, m)| settings.enabled(m, p) && m.applies_to(opts.pg_version))
                .collect()
        })
        .collect();
    // Findings per file, in the order rules emitted them.
    // Per file, behind a lock: projects are replayed in parallel, a file
    // by one thread (the locks are never contended).
    use std::sync::Mutex;
    let raws: Vec<Mutex<Vec<Raw>>> = paths.iter().map(|_| Mutex::default()).collect();
    let facts: Vec<Mutex<FileFacts>> = paths.iter().map(|_| Mutex::default()).collect();
    // With production statistics: each statement's blocking work, priced.
    let work: Mutex<std::collections::HashMap<(usize, usize), Vec<crate::stats::Work>>> =
        Mutex::default();
    let visit = |v: &StatementView| {
        if !v.report {
            return;
        }
        let cx = StmtCx {
            file: v.file,
            path: v.path,
            text: v.text,
            wrapping: wrappings[v.file],
            layout: v.layout,
            stmt: v.statement,
            node: v.node,
            cat: v.catalog_before,
            pg: opts.pg_version,
            settings,
        };
        take_facts(&cx, &mut facts[v.file].lock().unwrap());
        if let Some(model) = &settings.stats {
            let w = impact::work_of(&cx, model);
            if !w.is_empty() {
                work.lock().unwrap().insert((v.file, v.statement.index), w);
            }
        }
        let mut out = raws[v.file].lock().unwrap();
        for (i, r) in RULES.iter().enumerate() {
            if let Hook::Statement(f) = r.hook {
                if active[v.file][i] {
                    let mut sink = Sink {
                        rule: r.id,
                        file: v.file,
                        out: &mut out,
                    };
                    f(&cx, &mut sink);
                }
            }
        }
    };
    let mut analysis = crate::model::analyse_with(inputs, opts, &visit);
    let mut raws: Vec<Vec<Raw>> = raws.into_iter().map(|r| r.into_inner().unwrap()).collect();
    let facts: Vec<FileFacts> = facts.into_iter().map(|f| f.into_inner().unwrap()).collect();
    let work = work.into_inner().unwrap();
    // Facts about a whole file go to its first analysed part.
    let mut paths_seen = std::collections::HashSet::new();
    let first: Vec<bool> = analysis
        .files
        .iter()
        .map(|fa| fa.report && paths_seen.insert(fa.path.as_str()))
        .collect();
    // File rules, then one finding per problem and inline ignores: each
    // file on its own, in parallel.
    use rayon::prelude::*;
    let kept: Vec<Vec<Raw>> = analysis
        .files
        .par_iter()
        .zip(raws.par_iter_mut())
        .zip(facts.par_iter())
        .enumerate()
        .map(|(fi, ((fa, raws), facts))| {
            if !fa.report {
                return Vec::new();
            }
            let first = first[fi];
            let notes = match first {
                true => source.notes.iter().filter(|n| n.path == fa.path).collect(),
                false => Vec::new(),
            };
            let since = match (first, source.since) {
                (true, Some((c, reference))) => {
                    c.get(std::path::Path::new(&fa.path)).map(|change| Since {
                        change,
                        reference,
                        commit: &c.base,
                    })
                }
                _ => None,
            };
            let cx = FileCx {
                file: fi,
                fa,
                facts: &facts.statements,
                cat: analysis.catalog(fa.project),
                pg: opts.pg_version,
                settings,
                notes,
                since,
            };
            for (i, r) in RULES.iter().enumerate() {
                if let Hook::File(f) = r.hook {
                    if active[fi][i] {
                        let mut sink = Sink {
                            rule: r.id,
                            file: fi,
                            out: raws,
                        };
                        f(&cx, &mut sink);
                    }
                }
            }
            let mine = std::mem::take(raws);
            let mine = if settings.ungrouped {
                mine
            } else {
                problem::group(fa, mine)
            };
            let is_active = |id: &str| {
                RULES
                    .iter()
                    .position(|r| r.id == id)
                    .map(|i| active[fi][i])
                    .unwrap_or(false)
            };
            ignore::apply(fi, fa, mine, &is_active)
        })
        .collect();
    // What rules took from the statements is not needed past this point.
    drop(facts);
    let kept: Vec<Raw> = kept.into_iter().flatten().collect();
    let mut out: Vec<Finding> = kept
        .into_iter()
        .filter_map(|r| {
            let m = meta(r.rule)?;
            let fa = &analysis.files[r.file];
            // A group is as severe as its most severe member.
            let mut severity = std::iter::once(m)
                .chain(r.related.iter().filter_map(|id| meta(id)))
                .filter_map(|m| settings.severity(m, &fa.path))
                .max()?;
            // Production's size and traffic, on findings about traffic.
            let mut impact = None;
            if let Some(model) = &settings.stats {
                let traffic = problem::causes(&r).contains(&Cause::Traffic);
                if let Some(st) = traffic
                    .then(|| problem::statement_of(fa, &r))
                    .flatten()
                    .map(|i| &fa.statements[i])
                {
                    let w = work
                        .get(&(r.file, st.index))
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    let (found, sized) =
                        impact::assess(model, st, w, analysis.catalog(fa.project), &analysis.files);
                    if let Some(s) = sized {
                        severity = s;
                    }
                    if !found.summary.is_empty() {
                        impact = Some(Box::new(found));
                    }
                }
            }
            let at = r.at.unwrap_or_else(|| {
                let start = fa.lines.line_col(&fa.text, r.span.start);
                let end = fa.lines.line_col(&fa.text, r.span.end);
                Place {
                    line: start.0,
                    column: start.1,
                    end_line: end.0,
                    end_column: end.1,
                }
            });
            Some(Finding {
                rule: r.rule,
                category: m.category,
                severity,
                file: r.file,
                line: at.line,
                column: at.column,
                end_line: at.end_line,
                end_column: at.end_column,
                message: r.message,
                help: r.help,
                fix: r.fix,
                related: r.related,
                edits: r.edits,
                impact,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.file, a.line, a.column, a.rule).cmp(&(b.file, b.line, b.column, b.rule)));
    out.dedup_by(|a, b| {
        a.file == b.file
            && a.line == b.line
            && a.column == b.column
            && a.rule == b.rule
            && a.message == b.message
    });
    out.shrink_to_fit();
    analysis.number_transactions();
    (analysis, out)
}

/// A rule's documentation, for reports that carry it (SARIF).
pub struct RuleDoc {
    pub summary: String,
    pub description: String,
    pub help: String,
}

/// Documentation of a rule by id, from its `rules/<id>.yaml`.
pub fn describe(id: &str) -> Option<RuleDoc> {
    meta::all().iter().find(|m| m.id == id).map(|m| RuleDoc {
        summary: m.summary.trim().to_string(),
        description: m.why.trim().to_string(),
        help: m.instead.trim().to_string(),
    })
}
