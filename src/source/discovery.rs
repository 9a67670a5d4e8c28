//! Which files: paths given on the command line are files, directories
//! (walked recursively, hidden directories, `node_modules` and `target`
//! skipped), or globs (`*`, `?`, `**`, `[abc]`) expanded here so that they
//! also work where the shell does not expand them (CI YAML, Windows).

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::read::io_message;
use super::SourceError;

/// Names the SQL readers accept: `*.sql`, synapse's `*.sql.postgres`,
/// `*.psql`.
pub fn is_sql(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".sql") || name.ends_with(".sql.postgres") || name.ends_with(".psql")
}

/// How deep a directory walk goes before it gives up (a symlink loop that
/// `walkdir` cannot see, e.g. through a bind mount).
const MAX_DEPTH: usize = 64;

/// A symlink to a directory it is in (`ln -s . loop`, `ln -s .. up`): not
/// followed, since everything it leads to is read through the real path
/// (or lies above the directory given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loop {
    /// The symlink, as walked.
    pub link: PathBuf,
    /// Where it points (its target as written, else the directory it leads
    /// back to).
    pub target: PathBuf,
}

impl Loop {
    /// Why it is not followed (the source stage's `Coverage::skipped`).
    pub fn reason(&self) -> String {
        format!(
            "symlink loop (it points to {}, a directory it is in): not followed",
            self.target.display()
        )
    }
}

