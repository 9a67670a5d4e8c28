//! `ddlint dry-run`: runs migrations on a real PostgreSQL and observes what
//! the static model predicts (locks, rewrites), plus what only a real server
//! can tell (durations, lock waits and their blockers, errors on real data,
//! how long reads and writes of each table were blocked).
//!
//! - `connect`: where to connect (URL / key=value DSN, PG* environment,
//!   ~/.pgpass, TLS modes), with passwords kept out of every message.
//! - `server`: a throwaway local server (initdb + pg_ctl) when no `--db`.
//! - `seed`: synthetic rows for pre-existing tables (`--seed-rows`).

pub mod connect;
pub mod seed;
pub mod server;
