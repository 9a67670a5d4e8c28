//! Throw-away PostgreSQL servers for integration tests: a thin wrapper over
//! the product's `ddlint::dryrun::server::EmbeddedServer`, which owns
//! start-up (initdb + pg_ctl on a temporary directory and a free port of
//! 127.0.0.1, unprivileged user when root) and clean-up (stopped and removed
//! on drop, including while a test panics).
//!
//! This wrapper only adds the choice of a major: binaries are looked up, in
//! order, in:
//! 1. `$DDLINT_PG_BIN_<major>` (a directory holding initdb, pg_ctl, postgres);
//! 2. `${DDLINT_PG_CACHE:-/var/tmp/ddlint-pg}/<major>/bin` (filled by
//!    `scripts/pg-binaries.sh`);
//! 3. `/usr/lib/postgresql/<major>/bin` (Debian/Ubuntu packages).
//!
//! When the test runs with euid 0 (as CI does), the server runs as the system
//! user `ddlint-test` (created with `useradd --system` when missing; `nobody`
//! if that fails).

use std::path::{Path, PathBuf};

use ddlint::dryrun::server::{EmbeddedServer, ServerOptions};
use postgres::Client;

/// Majors the harness knows about.
pub const ALL_MAJORS: [u32; 8] = [11, 12, 13, 14, 15, 16, 17, 18];

const TEST_USER: &str = "ddlint-test";

pub struct PgServer {
    pub major: u32,
    pub port: u16,
    pub bin_dir: PathBuf,
    server: EmbeddedServer,
}

/// Directory holding the cached binaries of all majors.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("DDLINT_PG_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/ddlint-pg"))
}

fn has_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|b| dir.join(b).is_file())
}

/// The directory with initdb/pg_ctl/postgres for `major`, if any.
pub fn find_bin_dir(major: u32) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os(format!("DDLINT_PG_BIN_{major}")) {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(cache_dir().join(major.to_string()).join("bin"));
    candidates.push(PathBuf::from(format!("/usr/lib/postgresql/{major}/bin")));
    candidates.into_iter().find(|d| has_binaries(d))
}

/// Server settings of the test servers (small, many run at once).
fn test_settings() -> Vec<(String, String)> {
    [
        ("timezone", "UTC"),
        ("shared_buffers", "16MB"),
        ("max_connections", "20"),
        ("log_min_messages", "warning"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl PgServer {
    /// Majors (of 11..18) whose binaries can be found.
    pub fn available_majors() -> Vec<u32> {
        ALL_MAJORS
            .iter()
            .copied()
            .filter(|m| find_bin_dir(*m).is_some())
            .collect()
    }

    /// Starts a fresh server of `major`.
    pub fn start(major: u32) -> Result<PgServer, String> {
        Self::start_with(major, &[])
    }

    /// Starts a fresh server of `major` with extra settings.
    pub fn start_with(major: u32, extra: &[(&str, &str)]) -> Result<PgServer, String> {
        let bin_dir = find_bin_dir(major).ok_or_else(|| {
            format!(
                "no PostgreSQL {major} binaries (set DDLINT_PG_BIN_{major}, or run scripts/pg-binaries.sh)"
            )
        })?;
        let server = EmbeddedServer::start(&ServerOptions {
            bin_dir: Some(bin_dir.clone()),
            settings: test_settings()
                .into_iter()
                .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
                .collect(),
            system_user: Some(TEST_USER.to_string()),
            dir_prefix: Some(format!("ddlint-pg{major}-")),
        })
        .map_err(|e| e.to_string())?;
        if server.major() != major {
            return Err(format!(
                "{} holds PostgreSQL {} binaries, not {major}",
                bin_dir.display(),
                server.major()
            ));
        }
        Ok(PgServer {
            major,
            port: server.port(),
            bin_dir,
            server,
        })
    }

    pub fn dir(&self) -> &Path {
        self.server.dir()
    }

    /// Connection parameters for `postgres::Client::connect`.
    pub fn conn_string(&self, dbname: &str) -> String {
        self.server.conn_string(dbname)
    }

    pub fn connect(&self) -> Result<Client, String> {
        self.connect_db("postgres")
    }

    pub fn connect_db(&self, dbname: &str) -> Result<Client, String> {
        self.server.connect(dbname).map_err(|e| e.to_string())
    }

    /// Server log so far (for diagnostics).
    pub fn log(&self) -> String {
        self.server.log()
    }
}
