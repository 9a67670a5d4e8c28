//! A throwaway local PostgreSQL server for `ddlint dry-run` without `--db`
//! (and for the integration tests, through `tests/support/pg.rs`).
//!
//! [`EmbeddedServer::start`] finds the server binaries ([`find_binaries`]),
//! runs `initdb` on a fresh directory under the system temporary directory
//! and starts the server with `pg_ctl` on a free TCP port of 127.0.0.1 plus
//! a unix socket inside that directory. Durability is switched off (fsync,
//! synchronous_commit, full_page_writes) and so is autovacuum: the data is
//! thrown away. The server log is `server.log` in the directory.
//!
//! The server is always stopped (`pg_ctl stop -m immediate`) and its
//! directory removed: by [`EmbeddedServer::stop`], by `Drop` (so also when
//! an error is returned or a panic unwinds), and on Ctrl-C / SIGTERM / SIGHUP
//! once [`install_interrupt_handler`] ran: every running server is kept in a
//! process-wide registry the handler empties before exiting with status 130.
//! `initdb` and `pg_ctl` run in their own process group (and the postmaster
//! in its own session, `pg_ctl` does that), so the terminal's Ctrl-C reaches
//! only ddlint, which then shuts the server down itself.
//!
//! PostgreSQL refuses to run as root. When the effective uid is 0, the server
//! runs as an unprivileged system user ([`ServerOptions::system_user`],
//! `ddlint` by default, created with `useradd --system` when missing, else
//! `nobody`), through `runuser` (or `setpriv`); the directory is chowned to
//! that user.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::{Pid, User};

/// The binaries a throwaway server needs, all in one directory.
const BINARIES: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// The superuser `initdb` creates.
const SUPERUSER: &str = "postgres";

/// The listen address.
const HOST: &str = "127.0.0.1";

/// Unix socket paths are limited to 107 bytes (`sun_path`).
const MAX_SOCKET_PATH: usize = 107;

/// Default unprivileged user when running as root.
pub const DEFAULT_SYSTEM_USER: &str = "ddlint";

/// Why a throwaway server could not be found, started or reached. Each
/// message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot install the Ctrl-C handler: {0}")]
    Handler(String),
    #[error(
        "{} lacks the PostgreSQL server binaries {}: point --pg-bin at the directory holding \
         initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/16/bin)",
        .dir.display(), .missing.join(", ")
    )]
    MissingBinaries {
        dir: PathBuf,
        missing: Vec<&'static str>,
    },
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; looked in: {}. \
         Install them (e.g. `apt-get install postgresql`), pass --pg-bin <dir>, \
         or use --db to dry-run on an existing server",
        .looked.join("; ")
    )]
    NoBinaries { looked: Vec<String> },
    #[error("cannot run {}: {source}", .program.display())]
    Version {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot tell the PostgreSQL version from `{} --version` ({output}): pass --pg-bin with a \
         PostgreSQL installation's bin directory",
        .program.display()
    )]
    UnknownVersion { program: PathBuf, output: String },
    #[error(
        "PostgreSQL refuses to run as root, and ddlint could neither find nor create the \
         system user `{user}` (useradd --system {user}) nor use `nobody`: create an \
         unprivileged user, run ddlint as a non-root user, or use --db"
    )]
    NoUser { user: String },
    #[error(
        "no usable temporary directory for the server ({}): set TMPDIR to a short path {}",
        .bases.iter().map(|b| b.display().to_string()).collect::<Vec<_>>().join(", "),
        if *.run_as {
            "that other users can traverse (the server runs as an unprivileged user)"
        } else {
            "(unix socket paths are limited to 107 bytes)"
        }
    )]
    NoTempDir { bases: Vec<PathBuf>, run_as: bool },
    #[error(
        "cannot create a directory in {}: {source}: set TMPDIR to a writable directory",
        .base.display()
    )]
    TempDir {
        base: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot hand {} to user {user}: {source}", .dir.display())]
    Chown {
        dir: PathBuf,
        user: String,
        source: std::io::Error,
    },
    #[error("cannot find a free port on {HOST}: {0}")]
    Port(std::io::Error),
    #[error("cannot run {what}: {source}")]
    Spawn {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Wait {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} failed ({status}): {stdout}{stderr}")]
    Failed {
        what: String,
        status: std::process::ExitStatus,
        stdout: String,
        stderr: String,
    },
    #[error("invalid server setting name {0:?}: use names like work_mem")]
    SettingName(String),
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the throwaway PostgreSQL {major} server: {source}\nserver log:\n{log}")]
    Start {
        major: u32,
        source: Box<ServerError>,
        log: String,
    },
    #[error("cannot connect to the throwaway PostgreSQL {major} server on port {port}: {source}")]
    Connect {
        major: u32,
        port: u16,
        source: postgres::Error,
    },
}

/// How to start a throwaway server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    /// Directory holding initdb, pg_ctl and postgres (`--pg-bin`); `None`
    /// searches PATH, then /usr/lib/postgresql/<N>/bin.
    pub bin_dir: Option<PathBuf>,
    /// Extra server settings (`-c name=value`), applied after ddlint's own
    /// defaults; a name given here replaces ddlint's value.
    pub settings: Vec<(String, String)>,
    /// The unprivileged system user to run the server as when ddlint runs
    /// as root; `None` means [`DEFAULT_SYSTEM_USER`].
    pub system_user: Option<String>,
    /// Prefix of the temporary directory's name; `None` means `ddlint-pg-`.
    pub dir_prefix: Option<String>,
}

