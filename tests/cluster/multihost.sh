#!/usr/bin/env bash
# tests/cluster/multihost.sh — three worker hosts and one PostgreSQL, each in its own network
# namespace, 3,000 noop jobs, and partitions while they run (issue 21, docs/testing.md).
#
#   tests/cluster/multihost.sh [EXAMQ_BIN]     (default: $EXAMQ_BIN, then ./build/worker/examq)
#
# Needs root (ip netns). Not root: prints "SKIPPED: ..." and exits 77, which ci/test counts as
# skipped. Prints "cluster: PASS" or "cluster: FAIL: why" last; exits 0 only on PASS.
#
# Network: namespaces eqc-<pid>-pg, -h1, -h2, -h3, created here and nowhere else. Host N is joined
# to the database's namespace by one veth pair made inside those namespaces (never in the
# machine's): 10.213.N.1/24 on the database's side, 10.213.N.2/24 on the host's. No default
# route, no bridge to the machine: nothing leaves the namespaces, and deleting them at the end
# deletes every interface and address the test made.
#
# What it does, waiting on the database's state (deadlines bound failures only):
#   1. PostgreSQL 15 in the pg namespace (initdb and pg_ctl as the postgres user), listening on
#      the three 10.213.N.1 addresses, trust for 10.213.0.0/16 and the local socket; the schema;
#      a worker login with idle_in_transaction_session_timeout = 2s (below the lease).
#   2. `examq worker` on each host (--lease 4s --concurrency 4), as a login in examq_worker,
#      connecting with keepalives and tcp_user_timeout so a dead link is noticed in seconds.
#   3. 3,000 noop jobs in six waves of 500 (one before each disruption and one as it ends, so
#      that there is work whenever the test waits on it), every one with log_execution: sleeps
#      of 20-170 ms, a quarter failing transiently
#      once (fail_attempts 1), a quarter with steps (progress), priorities -10..10.
#   4. Host 1's link down until its jobs are taken over and the lease has passed, then up; host 1
#      must complete a job again by itself. Host 2's worker SIGSTOPped while it holds jobs, until
#      they are taken over, then SIGCONT; it must complete a job again. PostgreSQL restarted
#      (pg_ctl restart -m fast); every worker must reconnect and complete a job again.
#   5. All jobs settled, then: every job completed; exactly one examq_noop_executions row per job,
#      for its final attempt (so no stale attempt left one); jobs were rescued by their leases;
#      hosts 1 and 2 logged refused (stale) outcomes; host 1 logged a reconnect after its link
#      came back, and every worker one after the restart.
# Cleanup on every exit path: workers killed, PostgreSQL stopped, namespaces deleted, temp dir
# removed. EXAMQ_CLUSTER_KEEP=1 keeps the temp dir (logs) and prints where.
set -uo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: tests/cluster/multihost.sh needs root (ip netns); run it as root"
  exit 77
fi
for tool in ip runuser; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: tests/cluster/multihost.sh needs $tool (iproute2)"; exit 77; }
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${EXAMQ_BIN:-$ROOT/build/worker/examq}}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
LEASE_S=4
JOBS=3000
RUN_DEADLINE_S=170   # the whole run, setup included, must fit in 3 minutes

[ -x "$BIN" ] || { echo "cluster: FAIL: no examq binary at $BIN"; exit 1; }
[ -x "$PGBIN/pg_ctl" ] || { echo "cluster: FAIL: no PostgreSQL 15 at $PGBIN"; exit 1; }

P=eqc-$$
NS_PG=$P-pg
HOSTS=(h1 h2 h3)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-cluster.XXXXXX")
chmod 755 "$TMP"
DATA=$TMP/pg
declare -A WPID=()
started=$(date +%s)

say() { printf '[%3ds] %s\n' $(( $(date +%s) - started )) "$*"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for h in "${!WPID[@]}"; do
    kill -CONT "${WPID[$h]}" 2>/dev/null
    kill -KILL "${WPID[$h]}" 2>/dev/null
  done
  for h in "${!WPID[@]}"; do wait "${WPID[$h]}" 2>/dev/null; done
  if [ -f "$DATA/postmaster.pid" ]; then
    ip netns exec "$NS_PG" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" stop -m immediate -w >/dev/null 2>&1
  fi
  for ns in "$NS_PG" "$P-h1" "$P-h2" "$P-h3"; do
    ip netns del "$ns" 2>/dev/null
  done
  if [ "${EXAMQ_CLUSTER_KEEP:-0}" = 1 ]; then echo "cluster: logs kept in $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "cluster: FAIL: $*"
  for h in "${HOSTS[@]}"; do
    [ -f "$TMP/$h.log" ] && { echo "--- last lines of $h's worker log"; tail -n 15 "$TMP/$h.log"; }
  done
  [ -f "$TMP/pg.log" ] && { echo "--- last lines of the PostgreSQL log"; tail -n 15 "$TMP/pg.log"; }
  exit 1
}

