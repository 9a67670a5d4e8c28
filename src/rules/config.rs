//! Configuration: `ddlint.yaml` / `.ddlint.yaml`, found by walking up from
//! the current directory (or given with `--config`). Unknown keys are an
//! error naming the key and the file. Command-line flags override the file
//! key by key (see `cli.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::meta::RuleMeta;
use super::{Category, Severity};

/// The configuration file names (also project markers for the source stage).
pub use crate::input::CONFIG_FILE_NAMES as FILE_NAMES;
pub const DEFAULT_LOCK_TIMEOUT_MAX: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// PostgreSQL major version the migrations run on.
    pub pg_version: Option<u32>,
    /// The migration tool wraps each file in a transaction.
    pub assume_in_transaction: Option<bool>,
    /// Largest acceptable `lock_timeout` (e.g. `10s`, `500ms`).
    pub lock_timeout_max: Option<String>,
    /// Paths (globs) never linted.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub rules: RuleSelection,
    /// Rule id or category -> error | warning | info | off.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// Template / psql variables (used by the migration-tool layouts).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Production statistics (`ddlint stats`) and the size/time model.
    #[serde(default)]
    pub stats: crate::stats::Config,
    /// What the migration runner sets before each migration.
    #[serde(default)]
    pub session: SessionConfig,
}

/// `session:`: settings the migration runner applies before each
/// migration (a script it runs first, connection options, `ALTER ROLE ...
/// SET`). The model starts each file from them; `dry-run` applies them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub lock_timeout: Option<Scalar>,
    pub statement_timeout: Option<Scalar>,
    /// A list, or one comma-separated string as `SET search_path` takes.
    pub search_path: Option<SearchPath>,
    pub timezone: Option<String>,
    pub role: Option<String>,
}

/// A YAML scalar written as a number (`0`, milliseconds) or a string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Int(u64),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Int(n) => n.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SearchPath {
    List(Vec<String>),
    Text(String),
}

impl SessionConfig {
    /// The runner's session, checked: `key` names it in errors.
    fn resolve(&self, key: &str, file: &str) -> Result<crate::input::RunnerSession, ConfigError> {
        let duration =
            |k: &str, v: &Option<Scalar>| -> Result<Option<Option<Duration>>, ConfigError> {
                match v {
                    None => Ok(None),
                    Some(v) => crate::model::session::parse_duration_ms(&v.text())
                        .map(Some)
                        .ok_or_else(|| {
                            ConfigError(format!(
                            "{file}: `{key}.{k}`: `{}` is not a duration (e.g. 3s, 500ms, 1min, 0)",
                            v.text()
                        ))
                        }),
                }
            };
        if let Some(z) = &self.timezone {
            crate::model::timezone::parse(z)
                .map_err(|e| ConfigError(format!("{file}: `{key}.timezone`: {e}")))?;
        }
        Ok(crate::input::RunnerSession {
            lock_timeout: duration("lock_timeout", &self.lock_timeout)?,
            statement_timeout: duration("statement_timeout", &self.statement_timeout)?,
            search_path: self.search_path.as_ref().map(|p| match p {
                SearchPath::List(v) => v.iter().map(|s| s.trim().to_string()).collect(),
                SearchPath::Text(s) => s
                    .split(',')
                    .map(|x| x.trim().trim_matches('"').to_string())
                    .filter(|x| !x.is_empty())
                    .collect(),
            }),
            timezone: self.timezone.clone(),
            role: self.role.clone(),
        })
    }
}

