//! psql scripts: meta-commands are understood, never run, and never sent
//! to the parser. `\set` / `\unset` define the variables substituted into
//! `:name`, `:'name'` (a literal) and `:"name"` (an identifier) exactly
//! where psql would (outside quotes, comments and dollar quotes; `::` is a
//! cast). `\i` / `\ir` include other scripts at that point. `\!` and
//! backticks are reported, not run. `\g`, `\gexec`, `\gset` end the query
//! like `;` does. `\q` ends the script. Meta-commands that change what
//! runs (`\connect`, `\if`, `\gexec`, `\copy`, `AUTOCOMMIT`) are reported
//! as info.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::rewrite::{line_end, Rewriter};
use super::{Note, NoteKind, Problem};
use crate::parse::scan::{is_ident_byte, next_special};

/// Variables known to psql while a script runs.
pub type Vars = BTreeMap<String, String>;

/// A `\i`/`\ir` found while processing: where it is and what it names.
#[derive(Debug, Clone)]
pub struct Include {
    pub start: usize,
    pub end: usize,
    pub path: PathBuf,
}

pub struct Ctx<'a> {
    pub path: &'a Path,
    pub display: &'a str,
    /// Values from `--var` / config, for backtick `\set`s that were not run.
    pub given: &'a BTreeMap<String, String>,
    pub notes: &'a mut Vec<Note>,
    pub problems: &'a mut Vec<Problem>,
}

