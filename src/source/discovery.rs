//! Which files: paths given on the command line are files, directories
//! (walked recursively, hidden directories, `node_modules` and `target`
//! skipped), or globs (`*`, `?`, `**`, `[abc]`) expanded here so that they
//! also work where the shell does not expand them (CI YAML, Windows).

use std::path::{Path, PathBuf};

use super::read::io_message;
use super::SourceError;

/// Names the SQL readers accept: `*.sql`, synapse's `*.sql.postgres`,
/// `*.psql`.
pub fn is_sql(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".sql") || name.ends_with(".sql.postgres") || name.ends_with(".psql")
}

/// Every regular file under `dir` (layouts need the non-SQL siblings too:
/// `metadata.toml`, `sqitch.plan`, `*.sql.conf`).
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), SourceError> {
    if depth > 64 {
        return Err(SourceError {
            path: dir.display().to_string(),
            message: "directories nested too deeply (a symlink loop?)".into(),
        });
    }
    let rd = std::fs::read_dir(dir).map_err(|e| SourceError {
        path: dir.display().to_string(),
        message: io_message(&e),
    })?;
    for entry in rd {
        let entry = entry.map_err(|e| SourceError {
            path: dir.display().to_string(),
            message: io_message(&e),
        })?;
        let path = entry.path();
        let ft = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if entry.file_type().map(|t| t.is_symlink()).unwrap_or(false) {
                    return Err(SourceError {
                        path: path.display().to_string(),
                        message: format!("broken or looping symlink ({})", io_message(&e)),
                    });
                }
                return Err(SourceError {
                    path: path.display().to_string(),
                    message: io_message(&e),
                });
            }
        };
        if ft.is_dir() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "node_modules" || name == "target" {
                continue;
            }
            walk(&path, out, depth + 1)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

pub fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expand a glob pattern into the matching paths, sorted.
pub fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, SourceError> {
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
    let mut files = Vec::new();
    if base.is_dir() {
        walk(&base, &mut files, 0)?;
    }
    let rest = &comps[lit..];
    let mut out: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| {
            let rel = f.strip_prefix(&base).unwrap_or(f);
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let parts: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
            match_components(rest, &parts)
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

fn match_components(pat: &[&str], parts: &[&str]) -> bool {
    match pat.first() {
        None => parts.is_empty(),
        Some(&"**") => (0..=parts.len()).any(|i| match_components(&pat[1..], &parts[i..])),
        Some(p) => {
            !parts.is_empty() && wildcard(p, parts[0]) && match_components(&pat[1..], &parts[1..])
        }
    }
}

/// `*`, `?` and `[set]` (with `!`/`^` negation and ranges) on one path
/// component.
pub fn wildcard(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                    return t.first() == Some(&'[') && go(&p[1..], &t[1..]);
                };
                let Some(&c) = t.first() else { return false };
                let mut set = &p[1..close];
                let neg = matches!(set.first(), Some('!') | Some('^'));
                if neg {
                    set = &set[1..];
                }
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &t[1..])
            }
            Some(&c) => t.first() == Some(&c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

/// Whether a path matches an exclude pattern: a glob matched against the
/// whole path, or against any suffix of its components (`vendor/**`,
/// `*.down.sql`, `migrations/legacy`).
pub fn excluded(path: &Path, patterns: &[String]) -> bool {
    if patterns.is_empty() {
        return false;
    }
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
    patterns.iter().any(|pat| {
        let pat = pat.trim_end_matches('/');
        let pc: Vec<&str> = pat
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        (0..parts.len()).any(|i| {
            // a directory pattern excludes everything below it
            (i..=parts.len()).any(|j| match_components(&pc, &parts[i..j]) && j > i)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("*.sql", "a.sql"));
        assert!(!wildcard("*.sql", "a.sql.conf"));
        assert!(wildcard("V[0-9]*__*.sql", "V12__x.sql"));
        assert!(!wildcard("V[!0-9]*", "V1"));
        assert!(match_components(&["**", "*.sql"], &["a", "b", "c.sql"]));
        assert!(match_components(&["**", "*.sql"], &["c.sql"]));
    }

    #[test]
    fn excludes() {
        let p = Path::new("db/migrations/legacy/001_x.sql");
        assert!(excluded(p, &["legacy".into()]));
        assert!(excluded(p, &["migrations/legacy/".into()]));
        assert!(excluded(p, &["*.sql".into()]));
        assert!(!excluded(p, &["*.down.sql".into()]));
        assert!(excluded(p, &["db/**/001_*".into()]));
    }
}