/// Later layers' fields win.
fn merge_session(
    base: &crate::input::RunnerSession,
    over: &crate::input::RunnerSession,
) -> crate::input::RunnerSession {
    crate::input::RunnerSession {
        lock_timeout: over.lock_timeout.or(base.lock_timeout),
        statement_timeout: over.statement_timeout.or(base.statement_timeout),
        search_path: over
            .search_path
            .clone()
            .or_else(|| base.search_path.clone()),
        timezone: over.timezone.clone().or_else(|| base.timezone.clone()),
        role: over.role.clone().or_else(|| base.role.clone()),
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSelection {
    /// Rule ids or categories (or `all`) to turn on.
    #[serde(default)]
    pub enable: Vec<String>,
    /// Rule ids or categories (or `all`) to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Globs the override applies to.
    pub paths: Vec<String>,
    #[serde(default)]
    pub rules: RuleSelection,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// The runner's session for these paths (fields given here win).
    #[serde(default)]
    pub session: SessionConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    At(Severity),
}

#[derive(Debug, Default, Clone)]
struct Policy {
    enable: Vec<String>,
    disable: Vec<String>,
    severity: Vec<(String, Level)>,
    session: crate::input::RunnerSession,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: Option<PathBuf>,
    pub pg_version: Option<u32>,
    pub assume_in_transaction: Option<bool>,
    pub lock_timeout_max: Duration,
    pub variables: BTreeMap<String, String>,
    exclude: GlobSet,
    base: Policy,
    overrides: Vec<(GlobSet, Policy)>,
    /// From the command line: applied after everything in the file.
    cli: Policy,
    root: Option<PathBuf>,
    /// Report every rule's finding on its own instead of one per problem
    /// (`--ungrouped`, for measuring what grouping merges).
    pub ungrouped: bool,
    /// `stats:` (its `file` made relative to the current directory).
    pub stats_config: crate::stats::Config,
    /// The loaded statistics and model (`--stats` or `stats.file`).
    pub stats: Option<std::sync::Arc<crate::stats::Model>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            source: None,
            pg_version: None,
            assume_in_transaction: None,
            lock_timeout_max: DEFAULT_LOCK_TIMEOUT_MAX,
            variables: BTreeMap::new(),
            exclude: GlobSet::empty(),
            base: Policy::default(),
            overrides: Vec::new(),
            cli: Policy::default(),
            root: None,
            ungrouped: false,
            stats_config: crate::stats::Config::default(),
            stats: None,
        }
    }
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The nearest `ddlint.yaml` / `.ddlint.yaml` from `start` upwards.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for n in FILE_NAMES {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
        dir = d.parent();
    }
    None
}

fn known_selector(s: &str) -> bool {
    s == "all" || Category::parse(s).is_some() || super::rule(s).is_some()
}

/// "; did you mean `x`?" for an unknown selector: the closest rule id,
/// category or `all`.
fn suggestion(s: &str) -> String {
    let categories = Category::ALL.into_iter().map(|c| c.as_str());
    let words = super::RULES
        .iter()
        .map(|r| r.id)
        .chain(categories)
        .chain(["all"]);
    super::meta::did_you_mean(super::meta::closest(s, words))
}

fn check_selectors(list: &[String], key: &str, file: &str) -> Result<(), ConfigError> {
    for s in list {
        if !known_selector(s) {
            return Err(ConfigError(format!(
                "{file}: `{key}`: unknown rule or category `{s}`{} (see `ddlint rules`)",
                suggestion(s)
            )));
        }
    }
    Ok(())
}

fn levels(
    map: &BTreeMap<String, String>,
    key: &str,
    file: &str,
) -> Result<Vec<(String, Level)>, ConfigError> {
    let mut v = Vec::new();
    for (k, val) in map {
        if !known_selector(k) {
            return Err(ConfigError(format!(
                "{file}: `{key}.{k}`: unknown rule or category `{k}`{} (see `ddlint rules`)",
                suggestion(k)
            )));
        }
        let level = match val.as_str() {
            "off" => Level::Off,
            other => Level::At(Severity::parse(other).ok_or_else(|| {
                ConfigError(format!(
                    "{file}: `{key}.{k}`: unknown severity `{other}` (expected error, warning, info or off)"
                ))
            })?),
        };
        v.push((k.clone(), level));
    }
    Ok(v)
}

fn globs(list: &[String], key: &str, file: &str) -> Result<GlobSet, ConfigError> {
    let mut b = GlobSetBuilder::new();
    for g in list {
        let glob = Glob::new(g)
            .map_err(|e| ConfigError(format!("{file}: `{key}`: bad glob `{g}`: {e}")))?;
        b.add(glob);
        // `dir/` or `dir` also covers everything below it.
        let trimmed = g.trim_end_matches('/');
        if !trimmed.contains('*') {
            if let Ok(g2) = Glob::new(&format!("{trimmed}/**")) {
                b.add(g2);
            }
        }
    }
    b.build()
        .map_err(|e| ConfigError(format!("{file}: `{key}`: {e}")))
}

