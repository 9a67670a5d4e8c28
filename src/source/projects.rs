//! Where one project ends and the next begins. A directory given on the
//! command line may hold several projects (a monorepo's services, each with
//! its own migration tool and its own database); each is read with its own
//! layout and replayed into its own catalog.
//!
//! - A project's root is the nearest directory whose files' names or
//!   markers decide a tool ([`layouts::marked_root`]: flyway and
//!   golang-migrate names, goose/dbmate/sql-migrate/node-pg-migrate
//!   markers, the parent of diesel's and prisma's version directories, of
//!   graphile's `committed/` and of drizzle-kit's `meta/_journal.json`,
//!   the directory of `sqitch.plan` or `atlas.sum`, ...), or a directory
//!   below the one given
//!   that holds a `ddlint.yaml` (the user's way to say "this is one
//!   project"). Everything below a root belongs to it: the outermost root
//!   wins, as the tools read their directories.
//! - SQL files under no root are plain scripts (or a tool only their
//!   language tells): they are grouped by the highest directory that holds
//!   no root, so a scripts tree spread over subdirectories stays one
//!   history, and loose files next to projects are a group of their own.
//! - A directory with a single root at or above it, or none, is one
//!   project, exactly as before projects were split.
//!
//! The split of a subtree never depends on what lies beside it, so checking
//! a parent directory reads each project exactly as checking the project's
//! own directory does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::layouts;
use super::ordering::natural_cmp;
use crate::input::CONFIG_FILE_NAMES as FILE_NAMES;

/// Files that are read together: one project's files (SQL and the
/// non-SQL siblings layouts read, such as `metadata.toml`).
#[derive(Debug)]
pub struct Found {
    pub root: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Split the files found under `dir` (every file the walk found) into
/// projects, in root order. `texts` holds the SQL files that could be read.
pub fn split(dir: &Path, files: Vec<PathBuf>, texts: &BTreeMap<PathBuf, String>) -> Vec<Found> {
    let roots = roots(dir, &files, texts);
    if roots.is_empty() || roots.iter().any(|r| r == dir) {
        return vec![Found {
            root: dir.to_path_buf(),
            files,
        }];
    }
    let mut by_root: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        let root = match roots.iter().find(|r| f.starts_with(r)) {
            Some(r) => r.clone(),
            None => unmarked_group(dir, &f, &roots),
        };
        by_root.entry(root).or_default().push(f);
    }
    let mut out: Vec<Found> = by_root
        .into_iter()
        .filter(|(_, files)| files.iter().any(|f| super::discovery::is_sql(f)))
        .map(|(root, files)| Found { root, files })
        .collect();
    out.sort_by(|a, b| natural_cmp(&a.root.to_string_lossy(), &b.root.to_string_lossy()));
    out
}

/// The project roots under `dir`, outermost only. A root that a file
/// places above `dir` (a diesel version directory given on its own) is
/// `dir` itself: nothing above the path given is read.
fn roots(dir: &Path, files: &[PathBuf], texts: &BTreeMap<PathBuf, String>) -> Vec<PathBuf> {
    let mut marked = BTreeSet::new();
    for f in files {
        let root = if FILE_NAMES.contains(&layouts::file_name(f)) {
            // The configuration of the directory given (or above it) is the
            // run's; one below it marks a project.
            f.parent().filter(|p| *p != dir).map(Path::to_path_buf)
        } else {
            layouts::marked_root(f, texts.get(f).map(String::as_str))
        };
        if let Some(r) = root {
            marked.insert(if r.starts_with(dir) {
                r
            } else {
                dir.to_path_buf()
            });
        }
    }
    // Ancestors sort before their descendants: keep the first of each line.
    let mut out: Vec<PathBuf> = Vec::new();
    for r in marked {
        if !out.iter().any(|o| r.starts_with(o)) {
            out.push(r);
        }
    }
    out
}

/// The group of a file under no root: the highest directory between `dir`
/// and the file that holds no root; when even the file's own directory
/// holds one (further down), the files directly in that directory.
fn unmarked_group(dir: &Path, file: &Path, roots: &[PathBuf]) -> PathBuf {
    let parent = file.parent().unwrap_or(dir);
    let mut chain: Vec<&Path> = parent
        .ancestors()
        .take_while(|a| a.starts_with(dir))
        .collect();
    chain.reverse();
    chain
        .into_iter()
        .find(|d| !roots.iter().any(|r| r.starts_with(d)))
        .unwrap_or(parent)
        .to_path_buf()
}

/// Which project a file named on the command line belongs to: the root its
/// name or markers show, else its directory. Files named together from one
/// project are replayed together; files from different projects are not.
pub fn root_of_file(file: &Path, text: Option<&str>) -> PathBuf {
    match layouts::marked_root(file, text).or_else(|| file.parent().map(Path::to_path_buf)) {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(dir: &str, files: &[&str]) -> Vec<(String, Vec<String>)> {
        let dir = Path::new(dir);
        let files: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
        split(dir, files, &BTreeMap::new())
            .into_iter()
            .map(|f| {
                let rel = |p: &Path| p.strip_prefix(dir).unwrap().display().to_string();
                (rel(&f.root), f.files.iter().map(|p| rel(p)).collect())
            })
            .collect()
    }

    #[test]
    fn one_tool_or_none_is_one_project() {
        let files = ["V1__a.sql", "V2__b.sql", "sub/x.sql"];
        assert_eq!(found("/r", &files).len(), 1);
        let files = ["a.sql", "b/c.sql", "b/d/e.sql"];
        assert_eq!(found("/r", &files).len(), 1);
        // A diesel version directory given on its own.
        let files = ["up.sql", "down.sql"];
        assert_eq!(
            split(
                Path::new("/r/migrations/2024-01-01-000000_x"),
                files
                    .iter()
                    .map(|f| Path::new("/r/migrations/2024-01-01-000000_x").join(f))
                    .collect(),
                &BTreeMap::new()
            )[0]
            .root,
            Path::new("/r/migrations/2024-01-01-000000_x")
        );
    }

    #[test]
    fn projects_and_unmarked_groups() {
        let files = [
            "services/a/migrations/1_init.up.sql",
            "services/a/migrations/1_init.down.sql",
            "services/b/db/V1__init.sql",
            "services/b/db/notes.sql",
            "services/stray.sql",
            "tools/scripts/report.sql",
            "tools/scripts/more/report2.sql",
            "lemmy/migrations/2019-01-01-000000_x/up.sql",
            "lemmy/crates/utils/replaceable/utils.sql",
            "README.md",
        ];
        let got = found("/r", &files);
        let roots: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            roots,
            vec![
                "lemmy/crates",
                "lemmy/migrations",
                "services",
                "services/a/migrations",
                "services/b/db",
                "tools",
            ]
        );
        assert_eq!(got[2].1, vec!["services/stray.sql"]);
        assert_eq!(
            got[4].1,
            vec!["services/b/db/V1__init.sql", "services/b/db/notes.sql"]
        );
    }

    #[test]
    fn a_config_below_the_path_marks_a_project() {
        let files = [
            "ddlint.yaml",
            "db/ddlint.yaml",
            "db/init/1_a.up.sql",
            "db/migrations/2_b.up.sql",
        ];
        let got = found("/r", &files);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "db");
    }
}
