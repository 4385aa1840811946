#!/usr/bin/env bash
# tests/cluster/failover.sh — workers across a failover to a promoted streaming replica (issue
# 21, docs/scaling.md). ci/test suite "failover".
#
# A primary (ci/pgcluster) and a streaming replica made from it (pg_basebackup -R) on loopback
# ports, the replica synchronous (synchronous_standby_names = '*'), so every commit a client saw
# is on it. Two workers with the multi-host conninfo
#   host=127.0.0.1,127.0.0.1 port=PRIMARY,REPLICA target_session_attrs=read-write
# run noop jobs (sleeps, steps, a transient failure) with 2 s leases. Mid-run the primary is
# killed (pg_ctl stop -m immediate); once the standby's clock has passed every lease of the jobs
# in flight, it is promoted (pg_ctl promote). Checks: the workers reconnect to the new primary by
# themselves; every job enqueued before the failover ends completed; the jobs in flight at the
# failover completed (rescued on a new attempt, or renewed by their own worker when it reached
# the new primary before any rescue) and no stale attempt's result was kept. Prints the
# time from the primary's death to the first job completed on the new one.
# When the examq_cleanup extension is installed (ci/test-pgext), both servers preload it: its
# background worker is absent on the standby while it is in recovery, and runs (records runs in
# examq_cleanup_runs) once it is promoted.
# Root or not; everything is stopped on every exit path.
set -euo pipefail
# shellcheck source=tests/cluster/lib.sh
source "$(dirname "$0")/lib.sh"

JOBS=${JOBS:-400}
SU=$(pg_superuser)
PGEXT=0
[ -f "$("$PGBIN/pg_config" --pkglibdir 2>/dev/null || pg_config --pkglibdir)/examq_cleanup.so" ] && PGEXT=1

# --- the primary ---------------------------------------------------------------------------
P="$TMP/primary"
P1=$("$ROOT/ci/pgcluster" start "$P")
CLEANUPS+=("'$ROOT/ci/pgcluster' kill '$P'")
createdb -h 127.0.0.1 -p "$P1" -U "$SU" examq
psql -X -q -h 127.0.0.1 -p "$P1" -U "$SU" -d examq -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
q "$P1" "ALTER DATABASE examq SET examq.retry_backoff_base = '0'"
if [ "$PGEXT" = 1 ]; then
  # Copied to the replica by pg_basebackup (postgresql.conf): both preload the extension.
  cat >>"$P/postgresql.conf" <<CONF
shared_preload_libraries = 'examq_cleanup'
examq_cleanup.database = 'examq'
examq_cleanup.period = 1
examq_cleanup.rescue_interval = 1
CONF
  "$ROOT/ci/pgcluster" restart "$P" >/dev/null
  wait_for 20 "the cleanup worker on the primary" q_is "$P1" "SELECT count(*) > 0 FROM examq_cleanup_runs WHERE task = 'cleanup'" t
else
  echo "examq_cleanup is not installed (ci/test-pgext installs it): its standby check is skipped"
fi

# --- the replica ---------------------------------------------------------------------------
R="$TMP/replica"
mkdir -p "$R"
[ "$(id -u)" = 0 ] && chown postgres: "$R"
chmod 700 "$R"
as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U "$SU" -D "$R" -R -X stream -c fast
P2=$(free_port)
echo "$P2" >"$R/examq.port"
cat >>"$R/postgresql.conf" <<CONF
port = $P2
unix_socket_directories = '$R'
CONF
[ "$(id -u)" = 0 ] && chown postgres: "$R/examq.port"
"$ROOT/ci/pgcluster" start "$R" >/dev/null
CLEANUPS+=("'$ROOT/ci/pgcluster' kill '$R'")
q "$P1" "ALTER SYSTEM SET synchronous_standby_names = '*'"
q "$P1" "SELECT pg_reload_conf()" >/dev/null
wait_for 30 "a synchronous replica" q_is "$P1" "SELECT sync_state FROM pg_stat_replication" sync
echo "primary on 127.0.0.1:$P1, synchronous streaming replica on 127.0.0.1:$P2"

# --- jobs and workers ----------------------------------------------------------------------
# Committed (so, synchronous replication: on the replica too) before any worker starts.
q "$P1" "INSERT INTO processing_jobs (job_type, payload)
         SELECT 'noop', CASE WHEN i % 5 = 0 THEN '{\"sleep_ms\": 100, \"fail\": \"transient\", \"fail_attempts\": 1}'
                             ELSE '{\"sleep_ms\": 300, \"steps\": 3}' END::jsonb
         FROM generate_series(1, $JOBS) AS i" >/dev/null
