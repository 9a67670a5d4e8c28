//! sqitch: `deploy/<change>.sql` run by psql in `sqitch.plan` order;
//! `revert/` and `verify/` scripts are the down side (linted with
//! `--include-down`: verify scripts first, then the reverts newest first). Scripts manage their own transactions (`BEGIN;` ...
//! `COMMIT;`). Without a plan the deploy scripts are taken in name order.

use std::path::{Path, PathBuf};

use super::{file_name, planned, Planned};
use crate::input::Wrapping;

/// Change names in plan order (a reworked change keeps its last position).
pub fn read_plan(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in text.lines() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('%') || l.starts_with('#') || l.starts_with('@') {
            continue;
        }
        let name = l.split_whitespace().next().unwrap_or("");
        // "name [deps] date planner <email> # note"; skip "!name" (revert)
        if name.is_empty() || name.starts_with('!') {
            continue;
        }
        out.retain(|n| n != name);
        out.push(name.to_string());
    }
    out
}

fn kind_of(p: &Path) -> Option<&str> {
    let mut dir = p.parent();
    // deploy/<change>.sql or deploy/sub/<change>.sql
    while let Some(d) = dir {
        match file_name(d) {
            k @ ("deploy" | "revert" | "verify") => return Some(k),
            _ => dir = d.parent(),
        }
    }
    None
}

fn change_name(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    let mut cur = p;
    loop {
        let n = file_name(cur);
        if matches!(n, "deploy" | "revert" | "verify") {
            break;
        }
        parts.push(n.to_string());
        cur = cur.parent()?;
    }
    parts.reverse();
    let joined = parts.join("/");
    Some(joined.strip_suffix(".sql").unwrap_or(&joined).to_string())
}

pub fn plan(_root: &Path, files: &[PathBuf], sql: &[PathBuf]) -> (Vec<Planned>, Vec<Planned>) {
    let plan_file = files.iter().find(|p| file_name(p) == "sqitch.plan");
    let order: Vec<String> = plan_file
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| read_plan(&t))
        .unwrap_or_default();
    let rank = |p: &Path| -> usize {
        change_name(p)
            .and_then(|n| order.iter().position(|o| *o == n))
            .unwrap_or(usize::MAX)
    };
    let by_kind = |kind: &str| -> Vec<&PathBuf> {
        let mut v: Vec<&PathBuf> = sql.iter().filter(|p| kind_of(p) == Some(kind)).collect();
        v.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| super::path_cmp(a, b)));
        v
    };
    let ups: Vec<Planned> = by_kind("deploy")
        .into_iter()
        .map(|p| planned(p, false, Wrapping::Autocommit))
        .collect();
    // Down parts are replayed newest first: verify scripts (in plan
    // order, right after the deploys), then the reverts (newest first).
    let mut downs: Vec<Planned> = by_kind("revert")
        .into_iter()
        .map(|p| planned(p, true, Wrapping::Autocommit))
        .collect();
    downs.extend(
        by_kind("verify")
            .into_iter()
            .rev()
            .map(|p| planned(p, true, Wrapping::Autocommit)),
    );
    (ups, downs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_order() {
        let plan = "%syntax-version=1.0.0\n%project=x\n\nusers 2020-01-01T00:00:00Z A <a@b> # users\nposts [users] 2020-01-02T00:00:00Z A <a@b>\n@v1 2020-01-03T00:00:00Z A <a@b>\nusers [users@v1] 2020-01-04T00:00:00Z A <a@b> # rework\n";
        assert_eq!(read_plan(plan), vec!["posts", "users"]);
    }
}
