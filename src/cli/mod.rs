//! The command line. Exit codes: 0 no finding at or above the failing
//! severity, 1 findings, 2 usage, configuration or I/O errors (130: a
//! dry-run interrupted).
//!
//! - `args`: every flag (clap), shared by the commands;
//! - one module per command: `check`, `dry_run`, `rules` (`ddlint rules`),
//!   `explain`, `init`;
//! - [`Error`]: why a command could not do its job, printed once here.

mod accept;
mod args;
mod check;
mod dry_run;
mod explain;
mod init;
mod rules;
mod stats;
mod status;

use clap::Parser;

pub use args::*;

use crate::source;

/// Why a command could not do its job (exit status 2), printed once as
/// `ddlint: error: ...`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arguments or configuration that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// The migrations cannot be read.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// `--fix` could not write a file.
    #[error(transparent)]
    Fix(#[from] crate::rules::fix::WriteError),
    /// A dry-run could not run (connection, refusal, bad input).
    #[error("{0}")]
    DryRun(String),
    /// The report could not be written.
    #[error("{0}")]
    Report(String),
}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error::Usage(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Error {
        Error::Usage(s.to_string())
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let done = match cli.command {
        Command::Check(args) => check::check(*args),
        Command::DryRun(args) => dry_run::dry_run(*args),
        Command::Stats(args) => stats::stats(args),
        Command::Status(args) => Ok(status::status(args)),
        Command::Rules(args) => Ok(rules::list(args)),
        Command::Explain { rule } => explain::explain(&rule),
        Command::Init(args) => init::init(args),
        Command::Accept(args) => accept::accept(args),
    };
    match done {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ddlint: error: {e}");
            2
        }
    }
}

pub(crate) fn setup_color(choice: ColorChoice) {
    use std::io::IsTerminal;
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR")
                .map(|v| !v.is_empty())
                .unwrap_or(false)
            {
                false
            } else if std::env::var("CLICOLOR_FORCE")
                .map(|v| v != "0")
                .unwrap_or(false)
            {
                true
            } else {
                std::io::stdout().is_terminal()
            }
        }
    };
    colored::control::set_override(on);
}
