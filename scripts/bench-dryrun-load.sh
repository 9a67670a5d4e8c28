#!/usr/bin/env bash
# Dry-run under an application's load (issue: "Dry-run: measure what
# production's sessions would feel").
#
#   scripts/bench-dryrun-load.sh     # ROWS=1000000 RATE=400 CLIENTS=8 RUNS=3
#
# Starts a throwaway PostgreSQL 15 (as the unprivileged user ddlint-test when
# run as root), fills `events` (ROWS rows) and `accounts`, and keeps them as
# a template database. Then:
#
# 1. While pgbench plays an application (each transaction reads and updates
#    one random event; RATE transactions per second over CLIENTS
#    connections; a per-transaction latency log), a realistic migration set
#    runs through `ddlint dry-run --db ... --commit --probe` (two seconds
#    apart, so the application's backlog drains and pgbench's log can tell
#    one window from the next). For each statement and blocking window the
#    dry-run reports, the script prints the worst transaction time pgbench
#    itself logged for the transactions that overlapped it (latency minus
#    schedule lag: how long its queries took), and the worst schedule lag
#    (how long it waited for a free connection: the pool pile-up).
# 2. Without load, the same set is timed RUNS times (a fresh copy of the
#    template each time, outside the timing) run by `psql -1 -f` (one
#    transaction), `psql -f` per file, `ddlint dry-run --commit`,
#    `ddlint dry-run` (rolled back) and `ddlint dry-run --probe`: medians,
#    and the overhead of each against `psql -1 -f`.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-1000000}
rate=${RATE:-400}
clients=${CLIENTS:-8}
runs=${RUNS:-3}
cargo build --release -q
bin=$PWD/target/release/ddlint

pgbin=""
for d in "${DDLINT_PG_BIN_15:-}" /var/tmp/ddlint-pg/15/bin /usr/lib/postgresql/15/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then pgbin=$d; break; fi
done
[ -n "$pgbin" ] || { echo "no PostgreSQL 15 binaries (run scripts/pg-binaries.sh)" >&2; exit 2; }
psql_bin=$(command -v psql) || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 2; }
pgbench_bin=$(command -v pgbench || echo "$pgbin/pgbench")
[ -x "$pgbench_bin" ] || { echo "pgbench is needed (the PostgreSQL server package has it)" >&2; exit 2; }

tmp=$(mktemp -d)
as=()
if [ "$(id -u)" = 0 ]; then
    id ddlint-test >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ddlint-test
    chown ddlint-test "$tmp"
    as=(runuser -u ddlint-test --)
fi
cleanup() {
    "${as[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$pgbin/initdb" -D "$tmp/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o \
    "-p $port -h 127.0.0.1 -k $tmp -c shared_buffers=256MB -c max_wal_size=4GB -c max_connections=60" \
    start >/dev/null
conn() { echo "host=127.0.0.1 port=$port user=postgres dbname=$1"; }
q() { local d=$1; shift; "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$(conn "$d")" "$@"; }

echo "filling events with $rows rows..."
q postgres -c "CREATE DATABASE tpl"
q tpl -c "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL)" \
      -c "INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 10000) g" \
      -c "CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL,
            payload text, created_at timestamptz NOT NULL DEFAULT now())" \
      -c "INSERT INTO events SELECT g, 1 + g % 10000, 'k' || g % 7, md5(g::text) || md5((g + 1)::text),
            now() - make_interval(secs => g) FROM generate_series(1, $rows) g" \
      -c "VACUUM ANALYZE"
# A fresh copy of the template: its name.
fresh() { local d; d="run_$(date +%s%N)"; q postgres -c "CREATE DATABASE $d TEMPLATE tpl"; echo "$d"; }

# The migration set: what teams write every week.
m=$tmp/migrations
mkdir -p "$m"
echo "ALTER TABLE events ADD COLUMN note text;" > "$m/0001_note.sql"
echo "CREATE INDEX events_account_idx ON events (account_id);" > "$m/0002_index.sql"
echo "ALTER TABLE events ADD CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);" > "$m/0003_fk.sql"
echo "UPDATE events SET note = 'migrated' WHERE id <= $((rows * 3 / 10));" > "$m/0004_backfill.sql"
cat "$m"/000*.sql > "$tmp/all.sql"
ml=$tmp/under-load
mkdir -p "$ml"
for f in "$m"/000*.sql; do
    b=$(basename "$f" .sql)
    cp "$f" "$ml/$b.sql"
    echo "SELECT pg_sleep(2);" > "$ml/${b}_pause.sql"
done

# 1. Under load.
cat > "$tmp/app.sql" <<EOF
\set id random(1, $rows)
BEGIN;
SELECT kind FROM events WHERE id = :id;
UPDATE events SET kind = 'app' WHERE id = :id;
END;
EOF
db=$(fresh)
before=8
load=$((before + 40))
echo "pgbench: $clients clients, $rate tps, $load s; the dry-run starts after $before s"
(cd "$tmp" && "$pgbench_bin" -n -c "$clients" -j 2 -R "$rate" -T "$load" -l --log-prefix=pgb \
    -f app.sql "$(conn "$db")" > pgbench.out 2>&1) &
bench=$!
sleep "$before"
# JSON to a file, the text report on stderr.
NO_COLOR=1 "$bin" dry-run --no-config --db "$(conn "$db")" --commit --probe --format json \
    -o "$tmp/run.json" "$ml" 2> "$tmp/run.txt" || true
