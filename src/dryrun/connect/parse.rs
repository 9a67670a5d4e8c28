//! Parsing of the `--db` string (libpq URL or key=value DSN) and redaction
//! of passwords from text that may contain one.
//!
//! Parsing only splits the text into `(keyword, value)` pairs, in order
//! (later pairs override earlier ones, as in libpq); which keywords are
//! allowed and what the values mean is decided by the caller.

use super::{ConnectError, ConnectErrorKind};

fn bad(message: String) -> ConnectError {
    ConnectError {
        kind: ConnectErrorKind::BadParameters,
        message,
    }
}

/// Splits `db` into keyword/value pairs.
///
/// - `postgres://` / `postgresql://` URL: `[user[:password]@][host][:port][/dbname][?k=v&...]`,
///   percent-decoded (`ssl=true` in the query means `sslmode=require`, as in libpq);
/// - text with a `=`: libpq key=value pairs (values may be single-quoted,
///   backslash escapes the next character);
/// - a plain name (no `=`, `/`, `:`, `@` or whitespace): the database name,
///   as `psql NAME` takes it.
pub(super) fn parse(db: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let trimmed = db.trim();
    if let Some(rest) = trimmed
        .strip_prefix("postgresql://")
        .or_else(|| trimmed.strip_prefix("postgres://"))
    {
        return parse_url(rest);
    }
    if trimmed.contains('=') {
        return parse_dsn(trimmed);
    }
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | ':' | '@'))
    {
        return Err(bad(format!(
            "\"{}\" is neither a connection URL (postgres://user@host:port/database) nor key=value parameters (host=... dbname=...)",
            redact(trimmed)
        )));
    }
    Ok(vec![("dbname".into(), trimmed.into())])
}

/// Percent-decodes one URL component. `what` names it in errors (the value
/// itself is not echoed: it may be a password).
fn percent_decode(s: &str, what: &str) -> Result<String, ConnectError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            });
            match hex {
                // `from_str_radix` accepts a leading `+`; libpq wants two hex digits.
                Some(b) if bytes[i + 1].is_ascii_hexdigit() => {
                    if b == 0 {
                        return Err(bad(format!(
                            "the {what} in the connection URL contains %00, which is not allowed"
                        )));
                    }
                    out.push(b);
                    i += 3;
                }
                _ => {
                    return Err(bad(format!(
                        "invalid percent-encoding in the {what} of the connection URL: % must be followed by two hex digits (write a literal % as %25)"
                    )))
                }
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        bad(format!(
            "the {what} in the connection URL is not valid UTF-8 after percent-decoding"
        ))
    })
}

fn parse_url(rest: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let mut pairs = Vec::new();
    let mut push = |k: &str, v: String| {
        if !v.is_empty() {
            pairs.push((k.to_string(), v));
        }
    };
    // User info: like libpq, everything up to the first `@` seen before any `/`.
    let mut rest = rest;
    if let Some(i) = rest.find(['@', '/']) {
        if rest.as_bytes()[i] == b'@' {
            let info = &rest[..i];
            rest = &rest[i + 1..];
            match info.split_once(':') {
                Some((user, password)) => {
                    push("user", percent_decode(user, "user name")?);
                    push("password", percent_decode(password, "password")?);
                }
                None => push("user", percent_decode(info, "user name")?),
            }
        }
    }
    // Host: `[v6]` or up to `:`, `/`, `?`.
    let host_end;
    let host = if let Some(v6) = rest.strip_prefix('[') {
        let close = v6.find(']').ok_or_else(|| {
            bad("missing \"]\" after the IPv6 host address in the connection URL".into())
        })?;
        host_end = close + 2;
        &v6[..close]
    } else {
        host_end = rest.find([':', '/', '?', ',']).unwrap_or(rest.len());
        &rest[..host_end]
    };
    rest = &rest[host_end..];
    if rest.starts_with(',') {
        return Err(bad(
            "several hosts in one connection URL are not supported by ddlint: give one host".into(),
        ));
    }
    if !rest.is_empty() && !rest.starts_with([':', '/', '?']) {
        return Err(bad(
            "unexpected text after the IPv6 host address in the connection URL".into(),
        ));
    }
    push("host", percent_decode(host, "host")?);
    if let Some(r) = rest.strip_prefix(':') {
        let end = r.find(['/', '?', ',']).unwrap_or(r.len());
        push("port", percent_decode(&r[..end], "port")?);
        rest = &r[end..];
        if rest.starts_with(',') {
            return Err(bad(
                "several hosts in one connection URL are not supported by ddlint: give one host"
                    .into(),
            ));
        }
    }
    if let Some(r) = rest.strip_prefix('/') {
        let end = r.find('?').unwrap_or(r.len());
        push("dbname", percent_decode(&r[..end], "database name")?);
        rest = &r[end..];
    }
    if let Some(query) = rest.strip_prefix('?') {
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                bad(format!(
                    "missing \"=\" in the connection URL query parameter \"{}\" (write key=value)",
                    redact(part)
                ))
            })?;
            let key = percent_decode(k, "query parameter name")?;
            if v.contains('=') {
                return Err(bad(format!(
                    "extra \"=\" in the value of the connection URL query parameter \"{key}\" (encode it as %3D)"
                )));
            }
            let what = format!("value of query parameter \"{key}\"");
            let value = percent_decode(v, &what)?;
            if key == "ssl" && value == "true" {
                pairs.push(("sslmode".into(), "require".into()));
            } else {
                pairs.push((key, value));
            }
        }
    }
    Ok(pairs)
}

