#!/usr/bin/env bash
# The floor of the server's work per job in each storage shape (issue 18): what a job costs
# PostgreSQL when nothing but the claim and the completion run, for today's shape and the ones a
# change of contract could bring.
#
#   bench/queue/shapes.sh                 # JOBS=40000 ROUNDS=3 SHAPES="real kept hot part live lean gone"
#
# Builds nothing and needs no examq binary: a throwaway PostgreSQL 15 (ci/pgcluster, stock
# settings), stopped on every exit path, sql/install.sql, then bench/queue/shapes/setup.sql, which
# stores the same row (processing_jobs' columns, defaults and CHECKs) in six bare shapes:
#   kept  today's shape: one table, a finished job stays in it, today's indexes
#   hot   kept, but no index names a column the completion changes (a HOT completion; no lease
#         or finished index, so rescue and cleanup would scan)
#   part  one table partitioned by status, live and finished: the completion moves the row
#   live  live jobs only; the completion moves the row into a history table
#   lean  live, with the least a kept history can have: its primary key and BRIN on the times
#   gone  graphile-worker's shape: the completion deletes the row (no history): the reference
# and `real`, the product itself (get_next_processing_jobs, complete_processing_jobs, triggers).
# Per shape and round: JOBS noop rows inserted (not measured), VACUUM ANALYZE, CHECKPOINT, then
# one pgbench client drains them, 200 a claim, each claim and completion its own transaction
# (bench/queue/shapes/: claim.sql and the shape's settle_*.sql, or drain_real.sql; the scripts run
# are kept in OUT; pgbench -M extended). Server CPU = utime+stime of the
# postmaster, its live children and its reaped children (cutime/cstime) from /proc; WAL =
# pg_current_wal_lsn() difference. The order of the shapes is reversed every other round. Prints
# medians and the ratio to `gone` measured in the same run; raw lines stay in OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. "$ROOT/bench/lib.sh"  # median, pg_cpu_ticks
JOBS=${JOBS:-40000}
ROUNDS=${ROUNDS:-3}
SHAPES=${SHAPES:-real kept hot part live lean gone}
OUT=${OUT:-${TMPDIR:-/tmp}/examq-shapes-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.txt; : >"$RAW"
command -v pgbench >/dev/null || { echo "shapes.sh: needs pgbench (postgresql-client-15)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-shapes.XXXXXX"); chmod 755 "$TMP"
cleanup() { "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export PGHOST=127.0.0.1 PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg") PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=shapes
unset EXAMQ_DB DATABASE_URL
createdb shapes
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/bench/queue/shapes/setup.sql" >/dev/null
q() { psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
pm=$(head -1 "$TMP/pg/postmaster.pid")
hz=$(getconf CLK_TCK)
table_of() { case $1 in real) echo public.processing_jobs ;; *) echo "shapes.$1" ;; esac; }
history_of() { case $1 in live) echo shapes.history ;; lean) echo shapes.lean_history ;; esac; }
# A shape's pgbench script: claim.sql, then its completion (settle_{update,delete,move}.sql),
# with the placeholders filled in. `real` has its own (drain_real.sql).
drain_script() {
  local s=$1 dir=$ROOT/bench/queue/shapes claimable="status = 'pending'" claimed=true
  local running="j.status IS NOT DISTINCT FROM 'processing'" settle=update
  case $s in
    real) cat "$dir/drain_real.sql"; return ;;
    hot) claimable="lease_duration IS NULL" ;;
    # Naming the status lets the planner search only the live partition.
    part) claimed="j.status = 'pending'"; running="j.status = 'processing'" ;;
    live|lean) settle=move ;;
    gone) settle=delete ;;
  esac
  cat "$dir/claim.sql" "$dir/settle_$settle.sql" |
    sed -e "s/@TABLE@/$(table_of "$s")/g" -e "s/@HISTORY@/$(history_of "$s")/g" \
        -e "s/@CLAIMABLE@/$claimable/g" -e "s/@CLAIMED@/$claimed/g" -e "s/@RUNNING@/$running/g"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg); started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "shapes: $JOBS jobs a drain, $ROUNDS rounds, shapes: $SHAPES; raw results in $OUT" >&2

read -r -a order <<<"$SHAPES"
for r in $(seq "$ROUNDS"); do
  [ $((r % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
  for s in "${order[@]}"; do
    t=$(table_of "$s")
    q -c "TRUNCATE $t CASCADE" 2>/dev/null
    h=$(history_of "$s")
    [ -n "$h" ] && q -c "TRUNCATE $h"
    q -c "INSERT INTO $t (job_type, payload) SELECT 'noop', '{}' FROM generate_series(1, $JOBS)"
    q -c "VACUUM ANALYZE $t" -c "CHECKPOINT"
    [ -n "$h" ] && q -c "VACUUM ANALYZE $h"
    w0=$(q -c "SELECT pg_current_wal_lsn()"); c0=$(pg_cpu_ticks "$pm"); s0=$(date +%s.%N)
    drain_script "$s" >"$OUT/drain-$s.sql"
    pgbench -n -M extended -c 1 -t $((JOBS / 200)) -f "$OUT/drain-$s.sql" \
      >"$OUT/pgbench-$s-$r.log" 2>&1 || { cat "$OUT/pgbench-$s-$r.log" >&2; exit 1; }
    s1=$(date +%s.%N)
    sleep 0.5  # let the postmaster reap the pgbench backend, whose CPU then shows in cutime
    c1=$(pg_cpu_ticks "$pm"); w1=$(q -c "SELECT pg_current_wal_lsn()")
    done_rows=$(q -c "SELECT count(*) FROM $t WHERE status = 'completed'")
    [ -n "$h" ] && done_rows=$(q -c "SELECT count(*) FROM $h WHERE status = 'completed'")
    [ "$s" = gone ] && done_rows=$((JOBS - $(q -c "SELECT count(*) FROM shapes.gone")))
    [ "$done_rows" = "$JOBS" ] || { echo "shapes.sh: $s completed $done_rows of $JOBS jobs" >&2; exit 1; }
    cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$JOBS" 'BEGIN {printf "%.1f", (b - a) / hz * 1e6 / n}')
    wal=$(q -c "SELECT round(pg_wal_lsn_diff('$w1', '$w0') / $JOBS)")
    jps=$(awk -v a="$s0" -v b="$s1" -v n="$JOBS" 'BEGIN {printf "%.0f", n / (b - a)}')
    echo "round=$r shape=$s cpu_us=$cpu wal_b=$wal jobs_per_s=$jps" | tee -a "$RAW" >&2
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

med() { grep "shape=$1 " "$RAW" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p" | median; }
ref=$(med gone cpu_us)
echo
echo "$started, $JOBS jobs a drain, median of $ROUNDS rounds, load average $load_before before and $load_after after"
echo
echo "| shape | server CPU µs a job | ÷ gone (same run) | WAL bytes a job | jobs/s (one client) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for s in $SHAPES; do
  c=$(med "$s" cpu_us)
  echo "| $s | $c | $(awk -v c="$c" -v r="$ref" 'BEGIN {if (r > 0) printf "%.2f", c / r; else print "-"}') | $(med "$s" wal_b) | $(med "$s" jobs_per_s) |"
done
