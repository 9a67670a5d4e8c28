//! The source stage as `check` and `dry-run` use it: the options that
//! decide which files run and how, the git changes of `--since`, and the
//! `--schema` files (history every project starts from, never reported).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::SourceError;
use crate::input::Input;

/// What decides which files run, in which order, and how.
pub struct SourceArgs<'a> {
    pub layout: Option<super::Layout>,
    pub vars: &'a [(String, String)],
    pub since: Option<&'a str>,
    pub include_down: bool,
    pub stdin_filename: Option<String>,
    pub schema: &'a [PathBuf],
    pub max_file_size: u64,
    /// The configuration's `variables:` (`vars` override them).
    pub variables: &'a BTreeMap<String, String>,
    /// The configuration's `assume_in_transaction`.
    pub assume_in_transaction: bool,
    /// The applied history (`ddlint.lock`) to leave unreported, if any.
    pub applied: Option<&'a std::path::Path>,
}

/// The source stage as both commands use it: layout options, the git
/// changes of `--since`, and `--schema` files (history, never reported).
pub struct Sources {
    opts: super::Options,
    pub changes: Option<super::git::Changes>,
    /// The applied history: replayed, not reported.
    pub applied: Option<super::applied::Applied>,
    schema: Vec<Input>,
}

impl Sources {
    pub fn new(a: &SourceArgs, paths: &[PathBuf]) -> Result<Sources, SourceError> {
        // Config `variables:`, overridden by --var.
        let mut vars = a.variables.clone();
        vars.extend(a.vars.iter().cloned());
        let opts = super::Options {
            layout: a.layout,
            vars,
            include_down: a.include_down,
            stdin_filename: a.stdin_filename.clone(),
            assume_in_transaction: a.assume_in_transaction,
            max_file_bytes: a.max_file_size.saturating_mul(1_048_576),
        };
        let changes = match a.since {
            Some(r) => Some(super::git::changes(r, &super::git_dir(paths))?),
            None => None,
        };
        // A schema dump (pg_dump --schema-only) is a psql script: read it as
        // one, so its meta-commands (`\restrict KEY`) are not SQL.
        let schema = if a.schema.is_empty() {
            Vec::new()
        } else {
            let dump = super::Options {
                layout: Some(super::Layout::Psql),
                include_down: false,
                stdin_filename: None,
                assume_in_transaction: false,
                ..opts.clone()
            };
            super::load(a.schema, &dump)?
                .parts
                .into_iter()
                .map(super::Part::into_shared_input)
                .collect()
        };
        let applied = a.applied.map(super::applied::Applied::load).transpose()?;
        Ok(Sources {
            opts,
            changes,
            applied,
            schema,
        })
    }

    /// The files as the tool runs them: `--schema` files first, then the
    /// migrations, those before `--since` marked as not reported.
    /// `skip` says which paths the configuration excludes.
    pub fn load(
        &self,
        paths: &[PathBuf],
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<(super::Loaded, Vec<Input>), SourceError> {
        let mut loaded = super::load_with(paths, &self.opts, skip)?;
        let mut inputs = self.schema.clone();
        let mut modified: Vec<super::Note> = Vec::new();
        // A file's parts (up and down) share its state: hash it once.
        let mut states: std::collections::HashMap<
            std::path::PathBuf,
            Option<super::applied::State>,
        > = std::collections::HashMap::new();
        for part in loaded.parts.iter_mut() {
            let mut report = super::reported(part, self.changes.as_ref());
            let state = match (&self.applied, &part.file) {
                (Some(a), Some(f)) => states
                    .entry(f.clone())
                    .or_insert_with(|| a.state(f))
                    .clone()
                    .map(|s| (a, s)),
                _ => None,
            };
            match state {
                Some((_, super::applied::State::Applied)) => report = false,
                Some((a, super::applied::State::Modified { recorded })) => {
                    // Reported whatever --since says: what a database that
                    // applied it has is no longer what the file says.
                    report = true;
                    if !modified.iter().any(|n| n.path == part.path) {
                        modified.push(modified_note(part, a, &recorded));
                    }
                }
                None => {}
            }
            // The text moves to the input (the analysis keeps it); the part
            // keeps where it came from.
            inputs.push(Input {
                path: part.path.clone(),
                text: std::mem::take(&mut part.text),
                wrapping: part.wrapping,
                layout: part.layout,
                report,
                map: part.map.clone(),
                project: Some(part.project),
                session: None,
            });
        }
        loaded.notes.extend(modified);
        Ok((loaded, inputs))
    }

    /// Files the applied history records for the projects read that are
    /// gone (relative to the lock file's directory).
    pub fn gone(&self, loaded: &super::Loaded) -> Vec<String> {
        let Some(a) = &self.applied else {
            return Vec::new();
        };
        let mut out: Vec<String> = loaded
            .coverage
            .projects
            .iter()
            .flat_map(|p| a.gone(std::path::Path::new(&p.root)))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The note that a recorded migration changed: on its first line.
fn modified_note(part: &super::Part, a: &super::applied::Applied, recorded: &str) -> super::Note {
    let first = part.text.lines().next().unwrap_or("");
    super::Note {
        path: part.path.clone(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: first.chars().count() + 1,
        kind: super::NoteKind::ModifiedApplied,
        message: format!(
            "{} records this migration as applied (sha256 {}...) but its content changed: databases that applied it will not run the new text, and a fresh database will not match them",
            a.shown(),
            &recorded[..recorded.len().min(12)]
        ),
        help: Some(format!(
            "restore the applied text and put the change in a new migration; if the edit is intended (it changes nothing a database would see), record it with `ddlint accept {}`",
            part.path
        )),
    }
}