fn parse_dsn(s: &str) -> Result<Vec<(String, String)>, ConnectError> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(bad(format!(
                "missing \"=\" after \"{key}\" in the connection parameters (write key=value)"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(bad(format!(
                            "unterminated quoted value of \"{key}\" in the connection parameters (close it with ')"
                        )))
                    }
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Keywords whose value is a secret.
fn is_secret_key(word: &str) -> bool {
    ["password", "pgpassword", "sslpassword"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// Removes passwords from text that may hold a connection URL or key=value
/// parameters: the password of a URL's user info, and the value of any
/// `password=` (also `PGPASSWORD=`, `sslpassword=`) pair, quoted or not, in
/// a DSN or a URL query. Each removed secret is shown as `***`. Any other
/// text is returned unchanged.
pub fn redact(s: &str) -> String {
    let bytes = s.as_bytes();
    // Byte ranges to replace with `***`, found on ASCII delimiters only, so
    // every cut is on a character boundary.
    let mut cuts: Vec<(usize, usize)> = Vec::new();

    // URL user info: `scheme://user:secret@host`.
    let mut from = 0;
    while let Some(off) = s[from..].find("://") {
        let start = from + off + 3;
        let seg_end = s[start..]
            .find(|c: char| c == '/' || c.is_whitespace())
            .map_or(s.len(), |e| start + e);
        if let Some(at) = s[start..seg_end].rfind('@') {
            let at = start + at;
            if let Some(colon) = s[start..at].find(':') {
                cuts.push((start + colon + 1, at));
            }
        }
        from = start;
    }

    // key=value pairs.
    for (eq, _) in s.match_indices('=') {
        let mut k_end = eq;
        while k_end > 0 && bytes[k_end - 1] == b' ' {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0
            && (bytes[k_start - 1].is_ascii_alphanumeric() || bytes[k_start - 1] == b'_')
        {
            k_start -= 1;
        }
        if !is_secret_key(&s[k_start..k_end]) {
            continue;
        }
        let in_url_query = k_start > 0 && matches!(bytes[k_start - 1], b'?' | b'&');
        let mut v = eq + 1;
        if !in_url_query {
            while v < bytes.len() && bytes[v] == b' ' {
                v += 1;
            }
        }
        let mut end = v;
        if !in_url_query && bytes.get(v) == Some(&b'\'') {
            end += 1;
            while end < bytes.len() && bytes[end] != b'\'' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            end = (end + 1).min(bytes.len());
        } else {
            while end < bytes.len() {
                let b = bytes[end];
                if b.is_ascii_whitespace() || (in_url_query && (b == b'&' || b == b'#')) {
                    break;
                }
                end += if b == b'\\' && !in_url_query { 2 } else { 1 };
            }
            end = end.min(bytes.len());
            // A backslash before a multi-byte character: step to its end.
            while !s.is_char_boundary(end) {
                end += 1;
            }
        }
        if end > v {
            cuts.push((v, end));
        }
    }

    if cuts.is_empty() {
        return s.to_string();
    }
    cuts.sort();
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    for (a, b) in cuts {
        if b <= pos {
            continue;
        }
        let a = a.max(pos);
        out.push_str(&s[pos..a]);
        out.push_str("***");
        pos = b;
    }
    out.push_str(&s[pos..]);
    out
}
