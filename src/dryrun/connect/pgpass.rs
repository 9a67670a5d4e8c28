//! The libpq password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`).
//!
//! Format, one entry a line: `hostname:port:database:username:password`.
//! A field that is exactly `*` matches anything; `\` escapes the next
//! character (`\:` and `\\`); lines starting with `#` are comments; the
//! first matching line wins. As in libpq, a file that is not a plain file or
//! that the group or others can access is ignored with a warning.

use std::path::Path;

/// What the password is looked up for.
pub(super) struct Key<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// Reads `path` and returns the password of the first matching entry.
/// Problems that make libpq ignore the file are pushed to `warnings`; a
/// missing file is silently no password.
pub(super) fn lookup(path: &Path, key: &Key<'_>, warnings: &mut Vec<String>) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        warnings.push(format!(
            "password file \"{}\" is not a plain file: ignored",
            path.display()
        ));
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            warnings.push(format!(
                "password file \"{}\" has group or world access; permissions should be u=rw (0600) or less: ignored (chmod 0600 it)",
                path.display()
            ));
            return None;
        }
    }
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            warnings.push(format!(
                "password file \"{}\" could not be read ({e}): ignored",
                path.display()
            ));
            return None;
        }
    };
    find(&text, key)
}

/// The password of the first line of `text` matching `key`.
pub(super) fn find(text: &str, key: &Key<'_>) -> Option<String> {
    for line in text.lines() {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split(line);
        // Four fields to match, then the password (which may be empty, but
        // its `:` separator must be there).
        if fields.len() < 5 {
            continue;
        }
        let wanted = [key.host, key.port, key.dbname, key.user];
        if fields
            .iter()
            .zip(wanted)
            .all(|(f, w)| f.wildcard || f.text == w)
        {
            let password = fields[4].text.clone();
            return (!password.is_empty()).then_some(password);
        }
    }
    None
}

struct Field {
    text: String,
    /// The raw field was exactly `*`.
    wildcard: bool,
}

/// Splits a line on unescaped `:`, removing the escapes.
fn split(line: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut text = String::new();
    let mut raw_star = true;
    let mut raw_len = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => {
                fields.push(Field {
                    wildcard: raw_star && raw_len == 1,
                    text: std::mem::take(&mut text),
                });
                raw_star = true;
                raw_len = 0;
                continue;
            }
            '\\' => {
                raw_star = false;
                raw_len += 1;
                if let Some(n) = chars.next() {
                    text.push(n);
                }
            }
            c => {
                raw_star &= c == '*';
                text.push(c);
            }
        }
        raw_len += 1;
    }
    fields.push(Field {
        wildcard: raw_star && raw_len == 1,
        text,
    });
    fields
}
