//! Per-session settings that change what statements mean or do:
//! search_path (name resolution), TimeZone (timestamp conversions),
//! lock_timeout / statement_timeout (rules read them).

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Setting<T> {
    pub value: T,
    /// Set with SET LOCAL: reverts at the end of the transaction.
    pub local: bool,
    /// Byte offset of the statement that set it (0 for the runner's).
    pub at: usize,
    /// Set by the migration runner before the file (`session:` in
    /// ddlint.yaml), not by the file.
    pub runner: bool,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub search_path: Vec<String>,
    pub timezone_utc: bool,
    pub lock_timeout: Option<Setting<Option<Duration>>>,
    pub statement_timeout: Option<Setting<Option<Duration>>>,
    /// `session_replication_role = replica`: triggers that fire on origin
    /// (every foreign key's, and ordinary ones) do not fire.
    pub replica: Option<Setting<bool>>,
}

impl Session {
    pub fn new(timezone_utc: bool) -> Self {
        Session {
            search_path: vec!["public".into()],
            timezone_utc,
            lock_timeout: None,
            statement_timeout: None,
            replica: None,
        }
    }

    /// The session the runner prepares for a file: the server's defaults,
    /// then what `session:` in ddlint.yaml sets.
    pub fn prepared(timezone_utc: bool, runner: Option<&crate::input::RunnerSession>) -> Self {
        let mut s = Session::new(timezone_utc);
        let Some(r) = runner else { return s };
        let set = |v: Option<Duration>| Setting {
            value: v,
            local: false,
            at: 0,
            runner: true,
        };
        s.lock_timeout = r.lock_timeout.map(set);
        s.statement_timeout = r.statement_timeout.map(set);
        if let Some(p) = &r.search_path {
            s.search_path = p
                .iter()
                .filter(|x| !x.is_empty() && *x != "$user" && *x != "pg_catalog")
                .cloned()
                .collect();
        }
        if let Some(z) = &r.timezone {
            s.timezone_utc = is_utc_zone(z);
        }
        s
    }

    /// Foreign-key triggers fire (not in replica mode).
    pub fn fk_triggers_fire(&self) -> bool {
        !self.replica.as_ref().is_some_and(|r| r.value)
    }

    /// The schema new unqualified objects are created in.
    pub fn creation_schema(&self) -> &str {
        self.search_path
            .first()
            .map(|s| s.as_str())
            .unwrap_or("public")
    }

    /// At the end of a transaction, SET LOCAL values revert.
    pub fn end_transaction(&mut self) {
        if self.lock_timeout.as_ref().map(|s| s.local).unwrap_or(false) {
            self.lock_timeout = None;
        }
        if self
            .statement_timeout
            .as_ref()
            .map(|s| s.local)
            .unwrap_or(false)
        {
            self.statement_timeout = None;
        }
        if self.replica.as_ref().is_some_and(|s| s.local) {
            self.replica = None;
        }
    }
}

/// `'5s'`, `5000`, `'1min'`, `'0'`: PostgreSQL's time units for
/// millisecond settings. `Some(None)` is "disabled" (0).
pub fn parse_duration_ms(s: &str) -> Option<Option<Duration>> {
    let s = s.trim().trim_matches('\'').trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let ms = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" => n,
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "min" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        "d" => n * 86_400_000.0,
        _ => return None,
    };
    if ms <= 0.0 {
        Some(None)
    } else {
        Some(Some(Duration::from_micros((ms * 1000.0) as u64)))
    }
}

/// Whether the session TimeZone `value` (as `SET timezone` or
/// `--timezone` gives it) makes `timestamp <-> timestamptz` conversions
/// free, so PostgreSQL 12+ changes a column between the two without a
/// rewrite: see `timezone::Zone::is_utc`. A value the server would refuse
/// is not UTC (the setting would not change).
pub fn is_utc_zone(value: &str) -> bool {
    super::timezone::parse(value).is_ok_and(|z| z.is_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration_ms("'5s'"),
            Some(Some(Duration::from_secs(5)))
        );
        assert_eq!(
            parse_duration_ms("500"),
            Some(Some(Duration::from_millis(500)))
        );
        assert_eq!(
            parse_duration_ms("'1min'"),
            Some(Some(Duration::from_secs(60)))
        );
        assert_eq!(parse_duration_ms("0"), Some(None));
        assert_eq!(parse_duration_ms("'abc'"), None);
    }
}
