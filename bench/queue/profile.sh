#!/usr/bin/env bash
# bench/queue/profile.sh — where the server's work goes per job (issue 18, part 1), measured
# before anything is changed: one bulk insert and drain of N noop jobs by one `examq worker` on a throwaway
# cluster with stock settings plus pg_stat_statements (track = all, so the statements inside the
# SQL functions are counted too) and track_functions. Prints, per job: PostgreSQL CPU (every
# postgres process, /proc), WAL bytes, WAL records and full-page images, heap tuples written,
# HOT updates; per statement and per function: calls per job and time per call. Counts do not
# depend on the machine's load; times do (read them as shares, not absolutes).
#
#   cmake --build build -j2 --target examq examq-queue-bench
#   bench/queue/profile.sh                     # 20,000 jobs, concurrency 10
#   JOBS=100000 CONCURRENCY=4 bench/queue/profile.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${EXAMQ_BUILD_DIR:-$ROOT/build}
EXAMQ=$BUILD/worker/examq
BENCH=$BUILD/bench/queue/examq-queue-bench
JOBS=${JOBS:-20000}
CONCURRENCY=${CONCURRENCY:-10}
for f in "$EXAMQ" "$BENCH"; do
  [ -x "$f" ] || { echo "missing $f: build the examq and examq-queue-bench targets first" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-profile.XXXXXX")
chmod 755 "$TMP"
WORKER_PID=
cleanup() {
  [ -n "$WORKER_PID" ] && { kill -TERM "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null; } || true
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg" shared_preload_libraries=pg_stat_statements \
           pg_stat_statements.track=all pg_stat_statements.max=1000 track_functions=all)
export PGHOST=127.0.0.1 PGPORT PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=bench_run
createdb bench_run
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION pg_stat_statements'
# CPU seconds of every process of the cluster (the postmaster's tree), from /proc.
postmaster=$(head -n 1 "$TMP/pg/postmaster.pid")
pg_cpu() {
  local tick total=0 pid
  tick=$(getconf CLK_TCK)
  for pid in "$postmaster" $(pgrep -P "$postmaster"); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$total" -v k="$tick" 'BEGIN {printf "%.3f", t / k}'
}

# The worker starts on an empty queue and registers before the counters are reset: what is
# measured is one bulk INSERT of the jobs (as the versus harness does before its drain; its
# share is its own line below) and the drain, not connection setup.
"$EXAMQ" worker --db "dbname=bench_run" --job-types noop --concurrency "$CONCURRENCY" --log-level warn \
  2>"$TMP/worker.log" &
WORKER_PID=$!
until psql -X -Atq -c "SELECT count(*) FROM examq_live_workers" | grep -qx 1; do sleep 0.1; done
psql -X -q -c 'CHECKPOINT' -c 'SELECT pg_stat_statements_reset()' -c 'SELECT pg_stat_reset()' \
     -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
lsn0=$(psql -X -Atq -c 'SELECT pg_current_wal_lsn()')
cpu0=$(pg_cpu); t0=$(date +%s.%N)
"$BENCH" enqueue --db dbname=bench_run --count "$JOBS" >/dev/null
"$BENCH" drained --db dbname=bench_run >"$TMP/drained"
cpu1=$(pg_cpu); t1=$(date +%s.%N)
lsn1=$(psql -X -Atq -c 'SELECT pg_current_wal_lsn()')
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || true; WORKER_PID=

echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $(psql -X -Atc 'SHOW server_version'); $JOBS noop jobs, concurrency $CONCURRENCY"
awk -v n="$JOBS" -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" 'BEGIN {
  printf "drain: %.2f s, %.0f jobs/s; PostgreSQL CPU %.2f s = %.1f us a job (%.0f%% of one core)\n",
         t1 - t0, n / (t1 - t0), c1 - c0, (c1 - c0) * 1e6 / n, 100 * (c1 - c0) / (t1 - t0) }'
psql -X -q -v n="$JOBS" -v lsn0="$lsn0" -v lsn1="$lsn1" <<'SQL'
\pset footer off
\echo '-- WAL per job'
SELECT round(pg_wal_lsn_diff(:'lsn1', :'lsn0') / :n) AS wal_bytes_per_job,
       round(wal_records::numeric / :n, 2) AS wal_records_per_job,
       round(wal_fpi::numeric / :n, 3) AS full_page_images_per_job
  FROM pg_stat_wal;
\echo '-- processing_jobs: tuples written per job (HOT: no index entry written)'
SELECT round(n_tup_upd::numeric / :n, 2) AS updates_per_job,
       round(n_tup_hot_upd::numeric / :n, 2) AS hot_updates_per_job,
       round(100.0 * n_tup_hot_upd / nullif(n_tup_upd, 0), 1) AS hot_percent,
       (SELECT count(*) FROM pg_index WHERE indrelid = 'processing_jobs'::regclass) AS indexes,
       round((n_tup_upd - n_tup_hot_upd)::numeric / :n, 2) AS non_hot_updates_per_job
  FROM pg_stat_user_tables WHERE relname = 'processing_jobs';
\echo '-- statements (top level: what the worker sends)'
SELECT round(calls::numeric / :n, 3) AS calls_per_job,
       round((total_exec_time / calls * 1000)::numeric, 1) AS us_per_call,
       round((total_exec_time * 1000 / :n)::numeric, 1) AS us_per_job,
       round((shared_blks_hit + shared_blks_read + shared_blks_dirtied)::numeric / :n, 1) AS blocks_per_job,
       round(wal_bytes / :n) AS wal_bytes_per_job,
       left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
  FROM pg_stat_statements WHERE toplevel AND calls > 0
 ORDER BY total_exec_time DESC LIMIT 12;
\echo '-- statements inside the functions and triggers'
SELECT round(calls::numeric / :n, 3) AS calls_per_job,
       round((total_exec_time / calls * 1000)::numeric, 1) AS us_per_call,
       round((total_exec_time * 1000 / :n)::numeric, 1) AS us_per_job,
       round(wal_bytes / :n) AS wal_bytes_per_job,
       left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
  FROM pg_stat_statements WHERE NOT toplevel AND calls > 0
 ORDER BY total_exec_time DESC LIMIT 15;
\echo '-- functions (self time excludes the functions they call)'
SELECT round(calls::numeric / :n, 3) AS calls_per_job,
       round((self_time / calls * 1000)::numeric, 1) AS self_us_per_call,
       round((self_time * 1000 / :n)::numeric, 1) AS self_us_per_job, funcname
  FROM pg_stat_user_functions WHERE calls > 0 ORDER BY self_time DESC LIMIT 12;
\echo '-- sizes after the drain'
SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) AS size
  FROM pg_class AS c
 WHERE c.oid = 'processing_jobs'::regclass
    OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'processing_jobs'::regclass)
 ORDER BY pg_relation_size(c.oid) DESC;
SQL
