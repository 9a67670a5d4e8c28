use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn resolve(db: &str, env: &[(&str, &str)]) -> Result<Target, ConnectError> {
    Target::resolve_with(Some(db), &env_of(env), None)
}

fn ok(db: &str) -> Target {
    resolve(db, &[]).unwrap_or_else(|e| panic!("{db}: {e}"))
}

fn bad_param(db: &str) -> String {
    let e = resolve(db, &[]).expect_err(db);
    assert_eq!(e.kind, ConnectErrorKind::BadParameters, "{db}: {e}");
    e.message
}

// ---- URLs -----------------------------------------------------------------

#[test]
fn url_with_every_part() {
    let t = ok("postgres://deploy:s3cret@db.example.com:6543/app?sslmode=require");
    assert_eq!(t.host(), "db.example.com");
    assert_eq!(t.port(), 6543);
    assert_eq!(t.user(), "deploy");
    assert_eq!(t.dbname(), "app");
    assert_eq!(t.password.as_deref(), Some("s3cret"));
    assert_eq!(t.password_from, PasswordFrom::Parameters);
    assert_eq!(t.sslmode(), SslMode::Require);
    assert_eq!(
        t.describe(),
        "host db.example.com port 6543 database app user deploy sslmode require"
    );
}

#[test]
fn url_postgresql_scheme_and_defaults() {
    let t = resolve("postgresql://h", &[("PGUSER", "u")]).unwrap();
    assert_eq!(
        (t.host(), t.port(), t.user(), t.dbname()),
        ("h", 5432, "u", "u")
    );
    assert_eq!(t.sslmode(), SslMode::Prefer);
    assert_eq!(t.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
}

#[test]
fn url_percent_encoding() {
    let t = ok("postgres://us%40er:p%3Aa%2Fss%25@h/my%20db");
    assert_eq!(t.user(), "us@er");
    assert_eq!(t.password.as_deref(), Some("p:a/ss%"));
    assert_eq!(t.dbname(), "my db");
    // `+` is not a space in libpq URLs.
    assert_eq!(ok("postgres://u@h/a+b").dbname(), "a+b");
}

#[test]
fn url_unix_socket_forms() {
    let t = ok("postgres://u@%2Fvar%2Flib%2Fpg:5433/app");
    assert_eq!(t.host(), "/var/lib/pg");
    assert_eq!(t.port(), 5433);
    assert!(t.is_unix_socket());
    assert_eq!(
        t.describe(),
        "host /var/lib/pg port 5433 database app user u"
    );
    let t = ok("postgresql:///app?host=/run/pg&user=u");
    assert_eq!(t.host(), "/run/pg");
    assert_eq!(t.dbname(), "app");
    // Query parameters override the authority.
    assert_eq!(ok("postgres://u@h:1/d?host=other&port=2").host(), "other");
    assert_eq!(ok("postgres://u@h:1/d?host=other&port=2").port(), 2);
}

#[test]
fn url_ipv6_and_ssl_true() {
    let t = ok("postgres://u@[::1]:5439/d?ssl=true");
    assert_eq!(t.host(), "::1");
    assert_eq!(t.port(), 5439);
    assert_eq!(t.sslmode(), SslMode::Require);
    assert_eq!(t.address(), "[::1]:5439");
}

#[test]
fn url_errors_are_clear() {
    assert!(bad_param("postgres://u@h/d?sslmode=sometimes").contains("sslmode"));
    assert!(bad_param("postgres://u@h:99999/d").contains("invalid port \"99999\""));
    assert!(bad_param("postgres://u@h:abc/d").contains("port"));
    assert!(bad_param("postgres://u@h/d?frobnicate=1").contains("\"frobnicate\""));
    assert!(bad_param("postgres://u@h/d?sslcrl=x").contains("not supported"));
    assert!(bad_param("postgres://u@h1,h2/d").contains("several hosts"));
    assert!(bad_param("postgres://u@[::1/d").contains("IPv6"));
    assert!(bad_param("postgres://u@h/d?sslmode").contains("missing \"=\""));
    assert!(bad_param("postgres://u@h/d%zz").contains("percent-encoding"));
    assert!(bad_param("postgres://u@h/d%00").contains("%00"));
    assert!(bad_param("postgres://u@h/d?ssl=false").contains("\"ssl\""));
}

#[test]
fn url_error_never_echoes_the_password() {
    let e = bad_param("postgres://u:hunter%zz@h/d");
    assert!(!e.contains("hunter"), "{e}");
    let e = bad_param("postgres://u:hunter2@h/d?nope=1");
    assert!(!e.contains("hunter2"), "{e}");
    let e = bad_param("postgres://u@h/d?password");
    assert!(e.contains("missing"), "{e}");
}

// ---- key=value ------------------------------------------------------------

#[test]
fn dsn_with_quoting_and_escapes() {
    let t = ok(r"host=h port = 5433 dbname='my \'db\'' user=a\ b password='x y\\z'");
    assert_eq!(t.host(), "h");
    assert_eq!(t.port(), 5433);
    assert_eq!(t.dbname(), "my 'db'");
    assert_eq!(t.user(), "a b");
    assert_eq!(t.password.as_deref(), Some(r"x y\z"));
    // Last occurrence wins, empty quoted value counts as unset.
    let t = resolve("host=a host=b user=''", &[("PGUSER", "envuser")]).unwrap();
    assert_eq!(t.host(), "b");
    assert_eq!(t.user(), "envuser");
}

#[test]
fn dsn_errors_are_clear() {
    assert!(bad_param("host=h dbname='open").contains("unterminated"));
    assert!(bad_param("host=h dbname").contains("missing \"=\" after \"dbname\""));
    let m = bad_param("host=h colour=blue");
    assert!(m.contains("unknown connection parameter \"colour\""), "{m}");
    assert!(bad_param("host=h sslmode=Require").contains("unknown sslmode \"Require\""));
    assert!(bad_param("host=h port=0").contains("port"));
    assert!(bad_param("host=h hostaddr=db.example.com").contains("hostaddr"));
    assert!(bad_param("host=h connect_timeout=soon").contains("connect_timeout"));
    assert!(bad_param("host=h gssencmode=require").contains("gssencmode"));
    assert!(bad_param("host=a,b").contains("several hosts"));
    assert!(bad_param("localhost:5432/app").contains("neither a connection URL"));
    let m = bad_param("host=h sslrootcert=system sslmode=require");
    assert!(m.contains("verify-full"), "{m}");
}

#[test]
fn plain_word_is_a_database_name() {
    let t = resolve("app", &[("PGHOST", "h"), ("PGUSER", "u")]).unwrap();
    assert_eq!((t.host(), t.user(), t.dbname()), ("h", "u", "app"));
}

#[test]
fn hostaddr_without_host() {
    let t = ok("hostaddr=10.0.0.7 user=u");
    assert_eq!(t.host(), "10.0.0.7");
    assert_eq!(
        t.describe(),
        "host 10.0.0.7 port 5432 database u user u sslmode prefer"
    );
    let t = ok("host=db hostaddr=10.0.0.7 user=u");
    assert!(t.describe().starts_with("host db (address 10.0.0.7) port"));
}

#[test]
fn connect_timeout_like_libpq() {
    assert_eq!(ok("host=h connect_timeout=0").connect_timeout, None);
    assert_eq!(
        ok("host=h connect_timeout=1").connect_timeout,
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        ok("host=h connect_timeout=30").connect_timeout,
        Some(Duration::from_secs(30))
    );
}

#[test]
fn sslrootcert_system_means_verify_full() {
    let t = ok("host=h sslrootcert=system");
    assert_eq!(t.sslmode(), SslMode::VerifyFull);
    assert_eq!(t.sslrootcert, RootCert::System);
}

// ---- environment ------------------------------------------------------------

#[test]
fn environment_fills_what_is_missing() {
    let env = [
        ("PGHOST", "envhost"),
        ("PGPORT", "6000"),
        ("PGDATABASE", "envdb"),
        ("PGUSER", "envuser"),
        ("PGPASSWORD", "envpw"),
        ("PGSSLMODE", "verify-ca"),
        ("PGSSLROOTCERT", "/etc/ca.pem"),
        ("PGSSLCERT", "/etc/c.pem"),
        ("PGSSLKEY", "/etc/c.key"),
        ("PGCONNECT_TIMEOUT", "3"),
        ("PGOPTIONS", "-c lock_timeout=1s"),
        ("PGAPPNAME", "theirs"),
    ];
    let t = Target::resolve_with(None, &env_of(&env), None).unwrap();
    assert_eq!(
        t.describe(),
        "host envhost port 6000 database envdb user envuser sslmode verify-ca"
    );
    assert_eq!(t.password.as_deref(), Some("envpw"));
    assert_eq!(t.password_from, PasswordFrom::Env);
    assert_eq!(
        t.sslrootcert,
        RootCert::File {
            path: "/etc/ca.pem".into(),
            explicit: true
        }
    );
    assert_eq!(t.sslkey.as_ref().unwrap().path, Path::new("/etc/c.key"));
    assert_eq!(t.connect_timeout, Some(Duration::from_secs(3)));
    assert_eq!(t.options.as_deref(), Some("-c lock_timeout=1s"));

    // Parameters beat the environment; an empty variable is unset.
    let t = Target::resolve_with(
        Some("postgres://me@there/db"),
        &env_of(&[("PGHOST", "envhost"), ("PGUSER", "envuser"), ("PGPORT", "")]),
        None,
    )
    .unwrap();
    assert_eq!((t.host(), t.user(), t.port()), ("there", "me", 5432));
}

#[test]
fn environment_errors_name_the_variable() {
    let e =
        Target::resolve_with(None, &env_of(&[("PGPORT", "x"), ("PGUSER", "u")]), None).unwrap_err();
    assert_eq!(e.kind, ConnectErrorKind::BadParameters);
    assert!(e.message.contains("PGPORT"), "{e}");
    let e = Target::resolve_with(None, &env_of(&[("PGSSLMODE", "on"), ("PGUSER", "u")]), None)
        .unwrap_err();
    assert!(e.message.contains("PGSSLMODE"), "{e}");
}

#[test]
fn libpq_defaults() {
    let t = Target::resolve_with(None, &env_of(&[("USER", "fallback")]), None).unwrap();
    assert_eq!(t.port(), 5432);
    assert_eq!(t.host(), default_host(5432));
    assert!(SOCKET_DIRS.contains(&t.host()));
    let expected_user = os_user(&env_of(&[("USER", "fallback")])).unwrap();
    assert_eq!(t.user(), expected_user);
    assert_eq!(t.dbname(), expected_user);
    assert!(t.is_unix_socket());
    assert_eq!(t.sslrootcert, RootCert::None);
    assert!(t.passfile.is_none());
}

#[test]
fn home_gives_file_defaults() {
    let home = Path::new("/home/someone");
    let t = Target::resolve_with(Some("host=h user=u"), &env_of(&[]), Some(home)).unwrap();
    assert_eq!(t.passfile.as_deref(), Some(home.join(".pgpass").as_path()));
    assert_eq!(
        t.sslrootcert,
        RootCert::File {
            path: home.join(".postgresql/root.crt"),
            explicit: false
        }
    );
    assert_eq!(
        t.sslcert,
        Some(ClientFile {
            path: home.join(".postgresql/postgresql.crt"),
            explicit: false
        })
    );
}

// ---- password file ----------------------------------------------------------

fn key<'a>(host: &'a str, port: &'a str, db: &'a str, user: &'a str) -> pgpass::Key<'a> {
    pgpass::Key {
        host,
        port,
        dbname: db,
        user,
    }
}

#[test]
fn pgpass_matching() {
    let text = "\
# comment:*:*:*:nope
db.example.com:5432:app:deploy:first
db.example.com:5432:app:deploy:second
*:5432:*:deploy:wild
h\\:x:*:*:u:escaped\\:pw\\\\:extra
\\*:*:*:star:literal-star
*:*:*:empty:
short:*:*:u
";
    let find = |h, p, d, u| pgpass::find(text, &key(h, p, d, u));
    assert_eq!(
        find("db.example.com", "5432", "app", "deploy").as_deref(),
        Some("first")
    );
    assert_eq!(
        find("other", "5432", "x", "deploy").as_deref(),
        Some("wild")
    );
    assert_eq!(find("other", "5433", "x", "deploy"), None);
    assert_eq!(find("h:x", "1", "d", "u").as_deref(), Some("escaped:pw\\"));
    assert_eq!(find("h", "1", "d", "star"), None);
    assert_eq!(find("*", "1", "d", "star").as_deref(), Some("literal-star"));
    assert_eq!(find("h", "1", "d", "empty"), None);
    assert_eq!(find("short", "1", "d", "u"), None);
    // CRLF line ends.
    assert_eq!(
        pgpass::find("h:1:d:u:pw\r\n", &key("h", "1", "d", "u")).as_deref(),
        Some("pw")
    );
}

fn write_pgpass(dir: &Path, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("pgpass");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn pgpass_file_supplies_a_missing_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_pgpass(dir.path(), "h:5432:app:u:frompass\n*:*:*:*:any\n", 0o600);
    let env = env_of(&[("PGPASSFILE", file.to_str().unwrap())]);
    let t = Target::resolve_with(Some("postgres://u@h/app"), &env, None).unwrap();
    assert_eq!(t.password.as_deref(), Some("frompass"));
    assert_eq!(t.password_from, PasswordFrom::File(file.clone()));
    assert!(t.warnings().is_empty());
    // Another database of the same server: looked up again.
    assert_eq!(t.with_dbname("other").password.as_deref(), Some("any"));
    // A given password wins over the file.
    let t = Target::resolve_with(Some("postgres://u:given@h/app"), &env, None).unwrap();
    assert_eq!(t.password.as_deref(), Some("given"));
    let env2 = env_of(&[
        ("PGPASSFILE", file.to_str().unwrap()),
        ("PGPASSWORD", "envpw"),
    ]);
    let t = Target::resolve_with(Some("postgres://u@h/app"), &env2, None).unwrap();
    assert_eq!(t.password.as_deref(), Some("envpw"));
    // ~/.pgpass by default; the passfile parameter.
    std::fs::copy(&file, dir.path().join(".pgpass")).unwrap();
    let t =
        Target::resolve_with(Some("postgres://u@h/app"), &env_of(&[]), Some(dir.path())).unwrap();
    assert_eq!(t.password.as_deref(), Some("frompass"));
    let dsn = format!("host=h dbname=app user=u passfile='{}'", file.display());
    assert_eq!(ok(&dsn).password.as_deref(), Some("frompass"));
}

#[test]
fn pgpass_default_socket_dir_matches_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_pgpass(dir.path(), "localhost:5432:*:u:local\n", 0o600);
    let dsn = format!("host=/tmp user=u passfile={}", file.display());
    assert_eq!(ok(&dsn).password.as_deref(), Some("local"));
    let dsn = format!("host=/elsewhere user=u passfile={}", file.display());
    assert_eq!(ok(&dsn).password, None);
}

