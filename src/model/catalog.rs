//! The schema catalog, replayed statement by statement from the migration
//! history (and optionally seeded from a `pg_dump --schema-only` file).
//! It answers "what exists right before this statement": relations and
//! their kind, columns, indexes, constraints, partitions, inheritance,
//! views' dependencies, sequences, enums, and the functions the history
//! created with what uses them (defaults, constraints, indexes, triggers,
//! policies, views: `pg_depend` for functions).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// The relation maps are looked up for every name of every statement:
/// keyed by short names ddlint built itself, they use a fast hash instead
/// of the DoS-resistant default.
use rustc_hash::FxHashMap;

use super::relset::RelSet;
use super::types::TypeRef;

/// A schema-qualified name. Identifiers are stored as PostgreSQL folds them
/// (unquoted identifiers lower-cased by the parser, quoted ones verbatim).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

impl QName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// `schema.name` as Display writes it (the first dot splits: JSON read
/// back by ddlint itself, e.g. `stats --calibrate`).
impl<'de> serde::Deserialize<'de> for QName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.split_once('.') {
            Some((a, b)) => Ok(QName::new(a, b)),
            None => Ok(QName::new("public", s)),
        }
    }
}

impl serde::Serialize for QName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelKind {
    Table,
    PartitionedTable,
    View,
    MatView,
    Sequence,
    Index,
    PartitionedIndex,
    ForeignTable,
}

impl RelKind {
    pub fn is_table(self) -> bool {
        matches!(
            self,
            RelKind::Table | RelKind::PartitionedTable | RelKind::ForeignTable
        )
    }
    pub fn is_index(self) -> bool {
        matches!(self, RelKind::Index | RelKind::PartitionedIndex)
    }
    pub fn has_storage(self) -> bool {
        matches!(
            self,
            RelKind::Table | RelKind::MatView | RelKind::Sequence | RelKind::Index
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    Permanent,
    Unlogged,
    Temporary,
}

/// Where in the replayed history an object was created, so the model can
/// tell "new in this file / this transaction" from "already in production".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Origin {
    /// Index of the file in the run; `None` for objects from `--schema`.
    pub file: Option<usize>,
    /// Transaction id (unique per run) if created inside a transaction.
    pub txn: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// No default: new rows get NULL.
    None,
    /// A constant or immutable/stable expression evaluated once.
    NonVolatile,
    /// Evaluated per row (random(), nextval(), clock_timestamp(), ...).
    Volatile,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub ty: TypeRef,
    pub not_null: bool,
    pub has_default: bool,
    /// 'a' (ALWAYS) or 'd' (BY DEFAULT) for identity columns.
    pub identity: Option<char>,
    /// 's' stored or 'v' virtual generated column.
    pub generated: Option<char>,
    pub collation: Option<String>,
    /// The sequence a serial column owns.
    pub serial_sequence: Option<QName>,
    /// `SELECT <default>` when the default calls a function the history
    /// created: a row that leaves the column out plans it (and runs what
    /// is left of it).
    pub default_query: Option<Box<str>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check {
        /// Set when the expression is exactly `col IS NOT NULL`.
        not_null_of: Option<String>,
    },
    Exclusion,
    ForeignKey {
        ref_table: QName,
        ref_columns: Vec<String>,
    },
    NotNull,
}

#[derive(Clone, Debug)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    /// false for NOT VALID constraints not yet validated.
    pub valid: bool,
    /// The index backing a PK / UNIQUE / EXCLUDE constraint.
    pub index: Option<QName>,
    /// Foreign keys' ON DELETE / ON UPDATE actions as pg_constraint spells
    /// them: 'a' no action, 'r' restrict, 'c' cascade, 'n' set null,
    /// 'd' set default.
    pub on_delete: char,
    pub on_update: char,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct IndexInfo {
    pub table: QName,
    pub unique: bool,
    pub primary: bool,
    /// Key columns; `None` for an expression.
    pub columns: Vec<Option<String>>,
    /// Non-key columns (`INCLUDE`).
    pub include: Vec<String>,
    /// Columns read by the key expressions and the predicate.
    pub expr_columns: Vec<String>,
    pub partial: bool,
    /// What PostgreSQL names an index on these columns after
    /// (ChooseIndexColumnNames): each key and INCLUDE column's name, an
    /// expression's FigureColname, or `expr`.
    pub name_parts: Vec<String>,
    /// Backs this constraint (dropping the index needs dropping it).
    pub constraint: Option<String>,
    /// Parent index, for an index attached to a partitioned index.
    pub parent: Option<QName>,
    /// `indisclustered`: CLUSTER without a table name re-clusters its table.
    pub clustered: bool,
}

impl IndexInfo {
    /// The index depends on the column (a `pg_depend` entry): as a key,
    /// an `INCLUDE` column, or inside an expression or the predicate.
    pub fn uses_column(&self, col: &str) -> bool {
        self.columns.iter().any(|c| c.as_deref() == Some(col))
            || self.include.iter().any(|c| c == col)
            || self.expr_columns.iter().any(|c| c == col)
    }