# psql as the superuser over the data directory's socket (a path: reachable from any namespace).
q() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$DATA" -p 5432 -U postgres -d examq -c "$1"; }

# wait_for DESCRIPTION SECONDS SQL: polls until SQL returns t. Fails after SECONDS.
wait_for() {
  local what=$1 limit=$2 sql=$3 until=$(( $(date +%s) + $2 ))
  while :; do
    [ "$(q "$sql" 2>/dev/null)" = t ] && return 0
    [ "$(date +%s)" -ge "$until" ] && fail "waited ${limit}s for $what"
    [ "$(date +%s)" -ge $(( started + RUN_DEADLINE_S )) ] && fail "the run passed ${RUN_DEADLINE_S}s waiting for $what"
    sleep 0.2
  done
}

# ---- network ------------------------------------------------------------------------------------
say "namespaces $NS_PG, $P-h1..h3; 10.213.N.0/24 per host"
ip netns add "$NS_PG" || fail "ip netns add"
ip -n "$NS_PG" link set lo up
n=0
for h in "${HOSTS[@]}"; do
  n=$((n + 1))
  ns=$P-$h
  ip netns add "$ns" || fail "ip netns add $ns"
  ip -n "$ns" link set lo up
  # Both ends made inside the namespaces: the machine's own namespace never sees them.
  ip -n "$NS_PG" link add "to-$h" type veth peer name eth0 netns "$ns" || fail "veth for $h"
  ip -n "$NS_PG" addr add "10.213.$n.1/24" dev "to-$h"
  ip -n "$NS_PG" link set "to-$h" up
  ip -n "$ns" addr add "10.213.$n.2/24" dev eth0
  ip -n "$ns" link set eth0 up
done

