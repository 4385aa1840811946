#!/usr/bin/env bash
# bench/serve/run.sh — the HTTP API benchmark (issue 15): create-exam-paper-job requests per
# second, and insert -> event latency over SSE, at 1 and 200 clients, against `examq serve` on a
# throwaway cluster with stock settings. Medians of RUNS runs, and pgbench measured in the same
# run as the machine's reference.
#
#   cmake -S . -B build && cmake --build build -j2 --target examq examq-serve-bench
#   bench/serve/run.sh                     # 3 runs each
#   RUNS=5 CLIENTS="1 50 200" bench/serve/run.sh
#
# Environment: EXAMQ_BUILD_DIR (default ./build), RUNS (3), CLIENTS ("1 200"), SECONDS_PER_RUN
# (5), LATENCY_JOBS (200), LATENCY_INTERVAL_MS (10), DB_CONNECTIONS (8), KEEP=1 keeps the cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${EXAMQ_BUILD_DIR:-$ROOT/build}
EXAMQ=$BUILD/worker/examq
BENCH=$BUILD/bench/serve/examq-serve-bench
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-"1 200"}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
LATENCY_JOBS=${LATENCY_JOBS:-200}
LATENCY_INTERVAL_MS=${LATENCY_INTERVAL_MS:-10}
DB_CONNECTIONS=${DB_CONNECTIONS:-8}
for f in "$EXAMQ" "$BENCH"; do
  [ -x "$f" ] || { echo "missing $f: build the examq and examq-serve-bench targets first" >&2; exit 2; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-serve-bench.XXXXXX")
chmod 755 "$TMP"
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $TMP"; return; fi
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg")
export PGHOST=127.0.0.1 PGPORT PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=postgres
createdb bench_template
psql -X -q -d bench_template -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
export EXAMQ_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123456789

value() { sed -n "s/^$1=//p" "$2" | tail -n 1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

start_serve() {
  dropdb --if-exists bench_run; createdb -T bench_template bench_run
  "$EXAMQ" serve --db "dbname=bench_run" --listen 127.0.0.1:0 --db-connections "$DB_CONNECTIONS" --log-level warn >"$TMP/serve.out" 2>&1 &
  SERVE_PID=$!
  for _ in $(seq 200); do
    URL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$TMP/serve.out")
    [ -n "$URL" ] && curl -sf "$URL/healthz" | grep -q listening && return 0
    sleep 0.05
  done
  cat "$TMP/serve.out" >&2; exit 1
}
stop_serve() { kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true; SERVE_PID=; }

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
createdb pgbench_ref
pgbench -q -i -s 10 pgbench_ref >/dev/null 2>&1
pgbench -N -c 4 -j 2 -T 10 pgbench_ref >"$TMP/pgbench.txt" 2>&1
PGBENCH_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench.txt" | head -n 1)
dropdb pgbench_ref
echo "pgbench -N -c 4 -j 2 -T 10: ${PGBENCH_TPS} tps"

rows=()
for c in $CLIENTS; do
  for r in $(seq "$RUNS"); do
    start_serve
    "$BENCH" create --url "$URL" --db dbname=bench_run --clients "$c" --seconds "$SECONDS_PER_RUN" >"$TMP/create.$c.$r" || true
    "$BENCH" latency --url "$URL" --db dbname=bench_run --clients "$c" --jobs "$LATENCY_JOBS" --interval-ms "$LATENCY_INTERVAL_MS" >"$TMP/latency.$c.$r" || true
    stop_serve
    echo "  clients=$c run $r: $(value create_requests_per_s "$TMP/create.$c.$r") creates/s ($(value create_errors "$TMP/create.$c.$r") errors)," \
         "p50 $(value latency_p50_ms "$TMP/latency.$c.$r") ms, p99 $(value latency_p99_ms "$TMP/latency.$c.$r") ms ($(value missing "$TMP/latency.$c.$r") missing)"
  done
  rps=$(for r in $(seq "$RUNS"); do value create_requests_per_s "$TMP/create.$c.$r"; done | median)
  p50=$(for r in $(seq "$RUNS"); do value latency_p50_ms "$TMP/latency.$c.$r"; done | median)
  p99=$(for r in $(seq "$RUNS"); do value latency_p99_ms "$TMP/latency.$c.$r"; done | median)
  ratio=$(awk -v a="$rps" -v b="$PGBENCH_TPS" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
  rows+=("| $c | $rps | $ratio | $p50 | $p99 |")
done
echo
echo "| clients | create-job requests/s (median) | / pgbench tps | insert→event p50 ms | p99 ms |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
