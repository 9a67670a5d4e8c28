//! A rule's metadata and documentation (`rules/<rule-id>.yaml`), compiled
//! into the binary and parsed once.

use std::sync::OnceLock;

use serde::Deserialize;

use super::{Category, Severity, RULES};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    /// Off unless the configuration enables it (style rules).
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub since_pg: Option<u32>,
    #[serde(default)]
    pub until_pg: Option<u32>,
    pub summary: String,
    pub why: String,
    pub instead: String,
    pub bad: String,
    pub good: String,
}

fn yes() -> bool {
    true
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Severity::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown severity `{s}` (expected error, warning or info)"
            ))
        })
    }
}

impl RuleMeta {
    pub fn applies_to(&self, pg: u32) -> bool {
        self.since_pg.map(|v| pg >= v).unwrap_or(true)
            && self.until_pg.map(|v| pg <= v).unwrap_or(true)
    }
}

/// Every rule's metadata, in registry order. A malformed yaml is a bug
/// caught by the test suite; it panics with the file named.
pub fn all() -> &'static [RuleMeta] {
    static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    ALL.get_or_init(|| {
        RULES
            .iter()
            .map(|r| {
                let m: RuleMeta = serde_norway::from_str(r.yaml)
                    .unwrap_or_else(|e| panic!("rules/{}.yaml: {e}", r.id));
                assert_eq!(
                    m.id, r.id,
                    "rules/{}.yaml: id does not match its file",
                    r.id
                );
                m
            })
            .collect()
    })
}

/// The word of `candidates` closest to `word`, a likely typo of it: the
/// fewest edits away within 1 + a quarter of its length
/// (`require-concurent-index` -> `require-concurrent-index`), else the one
/// candidate that contains it (`concurrent-index-drop`). For "did you mean"
/// wherever a rule id is given (`explain`, `--select`/`--ignore`,
/// `ddlint.yaml`, inline ignores).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let limit = 1 + word.chars().count() / 4;
    let near = candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    if near.is_some() || word.len() < 4 {
        return near;
    }
    let mut containing = candidates.into_iter().filter(|c| c.contains(word));
    match (containing.next(), containing.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// The rule id closest to `id` (see [`closest`]).
pub fn closest_rule(id: &str) -> Option<&'static str> {
    closest(id, RULES.iter().map(|r| r.id))
}

/// "; did you mean `x`?" for an unknown `word`, or nothing.
pub fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// `ddlint explain`: the documentation laid out for a terminal.
pub fn explain(m: &RuleMeta) -> String {
    use colored::Colorize;
    let mut s = String::new();
    s.push_str(&format!(
        "{} {}\n",
        m.id.bold(),
        format!("({})", m.title).dimmed()
    ));
    let mut facts = format!(
        "category: {}   default severity: {}",
        m.category.as_str(),
        m.severity.as_str()
    );
    if !m.enabled {
        facts.push_str("   off by default");
    }
    match (m.since_pg, m.until_pg) {
        (Some(a), Some(b)) => facts.push_str(&format!("   PostgreSQL {a}..{b}")),
        (Some(a), None) => facts.push_str(&format!("   PostgreSQL {a}+")),
        (None, Some(b)) => facts.push_str(&format!("   PostgreSQL up to {b}")),
        (None, None) => {}
    }
    s.push_str(&facts);
    s.push_str("\n\n");
    s.push_str(m.summary.trim());
    s.push_str("\n\n");
    for (title, body, code) in [
        ("Why", &m.why, false),
        ("Instead", &m.instead, false),
        ("Bad", &m.bad, true),
        ("Good", &m.good, true),
    ] {
        s.push_str(&format!("{}\n", title.bold().underline()));
        for l in body.trim_end().lines() {
            if code {
                s.push_str(&format!(
                    "    {}\n",
                    if title == "Bad" { l.red() } else { l.green() }
                ));
            } else {
                s.push_str(&format!("  {l}\n"));
            }
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_words() {
        assert_eq!(
            closest_rule("require-concurent-index"),
            Some("require-concurrent-index")
        );
        assert_eq!(closest_rule("drop-tabel"), Some("drop-table"));
        // Contained in exactly one id.
        assert_eq!(
            closest_rule("concurrent-index-drop"),
            Some("require-concurrent-index-drop")
        );
        // Contained in several, or nothing like any.
        assert_eq!(closest_rule("index"), None);
        assert_eq!(closest_rule("xyz"), None);
        assert_eq!(did_you_mean(Some("a")), "; did you mean `a`?");
    }
}
