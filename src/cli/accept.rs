//! `ddlint accept`: record migrations as applied (`ddlint.lock`), and the
//! recording `ddlint init` does.

use std::path::{Path, PathBuf};

use super::{AcceptArgs, Error, ToolArgs};
use crate::rules::Settings;
use crate::source::applied::{self, Applied, Recorded};
use crate::source::{SourceArgs, Sources};

/// How many files recording changed.
#[derive(Default)]
pub struct Counts {
    pub new: usize,
    pub changed: Vec<String>,
    pub same: usize,
    pub projects: usize,
}

/// Record the migrations `check` would read under `paths` into `applied`.
pub fn record(
    applied: &mut Applied,
    paths: &[PathBuf],
    tool: &ToolArgs,
    include_down: bool,
    settings: &Settings,
    max_file_size: u64,
) -> Result<Counts, Error> {
    let sources = Sources::new(
        &SourceArgs {
            layout: tool.layout,
            vars: &tool.vars,
            since: None,
            include_down,
            stdin_filename: None,
            schema: &[],
            max_file_size,
            variables: &settings.variables,
            assume_in_transaction: settings.assume_in_transaction.unwrap_or(false),
            applied: None,
        },
        paths,
    )?;
    let (loaded, _) = sources.load(paths, &|p| settings.excluded(p))?;
    for e in &loaded.failed {
        eprintln!("ddlint: error: {e} (its migrations are not recorded)");
    }
    let mut counts = Counts {
        projects: loaded.coverage.projects.len(),
        ..Counts::default()
    };
    let mut seen = std::collections::HashSet::new();
    for part in &loaded.parts {
        let Some(file) = &part.file else { continue };
        if !seen.insert(file.clone()) {
            continue;
        }
        let root = Path::new(&loaded.coverage.projects[part.project].root);
        match applied.record(root, file)? {
            Recorded::New => counts.new += 1,
            Recorded::Changed => counts.changed.push(part.path.clone()),
            Recorded::Same => counts.same += 1,
        }
    }
    Ok(counts)
}

/// One line: what was recorded where.
pub fn say(counts: &Counts, applied: &Applied) {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "{}: {} recorded as applied ({} new, {} changed, {} unchanged) in {}",
        applied.shown(),
        plural(applied.len(), "migration"),
        counts.new,
        counts.changed.len(),
        counts.same,
        plural(counts.projects, "project")
    );
    for c in &counts.changed {
        eprintln!("  accepted the edited {c}");
    }
}

pub fn accept(args: AcceptArgs) -> Result<i32, Error> {
    let settings = args.common.settings()?;
    let lock = match &args.lock {
        Some(p) => p.clone(),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| applied::discover(&d))
            .unwrap_or_else(|| PathBuf::from(applied::LOCK_FILE_NAME)),
    };
    let mut applied = if lock.is_file() {
        Applied::load(&lock)?
    } else {
        Applied::empty(&lock)?
    };
    let counts = record(
        &mut applied,
        &args.paths,
        &args.tool,
        args.include_down,
        &settings,
        args.common.max_file_size,
    )?;
    applied.save()?;
    say(&counts, &applied);
    Ok(0)
}
