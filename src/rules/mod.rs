//! Findings. Rules read the model (catalog, effects, transactions) and
//! report what breaks in production and what to write instead.

use serde::Serialize;

use crate::model::Analysis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Locking,
    Rewrite,
    Transaction,
    Timeout,
    Compatibility,
    DataLoss,
    Failure,
    Style,
    Syntax,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Index of the file in the analysis.
    #[serde(skip)]
    pub file: usize,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: Option<String>,
    pub fix: Option<String>,
}

/// Findings for every reported file, in file and position order.
pub fn check(analysis: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    for (fi, f) in analysis.files.iter().enumerate() {
        if !f.report {
            continue;
        }
        for e in &f.syntax_errors {
            out.push(Finding {
                rule: "syntax-error",
                category: Category::Syntax,
                severity: Severity::Error,
                file: fi,
                line: e.start.0,
                column: e.start.1,
                end_line: e.end.0,
                end_column: e.end.1,
                message: e.error.message.clone(),
                help: Some(
                    "PostgreSQL would reject this statement; fix it so the migration can run"
                        .into(),
                ),
                fix: None,
            });
        }
        for s in &f.statements {
            if let Some(why) = &s.effects.unknown {
                out.push(Finding {
                    rule: "unknown-effects",
                    category: Category::Locking,
                    severity: Severity::Info,
                    file: fi,
                    line: s.start.0,
                    column: s.start.1,
                    end_line: s.end.0,
                    end_column: s.end.1,
                    message: format!("the locks this statement takes are not known: {why}"),
                    help: Some("review it by hand, or prove it with `ddlint dry-run`".into()),
                    fix: None,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.file, a.line, a.column, a.rule).cmp(&(b.file, b.line, b.column, b.rule)));
    out
}

/// A rule's documentation, for reports that carry it (SARIF).
pub struct RuleDoc {
    pub summary: String,
    pub description: String,
    pub help: String,
}

/// Documentation of a rule by id, if ddlint knows it.
pub fn describe(id: &str) -> Option<RuleDoc> {
    let (summary, description, help) = match id {
        "syntax-error" => (
            "PostgreSQL rejects the statement",
            "The statement does not parse with PostgreSQL's own grammar; the migration would fail here.",
            "Fix the statement so PostgreSQL accepts it.",
        ),
        "unknown-effects" => (
            "The locks this statement takes are not known",
            "ddlint cannot tell which locks the statement takes (a function call, dynamic SQL, an unmodelled statement), so it cannot say it is safe.",
            "Review it by hand, or run it with `ddlint dry-run` to measure it.",
        ),
        _ => return None,
    };
    Some(RuleDoc {
        summary: summary.into(),
        description: description.into(),
        help: help.into(),
    })
}