DB="host=127.0.0.1,127.0.0.1 port=$P1,$P2 dbname=examq user=$SU target_session_attrs=read-write connect_timeout=2"
for w in 1 2; do
  EXAMQ_HOME="$TMP/home$w" "$EXAMQ" worker --db "$DB" --listen-db "$DB" --worker-id "failover-$w" \
    --concurrency 4 --job-types noop --poll-interval 2s --lease 2s --log-format json >"$TMP/worker$w.log" 2>&1 &
  PIDS+=($!)
done
wait_for 60 "jobs running on the primary" q_is "$P1" \
  "SELECT count(*) FILTER (WHERE status = 'completed') >= $JOBS / 5 AND count(*) FILTER (WHERE status = 'processing') > 0 FROM processing_jobs" t

# --- failover ------------------------------------------------------------------------------
"$ROOT/ci/pgcluster" kill "$P"
T0=$(now_ms)
done_before=$(q "$P2" "SELECT count(*) FROM processing_jobs WHERE status = 'completed'")
# The jobs in flight, as the replica has them; wait (on the standby's clock) for all their leases
# to pass, so that each must be rescued after the promotion.
q "$P2" "SELECT format('(%L::uuid, %s)', id, attempts) FROM processing_jobs WHERE status = 'processing'" >"$TMP/inflight"
inflight=$(wc -l <"$TMP/inflight")
wait_for 30 "the leases of the jobs in flight to pass" q_is "$P2" \
  "SELECT count(*) FROM processing_jobs WHERE status = 'processing' AND locked_until >= now()" 0
echo "primary killed with $done_before of $JOBS jobs completed and $inflight in flight"
if [ "$PGEXT" = 1 ]; then
  [ "$(q "$P2" "SELECT pg_is_in_recovery()")" = t ] || fail "the replica is not in recovery"
  [ "$(q "$P2" "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'examq_cleanup'")" = 0 ] \
    || fail "the cleanup worker runs on the standby"
fi
as_postgres "$PGBIN/pg_ctl" -D "$R" promote -w -t 30 >/dev/null
T1=$(now_ms)
wait_for 60 "a job completed on the new primary" q_is "$P2" \
  "SELECT count(*) > 0 FROM processing_jobs WHERE completed_at >= to_timestamp($T0 / 1000.0)" t
first_ms=$(q "$P2" "SELECT round(extract(epoch FROM min(completed_at)) * 1000) - $T0 FROM processing_jobs
                    WHERE completed_at >= to_timestamp($T0 / 1000.0)")
echo "failover: promoted $((T1 - T0)) ms after the primary's death (leases of 2 s waited out first);"
echo "failover: first job completed on the new primary $first_ms ms after the primary's death"
wait_for 90 "all $JOBS jobs completed on the new primary" q_is "$P2" \
  "SELECT count(*) FROM processing_jobs WHERE status = 'completed'" "$JOBS"

# --- checks --------------------------------------------------------------------------------
[ "$inflight" -gt 0 ] || fail "no job was in flight at the failover"
# Each job in flight (id, its attempt then) ended completed (checked above for all jobs): on a
# later attempt when a claim or examq_cleanup rescued it first, or on the same attempt when its
# worker's lease keeper reached the new primary first and renewed the expired, not yet rescued
# lease (still fenced: a rescued attempt can no longer renew or settle).
rescued=$(q "$P2" "SELECT count(*) FROM processing_jobs AS p
                     JOIN (VALUES $(paste -sd, "$TMP/inflight")) AS f (id, attempt) USING (id)
                    WHERE p.attempts > f.attempt")
stale=$(q "$P2" "SELECT count(*) FROM processing_jobs WHERE (result->>'attempt')::int <> attempts")
[ "$stale" = 0 ] || fail "$stale jobs kept the result of an attempt other than their last"
for w in 1 2; do
  grep -q '"event":"db.reconnected"' "$TMP/worker$w.log" || fail "worker $w never logged db.reconnected"
  kill -0 "${PIDS[$((w - 1))]}" 2>/dev/null || fail "worker $w exited"
done
echo "all $JOBS jobs completed; of the $inflight in flight, $rescued rescued (a new attempt), the others renewed by their worker; both workers reconnected"
if [ "$PGEXT" = 1 ]; then
  wait_for 20 "the cleanup worker on the promoted server" q_is "$P2" \
    "SELECT count(*) > 0 FROM examq_cleanup_runs WHERE started_at >= to_timestamp($T1 / 1000.0)" t
  echo "examq_cleanup: idle on the standby, running after the promotion"
fi
echo "failover: ok"