    /// An index with expressions or a predicate is never kept by ALTER
    /// COLUMN TYPE (`CheckIndexCompatible` does not compare them).
    pub fn has_expressions_or_predicate(&self) -> bool {
        self.partial || self.columns.iter().any(Option::is_none)
    }

    pub fn is_key_column(&self, col: &str) -> bool {
        self.columns.iter().any(|c| c.as_deref() == Some(col))
    }

    /// What an index copied from this one (to a partition, by LIKE) has;
    /// `uses` are the index relation's `function_uses`.
    pub fn shape(&self, uses: &[FuncUse]) -> IndexShape {
        IndexShape {
            columns: self.columns.clone(),
            include: self.include.clone(),
            expr_columns: self.expr_columns.clone(),
            partial: self.partial,
            name_parts: self.name_parts.clone(),
            functions: uses.iter().map(|u| u.func.clone()).collect(),
        }
    }
}

/// The columns, expressions and predicate of an index being created.
#[derive(Clone, Debug, Default)]
pub struct IndexShape {
    /// Key columns; `None` for an expression.
    pub columns: Vec<Option<String>>,
    pub include: Vec<String>,
    /// Columns read by the key expressions and the predicate.
    pub expr_columns: Vec<String>,
    pub partial: bool,
    /// See [`IndexInfo::name_parts`].
    pub name_parts: Vec<String>,
    /// Functions the key expressions and the predicate call.
    pub functions: Vec<FuncRef>,
}

#[derive(Clone, Debug)]
pub struct Relation {
    pub name: QName,
    pub kind: RelKind,
    pub persistence: Persistence,
    pub columns: Vec<Column>,
    pub constraints: Vec<Constraint>,
    /// Indexes on this table (by name, in creation order).
    pub indexes: Vec<QName>,
    pub partition_of: Option<QName>,
    pub is_default_partition: bool,
    pub partitions: Vec<QName>,
    pub inherits: Vec<QName>,
    pub children: Vec<QName>,
    pub index: Option<IndexInfo>,
    /// Sequences: the column owning it.
    pub owned_by: Option<(QName, String)>,
    /// Views and materialized views: the relations their query reads.
    pub depends_on: Vec<QName>,
    /// Materialized views: the restriction clauses of each partitioned
    /// table their query scans, to prune it again on REFRESH.
    pub scan_filters: Vec<(QName, crate::model::effects::quals::Filter)>,
    pub origin: Origin,
    /// Set once rows may exist (we cannot know for history; true unless
    /// created in this run and never written).
    pub may_have_rows: bool,
    /// A typed table (`CREATE TABLE ... OF type`): ALTER TYPE ... CASCADE
    /// changes it with the composite type.
    pub of_type: Option<QName>,
    /// CREATE TABLE AS / a materialized view whose output columns the
    /// model could not tell (an expression, a subquery): `columns` is
    /// empty and means "unknown", not "none".
    pub columns_unknown: bool,
    /// Trigger and policy names (DROP ... IF EXISTS locks only if found).
    pub triggers: Vec<String>,
    pub policies: Vec<String>,
    /// Rewrite rules (CREATE RULE), which run extra statements on DML.
    pub rules: Vec<String>,
    /// Partitioned tables: the partition key columns (None = expression).
    pub partition_key: Vec<Option<String>>,
    /// Partitions: the bound, for routing literal rows.
    pub bound: Option<PartitionBound>,
    /// Explicit tablespace (None = the database default).
    pub tablespace: Option<String>,
    /// Table access method (None = heap).
    pub access_method: Option<String>,
    /// The functions this relation's defaults, generated columns, CHECK
    /// constraints, triggers and policies call (for an index: its
    /// expressions and predicate; for a view: its query).
    pub function_uses: Vec<FuncUse>,
    /// Views and materialized views whose query calls a function the
    /// history created: the query, deparsed, for the planner's treatment
    /// of those calls whenever the view is read or refreshed.
    pub query: Option<Box<str>>,
}

impl Relation {
    pub fn new(name: QName, kind: RelKind, origin: Origin) -> Self {
        Relation {
            name,
            kind,
            persistence: Persistence::Permanent,
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
            partition_of: None,
            is_default_partition: false,
            partitions: Vec::new(),
            inherits: Vec::new(),
            children: Vec::new(),
            index: None,
            owned_by: None,
            depends_on: Vec::new(),
            scan_filters: Vec::new(),
            origin,
            may_have_rows: false,
            columns_unknown: false,
            of_type: None,
            tablespace: None,
            access_method: None,
            triggers: Vec::new(),
            policies: Vec::new(),
            rules: Vec::new(),
            partition_key: Vec::new(),
            bound: None,
            function_uses: Vec::new(),
            query: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }

    /// Direct descendants that ALTER TABLE / LOCK / TRUNCATE recurse into.
    pub fn descendants_direct(&self) -> impl Iterator<Item = &QName> {
        self.partitions.iter().chain(self.children.iter())
    }
}

/// A partition bound over literal values (enough to route literal rows
/// and to prune partitions).
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionBound {
    Default,
    /// FROM (..) TO (..); `None` for MINVALUE / MAXVALUE.
    Range {
        from: Vec<Option<Literal>>,
        to: Vec<Option<Literal>>,
    },
    /// IN (..): the non-NULL values, and whether NULL is one of them.
    List {
        values: Vec<Literal>,
        accepts_null: bool,
    },
    /// WITH (MODULUS m, REMAINDER r).
    Hash {
        modulus: u32,
        remainder: u32,
    },
    /// A bound with values that are not plain literals.
    Opaque,
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub enum Literal {
    Int(i64),
    Text(String),
}

#[derive(Clone, Debug)]
pub struct EnumType {
    pub values: Vec<String>,
    pub origin: Origin,
}

/// `pg_proc.provolatile`, ordered from the least to the most volatile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Volatility {
    #[default]
    Immutable,
    Stable,
    Volatile,
}

impl Volatility {
    pub fn as_str(self) -> &'static str {
        match self {
            Volatility::Immutable => "IMMUTABLE",
            Volatility::Stable => "STABLE",
            Volatility::Volatile => "VOLATILE",
        }
    }
}

/// A function or procedure the history created (`pg_proc`), with what the
/// planner looks at before it pre-evaluates or inlines a call
/// (`evaluate_function`, `inline_function` in optimizer/util/clauses.c) and
/// what runs when it is called.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: QName,
    /// Input argument types, canonicalised (`TypeRef::display`): with the
    /// name, what tells overloads apart (`DROP FUNCTION f(int)`).
    pub arg_types: Vec<String>,
    /// Input argument names ("" when unnamed): a SQL body may use them.
    pub arg_names: Vec<String>,
    /// `SELECT <default>` of each trailing input argument with a DEFAULT
    /// (`proargdefaults`), filled in by `expand_function_arguments`.
    pub arg_defaults: Vec<String>,
    pub variadic: bool,
    /// Lower-case language name (`sql`, `plpgsql`, `c`, ...).
    pub language: String,
    pub volatility: Volatility,
    pub strict: bool,
    pub security_definer: bool,
    /// Has `SET` clauses (`proconfig`): never inlined.
    pub has_config: bool,
    pub returns_set: bool,
    /// Returns `record` (RETURNS record, RETURNS TABLE, OUT parameters).
    pub returns_record: bool,
    /// The declared return type; `None` for procedures and `record`.
    pub return_type: Option<super::types::TypeRef>,
    /// The body: the `AS` text, or the statements of a SQL-standard body
    /// (`BEGIN ATOMIC ... END`, `RETURN expr`, 14+), deparsed.
    pub body: Option<String>,
    /// The body is SQL-standard (`prosqlbody`): stored parsed, so the
    /// planner does not parse (nor lock) anything to inline it.
    pub atomic: bool,
    pub is_procedure: bool,
    pub origin: Origin,
}

