#!/usr/bin/env bash
# A record at scale (issue 18, item 3): JOBS noop jobs drained by WORKERS `examq worker`
# processes against one database that already keeps ROWS_HISTORY finished jobs.
#
#   bench/queue/scale.sh [EXAMQ_BIN]
#   ROWS_HISTORY=1000000 JOBS=100000 bench/queue/scale.sh build-release/worker/examq
#
# Builds nothing: the binary is the argument, else $EXAMQ_BIN, else build-release/worker/examq,
# else build/worker/examq. A throwaway PostgreSQL 15 (ci/pgcluster, stock settings), stopped on
# every exit path. Steps:
#  1. fixture: ROWS_HISTORY (10,000,000) finished noop rows, 95% completed and 5% failed, with
#     completed_at spread evenly over the HISTORY_DAYS (31) days before now, so that the default
#     30-day retention finds about one day of them: what the daily cleanup meets in a steady
#     state. A bulk INSERT ... SELECT as the table owner, in chunks of 1,000,000, with
#     session_replication_role = replica (no change notifications for history), then VACUUM ANALYZE.
#  2. the claim with the history present: EXPLAIN (ANALYZE, BUFFERS) of the statement inside
#     get_next_processing_jobs (through auto_explain, nested statements) claiming 10 of 1,000
#     pending jobs, CLAIM_RUNS (5) times, each in a transaction rolled back; also timed in SQL
#     without auto_explain (clock_timestamp() around the call). Again right after the drain
#     (the drained jobs' dead entries still in the claim index) and after step 5's VACUUM.
#  3. enqueue JOBS (1,000,000) noop jobs: INSERT ... SELECT in chunks of 100,000 (the triggers and
#     notifications of the product fire), then ANALYZE.
#  4. drain: WORKERS (4) `examq worker --concurrency CONCURRENCY (10) --job-types noop`; the
#     window runs from the workers' start until a 100 ms poll sees no pending or processing job.
#     Server CPU = utime+stime of the postmaster, its live children and its reaped children
#     (cutime/cstime) from /proc, before and after; WAL = pg_current_wal_lsn() difference.
#     jobs/s is also given from the server's stamps: JOBS / (max(completed_at) - min(started_at)).
#  5. sizes afterwards: the table (heap, TOAST) and each index.
#  6. the daily cleanup: cleanup_old_processing_jobs() with its default retention, then with
#     CLEANUP_RETENTION (default '28 days': two more days, as after a missed run) — time, rows deleted, WAL.
# Same-run reference: pgbench -N (-c 4 -j 2 -T 10) on the same cluster, 3 runs, median.
# Raw results (key=value, EXPLAIN text, sizes) stay in OUT (default
# ${TMPDIR:-/tmp}/examq-scale-YYYYmmdd-HHMMSS). Needs about 1.2 GB of disk per million history
# rows (checked against df before starting).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. "$ROOT/bench/lib.sh"  # median, pg_cpu_ticks
BIN=${1:-${EXAMQ_BIN:-}}
if [ -z "$BIN" ]; then
  for b in "$ROOT/build-release/worker/examq" "$ROOT/build/worker/examq"; do [ -x "$b" ] && { BIN=$b; break; }; done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "scale.sh: no examq binary: pass one (build the examq target first)" >&2; exit 2; }
