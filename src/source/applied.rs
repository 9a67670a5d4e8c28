//! Applied history: `ddlint.lock`, the migrations production already ran,
//! with the sha256 of each file, per project, as a migration tool's own
//! checksum table records them. `ddlint init` and `ddlint accept` write
//! it; `ddlint check` and `dry-run` replay the recorded files for the
//! schema but report only the others, and a recorded file whose content
//! changed is reported (`modified-applied-migration`).
//!
//! The file is YAML, committed next to the migrations:
//!
//! ```yaml
//! version: 1
//! projects:
//!   migrations:                       # the project's root, from this file
//!     0001_create_orders.sql: 9f86d0…  # a file, from the project's root
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SourceError;

/// The lock file's name; `discover` looks for it from a directory up.
pub const LOCK_FILE_NAME: &str = "ddlint.lock";

const HEADER: &str = "\
# Migrations already applied in production, with the sha256 of each file.
# `ddlint check` replays them for the schema but reports only migrations
# that are not listed here; a listed file whose content changed is an
# error (modified-applied-migration). Written by `ddlint init` and
# `ddlint accept`; commit it with the migrations.
";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    version: u32,
    /// Project root (relative to the lock file's directory, `.` for that
    /// directory) -> file (relative to the root, `/`-separated) -> sha256.
    #[serde(default)]
    projects: BTreeMap<String, BTreeMap<String, String>>,
}

/// The lock file, read.
#[derive(Debug)]
pub struct Applied {
    /// The lock file.
    pub path: PathBuf,
    /// Its directory, canonical.
    dir: PathBuf,
    file: LockFile,
    /// Every recorded file that exists, canonical -> where it is recorded
    /// (project key, file key).
    by_file: HashMap<PathBuf, (String, String)>,
}

/// Whether a file is in the applied history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Recorded with this content.
    Applied,
    /// Recorded with another content (the recorded sha256).
    Modified { recorded: String },
}

/// What recording a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Changed,
    Same,
}

/// The nearest `ddlint.lock` from `start` upwards.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(LOCK_FILE_NAME))
        .find(|p| p.is_file())
}

