//! `dryrun::connect` against a real PostgreSQL 15: TLS modes with a CA and
//! certificates generated here, client certificates, password
//! authentication from the URL / PGPASSWORD / a password file, error kinds
//! and messages, and cancelling a query over TLS.
//!
//! Servers come from `support::pg` (trust authentication); TLS and
//! pg_hba.conf are switched on afterwards by writing into the data
//! directory and reloading.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ddlint::dryrun::connect::{ConnectError, ConnectErrorKind, Target};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509Builder, X509NameBuilder, X509};
use support::pg::PgServer;

const APP: &str = "ddlint-connect-test";

fn start() -> Option<PgServer> {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("DDLINT_REQUIRE_PG").is_some();
    match PgServer::start(15) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(!required, "PostgreSQL 15: {e}");
            eprintln!("skipping: PostgreSQL 15 not available: {e}");
            None
        }
    }
}

/// `resolve_with` with only the given variables and no home directory, so
/// the tester's own ~/.pgpass or ~/.postgresql cannot interfere.
fn resolve_env(db: &str, vars: &[(&str, &str)]) -> Target {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |k: &str| map.get(k).cloned();
    Target::resolve_with(Some(db), &env, None).unwrap_or_else(|e| panic!("{db}: {e}"))
}

fn resolve(db: &str) -> Target {
    resolve_env(db, &[])
}

fn connect_err(t: &Target) -> ConnectError {
    match t.connect(APP) {
        Ok(_) => panic!("{} connected but should not", t.describe()),
        Err(e) => {
            eprintln!("{:?}: {e}", e.kind);
            e
        }
    }
}

/// Whether the session uses TLS.
fn uses_tls(client: &mut postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0)
}

/// Writes `name` into the server's data directory, owned by the server's
/// user, with `mode`.
fn write_data_file(server: &PgServer, name: &str, contents: &[u8], mode: u32) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let data = server.dir().join("data");
    let owner = std::fs::metadata(&data).unwrap();
    let path = data.join(name);
    std::fs::write(&path, contents).unwrap();
    std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Puts `lines` before the server's pg_hba.conf rules.
fn prepend_hba(server: &PgServer, lines: &str) {
    let path = server.dir().join("data").join("pg_hba.conf");
    let old = std::fs::read_to_string(&path).unwrap();
    write_data_file(
        server,
        "pg_hba.conf",
        format!("{lines}\n{old}").as_bytes(),
        0o600,
    );
}

fn reload(server: &PgServer) {
    let mut admin = server.connect().unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    // The postmaster applies the reload asynchronously.
    std::thread::sleep(Duration::from_millis(300));
}