/// Process a psql script held in `rw` (sections the tool drops already
/// blanked): blank meta-commands, substitute variables, record includes.
/// `on_include` is called at each include with the variables so far and
/// returns the variables after it (the included script may `\set`).
pub fn process(
    rw: &mut Rewriter,
    vars: &mut Vars,
    cx: &mut Ctx,
    on_include: &mut dyn FnMut(&Include, &mut Vars, &mut Ctx),
) -> Vec<Include> {
    let text = rw.original();
    let b = text.as_bytes();
    let mut includes = Vec::new();
    let mut i = 0;
    let mut bracket = 0i32;
    'outer: while i < text.len() {
        let next = next_special(text, i);
        let code_end = next.map(|r| r.1).unwrap_or(text.len());
        let mut j = i;
        while j < code_end {
            match b[j] {
                b'\\' if !rw.overlaps(j, j + 1) => {
                    let end = meta_end(text, j);
                    let cmd = &text[j..end];
                    let quit = handle_meta(rw, j, end, cmd, vars, cx, &mut includes, on_include);
                    if quit {
                        // psql stops reading the script at \q.
                        rw.blank(end, text.len());
                        return includes;
                    }
                    i = end;
                    continue 'outer;
                }
                b'[' => bracket += 1,
                b']' => bracket -= 1,
                b':' => {
                    if let Some(next_j) = substitute(rw, j, vars, bracket > 0, cx) {
                        j = next_j;
                        continue;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        match next {
            Some((_, _, e)) => i = e,
            None => break,
        }
    }
    includes
}

/// A meta-command runs to the end of its line, or to a `\\` separator.
fn meta_end(text: &str, start: usize) -> usize {
    let eol = line_end(text, start);
    let line = &text[start..eol];
    // Skip the command's own backslash; `\\` ends it early.
    match line[1..].find("\\\\") {
        Some(p) => start + 1 + p,
        None => eol - usize::from(line.ends_with('\n')) - usize::from(line.ends_with("\r\n")),
    }
}

fn position(text: &str, off: usize) -> (usize, usize) {
    let before = &text[..off];
    let line = before.bytes().filter(|c| *c == b'\n').count() + 1;
    let ls = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
    (line, text[ls..off].chars().count() + 1)
}

fn note(
    cx: &mut Ctx,
    text: &str,
    start: usize,
    end: usize,
    kind: NoteKind,
    message: String,
    help: &str,
) {
    let (line, column) = position(text, start);
    let (end_line, end_column) = position(text, end);
    cx.notes.push(Note {
        path: cx.display.to_string(),
        line,
        column,
        end_line,
        end_column,
        kind,
        message,
        help: Some(help.to_string()),
    });
}

/// The files `\\i` / `\\ir` lines of these scripts include (canonical
/// paths; names holding variables are skipped).
pub fn include_targets(texts: &BTreeMap<PathBuf, String>) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    for (path, text) in texts {
        let dir = path.parent().unwrap_or(Path::new("."));
        for line in text.lines() {
            let l = line.trim_start();
            let Some(rest) = l.strip_prefix('\\') else {
                continue;
            };
            let mut it = rest.split_whitespace();
            let cmd = it.next().unwrap_or("");
            if !matches!(cmd, "i" | "include" | "ir" | "include_relative") {
                continue;
            }
            let Some(Arg::Text(name)) = args(it.next().unwrap_or(""), &Vars::new())
                .into_iter()
                .next()
            else {
                continue;
            };
            if name.contains(':') {
                continue;
            }
            for cand in [dir.join(&name), PathBuf::from(&name)] {
                if let Ok(c) = std::fs::canonicalize(&cand) {
                    out.insert(c);
                    break;
                }
            }
        }
    }
    out
}

/// One meta-command argument as psql reads it.
#[derive(Debug, PartialEq)]
enum Arg {
    Text(String),
    Backtick(String),
}

/// Split meta-command arguments: whitespace separated; `'...'` with `''`
/// and backslash escapes; `"..."` kept with its quotes; `` `...` ``;
/// `:var`, `:'var'`, `:"var"` interpolated.
fn args(s: &str, vars: &Vars) -> Vec<Arg> {
    let mut out = Vec::new();
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < c.len() {
        while i < c.len() && c[i].is_whitespace() {
            i += 1;
        }
        if i >= c.len() {
            break;
        }
        let mut cur = String::new();
        let mut backtick = None;
        while i < c.len() && !c[i].is_whitespace() {
            match c[i] {
                '\'' => {
                    i += 1;
                    while i < c.len() {
                        if c[i] == '\'' {
                            if i + 1 < c.len() && c[i + 1] == '\'' {
                                cur.push('\'');
                                i += 2;
                                continue;
                            }
                            i += 1;
                            break;
                        }
                        if c[i] == '\\' && i + 1 < c.len() {
                            i += 1;
                            cur.push(match c[i] {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                o => o,
                            });
                            i += 1;
                            continue;
                        }
                        cur.push(c[i]);
                        i += 1;
                    }
                }
                '`' => {
                    let st = i + 1;
                    i += 1;
                    while i < c.len() && c[i] != '`' {
                        i += 1;
                    }
                    backtick = Some(c[st..i.min(c.len())].iter().collect::<String>());
                    i += 1;
                }
                ':' if i + 1 < c.len() && (c[i + 1] == '\'' || c[i + 1] == '"') => {
                    let q = c[i + 1];
                    let st = i + 2;
                    let mut k = st;
                    while k < c.len() && c[k] != q {
                        k += 1;
                    }
                    let name: String = c[st..k.min(c.len())].iter().collect();
                    match vars.get(&name) {
                        Some(v) if q == '\'' => cur.push_str(&quote_literal(v)),
                        Some(v) => cur.push_str(&quote_ident(v)),
                        None => cur.extend(&c[i..(k + 1).min(c.len())]),
                    }
                    i = k + 1;
                }
                ':' if i + 1 < c.len() && is_var_char(c[i + 1]) => {
                    let st = i + 1;
                    let mut k = st;
                    while k < c.len() && is_var_char(c[k]) {
                        k += 1;
                    }
                    let name: String = c[st..k].iter().collect();
                    match vars.get(&name) {
                        Some(v) => cur.push_str(v),
                        None => cur.extend(&c[i..k]),
                    }
                    i = k;
                }
                ch => {
                    cur.push(ch);
                    i += 1;
                }
            }
        }
        match backtick {
            Some(b) => out.push(Arg::Backtick(b)),
            None => out.push(Arg::Text(cur)),
        }
    }
    out
}

fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()
}

pub fn quote_literal(v: &str) -> String {
    let body = v.replace('\'', "''");
    if v.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

pub fn quote_ident(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

#[allow(clippy::too_many_arguments)]
fn handle_meta(
    rw: &mut Rewriter,
    start: usize,
    end: usize,
    cmd: &str,
    vars: &mut Vars,
    cx: &mut Ctx,
    includes: &mut Vec<Include>,
    on_include: &mut dyn FnMut(&Include, &mut Vars, &mut Ctx),
) -> bool {
    let text = rw.original();
    let body = &cmd[1..];
    let name_len = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let name = &body[..name_len];
    let rest = &body[name_len..];
    // \g-family commands send the query buffer: they end a statement.
    let ends_query = matches!(
        name,
        "g" | "gx" | "gexec" | "gset" | "gdesc" | "crosstabview" | "watch" | "G"
    );
    if ends_query && !cmd.is_empty() {
        let mut semi = String::from(";");
        semi.extend(std::iter::repeat_n(' ', cmd.len() - 1));
        rw.replace(start, end, semi);
    } else {
        rw.blank(start, end);
    }
    let a = args(rest, vars);
    let text_arg = |i: usize| match a.get(i) {
        Some(Arg::Text(s)) => Some(s.clone()),
        _ => None,
    };
    match name {
        "set" => {
            let Some(var) = text_arg(0) else { return false };
            let mut value = String::new();
            for (k, arg) in a.iter().enumerate().skip(1) {
                match arg {
                    Arg::Text(s) => value.push_str(s),
                    Arg::Backtick(cmd_text) => {
                        note(
                            cx,
                            text,
                            start,
                            end,
                            NoteKind::ShellCommand,
                            format!(
                                "`\\set {var}` runs the shell command `{cmd_text}`; ddlint did not run it, so `:{var}` is {}",
                                match cx.given.get(&var) {
                                    Some(_) => "taken from --var",
                                    None => "linted as an empty string",
                                }
                            ),
                            "review what the command produces, or pass its value with --var NAME=VALUE",
                        );
                        match cx.given.get(&var) {
                            Some(v) if k == 1 => value.push_str(v),
                            _ => {}
                        }
                    }
                }
            }
            if var.eq_ignore_ascii_case("AUTOCOMMIT")
                && matches!(value.to_ascii_lowercase().as_str(), "off" | "0" | "false")
            {
                note(
                    cx,
                    text,
                    start,
                    end,
                    NoteKind::MetaCommand,
                    "`\\set AUTOCOMMIT off`: psql opens a transaction before the next statement and keeps it open until COMMIT".into(),
                    "end the script with COMMIT; ddlint models the statements as written",
                );
            }
            vars.insert(var, value);
        }
        "unset" => {
            if let Some(v) = text_arg(0) {
                vars.remove(&v);
            }
        }
        "i" | "include" | "ir" | "include_relative" | "i_relative" => {
            let Some(file) = text_arg(0) else { return false };
            let dir = cx.path.parent().unwrap_or(Path::new("."));
            let p = PathBuf::from(&file);
            let resolved = if p.is_absolute() {
                p
            } else if name.starts_with("ir") || name == "include_relative" {
                dir.join(p)
            } else {
                // \i is relative to psql's working directory, which ddlint
                // does not know: the script's directory, then ours.
                let d = dir.join(&p);
                if d.exists() {
                    d
                } else {
                    p
                }
            };
            let inc = Include {
                start,
                end,
                path: resolved,
            };
            on_include(&inc, vars, cx);
            includes.push(inc);
        }
        "!" => {
            note(
                cx,
                text,
                start,
                end,
                NoteKind::ShellCommand,
                format!(
                    "`\\!` runs the shell command `{}`; ddlint did not run it",
                    rest.trim()
                ),
                "what the command changes is invisible to ddlint; review it by hand",
            );
        }
        "q" | "quit" => return true,
        "c" | "connect" => note(
            cx,
            text,
            start,
            end,
            NoteKind::MetaCommand,
            "`\\connect` opens a new session (possibly on another database): the statements after it run there, outside any open transaction".into(),
            "ddlint keeps one catalog for the whole script; split per-database work into separate files",
        ),
        "if" => note(
            cx,
            text,
            start,
            end,
            NoteKind::MetaCommand,
            "`\\if`: psql runs only one branch; ddlint lints every branch as if it ran".into(),
            "make sure every branch is safe on its own",
        ),
        "gexec" => note(
            cx,
            text,
            start,
            end,
            NoteKind::MetaCommand,
            "`\\gexec` runs every value the query returns as SQL: those statements are not known before the script runs".into(),
            "review the generated statements, or write them out in the migration",
        ),
        "copy" => note(
            cx,
            text,
            start,
            end,
            NoteKind::MetaCommand,
            "`\\copy` loads or dumps table data from the client (RowExclusiveLock or AccessShareLock on the table)".into(),
            "large loads hold the lock for their whole duration",
        ),
        _ => {}
    }
    false
}

/// Substitute `:name`, `:'name'`, `:"name"` at `at` (a `:` in code).
/// Returns the offset after it when something was recognised.
fn substitute(
    rw: &mut Rewriter,
    at: usize,
    vars: &Vars,
    in_brackets: bool,
    cx: &mut Ctx,
) -> Option<usize> {
    let text = rw.original();
    let b = text.as_bytes();
    if at + 1 >= b.len() || rw.overlaps(at, at + 1) {
        return None;
    }
    // `::` is a cast.
    if b[at + 1] == b':' {
        return Some(at + 2);
    }
    if at > 0 && b[at - 1] == b':' {
        return None;
    }
    let (name, end, kind) = match b[at + 1] {
        q @ (b'\'' | b'"') => {
            let st = at + 2;
            let close = text[st..].find(q as char).map(|p| st + p)?;
            let name = &text[st..close];
            if name.is_empty() || name.contains('\n') || !name.chars().all(is_var_char) {
                return None;
            }
            (name, close + 1, q)
        }
        b'{' if text[at..].starts_with(":{?") => {
            let close = text[at..].find('}').map(|p| at + p)?;
            let name = &text[at + 3..close];
            let v = if vars.contains_key(name) {
                "TRUE"
            } else {
                "FALSE"
            };
            rw.replace(at, close + 1, v);
            return Some(close + 1);
        }
        c if is_ident_byte(c) => {
            let mut e = at + 1;
            while e < b.len() && is_ident_byte(b[e]) {
                e += 1;
            }
            (&text[at + 1..e], e, b':')
        }
        _ => return None,
    };
    match vars.get(name) {
        Some(v) => {
            let with = match kind {
                b'\'' => quote_literal(v),
                b'"' => quote_ident(v),
                _ => v.clone(),
            };
            rw.replace(at, end, with);
        }
        None => {
            // psql leaves an unknown variable as written; that is valid
            // SQL only in an array slice (`a[1:n]`).
            if !(kind == b':' && in_brackets) {
                let (line, column) = position(text, at);
                cx.problems.push(Problem {
                    path: cx.display.to_string(),
                    line,
                    column,
                    message: format!(
                        "psql variable `{}` is not set (no `\\set {name}` before it); pass --var {name}=VALUE",
                        &text[at..end]
                    ),
                });
            }
        }
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, given: &[(&str, &str)]) -> (String, Vec<Note>, Vec<Problem>) {
        let given: BTreeMap<String, String> = given
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut notes = Vec::new();
        let mut problems = Vec::new();
        let mut rw = Rewriter::new(src);
        let mut vars = given.clone();
        let mut cx = Ctx {
            path: Path::new("x.sql"),
            display: "x.sql",
            given: &given,
            notes: &mut notes,
            problems: &mut problems,
        };
        process(&mut rw, &mut vars, &mut cx, &mut |_, _, _| {});
        (rw.finish().0, notes, problems)
    }

    #[test]
    fn variables_are_substituted_where_psql_does() {
        let src = "\\set ON_ERROR_STOP 1\n\\set gid '''abc'''\n\\set t my_table\nSELECT :gid, :'t', :\"t\", x::int, ':t' FROM :t WHERE a[1:n] = 1; -- :t\n";
        let (text, notes, problems) = run(src, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(notes.is_empty());
        assert!(text.contains("SELECT 'abc', 'my_table', \"my_table\", x::int, ':t' FROM my_table WHERE a[1:n] = 1; -- :t"), "{text}");
        assert!(text.starts_with("                    \n"));
    }

    #[test]
    fn unknown_variables_and_backticks_are_reported() {
        let src = "\\set c `cat x.html`\nINSERT INTO t VALUES (:'c', :missing);\n\\! rm -rf /\n";
        let (text, notes, problems) = run(src, &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].column), (2, 29));
        assert!(problems[0].message.contains("--var missing=VALUE"));
        assert_eq!(notes.len(), 2);
        assert!(text.contains("VALUES ('', :missing)"));
    }

    #[test]
    fn gexec_ends_the_query_and_q_ends_the_script() {
        let src = "SELECT format('x') \\gexec\nSELECT 1;\n\\q\nDROP TABLE t;\n";
        let (text, _, _) = run(src, &[]);
        assert!(text.starts_with("SELECT format('x') ;     \nSELECT 1;\n"));
        assert!(!text.contains("DROP"));
    }
}