impl Function {
    /// The least number of arguments a call must pass.
    pub fn min_args(&self) -> usize {
        self.arg_types.len() - self.arg_defaults.len().min(self.arg_types.len())
    }

    /// Can a call with `n` arguments be this function (arity only)?
    pub fn accepts(&self, n: usize) -> bool {
        (n >= self.min_args() && n <= self.arg_types.len())
            || (self.variadic && n + 1 >= self.arg_types.len())
    }

    /// `name(argtypes)`, as PostgreSQL names a function in messages.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.arg_types.join(", "))
    }
}

/// The function an expression, trigger or view calls, as `pg_depend`
/// records it: one overload. `args` is `None` when the history does not
/// show the function (then any overload with that many arguments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncRef {
    pub name: QName,
    pub nargs: usize,
    pub args: Option<Vec<String>>,
}

impl FuncRef {
    pub fn of(f: &Function) -> FuncRef {
        FuncRef {
            name: f.name.clone(),
            nargs: f.arg_types.len(),
            args: Some(f.arg_types.clone()),
        }
    }

    /// Is this a reference to `name` with these argument types (`None`:
    /// not known, any overload of that arity or any at all)?
    pub fn matches(&self, name: &QName, args: Option<&[String]>) -> bool {
        if &self.name != name {
            return false;
        }
        match (&self.args, args) {
            (Some(a), Some(b)) => a.as_slice() == b,
            (None, Some(b)) => self.nargs == b.len(),
            (_, None) => true,
        }
    }
}

