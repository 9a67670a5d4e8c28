#!/usr/bin/env bash
# Speed and memory benchmark (issue: "Speed and robustness").
#
#   scripts/bench.sh [CORPUS_DIR]        # default ../shared/corpus
#
# Prints, with /usr/bin/time: the whole corpus in one invocation (ddlint and,
# when installed with `pip install squawk-cli`, squawk on the same files),
# one small migration, and the corpus copied 1x, 4x and 16x (linear cost).
# Each figure is the median of RUNS runs (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
runs=${RUNS:-5}
cargo build --release -q
bin=$PWD/target/release/ddlint
# The placeholders the corpus projects use (see tests/corpus.rs).
vars=(--var Namespace=auth --var DATABASE_NAME=app --var DATABASE_OWNER=app_owner
      --var DATABASE_VISITOR=app_visitor --var DATABASE_AUTHENTICATOR=app_authenticator
      --var "AUTO_INCREMENT_PRIMARY_KEY=BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

find "$corpus" -type f \( -name '*.sql' -o -name '*.sql.postgres' \) | sort > "$tmp/files"
echo "corpus: $(wc -l < "$tmp/files") files, $(xargs -a "$tmp/files" -d '\n' cat | wc -c) bytes"

# median of wall seconds and of peak RSS (KB) over $runs runs of "$@"
measure() {
    local walls=() rss=()
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" > /dev/null 2>&1 || true
        read -r w m < <(tail -n 1 "$tmp/t")
        walls+=("$w"); rss+=("$m")
    done
    local mw mm
    mw=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
    mm=$(printf '%s\n' "${rss[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
    printf '%8.3f s  %8.1f MB' "$mw" "$(echo "$mm / 1024" | bc -l)"
}

# One path per project: each project's layout is detected on its own.
mapfile -t projects < <(find "$corpus" -mindepth 1 -maxdepth 1 -type d | sort)
echo "whole corpus, one invocation (${#projects[@]} project directories):"
printf '  ddlint  %s\n' "$(measure "$bin" check --format json "${vars[@]}" "${projects[@]}")"
if command -v squawk > /dev/null; then
    # shellcheck disable=SC2046
    printf '  squawk  %s\n' "$(measure xargs -a "$tmp/files" -d '\n' squawk)"
fi

small=fixtures/demo/002_orders_changes.sql
echo "one small migration ($small):"
printf '  ddlint  %s\n' "$(measure "$bin" check "$small")"

echo "linear growth (corpus copied N times):"
for n in 1 4 16; do
    mkdir -p "$tmp/x$n"
    for i in $(seq "$n"); do cp -r "$corpus" "$tmp/x$n/c$i"; done
    mapfile -t copies < <(find "$tmp/x$n" -mindepth 2 -maxdepth 2 -type d | sort)
    printf '  %2dx     %s\n' "$n" "$(measure "$bin" check --format json "${vars[@]}" "${copies[@]}")"
done