ROWS_HISTORY=${ROWS_HISTORY:-10000000}
HISTORY_DAYS=${HISTORY_DAYS:-31}
JOBS=${JOBS:-1000000}
WORKERS=${WORKERS:-4}
CONCURRENCY=${CONCURRENCY:-10}
CLAIM_RUNS=${CLAIM_RUNS:-5}
CLEANUP_RETENTION=${CLEANUP_RETENTION:-28 days}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-3600}
OUT=${OUT:-${TMPDIR:-/tmp}/examq-scale-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.txt; : >"$RAW"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-scale.XXXXXX"); chmod 755 "$TMP"
need_kb=$(( (ROWS_HISTORY + JOBS) / 1000000 * 1200 * 1024 + 1024 * 1024 ))
avail_kb=$(df -Pk "$TMP" | awk 'NR == 2 {print $4}')
[ "$avail_kb" -gt "$need_kb" ] || { echo "scale.sh: needs ~$((need_kb / 1024)) MB free in $TMP, has $((avail_kb / 1024)) MB" >&2; rmdir "$TMP"; exit 2; }
wpids=()
cleanup() {
  for p in "${wpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${wpids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export PGHOST=127.0.0.1 PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg") PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=scale
unset EXAMQ_DB DATABASE_URL
createdb scale
psql -X -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
q() { psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
rec() { echo "$1=$2" >>"$RAW"; }
now_s() { date +%s.%N; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg); started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "scale: $ROWS_HISTORY history rows, $JOBS jobs, $WORKERS workers x concurrency $CONCURRENCY; raw results in $OUT" >&2

# --- same-run reference: pgbench -N ------------------------------------------------------------
createdb pgb; pgbench -i -s 10 -q pgb >/dev/null 2>&1
tps=()
for r in 1 2 3; do
  t=$(pgbench -c 4 -j 2 -T 10 -N pgb 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  tps+=("$t"); rec "pgbench_tps_r$r" "$t"
done
pgbench_tps=$(printf '%s\n' "${tps[@]}" | median); dropdb pgb

# --- 1. history fixture ------------------------------------------------------------------------
s=$(now_s)
chunk=1000000; done_rows=0
while [ "$done_rows" -lt "$ROWS_HISTORY" ]; do
  n=$(( ROWS_HISTORY - done_rows < chunk ? ROWS_HISTORY - done_rows : chunk ))
  q <<SQL
SET session_replication_role = replica;
INSERT INTO processing_jobs (job_type, status, payload, progress_percentage, current_step, result,
                             error_message, attempts, retry_count, created_at, started_at, completed_at,
                             updated_at, run_at)
SELECT 'noop', CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'completed' END, jsonb_build_object('id', i),
       100, CASE WHEN i % 20 = 0 THEN 'Failed' ELSE 'Completed' END,
       CASE WHEN i % 20 = 0 THEN NULL ELSE jsonb_build_object('handler_started_at', 0) END,
       CASE WHEN i % 20 = 0 THEN 'noop failed' END, 1, 0, t - interval '2 ms', t - interval '1 ms', t, t,
       t - interval '2 ms'
  FROM (SELECT i, now() - interval '1 day' * $HISTORY_DAYS * i / $ROWS_HISTORY AS t
          FROM generate_series($done_rows + 1, $done_rows + $n) AS i) AS g;
SQL
  done_rows=$(( done_rows + n ))
  echo "  history: $done_rows rows" >&2
done
q -c "VACUUM ANALYZE processing_jobs"
rec history_load_s "$(echo "$(now_s) - $s" | bc)"

# --- 2. the claim with the history present -----------------------------------------------------
explain_claim() {  # LABEL: EXPLAIN of the claim's statement, 10 of 1,000 pending jobs, rolled back
  local label=$1 i
  for i in $(seq 1 "$CLAIM_RUNS"); do
    psql -X -q -v ON_ERROR_STOP=1 2>&1 <<'SQL'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_timing = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET client_min_messages = notice;
BEGIN;
SET LOCAL auto_explain.log_min_duration = -1;
INSERT INTO processing_jobs (job_type, payload) SELECT 'claimprobe', '{}' FROM generate_series(1, 1000);
SET LOCAL auto_explain.log_min_duration = 0;
SELECT count(*) FROM get_next_processing_jobs(10, 'scale-explain', ARRAY['claimprobe'], interval '60 s');
ROLLBACK;
SQL
  done >"$OUT/claim-$label.txt"
  # Per run: auto_explain's duration of the claim's UPDATE (the statement inside the function)
  # and of the whole call (SELECT ... FROM get_next_processing_jobs).
  awk '/duration: .* ms +plan:/ {d=$0; sub(/.*duration: /, "", d); sub(/ ms.*/, "", d)}
       /^Query Text: WITH next AS/ {print d}' "$OUT/claim-$label.txt" >"$OUT/claim-$label.ms"
  awk '/duration: .* ms +plan:/ {d=$0; sub(/.*duration: /, "", d); sub(/ ms.*/, "", d)}
       /^Query Text: SELECT count\(\*\) FROM get_next_processing_jobs/ {print d}' "$OUT/claim-$label.txt" >"$OUT/claim-$label.call.ms"
}
claim_plain() {  # LABEL: the same claim timed without auto_explain, CLAIM_RUNS times in one session
  local label=$1 i
  for i in $(seq 1 "$CLAIM_RUNS"); do cat <<'SQL'; done | psql -X -q -v ON_ERROR_STOP=1 2>&1 | sed -n 's/.*claim_ms=//p' >"$OUT/claim-$label.plain.ms"
BEGIN;
INSERT INTO processing_jobs (job_type, payload) SELECT 'claimprobe', '{}' FROM generate_series(1, 1000);
DO $$ DECLARE t timestamptz := clock_timestamp(); n bigint; BEGIN
  SELECT count(*) INTO n FROM get_next_processing_jobs(10, 'scale-claim', ARRAY['claimprobe'], interval '60 s');
  RAISE NOTICE 'claim_ms=%', round(extract(epoch FROM clock_timestamp() - t)::numeric * 1000, 3);
END $$;
ROLLBACK;
SQL
}
explain_claim history
claim_plain history
claim_ms_history="$(median <"$OUT/claim-history.plain.ms") ($(median <"$OUT/claim-history.ms") / $(median <"$OUT/claim-history.call.ms"))"
rec claim_ms_with_history "$claim_ms_history"

# --- 3. enqueue ----------------------------------------------------------------------------------
enq_ts=$(q -c "SELECT now()")
s=$(now_s); done_rows=0; chunk=100000
while [ "$done_rows" -lt "$JOBS" ]; do
  n=$(( JOBS - done_rows < chunk ? JOBS - done_rows : chunk ))
  q -c "INSERT INTO processing_jobs (job_type, payload) SELECT 'noop', jsonb_build_object('id', i) FROM generate_series($done_rows + 1, $done_rows + $n) AS i"
  done_rows=$(( done_rows + n ))
done
enqueue_s=$(echo "$(now_s) - $s" | bc)
q -c "ANALYZE processing_jobs"; q -c "CHECKPOINT"
rec enqueue_s "$enqueue_s"

# --- 4. drain -------------------------------------------------------------------------------------
pm=$(head -n 1 "$TMP/pg/postmaster.pid")
hz=$(getconf CLK_TCK)
lsn0=$(q -c "SELECT pg_current_wal_lsn()"); cpu0=$(pg_cpu_ticks "$pm"); t0=$(now_s)
for w in $(seq 1 "$WORKERS"); do
  "$BIN" worker --db "host=$PGHOST port=$PGPORT user=$PGUSER dbname=scale" --worker-id "scale-$w" \
    --job-types noop --concurrency "$CONCURRENCY" --log-level warn 2>>"$OUT/workers.log" &
  wpids+=($!)
done
deadline=$(( $(date +%s) + DRAIN_TIMEOUT ))
until [ "$(q -c "SELECT NOT EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'pending') AND NOT EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'processing')")" = t ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "scale.sh: drain not done after ${DRAIN_TIMEOUT}s" >&2; exit 1; }
  for p in "${wpids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "scale.sh: a worker died; log:" >&2; tail -n 20 "$OUT/workers.log" >&2; exit 1; }; done
  sleep 0.1
done
t1=$(now_s); cpu1=$(pg_cpu_ticks "$pm"); lsn1=$(q -c "SELECT pg_current_wal_lsn()")
for p in "${wpids[@]}"; do kill -TERM "$p"; done
for p in "${wpids[@]}"; do wait "$p" || true; done
wpids=()
drain_s=$(echo "$t1 - $t0" | bc)
wal_bytes=$(q -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')")
cpu_s=$(echo "scale=3; ($cpu1 - $cpu0) / $hz" | bc)
read -r completed stamped_s < <(q -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'completed'), extract(epoch FROM max(completed_at) - min(started_at)) FROM processing_jobs WHERE job_type = 'noop' AND created_at >= '$enq_ts'")
[ "$completed" = "$JOBS" ] || { echo "scale.sh: $completed of $JOBS jobs completed" >&2; exit 1; }
jobs_s=$(echo "$JOBS / $drain_s" | bc); jobs_s_stamped=$(echo "$JOBS / $stamped_s" | bc)
cpu_us_job=$(echo "scale=1; $cpu_s * 1000000 / $JOBS" | bc); wal_job=$(echo "$wal_bytes / $JOBS" | bc)
rec drain_s "$drain_s"; rec jobs_per_s "$jobs_s"; rec jobs_per_s_stamped "$jobs_s_stamped"
rec server_cpu_s "$cpu_s"; rec server_cpu_us_per_job "$cpu_us_job"; rec wal_bytes "$wal_bytes"; rec wal_bytes_per_job "$wal_job"

# The claim again, now with the drained jobs kept too.
explain_claim after
claim_plain after
claim_ms_after="$(median <"$OUT/claim-after.plain.ms") ($(median <"$OUT/claim-after.ms") / $(median <"$OUT/claim-after.call.ms"))"
rec claim_ms_after_drain "$claim_ms_after"

# --- 5. sizes ---------------------------------------------------------------------------------------
q -c "VACUUM ANALYZE processing_jobs"  # the index sizes as autovacuum would leave them
q -F ' | ' -c "
  SELECT 'heap' AS rel, pg_size_pretty(pg_relation_size('processing_jobs')), pg_relation_size('processing_jobs')
  UNION ALL SELECT 'TOAST', pg_size_pretty(pg_relation_size(reltoastrelid)), pg_relation_size(reltoastrelid)
    FROM pg_class WHERE oid = 'processing_jobs'::regclass
  UNION ALL (SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)), pg_relation_size(indexrelid)
               FROM pg_index WHERE indrelid = 'processing_jobs'::regclass ORDER BY 3 DESC)
  UNION ALL SELECT 'total', pg_size_pretty(pg_total_relation_size('processing_jobs')), pg_total_relation_size('processing_jobs')" \
  >"$OUT/sizes.txt"
