//! One line per finding, gcc style, for editors and quick greps:
//! `path:line:col: severity[rule]: message`.

use crate::model::Analysis;
use crate::rules::Finding;

pub fn render(analysis: &Analysis, findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&format!(
            "{}:{}:{}: {}[{}]: {}\n",
            analysis.files[f.file].path,
            f.line,
            f.column,
            f.severity.as_str(),
            f.rule,
            f.message.replace('\n', " ")
        ));
    }
    s
}
