#!/usr/bin/env bash
# bench/queue/run.sh — the queue benchmark (issue "The worker"), on a throwaway cluster with
# stock settings (fsync and synchronous_commit on). Prints a summary with medians of RUNS runs.
#
#   cmake -S . -B build && cmake --build build -j2 --target examq examq-queue-bench
#   bench/queue/run.sh                 # everything, 3 runs each
#   RUNS=5 SIZES="20000" CONCURRENCY="4" bench/queue/run.sh
#
# Environment: EXAMQ_BUILD_DIR (default ./build), RUNS (3), SIZES ("20000 100000"),
# CONCURRENCY ("4 10"), ANALYZE ("no yes": drain a table the planner has no statistics for
# yet, and one after ANALYZE, as autovacuum would leave it), LATENCY_JOBS (200),
# LATENCY_INTERVAL (20ms), WORKER_ARGS (extra `examq worker` flags), PARTS (any of
# "pgbench enqueue throughput latency", default all), KEEP=1 keeps the cluster and logs. Raw key=value results go to $OUT (default: a temp dir, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${EXAMQ_BUILD_DIR:-$ROOT/build}
EXAMQ=$BUILD/worker/examq
BENCH=$BUILD/bench/queue/examq-queue-bench
RUNS=${RUNS:-3}
SIZES=${SIZES:-"20000 100000"}
CONCURRENCY=${CONCURRENCY:-"4 10"}
ANALYZE=${ANALYZE:-"no yes"}
LATENCY_JOBS=${LATENCY_JOBS:-200}
LATENCY_INTERVAL=${LATENCY_INTERVAL:-20ms}
WORKER_ARGS=${WORKER_ARGS:-}
PARTS=${PARTS:-"pgbench enqueue throughput latency"}
want() { [[ " $PARTS " == *" $1 "* ]]; }
PGBENCH_TPS=-; ENQUEUE=-
for f in "$EXAMQ" "$BENCH"; do
  [ -x "$f" ] || { echo "missing $f: build the examq and examq-queue-bench targets first" >&2; exit 2; }
done
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-bench.XXXXXX")
chmod 755 "$TMP"
OUT=${OUT:-$TMP/results}
mkdir -p "$OUT"
cleanup() {
  # The worker itself, not only GNU time: an orphaned worker would keep running, and keep
  # holding any lock file descriptor this script inherited (flock /tmp/examq-bench.lock).
  [ -n "${WORKER_PID:-}" ] && stop_worker 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $TMP"; return; fi
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP/pg" "$TMP/pg.initdb.log"
  rmdir "$TMP" 2>/dev/null || true  # kept only when the results live in it
}
trap cleanup EXIT

PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg")
export PGHOST=127.0.0.1 PGPORT PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=postgres
createdb bench_template
psql -X -q -d bench_template -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null

