//! What the source stage hands to the model: the units a migration tool
//! runs, with their text and transaction wrapping. Shared by both layers
//! (and by dry-run, which runs the same units), so that neither imports
//! the other for them.

/// How the migration tool runs a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wrapping {
    /// Each statement commits on its own unless the file says BEGIN (psql).
    #[default]
    Autocommit,
    /// The tool wraps the whole file in one transaction.
    Transaction,
    /// The whole file is sent as one simple-protocol query string: one
    /// implicit transaction unless the file itself says BEGIN/COMMIT.
    ImplicitMultiStatement,
}

/// One file as the migration tool will run it.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: String,
    pub text: String,
    pub wrapping: Wrapping,
    /// Whether findings are reported for this file (history-only files
    /// are replayed but not reported, e.g. `--schema`).
    pub report: bool,
    /// Set when `text` is a rewrite of the file (down-parts or psql
    /// meta-commands blanked, variables substituted): maps positions back
    /// to the original file, so reported lines and columns are original.
    pub map: Option<std::sync::Arc<crate::parse::lines::OffsetMap>>,
    /// The project whose catalog it is replayed into: projects never see
    /// each other's objects. `None` is history every project shares
    /// (`--schema`): it builds the catalog each project starts from.
    pub project: Option<usize>,
}

/// The names of ddlint's configuration file: `rules::config` reads it, and
/// the source stage takes its directory as a project root.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["ddlint.yaml", ".ddlint.yaml"];