/// The sha256 of a file's bytes, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(openssl::sha::sha256(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `to` relative to the directory `from` (both canonical), with `/`.
fn relative(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn error(path: &Path, message: impl Into<String>) -> SourceError {
    SourceError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

impl Applied {
    /// An empty applied history to be written at `path`.
    pub fn empty(path: &Path) -> Result<Applied, SourceError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = std::fs::canonicalize(dir).map_err(|e| error(path, e.to_string()))?;
        Ok(Applied {
            path: path.to_path_buf(),
            dir,
            file: LockFile {
                version: 1,
                projects: BTreeMap::new(),
            },
            by_file: HashMap::new(),
        })
    }

    pub fn load(path: &Path) -> Result<Applied, SourceError> {
        let text = std::fs::read_to_string(path).map_err(|e| error(path, e.to_string()))?;
        let file: LockFile = if text.trim().is_empty() {
            LockFile::default()
        } else {
            serde_norway::from_str(&text)
                .map_err(|e| error(path, format!("not a ddlint lock file: {e}")))?
        };
        if file.version > 1 {
            return Err(error(
                path,
                format!(
                    "lock file version {} is newer than this ddlint reads (1)",
                    file.version
                ),
            ));
        }
        let mut a = Applied::empty(path)?;
        a.file = file;
        for (root, files) in &a.file.projects {
            for (f, sha) in files {
                let _ = sha;
                let p = a.dir.join(root).join(f);
                if let Ok(c) = std::fs::canonicalize(&p) {
                    a.by_file.insert(c, (root.clone(), f.clone()));
                }
            }
        }
        Ok(a)
    }

    /// Where `file` (on disk) stands in the applied history; `None` when
    /// it is not recorded.
    pub fn state(&self, file: &Path) -> Option<State> {
        let c = std::fs::canonicalize(file).ok()?;
        let (root, name) = self.by_file.get(&c)?;
        let recorded = &self.file.projects[root][name];
        match sha256_file(&c) {
            Ok(sha) if &sha == recorded => Some(State::Applied),
            _ => Some(State::Modified {
                recorded: recorded.clone(),
            }),
        }
    }

    /// Record `file` of the project rooted at `root` with its content now.
    pub fn record(&mut self, root: &Path, file: &Path) -> Result<Recorded, SourceError> {
        let c = std::fs::canonicalize(file).map_err(|e| error(file, e.to_string()))?;
        let r = std::fs::canonicalize(root).map_err(|e| error(root, e.to_string()))?;
        // A file named on its own: its directory is the root.
        let r = if r.is_file() {
            r.parent().map(Path::to_path_buf).unwrap_or(r)
        } else {
            r
        };
        let sha = sha256_file(&c).map_err(|e| error(file, e.to_string()))?;
        // A file already recorded keeps its place, whichever directory
        // it is read from now.
        let (key, name) = match self.by_file.get(&c) {
            Some(at) => at.clone(),
            None => (relative(&self.dir, &r), relative(&r, &c)),
        };
        let files = self.file.projects.entry(key.clone()).or_default();
        let was = files.insert(name.clone(), sha.clone());
        self.by_file.insert(c, (key, name));
        Ok(match was {
            None => Recorded::New,
            Some(old) if old == sha => Recorded::Same,
            Some(_) => Recorded::Changed,
        })
    }

    /// Recorded files of the project rooted at `root` that are gone
    /// (relative to the lock file's directory).
    pub fn gone(&self, root: &Path) -> Vec<String> {
        let Ok(r) = std::fs::canonicalize(root) else {
            return Vec::new();
        };
        let key = relative(&self.dir, &r);
        let Some(files) = self.file.projects.get(&key) else {
            return Vec::new();
        };
        files
            .keys()
            .filter(|f| !r.join(f).exists())
            .map(|f| {
                if key == "." {
                    f.clone()
                } else {
                    format!("{key}/{f}")
                }
            })
            .collect()
    }

    /// The lock file's path as the user sees it: relative to the current
    /// directory when under it.
    pub fn shown(&self) -> String {
        let cwd = std::env::current_dir().ok();
        cwd.as_deref()
            .and_then(|c| self.path.strip_prefix(c).ok())
            .unwrap_or(&self.path)
            .display()
            .to_string()
    }

    /// How many files are recorded.
    pub fn len(&self) -> usize {
        self.file.projects.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Write it back (sorted, so that it diffs well).
    pub fn save(&self) -> Result<(), SourceError> {
        let body =
            serde_norway::to_string(&self.file).map_err(|e| error(&self.path, e.to_string()))?;
        std::fs::write(&self.path, format!("{HEADER}{body}"))
            .map_err(|e| error(&self.path, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/b")), ".");
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c/d.sql")),
            "c/d.sql"
        );
        assert_eq!(relative(Path::new("/a/b"), Path::new("/a/x/y")), "../x/y");
    }

    #[test]
    fn records_and_detects_changes() {
        let t = tempfile::tempdir().unwrap();
        let m = t.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("1.sql"), "CREATE TABLE t (id int);\n").unwrap();
        let lock = t.path().join(LOCK_FILE_NAME);
        let mut a = Applied::empty(&lock).unwrap();
        assert_eq!(a.record(&m, &m.join("1.sql")).unwrap(), Recorded::New);
        assert_eq!(a.record(&m, &m.join("1.sql")).unwrap(), Recorded::Same);
        a.save().unwrap();
        let text = std::fs::read_to_string(&lock).unwrap();
        assert!(text.contains("migrations:\n    1.sql: "), "{text}");
        let a = Applied::load(&lock).unwrap();
        assert_eq!(a.state(&m.join("1.sql")), Some(State::Applied));
        std::fs::write(m.join("1.sql"), "CREATE TABLE t (id bigint);\n").unwrap();
        assert!(matches!(
            a.state(&m.join("1.sql")),
            Some(State::Modified { .. })
        ));
        std::fs::write(m.join("2.sql"), "SELECT 1;\n").unwrap();
        assert_eq!(a.state(&m.join("2.sql")), None);
        std::fs::remove_file(m.join("1.sql")).unwrap();
        assert_eq!(a.gone(&m), vec!["migrations/1.sql".to_string()]);
    }
}
