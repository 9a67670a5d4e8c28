//! `ddlint init`: a commented default configuration, and the migrations
//! already there recorded as applied (`ddlint.lock`).

use std::path::{Path, PathBuf};

use super::{Error, InitArgs};
use crate::rules;
use crate::source::applied::{Applied, LOCK_FILE_NAME};

pub fn init(args: InitArgs) -> Result<i32, Error> {
    let path = &args.path;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let lock = dir.join(LOCK_FILE_NAME);
    for p in [Some(path), (!args.no_lock).then_some(&lock)]
        .into_iter()
        .flatten()
    {
        if p.exists() && !args.force {
            return Err(Error::Usage(format!(
                "{} already exists (use --force to overwrite it{})",
                p.display(),
                if *p == lock {
                    ", or `ddlint accept` to record new migrations"
                } else {
                    ""
                }
            )));
        }
    }
    std::fs::write(path, rules::config::DEFAULT_CONFIG)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    eprintln!("wrote {}", path.display());
    if args.no_lock {
        return Ok(0);
    }
    let settings = rules::Settings::load(path).map_err(|e| Error::Usage(e.to_string()))?;
    let mut applied = Applied::empty(&lock)?;
    // A directory without migrations is a project that has none yet.
    let counts = match super::accept::record(
        &mut applied,
        &[PathBuf::from(&dir)],
        &args.tool,
        false,
        &settings,
        super::DEFAULT_MAX_FILE_MB,
    ) {
        Ok(c) => c,
        Err(e) if applied.is_empty() => {
            eprintln!("ddlint: note: no migrations recorded ({e})");
            super::accept::Counts::default()
        }
        Err(e) => return Err(e),
    };
    applied.save()?;
    super::accept::say(&counts, &applied);
    Ok(0)
}
