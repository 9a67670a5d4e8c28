//! Where and how `ddlint dry-run` connects to PostgreSQL.
//!
//! ```ignore
//! let target = Target::resolve(Some("postgres://u@h/db?sslmode=require"))?; // or None: PG* env
//! for w in target.warnings() { eprintln!("warning: {w}"); }
//! eprintln!("{}", target.describe()); // "host h port 5432 database db user u sslmode require"
//! let client: postgres::Client = target.connect("ddlint")?; // application_name
//! ```
//!
//! # Resolution order
//!
//! Each parameter is taken from the first of:
//!
//! 1. the `--db` text: a libpq URL (`postgres://user:password@host:port/db?key=value`,
//!    percent-decoded, query parameters override the parts before them) or
//!    libpq key=value parameters (`host=h dbname='my db'`, single quotes,
//!    backslash escapes); a plain word is a database name, as for `psql`;
//! 2. the libpq environment variables: `PGHOST`, `PGHOSTADDR`, `PGPORT`,
//!    `PGDATABASE`, `PGUSER`, `PGPASSWORD`, `PGPASSFILE`, `PGSSLMODE`,
//!    `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, `PGCONNECT_TIMEOUT`,
//!    `PGAPPNAME`, `PGOPTIONS` (an empty value, here or in step 1, counts as
//!    unset);
//! 3. libpq's defaults: host = the Unix socket directory (`/var/run/postgresql`,
//!    where Debian's libpq looks, else `/tmp`, upstream's default; the one
//!    holding the socket for the port wins), or `hostaddr` when only that is
//!    given; port 5432; user = the operating-system user; database = the user
//!    name; sslmode `prefer` (`verify-full` with `sslrootcert=system`);
//!    `connect_timeout` 10 s (libpq waits forever; a dry run should fail fast).
//!
//! A password still missing then comes from the password file (`passfile`,
//! `PGPASSFILE`, else `~/.pgpass`; the `pgpass` submodule describes the format and the
//! permission check). Files for TLS default to `~/.postgresql/root.crt`,
//! `postgresql.crt` and `postgresql.key`, used when present, as libpq does.
//!
//! # TLS (`sslmode`, with libpq's meaning)
//!
//! | mode | encryption | certificate check |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow` | only if the server refuses a plain connection | as `require` |
//! | `prefer` | tried first; plain if the server has no TLS or the handshake fails | as `require` |
//! | `require` | always | chain only if a root certificate file exists |
//! | `verify-ca` | always | chain against `sslrootcert` |
//! | `verify-full` | always | chain and host name |
//!
//! Unix-socket hosts (starting with `/`) never use TLS. tokio-postgres only
//! knows disable/prefer/require: the modes are mapped onto those and the
//! certificate checks are done by the OpenSSL connector.
//!
//! # Secrets
//!
//! No `Display` or `Debug` output here contains the password ([`Target`]'s
//! `Debug` is written by hand, errors are built from known-safe parts);
//! [`redact`] strips passwords from URLs and key=value text for messages
//! elsewhere.

mod parse;
mod pgpass;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use postgres::config::SslMode as PgSslMode;
use postgres_openssl::MakeTlsConnector;

pub use parse::redact;

/// Connect timeout when none is given.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where libpq looks for the server's Unix socket by default (Debian's
/// build, then upstream's).
const SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// Connection parameters understood by ddlint, with their environment variable.
const PARAMS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("dbname", Some("PGDATABASE")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("sslmode", Some("PGSSLMODE")),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("sslcert", Some("PGSSLCERT")),
    ("sslkey", Some("PGSSLKEY")),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("application_name", Some("PGAPPNAME")),
    ("fallback_application_name", None),
    ("options", Some("PGOPTIONS")),
    ("gssencmode", None),
];

/// libpq parameters ddlint does not implement: refused rather than ignored,
/// since most of them change security or where the session goes.
const UNSUPPORTED: &[&str] = &[
    "service",
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslcompression",
    "sslcertmode",
    "sslnegotiation",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requirepeer",
    "require_auth",
    "channel_binding",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "target_session_attrs",
    "load_balance_hosts",
    "client_encoding",
    "replication",
];

/// What went wrong, for the caller to choose an exit code or a hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectErrorKind {
    /// The connection parameters are invalid (nothing was tried).
    BadParameters,
    /// No server answered at that address.
    Unreachable,
    /// The server refused the user (password, pg_hba.conf).
    Authentication,
    /// TLS could not be set up or the certificate did not verify.
    Tls,
    /// Anything else (database missing, server starting up, ...).
    Other,
}

