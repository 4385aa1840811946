#!/usr/bin/env bash
# The process-exam-paper job end to end on a 50-page born-digital paper (the `long-50` fixture),
# with the embedded `text` extractor, on a throwaway cluster with stock settings.
#
#   bench/pipeline/run.sh [BUILD_DIR] [RUNS]      (defaults: ./build, 5)
#   SCANNED=1 bench/pipeline/run.sh ...           the same paper scanned (200 DPI images, no text
#                                                 layer), so every page is read by OCR
#
# For each run: a fresh paper is submitted, one `examq worker` (concurrency 1) processes it, and a
# sampler reads the RSS of the worker and all its children (the examq-render processes) every
# 20 ms. Reports per run: job wall time (started_at -> completed_at), the job's own timings
# (fetch, render, extract), and the peak RSS of worker + renderers together; then medians.
# Reference in the same run: `pdftoppm -r 150 -jpeg` on the same PDF (wall seconds); with
# SCANNED=1, `pdftoppm -r 300 -gray` then the `tesseract` CLI (package tesseract-ocr, one thread)
# on the first REF_PAGES (10) pages one after another: OCR pages/s of one process.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-$ROOT/build}
RUNS=${2:-5}
EXAMQ="$BUILD/worker/examq"
MAKE_PAPER="$BUILD/tests/fixtures/make-exam-paper"
SCANNED=${SCANNED:-0}
REF_PAGES=${REF_PAGES:-10}
[ -x "$EXAMQ" ] && [ -x "$MAKE_PAPER" ] || { echo "build first: cmake --build $BUILD" >&2; exit 2; }
if [ "$SCANNED" = 1 ] && ! command -v tesseract >/dev/null; then
  echo "run.sh: SCANNED=1 needs the tesseract CLI for its reference: apt-get install tesseract-ocr" >&2; exit 2
fi

TMP=$(mktemp -d); chmod 755 "$TMP"
trap '"$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
export PGHOST=127.0.0.1 PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg") PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") PGDATABASE=bench
createdb bench && psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
scan_flag=(); [ "$SCANNED" = 1 ] && scan_flag=(--scan)
"$MAKE_PAPER" --layout long-50 "${scan_flag[@]}" --out "$TMP/long-50.pdf" --expected "$TMP/long-50.json" >/dev/null
pages=$(python3 -c "import json;print(json.load(open('$TMP/long-50.json'))['pages'])")

# Peak RSS (kB) of a process and its descendants, sampled until it exits.
cat >"$TMP/peak_rss.py" <<'PY'
import os, sys, time
root = int(sys.argv[1]); peak = 0
def tree(pid):
    out = [pid]
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [c for p in f.read().split() for c in tree(int(p))]
    except OSError:
        pass
    return out
while os.path.exists(f"/proc/{root}"):
    total = 0
    for p in tree(root):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"): total += int(line.split()[1])
        except OSError:
            pass
    peak = max(peak, total); time.sleep(0.02)
print(peak)
PY

printf '%-4s %10s %10s %10s %10s %12s %10s %10s\n' run wall_s fetch_ms render_ms extract_ms peak_rss_MB ocr_pages questions
results=()
for i in $(seq 1 "$RUNS"); do
  # pg_read_binary_file: the cluster's superuser reads the file server-side.
  job=$(psql -Atc "SELECT submit_exam_paper('bench $i', 'long-50.pdf', pg_read_binary_file('$TMP/long-50.pdf')) ->> 'jobId'")
  "$EXAMQ" worker --db "dbname=bench" --concurrency 1 --log-level warn >"$TMP/worker.log" 2>&1 &
  wpid=$!
  python3 "$TMP/peak_rss.py" "$wpid" >"$TMP/peak" &
  spid=$!
  psql -Atq -c "LISTEN processing_jobs_changes" >/dev/null
  until [ "$(psql -Atc "SELECT status IN ('completed','failed') FROM processing_jobs WHERE id = '$job'")" = t ]; do sleep 0.2; done
  kill -TERM "$wpid"; wait "$wpid" || true; wait "$spid"
  row=$(psql -Atc "SELECT round(extract(epoch FROM completed_at - started_at)::numeric, 3), result->'timings_ms'->>'fetch',
                          result->'timings_ms'->>'render', result->'timings_ms'->>'extract', status, result->>'questions',
                          result->>'ocr_pages'
                     FROM processing_jobs WHERE id = '$job'")
  IFS='|' read -r wall fetch render extract status questions ocr_pages <<<"$row"
  [ "$status" = completed ] || { echo "job $status:"; cat "$TMP/worker.log"; exit 1; }
  peak=$(( $(cat "$TMP/peak") / 1024 ))
  printf '%-4s %10s %10s %10s %10s %12s %10s %10s\n' "$i" "$wall" "$fetch" "$render" "$extract" "$peak" "$ocr_pages" "$questions"
  results+=("$wall $peak $render")
done
ref=()
for i in $(seq 1 "$RUNS"); do
  if [ "$SCANNED" = 1 ]; then
    s=$(date +%s%N)
    pdftoppm -r 300 -gray -l "$REF_PAGES" "$TMP/long-50.pdf" "$TMP/ppm"
    for f in "$TMP"/ppm*.pgm; do OMP_THREAD_LIMIT=1 tesseract "$f" - >/dev/null 2>&1; done
    e=$(date +%s%N)
  else
    s=$(date +%s%N); pdftoppm -r 150 -jpeg "$TMP/long-50.pdf" "$TMP/ppm"; e=$(date +%s%N)
  fi
  ref+=("$(( (e - s) / 1000000 ))"); rm -f "$TMP"/ppm*
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall_median=$(printf '%s\n' "${results[@]}" | awk '{print $1}' | median)
render_median=$(printf '%s\n' "${results[@]}" | awk '{print $3}' | median)
ref_median=$(printf '%s\n' "${ref[@]}" | median)
echo
echo "paper: $pages pages$([ "$SCANNED" = 1 ] && echo " (scanned)"), $questions questions recovered of $(python3 -c "import json;print(len(json.load(open('$TMP/long-50.json'))['questions']))")"
echo "median job wall time:        $wall_median s"
echo "median peak RSS (worker + renderers): $(printf '%s\n' "${results[@]}" | awk '{print $2}' | median) MB"
if [ "$SCANNED" = 1 ]; then
  echo "OCR pages/s (render + OCR step, all renderers): $(awk -v p="$pages" -v ms="$render_median" 'BEGIN {printf "%.2f", p * 1000 / ms}')"
  echo "reference pdftoppm -r 300 -gray + tesseract, one process, $REF_PAGES pages: $ref_median ms ($(awk -v p="$REF_PAGES" -v ms="$ref_median" 'BEGIN {printf "%.2f", p * 1000 / ms}') pages/s)"
else
  echo "reference pdftoppm -r 150 -jpeg, same PDF: $ref_median ms"
fi