/// Retries `f` for a few seconds (a reload may not be applied yet).
fn eventually<T>(mut f: impl FnMut() -> Result<T, ConnectError>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

// ---- certificates -------------------------------------------------------------

struct Issued {
    cert: X509,
    key: PKey<Private>,
}

fn new_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn builder(cn: &str, key: &PKey<Private>, serial: u32) -> X509Builder {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    b
}

fn new_ca(cn: &str) -> Issued {
    let key = new_key();
    let mut b = builder(cn, &key, 1);
    let subject = {
        let mut n = X509NameBuilder::new().unwrap();
        n.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
        n.build()
    };
    b.set_issuer_name(&subject).unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

/// A certificate signed by `ca`: for a server (with DNS names) or a client.
fn issue(ca: &Issued, cn: &str, dns: &[&str], serial: u32) -> Issued {
    let key = new_key();
    let mut b = builder(cn, &key, serial);
    b.set_issuer_name(ca.cert.subject_name()).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    if dns.is_empty() {
        b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
            .unwrap();
    } else {
        b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
            .unwrap();
        let mut san = SubjectAlternativeName::new();
        for d in dns {
            san.dns(d);
        }
        let san = san.build(&b.x509v3_context(Some(&ca.cert), None)).unwrap();
        b.append_extension(san).unwrap();
    }
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

fn pem_cert(i: &Issued) -> Vec<u8> {
    i.cert.to_pem().unwrap()
}

fn pem_key(i: &Issued) -> Vec<u8> {
    i.key.private_key_to_pem_pkcs8().unwrap()
}

fn write_file(dir: &Path, name: &str, contents: &[u8], mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

// ---- tests ------------------------------------------------------------------------

#[test]
fn tls_modes_certificates_and_cancel() {
    let Some(server) = start() else { return };
    let port = server.port;
    let ca = new_ca("ddlint test CA");
    let server_cert = issue(&ca, "localhost", &["localhost"], 2);
    let client_cert = issue(&ca, "certuser", &[], 3);
    let other_ca = new_ca("some other CA");

    write_data_file(&server, "server.crt", &pem_cert(&server_cert), 0o644);
    write_data_file(&server, "server.key", &pem_key(&server_cert), 0o600);
    write_data_file(&server, "root.crt", &pem_cert(&ca), 0o644);
    prepend_hba(&server, "hostssl all certuser 127.0.0.1/32 cert");
    let mut admin = server.connect().unwrap();
    // ALTER SYSTEM refuses to run in a multi-statement batch (a transaction).
    for sql in [
        "ALTER SYSTEM SET ssl = on",
        "ALTER SYSTEM SET ssl_cert_file = 'server.crt'",
        "ALTER SYSTEM SET ssl_key_file = 'server.key'",
        "ALTER SYSTEM SET ssl_ca_file = 'root.crt'",
        "CREATE ROLE certuser LOGIN",
    ] {
        admin.batch_execute(sql).unwrap();
    }
    reload(&server);

    let files = tempfile::tempdir().unwrap();
    let ca_file = write_file(files.path(), "ca.pem", &pem_cert(&ca), 0o644);
    let other_ca_file = write_file(files.path(), "other.pem", &pem_cert(&other_ca), 0o644);
    let base = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres");

    // require: encrypted, certificate not checked.
    let t = resolve(&format!("{base} sslmode=require"));
    let mut c = eventually(|| t.connect(APP));
    assert!(uses_tls(&mut c));
    let app: String = c.query_one("SHOW application_name", &[]).unwrap().get(0);
    assert_eq!(app, APP);

    // prefer (the default): TLS when the server has it.
    assert!(uses_tls(&mut resolve(&base).connect(APP).unwrap()));
    // disable: plain.
    let t = resolve(&format!("{base} sslmode=disable"));
    assert!(!uses_tls(&mut t.connect(APP).unwrap()));

    // require with a root file verifies the chain, like libpq.
    let t = resolve(&format!(
        "{base} sslmode=require sslrootcert={}",
        other_ca_file.display()
    ));
    assert_eq!(connect_err(&t).kind, ConnectErrorKind::Tls);

    // verify-ca: the right CA works (host name not checked: 127.0.0.1 is
    // not in the certificate), a wrong CA fails with the reason.
    let t = resolve(&format!(
        "{base} sslmode=verify-ca sslrootcert={}",
        ca_file.display()
    ));
    assert!(uses_tls(&mut t.connect(APP).unwrap()));
    let t = resolve(&format!(
        "{base} sslmode=verify-ca sslrootcert={}",
        other_ca_file.display()
    ));
    let e = connect_err(&t);
    assert_eq!(e.kind, ConnectErrorKind::Tls, "{e}");
    assert!(
        e.message.contains("TLS certificate verification") && e.message.contains("other.pem"),
        "{e}"
    );

    // verify-full: the name must be in the certificate.
    let t = resolve(&format!(
        "{base} sslmode=verify-full sslrootcert={}",
        ca_file.display()
    ));
    let e = connect_err(&t);
    assert_eq!(e.kind, ConnectErrorKind::Tls, "{e}");
    assert!(
        e.message.contains("not valid for host name \"127.0.0.1\""),
        "{e}"
    );
    let t = resolve(&format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
        ca_file.display()
    ));
    assert!(uses_tls(&mut t.connect(APP).unwrap()));

    // prefer falls back to plain text when the handshake fails (libpq).
    let t = resolve(&format!("{base} sslrootcert={}", other_ca_file.display()));
    assert!(!uses_tls(&mut t.connect(APP).unwrap()));

    // Client certificate authentication (pg_hba.conf `cert`).
    let cert = write_file(files.path(), "client.crt", &pem_cert(&client_cert), 0o644);
    let key = write_file(files.path(), "client.key", &pem_key(&client_cert), 0o600);
    let t = resolve(&format!(
        "host=127.0.0.1 port={port} user=certuser dbname=postgres sslmode=verify-ca sslrootcert={} sslcert={} sslkey={}",
        ca_file.display(),
        cert.display(),
        key.display()
    ));
    let mut c = eventually(|| t.connect(APP));
    let who: String = c.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(who, "certuser");
    let t = resolve(&format!(
        "host=127.0.0.1 port={port} user=certuser dbname=postgres sslmode=require"
    ));
    assert_eq!(connect_err(&t).kind, ConnectErrorKind::Authentication);
    // A key others can read is refused, like libpq.
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let t = resolve(&format!(
        "host=127.0.0.1 port={port} user=certuser sslmode=require sslcert={} sslkey={}",
        cert.display(),
        key.display()
    ));
    let e = connect_err(&t);
    assert_eq!(e.kind, ConnectErrorKind::Tls);
    assert!(e.message.contains("group or world access"), "{e}");

    // Cancelling a query of a TLS session from another thread.
    let t = resolve(&format!(
        "{base} sslmode=verify-ca sslrootcert={}",
        ca_file.display()
    ));
    let mut c = t.connect(APP).unwrap();
    assert!(uses_tls(&mut c));
    let token = c.cancel_token();
    let canceller = {
        let t = t.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            t.cancel(&token)
        })
    };
    let started = Instant::now();
    let e = c.batch_execute("SELECT pg_sleep(10)").unwrap_err();
    assert_eq!(
        e.code(),
        Some(&postgres::error::SqlState::QUERY_CANCELED),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    canceller.join().unwrap().expect("cancel over TLS");

    // The command, as cargo builds it (the system's libssl) and as it ships
    // (OpenSSL built in, scripts/package.sh): every mode from a real dry-run,
    // and sslrootcert=system finding the CAs where the machine keeps them
    // (SSL_CERT_FILE names them here, as OpenSSL's own default lookup does).
    let unpacked = tempfile::tempdir().unwrap();
    let mut binaries = vec![PathBuf::from(env!("CARGO_BIN_EXE_ddlint"))];
    if let Some(dist) = support::dist::dir() {
        binaries.push(support::dist::unpack_binary(&dist, unpacked.path()));
    }
    let migration = write_file(
        files.path(),
        "001.sql",
        b"CREATE TABLE t (id int);\n",
        0o644,
    );
    let empty = files.path().join("no-certs");
    std::fs::create_dir_all(&empty).unwrap();
    let localhost = format!("host=localhost port={port} user=postgres dbname=postgres");
    for bin in &binaries {
        let dry_run = |db: &str, roots: &Path| {
            let out = std::process::Command::new(bin)
                .args(["dry-run", "--color", "never", "--db", db])
                .arg(&migration)
                .env("SSL_CERT_FILE", roots)
                .env("SSL_CERT_DIR", &empty)
                .env_remove("PGSSLMODE")
                .env_remove("PGSSLROOTCERT")
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.success(), text)
        };
        let what = bin.display();
        for mode in [
            "sslmode=disable".to_string(),
            "sslmode=prefer".to_string(),
            "sslmode=require".to_string(),
            format!("sslmode=verify-ca sslrootcert={}", ca_file.display()),
            format!("sslmode=verify-full sslrootcert={}", ca_file.display()),
            "sslrootcert=system".to_string(),
        ] {
            let (ok, out) = dry_run(&format!("{localhost} {mode}"), &ca_file);
            assert!(ok, "{what} with {mode}:\n{out}");
            assert!(out.contains("rolled back"), "{what} with {mode}:\n{out}");
        }
        let (ok, out) = dry_run(&format!("{localhost} sslrootcert=system"), &other_ca_file);
        assert!(
            !ok,
            "{what}: the system CAs do not include the server's:\n{out}"
        );
        assert!(
            out.contains("TLS certificate verification"),
            "{what}:\n{out}"
        );
    }
}

#[test]
fn server_without_tls() {
    let Some(server) = start() else { return };
    let base = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres",
        server.port
    );
    let t = resolve(&format!("{base} sslmode=require"));
    let e = connect_err(&t);
    assert_eq!(e.kind, ConnectErrorKind::Tls);
    assert!(
        e.message
            .contains("does not support TLS but sslmode=require was asked"),
        "{e}"
    );
    for mode in ["disable", "allow", "prefer"] {
        let t = resolve(&format!("{base} sslmode={mode}"));
        assert!(!uses_tls(&mut t.connect(APP).unwrap()), "{mode}");
    }
    // Unix socket (never TLS), with options passed to the session.
    let t = resolve(&format!(
        "host={} port={} user=postgres sslmode=require options='-c lock_timeout=1234'",
        server.dir().display(),
        server.port
    ));
    let mut c = t.connect(APP).unwrap();
    let v: String = c.query_one("SHOW lock_timeout", &[]).unwrap().get(0);
    assert_eq!(v, "1234ms");
    // Another database of the same server.
    let e = connect_err(&t.with_dbname("nonexistent"));
    assert_eq!(e.kind, ConnectErrorKind::Other);
    assert!(e.message.contains("\"nonexistent\" does not exist"), "{e}");
    // Target::local.
    let t = Target::local("127.0.0.1", server.port, "postgres", "postgres");
    t.connect(APP).unwrap();
}

