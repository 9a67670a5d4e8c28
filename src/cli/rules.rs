//! `ddlint rules`: every rule with its category, default severity and
//! summary.

use super::{ListFormat, RulesArgs};
use crate::rules;

pub fn list(args: RulesArgs) -> i32 {
    let metas = rules::meta::all();
    let out = match args.format {
        ListFormat::Json => {
            let v: Vec<serde_json::Value> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "title": m.title, "category": m.category,
                        "severity": m.severity, "enabled": m.enabled,
                        "since_pg": m.since_pg, "until_pg": m.until_pg, "summary": m.summary.trim(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v).expect("serializes") + "\n"
        }
        ListFormat::Text => {
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for m in metas {
                let sev = if m.enabled {
                    m.severity.as_str()
                } else {
                    "off"
                };
                s.push_str(&format!(
                    "{:<w$}  {:<13}  {:<7}  {}\n",
                    m.id,
                    m.category.as_str(),
                    sev,
                    m.summary.trim()
                ));
            }
            s
        }
    };
    print!("{out}");
    0
}
