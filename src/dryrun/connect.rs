//! Connection target resolution (stub: being written).
//!
//! Interface:
//! ```ignore
//! let target = Target::resolve(Some("postgres://u@h/db?sslmode=require"))?; // or None: PG* env
//! eprintln!("{}", target.describe()); // "host h port 5432 database db user u" (never the password)
//! let client: postgres::Client = target.connect("ddlint")?; // application_name
//! ```
