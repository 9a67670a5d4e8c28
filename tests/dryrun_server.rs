//! The throwaway server of `ddlint dry-run` (`ddlint::dryrun::server`):
//! start-up, settings, clean-up on stop, drop, panic, and on SIGINT/SIGTERM
//! sent to the whole process group, as a terminal's Ctrl-C does.
//!
//! The interrupt tests run this test binary again as a child process that
//! executes only `child_holding_a_server` (it does nothing unless
//! `DDLINT_TEST_SERVER_CHILD` is set): it installs the interrupt handler,
//! starts a server, prints its directory and waits to be signalled.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ddlint::dryrun::server::{
    find_binaries, install_interrupt_handler, EmbeddedServer, ServerOptions,
};

const CHILD_ENV: &str = "DDLINT_TEST_SERVER_CHILD";

/// Options for the tests: PATH lookup, the test user when root.
fn opts() -> ServerOptions {
    ServerOptions {
        system_user: Some("ddlint-test".to_string()),
        ..ServerOptions::default()
    }
}

/// Whether binaries exist; without them the tests are skipped, unless CI
/// or DDLINT_REQUIRE_PG says they must run.
fn have_binaries() -> bool {
    match find_binaries(None) {
        Ok(_) => true,
        Err(e) => {
            let required =
                std::env::var_os("CI").is_some() || std::env::var_os("DDLINT_REQUIRE_PG").is_some();
            assert!(!required, "{e}");
            eprintln!("skipping: {e}");
            false
        }
    }
}

/// Pids of processes whose command line mentions `dir`.
fn processes_using(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            if String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .contains(&needle)
            {
                pids.push(pid);
            }
        }
    }
    pids
}

fn assert_gone(dir: &Path) {
    assert!(!dir.exists(), "{} still exists", dir.display());
    let pids = processes_using(dir);
    assert!(
        pids.is_empty(),
        "processes of {} remain: {pids:?}",
        dir.display()
    );
}

#[test]
fn starts_configured_and_stops_clean() {
    if !have_binaries() {
        return;
    }
    let mut o = opts();
    o.settings = vec![
        ("work_mem".to_string(), "8MB".to_string()),
        ("max_connections".to_string(), "61".to_string()),
        ("application_name".to_string(), "it's ddlint".to_string()),
    ];
    let server = EmbeddedServer::start(&o).expect("start");
    let dir = server.dir().to_path_buf();
    assert!(server.major() >= 11, "major {}", server.major());
    assert_eq!(server.host(), "127.0.0.1");
    assert_eq!(server.user(), "postgres");
    assert!(server.port() > 0);
    let socket = server
        .socket_dir()
        .join(format!(".s.PGSQL.{}", server.port()));
    assert!(socket.exists(), "no socket {}", socket.display());

    let mut c = server.connect("postgres").expect("connect over TCP");
    let show = |c: &mut postgres::Client, name: &str| -> String {
        c.query_one(&format!("SHOW {name}"), &[])
            .expect("show")
            .get(0)
    };
    assert_eq!(show(&mut c, "listen_addresses"), "127.0.0.1");
    assert_eq!(show(&mut c, "fsync"), "off");
    assert_eq!(show(&mut c, "synchronous_commit"), "off");
    assert_eq!(show(&mut c, "full_page_writes"), "off");
    assert_eq!(show(&mut c, "autovacuum"), "off");
    assert_eq!(show(&mut c, "work_mem"), "8MB");
    // opts.settings replace ddlint's own value of the same name.
    assert_eq!(show(&mut c, "max_connections"), "61");
    let server_major: String = c
        .query_one("SELECT current_setting('server_version_num')", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        server_major.parse::<u32>().unwrap() / 10000,
        server.major(),
        "major from pg_ctl --version"
    );
    let is_super: bool = c
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(is_super);
    // The unix socket works too.
    let via_socket = format!(
        "host={} port={} user={} dbname=postgres",
        server.socket_dir().display(),
        server.port(),
        server.user()
    );
    postgres::Client::connect(&via_socket, postgres::NoTls).expect("connect over the socket");
    drop(c);

    server.stop();
    assert_gone(&dir);
}

#[test]
fn default_options_find_binaries_and_start() {
    if !have_binaries() {
        return;
    }
    // The product's path: binaries from PATH or /usr/lib/postgresql, the
    // `ddlint` system user when root.
    let server = EmbeddedServer::start(&ServerOptions::default()).expect("start");
    let dir = server.dir().to_path_buf();
    let n: i32 = server
        .connect("postgres")
        .expect("connect")
        .query_one("SELECT 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    drop(server);
    assert_gone(&dir);
}

#[test]
fn bad_bin_dir_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let err = EmbeddedServer::start(&ServerOptions {
        bin_dir: Some(tmp.path().to_path_buf()),
        ..ServerOptions::default()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("--pg-bin"), "{err}");
    assert!(err.contains("initdb, pg_ctl, postgres"), "{err}");
}

#[test]
fn bad_setting_fails_and_cleans_up() {
    if !have_binaries() {
        return;
    }
    let mut o = opts();
    o.dir_prefix = Some("ddlint-badsetting-".to_string());
    o.settings = vec![("shared_buffers".to_string(), "not a size".to_string())];
    let err = EmbeddedServer::start(&o).unwrap_err().to_string();
    assert!(
        err.contains("shared_buffers"),
        "the server log explains: {err}"
    );
    let base = std::env::temp_dir();
    let left: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("ddlint-badsetting-{}-", std::process::id()))
            })
        })
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn removed_when_a_panic_unwinds() {
    if !have_binaries() {
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let server = EmbeddedServer::start(&opts()).expect("start");
        tx.send(server.dir().to_path_buf()).unwrap();
        panic!("boom while the server runs");
    })
    .join();
    assert!(result.is_err());
    let dir = rx.recv().unwrap();
    assert_gone(&dir);
}

/// The child process of the interrupt tests (a no-op in a normal run).
#[test]
fn child_holding_a_server() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    install_interrupt_handler().expect("handler");
    install_interrupt_handler().expect("idempotent");
    let server = EmbeddedServer::start(&opts()).expect("start");
    // Straight to the stdout file descriptor: libtest's capture only
    // intercepts the print! macros.
    let mut out = std::io::stdout();
    writeln!(out, "SERVER-DIR {}", server.dir().display()).expect("write");
    out.flush().expect("flush");
    loop {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs the child in its own process group, sends `signal` to the whole
/// group (as the terminal does on Ctrl-C) and checks the clean-up.
fn interrupt_with(signal: &str) {
    if !have_binaries() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "child_holding_a_server", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .expect("spawn child");
    let pgid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // libtest's "test child_holding_a_server ... " precedes it.
            if let Some(at) = line.find("SERVER-DIR ") {
                let _ = tx.send(PathBuf::from(&line[at + "SERVER-DIR ".len()..]));
            }
        }
    });
    let Ok(dir) = rx.recv_timeout(Duration::from_secs(120)) else {
        // Interrupted, not killed: a server it may have started goes too.
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{pgid}")])
            .status();
        panic!("the child did not start a server: {:?}", child.wait());
    };
    assert!(
        dir.join("data/postmaster.pid").exists(),
        "server not running"
    );
    assert!(!processes_using(&dir).is_empty(), "no postgres process");

    let sent = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not exit after {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130), "{status}");
    assert_gone(&dir);
}

#[test]
fn ctrl_c_stops_and_removes_the_server() {
    interrupt_with("-INT");
}

#[test]
fn sigterm_stops_and_removes_the_server() {
    interrupt_with("-TERM");
}