# ---- PostgreSQL ---------------------------------------------------------------------------------
say "PostgreSQL in $NS_PG"
mkdir -p "$DATA" && chown postgres: "$DATA" && chmod 700 "$DATA"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log"; fail "initdb"; }
cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '10.213.1.1,10.213.2.1,10.213.3.1'
port = 5432
unix_socket_directories = '$DATA'
max_connections = 100
logging_collector = off
fsync = off
CONF
cat >"$DATA/pg_hba.conf" <<HBA
local all all trust
host all all 10.213.0.0/16 trust
HBA
touch "$TMP/pg.log" && chown postgres: "$TMP/pg.log"
pg_ctl() { ip netns exec "$NS_PG" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$TMP/pg.log" "$@"; }
pg_ctl start -w >/dev/null || fail "PostgreSQL did not start"
psql -X -q -h "$DATA" -p 5432 -U postgres -d postgres -c 'CREATE DATABASE examq' || fail "createdb"
psql -X -q -h "$DATA" -p 5432 -U postgres -d examq -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >"$TMP/install.log" 2>&1 \
  || { tail -n 20 "$TMP/install.log"; fail "schema install"; }
# A worker login, as in production; retries come back quickly in a test. A worker stopped or cut
# off inside its completion transaction holds the job's row lock, which the rescue skips (FOR
# UPDATE SKIP LOCKED) for as long as the server keeps that session: without
# idle_in_transaction_session_timeout the server would keep it until TCP gives up (hours for a
# SIGSTOPped worker, whose kernel still acknowledges), and the job would wait as long. Set it
# below the lease for worker logins (docs/testing.md).
q "CREATE ROLE eqc_worker LOGIN IN ROLE examq_worker;
   ALTER ROLE eqc_worker SET idle_in_transaction_session_timeout = '2s';
   ALTER DATABASE examq SET examq.retry_backoff_base = '500ms';" || fail "roles"

# ---- jobs ---------------------------------------------------------------------------------------
# enqueue WAVE FIRST COUNT: noop jobs numbered FIRST.., every one logging its execution.
enqueue() {
  q "INSERT INTO processing_jobs (job_type, priority, max_retries, payload)
     SELECT 'noop', (g * 7) % 21 - 10, 10,
            jsonb_build_object('log_execution', true, 'wave', $1, 'n', g, 'sleep_ms', 20 + (g * 37) % 150)
            || CASE g % 4 WHEN 1 THEN jsonb_build_object('fail', 'transient', 'fail_attempts', 1)
                          WHEN 2 THEN jsonb_build_object('steps', 1 + g % 5)
                          ELSE '{}'::jsonb END
       FROM generate_series($2, $2 + $3 - 1) AS g" || fail "enqueue wave $1"
}
WAVE=500
enqueue 1 1 $WAVE

# ---- workers ------------------------------------------------------------------------------------
n=0
for h in "${HOSTS[@]}"; do
  n=$((n + 1))
  ip netns exec "$P-$h" "$BIN" worker \
    --db "host=10.213.$n.1 port=5432 dbname=examq user=eqc_worker connect_timeout=3 keepalives=1 keepalives_idle=2 keepalives_interval=1 keepalives_count=2 tcp_user_timeout=3000" \
    --worker-id "eqc-$h" --lease "${LEASE_S}s" --concurrency 4 --poll-interval 1s --shutdown-grace 1s \
    >"$TMP/$h.log" 2>&1 &
  WPID[$h]=$!
done
say "workers started (pids ${WPID[h1]} ${WPID[h2]} ${WPID[h3]}), lease ${LEASE_S}s, concurrency 4"
t0=$(q "SELECT now()")
wait_for "every host to complete a job" 60 \
  "SELECT count(DISTINCT worker_id) = 3 FROM examq_noop_executions"

# done_by HOST SINCE: true once HOST completed a job after SINCE (database time).
done_by() { echo "SELECT EXISTS (SELECT 1 FROM examq_noop_executions WHERE worker_id = 'eqc-$1' AND executed_at > '$2')"; }
# taken_over HOST: true once HOST holds no job that it held before (its attempts were rescued or
# finished) and the lease has run out since CUT.
held_snapshot() { q "SELECT coalesce(string_agg(format('(%L::uuid, %s)', id, attempts), ','), '') FROM processing_jobs WHERE status = 'processing' AND locked_by = 'eqc-$1'"; }
taken_over_sql() {
  local list=$2
  echo "SELECT now() > '$1'::timestamptz + interval '$((LEASE_S + 1)) seconds'
           AND NOT EXISTS (SELECT 1 FROM processing_jobs AS p, (VALUES $list) AS h(id, attempts)
                            WHERE p.id = h.id AND p.status = 'processing' AND p.attempts = h.attempts)"
}

# ---- host 1: link down past the lease -----------------------------------------------------------
enqueue 2 $((WAVE + 1)) $WAVE
wait_for "host 1 to hold jobs" 30 "SELECT EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'processing' AND locked_by = 'eqc-h1')"
cut=$(q "SELECT now()")
ip -n "$P-h1" link set eth0 down
held=$(held_snapshot h1)
say "host 1 cut off (link down), holding $(echo "$held" | grep -o '::uuid' | wc -l) jobs"
[ -n "$held" ] || held="(NULL::uuid, 0)"
wait_for "host 1's jobs to be taken over" 40 "$(taken_over_sql "$cut" "$held")"
ip -n "$P-h1" link set eth0 up
up1=$(q "SELECT now()")
enqueue 3 $((2 * WAVE + 1)) $WAVE
say "host 1's link back up after $(q "SELECT round(extract(epoch FROM now() - '$cut'::timestamptz), 1)")s"
wait_for "host 1 to complete a job after its link came back" 45 "$(done_by h1 "$up1")"
say "host 1 completes jobs again"
grep -q 'db.reconnected' "$TMP/h1.log" || fail "host 1's worker log shows no reconnect after its link came back"

# ---- host 2: SIGSTOP past the lease -------------------------------------------------------------
enqueue 4 $((3 * WAVE + 1)) $WAVE
wait_for "host 2 to hold jobs" 30 "SELECT EXISTS (SELECT 1 FROM processing_jobs WHERE status = 'processing' AND locked_by = 'eqc-h2')"
stop=$(q "SELECT now()")
kill -STOP "${WPID[h2]}"
held=$(held_snapshot h2)
say "host 2's worker stopped (SIGSTOP), holding $(echo "$held" | grep -o '::uuid' | wc -l) jobs"
[ -n "$held" ] || held="(NULL::uuid, 0)"
wait_for "host 2's jobs to be taken over" 40 "$(taken_over_sql "$stop" "$held")"
kill -CONT "${WPID[h2]}"
cont2=$(q "SELECT now()")
enqueue 5 $((4 * WAVE + 1)) $WAVE
say "host 2's worker continued (SIGCONT) after $(q "SELECT round(extract(epoch FROM now() - '$stop'::timestamptz), 1)")s"
wait_for "host 2 to complete a job after SIGCONT" 45 "$(done_by h2 "$cont2")"
say "host 2 completes jobs again"

# ---- PostgreSQL restart -------------------------------------------------------------------------
enqueue 6 $((5 * WAVE + 1)) $WAVE
declare -A reconnects_before=()
for h in "${HOSTS[@]}"; do reconnects_before[$h]=$(grep -c 'db.reconnected' "$TMP/$h.log"); done
pg_ctl restart -m fast -w >/dev/null || fail "pg_ctl restart"
restarted=$(q "SELECT now()")
say "PostgreSQL restarted (pg_ctl restart -m fast)"
for h in "${HOSTS[@]}"; do
  wait_for "$h to complete a job after the restart" 45 "$(done_by "$h" "$restarted")"
  [ "$(grep -c 'db.reconnected' "$TMP/$h.log")" -gt "${reconnects_before[$h]}" ] \
    || fail "$h's worker log shows no reconnect after the restart"
done
say "every host completes jobs again"

# ---- the end ------------------------------------------------------------------------------------
wait_for "all $JOBS jobs to be settled" 90 \
  "SELECT count(*) = $JOBS AND count(*) FILTER (WHERE status IN ('pending', 'processing')) = 0 FROM processing_jobs"
elapsed=$(q "SELECT extract(epoch FROM max(completed_at) - '$t0'::timestamptz) FROM processing_jobs")
say "all jobs settled"

check() {  # check DESCRIPTION SQL: SQL must return t
  local got
  got=$(q "$2") || fail "query for: $1"
  [ "$got" = t ] || fail "$1 (got $got)"
  echo "ok - $1"
}
check "all $JOBS jobs completed" \
  "SELECT count(*) = $JOBS AND bool_and(status = 'completed') FROM processing_jobs"
check "exactly one execution row per job" \
  "SELECT (SELECT count(*) FROM examq_noop_executions) = $JOBS
      AND NOT EXISTS (SELECT 1 FROM processing_jobs AS p
                       WHERE (SELECT count(*) FROM examq_noop_executions AS e WHERE e.job_id = p.id) <> 1)"
check "each row is its job's final attempt, by the worker that completed it (no stale attempt wrote)" \
  "SELECT NOT EXISTS (SELECT 1 FROM examq_noop_executions AS e JOIN processing_jobs AS p ON p.id = e.job_id
                       WHERE e.attempt <> p.attempts OR e.worker_id <> p.locked_by
                          OR (p.result ->> 'attempt')::int <> e.attempt)"