/// What of a relation depends on a function (`DROP FUNCTION ... CASCADE`
/// drops it; RESTRICT refuses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseKind {
    /// A column's DEFAULT (`pg_attrdef`).
    Default(String),
    /// A generated column's expression.
    Generated(String),
    /// A CHECK constraint.
    Check(String),
    /// The relation is an index whose expressions or predicate call it.
    Index,
    /// A trigger: its function, or a function in its WHEN condition.
    /// `row`: a row trigger, which a partitioned table's partitions get a
    /// clone of (`CloneRowTriggersToPartition`).
    Trigger { name: String, row: bool },
    /// A row-level security policy's USING / WITH CHECK expression.
    Policy(String),
    /// The relation is a view or materialized view whose query calls it.
    Query,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncUse {
    pub func: FuncRef,
    pub kind: UseKind,
}

/// The relations by name, with reverse links kept alongside so that "who
/// points at this relation" (foreign keys, owning tables of sequences,
/// views' dependencies) and "is anything known in this schema" do not
/// scan the whole catalog. Reads are those of a map; every mutable access
/// goes through [`Relations::get_mut`], [`Relations::insert`],
/// [`Relations::remove`] or [`Relations::values_mut`], which mark what may
/// have changed: the reverse links of those relations are brought up to
/// date before the next lookup.
#[derive(Clone, Debug, Default)]
pub struct Relations {
    /// Behind a pointer: a relation is ~700 bytes and the table keeps up to
    /// half of its slots empty.
    /// Each relation shared too: a copy of the catalog that changes one
    /// relation copies that one.
    map: Shared<FxHashMap<QName, Arc<Relation>>>,
    /// Number of relations per schema.
    per_schema: Shared<HashMap<String, usize>>,
    /// Behind a lock so that a catalog can be read from several threads
    /// (the rules of different files); never contended.
    links: LinksCell,
}

/// The reverse links, behind a lock so that a catalog can be read from
/// several threads (the file rules of different files); never contended.
#[derive(Debug, Default)]
struct LinksCell(std::sync::Mutex<Shared<Links>>);

