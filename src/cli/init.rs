//! `ddlint init`: a commented default configuration.

use super::Error;
use crate::rules;

pub fn init(path: &std::path::Path, force: bool) -> Result<i32, Error> {
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        )));
    }
    match std::fs::write(path, rules::config::DEFAULT_CONFIG) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            Ok(0)
        }
        Err(e) => Err(Error::Usage(format!("{}: {e}", path.display()))),
    }
}
