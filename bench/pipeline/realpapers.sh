#!/usr/bin/env bash
# The pipeline's throughput on real papers (issue 18, item 4): every PDF of a folder through the
# process-exam-paper job with the `text` extractor, one `examq worker` at its default concurrency
# (the number of cores), beside `pdftoppm -r 150 -jpeg` on the same files in the same run.
#
#   bench/pipeline/realpapers.sh [BUILD_DIR]        (default: build-release, else build)
#   RUNS=5 PDF_DIR=/some/pdfs bench/pipeline/realpapers.sh build
#
# Builds nothing: BUILD_DIR must hold worker/examq, examq-render and examq-ocr.so (found
# beside the binary). PDF_DIR defaults to ../shared/realpapers/pdf from the repository root.
# A throwaway PostgreSQL 15 (ci/pgcluster, stock settings), stopped on every exit path.
# Per run (RUNS, default 3): a fresh database; every PDF is submitted at once with
# `examq submit --json` while no worker runs; then the worker starts and the run lasts until every
# job is completed or failed (polled every 100 ms). A sampler reads /proc every 20 ms: the
# worker's own VmRSS, the sum over its descendants (the examq-render children) and the two
# together; the peaks are kept. Reported per run: wall seconds (worker start to last job
# settled), the server's stamps (max(completed_at) - min(started_at)), papers per minute,
# seconds per page (wall / pages: the throughput view at that concurrency) and the median of each
# job's (completed_at - started_at) / pages, and the peaks. Then the reference: pdftoppm -r 150
# -jpeg over the same files, 2 at a time (xargs -P 2, matching the 2 jobs at once), wall
# seconds and pages/s. examq and the reference alternate run by run; medians over RUNS.
# Raw results (one key=value file per run, the worker logs) stay in OUT (default
# ${TMPDIR:-/tmp}/examq-realpapers-pipeline-YYYYmmdd-HHMMSS).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. "$ROOT/bench/lib.sh"  # median
BUILD=${1:-}
if [ -z "$BUILD" ]; then
  for b in "$ROOT/build-release" "$ROOT/build"; do [ -x "$b/worker/examq" ] && { BUILD=$b; break; }; done