#[test]
fn pgpass_readable_by_others_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_pgpass(dir.path(), "*:*:*:*:leaky\n", 0o644);
    let env = env_of(&[("PGPASSFILE", file.to_str().unwrap())]);
    let t = Target::resolve_with(Some("postgres://u@h/app"), &env, None).unwrap();
    assert_eq!(t.password, None);
    assert_eq!(t.warnings().len(), 1);
    assert!(
        t.warnings()[0].contains("group or world access"),
        "{:?}",
        t.warnings()
    );
    assert!(!t.warnings()[0].contains("leaky"));
    // A missing file is no password, silently.
    let env = env_of(&[("PGPASSFILE", "/nonexistent/pgpass")]);
    let t = Target::resolve_with(Some("postgres://u@h/app"), &env, None).unwrap();
    assert!(t.password.is_none() && t.warnings().is_empty());
    // A directory is not a plain file.
    let env = env_of(&[("PGPASSFILE", dir.path().to_str().unwrap())]);
    let t = Target::resolve_with(Some("postgres://u@h/app"), &env, None).unwrap();
    assert!(t.warnings()[0].contains("not a plain file"));
}

// ---- secrets ------------------------------------------------------------------

#[test]
fn describe_and_debug_never_show_the_password() {
    for db in [
        "postgres://u:Sup3rSecret@h/d",
        "host=h user=u password=Sup3rSecret",
        "host=h user=u password='Sup3rSecret'",
    ] {
        let t = ok(db);
        assert!(t.has_password());
        assert!(!t.describe().contains("Sup3rSecret"), "{db}");
        let debug = format!("{t:?}");
        assert!(!debug.contains("Sup3rSecret"), "{debug}");
        assert!(debug.contains("***"));
        assert!(!format!("{:?}", t.with_dbname("x")).contains("Sup3rSecret"));
    }
}