check "jobs were rescued by their leases" \
  "SELECT count(*) > 0 FROM processing_jobs WHERE error_message = 'worker lost: lease expired'"
check "some jobs ran more than once (their earlier attempts left nothing)" \
  "SELECT count(*) > 0 FROM processing_jobs WHERE attempts > 1 AND NOT (payload ? 'fail')"
for h in h1 h2; do
  grep -q 'job.lease_lost' "$TMP/$h.log" || fail "$h's worker log shows no refused (stale) outcome"
  echo "ok - $h's stale outcomes were refused ($(grep -c 'job.lease_lost' "$TMP/$h.log") job.lease_lost lines)"
done

rescued=$(q "SELECT count(*) FROM processing_jobs WHERE error_message = 'worker lost: lease expired'")
summary=$(q "SELECT format('%s jobs in %ss (%s jobs/s); rescued by lease: %s jobs; attempts: max %s, total %s; by host: %s',
                      count(*), round($elapsed, 1), round(count(*) / $elapsed, 1), $rescued, max(attempts), sum(attempts),
                      (SELECT string_agg(worker_id || ' ' || c, ', ' ORDER BY worker_id)
                         FROM (SELECT worker_id, count(*) AS c FROM examq_noop_executions GROUP BY 1) AS w))
               FROM processing_jobs")
lost_lines=$(cat "$TMP"/h?.log | grep -c 'job.lease_lost')
reconnect_lines=$(cat "$TMP"/h?.log | grep -c 'db.reconnected')
echo "summary: $summary; job.lease_lost lines: $lost_lines; db.reconnected lines: $reconnect_lines; run $(( $(date +%s) - started ))s"
echo "cluster: PASS"
