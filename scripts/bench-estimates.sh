#!/usr/bin/env bash
# Estimated against measured durations of blocking work (issue:
# "Production-aware: table statistics").
#
#   scripts/bench-estimates.sh                  # SIZES="100000 1000000 5000000"
#   SIZES=1000000 scripts/bench-estimates.sh    # one size
#   CONFIG=ddlint.yaml scripts/bench-estimates.sh   # other throughputs
#
# Starts a throwaway PostgreSQL 15 (as the unprivileged user ddlint-test when
# run as root). For each size N: a database with `events` (N rows, 5 columns)
# and `accounts` (N/10 rows), analysed; `ddlint stats` captures it; `ddlint
# dry-run --db ... --stats` (rolled back) runs four migrations on it, one per
# kind of blocking work, and records each statement's estimate from the
# statistics next to its measured duration:
#   index build     CREATE INDEX events_kind ON events (kind)
#   foreign key     ALTER TABLE events ADD ... FOREIGN KEY (account_id) REFERENCES accounts
#   SET NOT NULL    ALTER TABLE events ALTER COLUMN kind SET NOT NULL (a scan)
#   rewrite         ALTER TABLE events ALTER COLUMN n TYPE bigint (rewrite + index rebuilds)
# Prints the table (estimated, measured, measured/estimated) and what
# `ddlint stats --calibrate` fits to all the runs together.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-"100000 1000000 5000000"}
cargo build --release -q
bin=$PWD/target/release/ddlint
config=()
if [ -n "${CONFIG:-}" ]; then config=(--config "$(realpath "$CONFIG")"); else config=(--no-config); fi

pgbin=""
for d in "${DDLINT_PG_BIN_15:-}" /var/tmp/ddlint-pg/15/bin /usr/lib/postgresql/15/bin; do
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then pgbin=$d; break; fi
done
[ -n "$pgbin" ] || { echo "no PostgreSQL 15 binaries (run scripts/pg-binaries.sh)" >&2; exit 2; }
psql_bin=$(command -v psql) || { echo "psql is needed (apt-get install postgresql-client)" >&2; exit 2; }

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
# Stock settings but for WAL room: what the defaults are measured on.
"${as[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o \
    "-p $port -h 127.0.0.1 -k $tmp -c max_wal_size=4GB" start >/dev/null

mkdir -p "$tmp/m"
cat > "$tmp/m/001_index.sql" <<'EOF'
CREATE INDEX events_kind ON events (kind);
EOF
cat > "$tmp/m/002_foreign_key.sql" <<'EOF'
ALTER TABLE events ADD CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
EOF
cat > "$tmp/m/003_set_not_null.sql" <<'EOF'
ALTER TABLE events ALTER COLUMN kind SET NOT NULL;
EOF
cat > "$tmp/m/004_rewrite.sql" <<'EOF'
ALTER TABLE events ALTER COLUMN n TYPE bigint;
EOF
cat > "$tmp/schema.sql" <<'EOF'
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE events (id bigint PRIMARY KEY, account_id bigint, kind text, n int, payload text);
EOF

runs=()
for n in $sizes; do
    db="host=127.0.0.1 port=$port user=postgres dbname=bench_$n"
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=$port user=postgres dbname=postgres" \
        -c "CREATE DATABASE bench_$n"
    echo "filling bench_$n: events $n rows, accounts $((n / 10 > 0 ? n / 10 : 1)) rows..." >&2
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db" -f "$tmp/schema.sql" \
        -c "INSERT INTO accounts SELECT g, 'user' || g || '@example.com' FROM generate_series(1, greatest($n / 10, 1)) g" \
        -c "INSERT INTO events SELECT g, g % greatest($n / 10, 1) + 1, 'kind' || (g % 20), g % 1000, md5(g::text) FROM generate_series(1, $n) g" \
        -c "VACUUM ANALYZE"
    "$bin" stats --db "$db" --sample 0 -q -o "$tmp/stats_$n.json"
    # Warm the cache the way production's is: the tables were just written.
    "$bin" dry-run --db "$db" --stats "$tmp/stats_$n.json" --schema "$tmp/schema.sql" \
        --lock-timeout 10s --format json -o "$tmp/run_$n.json" -q "${config[@]}" "$tmp/m" >/dev/null 2>&1 || {
        echo "dry-run on bench_$n failed: see $tmp/run_$n.json" >&2; cat "$tmp/run_$n.json" >&2; exit 1; }
    runs+=("$tmp/run_$n.json")
done

python3 - "${runs[@]}" <<'EOF'
import json, sys
names = {"001_index.sql": "index build", "002_foreign_key.sql": "foreign key validation",
         "003_set_not_null.sql": "SET NOT NULL scan", "004_rewrite.sql": "rewrite (+ index rebuild)"}
print("| rows | table bytes | work | estimated | measured | measured / estimated |")
print("|---:|---:|---|---:|---:|---:|")
worst = 1.0
for path in sys.argv[1:]:
    d = json.load(open(path))
    rows = path.rsplit("_", 1)[1].split(".")[0]
    for f in d["files"]:
        name = f["path"].rsplit("/", 1)[1]
        for s in f["statements"]:
            e = s.get("estimate")
            if not e:
                continue
            est, meas = e["seconds"], s["duration_ms"] / 1000
            ratio = meas / est if est else float("inf")
            worst = max(worst, ratio, 1 / ratio if ratio else float("inf"))
            size = max(w["bytes"] for w in e["work"]) / 1048576
            print(f"| {int(rows):,} | {size:.0f} MB | {names.get(name, name)} | {est:.3f} s | {meas:.3f} s | {ratio:.2f} |")
print(f"\nworst factor between estimate and measurement: {worst:.2f}x")
EOF
echo
# One report with every run's statements, for the fit.
python3 - "$tmp/all.json" "${runs[@]}" <<'EOF'
import json, sys
out = {"files": []}
for p in sys.argv[2:]:
    d = json.load(open(p))
    for f in d["files"]:
        f["path"] = p.rsplit("/", 1)[1] + ":" + f["path"].rsplit("/", 1)[1]
        out["files"].append(f)
json.dump(out, open(sys.argv[1], "w"))
EOF
echo "what ddlint stats --calibrate fits to these runs:"
"$bin" stats --calibrate "$tmp/all.json" "${config[@]}" | sed -n '/^# /,$p'