fi
EXAMQ=${BUILD:-?}/worker/examq
[ -x "$EXAMQ" ] && [ -x "$BUILD/worker/examq-render" ] && [ -f "$BUILD/worker/examq-ocr.so" ] || { echo "realpapers.sh: build examq, examq-render and examq-ocr first (BUILD_DIR/worker/)" >&2; exit 2; }
PDF_DIR=${PDF_DIR:-$ROOT/../shared/realpapers/pdf}
RUNS=${RUNS:-3}
PAR=${REF_PARALLEL:-2}
TIMEOUT=${TIMEOUT:-1800}
command -v pdftoppm >/dev/null && command -v pdfinfo >/dev/null || { echo "realpapers.sh: needs pdftoppm and pdfinfo (poppler-utils)" >&2; exit 2; }
shopt -s nullglob
pdfs=("$PDF_DIR"/*.pdf)
[ ${#pdfs[@]} -gt 0 ] || { echo "realpapers.sh: no PDF in $PDF_DIR" >&2; exit 2; }
pages=0
for f in "${pdfs[@]}"; do pages=$(( pages + $(pdfinfo "$f" 2>/dev/null | awk '/^Pages:/ {print $2}') )); done
OUT=${OUT:-${TMPDIR:-/tmp}/examq-realpapers-pipeline-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-rp-pipeline.XXXXXX"); chmod 755 "$TMP"
wpid=""
cleanup() {
  if [ -n "$wpid" ] && kill -0 "$wpid" 2>/dev/null; then kill -TERM "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; fi
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export PGHOST=127.0.0.1 PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg") PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg") EXAMQ_EXTRACTOR=text
unset EXAMQ_DB DATABASE_URL EXAMQ_CONCURRENCY
createdb rp_template
psql -X -q -v ON_ERROR_STOP=1 -d rp_template -f "$ROOT/sql/install.sql" >/dev/null
q() { psql -X -Atq -v ON_ERROR_STOP=1 -d rp "$@"; }
now_s() { date +%s.%N; }

# Peaks (kB) of the worker's VmRSS, of its descendants' together, and of both, every 20 ms.
cat >"$TMP/peak_rss.py" <<'PY'
import os, sys, time
root = int(sys.argv[1]); peak_w = peak_c = peak_t = 0
def children(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                for c in f.read().split():
                    out += [int(c)] + children(int(c))
    except OSError:
        pass
    return out
def rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
while os.path.exists(f"/proc/{root}"):
    w = rss(root); c = sum(rss(p) for p in children(root))
    peak_w = max(peak_w, w); peak_c = max(peak_c, c); peak_t = max(peak_t, w + c)
    time.sleep(0.02)
print(peak_w, peak_c, peak_t)
PY

load_before=$(cut -d' ' -f1-3 /proc/loadavg); started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "realpapers pipeline: ${#pdfs[@]} papers, $pages pages from $PDF_DIR, $RUNS runs; raw results in $OUT" >&2
for i in $(seq 1 "$RUNS"); do
  r=$OUT/run$i.txt; : >"$r"
  # --- examq ---
  dropdb --if-exists rp; createdb -T rp_template rp
  DB="host=$PGHOST port=$PGPORT user=$PGUSER dbname=rp"
  "$EXAMQ" submit --db "$DB" --json "${pdfs[@]}" >"$OUT/submit$i.json" 2>"$OUT/submit$i.err" \
    || { cat "$OUT/submit$i.err" >&2; exit 1; }
  n=$(q -c "SELECT count(*) FROM processing_jobs WHERE job_type = 'process-exam-paper'")
  [ "$n" = "${#pdfs[@]}" ] || { echo "realpapers.sh: $n jobs for ${#pdfs[@]} papers" >&2; exit 1; }
  t0=$(now_s)
  "$EXAMQ" worker --db "$DB" --worker-id realpapers-pipeline --log-level warn >"$OUT/worker$i.log" 2>&1 &
  wpid=$!
  python3 "$TMP/peak_rss.py" "$wpid" >"$TMP/peak" &
  spid=$!
  deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(q -c "SELECT count(*) FROM processing_jobs WHERE status IN ('completed', 'failed')")" = "$n" ]; do
    kill -0 "$wpid" 2>/dev/null || { echo "realpapers.sh: the worker died" >&2; tail -n 20 "$OUT/worker$i.log" >&2; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "realpapers.sh: not settled after ${TIMEOUT}s" >&2; exit 1; }
    sleep 0.1
  done
  t1=$(now_s)
  kill -TERM "$wpid"; wait "$wpid" || true; wpid=""; wait "$spid"
  read -r pw pc pt <"$TMP/peak"
  wall=$(echo "$t1 - $t0" | bc)
  q -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'),
                      round(extract(epoch FROM max(completed_at) - min(started_at))::numeric, 3),
                      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at) / greatest(e.page_count, 1)))::numeric, 3)
                 FROM processing_jobs j JOIN exam_papers e ON e.id = j.exam_paper_id" | {
    read -r ok failed stamped per_page_job
    { echo "completed=$ok"; echo "failed=$failed"; echo "stamped_s=$stamped"; echo "job_s_per_page_median=$per_page_job"; } >>"$r"
  }
  q -F ' ' -c "SELECT e.title, j.status, e.page_count, round(extract(epoch FROM j.completed_at - j.started_at)::numeric, 3)
                 FROM processing_jobs j JOIN exam_papers e ON e.id = j.exam_paper_id ORDER BY 1" >"$OUT/jobs$i.txt"
  { echo "wall_s=$wall"; echo "worker_peak_rss_kb=$pw"; echo "renderers_peak_rss_kb=$pc"; echo "total_peak_rss_kb=$pt"; } >>"$r"
  # --- reference: pdftoppm, PAR at a time ---
  mkdir -p "$TMP/ppm"
  s=$(now_s)
  printf '%s\n' "${pdfs[@]}" | nl -nln | xargs -P "$PAR" -L 1 sh -c 'pdftoppm -r 150 -jpeg "$2" "$0/p$1" 2>/dev/null' "$TMP/ppm" 2>/dev/null || true
  e=$(now_s)
  ppm_files=$(ls "$TMP/ppm" | wc -l); rm -rf "$TMP/ppm"
  { echo "pdftoppm_s=$(echo "$e - $s" | bc)"; echo "pdftoppm_images=$ppm_files"; } >>"$r"
  echo "  run $i: $(tr '\n' ' ' <"$r")" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

col() { for i in $(seq 1 "$RUNS"); do sed -n "s/^$1=//p" "$OUT/run$i.txt"; done; }
med() { col "$1" | median; }
all() { col "$1" | tr '\n' ' ' | sed 's/ $//'; }
wall=$(med wall_s); ref=$(med pdftoppm_s)
{
  echo "| real papers: ${#pdfs[@]} PDFs, $pages pages, text extractor, one worker (concurrency $(nproc)) | median of $RUNS | runs |"
  echo "|---|---|---|"
  echo "| wall s (worker start to last job settled) | $wall | $(all wall_s) |"
  echo "| server stamps s (first start to last completion) | $(med stamped_s) | $(all stamped_s) |"
  echo "| papers per minute | $(echo "scale=1; ${#pdfs[@]} * 60 / $wall" | bc) | |"
  echo "| seconds per page (wall / pages) | $(echo "scale=3; $wall / $pages" | bc) | |"
  echo "| seconds per page of one job (median over jobs) | $(med job_s_per_page_median) | $(all job_s_per_page_median) |"
  echo "| jobs completed / failed | $(med completed) / $(med failed) | |"
  echo "| peak RSS MiB: worker / renderers together / both | $(( $(med worker_peak_rss_kb | cut -d. -f1) / 1024 )) / $(( $(med renderers_peak_rss_kb | cut -d. -f1) / 1024 )) / $(( $(med total_peak_rss_kb | cut -d. -f1) / 1024 )) | $(all total_peak_rss_kb) kB both |"
  echo "| reference: pdftoppm -r 150 -jpeg, $PAR at a time: s | $ref | $(all pdftoppm_s) |"
  echo "| reference pages/s; examq pages/s | $(echo "scale=2; $pages / $ref" | bc); $(echo "scale=2; $pages / $wall" | bc) | |"
  echo
  echo "$started; $(nproc) cores; load average $load_before before, $load_after after; PostgreSQL $(q -c 'SHOW server_version') stock settings; examq $(git -C "$ROOT" describe --always --dirty) ($EXAMQ)"
} | tee "$OUT/report.md"
echo "raw results: $OUT"
