//! When two findings are the same problem, and which one is reported.
//!
//! Two findings are the same problem when they are on the same statement
//! and share a cause:
//! - [`Cause::Traffic`]: what the statement does to production traffic on
//!   the relations it locks: the lock it waits for and takes, the scan or
//!   rewrite it does under that lock, and how long the transaction keeps
//!   holding it. These are one outage (queries on those relations wait),
//!   so every finding of a `locking`, `rewrite` or `timeout` rule has this
//!   cause, and rules of other categories add it when their finding is
//!   about that outage too (`add-required-column`, `truncate-table`).
//!   `unknown-effects` (what ddlint could not model) is never merged.
//! - [`Cause::Column`]: a change to one column that running code sees (its
//!   type, its NOT NULL without a value). `change-column-type` and
//!   `column-type-change-rewrites` describe the same type change.
//!
//! Findings linked by shared causes (transitively) form one group; the most
//! specific rule of the group is reported and the others become its
//! `related` rules (JSON `related`, an `also` note in the terminal). The
//! most specific is a rule not in [`GENERAL`] before one in it, then the
//! one naming the most of the group's causes, then the earlier in
//! [`GENERAL`], then the more severe by default, then registry order. The
//! group keeps the strongest severity of its members, the edits of all of
//! them (`--fix` still inserts a related rule's `SET lock_timeout`), and an
//! inline ignore of any member suppresses it.

use crate::model::catalog::QName;
use crate::model::FileAnalysis;

use super::{meta, Category, Raw, RULES};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The statement's locks, and the scans, rewrites and waits under them.
    Traffic,
    /// A change to this column that running code sees.
    Column(QName, String),
}

/// The rules that describe any statement's traffic in general terms, most
/// specific first: a rule about one kind of statement says more.
pub const GENERAL: &[&str] = &[
    "table-rewrite",
    "blocking-lock-during-scan",
    "lock-held-during-long-work",
    "require-statement-timeout",
    "require-lock-timeout",
];

/// The causes of a finding: its rule's category says whether it is about
/// traffic; the rule may add causes of its own.
pub(crate) fn causes(r: &Raw) -> Vec<Cause> {
    let mut c = r.causes.clone();
    // What ddlint could not model is not a problem of the migration's: it
    // stays a note of its own.
    let traffic = r.rule != "unknown-effects"
        && meta(r.rule).is_some_and(|m| {
            matches!(
                m.category,
                Category::Locking | Category::Rewrite | Category::Timeout
            )
        });
    if traffic && !c.contains(&Cause::Traffic) {
        c.push(Cause::Traffic);
    }
    c
}

/// Which statement of the file a finding is on (`None`: not on one).
pub(crate) fn statement_of(fa: &FileAnalysis, r: &Raw) -> Option<usize> {
    if r.at.is_some() {
        return None;
    }
    let at = r.span.start;
    let i = fa.statements.partition_point(|s| s.span.start <= at);
    let s = fa.statements.get(i.checked_sub(1)?)?;
    (at < s.span.end.max(s.span.start + 1)).then_some(i - 1)
}

/// How specific a rule is: smaller wins.
fn rank(rule: &str) -> usize {
    GENERAL
        .iter()
        .position(|g| *g == rule)
        .map(|p| p + 1)
        .unwrap_or(0)
}

/// One finding per problem: each group of a file's findings becomes its
/// most specific member, with the others as `related`.
pub fn group(fa: &FileAnalysis, raws: Vec<Raw>) -> Vec<Raw> {
    if raws.len() < 2 {
        return raws;
    }
    let keys: Vec<(Option<usize>, Vec<Cause>)> = raws
        .iter()
        .map(|r| (statement_of(fa, r), causes(r)))
        .collect();
    // Union-find over findings of one statement that share a cause.
    let mut parent: Vec<usize> = (0..raws.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut first: std::collections::HashMap<(usize, &Cause), usize> =
        std::collections::HashMap::new();
    for (i, (st, cs)) in keys.iter().enumerate() {
        let Some(st) = st else { continue };
        for c in cs {
            match first.get(&(*st, c)) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first.insert((*st, c), i);
                }
            }
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); raws.len()];
    for i in 0..raws.len() {
        let root = find(&mut parent, i);
        members[root].push(i);
    }
    if members.iter().all(|m| m.len() <= 1) {
        return raws;
    }
    let registry = |rule: &str| {
        RULES
            .iter()
            .position(|r| r.id == rule)
            .unwrap_or(usize::MAX)
    };
    let default_severity = |rule: &str| meta(rule).map(|m| m.severity);
    let mut slots: Vec<Option<Raw>> = raws.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len());
    for group in members.into_iter().filter(|m| !m.is_empty()) {
        if group.len() == 1 {
            out.push(
                slots[group[0]]
                    .take()
                    .expect("each finding is in one group"),
            );
            continue;
        }
        let mut all: Vec<&Cause> = group.iter().flat_map(|&i| &keys[i].1).collect();
        all.sort();
        all.dedup();
        let winner = *group
            .iter()
            .min_by_key(|&&i| {
                let r = slots[i].as_ref().expect("not taken yet");
                let covered = all.iter().filter(|c| keys[i].1.contains(c)).count();
                let rank = rank(r.rule);
                (
                    rank > 0,
                    std::cmp::Reverse(covered),
                    rank,
                    std::cmp::Reverse(default_severity(r.rule)),
                    registry(r.rule),
                )
            })
            .expect("a group has members");
        let mut best = slots[winner].take().expect("not taken yet");
        for &i in &group {
            if i == winner {
                continue;
            }
            let other = slots[i].take().expect("not taken yet");
            if other.rule != best.rule && !best.related.contains(&other.rule) {
                best.related.push(other.rule);
            }
            for e in other.edits {
                if !best.edits.contains(&e) {
                    best.edits.push(e);
                }
            }
            for r in other.related {
                if r != best.rule && !best.related.contains(&r) {
                    best.related.push(r);
                }
            }
        }
        best.related
            .sort_by_key(|r| (rank(r) > 0, rank(r), registry(r)));
        out.push(best);
    }
    out
}
