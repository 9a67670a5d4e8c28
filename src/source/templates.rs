//! Template placeholders, substituted before parsing (positions still map
//! to the original, see `rewrite`):
//! - `${NAME}`: flyway placeholders (`${flyway:defaultSchema}` and the
//!   other built-ins included); in other layouts only names given with
//!   `--var` are substituted, anything else is left as written.
//! - `{{ .Name }}`, `{{ index .Options "Name" }}`, `{{ .Options.Name }}`:
//!   Go `text/template` as gobuffalo/pop renders migrations.
//! - `:NAME` (upper case): graphile-migrate placeholders.
//!
//! An unresolved placeholder is a [`Problem`] naming its location and the
//! `--var` that fixes it.

use std::collections::BTreeMap;

use super::rewrite::Rewriter;
use super::Problem;

pub type Vars = BTreeMap<String, String>;

fn position(text: &str, off: usize) -> (usize, usize) {
    let before = &text[..off];
    let line = before.bytes().filter(|c| *c == b'\n').count() + 1;
    let ls = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
    (line, text[ls..off].chars().count() + 1)
}

fn problem(path: &str, text: &str, at: usize, message: String) -> Problem {
    let (line, column) = position(text, at);
    Problem {
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// `${NAME}`. `strict`: every placeholder must resolve (flyway); otherwise
/// only given names are substituted.
pub fn dollar_braces(
    rw: &mut Rewriter,
    vars: &Vars,
    builtins: &Vars,
    strict: bool,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    delimited(rw, vars, builtins, strict, path, problems, "${", "}");
}

/// synapse's `$%NAME%$` placeholders (e.g. `$%AUTO_INCREMENT_PRIMARY_KEY%$`),
/// substituted when the name is given.
pub fn dollar_percent(rw: &mut Rewriter, vars: &Vars, path: &str, problems: &mut Vec<Problem>) {
    delimited(rw, vars, &Vars::new(), false, path, problems, "$%", "%$");
}

#[allow(clippy::too_many_arguments)]
fn delimited(
    rw: &mut Rewriter,
    vars: &Vars,
    builtins: &Vars,
    strict: bool,
    path: &str,
    problems: &mut Vec<Problem>,
    open: &str,
    close_with: &str,
) {
    let text = rw.original();
    let mut i = 0;
    while let Some(p) = text[i..].find(open) {
        let at = i + p;
        let body = at + open.len();
        let Some(close) = text[body..].find(close_with).map(|q| body + q) else {
            break;
        };
        let name = &text[body..close];
        let end = close + close_with.len();
        i = body;
        if name.is_empty() || name.contains(['\n', '{', '$', ' ']) || name.len() > 200 {
            continue;
        }
        if rw.overlaps(at, end) {
            continue;
        }
        match vars.get(name).or_else(|| builtins.get(name)) {
            Some(v) => {
                rw.replace(at, end, v.clone());
                i = end;
            }
            None if strict => problems.push(problem(
                path,
                text,
                at,
                format!("unresolved placeholder `${{{name}}}`; pass --var {name}=VALUE (or set it under `variables:` in ddlint.yaml)"),
            )),
            None => {}
        }
    }
}

/// Go `text/template` actions `{{ ... }}` (gobuffalo/pop migrations).
pub fn go_template(rw: &mut Rewriter, vars: &Vars, path: &str, problems: &mut Vec<Problem>) {
    let text = rw.original();
    let mut i = 0;
    while let Some(p) = text[i..].find("{{") {
        let at = i + p;
        let Some(close) = text[at + 2..].find("}}").map(|q| at + 2 + q) else {
            break;
        };
        i = close + 2;
        if rw.overlaps(at, close + 2) {
            continue;
        }
        let inner = text[at + 2..close]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let name: Option<String> = if let Some(rest) = inner.strip_prefix("index") {
            // index .Options "Name"
            let rest = rest.trim();
            rest.strip_prefix(".Options")
                .map(str::trim)
                .and_then(|r| r.strip_prefix('"'))
                .and_then(|r| r.strip_suffix('"'))
                .map(str::to_string)
        } else if let Some(rest) = inner.strip_prefix(".Options.") {
            Some(rest.to_string())
        } else if let Some(rest) = inner.strip_prefix('.') {
            (!rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.'))
            .then(|| rest.to_string())
        } else {
            None
        };
        match name {
            Some(n) => match vars.get(&n) {
                Some(v) => {
                    rw.replace(at, close + 2, v.clone());
                }
                None => problems.push(problem(
                    path,
                    text,
                    at,
                    format!(
                        "unresolved template placeholder `{}`; pass --var {n}=VALUE (or set it under `variables:` in ddlint.yaml)",
                        &text[at..close + 2]
                    ),
                )),
            },
            None => problems.push(problem(
                path,
                text,
                at,
                format!(
                    "template action `{}` is not supported (only `{{{{ .Name }}}}` and `{{{{ index .Options \"Name\" }}}}` placeholders are); render the template first and lint the result",
                    &text[at..close + 2]
                ),
            )),
        }
    }
}

/// graphile-migrate `:NAME` placeholders (upper case, as graphile matches
/// them); `::TYPE` casts are not placeholders.
pub fn graphile(rw: &mut Rewriter, vars: &Vars, path: &str, problems: &mut Vec<Problem>) {
    let text = rw.original();
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(p) = text[i..].find(':') {
        let at = i + p;
        i = at + 1;
        if at > 0 && (b[at - 1] == b':' || b[at - 1].is_ascii_alphanumeric()) {
            continue;
        }
        if at + 1 < b.len() && b[at + 1] == b':' {
            i = at + 2;
            continue;
        }
        let mut e = at + 1;
        if e >= b.len() || !b[e].is_ascii_uppercase() {
            continue;
        }
        while e < b.len() && (b[e].is_ascii_uppercase() || b[e].is_ascii_digit() || b[e] == b'_') {
            e += 1;
        }
        if e < b.len() && (b[e].is_ascii_lowercase() || b[e] >= 0x80) {
            continue;
        }
        let name = &text[at + 1..e];
        if rw.overlaps(at, e) {
            continue;
        }
        match vars.get(name) {
            Some(v) => {
                rw.replace(at, e, v.clone());
            }
            None => problems.push(problem(
                path,
                text,
                at,
                format!("unresolved graphile-migrate placeholder `:{name}`; pass --var {name}=VALUE (the value from .gmrc `placeholders`)"),
            )),
        }
        i = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> Vars {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn flyway_placeholders() {
        let src = "CREATE TABLE ${flyway:defaultSchema}.t (x int);\nGRANT ALL ON t TO ${owner};";
        let mut rw = Rewriter::new(src);
        let mut p = Vec::new();
        dollar_braces(
            &mut rw,
            &vars(&[]),
            &vars(&[("flyway:defaultSchema", "public")]),
            true,
            "V1__x.sql",
            &mut p,
        );
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].column), (2, 19));
        assert!(p[0].message.contains("--var owner=VALUE"));
        let (t, _) = rw.finish();
        assert!(t.starts_with("CREATE TABLE public.t"));
    }

    #[test]
    fn go_templates() {
        let src = "CREATE TABLE {{ index .Options \"Namespace\" }}.users ();\nALTER TABLE {{index .Options \"Namespace\" }}.x ADD y int; -- {{ .Other }}";
        let mut rw = Rewriter::new(src);
        let mut p = Vec::new();
        go_template(
            &mut rw,
            &vars(&[("Namespace", "auth"), ("Other", "o")]),
            "x",
            &mut p,
        );
        assert!(p.is_empty());
        let (t, _) = rw.finish();
        assert_eq!(
            t,
            "CREATE TABLE auth.users ();\nALTER TABLE auth.x ADD y int; -- o"
        );
    }

    #[test]
    fn graphile_placeholders() {
        let src = "grant all on schema app to :DATABASE_OWNER; select x::TEXT, 'a:b';";
        let mut rw = Rewriter::new(src);
        let mut p = Vec::new();
        graphile(
            &mut rw,
            &vars(&[("DATABASE_OWNER", "app_owner")]),
            "x",
            &mut p,
        );
        assert!(p.is_empty(), "{p:?}");
        let (t, _) = rw.finish();
        assert_eq!(
            t,
            "grant all on schema app to app_owner; select x::TEXT, 'a:b';"
        );
    }
}