impl Settings {
    /// Parse a configuration file's text (`file` names it in errors).
    pub fn from_yaml(text: &str, file: &Path) -> Result<Settings, ConfigError> {
        let name = file.display().to_string();
        let cf: ConfigFile = if text.trim().is_empty() {
            ConfigFile::default()
        } else {
            serde_norway::from_str(text).map_err(|e| ConfigError(format!("{name}: {e}")))?
        };
        let mut s = Settings {
            source: Some(file.to_path_buf()),
            root: file.parent().map(|p| p.to_path_buf()),
            ..Settings::default()
        };
        if let Some(v) = cf.pg_version {
            if !(crate::model::MIN_PG..=crate::model::MAX_PG).contains(&v) {
                return Err(ConfigError(format!(
                    "{name}: `pg_version`: {v} is not supported (11-18)"
                )));
            }
            s.pg_version = Some(v);
        }
        s.assume_in_transaction = cf.assume_in_transaction;
        if let Some(t) = &cf.lock_timeout_max {
            s.lock_timeout_max = parse_duration(t).ok_or_else(|| {
                ConfigError(format!(
                    "{name}: `lock_timeout_max`: `{t}` is not a duration (e.g. 5s, 500ms, 1min)"
                ))
            })?;
        }
        s.variables = cf.variables;
        s.stats_config = cf.stats;
        if let (Some(f), Some(root)) = (&s.stats_config.file, &s.root) {
            if f.is_relative() {
                s.stats_config.file = Some(root.join(f));
            }
        }
        for (k, v) in [
            ("scan", s.stats_config.throughput.scan),
            (
                "validate_foreign_key",
                s.stats_config.throughput.validate_foreign_key,
            ),
            ("index_build", s.stats_config.throughput.index_build),
            ("rewrite", s.stats_config.throughput.rewrite),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(ConfigError(format!(
                    "{name}: `stats.throughput.{k}`: {v} is not a throughput (MB/s above 0)"
                )));
            }
        }
        s.exclude = globs(&cf.exclude, "exclude", &name)?;
        check_selectors(&cf.rules.enable, "rules.enable", &name)?;
        check_selectors(&cf.rules.disable, "rules.disable", &name)?;
        s.base = Policy {
            enable: cf.rules.enable,
            disable: cf.rules.disable,
            severity: levels(&cf.severity, "severity", &name)?,
            session: cf.session.resolve("session", &name)?,
        };
        for (i, o) in cf.overrides.into_iter().enumerate() {
            let key = format!("overrides[{i}]");
            check_selectors(&o.rules.enable, &format!("{key}.rules.enable"), &name)?;
            check_selectors(&o.rules.disable, &format!("{key}.rules.disable"), &name)?;
            let set = globs(&o.paths, &format!("{key}.paths"), &name)?;
            s.overrides.push((
                set,
                Policy {
                    enable: o.rules.enable,
                    disable: o.rules.disable,
                    severity: levels(&o.severity, &format!("{key}.severity"), &name)?,
                    session: o.session.resolve(&format!("{key}.session"), &name)?,
                },
            ));
        }
        Ok(s)
    }

    /// Load the statistics: `--stats FILE`, else `stats.file` of the
    /// configuration; none without either.
    pub fn load_stats(&mut self, cli: Option<&Path>) -> Result<(), ConfigError> {
        let Some(path) = cli
            .map(Path::to_path_buf)
            .or_else(|| self.stats_config.file.clone())
        else {
            return Ok(());
        };
        let stats = crate::stats::Stats::load(&path).map_err(|e| ConfigError(e.to_string()))?;
        self.stats = Some(std::sync::Arc::new(crate::stats::Model::new(
            stats,
            &self.stats_config,
        )));
        Ok(())
    }

    pub fn load(file: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ConfigError(format!("{}: {e}", file.display())))?;
        Settings::from_yaml(&text, file)
    }

    /// `--select` / `--ignore` / `--severity` from the command line.
    pub fn with_cli(
        mut self,
        select: &[String],
        ignore: &[String],
    ) -> Result<Settings, ConfigError> {
        check_selectors(select, "--select", "command line")?;
        check_selectors(ignore, "--ignore", "command line")?;
        self.cli.enable.extend(select.iter().cloned());
        self.cli.disable.extend(ignore.iter().cloned());
        Ok(self)
    }

    fn candidates(&self, path: &str) -> Vec<PathBuf> {
        let p = Path::new(path);
        let mut v = vec![p.to_path_buf()];
        if let Ok(stripped) = p.strip_prefix("./") {
            v.push(stripped.to_path_buf());
        }
        if let Some(root) = &self.root {
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir()
                    .map(|c| c.join(p))
                    .unwrap_or_default()
            };
            let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
            if let Ok(rel) = abs.strip_prefix(&root_abs) {
                v.push(rel.to_path_buf());
            }
        }
        v
    }

    fn matches(&self, set: &GlobSet, path: &str) -> bool {
        !set.is_empty() && self.candidates(path).iter().any(|c| set.is_match(c))
    }

    pub fn excluded(&self, path: &str) -> bool {
        self.matches(&self.exclude, path)
    }

    fn policies(&self, path: &str) -> Vec<&Policy> {
        let mut v = vec![&self.base];
        for (set, p) in &self.overrides {
            if self.matches(set, path) {
                v.push(p);
            }
        }
        v.push(&self.cli);
        v
    }

    /// Give each input the session its runner prepares (`--schema` files,
    /// the dump of what exists, start from the server's defaults).
    pub fn prepare_sessions(&self, inputs: &mut [crate::input::Input]) {
        let any = std::iter::once(&self.base)
            .chain(self.overrides.iter().map(|(_, p)| p))
            .any(|p| !p.session.is_empty());
        if !any {
            return;
        }
        let mut shared: Vec<std::sync::Arc<crate::input::RunnerSession>> = Vec::new();
        for i in inputs.iter_mut().filter(|i| i.project.is_some()) {
            i.session =
                self.session_for(&i.path)
                    .map(|s| match shared.iter().find(|x| ***x == s) {
                        Some(x) => x.clone(),
                        None => {
                            let a = std::sync::Arc::new(s);
                            shared.push(a.clone());
                            a
                        }
                    });
        }
    }

    /// The session the runner prepares for a file (`session:`, then the
    /// overrides matching it); `None` when nothing is configured.
    pub fn session_for(&self, path: &str) -> Option<crate::input::RunnerSession> {
        let s = self
            .policies(path)
            .iter()
            .fold(crate::input::RunnerSession::default(), |acc, p| {
                merge_session(&acc, &p.session)
            });
        (!s.is_empty()).then_some(s)
    }

    /// Whether a rule runs on a file.
    pub fn enabled(&self, m: &RuleMeta, path: &str) -> bool {
        let mut on = m.enabled;
        let cat = m.category.as_str();
        for p in self.policies(path) {
            // Broad selectors first, the rule's own id last.
            for sel in ["all", cat, m.id.as_str()] {
                if p.enable.iter().any(|e| e == sel) {
                    on = true;
                }
                if p.disable.iter().any(|e| e == sel) {
                    on = false;
                }
                for (k, l) in &p.severity {
                    if k == sel {
                        on = *l != Level::Off;
                    }
                }
            }
        }
        on
    }

    /// The severity of a rule's findings on a file (`None`: off).
    pub fn severity(&self, m: &RuleMeta, path: &str) -> Option<Severity> {
        let mut sev = Level::At(m.severity);
        let cat = m.category.as_str();
        for p in self.policies(path) {
            for sel in ["all", cat, m.id.as_str()] {
                for (k, l) in &p.severity {
                    if k == sel {
                        sev = *l;
                    }
                }
            }
        }
        match sev {
            Level::Off => None,
            Level::At(s) => Some(s),
        }
    }
}

