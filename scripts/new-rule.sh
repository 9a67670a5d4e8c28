#!/bin/sh
# Scaffold a rule: its code, its documentation, its fixtures and its line in
# the registry, so adding a rule is this command plus three edits (the
# check in src/rules/<rule_id>.rs, the text of rules/<rule-id>.yaml, the
# cases in fixtures/rules/<rule-id>/).
#
#   scripts/new-rule.sh <rule-id> <category>
#   INSTA_UPDATE=always cargo test --test rules -- --exact <rule-id>   # first snapshots
#
# The scaffold is a working rule (it flags ALTER TABLE ... SET (...) on a
# table production uses) so that it builds and its test passes before you
# change it; replace every TODO.
set -eu
cd "$(dirname "$0")/.."

usage() {
    echo "usage: $0 <rule-id> <category>" >&2
    echo "  rule-id: lowercase words joined by '-', e.g. require-concurrent-index" >&2
    echo "  category: locking rewrite transaction timeout compatibility data-loss failure style syntax" >&2
    exit 2
}
[ $# -eq 2 ] || usage
id=$1
category=$2
case "$id" in
    *[!a-z0-9-]* | -* | *- | *--* | "") echo "bad rule id: $id" >&2; usage ;;
esac
case "$category" in
    locking | rewrite | transaction | timeout | compatibility | data-loss | failure | style | syntax) ;;
    *) echo "unknown category: $category" >&2; usage ;;
esac
module=$(echo "$id" | tr - _)
code=src/rules/$module.rs
yaml=rules/$id.yaml
fixtures=fixtures/rules/$id
for p in "$code" "$yaml" "$fixtures"; do
    [ ! -e "$p" ] || { echo "$p already exists" >&2; exit 1; }
done
grep -q "^    $module => \"$id\",\$" src/rules/mod.rs && { echo "$id is already registered" >&2; exit 1; }

cat >"$code" <<RS
//! TODO: what this rule flags, in one sentence.
use pg_query::protobuf::AlterTableType as T;

use super::{alter, Hook, Sink, StmtCx};

pub const HOOK: Hook = Hook::Statement(check);

fn check(cx: &StmtCx, out: &mut Sink) {
    // TODO: the statements this rule is about. \`alter::existing\` is an
    // ALTER TABLE of a relation production uses (not created in this file
    // or transaction); other statements: match on \`cx.node()\`.
    let Some((a, t)) = alter::existing(cx) else { return };
    if !a.has(T::AtSetRelOptions) {
        return;
    }
    out.emit(cx.span(), format!("TODO: what breaks in production on {t}"))
        .help("TODO: what to write instead");
}
RS

cat >"$yaml" <<YAML
id: $id
title: TODO a title
category: $category
severity: warning
summary: "TODO: one line: what breaks in production."
why: |
  TODO: why it breaks.
instead: |
  TODO: the safe pattern.
bad: |
  ALTER TABLE orders SET (fillfactor = 70);
good: |
  CREATE TABLE drafts (id bigint);
  ALTER TABLE drafts SET (fillfactor = 70);
YAML

mkdir -p "$fixtures"
cat >"$fixtures/bad.sql" <<'SQL'
-- TODO: triggers the rule (the schema in production is ../setup.sql).
ALTER TABLE orders SET (fillfactor = 70);
SQL
cat >"$fixtures/good.sql" <<'SQL'
-- TODO: the safe version; does not trigger the rule.
CREATE TABLE drafts (id bigint);
ALTER TABLE drafts SET (fillfactor = 70);
SQL

# The registry line goes last in `registry! { ... }`, but before the
# catch-all blocking-lock-during-scan, which must run after every locking
# rule (it stays silent where one of them already reported).
tmp=$(mktemp)
awk -v line="    $module => \"$id\"," '
    /^registry! \{/ { inside = 1 }
    inside && !done && (/^    blocking_lock_during_scan =>/ || /^\}/) { print line; done = 1 }
    inside && /^\}/ { inside = 0 }
    { print }
    END { if (!done) exit 1 }
' src/rules/mod.rs >"$tmp" || { rm -f "$tmp"; echo "no registry! block in src/rules/mod.rs" >&2; exit 1; }
cat "$tmp" >src/rules/mod.rs
rm -f "$tmp"

cat <<MSG
created $code, $yaml, $fixtures/{bad,good}.sql; registered $id in src/rules/mod.rs.
Now:
  1. write the check in $code
  2. write the documentation in $yaml (bad/good examples included)
  3. write the cases in $fixtures/ (bad*.sql trigger it, good*.sql do not;
     a setup.sql there replaces fixtures/rules/setup.sql)
then: INSTA_UPDATE=always cargo test --test rules -- --exact $id
      and review tests/snapshots/rules__$id.*.snap
MSG
