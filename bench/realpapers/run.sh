#!/usr/bin/env bash
# Real exam papers through the whole process-exam-paper job, scored against their truth.
#
#   bench/realpapers/run.sh [--folder DIR] [--build DIR] [--unlabelled] [--scanned] [--out PREFIX]
#
#   --folder DIR    the real-papers folder (env REALPAPERS; default ../shared/realpapers from the
#                   repository root): pdf/NAME.pdf with truth/NAME.truth.json, unlabelled/*.pdf,
#                   scanned/NAME.pdf with scanned/truth/NAME.truth.json, and score.py
#   --build DIR     the build tree holding worker/examq (env EXAMQ_BUILD_DIR; default ./build)
#   --unlabelled    also run unlabelled/ (env UNLABELLED=1): status, questions, seconds, review
#   --scanned       also run scanned/ (env SCANNED=1): read by OCR, so minutes rather than seconds
#   --rasterised    also run pdf/ made image-only at 200 DPI by examq-rasterise (env RASTERISED=1):
#                   the born-digital papers as clean scans, scored against the same truth
#   --out PREFIX    write PREFIX.tsv and PREFIX.json (env OUT; default
#                   ${TMPDIR:-/tmp}/examq-realpapers-YYYYmmdd-HHMMSS); the paths are printed
#
# A throwaway cluster (ci/pgcluster, stock settings) with sql/install.sql, and one `examq worker`
# (concurrency 1, default `text` extractor). Each paper is submitted on its own with
# `examq submit --wait --json`, which follows the job through LISTEN processing_jobs_changes until
# it settles, so papers never share the machine with each other. Then the paper's rows in
# `questions` ([{question_number, marks, page_number}] in paper order) are scored by the folder's
# `score.py` against its truth. Seconds are the job's completed_at - started_at (stamped by the
# server); review is the job's result.review.needed ('-' when the result has none).
# Per set it prints one row per paper and the means over the labelled papers (marks accuracy over
# the papers whose truth has marks). PAPER_TIMEOUT (default 600 s) bounds one paper's wait.
# The worker and the cluster are stopped on every exit path. Exit 0 when every paper ran (even
# with poor scores or a failed job); 1 when a paper was refused at submission (reported as
# `refused`, the others still run) or did not settle in time (the run stops); 2 on usage errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

FOLDER=${REALPAPERS:-$ROOT/../shared/realpapers}
BUILD=${EXAMQ_BUILD_DIR:-$ROOT/build}
UNLABELLED=${UNLABELLED:-0}
SCANNED=${SCANNED:-0}
RASTERISED=${RASTERISED:-0}
OUT=${OUT:-${TMPDIR:-/tmp}/examq-realpapers-$(date -u +%Y%m%d-%H%M%S)}
PAPER_TIMEOUT=${PAPER_TIMEOUT:-600}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --folder) FOLDER=${2:?--folder needs a directory}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --unlabelled) UNLABELLED=1; shift ;;
    --scanned) SCANNED=1; shift ;;
    --rasterised) RASTERISED=1; shift ;;
    --out) OUT=${2:?--out needs a path prefix}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done