/// A running throwaway server; stopped and removed on `stop` or drop.
#[derive(Debug)]
pub struct EmbeddedServer {
    id: u64,
    major: u32,
    port: u16,
    dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    stopped: bool,
}

#[derive(Clone, Debug)]
struct RunAs {
    user: String,
    uid: u32,
    gid: u32,
}

/// What the interrupt handler needs to clean a server up.
#[derive(Clone, Debug)]
struct Registered {
    dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    /// Process group of an initdb/pg_ctl running right now.
    busy_pgid: Option<u32>,
}

fn registry() -> MutexGuard<'static, HashMap<u64, Registered>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Registered>>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Installs the Ctrl-C / SIGTERM / SIGHUP handler. While a dry-run
/// executes migrations, the first signal asks it to stop
/// ([`super::interrupt`]: the running statement is cancelled, the run
/// rolls back, undoes what it created, reports, and exits with 130); any
/// other signal stops and removes every running throwaway server, then
/// exits with status 130. Idempotent; fails only when another handler was
/// installed through the `ctrlc` crate.
pub fn install_interrupt_handler() -> Result<(), ServerError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            ctrlc::set_handler(|| {
                if super::running() && !super::interrupted() {
                    eprintln!("\nddlint: interrupted: cancelling the running statement and cleaning up (again to force)");
                    super::interrupt();
                    return;
                }
                stop_all_registered();
                std::process::exit(130);
            })
            .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(ServerError::Handler)
}

/// Stops and removes every registered server (the interrupt handler's job).
fn stop_all_registered() {
    let entries: Vec<Registered> = registry().drain().map(|(_, r)| r).collect();
    for entry in entries {
        cleanup(&entry);
    }
}