/// A connection failure with a message that says what to do. The message
/// never contains the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectError {
    pub kind: ConnectErrorKind,
    pub message: String,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

fn err(kind: ConnectErrorKind, message: impl Into<String>) -> ConnectError {
    ConnectError {
        kind,
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> ConnectError {
    err(ConnectErrorKind::BadParameters, message)
}

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// Where the server certificate's chain is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RootCert {
    /// No file (no home directory to find the default in).
    None,
    /// A PEM file; `explicit` if given rather than the default path.
    File { path: PathBuf, explicit: bool },
    /// `sslrootcert=system`: the system's trusted CAs.
    System,
}

/// A client certificate or key file; `explicit` if given rather than the
/// default path (a missing default is no client certificate).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientFile {
    path: PathBuf,
    explicit: bool,
}

/// Where the password came from, for the hint of an authentication error.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PasswordFrom {
    None,
    Parameters,
    Env,
    File(PathBuf),
}

/// Resolved connection parameters. See the module documentation for the
/// order in which they are looked up.
#[derive(Clone)]
pub struct Target {
    /// Host name, IP address or Unix socket directory.
    host: String,
    /// Numeric address to connect to instead of resolving `host`.
    hostaddr: Option<IpAddr>,
    port: u16,
    user: String,
    dbname: String,
    password: Option<String>,
    password_from: PasswordFrom,
    /// The password file, when one applies (for `with_dbname`).
    passfile: Option<PathBuf>,
    sslmode: SslMode,
    sslrootcert: RootCert,
    sslcert: Option<ClientFile>,
    sslkey: Option<ClientFile>,
    connect_timeout: Option<Duration>,
    options: Option<String>,
    warnings: Vec<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("hostaddr", &self.hostaddr)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_from", &self.password_from)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("sslcert", &self.sslcert)
            .field("sslkey", &self.sslkey)
            .field("connect_timeout", &self.connect_timeout)
            .field("options", &self.options)
            .finish()
    }
}

/// One raw parameter value and where it came from (for error messages).
struct Raw {
    value: String,
    from: String,
}

impl Raw {
    fn describe(&self) -> &str {
        &self.from
    }
}

