//! One line per finding, gcc style, for editors and quick greps:
//! `path:line:col: severity[rule]: message`.

use crate::model::Analysis;
use crate::rules::Finding;

pub fn write(
    w: &mut dyn std::io::Write,
    analysis: &Analysis,
    findings: &[Finding],
) -> std::io::Result<()> {
    for f in findings {
        writeln!(
            w,
            "{}:{}:{}: {}[{}]: {}",
            analysis.files[f.file].path,
            f.line,
            f.column,
            f.severity.as_str(),
            f.rule,
            f.message.replace('\n', " ")
        )?;
    }
    Ok(())
}
