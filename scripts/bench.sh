#!/usr/bin/env bash
# Speed and memory benchmark, comparing like with like.
#
#   scripts/bench.sh [CORPUS_DIR]        # default ../shared/corpus
#   RUNS=9 scripts/bench.sh              # runs per figure (default 7)
#
# Every figure is the median over RUNS runs of wall seconds and peak RSS
# (/usr/bin/time). Two commands compared are run in turn (A B A B ...), so
# a machine that slows down mid-way slows both; the ratio is of medians.
# Reports go to a file, as in CI. When squawk is installed
# (`pip install squawk-cli`) it runs beside ddlint:
#
#   1. The whole corpus, as each tool is meant to be used: ddlint on each
#      project directory (its layout decides the files its tool runs, in
#      order, replayed into one catalog per project); squawk on every
#      `**/*.sql` file. JSON against JSON, then the default terminal report
#      against the default terminal report.
#   2. The same files for both: every `*.sql` file under the corpus named
#      on the command line, JSON against JSON.
#   3. One small migration (ddlint's peak includes its ~7 MB binary).
#   4. The corpus copied 1x, 4x and 16x (ddlint, JSON): time and peak
#      memory should grow linearly.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
corpus=$(cd "${1:-../shared/corpus}" && pwd)
runs=${RUNS:-7}
cargo build --release -q
bin=$root/target/release/ddlint
# The placeholders the corpus projects use (see tests/corpus.rs).
vars=(--var Namespace=auth --var DATABASE_NAME=app --var DATABASE_OWNER=app_owner
      --var DATABASE_VISITOR=app_visitor --var DATABASE_AUTHENTICATOR=app_authenticator
      --var "AUTO_INCREMENT_PRIMARY_KEY=BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
squawk=$(command -v squawk || true)
# A pyenv shim is a shell script that execs the real binary (~50 ms more
# per run): time the binary itself.
if [ -n "$squawk" ] && command -v pyenv > /dev/null && pyenv which squawk > /dev/null 2>&1; then
    squawk=$(pyenv which squawk)
fi

(cd "$corpus" && find . -type f -name '*.sql' | sed 's|^\./||' | sort) > "$tmp/files"
echo "corpus: $corpus"
echo "  $(wc -l < "$tmp/files") *.sql files, $(cd "$corpus" && xargs -a "$tmp/files" -d '\n' cat | wc -c) bytes"
echo "  ddlint $("$bin" --version | cut -d' ' -f2)${squawk:+, $("$squawk" --version)}; $(nproc) cores; $runs runs per figure"

# time_one OUT CMD...: one run, in the corpus directory, report to a file;
# appends "wall_seconds rss_kb" to OUT (wall from the shell's clock, to
# the microsecond; /usr/bin/time's own is in hundredths).
time_one() {
    local out=$1 start end
    shift
    start=$EPOCHREALTIME
    (cd "$corpus" && /usr/bin/time -f '%M' -o "$tmp/t" "$@" > "$tmp/report" 2> /dev/null) || true
    end=$EPOCHREALTIME
    echo "$(echo "$end - $start" | bc -l) $(tail -n 1 "$tmp/t")" >> "$out"
}
median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
show() { # FILE: "median wall s, median peak MB"
    printf '%7.4f s %7.1f MB' "$(cut -d' ' -f1 "$1" | median)" \
        "$(echo "$(cut -d' ' -f2 "$1" | median) / 1024" | bc -l)"
}

# pair LABEL -- A... -- B...: A and B in turn, medians and A/B.
pair() {
    local label=$1 a=() b=()
    shift 2
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    : > "$tmp/a"; : > "$tmp/b"
    time_one /dev/null "${a[@]}"; time_one /dev/null "${b[@]}"   # warm-up
    for _ in $(seq "$runs"); do
        time_one "$tmp/a" "${a[@]}"
        time_one "$tmp/b" "${b[@]}"
    done
    local ma mb
    ma=$(cut -d' ' -f1 "$tmp/a" | median)
    mb=$(cut -d' ' -f1 "$tmp/b" | median)
    printf '  %-34s ddlint %s   squawk %s   ddlint/squawk %.2fx\n' "$label" \
        "$(show "$tmp/a")" "$(show "$tmp/b")" "$(echo "$ma / $mb" | bc -l)"
}

# single LABEL CMD...: ddlint alone.
single() {
    local label=$1
    shift
    : > "$tmp/a"
    time_one /dev/null "$@"
    for _ in $(seq "$runs"); do time_one "$tmp/a" "$@"; done
    printf '  %-34s ddlint %s\n' "$label" "$(show "$tmp/a")"
}

mapfile -t projects < <(find "$corpus" -mindepth 1 -maxdepth 1 -type d | sort)
echo "1. whole corpus, one invocation (ddlint: ${#projects[@]} project directories; squawk: '**/*.sql')"
if [ -n "$squawk" ]; then
    pair "JSON report" -- "$bin" check --format json "${vars[@]}" "${projects[@]}" \
        -- "$squawk" --reporter json '**/*.sql'
    pair "default terminal report" -- "$bin" check --color never "${vars[@]}" "${projects[@]}" \
        -- "$squawk" '**/*.sql'
else
    single "JSON report" "$bin" check --format json "${vars[@]}" "${projects[@]}"
    single "default terminal report" "$bin" check --color never "${vars[@]}" "${projects[@]}"
fi

echo "2. the same files for both (every *.sql file named)"
mapfile -t files < "$tmp/files"
if [ -n "$squawk" ]; then
    pair "JSON report" -- "$bin" check --format json "${vars[@]}" "${files[@]}" \
        -- "$squawk" --reporter json "${files[@]}"
else
    single "JSON report" "$bin" check --format json "${vars[@]}" "${files[@]}"
fi

small=$root/fixtures/demo/002_orders_changes.sql
echo "3. one small migration (fixtures/demo/002_orders_changes.sql)"
if [ -n "$squawk" ]; then
    pair "default terminal report" -- "$bin" check --color never "$small" -- "$squawk" "$small"
else
    single "default terminal report" "$bin" check --color never "$small"
fi
single "(for scale: ddlint --version)" "$bin" --version

echo "4. linear growth (ddlint, JSON; the corpus copied N times, one invocation)"
for n in 1 4 16; do
    mkdir -p "$tmp/x$n"
    for i in $(seq "$n"); do cp -r "$corpus" "$tmp/x$n/c$i"; done
    mapfile -t copies < <(find "$tmp/x$n" -mindepth 2 -maxdepth 2 -type d | sort)
    single "${n}x" "$bin" check --format json "${vars[@]}" "${copies[@]}"
    rm -rf "$tmp/x$n"
done