/// `5s`, `500ms`, `1min`, `500` (milliseconds).
pub fn parse_duration(s: &str) -> Option<Duration> {
    match crate::model::session::parse_duration_ms(s)? {
        Some(d) => Some(d),
        None => Some(Duration::ZERO),
    }
}

/// What `ddlint init` writes.
pub const DEFAULT_CONFIG: &str = r#"# ddlint configuration. ddlint finds this file by walking up from the
# current directory (ddlint.yaml or .ddlint.yaml), or takes --config FILE.
# Command-line flags override these keys one by one.

# PostgreSQL major version the migrations run on (11-18).
pg_version: 15

# The migration tool runs each file inside one transaction
# (flyway, sqlx, diesel, ... do by default).
assume_in_transaction: false

# The longest lock_timeout a migration may set before a statement that
# blocks reads or writes (a lock request waiting longer queues every query).
lock_timeout_max: 10s

# Paths (globs, relative to this file) never linted.
exclude: []
#  - migrations/archive/**

# Turn rules or whole categories on and off. Categories: locking, rewrite,
# transaction, timeout, compatibility, data-loss, failure, style, syntax.
# Style rules are off by default. `ddlint rules` lists every rule.
rules:
  enable: []
  #  - style
  disable: []
  #  - drop-column

# Severity per rule or per category: error, warning, info or off.
severity: {}
#  compatibility: warning
#  require-statement-timeout: info

# Different choices for some paths (globs); later entries win.
overrides: []
#  - paths: ["migrations/legacy/**"]
#    rules:
#      disable: [require-lock-timeout]
#    severity:
#      locking: warning

# Variables substituted in migration templates (${name}, :name).
variables: {}

# What the migration runner sets before each migration (a script, connection
# options, ALTER ROLE ... SET): files then need not set it themselves, and the
# timeout rules judge these values. Overrides may set their own `session:`.
#session:
#  lock_timeout: 3s
#  statement_timeout: 15min

# Production statistics (written by `ddlint stats --db URL -o FILE`): locking
# findings then say how large the table is, how long the blocking work lasts
# and how many queries would wait; severity follows size.
#stats:
#  file: ddlint-stats.json
#  small_table: 10000        # rows (or 50MB): findings below become info
#  large_table: 10000000     # rows (or 10GB): findings above are errors
#  pool_size: 100            # default: the server's max_connections
#  throughput: {scan: 1900, validate_foreign_key: 570, index_build: 180, rewrite: 90}   # MB/s
"#;
