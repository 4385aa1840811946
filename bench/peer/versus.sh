#!/usr/bin/env bash
# examq against graphile-worker (perfTest "batched" settings, concurrency 10) on one throwaway
# PostgreSQL 15 with stock settings, alternating in one run: the figures of issue 18, item 2.
#
#   bench/peer/versus.sh [EXAMQ_BIN]
#   ROUNDS=5 EXAMQ_ARGS="--max-batch 200" bench/peer/versus.sh build-release/worker/examq
#
# Builds nothing: the examq binary is the argument, else $EXAMQ_BIN, else build-release/worker/examq,
# else build/worker/examq (a Release build is what the target is stated for:
# cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release --target examq).
# The harness (PEER_BENCH, default ../shared/peer-bench from the repository root; read-only) is
# copied to a temporary folder; its node modules come from PEER_BENCH_NODE_MODULES (a
# node_modules folder to copy) when set, else `npm install` there. The cluster is started with
# ci/pgcluster and stopped on every exit path. Per round: a 20,000-job drain (JOBS) of each queue,
# then a 200-job latency run (SAMPLES, one job every INTERVAL_MS=20 ms) of each, the order flipped
# every other round. The same-run reference is graphile-worker itself; the load average is
# printed before and after.
# Output: the harness's markdown table (medians over ROUNDS, default 3), then server cost per job
# (PostgreSQL CPU µs, WAL bytes, commits), the load average and the date. Raw per-run JSON and
# the printed report stay in OUT (default ${TMPDIR:-/tmp}/examq-versus-YYYYmmdd-HHMMSS).
# Env passed to the harness: ROUNDS, JOBS, SAMPLES, INTERVAL_MS, EXAMQ_ARGS, TIMEOUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN=${1:-${EXAMQ_BIN:-}}
if [ -z "$BIN" ]; then
  for b in "$ROOT/build-release/worker/examq" "$ROOT/build/worker/examq"; do [ -x "$b" ] && { BIN=$b; break; }; done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "versus.sh: no examq binary: pass one (build the examq target first)" >&2; exit 2; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
PEER_BENCH=${PEER_BENCH:-$ROOT/../shared/peer-bench}
[ -f "$PEER_BENCH/run.sh" ] || { echo "versus.sh: no peer-bench harness at $PEER_BENCH (set PEER_BENCH)" >&2; exit 2; }
for c in node psql /usr/bin/time; do command -v "$c" >/dev/null || { echo "versus.sh: needs $c" >&2; exit 2; }; done
OUT=${OUT:-${TMPDIR:-/tmp}/examq-versus-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-versus.XXXXXX"); chmod 755 "$TMP"
cleanup() { "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp -r "$PEER_BENCH" "$TMP/pb"
chmod -R u+w "$TMP/pb"
if [ -n "${PEER_BENCH_NODE_MODULES:-}" ]; then cp -r "$PEER_BENCH_NODE_MODULES" "$TMP/pb/node/node_modules"
elif [ ! -d "$TMP/pb/node/node_modules" ]; then (cd "$TMP/pb/node" && npm install --no-audit --no-fund --prefer-offline >/dev/null); fi

export PGHOST=127.0.0.1 PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg") PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg")
load_before=$(cut -d' ' -f1-3 /proc/loadavg); started=$(date -u '+%Y-%m-%d %H:%M UTC')
SESSION=versus-$(date -u +%Y%m%dT%H%M%SZ)
(cd "$TMP/pb" && SESSION=$SESSION EXAMQ_DIR=$ROOT EXAMQ_BIN=$BIN ROUNDS=${ROUNDS:-3} BENCH_RESULTS_DIR=$OUT \
   VERSUS_JSON=$OUT/versus.json ./run.sh versus) >"$OUT/harness.log" 2>&1 \
  || { tail -n 40 "$OUT/harness.log" >&2; echo "versus.sh: the harness failed; log in $OUT/harness.log" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
  sed -n '/^== versus/,$p' "$OUT/harness.log"
  echo
  echo "Server cost per job in the throughput runs (medians; per-run values in brackets):"
  node - "$OUT/raw/$SESSION" <<'JS'
const fs = require('fs'), path = require('path');
const dir = process.argv[2];
const runs = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
  .filter((r) => r.test === 'throughput' && r.concurrency === 10 && (r.queue === 'examq' || r.variant === 'batched'));
const med = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n ? (n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2) : NaN; };
const row = (name, get, d) => {
  const cell = (q) => { const v = runs.filter((r) => r.queue === q).map(get).filter((x) => Number.isFinite(x));
    return `${med(v).toFixed(d)} [${v.map((x) => x.toFixed(d)).join(', ')}]`; };
  const e = med(runs.filter((r) => r.queue === 'examq').map(get)), g = med(runs.filter((r) => r.queue === 'graphile').map(get));
  console.log(`| ${name} | ${cell('examq')} | ${cell('graphile')} | ${(e / g).toFixed(2)} |`);
};
console.log('| per job (median over runs) | examq | graphile | examq/graphile |');
console.log('|---|---|---|---|');
row('PostgreSQL CPU µs', (r) => 1000 * r.window.pgCpuSecPer1kJobs, 1);
row('WAL bytes', (r) => r.walBytesPerJob, 0);
row('commits', (r) => r.commitsPerJob, 3);
row('worker CPU µs', (r) => 1000 * r.window.workerCpuSecPer1kJobs, 1);
JS
  echo
  echo "$started; $(nproc) cores; load average $load_before before, $load_after after; PostgreSQL $(psql -X -Atd postgres -c 'SHOW server_version') stock settings; examq $(git -C "$ROOT" describe --always --dirty) ($BIN)"
} | tee "$OUT/report.md"
echo "raw results: $OUT"
