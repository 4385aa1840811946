# Shared by the tests/cluster scripts (sourced): a temp dir, processes to stop on every exit
# path, deadlines instead of sleeps, and running things as the postgres user when root.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXAMQ=${EXAMQ_BIN:-$ROOT/build/worker/examq}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")}
[ -x "$EXAMQ" ] || { echo "$0: no examq binary at $EXAMQ (set EXAMQ_BIN)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-cluster.XXXXXX")
chmod 755 "$TMP"
PIDS=()        # our own processes, stopped at exit
CLEANUPS=()    # commands run at exit, last first

cluster_cleanup() {
  local status=$?
  set +e  # every step runs, whatever fails
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1; done
  if [ "$status" != 0 ] && [ "${EXAMQ_CLUSTER_KEEP:-0}" = 1 ]; then
    echo "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  return "$status"
}
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_superuser() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 100 ms until it succeeds; fails after
# SECONDS naming WHAT.
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$(( $(date +%s%N) + limit * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$end" ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.1
  done
}

# q PORT SQL: one value from the examq database on 127.0.0.1:PORT.
q() { psql -X -q -t -A -h 127.0.0.1 -p "$1" -U "$(pg_superuser)" -d "${DBNAME:-examq}" -v ON_ERROR_STOP=1 -c "$2"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# q_is PORT SQL EXPECTED: the query's value is EXPECTED (for wait_for).
q_is() { [ "$(q "$1" "$2" 2>/dev/null)" = "$3" ]; }
