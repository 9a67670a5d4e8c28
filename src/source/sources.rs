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
}

/// The source stage as both commands use it: layout options, the git
/// changes of `--since`, and `--schema` files (history, never reported).
pub struct Sources {
    opts: super::Options,
    pub changes: Option<super::git::Changes>,
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
        Ok(Sources {
            opts,
            changes,
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
        for part in loaded.parts.iter_mut() {
            let report = super::reported(part, self.changes.as_ref());
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
            });
        }
        Ok((loaded, inputs))
    }
}
