//! Throw-away PostgreSQL servers for integration tests.
//!
//! `PgServer::start(major)` finds the server binaries of that major, runs
//! `initdb` on a fresh temporary directory and starts the server on a free
//! TCP port of 127.0.0.1 (unix socket in the temporary directory). The server
//! is stopped (`pg_ctl stop -m immediate`) and its directory removed when the
//! `PgServer` is dropped, including while a test panics.
//!
//! Binaries are looked up, in order, in:
//! 1. `$DDLINT_PG_BIN_<major>` (a directory holding initdb, pg_ctl, postgres);
//! 2. `${DDLINT_PG_CACHE:-/var/tmp/ddlint-pg}/<major>/bin` (filled by
//!    `scripts/pg-binaries.sh`);
//! 3. `/usr/lib/postgresql/<major>/bin` (Debian/Ubuntu packages).
//!
//! PostgreSQL refuses to run as root: when the test runs with euid 0 (as CI
//! does), the server runs as the system user `ddlint-test` (created with
//! `useradd --system` when missing; `nobody` if that fails), via `runuser`
//! (or `setpriv`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use postgres::{Client, NoTls};

/// Majors the harness knows about.
pub const ALL_MAJORS: [u32; 8] = [11, 12, 13, 14, 15, 16, 17, 18];

const TEST_USER: &str = "ddlint-test";

pub struct PgServer {
    pub major: u32,
    pub port: u16,
    pub bin_dir: PathBuf,
    dir: Option<tempfile::TempDir>,
    run_as: Option<RunAs>,
}

#[derive(Clone, Debug)]
struct RunAs {
    user: String,
    uid: u32,
    gid: u32,
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

fn euid_is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
    })
}

fn lookup_user(user: &str) -> Option<RunAs> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some(RunAs {
        user: user.to_string(),
        uid: id("-u")?,
        gid: id("-g")?,
    })
}

/// The unprivileged user to run servers as, when we are root.
fn run_as() -> Result<Option<RunAs>, String> {
    static RUN_AS: OnceLock<Result<Option<RunAs>, String>> = OnceLock::new();
    RUN_AS
        .get_or_init(|| {
            if !euid_is_root() {
                return Ok(None);
            }
            if let Some(u) = lookup_user(TEST_USER) {
                return Ok(Some(u));
            }
            let _ = Command::new("useradd")
                .args([
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    TEST_USER,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if let Some(u) = lookup_user(TEST_USER) {
                return Ok(Some(u));
            }
            lookup_user("nobody").map(Some).ok_or_else(|| {
                format!("running as root, and neither {TEST_USER} nor nobody exists")
            })
        })
        .clone()
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
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

    /// Runs a server binary, as the unprivileged user when needed.
    fn command(&self, bin: &str) -> Command {
        let path = self.bin_dir.join(bin);
        match &self.run_as {
            None => Command::new(path),
            Some(u) => {
                if Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists() {
                    let mut c = Command::new("runuser");
                    c.args(["-u", &u.user, "--"]).arg(path);
                    c
                } else {
                    let mut c = Command::new("setpriv");
                    c.arg(format!("--reuid={}", u.uid))
                        .arg(format!("--regid={}", u.gid))
                        .arg("--clear-groups")
                        .arg(path);
                    c
                }
            }
        }
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<Output, String> {
        cmd.stdin(Stdio::null());
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(format!(
                "{what} failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("server dir").path()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir().join("data")
    }

    /// Starts a fresh server of `major`.
    pub fn start(major: u32) -> Result<PgServer, String> {
        let bin_dir = find_bin_dir(major).ok_or_else(|| {
            format!(
                "no PostgreSQL {major} binaries (set DDLINT_PG_BIN_{major}, or run scripts/pg-binaries.sh)"
            )
        })?;
        let run_as = run_as()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("ddlint-pg{major}-"))
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        if let Some(u) = &run_as {
            std::os::unix::fs::chown(dir.path(), Some(u.uid), Some(u.gid))
                .map_err(|e| format!("chown {}: {e}", dir.path().display()))?;
        }
        let mut server = PgServer {
            major,
            port: 0,
            bin_dir,
            dir: Some(dir),
            run_as,
        };
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(server.data_dir()).args([
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
            "-U",
            "postgres",
        ]);
        server.run(initdb, "initdb")?;

        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let opts = format!(
                "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
                 -c full_page_writes=off -c timezone=UTC -c autovacuum=off \
                 -c shared_buffers=16MB -c max_connections=20 -c log_min_messages=warning",
                server.dir().display()
            );
            let mut ctl = server.command("pg_ctl");
            ctl.arg("-D")
                .arg(server.data_dir())
                .args(["-w", "-t", "60", "-l"])
                .arg(server.dir().join("server.log"))
                .args(["-o", &opts, "start"]);
            match server.run(ctl, "pg_ctl start") {
                Ok(_) => {
                    server.port = port;
                    return Ok(server);
                }
                Err(e) => {
                    let log = std::fs::read_to_string(server.dir().join("server.log"))
                        .unwrap_or_default();
                    last_err = format!("{e}\n{log}");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        Err(last_err)
    }

    /// Connection parameters for `postgres::Client::connect`.
    pub fn conn_string(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname} connect_timeout=10",
            self.port
        )
    }

    pub fn connect(&self) -> Result<Client, String> {
        self.connect_db("postgres")
    }

    pub fn connect_db(&self, dbname: &str) -> Result<Client, String> {
        Client::connect(&self.conn_string(dbname), NoTls).map_err(|e| {
            format!(
                "connect to PostgreSQL {} on port {}: {e}",
                self.major, self.port
            )
        })
    }

    /// Server log so far (for diagnostics).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.port != 0 {
            let mut ctl = self.command("pg_ctl");
            ctl.arg("-D")
                .arg(self.data_dir())
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let _ = ctl.status();
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}