/// Stops the server of `entry` (if any runs) and removes its directory.
fn cleanup(entry: &Registered) {
    if let Some(pgid) = entry.busy_pgid {
        // An initdb or pg_ctl was running: end its whole process group.
        let _ = killpg(Pid::from_raw(pgid as i32), Signal::SIGKILL);
        std::thread::sleep(Duration::from_millis(50));
    }
    let data = entry.dir.join("data");
    let pid_file = data.join("postmaster.pid");
    if pid_file.exists() {
        let mut ctl = command(&entry.bin_dir, entry.run_as.as_ref(), "pg_ctl");
        ctl.arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = ctl.status();
        // pg_ctl failed (or timed out): kill the postmaster itself.
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
        {
            if process_uses_dir(pid, &data) {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    if entry.dir.exists() {
        // A process may still write into it: once more after a moment.
        let _ = retry(2, Duration::from_millis(200), || {
            std::fs::remove_dir_all(&entry.dir)
        });
    }
}

/// `f` until it succeeds, at most `attempts` times, `pause` apart; the last
/// error otherwise.
fn retry<T, E>(
    attempts: u32,
    pause: Duration,
    mut f: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut n = 1;
    loop {
        match f() {
            Err(_) if n < attempts => {
                n += 1;
                std::thread::sleep(pause);
            }
            done => return done,
        }
    }
}

/// Whether process `pid` runs with `data` on its command line (so a stale
/// postmaster.pid never makes us kill an unrelated process). Read from
/// /proc by hand: `nix` has no call for another process's command line,
/// and a process-listing crate for this one check would be far heavier.
fn process_uses_dir(pid: u32, data: &Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            let cmdline = String::from_utf8_lossy(&c).replace('\0', " ");
            cmdline.contains(&*data.to_string_lossy())
        })
        .unwrap_or(false)
}

/// A server binary as a command, run as `run_as` when set, in its own
/// process group.
fn command(bin_dir: &Path, run_as: Option<&RunAs>, bin: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let path = bin_dir.join(bin);
    let mut cmd = match run_as {
        None => Command::new(path),
        Some(u) => {
            if let Some(runuser) = find_tool("runuser") {
                let mut c = Command::new(runuser);
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
    };
    cmd.process_group(0);
    cmd
}

/// `name` in PATH or the usual system directories (root's tools such as
/// `runuser` live in sbin, which a user's PATH may lack).
fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    let dirs = std::env::join_paths(dirs).ok()?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    which::which_in(name, Some(dirs), cwd).ok()
}

fn has_binaries(dir: &Path) -> bool {
    BINARIES.iter().all(|b| dir.join(b).is_file())
}

/// Finds the directory holding initdb, pg_ctl and postgres: `bin_dir` when
/// given (an error if it lacks one of them), else the directory of `pg_ctl`
/// in PATH (symlinks resolved, so that its sibling `postgres` is found),
/// else the highest `/usr/lib/postgresql/<N>/bin`.
pub fn find_binaries(bin_dir: Option<&Path>) -> Result<PathBuf, ServerError> {
    if let Some(dir) = bin_dir {
        let missing: Vec<&str> = BINARIES
            .iter()
            .copied()
            .filter(|b| !dir.join(b).is_file())
            .collect();
        if missing.is_empty() {
            return Ok(dir.to_path_buf());
        }
        return Err(ServerError::MissingBinaries {
            dir: dir.to_path_buf(),
            missing,
        });
    }
    let mut looked = Vec::new();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let ctl = dir.join("pg_ctl");
        if !ctl.is_file() {
            continue;
        }
        let real = std::fs::canonicalize(&ctl).unwrap_or(ctl);
        if let Some(parent) = real.parent() {
            if has_binaries(parent) {
                return Ok(parent.to_path_buf());
            }
            looked.push(format!(
                "{} (pg_ctl found, but not initdb and postgres next to it)",
                parent.display()
            ));
        }
    }
    if looked.is_empty() {
        looked.push("PATH (no pg_ctl)".to_string());
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let major = e.file_name().to_str()?.parse::<u32>().ok()?;
                    Some((major, e.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    majors.sort();
    if let Some((_, dir)) = majors.iter().rev().find(|(_, d)| has_binaries(d)) {
        return Ok(dir.clone());
    }
    looked.push(format!("{}/<N>/bin", root.display()));
    Err(ServerError::NoBinaries { looked })
}

/// The major version of the binaries in `bin_dir` (`pg_ctl --version`).
pub fn binaries_major(bin_dir: &Path) -> Result<u32, ServerError> {
    let ctl = bin_dir.join("pg_ctl");
    let out = Command::new(&ctl)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| ServerError::Version {
            program: ctl.clone(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_major(&text).ok_or_else(|| ServerError::UnknownVersion {
        output: text.trim().to_string(),
        program: ctl,
    })
}

/// "pg_ctl (PostgreSQL) 15.18 (Debian ...)" -> 15; "9.6.24" -> 9.
fn parse_major(version: &str) -> Option<u32> {
    let rest = &version[version.find("(PostgreSQL)")? + "(PostgreSQL)".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn euid_is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn lookup_user(user: &str) -> Option<RunAs> {
    let u = User::from_name(user).ok()??;
    Some(RunAs {
        user: user.to_string(),
        uid: u.uid.as_raw(),
        gid: u.gid.as_raw(),
    })
}

/// The unprivileged user to run the server as (`None` when not root).
fn run_as(user: &str) -> Result<Option<RunAs>, ServerError> {
    static CACHE: OnceLock<Mutex<HashMap<String, RunAs>>> = OnceLock::new();
    if !euid_is_root() {
        return Ok(None);
    }
    // Held while creating the user, so concurrent starts create it once.
    let mut cache = CACHE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(u) = cache.get(user) {
        return Ok(Some(u.clone()));
    }
    let found = lookup_user(user).or_else(|| {
        let _ = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                user,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        lookup_user(user).or_else(|| lookup_user("nobody"))
    });
    match found {
        Some(u) => {
            cache.insert(user.to_string(), u.clone());
            Ok(Some(u))
        }
        None => Err(ServerError::NoUser {
            user: user.to_string(),
        }),
    }
}

/// Whether every ancestor of `dir` can be traversed by other users.
fn traversable_by_others(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors().all(|a| {
        std::fs::metadata(a)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

/// Creates a fresh private directory (mode 0700) for a server, named
/// `<prefix><pid>-<random>`.
fn make_dir(prefix: &str, run_as: Option<&RunAs>) -> Result<PathBuf, ServerError> {
    let mut bases = vec![std::env::temp_dir()];
    if bases[0] != Path::new("/tmp") {
        bases.push(PathBuf::from("/tmp"));
    }
    // The socket path (<dir>/.s.PGSQL.<port>) must fit in sun_path, and the
    // unprivileged user must reach the directory.
    let budget = MAX_SOCKET_PATH - ".s.PGSQL.65535".len() - 1 - prefix.len() - 16;
    let Some(base) = bases
        .iter()
        .find(|b| b.as_os_str().len() < budget && (run_as.is_none() || traversable_by_others(b)))
    else {
        return Err(ServerError::NoTempDir {
            bases,
            run_as: run_as.is_some(),
        });
    };
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(base)
        .map_err(|source| ServerError::TempDir {
            base: base.clone(),
            source,
        })?;
    if let Some(u) = run_as {
        // On failure the TempDir removes the directory.
        std::os::unix::fs::chown(dir.path(), Some(u.uid), Some(u.gid)).map_err(|source| {
            ServerError::Chown {
                dir: dir.path().to_path_buf(),
                user: u.user.clone(),
                source,
            }
        })?;
    }
    // From here on the server's clean-up (Drop, the interrupt handler)
    // removes it.
    Ok(dir.keep())
}

fn free_port() -> Result<u16, ServerError> {
    let l = TcpListener::bind((HOST, 0)).map_err(ServerError::Port)?;
    l.local_addr().map(|a| a.port()).map_err(ServerError::Port)
}

/// A value as a postgresql.conf string literal.
fn conf_literal(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

impl EmbeddedServer {
    /// Starts a fresh server. Errors say what is missing and what to do.
    pub fn start(opts: &ServerOptions) -> Result<EmbeddedServer, ServerError> {
        let bin_dir = find_binaries(opts.bin_dir.as_deref())?;
        let major = binaries_major(&bin_dir)?;
        let user = opts.system_user.as_deref().unwrap_or(DEFAULT_SYSTEM_USER);
        let run_as = run_as(user)?;
        let prefix = opts.dir_prefix.as_deref().unwrap_or("ddlint-pg-");
        let dir = make_dir(prefix, run_as.as_ref())?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        registry().insert(
            id,
            Registered {
                dir: dir.clone(),
                bin_dir: bin_dir.clone(),
                run_as: run_as.clone(),
                busy_pgid: None,
            },
        );
        // From here on, Drop (and the interrupt handler) clean up.
        let mut server = EmbeddedServer {
            id,
            major,
            port: 0,
            dir,
            bin_dir,
            run_as,
            stopped: false,
        };
        server.init(opts)?;
        server.launch()?;
        Ok(server)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn command(&self, bin: &str) -> Command {
        command(&self.bin_dir, self.run_as.as_ref(), bin)
    }

    /// Runs `cmd` to completion, registered as busy so that an interrupt
    /// can end it.
    fn run(&self, mut cmd: Command, what: &str) -> Result<Output, ServerError> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|source| ServerError::Spawn {
            what: what.to_string(),
            source,
        })?;
        if let Some(r) = registry().get_mut(&self.id) {
            r.busy_pgid = Some(child.id());
        }
        let out = child.wait_with_output();
        if let Some(r) = registry().get_mut(&self.id) {
            r.busy_pgid = None;
        }
        let out = out.map_err(|source| ServerError::Wait {
            what: what.to_string(),
            source,
        })?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(ServerError::Failed {
                what: what.to_string(),
                status: out.status,
                stdout: String::from_utf8_lossy(&out.stdout).trim().to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// initdb, then ddlint's settings appended to postgresql.conf (no shell
    /// quoting involved, whatever the values).
    fn init(&self, opts: &ServerOptions) -> Result<(), ServerError> {
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(self.data_dir()).args([
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        self.run(initdb, "initdb")?;

        let dir = self.dir.to_string_lossy().into_owned();
        let mut settings: Vec<(String, String)> = [
            ("listen_addresses", HOST),
            ("unix_socket_directories", dir.as_str()),
            ("max_connections", "60"),
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
            ("autovacuum", "off"),
            ("logging_collector", "off"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in &opts.settings {
            settings.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
            settings.push((k.clone(), v.clone()));
        }
        let mut conf = String::from("\n# ddlint dry-run (throwaway server)\n");
        for (k, v) in &settings {
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(ServerError::SettingName(k.clone()));
            }
            conf.push_str(&format!("{k} = {}\n", conf_literal(v)));
        }
        let path = self.data_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&path).map_err(|source| ServerError::Read {
            path: path.clone(),
            source,
        })?;
        text.push_str(&conf);
        std::fs::write(&path, text).map_err(|source| ServerError::Write { path, source })
    }

    /// pg_ctl start on a free port (a few tries: the port may be taken
    /// between picking and binding).
    fn launch(&mut self) -> Result<(), ServerError> {
        let mut log = String::new();
        // Outer error: this try failed, try again; inner: give up now.
        let started = retry(5, Duration::from_millis(100), || {
            let port = match free_port() {
                Ok(port) => port,
                Err(e) => return Ok(Err(e)),
            };
            let mut ctl = self.command("pg_ctl");
            ctl.arg("-D")
                .arg(self.data_dir())
                .args(["-w", "-t", "60", "-l"])
                .arg(self.log_path())
                .args(["-o", &format!("-p {port}"), "start"]);
            if let Err(e) = self.run(ctl, "pg_ctl start") {
                log = self.log();
                // Stop a half-started server before retrying.
                if self.data_dir().join("postmaster.pid").exists() {
                    let mut stop = self.command("pg_ctl");
                    stop.arg("-D")
                        .arg(self.data_dir())
                        .args(["-m", "immediate", "-w", "stop"]);
                    let _ = self.run(stop, "pg_ctl stop");
                }
                return Err(e);
            }
            Ok(Ok(port))
        });
        match started {
            Ok(Ok(port)) => {
                self.port = port;
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(e) => Err(ServerError::Start {
                major: self.major,
                source: Box::new(e),
                log,
            }),
        }
    }

    /// Major version of the server binaries.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// TCP port on [`host`](Self::host).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the server listens on: "127.0.0.1".
    pub fn host(&self) -> &str {
        HOST
    }

    /// Directory of the unix socket (`.s.PGSQL.<port>`): the temp dir.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The superuser initdb created ("postgres"; trust authentication).
    pub fn user(&self) -> &str {
        SUPERUSER
    }

    /// Directory holding the data directory (`data/`) and `server.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Directory of the binaries the server runs from.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The server log so far (for diagnostics).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// key=value connection string for `dbname` over TCP.
    pub fn conn_string(&self, dbname: &str) -> String {
        format!(
            "host={HOST} port={} user={SUPERUSER} dbname={dbname} connect_timeout=10",
            self.port
        )
    }

    /// A plain (no TLS) connection to `dbname`.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, ServerError> {
        postgres::Client::connect(&self.conn_string(dbname), postgres::NoTls).map_err(|source| {
            ServerError::Connect {
                major: self.major,
                port: self.port,
                source,
            }
        })
    }

    /// Stops the server and removes its directory.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        // Removed from the registry first: the interrupt handler then no
        // longer races us for the same directory.
        let entry = registry().remove(&self.id);
        let entry = entry.unwrap_or_else(|| Registered {
            dir: self.dir.clone(),
            bin_dir: self.bin_dir.clone(),
            run_as: self.run_as.clone(),
            busy_pgid: None,
        });
        cleanup(&entry);
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_majors() {
        assert_eq!(
            parse_major("pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            Some(15)
        );
        assert_eq!(parse_major("postgres (PostgreSQL) 11.22\n"), Some(11));
        assert_eq!(parse_major("postgres (PostgreSQL) 18beta1\n"), Some(18));
        assert_eq!(parse_major("pg_ctl (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("garbage"), None);
    }

    #[test]
    fn conf_literals_are_quoted() {
        assert_eq!(conf_literal("it's"), "'it''s'");
        assert_eq!(conf_literal(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn explicit_bin_dir_without_binaries_is_an_error() {
        let err = find_binaries(Some(Path::new("/nonexistent/bin")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("--pg-bin"), "{err}");
        assert!(err.contains("initdb"), "{err}");
    }
}