/// Every file under `dir` that is not a directory (layouts need the non-SQL
/// siblings too: `metadata.toml`, `sqitch.plan`, `*.sql.conf`), depth
/// first, each directory's entries in the order the file system lists
/// them. Symlinks are followed, except one that leads back to a directory
/// it is in (walkdir's loop detection, or a target that holds `dir`):
/// that one is added to `loops`, once, and not followed. A broken symlink
/// is an error naming it. Hidden directories, `node_modules` and `target`
/// below `dir` are skipped; hidden files are not.
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>, loops: &mut Vec<Loop>) -> Result<(), SourceError> {
    let root = std::fs::canonicalize(dir).ok();
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.') || name == "node_modules" || name == "target")
        });
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => match (e.loop_ancestor(), e.path()) {
                (Some(ancestor), Some(link)) => {
                    let target = std::fs::read_link(link).unwrap_or_else(|_| ancestor.into());
                    loops.push(Loop {
                        link: link.to_path_buf(),
                        target,
                    });
                    continue;
                }
                _ => return Err(walk_error(dir, e)),
            },
        };
        if entry.file_type().is_dir() {
            // A link to `dir` or above it: walkdir sees no loop until it
            // has walked what lies above `dir`.
            if entry.depth() > 0 && entry.path_is_symlink() {
                let holds_root = match (&root, std::fs::canonicalize(entry.path())) {
                    (Some(root), Ok(target)) => root.starts_with(target),
                    _ => false,
                };
                if holds_root {
                    let target = std::fs::read_link(entry.path())
                        .unwrap_or_else(|_| entry.path().to_path_buf());
                    loops.push(Loop {
                        link: entry.into_path(),
                        target,
                    });
                    walker.skip_current_dir();
                    continue;
                }
            }
            if entry.depth() > MAX_DEPTH {
                return Err(too_deep(entry.path()));
            }
        } else {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

/// A walk too deep to be real: a loop `walk` cannot see (a bind mount).
fn too_deep(path: &Path) -> SourceError {
    SourceError {
        path: path.display().to_string(),
        message: "directories nested too deeply (a symlink loop?)".into(),
    }
}

/// The message of a failed walk step, as `read_dir`/`metadata` word it.
fn walk_error(dir: &Path, e: walkdir::Error) -> SourceError {
    let path = e.path().unwrap_or(dir).to_path_buf();
    if e.loop_ancestor().is_some() {
        return too_deep(&path);
    }
    let message = match e.io_error() {
        Some(io) => {
            let is_link = std::fs::symlink_metadata(&path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            if is_link && e.depth() > 0 {
                format!("broken or looping symlink ({})", io_message(io))
            } else {
                io_message(io)
            }
        }
        None => e.to_string(),
    };
    SourceError {
        path: path.display().to_string(),
        message,
    }
}

pub fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expand a glob pattern into the matching files, sorted. `*`, `?` and
/// `[set]` (`!`/`^` negation, ranges) match within one path component,
/// `**` any number of them; `{`, `}` and `,` are literal. Files are found by
/// [`walk`] from the pattern's literal prefix, so hidden directories,
/// `node_modules` and `target` are skipped there too, and symlink loops
/// added to `loops`.
pub fn expand_glob(pattern: &str, loops: &mut Vec<Loop>) -> Result<Vec<PathBuf>, SourceError> {
    let pattern = pattern.replace('\\', "/");
    let absolute = pattern.starts_with('/');
    let comps: Vec<&str> = pattern
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    // The literal prefix is walked from directly.
    let lit = comps.iter().take_while(|c| !has_glob(c)).count();
    let mut base = PathBuf::from(if absolute { "/" } else { "." });
    for c in &comps[..lit] {
        base.push(c);
    }
    if lit == comps.len() {
        return Ok(if base.exists() { vec![base] } else { vec![] });
    }
    let matcher = matcher(&comps[lit..]).map_err(|e| SourceError {
        path: pattern.clone(),
        message: e.to_string(),
    })?;
    let mut files = Vec::new();
    if base.is_dir() {
        let mut found = Vec::new();
        walk(&base, &mut files, &mut found)?;
        loops.extend(found.into_iter().map(|mut l| {
            if !absolute {
                l.link = l
                    .link
                    .strip_prefix(".")
                    .map(Path::to_path_buf)
                    .unwrap_or(l.link);
            }
            l
        }));
    }
    let mut out: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            let rel = f.strip_prefix(&base).unwrap_or(f);
            let rel: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            matcher.is_match(rel.join("/"))
        })
        .map(|f| {
            if absolute {
                f
            } else {
                f.strip_prefix(".").map(Path::to_path_buf).unwrap_or(f)
            }
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The pattern's components after its literal prefix as one `globset`
/// matcher on `/`-joined relative paths.
fn matcher(comps: &[&str]) -> Result<GlobSet, globset::Error> {
    let mut pattern = String::new();
    for (i, c) in comps.iter().enumerate() {
        if i > 0 {
            pattern.push('/');
        }
        pattern.push_str(&literal_braces(c));
    }
    let glob = |p: &str| {
        GlobBuilder::new(p)
            .literal_separator(true)
            .backslash_escape(true)
            .allow_unclosed_class(true)
            .build()
    };
    let mut set = GlobSetBuilder::new();
    set.add(glob(&pattern)?);
    // A trailing `**` also matches no component (`x/**` matches the file
    // `x`), which globset's `/**` does not.
    if let Some(stem) = pattern.strip_suffix("/**") {
        set.add(glob(stem)?);
    }
    set.build()
}

/// `{`, `}` and `,` outside `[...]` escaped: alternation is not part of the
/// syntax (a file may be named `x{1}.sql`). A class is `[`, one character
/// (so `[]]` and `[!]` hold one), then up to the next `]`; an unclosed `[`
/// is literal.
fn literal_braces(comp: &str) -> String {
    let chars: Vec<char> = comp.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '[' => {
                let close = chars
                    .iter()
                    .skip(i + 2)
                    .position(|c| *c == ']')
                    .map(|k| k + i + 2);
                match close {
                    // Only a negation: any one character.
                    Some(close) if close == i + 2 && matches!(chars[i + 1], '!' | '^') => {
                        out.push('?');
                        i = close;
                    }
                    Some(close) => {
                        out.extend(&chars[i..=close]);
                        i = close + 1;
                        continue;
                    }
                    None => out.push_str("\\["),
                }
            }
            c @ ('{' | '}' | ',') => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for f in files {
            let p = t.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        t
    }

    fn glob(t: &tempfile::TempDir, pattern: &str) -> Vec<String> {
        let full = format!("{}/{pattern}", t.path().display());
        expand_glob(&full, &mut Vec::new())
            .unwrap()
            .iter()
            .map(|p| {
                p.strip_prefix(t.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn globs() {
        let t = tree(&[
            "a.sql",
            "a.sql.conf",
            "V12__x.sql",
            "V1",
            "Vx",
            "x{1}.sql",
            "[.sql",
            "d/b.sql",
            "d/e/c.sql",
            "d/.hidden/h.sql",
            "d/node_modules/n.sql",
            "d/.f.sql",
        ]);
        assert_eq!(
            glob(&t, "*.sql"),
            ["V12__x.sql", "[.sql", "a.sql", "x{1}.sql"]
        );
        assert_eq!(glob(&t, "V[0-9]*__*.sql"), ["V12__x.sql"]);
        assert_eq!(glob(&t, "V[!0-9]*"), ["Vx"]);
        assert_eq!(glob(&t, "V[!]"), ["V1", "Vx"]);
        assert_eq!(glob(&t, "x{1}*"), ["x{1}.sql"]);
        assert_eq!(glob(&t, "[*"), ["[.sql"]);
        assert_eq!(glob(&t, "d/*.sql"), ["d/.f.sql", "d/b.sql"]);
        assert_eq!(
            glob(&t, "**/*.sql"),
            [
                "V12__x.sql",
                "[.sql",
                "a.sql",
                "d/.f.sql",
                "d/b.sql",
                "d/e/c.sql",
                "x{1}.sql"
            ]
        );
        assert_eq!(glob(&t, "d/**/c.sql"), ["d/e/c.sql"]);
        assert_eq!(glob(&t, "d/**"), ["d/.f.sql", "d/b.sql", "d/e/c.sql"]);
        assert_eq!(glob(&t, "d/*/**"), ["d/.f.sql", "d/b.sql", "d/e/c.sql"]);
        assert_eq!(glob(&t, "d/e**/*"), ["d/e/c.sql"]);
        assert_eq!(glob(&t, "./d//e/?.sql"), ["d/e/c.sql"]);
    }

    #[test]
    fn walks_follow_symlinks_and_report_broken_ones() {
        let t = tree(&["real/a.sql", "d/x.sql"]);
        std::os::unix::fs::symlink(t.path().join("real"), t.path().join("d/link")).unwrap();
        let mut out = Vec::new();
        walk(&t.path().join("d"), &mut out, &mut Vec::new()).unwrap();
        out.sort();
        assert_eq!(
            out,
            [t.path().join("d/link/a.sql"), t.path().join("d/x.sql")]
        );

        std::os::unix::fs::symlink(t.path().join("missing"), t.path().join("d/broken")).unwrap();
        let err = walk(&t.path().join("d"), &mut Vec::new(), &mut Vec::new()).unwrap_err();
        assert_eq!(err.path, t.path().join("d/broken").display().to_string());
        assert!(
            err.message.starts_with("broken or looping symlink ("),
            "{err}"
        );
    }

    #[test]
    fn symlink_loops_are_listed_once_and_not_followed() {
        let t = tree(&["d/x.sql", "d/e/y.sql", "o/z.sql"]);
        let d = t.path().join("d");
        // To itself, to the directory above, to the parent of what is
        // walked, and through a sibling back to `d`.
        std::os::unix::fs::symlink(".", d.join("self")).unwrap();
        std::os::unix::fs::symlink("..", d.join("e/up")).unwrap();
        std::os::unix::fs::symlink("..", d.join("above")).unwrap();
        std::os::unix::fs::symlink("../o", d.join("o")).unwrap();
        std::os::unix::fs::symlink("../d", t.path().join("o/d")).unwrap();
        let (mut out, mut loops) = (Vec::new(), Vec::new());
        walk(&d, &mut out, &mut loops).unwrap();
        out.sort();
        assert_eq!(out, [d.join("e/y.sql"), d.join("o/z.sql"), d.join("x.sql")]);
        loops.sort_by(|a, b| a.link.cmp(&b.link));
        let found: Vec<(PathBuf, PathBuf)> = loops
            .into_iter()
            .map(|l| (l.link.strip_prefix(&d).unwrap().to_path_buf(), l.target))
            .collect();
        let p = |a: &str, b: &str| (PathBuf::from(a), PathBuf::from(b));
        assert_eq!(
            found,
            [
                p("above", ".."),
                p("e/up", ".."),
                p("o/d", "../d"),
                p("self", "."),
            ]
        );
    }
}