EXAMQ="$BUILD/worker/examq"
[ -x "$EXAMQ" ] || { echo "run.sh: build first: cmake --build $BUILD --target examq examq-render" >&2; exit 2; }
if [ ! -d "$FOLDER/pdf" ] || [ ! -f "$FOLDER/score.py" ]; then echo "run.sh: no real-papers folder at $FOLDER (pdf/ and score.py)" >&2; exit 2; fi
FOLDER=$(cd "$FOLDER" && pwd)
command -v python3 >/dev/null || { echo "run.sh: needs python3 (score.py)" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-realpapers.XXXXXX"); chmod 755 "$TMP"
wpid=""
cleanup() {
  if [ -n "$wpid" ] && kill -0 "$wpid" 2>/dev/null; then
    kill -TERM "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
  fi
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg")
PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg")
export PGHOST=127.0.0.1 PGPORT PGUSER PGDATABASE=realpapers EXAMQ_EXTRACTOR=text
unset EXAMQ_DB DATABASE_URL
createdb realpapers && psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
DB="host=$PGHOST port=$PGPORT user=$PGUSER dbname=realpapers"

"$EXAMQ" worker --db "$DB" --worker-id realpapers --concurrency 1 --log-level warn >"$TMP/worker.log" 2>&1 &
wpid=$!

# One paper: submit and follow it, then one JSON line with the job's outcome, its rows and, when
# there is truth, the score. Appended to $TMP/records.jsonl.
run_paper() {  # SET NAME PDF TRUTH-or-empty
  local set=$1 name=$2 pdf=$3 truth=$4 job paper
  kill -0 "$wpid" 2>/dev/null || { echo "run.sh: the worker died; log:" >&2; tail -n 40 "$TMP/worker.log" >&2; exit 1; }
  # --wait exits 1 when the job failed: that is an outcome to report, not an error here.
  local rc=0
  timeout "$PAPER_TIMEOUT" "$EXAMQ" submit --db "$DB" --title "$name" --wait --json "$pdf" >"$TMP/submit.json" 2>"$TMP/submit.err" || rc=$?
  if [ "$rc" = 124 ]; then
    echo "run.sh: $name did not settle within ${PAPER_TIMEOUT}s; worker log tail:" >&2; tail -n 20 "$TMP/worker.log" >&2; exit 1
  fi
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[0].get("status") else 1)' "$TMP/submit.json" 2>/dev/null; then
    read -r job paper < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[0]; print(s["job_id"], s["exam_paper_id"])' "$TMP/submit.json")
    psql -Atq -v ON_ERROR_STOP=1 -c "
      SELECT coalesce(json_agg(json_build_object('question_number', question_number, 'marks', marks,
                                                 'page_number', page_number) ORDER BY position), '[]')
        FROM questions WHERE exam_paper_id = '$paper'" >"$TMP/rows.json"
    psql -Atq -v ON_ERROR_STOP=1 -c "
      SELECT json_build_object('status', status, 'error', error_message, 'result', result,
                               'seconds', round(extract(epoch FROM completed_at - started_at)::numeric, 2),
                               'pages', (SELECT page_count FROM exam_papers WHERE id = exam_paper_id))
        FROM processing_jobs WHERE id = '$job'" >"$TMP/job.json"
  else
    # Refused before any job was made (not a readable PDF, or the database said no).
    refused=$((refused + 1))
    echo '[]' >"$TMP/rows.json"
    # With --json the reason is an {"error": {...}} line on stderr (docs/schemas/error.schema.json).
    python3 -c '
import json, sys
last = (open(sys.argv[1]).read().strip().splitlines() or ["exit " + sys.argv[2]])[-1]
try:
    last = json.loads(last)["error"]["message"]
except (ValueError, KeyError, TypeError):
    pass
print(json.dumps({"status": "refused", "error": last}))' "$TMP/submit.err" "$rc" >"$TMP/job.json"
  fi
  if [ -n "$truth" ]; then
    python3 "$FOLDER/score.py" "$truth" "$TMP/rows.json" >"$TMP/score.json"
  else
    echo null >"$TMP/score.json"
  fi
  python3 - "$set" "$name" "$TMP/job.json" "$TMP/rows.json" "$TMP/score.json" >>"$TMP/records.jsonl" <<'PY'
import json, sys
set_, name, job, rows, score = sys.argv[1:]
job = json.load(open(job)); rows = json.load(open(rows)); score = json.load(open(score))
result = job.get("result") or {}
review = result.get("review") if isinstance(result, dict) else None
print(json.dumps({
    "set": set_, "paper": name, "status": job["status"], "error": job.get("error"),
    "pages": job.get("pages") or result.get("pages"), "rows": len(rows),
    "seconds": job.get("seconds"), "ocr_pages": result.get("ocr_pages"),
    "review_needed": review.get("needed") if isinstance(review, dict) else None,
    "review_reasons": review.get("reasons") if isinstance(review, dict) else None,
    "score": score,
}))
extra = f" recall {score['recall']:.2f} precision {score['precision']:.2f}" if score else ""
print(f"  {name:34} {job['status']:9} {len(rows):4} rows {job.get('seconds') or '-'} s{extra}", file=sys.stderr)
PY
}

# Every PDF of a set, with its truth when there is one.
run_set() {  # SET DIR TRUTH_DIR
  local set=$1 dir=$2 truth_dir=$3 f name truth n=0
  [ -d "$dir" ] || { echo "run.sh: $dir is absent; set '$set' skipped" >&2; return 0; }
  echo "$set ($dir):" >&2
  for f in "$dir"/*.pdf; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pdf)
    truth=""; [ -n "$truth_dir" ] && [ -f "$truth_dir/$name.truth.json" ] && truth="$truth_dir/$name.truth.json"
    run_paper "$set" "$name" "$f" "$truth"; n=$((n + 1))
  done
  [ "$n" -gt 0 ] || echo "run.sh: no PDF in $dir" >&2
}

: >"$TMP/records.jsonl"
refused=0
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
run_set pdf "$FOLDER/pdf" "$FOLDER/truth"
[ "$UNLABELLED" = 1 ] && run_set unlabelled "$FOLDER/unlabelled" ""
[ "$SCANNED" = 1 ] && run_set scanned "$FOLDER/scanned" "$FOLDER/scanned/truth"
if [ "$RASTERISED" = 1 ]; then
  RASTERISE="$BUILD/tests/extract/examq-rasterise"
  [ -x "$RASTERISE" ] || { echo "run.sh: build examq-rasterise first: cmake --build $BUILD --target examq-rasterise" >&2; exit 2; }
  mkdir -p "$TMP/rasterised"
  for f in "$FOLDER"/pdf/*.pdf; do
    "$RASTERISE" "$f" "$TMP/rasterised/$(basename "$f")" --dpi 200 2>/dev/null || echo "run.sh: could not rasterise $f" >&2
  done
  run_set rasterised "$TMP/rasterised" "$FOLDER/truth"
fi

echo
echo "real papers from $FOLDER, $started, load average $load before, examq $(git -C "$ROOT" rev-parse --short HEAD)$([ -z "$(git -C "$ROOT" status --porcelain -- worker sql 2>/dev/null)" ] || echo ' + uncommitted changes in worker/ or sql/')"
python3 - "$TMP/records.jsonl" "$OUT" <<'PY'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]

def f2(x):
    return "-" if x is None else f"{x:.2f}"

def n(x):
    return "-" if x is None else str(x)

def flag(r):
    v = r["review_needed"]
    return "-" if v is None else ("yes" if v else "no")

def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None

cols = ["set", "paper", "status", "pages", "truth", "extracted", "recall", "precision",
        "marks_accuracy", "page_accuracy", "seconds", "review", "review_reasons", "ocr_pages"]
table = []
for r in records:
    s = r["score"] or {}
    table.append({
        "set": r["set"], "paper": r["paper"], "status": r["status"], "pages": r["pages"],
        "truth": s.get("truth"), "extracted": s.get("extracted", r["rows"]) if s else r["rows"],
        "recall": s.get("recall"), "precision": s.get("precision"),
        "marks_accuracy": s.get("marks_accuracy"), "page_accuracy": s.get("page_accuracy"),
        "seconds": float(r["seconds"]) if r["seconds"] is not None else None,
        "review": flag(r), "review_reasons": r["review_reasons"], "error": r["error"],
        "ocr_pages": r["ocr_pages"], "missed": s.get("missed"), "invented": s.get("invented"),
    })

means = {}
for set_ in dict.fromkeys(r["set"] for r in table):
    labelled = [r for r in table if r["set"] == set_ and r["truth"] is not None]
    others = [r for r in table if r["set"] == set_ and r["truth"] is None]
    if labelled:
        m = {k: mean(r[k] for r in labelled) for k in ("recall", "precision", "marks_accuracy", "page_accuracy", "seconds")}
        m["papers"] = len(labelled)
        m["at_threshold"] = sum(1 for r in labelled if all(
            r[k] is None or r[k] >= 0.95 for k in ("recall", "precision", "marks_accuracy", "page_accuracy")))
        means[set_] = m
        print(f"\n{set_}: {len(labelled)} labelled papers")
        print("| paper | pages | truth rows | extracted | recall | precision | marks acc. | page acc. | seconds | review |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
        for r in labelled:
            status = "" if r["status"] == "completed" else f" ({r['status']})"
            print(f"| {r['paper']}{status} | {n(r['pages'])} | {r['truth']} | {r['extracted']} | {f2(r['recall'])} | "
                  f"{f2(r['precision'])} | {f2(r['marks_accuracy'])} | {f2(r['page_accuracy'])} | {f2(r['seconds'])} | {r['review']} |")
        print(f"| **mean** | | | | **{f2(m['recall'])}** | **{f2(m['precision'])}** | **{f2(m['marks_accuracy'])}** | "
              f"**{f2(m['page_accuracy'])}** | {f2(m['seconds'])} | |")
        print(f"{m['at_threshold']} of {len(labelled)} papers reach 0.95 on every figure.")
    if others:
        print(f"\n{set_}: {len(others)} papers without truth")
        print("| paper | pages | status | questions | seconds | review |")
        print("| --- | ---: | --- | ---: | ---: | :---: |")
        for r in others:
            status = r["status"] + (f": {r['error']}" if r["error"] else "")
            print(f"| {r['paper']} | {n(r['pages'])} | {status} | {r['extracted']} | {f2(r['seconds'])} | {r['review']} |")
        done = sum(1 for r in others if r["status"] == "completed")
        print(f"{done} of {len(others)} completed, {sum(1 for r in others if r['extracted'] == 0)} with no question.")

with open(out + ".tsv", "w") as f:
    f.write("\t".join(cols) + "\n")
    for r in table:
        f.write("\t".join("" if r[c] is None else ",".join(r[c]) if isinstance(r[c], list) else str(r[c])
                           for c in cols) + "\n")
with open(out + ".json", "w") as f:
    json.dump({"papers": table, "means": means}, f, indent=1)
print(f"\nwritten: {out}.tsv {out}.json")
PY
if [ "$refused" -gt 0 ]; then echo "run.sh: $refused paper(s) refused at submission (status 'refused' above)" >&2; exit 1; fi