wait "$bench"
cat "$tmp/run.txt"
echo
python3 - "$tmp/run.json" "$tmp" <<'EOF'
import glob, json, sys
run = json.load(open(sys.argv[1]))
d = run["dry_run"]
t0 = d["started_at_unix"]
# pgbench's log: client, transaction, latency (from its scheduled start,
# us), script, end (s, us), schedule lag (us). The time its queries took
# is latency - lag (lag: it waited for its connection to be free).
txns = []
for f in glob.glob(sys.argv[2] + "/pgb.[0-9]*"):
    for line in open(f):
        p = line.split()
        lat = int(p[2]) / 1e6
        lag = int(p[6]) / 1e6 if len(p) > 6 else 0.0
        end = int(p[4]) + int(p[5]) / 1e6
        txns.append((end - (lat - lag), end, lat - lag, lag))
def worst(a, b):
    l = [t for t in txns if t[0] < b and t[1] > a]
    return (max((t[2] for t in l), default=0.0), max((t[3] for t in l), default=0.0), len(l))
first = min(t[0] for t in txns)
print(f"dry-run: {d['outcome']['result']}, {d['duration_ms'] / 1000:.2f} s; pgbench logged {len(txns)} transactions")
q, lag, n = worst(first, t0)
print(f"before the migrations: worst transaction {q * 1000:.0f} ms, worst wait for a connection {lag * 1000:.0f} ms ({n} transactions)")
print()
print("| what | dry-run: duration | pgbench: worst transaction in it | pgbench: worst wait for a connection | transactions |")
print("|---|---:|---:|---:|---:|")
for f in run["files"]:
    name = f["path"].rsplit("/", 1)[-1]
    for s in f["statements"]:
        if s.get("status") not in ("ok", "failed") or "pause" in name:
            continue
        a = t0 + s["started_ms"] / 1000
        b = a + s["duration_ms"] / 1000
        q, lag, n = worst(a, b)
        extra = ""
        bs = s.get("blocked_sessions", [])
        if bs:
            extra = f"; {len(bs)} session(s) seen waiting, longest {max(x['waited_ms'] for x in bs):.0f} ms"
        print(f"| statement {name}{extra} | {s['duration_ms']:.0f} ms | {q * 1000:.0f} ms | {lag * 1000:.0f} ms | {n} |")
for w in run["blocking_windows"]:
    a = t0 + w["start_ms"] / 1000
    b = a + w["duration_ms"] / 1000
    q, lag, n = worst(a, b)
    print(f"| window: {w['blocked']} of {w['relation']} blocked ({w['mode']}, statements {w['statements'][0]}-{w['statements'][1]}) | {w['duration_ms']:.0f} ms | {q * 1000:.0f} ms | {lag * 1000:.0f} ms | {n} |")
print()
for p in run["probes"]:
    st = " (rows of statement %s)" % p["statement"] if "statement" in p else ""
    print(f"probe {p['relation']} {p['operation']}{st}: blocked {p['blocked_ms']:.0f} ms, worst {p['worst_ms']:.0f} ms")
end = t0 + d["duration_ms"] / 1000
q, lag, n = worst(end, max(t[1] for t in txns))
print(f"after the migrations: worst transaction {q * 1000:.0f} ms, worst wait for a connection {lag * 1000:.0f} ms ({n} transactions)")
EOF

# 2. Without load: the cost of observing.
median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
measure() {
    local walls=() d t0 t1
    for _ in $(seq "$runs"); do
        d=$(fresh)
        t0=$(date +%s.%N)
        "$@" "$d" > /dev/null 2>&1 || true
        t1=$(date +%s.%N)
        walls+=("$(echo "$t1 - $t0" | bc -l)")
        q postgres -c "DROP DATABASE $d"
    done
    printf '%s\n' "${walls[@]}" | median
}
psql1() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 -1 -f "$tmp/all.sql" "$(conn "$1")"; }
psqlf() { for f in "$m"/000*.sql; do "$psql_bin" -X -q -v ON_ERROR_STOP=1 -f "$f" "$(conn "$1")"; done; }
commit() { "$bin" dry-run --no-config --quiet --db "$(conn "$1")" --commit "$m"; }
rollback() { "$bin" dry-run --no-config --quiet --db "$(conn "$1")" "$m"; }
probe() { "$bin" dry-run --no-config --quiet --db "$(conn "$1")" --probe "$m"; }
p1=$(measure psql1)
pf=$(measure psqlf)
c=$(measure commit)
r=$(measure rollback)
pr=$(measure probe)
echo
printf 'the set on %s rows without load, median of %s runs:\n' "$rows" "$runs"
printf '  psql -1 -f                   %8.3f s\n' "$p1"
printf '  psql -f (each file)          %8.3f s  %+6.1f%%\n' "$pf" "$(echo "($pf / $p1 - 1) * 100" | bc -l)"
printf '  ddlint dry-run --commit      %8.3f s  %+6.1f%%\n' "$c" "$(echo "($c / $p1 - 1) * 100" | bc -l)"
printf '  ddlint dry-run (rolled back) %8.3f s  %+6.1f%%\n' "$r" "$(echo "($r / $p1 - 1) * 100" | bc -l)"
printf '  ddlint dry-run --probe       %8.3f s  %+6.1f%%\n' "$pr" "$(echo "($pr / $p1 - 1) * 100" | bc -l)"
