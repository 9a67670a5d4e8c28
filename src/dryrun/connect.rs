//! Connection target resolution (stand-in until the full module lands).

use postgres::{Client, NoTls};

#[derive(Clone)]
pub struct Target {
    conn: String,
    host: String,
    port: u16,
    user: String,
    dbname: String,
}

#[derive(Debug)]
pub struct ConnectError {
    pub message: String,
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Target {
    pub fn resolve(db: Option<&str>) -> Result<Target, ConnectError> {
        let conn = db.unwrap_or("").to_string();
        let cfg: postgres::Config = conn.parse().map_err(|e: postgres::Error| ConnectError {
            message: e.to_string(),
        })?;
        Ok(Target {
            conn,
            host: format!("{:?}", cfg.get_hosts().first()),
            port: cfg.get_ports().first().copied().unwrap_or(5432),
            user: cfg.get_user().unwrap_or("").to_string(),
            dbname: cfg.get_dbname().unwrap_or("").to_string(),
        })
    }

    pub fn local(host: &str, port: u16, user: &str, dbname: &str) -> Target {
        Target {
            conn: format!("host={host} port={port} user={user} dbname={dbname}"),
            host: host.into(),
            port,
            user: user.into(),
            dbname: dbname.into(),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "host {} port {} database {} user {}",
            self.host, self.port, self.dbname, self.user
        )
    }

    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    pub fn connect(&self, application_name: &str) -> Result<Client, ConnectError> {
        let mut cfg: postgres::Config =
            self.conn
                .parse()
                .map_err(|e: postgres::Error| ConnectError {
                    message: e.to_string(),
                })?;
        cfg.application_name(application_name);
        cfg.connect(NoTls).map_err(|e| ConnectError {
            message: e.to_string(),
        })
    }

    pub fn cancel(&self, token: &postgres::CancelToken) -> Result<(), ConnectError> {
        token.cancel_query(NoTls).map_err(|e| ConnectError {
            message: e.to_string(),
        })
    }
}

/// Removes passwords from a URL or DSN (stand-in).
pub fn redact(s: &str) -> String {
    s.to_string()
}