impl LinksCell {
    fn get_mut(&mut self) -> &mut Shared<Links> {
        self.0.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared<Links>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for LinksCell {
    fn clone(&self) -> Self {
        LinksCell(std::sync::Mutex::new(self.lock().clone()))
    }
}

/// For each relation name, the relations that may hold it (in any field
/// naming another relation: foreign keys, owner, dependencies, indexes,
/// partitions, inheritance, an index's table and parent). A superset:
/// links that were removed stay until the next full rebuild, and every
/// lookup checks them against the relations themselves.
#[derive(Clone, Debug, Default)]
struct Links {
    to: FxHashMap<QName, RelSet>,
    /// For each function name, the relations whose `function_uses` may
    /// name it (the same superset rule).
    fn_to: FxHashMap<QName, RelSet>,
    /// Changed since the links were last brought up to date.
    dirty: Vec<QName>,
    /// Everything may have changed (`values_mut`).
    all_dirty: bool,
}

impl Links {
    /// Something changed since the links were brought up to date.
    fn stale(&self) -> bool {
        self.all_dirty || !self.dirty.is_empty()
    }

    /// Bring the links of what changed up to date.
    fn flush(&mut self, map: &FxHashMap<QName, Arc<Relation>>) {
        if self.all_dirty {
            self.to.clear();
            self.fn_to.clear();
            self.dirty.clear();
            for (q, r) in map {
                self.add(q, r);
            }
            self.all_dirty = false;
        } else {
            let dirty = std::mem::take(&mut self.dirty);
            for q in &dirty {
                if let Some(r) = map.get(q) {
                    self.add(q, r);
                }
            }
        }
    }

    fn mark(&mut self, q: &QName, map: &FxHashMap<QName, Arc<Relation>>) {
        if self.all_dirty {
            return;
        }
        // Earlier changes are complete: keep the list short.
        if self.dirty.len() >= 1024 {
            self.flush(map);
        }
        self.dirty.push(q.clone());
    }

    fn add(&mut self, from: &QName, r: &Relation) {
        let targets = r
            .constraints
            .iter()
            .filter_map(|c| match &c.kind {
                ConstraintKind::ForeignKey { ref_table, .. } => Some(ref_table),
                _ => None,
            })
            .chain(r.owned_by.iter().map(|(t, _)| t))
            .chain(r.depends_on.iter())
            // Every other name a relation holds, so that a rename finds
            // all holders.
            .chain(r.indexes.iter())
            .chain(r.partitions.iter())
            .chain(r.children.iter())
            .chain(r.inherits.iter())
            .chain(r.partition_of.iter())
            .chain(
                r.index
                    .iter()
                    .flat_map(|i| std::iter::once(&i.table).chain(i.parent.iter())),
            )
            .chain(r.constraints.iter().filter_map(|c| c.index.as_ref()));
        for t in targets {
            link(&mut self.to, t, from);
        }
        for u in &r.function_uses {
            link(&mut self.fn_to, &u.func.name, from);
        }
    }
}

fn link(map: &mut FxHashMap<QName, RelSet>, to: &QName, from: &QName) {
    match map.get_mut(to) {
        Some(set) => {
            if !set.contains(from) {
                set.insert(from.clone());
            }
        }
        None => {
            map.insert(to.clone(), RelSet::from([from.clone()]));
        }
    }
}

/// The relation itself, copied if a copy of the catalog still holds it.
fn unshare(r: Arc<Relation>) -> Relation {
    Arc::try_unwrap(r).unwrap_or_else(|r| (*r).clone())
}

impl Relations {
    pub fn get(&self, q: &QName) -> Option<&Relation> {
        self.map.get(q).map(|r| &**r)
    }

    pub fn contains_key(&self, q: &QName) -> bool {
        self.map.contains_key(q)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &QName> {
        self.map.keys()
    }

    pub fn values(&self) -> impl Iterator<Item = &Relation> {
        self.map.values().map(|r| &**r)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&QName, &Relation)> {
        self.map.iter().map(|(q, r)| (q, &**r))
    }

    pub fn get_mut(&mut self, q: &QName) -> Option<&mut Relation> {
        if !self.map.contains_key(q) {
            return None;
        }
        self.links.get_mut().mark(q, &self.map);
        self.map.get_mut(q).map(Arc::make_mut)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Relation> {
        self.links.get_mut().all_dirty = true;
        self.map.values_mut().map(Arc::make_mut)
    }

    pub fn insert(&mut self, q: QName, r: Relation) -> Option<Relation> {
        self.links.get_mut().mark(&q, &self.map);
        let schema = q.schema.clone();
        let old = self.map.insert(q, Arc::new(r));
        if old.is_none() {
            *self.per_schema.entry(schema).or_insert(0) += 1;
        }
        old.map(unshare)
    }

    pub fn remove(&mut self, q: &QName) -> Option<Relation> {
        let old = self.map.remove(q).map(unshare);
        if old.is_some() {
            if let Some(n) = self.per_schema.get_mut(&q.schema) {
                *n -= 1;
                if *n == 0 {
                    self.per_schema.remove(&q.schema);
                }
            }
        }
        old
    }

    /// `from` was renamed `to` and every link to it rewritten: what pointed
    /// at `from` now points at `to`.
    fn renamed(&mut self, from: &QName, to: &QName) {
        let links = self.links.get_mut();
        links.flush(&self.map);
        if let Some(set) = links.to.remove(from) {
            links.to.entry(to.clone()).or_default().extend(set);
        }
    }

    /// Does any relation live in `schema`?
    pub fn any_in_schema(&self, schema: &str) -> bool {
        self.per_schema.contains_key(schema)
    }

    /// Relations whose `function_uses` may name the function `f` (a
    /// superset, in name order: check each against what it holds).
    pub fn using_function(&self, f: &QName) -> Vec<QName> {
        let mut links = self.links.lock();
        // Only a change copies links a copy of the catalog shares.
        if links.stale() {
            links.flush(&self.map);
        }
        links
            .fn_to
            .get(f)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Relations that may point at `q` (a superset, in name order: check
    /// each against what it holds).
    pub fn pointing_at(&self, q: &QName) -> Vec<QName> {
        let mut links = self.links.lock();
        // Only a change copies links a copy of the catalog shares.
        if links.stale() {
            links.flush(&self.map);
        }
        links
            .to
            .get(q)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// A part of the catalog shared between copies until one of them changes
/// it. Following a PL/pgSQL call works on a copy of the catalog (thrown
/// away if the call cannot be followed), and a call per statement is
/// common (`SELECT create_index(...)` helpers): copying pointers instead of
/// every relation and function body keeps that cheap. Reading goes
/// through `Deref`; `DerefMut` copies the part first if another catalog
/// still shares it.
#[derive(Debug, Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

/// Everything replayed so far.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub relations: Relations,
    pub schemas: Shared<BTreeMap<String, Origin>>,
    pub enums: Shared<HashMap<QName, EnumType>>,
    /// Domains: base type and whether they carry CHECK / NOT NULL constraints.
    pub domains: Shared<HashMap<QName, (TypeRef, bool)>>,
    /// Functions and procedures the history created, by name (overloads
    /// and schemas share an entry; see [`Catalog::lookup_function`]).
    pub functions: Shared<HashMap<String, Vec<Function>>>,
    /// Extended statistics objects and their table.
    pub statistics: Shared<HashMap<QName, QName>>,
    /// What the history did to relations it does not create (they existed
    /// before it): the columns, constraints and indexes it added. Kept
    /// apart from `relations` because a missing column or constraint here
    /// means "not known", never "absent"; only code that uses a fact the
    /// history proves (a validated CHECK before SET NOT NULL, a column's
    /// type) looks here, through [`Catalog::known_facts`].
    pub unseen: Shared<HashMap<QName, Box<Relation>>>,
    /// Composite types (CREATE TYPE ... AS (...)) and their attributes.
    pub composites: Shared<HashMap<QName, Vec<Column>>>,
    /// Set when code ran that may have changed the schema in ways the
    /// catalog does not show (a PL/pgSQL call or DO block that could not
    /// be followed, see `pleval.rs`): why. From then on, queries over
    /// catalog views are not answered from the catalog (`probe.rs`).
    pub opaque: Option<String>,
}

/// What a call resolves to among the functions the history created.
#[derive(Debug)]
pub enum FnLookup<'a> {
    Found(&'a Function),
    /// Several overloads take that many arguments: which one the call
    /// means depends on argument types ddlint does not infer.
    Ambiguous,
    Missing,
}

impl Catalog {
    /// The function `schema.name(...)` called with `nargs` arguments
    /// resolves to, as `FuncnameGetCandidates` finds it by name and arity:
    /// the first schema of the search path holding a candidate wins.
    /// Argument types are not compared, so two candidates of that arity in
    /// that schema are ambiguous.
    ///
    /// `arg_types` are the call's argument types where they are evident
    /// (a literal, a cast): among overloads of the same arity, the only
    /// one whose argument types are exactly those is the one called.
    pub fn lookup_function(
        &self,
        schema: Option<&str>,
        name: &str,
        arg_types: &[Option<String>],
        search_path: &[String],
    ) -> FnLookup<'_> {
        let Some(all) = self.functions.get(name) else {
            return FnLookup::Missing;
        };
        let nargs = arg_types.len();
        let pick = |schema: &str| -> FnLookup<'_> {
            let hits: Vec<&Function> = all
                .iter()
                .filter(|f| f.name.schema == schema && !f.is_procedure && f.accepts(nargs))
                .collect();
            match hits.as_slice() {
                [f] => FnLookup::Found(f),
                [] => FnLookup::Missing,
                many => {
                    let exact: Vec<&&Function> = many
                        .iter()
                        .filter(|f| {
                            arg_types
                                .iter()
                                .zip(&f.arg_types)
                                .all(|(a, t)| a.as_ref() == Some(t))
                        })
                        .collect();
                    match exact.as_slice() {
                        [f] => FnLookup::Found(f),
                        _ => FnLookup::Ambiguous,
                    }
                }
            }
        };
        match schema {
            Some(s) => pick(s),
            None => {
                for s in search_path {
                    match pick(s) {
                        FnLookup::Missing => continue,
                        found => return found,
                    }
                }
                FnLookup::Missing
            }
        }
    }

    /// The function or procedure `name(args)` (`None`: the only one of
    /// that name, as `DROP FUNCTION f` without a list requires).
    pub fn function(&self, name: &QName, args: Option<&[String]>) -> Option<&Function> {
        let all = self.functions.get(&name.name)?;
        let mut hits = all
            .iter()
            .filter(|f| &f.name == name && args.is_none_or(|a| f.arg_types.as_slice() == a));
        match (hits.next(), hits.next()) {
            (Some(f), None) => Some(f),
            _ => None,
        }
    }

    /// Add a function, replacing one of the same name and argument types
    /// (CREATE OR REPLACE keeps what depends on it).
    pub fn add_function(&mut self, f: Function) {
        let all = self.functions.entry(f.name.name.clone()).or_default();
        match all
            .iter_mut()
            .find(|x| x.name == f.name && x.arg_types == f.arg_types)
        {
            Some(old) => *old = f,
            None => all.push(f),
        }
    }

    pub fn remove_function(&mut self, name: &QName, args: &[String]) -> Option<Function> {
        let all = self.functions.get_mut(&name.name)?;
        let i = all
            .iter()
            .position(|f| &f.name == name && f.arg_types.as_slice() == args)?;
        let f = all.remove(i);
        if all.is_empty() {
            self.functions.remove(&name.name);
        }
        Some(f)
    }

    /// The functions created in `schema`.
    pub fn functions_in_schema(&self, schema: &str) -> Vec<&Function> {
        let mut v: Vec<&Function> = self
            .functions
            .values()
            .flatten()
            .filter(|f| f.name.schema == schema)
            .collect();
        v.sort_by_key(|f| f.signature());
        v
    }

    /// What uses the function `name(args)` (`args` `None`: any overload),
    /// relation by relation in name order: found through the reverse links
    /// of [`Relations::using_function`], not by scanning the catalog.
    pub fn function_users(&self, name: &QName, args: Option<&[String]>) -> Vec<(QName, UseKind)> {
        let mut out = Vec::new();
        for q in self.relations.using_function(name) {
            let Some(r) = self.get(&q) else { continue };
            for u in &r.function_uses {
                if u.func.matches(name, args) && !out.contains(&(q.clone(), u.kind.clone())) {
                    out.push((q.clone(), u.kind.clone()));
                }
            }
        }
        out
    }

    pub fn new() -> Self {
        let mut c = Catalog::default();
        c.schemas.insert("public".into(), Origin::default());
        c
    }

    pub fn get(&self, q: &QName) -> Option<&Relation> {
        self.relations.get(q)
    }

    pub fn get_mut(&mut self, q: &QName) -> Option<&mut Relation> {
        self.relations.get_mut(q)
    }

    pub fn contains(&self, q: &QName) -> bool {
        self.relations.contains_key(q)
    }

    /// All partitions and inheritance children, recursively (not `q` itself).
    pub fn descendants(&self, q: &QName) -> Vec<QName> {
        let mut out = Vec::new();
        let mut stack = vec![q.clone()];
        while let Some(cur) = stack.pop() {
            if let Some(r) = self.get(&cur) {
                for d in r.descendants_direct() {
                    if !out.contains(d) && d != q {
                        out.push(d.clone());
                        stack.push(d.clone());
                    }
                }
            }
        }
        out
    }

    /// Partitions only, recursively.
    pub fn partitions_deep(&self, q: &QName) -> Vec<QName> {
        let mut out = Vec::new();
        let mut stack = vec![q.clone()];
        while let Some(cur) = stack.pop() {
            if let Some(r) = self.get(&cur) {
                for d in &r.partitions {
                    if !out.contains(d) {
                        out.push(d.clone());
                        stack.push(d.clone());
                    }
                }
            }
        }
        out
    }

    /// Tables whose foreign keys reference `q`: (table, constraint name).
    pub fn referencing(&self, q: &QName) -> Vec<(QName, String)> {
        let mut v: Vec<(QName, String)> = self
            .relations
            .pointing_at(q)
            .iter()
            .filter_map(|p| self.get(p))
            .flat_map(|r| {
                r.constraints.iter().filter_map(move |c| match &c.kind {
                    ConstraintKind::ForeignKey { ref_table, .. } if ref_table == q => {
                        Some((r.name.clone(), c.name.clone()))
                    }
                    _ => None,
                })
            })
            .collect();
        v.sort();
        v
    }

    /// Views and materialized views that read `q`.
    pub fn dependent_views(&self, q: &QName) -> Vec<QName> {
        let mut v: Vec<QName> = self
            .relations
            .pointing_at(q)
            .iter()
            .filter_map(|p| self.get(p))
            // A table made by CREATE TABLE AS keeps no dependency on the
            // relations its query read: only views and matviews do.
            .filter(|r| matches!(r.kind, RelKind::View | RelKind::MatView))
            .filter(|r| r.depends_on.contains(q))
            .map(|r| r.name.clone())
            .collect();
        v.sort();
        v
    }

    /// Find the index named `name` in the given schema.
    pub fn index_table(&self, index: &QName) -> Option<&QName> {
        self.get(index)
            .and_then(|r| r.index.as_ref())
            .map(|i| &i.table)
    }

    /// The relation, or what the history did to it when the history does
    /// not create it (see `unseen`).
    pub fn known_facts(&self, q: &QName) -> Option<&Relation> {
        self.get(q).or_else(|| self.unseen.get(q).map(|r| &**r))
    }

    /// Run `f` with the facts kept about `q`, a relation the history does
    /// not create, standing in the catalog as if it were known (so the
    /// replay of ALTER TABLE records them the usual way); they go back to
    /// `unseen` afterwards.
    pub fn with_unseen(&mut self, q: &QName, f: impl FnOnce(&mut Catalog)) {
        let r = self
            .unseen
            .remove(q)
            .map(|b| *b)
            .unwrap_or_else(|| Relation::new(q.clone(), RelKind::Table, Origin::default()));
        self.relations.insert(q.clone(), r);
        f(self);
        if let Some(r) = self.relations.remove(q) {
            self.unseen.insert(q.clone(), Box::new(r));
        }
    }

    /// Mark `index` as the one its table is clustered on (`None`: none).
    pub fn set_clustered(&mut self, table: &QName, index: Option<&QName>) {
        let indexes = self
            .get(table)
            .map(|r| r.indexes.clone())
            .unwrap_or_default();
        for i in indexes {
            let on = index == Some(&i);
            if let Some(info) = self.get_mut(&i).and_then(|r| r.index.as_mut()) {
                info.clustered = on;
            }
        }
    }

    /// The typed tables of composite type `ty`, in name order.
    pub fn typed_tables(&self, ty: &QName) -> Vec<QName> {
        let mut v: Vec<QName> = self
            .relations
            .values()
            .filter(|r| r.of_type.as_ref() == Some(ty))
            .map(|r| r.name.clone())
            .collect();
        v.sort();
        v
    }

    /// The indexes of the partitions of `index`'s table that are attached
    /// to it, at every level (partitioned ones included).
    pub fn partition_indexes(&self, index: &QName) -> Vec<QName> {
        let Some(table) = self.index_table(index) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut parents = vec![index.clone()];
        for p in self.partitions_deep(table) {
            let Some(r) = self.get(&p) else { continue };
            for i in &r.indexes {
                let parent = self.get(i).and_then(|x| x.index.as_ref()?.parent.clone());
                if parent.is_some_and(|pa| parents.contains(&pa)) {
                    parents.push(i.clone());
                    out.push(i.clone());
                }
            }
        }
        out
    }

    /// Remove a relation and everything hanging off it (indexes, owned
    /// sequences, partition/inheritance links, constraints of others that
    /// pointed at it).
    pub fn remove_relation(&mut self, q: &QName) {
        self.unseen.remove(q);
        let Some(rel) = self.relations.remove(q) else {
            return;
        };
        for idx in &rel.indexes {
            self.relations.remove(idx);
        }
        for p in rel.partitions.iter().chain(rel.children.iter()) {
            if rel.kind == RelKind::PartitionedTable && rel.partitions.contains(p) {
                self.remove_relation(p);
            } else if let Some(child) = self.get_mut(p) {
                child.inherits.retain(|x| x != q);
            }
        }
        if let Some(parent) = &rel.partition_of {
            if let Some(p) = self.get_mut(parent) {
                p.partitions.retain(|x| x != q);
            }
        }
        for parent in &rel.inherits {
            if let Some(p) = self.get_mut(parent) {
                p.children.retain(|x| x != q);
            }
        }
        if let Some(info) = &rel.index {
            if let Some(t) = self.get_mut(&info.table) {
                t.indexes.retain(|x| x != q);
            }
        }
        // Owned sequences go with their table.
        let pointing = self.relations.pointing_at(q);
        for s in self.owned_sequences(q) {
            self.relations.remove(&s);
        }
        // Only relations that point at `q` hold links to drop.
        for p in &pointing {
            if let Some(r) = self.relations.get_mut(p) {
                r.constraints.retain(|c| !matches!(&c.kind, ConstraintKind::ForeignKey { ref_table, .. } if ref_table == q));
                r.depends_on.retain(|d| d != q);
            }
        }
    }

    /// Sequences owned by columns of `q` (serial / identity), in name order.
    pub fn owned_sequences(&self, q: &QName) -> Vec<QName> {
        let mut v: Vec<QName> = self
            .relations
            .pointing_at(q)
            .iter()
            .filter_map(|p| self.get(p))
            .filter(|r| {
                r.kind == RelKind::Sequence
                    && r.owned_by.as_ref().map(|(t, _)| t == q).unwrap_or(false)
            })
            .map(|r| r.name.clone())
            .collect();
        v.sort();
        v
    }

    /// Rename a relation in place, keeping every reference to it current.
    pub fn rename_relation(&mut self, from: &QName, to: QName) {
        if !self.relations.contains_key(from) {
            if let Some(mut r) = self.unseen.remove(from) {
                r.name = to.clone();
                self.unseen.insert(to, r);
            }
            return;
        }
        // Only relations that hold the name have references to rewrite.
        let holders = self.relations.pointing_at(from);
        let Some(mut rel) = self.relations.remove(from) else {
            return;
        };
        rel.name = to.clone();
        self.relations.insert(to.clone(), rel);
        // The links below change from `from` to `to` only: the reverse
        // links move with them instead of being rebuilt.
        self.relations.renamed(from, &to);
        for h in &holders {
            let key = if h == from { &to } else { h };
            let Some(r) = self.relations.map.get_mut(key).map(Arc::make_mut) else {
                continue;
            };
            for x in r
                .indexes
                .iter_mut()
                .chain(r.partitions.iter_mut())
                .chain(r.children.iter_mut())
                .chain(r.inherits.iter_mut())
                .chain(r.depends_on.iter_mut())
                .chain(r.partition_of.iter_mut())
            {
                if x == from {
                    *x = to.clone();
                }
            }
            if let Some(i) = &mut r.index {
                if &i.table == from {
                    i.table = to.clone();
                }
                if i.parent.as_ref() == Some(from) {
                    i.parent = Some(to.clone());
                }
            }
            if let Some((t, _)) = &mut r.owned_by {
                if t == from {
                    *t = to.clone();
                }
            }
            for (t, _) in &mut r.scan_filters {
                if t == from {
                    *t = to.clone();
                }
            }
            for c in &mut r.constraints {
                if let ConstraintKind::ForeignKey { ref_table, .. } = &mut c.kind {
                    if ref_table == from {
                        *ref_table = to.clone();
                    }
                }
                if c.index.as_ref() == Some(from) {
                    c.index = Some(to.clone());
                }
            }
        }
    }
}