impl Target {
    /// Resolves `db` (URL, key=value parameters or `None`) with the process
    /// environment and home directory. Problems that libpq only warns about
    /// (an unsafe password file) are in [`Target::warnings`].
    pub fn resolve(db: Option<&str>) -> Result<Target, ConnectError> {
        let env = |k: &str| std::env::var(k).ok();
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| os_account().map(|a| a.home));
        Target::resolve_with(db, &env, home.as_deref())
    }

    /// [`Target::resolve`] with an explicit environment and home directory
    /// (`None`: no `~/.pgpass` nor `~/.postgresql/` defaults).
    pub fn resolve_with(
        db: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<Target, ConnectError> {
        let pairs = match db {
            Some(db) => parse::parse(db)?,
            None => Vec::new(),
        };
        for (key, _) in &pairs {
            if UNSUPPORTED.contains(&key.as_str()) {
                return Err(bad(format!(
                    "connection parameter \"{key}\" is not supported by ddlint: remove it"
                )));
            }
            if !PARAMS.iter().any(|(k, _)| k == key) {
                let known: Vec<&str> = PARAMS.iter().map(|(k, _)| *k).collect();
                return Err(bad(format!(
                    "unknown connection parameter \"{key}\" (known: {})",
                    known.join(", ")
                )));
            }
        }
        // Parameters first (the last occurrence wins), then the environment.
        let get = |key: &str| -> Option<Raw> {
            if let Some((_, v)) = pairs.iter().rev().find(|(k, _)| k == key) {
                if !v.is_empty() {
                    return Some(Raw {
                        value: v.clone(),
                        from: format!("parameter {key}"),
                    });
                }
            }
            let var = PARAMS.iter().find(|(k, _)| *k == key)?.1?;
            env(var).filter(|v| !v.is_empty()).map(|value| Raw {
                value,
                from: format!("from {var}"),
            })
        };

        let port = match get("port") {
            None => 5432,
            Some(raw) => match raw.value.trim().parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    return Err(bad(format!(
                        "invalid port \"{}\" ({}): give a number from 1 to 65535",
                        raw.value,
                        raw.describe()
                    )))
                }
            },
        };
        let hostaddr = match get("hostaddr") {
            None => None,
            Some(raw) => Some(raw.value.trim().parse::<IpAddr>().map_err(|_| {
                bad(format!(
                    "invalid hostaddr \"{}\" ({}): give a numeric IP address (a host name goes in host)",
                    raw.value,
                    raw.describe()
                ))
            })?),
        };
        let host = match (get("host"), hostaddr) {
            (Some(raw), _) => {
                if raw.value.contains(',') {
                    return Err(bad(format!(
                        "several hosts (\"{}\", {}) are not supported by ddlint: give one host",
                        raw.value,
                        raw.describe()
                    )));
                }
                raw.value
            }
            (None, Some(addr)) => addr.to_string(),
            (None, None) => default_host(port),
        };
        let user = match get("user") {
            Some(raw) => raw.value,
            None => os_user(env).ok_or_else(|| {
                bad("could not determine the operating-system user name: give the user (user=, the URL, or PGUSER)")
            })?,
        };
        let dbname = get("dbname").map_or_else(|| user.clone(), |r| r.value);

        let sslrootcert = match get("sslrootcert") {
            Some(raw) if raw.value == "system" => RootCert::System,
            Some(raw) => RootCert::File {
                path: PathBuf::from(raw.value),
                explicit: true,
            },
            None => home.map_or(RootCert::None, |h| RootCert::File {
                path: h.join(".postgresql").join("root.crt"),
                explicit: false,
            }),
        };
        let sslmode = match get("sslmode") {
            None if sslrootcert == RootCert::System => SslMode::VerifyFull,
            None => SslMode::Prefer,
            Some(raw) => SslMode::parse(raw.value.trim()).ok_or_else(|| {
                bad(format!(
                    "unknown sslmode \"{}\" ({}): use disable, allow, prefer, require, verify-ca or verify-full",
                    raw.value,
                    raw.describe()
                ))
            })?,
        };
        if sslrootcert == RootCert::System && sslmode != SslMode::VerifyFull {
            return Err(bad(format!(
                "sslmode={} may not be used with sslrootcert=system: use sslmode=verify-full (as libpq requires)",
                sslmode.as_str()
            )));
        }
        let client_file = |key: &str, default: &str| -> Option<ClientFile> {
            match get(key) {
                Some(raw) => Some(ClientFile {
                    path: PathBuf::from(raw.value),
                    explicit: true,
                }),
                None => home.map(|h| ClientFile {
                    path: h.join(".postgresql").join(default),
                    explicit: false,
                }),
            }
        };
        let sslcert = client_file("sslcert", "postgresql.crt");
        let sslkey = client_file("sslkey", "postgresql.key");

        let connect_timeout = match get("connect_timeout") {
            None => Some(DEFAULT_CONNECT_TIMEOUT),
            Some(raw) => match raw.value.trim().parse::<i64>() {
                // libpq: zero or negative waits forever, less than 2 s is 2 s.
                Ok(s) if s <= 0 => None,
                Ok(s) => Some(Duration::from_secs(s.max(2) as u64)),
                Err(_) => {
                    return Err(bad(format!(
                        "invalid connect_timeout \"{}\" ({}): give whole seconds",
                        raw.value,
                        raw.describe()
                    )))
                }
            },
        };
        if let Some(raw) = get("gssencmode") {
            match raw.value.as_str() {
                "disable" | "allow" | "prefer" => {}
                "require" => {
                    return Err(bad(
                        "gssencmode=require is not supported by ddlint (no GSSAPI encryption): use TLS (sslmode) instead",
                    ))
                }
                v => {
                    return Err(bad(format!(
                        "unknown gssencmode \"{v}\": use disable, prefer or require"
                    )))
                }
            }
        }
        let options = get("options").map(|r| r.value);

        let mut warnings = Vec::new();
        let passfile = get("passfile")
            .map(|r| PathBuf::from(r.value))
            .or_else(|| home.map(|h| h.join(".pgpass")));
        let (password, password_from) = match get("password") {
            Some(raw) if raw.from.starts_with("parameter") => {
                (Some(raw.value), PasswordFrom::Parameters)
            }
            Some(raw) => (Some(raw.value), PasswordFrom::Env),
            None => (None, PasswordFrom::None),
        };
        let mut target = Target {
            host,
            hostaddr,
            port,
            user,
            dbname,
            password,
            password_from,
            passfile,
            sslmode,
            sslrootcert,
            sslcert,
            sslkey,
            connect_timeout,
            options,
            warnings: Vec::new(),
        };
        if target.password.is_none() {
            target.password_from_file(&mut warnings);
        }
        target.warnings = warnings;
        Ok(target)
    }

    /// Looks the password up in the password file, if there is one.
    fn password_from_file(&mut self, warnings: &mut Vec<String>) {
        let Some(file) = self.passfile.clone() else {
            return;
        };
        let host = if self.hostaddr.is_some() && self.host.is_empty() {
            self.hostaddr.map(|a| a.to_string()).unwrap_or_default()
        } else if SOCKET_DIRS.contains(&self.host.trim_end_matches('/')) {
            // libpq: the default socket directory matches "localhost".
            "localhost".to_string()
        } else {
            self.host.clone()
        };
        let port = self.port.to_string();
        let key = pgpass::Key {
            host: &host,
            port: &port,
            dbname: &self.dbname,
            user: &self.user,
        };
        if let Some(p) = pgpass::lookup(&file, &key, warnings) {
            self.password = Some(p);
            self.password_from = PasswordFrom::File(file);
        }
    }

    /// A local server ddlint started itself: no TLS, no password.
    pub fn local(host: &str, port: u16, user: &str, dbname: &str) -> Target {
        Target {
            host: host.to_string(),
            hostaddr: None,
            port,
            user: user.to_string(),
            dbname: dbname.to_string(),
            password: None,
            password_from: PasswordFrom::None,
            passfile: None,
            sslmode: SslMode::Disable,
            sslrootcert: RootCert::None,
            sslcert: None,
            sslkey: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            options: None,
            warnings: Vec::new(),
        }
    }

    /// One line for the user, e.g. "host db.example.com port 5432 database
    /// app user deploy sslmode require". Never the password.
    pub fn describe(&self) -> String {
        let mut s = format!("host {}", self.host);
        if let Some(a) = self.hostaddr {
            if a.to_string() != self.host {
                s.push_str(&format!(" (address {a})"));
            }
        }
        s.push_str(&format!(
            " port {} database {} user {}",
            self.port, self.dbname, self.user
        ));
        if !self.is_unix_socket() {
            s.push_str(&format!(" sslmode {}", self.sslmode.as_str()));
        }
        s
    }

    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// Host name, IP address, or Unix socket directory.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// Whether a password is known (from the parameters, `PGPASSWORD` or
    /// the password file). The password itself is not exposed.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Problems found while resolving that libpq only warns about (e.g. a
    /// password file others can read, which is then ignored). The caller
    /// shows them.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A copy connecting to another database of the same server. A password
    /// from the password file is looked up again for that database, as
    /// libpq would.
    pub fn with_dbname(&self, dbname: &str) -> Target {
        let mut t = self.clone();
        t.dbname = dbname.to_string();
        if matches!(t.password_from, PasswordFrom::File(_)) {
            t.password = None;
            t.password_from = PasswordFrom::None;
            t.password_from_file(&mut Vec::new());
        }
        t
    }

    fn is_unix_socket(&self) -> bool {
        self.hostaddr.is_none() && self.host.starts_with('/')
    }

    /// "host:port" or the socket file, for messages.
    fn address(&self) -> String {
        if self.is_unix_socket() {
            format!(
                "the socket {}/.s.PGSQL.{}",
                self.host.trim_end_matches('/'),
                self.port
            )
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn config(&self, application_name: &str, mode: PgSslMode) -> postgres::Config {
        let mut c = postgres::Config::new();
        match self.hostaddr {
            // A socket path with hostaddr: libpq connects to hostaddr.
            Some(addr) if self.host.starts_with('/') => {
                c.host(&addr.to_string());
            }
            Some(addr) => {
                c.host(&self.host).hostaddr(addr);
            }
            None => {
                c.host(&self.host);
            }
        }
        c.port(self.port)
            .user(&self.user)
            .dbname(&self.dbname)
            .application_name(application_name)
            .ssl_mode(mode);
        if let Some(p) = &self.password {
            c.password(p);
        }
        if let Some(t) = self.connect_timeout {
            c.connect_timeout(t);
        }
        if let Some(o) = &self.options {
            c.options(o);
        }
        c
    }

    /// Opens a session with `application_name` set (ddlint names its own
    /// sessions so it can tell them apart; an `application_name` or
    /// `PGAPPNAME` given by the user is accepted but not used), and the
    /// `options` if given.
    /// The same target as libpq parameters for a client program
    /// (`pg_dump`): the connection string, and the environment to set (the
    /// password goes there, never on a command line).
    pub fn libpq(&self) -> (String, Vec<(&'static str, String)>) {
        let q = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
        let mut parts = vec![
            format!("host={}", q(&self.host)),
            format!("port={}", self.port),
            format!("user={}", q(&self.user)),
            format!("dbname={}", q(&self.dbname)),
            format!("sslmode={}", self.sslmode.as_str()),
        ];
        if let Some(a) = self.hostaddr {
            parts.push(format!("hostaddr={a}"));
        }
        let mut env = Vec::new();
        match &self.sslrootcert {
            RootCert::File {
                path,
                explicit: true,
            } => parts.push(format!("sslrootcert={}", q(&path.display().to_string()))),
            // libpq before 16 does not know `system`: the probed bundle.
            RootCert::System => {
                let probe = openssl_probe::probe();
                if let Some(f) = probe.cert_file {
                    parts.push(format!("sslrootcert={}", q(&f.display().to_string())));
                }
            }
            RootCert::File { .. } | RootCert::None => {}
        }
        // Default client files are libpq's defaults too.
        if let Some(c) = self.sslcert.as_ref().filter(|c| c.explicit) {
            parts.push(format!("sslcert={}", q(&c.path.display().to_string())));
        }
        if let Some(k) = self.sslkey.as_ref().filter(|k| k.explicit) {
            parts.push(format!("sslkey={}", q(&k.path.display().to_string())));
        }
        if let Some(t) = self.connect_timeout {
            parts.push(format!("connect_timeout={}", t.as_secs().max(1)));
        }
        if let Some(o) = &self.options {
            parts.push(format!("options={}", q(o)));
        }
        if let Some(p) = &self.password {
            env.push(("PGPASSWORD", p.clone()));
        }
        (parts.join(" "), env)
    }

    pub fn connect(&self, application_name: &str) -> Result<postgres::Client, ConnectError> {
        let attempt = |mode: PgSslMode| self.try_connect(application_name, mode);
        let result = if self.is_unix_socket() {
            attempt(PgSslMode::Disable)
        } else {
            match self.sslmode {
                SslMode::Disable => attempt(PgSslMode::Disable),
                SslMode::Allow => match attempt(PgSslMode::Disable) {
                    // Refused in plain text (pg_hba.conf `hostssl`): try TLS.
                    Err(Failure::Pg(e)) if e.code().is_some_and(|c| c.code().starts_with("28")) => {
                        attempt(PgSslMode::Require)
                    }
                    r => r,
                },
                SslMode::Prefer => match attempt(PgSslMode::Prefer) {
                    // libpq retries without TLS when the handshake fails.
                    Err(Failure::Pg(e)) if e.to_string().starts_with(TLS_ERROR) => {
                        attempt(PgSslMode::Disable)
                    }
                    r => r,
                },
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                    attempt(PgSslMode::Require)
                }
            }
        };
        result.map_err(|f| match f {
            Failure::Setup(e) => e,
            Failure::Pg(e) => self.classify(&e),
        })
    }

    fn try_connect(
        &self,
        application_name: &str,
        mode: PgSslMode,
    ) -> Result<postgres::Client, Failure> {
        let config = self.config(application_name, mode);
        let tls = self.connector(mode).map_err(Failure::Setup)?;
        let Some(timeout) = self.connect_timeout else {
            return config.connect(tls).map_err(Failure::Pg);
        };
        // tokio-postgres bounds only the TCP connect by `connect_timeout`;
        // libpq bounds the whole start-up (TLS, authentication), so that a
        // peer that accepts and then stays silent cannot hang us. The
        // attempt runs on a helper thread; after the timeout it is given
        // up (the thread ends when the socket does, at the latest when the
        // process exits).
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ddlint-connect".into())
            .spawn(move || {
                let _ = tx.send(config.connect(tls));
            });
        if let Err(e) = spawned {
            return Err(Failure::Setup(err(
                ConnectErrorKind::Other,
                format!("could not start a thread to connect: {e}"),
            )));
        }
        match rx.recv_timeout(timeout) {
            Ok(result) => result.map_err(Failure::Pg),
            Err(_) => Err(Failure::Setup(self.timed_out())),
        }
    }

    fn timed_out(&self) -> ConnectError {
        let secs = self.connect_timeout.map_or(0, |t| t.as_secs());
        err(
            ConnectErrorKind::Unreachable,
            format!(
                "could not connect to {}: no answer within {secs} s (connect_timeout) — is the host right, is it a PostgreSQL server, does a firewall drop the connection?",
                self.address()
            ),
        )
    }

    /// Cancels the query running on the session of `token` (from
    /// `Client::cancel_token()` of a session opened by [`Target::connect`]),
    /// over TLS when that session uses it. Callable from another thread.
    pub fn cancel(&self, token: &postgres::CancelToken) -> Result<(), ConnectError> {
        let mode = if self.is_unix_socket() || self.sslmode == SslMode::Disable {
            PgSslMode::Disable
        } else {
            PgSslMode::Require
        };
        let tls = self.connector(mode)?;
        token.cancel_query(tls).map_err(|e| self.classify(&e))
    }

    /// The OpenSSL connector doing the certificate checks of `sslmode`
    /// (a connector that is never used when `mode` is `Disable`).
    fn connector(&self, mode: PgSslMode) -> Result<MakeTlsConnector, ConnectError> {
        let tls_err = |what: &str, e: &dyn fmt::Display| {
            err(
                ConnectErrorKind::Tls,
                format!("TLS set-up failed: {what}: {e}"),
            )
        };
        let mut b = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| tls_err("OpenSSL initialisation", &e))?;
        if mode == PgSslMode::Disable {
            b.set_verify(SslVerifyMode::NONE);
            return Ok(MakeTlsConnector::new(b.build()));
        }
        let verify = match &self.sslrootcert {
            // `SslConnector::builder` loaded OpenSSL's default locations,
            // which for a statically linked OpenSSL (the prebuilt binaries)
            // is its own build prefix, not this machine's: add the system's
            // CA bundle and directory where they are (SSL_CERT_FILE and
            // SSL_CERT_DIR first, as OpenSSL itself).
            RootCert::System => {
                let found = openssl_probe::probe();
                if found.cert_file.is_some() || found.cert_dir.is_some() {
                    b.load_verify_locations(found.cert_file.as_deref(), found.cert_dir.as_deref())
                        .map_err(|e| tls_err("loading the system's trusted CAs", &e))?;
                }
                true
            }
            RootCert::File { path, .. } if path.exists() => {
                // Only this file: not the system CAs as well (as libpq).
                let pem = std::fs::read(path)
                    .map_err(|e| tls_err(&format!("reading {}", path.display()), &e))?;
                let certs = X509::stack_from_pem(&pem).map_err(|e| {
                    tls_err(
                        &format!("root certificate file {} is not PEM", path.display()),
                        &e,
                    )
                })?;
                let mut store = X509StoreBuilder::new()
                    .map_err(|e| tls_err("OpenSSL certificate store", &e))?;
                for cert in certs {
                    store
                        .add_cert(cert)
                        .map_err(|e| tls_err(&format!("loading {}", path.display()), &e))?;
                }
                b.set_cert_store(store.build());
                true
            }
            root if self.sslmode.verifies() => {
                let which = match root {
                    RootCert::File { path, .. } => format!("\"{}\"", path.display()),
                    _ => "~/.postgresql/root.crt".to_string(),
                };
                return Err(err(
                    ConnectErrorKind::Tls,
                    format!(
                        "root certificate file {which} does not exist: sslmode={} checks the server's certificate against it — give the CA certificate with sslrootcert=FILE (or sslrootcert=system for the system's trusted CAs), or use sslmode=require to encrypt without checking",
                        self.sslmode.as_str()
                    ),
                ));
            }
            _ => false,
        };
        b.set_verify(if verify {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        if let Some((cert, key)) = self.client_files()? {
            b.set_certificate_chain_file(&cert)
                .map_err(|e| tls_err(&format!("client certificate {}", cert.display()), &e))?;
            b.set_private_key_file(&key, SslFiletype::PEM)
                .map_err(|e| tls_err(&format!("client key {}", key.display()), &e))?;
            b.check_private_key().map_err(|e| {
                tls_err(
                    &format!(
                        "client key {} does not match certificate {}",
                        key.display(),
                        cert.display()
                    ),
                    &e,
                )
            })?;
        }
        let mut connector = MakeTlsConnector::new(b.build());
        if self.sslmode != SslMode::VerifyFull {
            connector.set_callback(|config, _| {
                config.set_verify_hostname(false);
                Ok(())
            });
        }
        Ok(connector)
    }

    /// The client certificate and key to present, if any.
    fn client_files(&self) -> Result<Option<(PathBuf, PathBuf)>, ConnectError> {
        let Some(cert) = &self.sslcert else {
            return Ok(None);
        };
        if !cert.path.exists() {
            if cert.explicit {
                return Err(err(
                    ConnectErrorKind::Tls,
                    format!(
                        "client certificate file \"{}\" (sslcert) does not exist",
                        cert.path.display()
                    ),
                ));
            }
            return Ok(None);
        }
        let key = match &self.sslkey {
            Some(k) if k.path.exists() => k.path.clone(),
            Some(k) => {
                return Err(err(
                    ConnectErrorKind::Tls,
                    format!(
                        "client key file \"{}\" (sslkey) for certificate \"{}\" does not exist",
                        k.path.display(),
                        cert.path.display()
                    ),
                ))
            }
            None => {
                return Err(err(
                    ConnectErrorKind::Tls,
                    format!(
                        "no client key (sslkey) for certificate \"{}\"",
                        cert.path.display()
                    ),
                ))
            }
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::metadata(&key) {
                let mode = meta.mode();
                // libpq: 0600 or less, or 0640 or less when owned by root.
                let ok = mode & 0o077 == 0 || (meta.uid() == 0 && mode & 0o037 == 0);
                if !ok {
                    return Err(err(
                        ConnectErrorKind::Tls,
                        format!(
                            "private key file \"{}\" has group or world access; permissions should be u=rw (0600) or less (chmod 0600 it)",
                            key.display()
                        ),
                    ));
                }
            }
        }
        Ok(Some((cert.path.clone(), key)))
    }

    /// Turns a tokio-postgres error into a message saying what to do.
    fn classify(&self, e: &postgres::Error) -> ConnectError {
        use ConnectErrorKind::*;
        let addr = self.address();
        if let Some(db) = e.as_db_error() {
            let code = db.code().code();
            return match code {
                "28P01" => err(
                    Authentication,
                    format!(
                        "password authentication failed for user \"{}\" on {addr} — {}",
                        self.user,
                        self.password_hint()
                    ),
                ),
                c if c.starts_with("28") => {
                    let msg = db.message();
                    let hint = if msg.starts_with("no pg_hba.conf entry") {
                        let tls = if self.sslmode == SslMode::Disable || self.is_unix_socket() {
                            ""
                        } else {
                            " (if it only accepts TLS here: sslmode=require)"
                        };
                        format!(" — the server's pg_hba.conf has no line letting this user connect to this database from here{tls}")
                    } else if msg.contains("certificate") {
                        " — give a client certificate signed by the server's CA with sslcert= and sslkey=".to_string()
                    } else {
                        String::new()
                    };
                    err(
                        Authentication,
                        format!("{addr} refused the connection: {msg}{hint}"),
                    )
                }
                "3D000" => err(
                    Other,
                    format!(
                        "{} on {addr} — check the database name (dbname=, the URL path, or PGDATABASE)",
                        db.message()
                    ),
                ),
                "57P03" => err(
                    Unreachable,
                    format!("{addr}: {} — try again once the server is up", db.message()),
                ),
                _ => err(
                    Other,
                    format!("{addr} refused the connection: {} (SQLSTATE {code})", db.message()),
                ),
            };
        }
        let top = e.to_string();
        let source = std::error::Error::source(e);
        let detail = source.map(|s| s.to_string()).unwrap_or_default();
        if top.starts_with("timeout waiting for server") {
            return self.timed_out();
        }
        if top.starts_with("error connecting to server") {
            let io = source.and_then(|s| s.downcast_ref::<std::io::Error>());
            use std::io::ErrorKind as K;
            let message = match io.map(|e| e.kind()) {
                Some(K::ConnectionRefused) => format!(
                    "could not connect to {addr}: connection refused — is the server running, is the port right?"
                ),
                Some(K::TimedOut) => return self.timed_out(),
                Some(K::NotFound) if self.is_unix_socket() => format!(
                    "could not connect to {addr}: no such file — is the server running on this machine, are the socket directory (host) and the port right?"
                ),
                Some(K::PermissionDenied) => format!(
                    "could not connect to {addr}: permission denied — check the access rights of the socket or the network policy"
                ),
                _ if detail.contains("lookup address") || detail.contains("resolve") => format!(
                    "could not resolve host name \"{}\": {detail} — is the host name right?",
                    self.host
                ),
                _ => format!(
                    "could not connect to {addr}: {detail} — is the server running and reachable?"
                ),
            };
            return err(Unreachable, message);
        }
        if top.starts_with(TLS_ERROR) {
            return self.classify_tls(&detail);
        }
        if detail.contains("password missing") {
            return err(
                Authentication,
                format!(
                    "{addr} asks for a password for user \"{}\" but none was given — set PGPASSWORD or add it to the password file (~/.pgpass), rather than on the command line",
                    self.user
                ),
            );
        }
        if top.starts_with("authentication error") {
            return err(
                Authentication,
                format!(
                    "authentication of user \"{}\" on {addr} failed: {detail}",
                    self.user
                ),
            );
        }
        let what = if detail.is_empty() {
            top
        } else {
            format!("{top}: {detail}")
        };
        err(
            Other,
            format!(
                "connecting to {addr} failed: {} — is it a PostgreSQL server, is the port right? (the server log may tell more)",
                redact(&what)
            ),
        )
    }

    fn classify_tls(&self, detail: &str) -> ConnectError {
        let addr = self.address();
        let mode = self.sslmode.as_str();
        let message = if detail.contains("server does not support TLS") {
            format!(
                "the server at {addr} does not support TLS but sslmode={mode} was asked — enable ssl on the server, or use sslmode=prefer (or disable) if an unencrypted connection is acceptable"
            )
        } else if detail.contains("hostname mismatch") || detail.contains("IP address mismatch") {
            format!(
                "TLS certificate verification failed: the server's certificate is not valid for host name \"{}\" (sslmode=verify-full checks it) — connect with a name the certificate lists, or use sslmode=verify-ca",
                self.host
            )
        } else if detail.contains("certificate verify failed") {
            // postgres-openssl appends OpenSSL's verify result: the reason.
            let reason = detail.rsplit(": ").next().unwrap_or(detail);
            let root = match &self.sslrootcert {
                RootCert::File { path, .. } => format!("sslrootcert ({})", path.display()),
                RootCert::System => "the system's trusted CAs (sslrootcert=system)".into(),
                RootCert::None => "sslrootcert".into(),
            };
            format!(
                "TLS certificate verification of {addr} failed: {reason} — {root} must hold the CA that signed the server's certificate"
            )
        } else {
            format!("TLS handshake with {addr} failed: {detail} — check sslmode={mode} and the server's TLS set-up")
        };
        err(ConnectErrorKind::Tls, message)
    }

    /// What to check after a rejected password, by where it came from.
    fn password_hint(&self) -> String {
        match &self.password_from {
            PasswordFrom::None => {
                "no password was given: set PGPASSWORD or use the password file (~/.pgpass)".into()
            }
            PasswordFrom::Parameters => {
                "check the password given in the connection parameters".into()
            }
            PasswordFrom::Env => "check PGPASSWORD".into(),
            PasswordFrom::File(p) => format!(
                "check the matching line of the password file {}",
                p.display()
            ),
        }
    }
}

/// tokio-postgres's `Display` of a TLS error (its kind is not public).
const TLS_ERROR: &str = "error performing TLS handshake";

enum Failure {
    /// Could not even try (TLS files).
    Setup(ConnectError),
    Pg(postgres::Error),
}

/// The default host: the socket directory holding the socket for `port`,
/// else the first existing one (Debian's libpq default, then upstream's).
fn default_host(port: u16) -> String {
    if !cfg!(unix) {
        return "localhost".into();
    }
    let has_socket = |d: &str| Path::new(d).join(format!(".s.PGSQL.{port}")).exists();
    SOCKET_DIRS
        .iter()
        .find(|d| has_socket(d))
        .or_else(|| SOCKET_DIRS.iter().find(|d| Path::new(d).is_dir()))
        .unwrap_or(&SOCKET_DIRS[1])
        .to_string()
}

/// The account of the effective user, from /etc/passwd.
struct Account {
    name: String,
    home: PathBuf,
}

fn os_account() -> Option<Account> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // /proc/self belongs to the effective user of the process.
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() >= 6 && f[2].parse() == Ok(uid)).then(|| Account {
                name: f[0].to_string(),
                home: PathBuf::from(f[5]),
            })
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The operating-system user name (libpq's default user).
fn os_user(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    os_account()
        .map(|a| a.name)
        .or_else(|| env("USER"))
        .or_else(|| env("LOGNAME"))
        .or_else(|| env("USERNAME"))
        .filter(|u| !u.is_empty())
}