#[test]
fn password_authentication() {
    let Some(server) = start() else { return };
    let port = server.port;
    const PW: &str = "c0rrect:h0rse@battery";
    let mut admin = server.connect().unwrap();
    admin
        .batch_execute(&format!(
            "SET password_encryption = 'scram-sha-256';
             CREATE ROLE deploy LOGIN PASSWORD '{PW}';"
        ))
        .unwrap();
    prepend_hba(&server, "host all deploy 127.0.0.1/32 scram-sha-256");
    reload(&server);

    // In the URL (percent-encoded).
    let url = format!("postgres://deploy:c0rrect%3Ah0rse%40battery@127.0.0.1:{port}/postgres");
    let t = resolve(&url);
    assert!(!t.describe().contains(PW));
    let mut c = eventually(|| t.connect(APP));
    let who: String = c.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(who, "deploy");

    // From PGPASSWORD.
    let dsn = format!("host=127.0.0.1 port={port} user=deploy dbname=postgres");
    resolve_env(&dsn, &[("PGPASSWORD", PW)])
        .connect(APP)
        .unwrap();
    // From the environment entirely.
    let port_s = port.to_string();
    let env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port_s.as_str()),
        ("PGUSER", "deploy"),
        ("PGDATABASE", "postgres"),
        ("PGPASSWORD", PW),
    ];
    let map: HashMap<&str, &str> = env.iter().copied().collect();
    let getenv = |k: &str| map.get(k).map(|v| v.to_string());
    Target::resolve_with(None, &getenv, None)
        .unwrap()
        .connect(APP)
        .unwrap();

    // From a password file (escaped `:` in the password).
    let files = tempfile::tempdir().unwrap();
    let escaped = PW.replace(':', "\\:");
    let pgpass = write_file(
        files.path(),
        "pgpass",
        format!("# test\nother:*:*:*:nope\n127.0.0.1:{port}:*:deploy:{escaped}\n").as_bytes(),
        0o600,
    );
    resolve_env(&dsn, &[("PGPASSFILE", pgpass.to_str().unwrap())])
        .connect(APP)
        .unwrap();
    // ~/.pgpass when no PGPASSFILE.
    std::fs::copy(&pgpass, files.path().join(".pgpass")).unwrap();
    let no_env = |_: &str| None;
    Target::resolve_with(Some(&dsn), &no_env, Some(files.path()))
        .unwrap()
        .connect(APP)
        .unwrap();

    // Wrong password: Authentication, and the password is not echoed.
    const WRONG: &str = "wr0ng-Pa55word";
    for t in [
        resolve(&format!(
            "postgres://deploy:{WRONG}@127.0.0.1:{port}/postgres"
        )),
        resolve_env(&dsn, &[("PGPASSWORD", WRONG)]),
    ] {
        let e = connect_err(&t);
        assert_eq!(e.kind, ConnectErrorKind::Authentication, "{e}");
        assert!(
            e.message
                .starts_with("password authentication failed for user \"deploy\""),
            "{e}"
        );
        for shown in [
            e.to_string(),
            format!("{e:?}"),
            format!("{t:?}"),
            t.describe(),
        ] {
            assert!(!shown.contains(WRONG), "{shown}");
        }
    }
    // No password at all.
    let e = connect_err(&resolve(&dsn));
    assert_eq!(e.kind, ConnectErrorKind::Authentication, "{e}");
    assert!(e.message.contains("asks for a password"), "{e}");
}

#[test]
fn unreachable_fails_fast() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let e = connect_err(&resolve(&format!(
        "postgres://postgres@127.0.0.1:{port}/postgres"
    )));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e}");
    assert!(
        e.message
            .contains("connection refused — is the server running"),
        "{e}"
    );
    // A peer that accepts the connection and then says nothing: the
    // connect timeout bounds the whole start-up, as in libpq.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let e = connect_err(&resolve(&format!(
        "host=127.0.0.1 port={silent_port} user=u connect_timeout=2 sslmode=disable"
    )));
    assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e}");
    assert!(e.message.contains("no answer within 2 s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(6), "{e}");
}