value() { sed -n "s/^$1=//p" "$2" | tail -n 1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
fresh_db() { dropdb --if-exists bench_run; createdb -T bench_template bench_run; }

# Starts a worker on bench_run under GNU time; sets WORKER_PID (time's pid) and WORKER_TIME.
start_worker() {
  WORKER_TIME=$1; shift
  /usr/bin/time -f "cpu_user=%U\ncpu_sys=%S\nmaxrss_kb=%M" -o "$WORKER_TIME" \
    "$EXAMQ" worker --db "dbname=bench_run" --job-types noop "$@" $WORKER_ARGS 2>>"$OUT/worker.log" &
  WORKER_PID=$!
}
stop_worker() {
  # SIGTERM the worker itself (GNU time's child), then wait for time to write its report.
  local child
  child=$(pgrep -P "$WORKER_PID" || true)
  [ -n "$child" ] && kill -TERM "$child"
  wait "$WORKER_PID" || true
  WORKER_PID=
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PostgreSQL: $(psql -X -Atc 'SHOW server_version'), fsync=$(psql -X -Atc 'SHOW fsync'), synchronous_commit=$(psql -X -Atc 'SHOW synchronous_commit')"

# --- machine-speed reference ----------------------------------------------------------------
if want pgbench; then
createdb pgbench_ref
pgbench -q -i -s 10 pgbench_ref >/dev/null 2>&1
pgbench -N -c 4 -j 2 -T 10 pgbench_ref >"$OUT/pgbench.txt" 2>&1
PGBENCH_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT/pgbench.txt" | head -n 1)
dropdb pgbench_ref
echo "pgbench -N -c 4 -j 2 -T 10: ${PGBENCH_TPS} tps"
fi

# --- bulk enqueue -----------------------------------------------------------------------------
if want enqueue; then
for r in $(seq "$RUNS"); do
  fresh_db
  "$BENCH" enqueue --db dbname=bench_run --count 20000 >"$OUT/enqueue.$r"
done
ENQUEUE=$(for r in $(seq "$RUNS"); do value enqueue_jobs_per_s "$OUT/enqueue.$r"; done | median)
echo "bulk enqueue, 20000 jobs in one INSERT: median ${ENQUEUE} jobs/s"
fi

# --- throughput -------------------------------------------------------------------------------
summary=()
want throughput || ANALYZE=""
for analyze in $ANALYZE; do
  for n in $SIZES; do
    for c in $CONCURRENCY; do
      for r in $(seq "$RUNS"); do
        tag="tp.$n.$c.$analyze.$r"
        fresh_db
        "$BENCH" enqueue --db dbname=bench_run --count "$n" >/dev/null
        [ "$analyze" = yes ] && psql -X -q -d bench_run -c 'ANALYZE processing_jobs'
        start_worker "$OUT/$tag.time" --concurrency "$c"
        "$BENCH" drained --db dbname=bench_run >"$OUT/$tag" || { echo "run $tag failed" >&2; cat "$OUT/$tag" >&2; }
        stop_worker
        cat "$OUT/$tag.time" >>"$OUT/$tag"
        echo "  $tag: $(value jobs_per_s "$OUT/$tag") jobs/s, cpu $(value cpu_user "$OUT/$tag")+$(value cpu_sys "$OUT/$tag") s, rss $(value maxrss_kb "$OUT/$tag") KB"
      done
      jps=$(for r in $(seq "$RUNS"); do value jobs_per_s "$OUT/tp.$n.$c.$analyze.$r"; done | median)
      range=$(for r in $(seq "$RUNS"); do value jobs_per_s "$OUT/tp.$n.$c.$analyze.$r"; done | sort -n | sed -n '1p;$p' | paste -sd- -)
      cpu=$(for r in $(seq "$RUNS"); do f="$OUT/tp.$n.$c.$analyze.$r"; echo "$(value cpu_user "$f") $(value cpu_sys "$f")" | awk '{print $1+$2}'; done | median)
      rss=$(for r in $(seq "$RUNS"); do value maxrss_kb "$OUT/tp.$n.$c.$analyze.$r"; done | median)
      summary+=("| $n | $c | $analyze | $jps | $range | $cpu | $((rss / 1024)) |")
    done
  done
done

# --- latency ------------------------------------------------------------------------------------
want latency || LATENCY_RUNS=0
for r in $(seq "${LATENCY_RUNS:-$RUNS}"); do
  fresh_db
  start_worker "$OUT/latency.$r.time" --concurrency 4
  # Warm up (connections, prepared statements), then measure against an idle worker.
  "$BENCH" enqueue --db dbname=bench_run --count 1 >/dev/null
  "$BENCH" drained --db dbname=bench_run >/dev/null
  "$BENCH" latency --db dbname=bench_run --count "$LATENCY_JOBS" --interval "$LATENCY_INTERVAL" >"$OUT/latency.$r"
  stop_worker
  echo "  latency run $r: p50 $(value latency_ack_p50_ms "$OUT/latency.$r") ms, p99 $(value latency_ack_p99_ms "$OUT/latency.$r") ms"
done
lat() { for r in $(seq "${LATENCY_RUNS:-$RUNS}"); do value "$1" "$OUT/latency.$r"; done | median; }

echo
echo "## Results (medians of $RUNS runs)"
echo
echo "pgbench -N -c 4 -j 2 -T 10 on the same cluster: ${PGBENCH_TPS} tps"
echo "bulk enqueue, 20000 jobs in one INSERT: ${ENQUEUE} jobs/s"
echo
echo "| jobs | concurrency | ANALYZE first | jobs/s (median) | min-max | worker CPU s | worker peak RSS MB |"
echo "|---:|---:|:---:|---:|---:|---:|---:|"
printf '%s\n' "${summary[@]}"
echo
echo "Insert-to-handler-start latency, $LATENCY_JOBS jobs, $LATENCY_INTERVAL apart, idle worker (ms):"
echo
echo "| measured from | p50 | p90 | p99 | max |"
echo "|---|---:|---:|---:|---:|"
echo "| INSERT acknowledged (commit seen by the client) | $(lat latency_ack_p50_ms) | $(lat latency_ack_p90_ms) | $(lat latency_ack_p99_ms) | $(lat latency_ack_max_ms) |"
echo "| INSERT sent (includes the insert's own commit) | $(lat latency_send_p50_ms) | $(lat latency_send_p90_ms) | $(lat latency_send_p99_ms) | $(lat latency_send_max_ms) |"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw results: $OUT"
