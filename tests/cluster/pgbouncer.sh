#!/usr/bin/env bash
# tests/cluster/pgbouncer.sh — examq workers through PgBouncer in transaction mode (issue 21,
# docs/scaling.md). ci/test suite "pooler".
#
# A PostgreSQL of its own (ci/pgcluster, a free loopback port) and a PgBouncer on another free
# loopback port with pool_mode = transaction and default_pool_size = 3. Two workers claim and
# settle through PgBouncer (--db-pooler transaction: unnamed statements) and LISTEN directly
# (--listen-db), with --poll-interval 30s, so a wake-up that did not come by NOTIFY would show as
# a stall of 30 s. Jobs come in waves, each after the workers have gone idle: a few hundred noop
# jobs of mixed kinds (sleeps, progress steps, a transient failure on the first attempt). Checks:
# every job completed, the failing ones on attempt 2; each wave started within WAKE_LIMIT_MS of
# its insert (by NOTIFY, not the poll); the statements went through PgBouncer (its SHOW STATS),
# which never used more than 3 server connections; no worker logged an error.
# Root or not; everything is stopped on every exit path. Needs pgbouncer (ci/packages.sh).
set -euo pipefail
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

JOBS_PER_WAVE=${JOBS_PER_WAVE:-100}
WAVES=3
WAKE_LIMIT_MS=${WAKE_LIMIT_MS:-5000}
command -v pgbouncer >/dev/null || fail "pgbouncer is not installed (apt-get install pgbouncer)"

# --- PostgreSQL ----------------------------------------------------------------------------
PG="$TMP/pg"
PGPORT=$("$ROOT/ci/pgcluster" start "$PG")
CLEANUPS+=("'$ROOT/ci/pgcluster' stop '$PG'")
SU=$(pg_superuser)
createdb -h 127.0.0.1 -p "$PGPORT" -U "$SU" examq
psql -X -q -h 127.0.0.1 -p "$PGPORT" -U "$SU" -d examq -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
# A transient failure is retried at once (no backoff), so the retry is part of the wave.
q "$PGPORT" "ALTER DATABASE examq SET examq.retry_backoff_base = '0'"

# --- PgBouncer -----------------------------------------------------------------------------
BPORT=$(free_port)
BDIR="$TMP/pgbouncer"
mkdir -p "$BDIR"
printf '"%s" ""\n' "$SU" >"$BDIR/userlist.txt"
cat >"$BDIR/pgbouncer.ini" <<INI
[databases]
examq = host=127.0.0.1 port=$PGPORT dbname=examq
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BPORT
unix_socket_dir =
auth_type = trust
auth_file = $BDIR/userlist.txt
admin_users = $SU
pool_mode = transaction
default_pool_size = 3
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
logfile = $BDIR/pgbouncer.log
pidfile = $BDIR/pgbouncer.pid
INI
[ "$(id -u)" = 0 ] && chown -R postgres: "$BDIR"
as_postgres pgbouncer -d -q "$BDIR/pgbouncer.ini"
CLEANUPS+=("kill -TERM \$(cat '$BDIR/pgbouncer.pid')")
wait_for 10 "PgBouncer on port $BPORT" q "$BPORT" "SELECT 1"
echo "PostgreSQL on 127.0.0.1:$PGPORT, PgBouncer (transaction pooling, 3 server connections) on 127.0.0.1:$BPORT"

# --- workers -------------------------------------------------------------------------------
POOLED="host=127.0.0.1 port=$BPORT dbname=examq user=$SU"
DIRECT="host=127.0.0.1 port=$PGPORT dbname=examq user=$SU"
for w in 1 2; do
  EXAMQ_HOME="$TMP/home$w" "$EXAMQ" worker --db "$POOLED" --db-pooler transaction --listen-db "$DIRECT" \
    --worker-id "pooled-$w" --concurrency 4 --job-types noop --poll-interval 30s --lease 10s \
    --log-format json >"$TMP/worker$w.log" 2>&1 &
  PIDS+=($!)
done
# Ready: each worker's listener is connected directly and LISTENs (pg_stat_activity).
wait_for 30 "both workers listening directly" q_is "$PGPORT" \
  "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'examq listener pooled-%' AND query ILIKE 'LISTEN%'" 2
wait_for 30 "both workers registered" q_is "$PGPORT" "SELECT count(*) FROM examq_workers WHERE stopped_at IS NULL" 2

# --- waves of jobs -------------------------------------------------------------------------
total=0
for wave in $(seq "$WAVES"); do
  # The workers are idle now, waiting on LISTEN (their last claim found nothing).
  q "$PGPORT" "INSERT INTO processing_jobs (job_type, payload)
               SELECT 'noop', CASE i % 4
                   WHEN 0 THEN '{\"sleep_ms\": 20}'
                   WHEN 1 THEN '{\"sleep_ms\": 40, \"steps\": 4}'
                   WHEN 2 THEN '{\"fail\": \"transient\", \"fail_attempts\": 1}'
                   ELSE '{}' END::jsonb
               FROM generate_series(1, $JOBS_PER_WAVE) AS i" >/dev/null
  total=$((total + JOBS_PER_WAVE))
  wait_for 60 "wave $wave completed" q_is "$PGPORT" "SELECT count(*) FROM processing_jobs WHERE status = 'completed'" "$total"
  # The first start of the wave after its insert (the noop result's handler_started_at).
  wake_ms=$(q "$PGPORT" "SELECT round(extract(epoch FROM min(to_timestamp((result->>'handler_started_at')::float8 / 1e6) - created_at)) * 1000)
                          FROM processing_jobs WHERE created_at = (SELECT max(created_at) FROM processing_jobs)")
  echo "wave $wave: $JOBS_PER_WAVE jobs completed; first started ${wake_ms} ms after the insert"
  [ "$wake_ms" -lt "$WAKE_LIMIT_MS" ] || fail "wave $wave waited ${wake_ms} ms: woken by the poll, not by NOTIFY"
done

# --- checks --------------------------------------------------------------------------------
bad=$(q "$PGPORT" "SELECT count(*) FROM processing_jobs WHERE status <> 'completed'
                     OR (payload ? 'fail') <> (attempts = 2) OR (result->>'attempt')::int <> attempts")
[ "$bad" = 0 ] || fail "$bad jobs not completed as expected (failing ones on attempt 2, others on 1)"
by_worker=$(q "$PGPORT" "SELECT string_agg(n::text, ' ') FROM (SELECT count(*) AS n FROM processing_jobs GROUP BY locked_by) s")
echo "all $total jobs completed (per worker: $by_worker)"

# Statements went through PgBouncer: its transaction count covers every job's claim and settle.
xacts=$(psql -X -t -A -F '|' -h 127.0.0.1 -p "$BPORT" -U "$SU" -d pgbouncer -c 'SHOW STATS' | awk -F"|" '$1 == "examq" {print $2}')
echo "PgBouncer: $xacts transactions through the pool"
[ "${xacts:-0}" -ge "$total" ] || fail "only ${xacts:-0} transactions through PgBouncer for $total jobs"
servers=$(psql -X -t -A -F '|' -h 127.0.0.1 -p "$BPORT" -U "$SU" -d pgbouncer -c 'SHOW SERVERS' | grep -c '|examq|' || true)
[ "$servers" -le 3 ] || fail "PgBouncer opened $servers server connections (pool size 3)"
if grep -E '"level":"(error|critical)"' "$TMP"/worker*.log | grep -v 'transient' | head -5 | grep -q .; then
  grep -E '"level":"(error|critical)"' "$TMP"/worker*.log | head -5
  fail "a worker logged an error"
fi
echo "pooler: ok"