#[test]
fn redact_urls_and_dsns() {
    let cases = [
        ("postgres://u:pw@h:5432/d", "postgres://u:***@h:5432/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("postgres://u:p@ss@h/d", "postgres://u:***@h/d"),
        (
            "postgres://u@h/d?sslmode=require&password=pw&x=1",
            "postgres://u@h/d?sslmode=require&password=***&x=1",
        ),
        ("host=h password=pw user=u", "host=h password=*** user=u"),
        ("host=h password = pw", "host=h password = ***"),
        (
            r"host=h password='a b\' c' user=u",
            "host=h password=*** user=u",
        ),
        (r"password=a\ b user=u", "password=*** user=u"),
        ("PGPASSWORD=pw psql", "PGPASSWORD=*** psql"),
        (
            "error: could not use postgres://x:y@h/d and host=h password=z",
            "error: could not use postgres://x:***@h/d and host=h password=*** ",
        ),
        (
            "passwords=fine otherpassword=x",
            "passwords=fine otherpassword=x",
        ),
        ("no secrets here", "no secrets here"),
        ("password='unterminated", "password=***"),
        ("password=", "password="),
        ("ünïcødé password=ça va", "ünïcødé password=*** va"),
    ];
    for (input, want) in cases {
        assert_eq!(redact(input).trim_end(), want.trim_end(), "{input}");
    }
}

#[test]
fn no_panics_on_odd_input() {
    let inputs = [
        "",
        " ",
        "=",
        "==",
        "'",
        "\\",
        "postgres://",
        "postgres://@",
        "postgres://:@:/?",
        "postgres://[",
        "postgres://[]",
        "postgres://h/?=",
        "postgres://h/?&&",
        "postgres://%",
        "postgres://h:%41",
        "a=\\",
        "a='\\",
        "password='\\",
        "é=é",
        "postgres://é:é@é/é?é=é",
        "password",
        "password =",
        "x://",
        "://:@",
    ];
    for input in inputs {
        let _ = Target::resolve_with(Some(input), &env_of(&[("PGUSER", "u")]), None);
        let _ = redact(input);
    }
}

#[test]
fn local_targets_use_no_tls() {
    let t = Target::local("/tmp/x", 5999, "postgres", "postgres");
    assert_eq!(
        t.describe(),
        "host /tmp/x port 5999 database postgres user postgres"
    );
    let t = Target::local("127.0.0.1", 5999, "postgres", "db");
    assert_eq!(t.sslmode(), SslMode::Disable);
    assert_eq!(t.with_dbname("other").dbname(), "other");
    assert_eq!(
        t.describe(),
        "host 127.0.0.1 port 5999 database db user postgres sslmode disable"
    );
}

#[test]
fn connection_refused_is_unreachable_with_a_hint() {
    // A port nothing listens on: bind, then close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = ok(&format!(
        "host=127.0.0.1 port={port} user=u password=pw sslmode=disable"
    ));
    let e = t.connect("ddlint-test").err().unwrap();
    assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e}");
    assert_eq!(
        e.message,
        format!("could not connect to 127.0.0.1:{port}: connection refused — is the server running, is the port right?")
    );
    let dir = tempfile::tempdir().unwrap();
    let t = ok(&format!("host={} port=5 user=u", dir.path().display()));
    let e = t.connect("ddlint-test").err().unwrap();
    assert_eq!(e.kind, ConnectErrorKind::Unreachable, "{e}");
    assert!(e.message.contains(".s.PGSQL.5: no such file"), "{e}");
}

#[test]
fn verify_ca_without_a_root_file_says_what_to_do() {
    let t = ok("host=127.0.0.1 port=1 user=u sslmode=verify-ca sslrootcert=/nonexistent/ca.pem");
    let e = t.connect("ddlint-test").err().unwrap();
    assert_eq!(e.kind, ConnectErrorKind::Tls);
    assert!(e.message.contains("/nonexistent/ca.pem"), "{e}");
    assert!(e.message.contains("sslrootcert=FILE"), "{e}");
}
