//! `--since REF`: lint only the migrations added or changed since REF
//! (the merge base of REF and HEAD, as a pull request sees it), while the
//! whole history is still replayed for the catalog. A migration that
//! existed at REF and was edited (or renamed) is a finding: the tool has
//! already applied it and will not run the new text (or will run the
//! renamed file again).
//!
//! This shells out to the `git` executable rather than linking a git
//! library: it is the same code the user's CI runs, so worktrees, sparse
//! and shallow clones, `safe.directory`, alternates, LFS filters and
//! whatever `core.*` settings the repository has behave exactly as there.
//! Paths are compared canonicalized, so any subdirectory works as the
//! working directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::SourceError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    /// Existed at REF; `line` is the first changed line in the new text.
    Modified {
        line: usize,
    },
    Renamed {
        from: String,
    },
    Untracked,
}

#[derive(Debug, Default)]
pub struct Changes {
    /// Canonical path -> change.
    pub files: BTreeMap<PathBuf, Change>,
    /// Files that existed at REF and are gone (repo-relative).
    pub deleted: Vec<String>,
    pub base: String,
    pub root: PathBuf,
}

impl Changes {
    pub fn get(&self, p: &Path) -> Option<&Change> {
        let c = std::fs::canonicalize(p).ok()?;
        self.files.get(&c)
    }
}

fn err(message: String) -> SourceError {
    SourceError {
        path: "--since".into(),
        message,
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<(bool, String, String), SourceError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .map_err(|e| {
            err(if e.kind() == std::io::ErrorKind::NotFound {
                "`git` was not found on PATH; --since needs git".into()
            } else {
                format!("could not run git: {e}")
            })
        })?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

/// What changed between `since` and the working tree of the repository
/// holding `dir`.
pub fn changes(since: &str, dir: &Path) -> Result<Changes, SourceError> {
    let (ok, top, e) = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !ok {
        return Err(err(format!(
            "{} is not inside a git repository ({e}); --since needs one",
            dir.display()
        )));
    }
    let root = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let spec = format!("{since}^{{commit}}");
    let (ok, _, _) = git(&root, &["rev-parse", "--verify", "--quiet", &spec])?;
    if !ok {
        let (_, shallow, _) = git(&root, &["rev-parse", "--is-shallow-repository"])?;
        let hint = if shallow.trim() == "true" {
            format!(
                "this is a shallow clone; fetch it first, e.g. `git fetch --no-tags origin {b}:refs/remotes/origin/{b}` (or `fetch-depth: 0` in actions/checkout)",
                b = since.strip_prefix("origin/").unwrap_or(since)
            )
        } else {
            "check the name (`git branch -a`), or fetch it first (`git fetch origin`)".into()
        };
        return Err(err(format!(
            "`{since}` is not a commit in this repository; {hint}"
        )));
    }
    // The merge base: what the branch changed, not what REF changed since.
    let (has_head, _, _) = git(
        &root,
        &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
    )?;
    let base = if has_head {
        let (ok, mb, e) = git(&root, &["merge-base", &spec, "HEAD"])?;
        if !ok {
            let (_, shallow, _) = git(&root, &["rev-parse", "--is-shallow-repository"])?;
            return Err(err(if shallow.trim() == "true" {
                format!("`{since}` and HEAD have no common ancestor in this shallow clone; fetch more history (`git fetch --deepen=100`, or `fetch-depth: 0` in actions/checkout)")
            } else {
                format!("`{since}` and HEAD have no common ancestor ({e})")
            }));
        }
        mb.trim().to_string()
    } else {
        let (_, c, _) = git(&root, &["rev-parse", &spec])?;
        c.trim().to_string()
    };
    let mut out = Changes {
        base: base.clone(),
        root: root.clone(),
        ..Default::default()
    };
    let (ok, diff, e) = git(
        &root,
        &[
            "-c",
            "core.quotepath=off",
            "diff",
            "--name-status",
            "-z",
            "-M",
            "--no-ext-diff",
            &base,
            "--",
        ],
    )?;
    if !ok {
        return Err(err(format!("git diff failed: {e}")));
    }
    let mut fields = diff.split('\0').filter(|s| !s.is_empty());
    while let Some(status) = fields.next() {
        let code = status.chars().next().unwrap_or(' ');
        match code {
            'R' | 'C' => {
                let (Some(from), Some(to)) = (fields.next(), fields.next()) else {
                    break;
                };
                let change = if code == 'R' {
                    Change::Renamed {
                        from: from.to_string(),
                    }
                } else {
                    Change::Added
                };
                insert(&mut out, &root, to, change);
            }
            'D' => {
                if let Some(p) = fields.next() {
                    out.deleted.push(p.to_string());
                }
            }
            'A' => {
                if let Some(p) = fields.next() {
                    insert(&mut out, &root, p, Change::Added);
                }
            }
            _ => {
                // M, T (type change), U (unmerged)
                if let Some(p) = fields.next() {
                    let line = first_changed_line(&root, &base, p).unwrap_or(1);
                    insert(&mut out, &root, p, Change::Modified { line });
                }
            }
        }
    }
    let (ok, untracked, _) = git(&root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    if ok {
        for p in untracked.split('\0').filter(|s| !s.is_empty()) {
            insert(&mut out, &root, p, Change::Untracked);
        }
    }
    Ok(out)
}

fn insert(out: &mut Changes, root: &Path, rel: &str, c: Change) {
    let p = root.join(rel);
    let p = std::fs::canonicalize(&p).unwrap_or(p);
    out.files.insert(p, c);
}

/// The first line of the new text that differs from `base`.
fn first_changed_line(root: &Path, base: &str, rel: &str) -> Option<usize> {
    let (ok, d, _) = git(
        root,
        &[
            "diff",
            "-U0",
            "--no-ext-diff",
            "--no-color",
            base,
            "--",
            rel,
        ],
    )
    .ok()?;
    if !ok {
        return None;
    }
    for l in d.lines() {
        if let Some(rest) = l.strip_prefix("@@ ") {
            // @@ -a,b +c,d @@
            let plus = rest.split_whitespace().find(|w| w.starts_with('+'))?;
            let mut it = plus[1..].split(',');
            let c: usize = it.next()?.parse().ok()?;
            return Some(c.max(1));
        }
    }
    None
}
