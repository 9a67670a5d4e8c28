//! GitHub Actions workflow commands: each finding becomes an annotation on
//! the pull request's diff (`::error file=,line=,col=,endLine=,endColumn=,title=::`).

use crate::model::Analysis;
use crate::rules::{Finding, Severity};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
) -> std::io::Result<()> {
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut msg = f.message.clone();
        if !f.related.is_empty() {
            msg.push_str("\n\nalso: ");
            msg.push_str(&f.related.join(", "));
        }
        if let Some(i) = &f.impact {
            msg.push_str("\n\nproduction: ");
            msg.push_str(&i.summary);
        }
        if let Some(h) = &f.help {
            msg.push_str("\n\nhelp: ");
            msg.push_str(h);
        }
        if let Some(fix) = &f.fix {
            msg.push_str("\n\n");
            msg.push_str(fix);
        }
        // endColumn is inclusive for GitHub; ours is exclusive.
        let end_col = if f.end_line == f.line {
            f.end_column.saturating_sub(1).max(f.column)
        } else {
            f.end_column.saturating_sub(1).max(1)
        };
        writeln!(
            w,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&analysis.files[f.file].path),
            f.line,
            f.column,
            f.end_line.max(f.line),
            end_col,
            escape_property(&format!("ddlint {}", f.rule)),
            escape_data(&msg)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("x:y,z"), "x%3Ay%2Cz");
    }
}