rows_after=$(q -c "SELECT count(*) FROM processing_jobs"); rec rows_after "$rows_after"
# And once vacuumed: the drained jobs' dead entries in the claim index are gone.
claim_plain vacuumed
claim_ms_vacuumed=$(median <"$OUT/claim-vacuumed.plain.ms"); rec claim_ms_vacuumed "$claim_ms_vacuumed"

# --- 6. the daily cleanup ------------------------------------------------------------------------
cleanup_run() {  # LABEL SQL-ARGS
  local l0 s n e l1
  l0=$(q -c "SELECT pg_current_wal_lsn()"); s=$(now_s)
  n=$(q -c "SELECT cleanup_old_processing_jobs($2)")
  e=$(echo "$(now_s) - $s" | bc); l1=$(q -c "SELECT pg_current_wal_lsn()")
  rec "cleanup_${1}_rows" "$n"; rec "cleanup_${1}_s" "$e"; rec "cleanup_${1}_wal_bytes" "$(q -c "SELECT pg_wal_lsn_diff('$l1', '$l0')")"
}
cleanup_run default ""
cleanup_run explicit "interval '$CLEANUP_RETENTION'"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

v() { sed -n "s/^$1=//p" "$RAW" | tail -n 1; }
mb() { echo "scale=1; $1 / 1048576" | bc; }
{
  echo "| scale: $JOBS jobs, $WORKERS workers x concurrency $CONCURRENCY, $ROWS_HISTORY finished rows kept | value |"
  echo "|---|---|"
  echo "| drain (jobs/s, from the poll; from the server's stamps) | $jobs_s; $jobs_s_stamped |"
  echo "| drain time (s) | $drain_s |"
  echo "| server CPU per job (µs; total s over the drain) | $cpu_us_job ($cpu_s s) |"
  echo "| WAL per job (bytes; total) | $wal_job ($(mb "$wal_bytes") MiB) |"
  echo "| claim of 10 of 1,000 pending, history present (ms, median of $CLAIM_RUNS: the call timed in SQL (under auto_explain ANALYZE: the UPDATE with its triggers / the whole call)) | $claim_ms_history |"
  echo "| the same right after the drain, before any vacuum ($rows_after rows) | $claim_ms_after |"
  echo "| the same after VACUUM ANALYZE | $claim_ms_vacuumed |"
  echo "| enqueue of $JOBS (s, INSERT ... SELECT by 100,000) | $enqueue_s |"
  echo "| history fixture load + VACUUM ANALYZE (s) | $(v history_load_s) |"
  echo "| cleanup, default retention (30 days): rows, s, WAL | $(v cleanup_default_rows), $(v cleanup_default_s), $(mb "$(v cleanup_default_wal_bytes)") MiB |"
  echo "| cleanup, retention $CLEANUP_RETENTION: rows, s, WAL | $(v cleanup_explicit_rows), $(v cleanup_explicit_s), $(mb "$(v cleanup_explicit_wal_bytes)") MiB |"
  echo "| reference: pgbench -N -c4 -j2 -T10 tps (median of 3) | $pgbench_tps [${tps[*]}] |"
  echo
  echo "| relation (after the drain, VACUUM ANALYZE) | size | bytes |"
  echo "|---|---|---|"
  sed 's/^/| /; s/$/ |/' "$OUT/sizes.txt"
  echo
  echo "The claim's plan (first run, with the history present; all runs in claim-history.txt):"
  echo '```'
  awk '/^Query Text: WITH next AS/{f=1} f && /NOTICE:/{exit} f && /\(cost=/{p=1} p{print}' "$OUT/claim-history.txt" | head -n 40
  echo '```'
  echo
  echo "$started; $(nproc) cores; load average $load_before before, $load_after after; PostgreSQL $(q -c 'SHOW server_version') stock settings; examq $(git -C "$ROOT" describe --always --dirty) ($BIN)"
} | tee "$OUT/report.md"
echo "raw results: $OUT"
