//! Production statistics: the snapshot `ddlint stats` writes (the shape of
//! production, never its data), how it is read back, and the model that
//! turns a statement's blocking work into bytes and seconds.
//!
//! - [`Snapshot`]: the versioned JSON file (`ddlint-stats.json`), documented
//!   in README.md ("Production statistics"). Per relation: kind, estimated
//!   rows, heap / TOAST / index bytes, each index's size, read and write
//!   rates, and per column `null_frac` and `n_distinct` only (no values).
//!   Captured by `dryrun::capture` (it talks to a server).
//! - [`Model`]: the thresholds and throughputs (`stats:` in ddlint.yaml),
//!   with [`Work::seconds`], the one place a duration is estimated.
//!
//! The rules stage attaches the estimate to findings (`rules::impact`); the
//! dry-run seeds tables from a snapshot (`dryrun::seed`) and `ddlint stats
//! --calibrate` fits the throughputs to a dry-run's measurements
//! ([`calibrate`]).

pub mod calibrate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::catalog::QName;

/// The `format` field of a snapshot.
pub const FORMAT: &str = "ddlint-stats";
/// The snapshot format version this build writes and reads.
pub const VERSION: u32 = 1;

/// What `ddlint stats` captured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always `ddlint-stats`.
    pub format: String,
    pub version: u32,
    /// When it was captured (the server's clock, UTC, RFC 3339).
    pub captured_at: String,
    /// The ddlint that captured it.
    pub ddlint: String,
    pub server: Server,
    /// Seconds between the two reads of the activity counters (0: rates
    /// are averages since the statistics were last reset).
    pub sample_seconds: f64,
    /// Where rates come from when not sampled: the counters' reset time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates_since: Option<String>,
    pub relations: Vec<RelationStats>,
    /// What the role could not read, and why (never fatal).
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Server {
    /// `version()`.
    pub version: String,
    /// `server_version_num`, e.g. 150018.
    pub version_num: u32,
    pub max_connections: u32,
    /// The server's TimeZone setting (what the capturing role sees).
    pub timezone: String,
    pub database: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RelationStats {
    pub schema: String,
    pub name: String,
    /// table, partitioned table, materialized view, foreign table.
    pub kind: String,
    /// The partitioned table this is a partition of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// Estimated live rows (`reltuples`; for a partitioned table the sum of
    /// its partitions); absent when never vacuumed or analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The main fork (`pg_relation_size`); for a partitioned table the sum
    /// of its partitions.
    pub heap_bytes: u64,
    pub toast_bytes: u64,
    pub index_bytes: u64,
    /// heap_bytes / rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_row_bytes: Option<u64>,
    #[serde(default)]
    pub indexes: Vec<IndexStats>,
    /// Per-second activity (absent: could not be read or not sampled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
    /// Per column, for the columns the role may read (`pg_stats`).
    #[serde(default)]
    pub columns: Vec<ColumnStats>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Parent {
    pub schema: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexStats {
    pub name: String,
    pub bytes: u64,
    pub unique: bool,
    pub primary: bool,
}

/// Per second, from `pg_stat_user_tables` counters.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Rates {
    pub seq_scans: f64,
    pub index_scans: f64,
    pub inserts: f64,
    pub updates: f64,
    pub deletes: f64,
}

impl Rates {
    /// Scans per second: each is (part of) a query that reads the table.
    pub fn reads(&self) -> f64 {
        self.seq_scans + self.index_scans
    }
    /// Rows written per second (inserted, updated, deleted).
    pub fn writes(&self) -> f64 {
        self.inserts + self.updates + self.deletes
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ColumnStats {
    pub name: String,
    /// Fraction of rows where the column is NULL.
    pub null_frac: f64,
    /// Positive: the number of distinct values; negative: minus the
    /// fraction of rows that are distinct (-1: unique), as `pg_stats`
    /// gives it.
    pub n_distinct: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Unreadable {
    /// What could not be read (`column statistics of public.users`).
    pub what: String,
    pub why: String,
}

impl RelationStats {
    pub fn qname(&self) -> QName {
        QName::new(self.schema.as_str(), self.name.as_str())
    }
    /// Heap and TOAST: what a rewrite copies.
    pub fn table_bytes(&self) -> u64 {
        self.heap_bytes + self.toast_bytes
    }
    pub fn total_bytes(&self) -> u64 {
        self.heap_bytes + self.toast_bytes + self.index_bytes
    }
    pub fn column(&self, name: &str) -> Option<&ColumnStats> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct LoadError {
    pub path: String,
    pub why: String,
}

/// A snapshot with its relations by name.
#[derive(Debug)]
pub struct Stats {
    pub path: PathBuf,
    pub snapshot: Snapshot,
    by_name: HashMap<QName, usize>,
    /// index name (schema-qualified) -> its table's position
    by_index: HashMap<QName, usize>,
}

impl Stats {
    pub fn load(path: &Path) -> Result<Stats, LoadError> {
        let err = |why: String| LoadError {
            path: path.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            err(format!(
                "{e}: write the statistics with `ddlint stats --db URL -o {}`",
                path.display()
            ))
        })?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| err(format!("not a ddlint stats file: {e}")))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(err(
                "not a ddlint stats file (no \"format\": \"ddlint-stats\"): write one with `ddlint stats --db URL -o FILE`".into(),
            ));
        }
        match v.get("version").and_then(|f| f.as_u64()) {
            Some(n) if n == u64::from(VERSION) => {}
            Some(n) => {
                return Err(err(format!(
                    "stats format version {n}; this ddlint reads version {VERSION}: capture it again with this ddlint"
                )))
            }
            None => return Err(err("no \"version\"".into())),
        }
        let snapshot: Snapshot = serde_json::from_value(v).map_err(|e| err(e.to_string()))?;
        Ok(Stats::new(path.to_path_buf(), snapshot))
    }

    pub fn new(path: PathBuf, snapshot: Snapshot) -> Stats {
        let mut by_name = HashMap::new();
        let mut by_index = HashMap::new();
        for (i, r) in snapshot.relations.iter().enumerate() {
            by_name.insert(r.qname(), i);
            for ix in &r.indexes {
                by_index.insert(QName::new(r.schema.as_str(), ix.name.as_str()), i);
            }
        }
        Stats {
            path,
            snapshot,
            by_name,
            by_index,
        }
    }

    pub fn relation(&self, q: &QName) -> Option<&RelationStats> {
        self.by_name.get(q).map(|i| &self.snapshot.relations[*i])
    }

    /// The table an index (schema-qualified) belongs to.
    pub fn table_of_index(&self, q: &QName) -> Option<&RelationStats> {
        self.by_index.get(q).map(|i| &self.snapshot.relations[*i])
    }
}

/// A threshold in rows or in bytes (`10000`, `"50MB"`, `"2GB"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Rows(u64),
    Bytes(u64),
}

impl Size {
    pub fn parse(s: &str) -> Option<Size> {
        let s = s.trim().replace('_', "");
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().ok()?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "rows" => return Some(Size::Rows(n)),
            "b" | "bytes" => 1,
            "kb" | "k" => 1 << 10,
            "mb" | "m" => 1 << 20,
            "gb" | "g" => 1 << 30,
            "tb" | "t" => 1 << 40,
            _ => return None,
        };
        Some(Size::Bytes(n.checked_mul(mult)?))
    }

    /// Whether a relation is below this size (unknown rows: not below).
    pub fn above(&self, r: &RelationStats) -> bool {
        match *self {
            Size::Rows(n) => r.rows.is_some_and(|x| x > n),
            Size::Bytes(n) => r.total_bytes() > n,
        }
    }
    pub fn below(&self, r: &RelationStats) -> bool {
        match *self {
            Size::Rows(n) => r.rows.is_some_and(|x| x < n),
            Size::Bytes(n) => r.total_bytes() < n,
        }
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Size, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Size::Rows(n)),
            Raw::S(s) => Size::parse(&s).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{s}` is not a size: a number of rows (10000) or bytes with a unit (50MB, 2GB)"
                ))
            }),
        }
    }
}

/// The kinds of blocking work a statement does on one relation, each with
/// its own throughput.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Reading every row under the lock (CHECK / NOT NULL validation,
    /// ATTACH PARTITION's constraint check).
    Scan,
    /// A foreign key's validation: the referencing table joined with the
    /// referenced one (both read).
    ValidateForeignKey,
    /// Building an index: read, sort, write.
    IndexBuild,
    /// A new copy of the table (and then every index rebuilt).
    Rewrite,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Scan,
        Operation::ValidateForeignKey,
        Operation::IndexBuild,
        Operation::Rewrite,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Scan => "scan",
            Operation::ValidateForeignKey => "validate_foreign_key",
            Operation::IndexBuild => "index_build",
            Operation::Rewrite => "rewrite",
        }
    }
    /// How a sentence names it.
    pub fn describe(self) -> &'static str {
        match self {
            Operation::Scan => "scan",
            Operation::ValidateForeignKey => "foreign key validation",
            Operation::IndexBuild => "index build",
            Operation::Rewrite => "rewrite",
        }
    }
}

/// Throughputs in MB/s of the table's bytes (heap + TOAST) for each
/// operation; see README "How long: the model".
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Throughput {
    pub scan: f64,
    pub validate_foreign_key: f64,
    pub index_build: f64,
    pub rewrite: f64,
}

impl Default for Throughput {
    /// Fitted by `ddlint stats --calibrate` to `scripts/bench-estimates.sh`
    /// (100k, 1M and 5M rows, PostgreSQL 15 with stock settings, 2 cores,
    /// the tables in the OS cache): see README "How long: the model".
    fn default() -> Self {
        Throughput {
            scan: 1900.0,
            validate_foreign_key: 570.0,
            index_build: 180.0,
            rewrite: 90.0,
        }
    }
}

impl Throughput {
    pub fn get(&self, op: Operation) -> f64 {
        match op {
            Operation::Scan => self.scan,
            Operation::ValidateForeignKey => self.validate_foreign_key,
            Operation::IndexBuild => self.index_build,
            Operation::Rewrite => self.rewrite,
        }
    }
    pub fn set(&mut self, op: Operation, v: f64) {
        match op {
            Operation::Scan => self.scan = v,
            Operation::ValidateForeignKey => self.validate_foreign_key = v,
            Operation::IndexBuild => self.index_build = v,
            Operation::Rewrite => self.rewrite = v,
        }
    }
}

/// `stats:` in ddlint.yaml.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The snapshot to read (relative to the configuration file).
    pub file: Option<PathBuf>,
    /// Locking findings on smaller relations become info.
    pub small_table: Option<Size>,
    /// Locking findings on larger relations are errors.
    pub large_table: Option<Size>,
    /// Connections the application may hold [default: max_connections].
    pub pool_size: Option<u32>,
    #[serde(default)]
    pub throughput: Throughput,
}

/// Default `small_table`: an index build or scan of 10,000 rows takes
/// milliseconds.
pub const SMALL_TABLE: Size = Size::Rows(10_000);
/// Default `large_table`.
pub const LARGE_TABLE: Size = Size::Rows(10_000_000);

/// Everything the estimate needs: the snapshot and the configuration.
#[derive(Debug)]
pub struct Model {
    pub stats: Stats,
    pub small_table: Size,
    pub large_table: Size,
    pub pool_size: Option<u32>,
    pub throughput: Throughput,
}

impl Model {
    pub fn new(stats: Stats, config: &Config) -> Model {
        Model {
            stats,
            small_table: config.small_table.unwrap_or(SMALL_TABLE),
            large_table: config.large_table.unwrap_or(LARGE_TABLE),
            pool_size: config.pool_size,
            throughput: config.throughput,
        }
    }
    /// The connections that run out: `pool_size`, else max_connections.
    pub fn pool(&self) -> u32 {
        self.pool_size
            .unwrap_or(self.stats.snapshot.server.max_connections)
    }
}

/// One piece of blocking work: an operation on a relation's bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Work {
    pub relation: QName,
    pub operation: Operation,
    pub bytes: u64,
    pub seconds: f64,
}

impl Work {
    pub fn new(relation: QName, operation: Operation, bytes: u64, t: &Throughput) -> Work {
        let seconds = seconds(bytes, t.get(operation));
        Work {
            relation,
            operation,
            bytes,
            seconds,
        }
    }
}

/// bytes / (MB/s).
pub fn seconds(bytes: u64, mb_per_s: f64) -> f64 {
    if mb_per_s <= 0.0 {
        return 0.0;
    }
    bytes as f64 / (mb_per_s * 1024.0 * 1024.0)
}

/// "48 GB", "812 kB", as pg_size_pretty rounds (to whole units).
pub fn pretty_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 * 10.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u > 0 && v >= 1024.0 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} bytes")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// "~9 min", "~2.4 s", "~40 ms".
pub fn pretty_seconds(s: f64) -> String {
    if s < 0.001 {
        "<1 ms".to_string()
    } else if s < 1.0 {
        format!("~{:.0} ms", s * 1000.0)
    } else if s < 10.0 {
        format!("~{s:.1} s")
    } else if s < 120.0 {
        format!("~{s:.0} s")
    } else if s < 7200.0 {
        format!("~{:.0} min", s / 60.0)
    } else {
        format!("~{:.1} h", s / 3600.0)
    }
}

/// 3400 -> "3,400".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(Size::parse("10000"), Some(Size::Rows(10_000)));
        assert_eq!(Size::parse("10_000 rows"), Some(Size::Rows(10_000)));
        assert_eq!(Size::parse("50MB"), Some(Size::Bytes(50 << 20)));
        assert_eq!(Size::parse("2 GB"), Some(Size::Bytes(2 << 30)));
        assert_eq!(Size::parse("2 parsecs"), None);
    }

    #[test]
    fn pretty() {
        assert_eq!(pretty_bytes(512), "512 bytes");
        assert_eq!(pretty_bytes(48 << 30), "48 GB");
        assert_eq!(pretty_bytes(8192 * 1000), "7.8 MB");
        assert_eq!(pretty_seconds(540.0), "~9 min");
        assert_eq!(pretty_seconds(0.3), "~300 ms");
        assert_eq!(thousands(3400), "3,400");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
