#!/usr/bin/env bash
# Dry-run overhead benchmark (issue: "Dry-run against a real PostgreSQL").
#
#   scripts/bench-dryrun.sh            # ROWS=5000000 RUNS=5 by default
#
# Starts a throwaway PostgreSQL 15 (as the unprivileged user ddlint-test when
# run as root), fills a table with ROWS rows, and times the same migration
# (an index build, a column, a validated CHECK) run by
#   psql -1 -f migration.sql                    (what a deploy does)
#   ddlint dry-run --db ... --commit            (same work, observed)
#   ddlint dry-run --db ...                     (observed, rolled back)
# resetting the schema between runs outside the timing. Prints the median
# wall time of each and the observation overhead against psql.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-5000000}
runs=${RUNS:-5}
cargo build --release -q
bin=$PWD/target/release/ddlint

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
"${as[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w -o \
    "-p $port -h 127.0.0.1 -k $tmp -c shared_buffers=256MB -c maintenance_work_mem=256MB -c max_wal_size=4GB" \
    start >/dev/null
db="host=127.0.0.1 port=$port user=postgres dbname=postgres"
q() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$db" "$@"; }

echo "filling bench with $rows rows..."
q -c "CREATE TABLE bench (id bigint PRIMARY KEY, t text NOT NULL, n int)" \
  -c "INSERT INTO bench SELECT g, md5(g::text), g % 1000 FROM generate_series(1, $rows) g" \
  -c "VACUUM ANALYZE bench"
cat > "$tmp/0001_bench.sql" <<'EOF'
CREATE INDEX bench_t ON bench (t);
ALTER TABLE bench ADD COLUMN flag boolean DEFAULT false;
ALTER TABLE bench ADD CONSTRAINT bench_n_positive CHECK (n >= 0);
EOF
reset() {
    q -c "SET client_min_messages = warning" -c "DROP INDEX IF EXISTS bench_t" -c "ALTER TABLE bench DROP COLUMN IF EXISTS flag" \
      -c "ALTER TABLE bench DROP CONSTRAINT IF EXISTS bench_n_positive"
}

# median wall seconds of $runs runs of "$@", with reset before each
measure() {
    local walls=()
    for _ in $(seq "$runs"); do
        reset
        local t0 t1
        t0=$(date +%s.%N)
        "$@" > /dev/null
        t1=$(date +%s.%N)
        walls+=("$(echo "$t1 - $t0" | bc -l)")
    done
    printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p"
}

p=$(measure q -1 -f "$tmp/0001_bench.sql")
c=$(measure "$bin" dry-run --quiet --db "$db" --commit --lock-timeout off "$tmp/0001_bench.sql")
r=$(measure "$bin" dry-run --quiet --db "$db" --lock-timeout off "$tmp/0001_bench.sql")
printf 'migration on %s rows, median of %s runs:\n' "$rows" "$runs"
printf '  psql -1 -f                    %8.3f s\n' "$p"
printf '  ddlint dry-run --commit       %8.3f s  (overhead %+.1f%%)\n' "$c" "$(echo "($c - $p) * 100 / $p" | bc -l)"
printf '  ddlint dry-run (rolled back)  %8.3f s  (overhead %+.1f%%)\n' "$r" "$(echo "($r - $p) * 100 / $p" | bc -l)"
