#!/usr/bin/env bash
# retag-questions accuracy against the hand-labelled set of bench/retag (README.md there).
#
#   bench/retag/run.sh [--folder DIR] [--build DIR] [--settings "MAX:MIN ..."] [--out DIR]
#
#   --folder DIR     the real-papers folder (env REALPAPERS; default ../shared/realpapers from the
#                    repository root): each labelled paper is pdf/PAPER.pdf or unlabelled/PAPER.pdf
#   --build DIR      the build tree holding worker/examq (env EXAMQ_BUILD_DIR; default ./build)
#   --settings LIST  matcher settings to score, each EXAMQ_RETAG_MAX_TOPICS:EXAMQ_RETAG_MIN_SCORE
#                    (env SETTINGS; default "2:0.04", the defaults); the first is the one reported
#                    on check, the others are scored on tune only (tuning never looks at check)
#   --out DIR        keep the predictions (PRED/SETTING/PAPER.json) and scores there (env OUT;
#                    default ${TMPDIR:-/tmp}/examq-retag-YYYYmmdd-HHMMSS)
#
# A throwaway cluster (ci/pgcluster) with sql/install.sql; every syllabus of bench/retag/syllabi
# loaded by load_syllabus.py under its default id. Each labelled paper is extracted once by a real
# `examq worker` (the default `text` extractor) through `examq submit --wait`. Then, per setting,
# a worker with those EXAMQ_RETAG_* runs `examq retag PAPER --syllabus S --wait` for every paper,
# `examq questions PAPER --json` is saved as the prediction, and bench/retag/score.py scores
# the tune split (and, for the first setting, the check split). Exit 0 when every paper ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

FOLDER=${REALPAPERS:-$ROOT/../shared/realpapers}
BUILD=${EXAMQ_BUILD_DIR:-$ROOT/build}
SETTINGS=${SETTINGS:-2:0.04}
OUT=${OUT:-${TMPDIR:-/tmp}/examq-retag-$(date -u +%Y%m%d-%H%M%S)}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --folder) FOLDER=${2:?--folder needs a directory}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --settings) SETTINGS=${2:?--settings needs a list}; shift 2 ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done

EXAMQ="$BUILD/worker/examq"
[ -x "$EXAMQ" ] || { echo "run.sh: build first: cmake --build $BUILD --target examq examq-render" >&2; exit 2; }
[ -d "$FOLDER/pdf" ] || { echo "run.sh: no real-papers folder at $FOLDER" >&2; exit 2; }
FOLDER=$(cd "$FOLDER" && pwd)
BENCH=$ROOT/bench/retag
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/examq-retag.XXXXXX"); chmod 755 "$TMP"
wpid=""
stop_worker() {
  if [ -n "$wpid" ] && kill -0 "$wpid" 2>/dev/null; then
    kill -TERM "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
  fi
  wpid=""
}
cleanup() {
  stop_worker
  "$ROOT/ci/pgcluster" stop "$TMP/pg" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PGPORT=$("$ROOT/ci/pgcluster" start "$TMP/pg")
PGUSER=$("$ROOT/ci/pgcluster" user "$TMP/pg")
export PGHOST=127.0.0.1 PGPORT PGUSER PGDATABASE=retagbench EXAMQ_EXTRACTOR=text
unset EXAMQ_DB DATABASE_URL EXAMQ_RETAG_MAX_TOPICS EXAMQ_RETAG_MIN_SCORE
createdb retagbench && psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null
DB="host=$PGHOST port=$PGPORT user=$PGUSER dbname=retagbench"
for s in "$BENCH"/syllabi/*.json; do python3 "$BENCH/load_syllabus.py" "$s" --apply -q >/dev/null; done

start_worker() {  # [ENV=VALUE ...]
  env "$@" "$EXAMQ" worker --db "$DB" --worker-id retagbench --concurrency 1 --log-level warn >>"$TMP/worker.log" 2>&1 &
  wpid=$!
}

# ---- extract every labelled paper once
start_worker
: >"$TMP/papers.tsv"  # NAME SYLLABUS_ID EXAM_PAPER_ID
for labels in "$BENCH"/labels/*.labels.json; do
  name=$(basename "$labels" .labels.json)
  pdf="$FOLDER/pdf/$name.pdf"; [ -f "$pdf" ] || pdf="$FOLDER/unlabelled/$name.pdf"
  [ -f "$pdf" ] || { echo "run.sh: no PDF for $name" >&2; exit 1; }
  "$EXAMQ" submit --db "$DB" --title "$name" --wait --json "$pdf" >"$TMP/submit.json" 2>/dev/null || true
  paper=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["exam_paper_id"])' "$TMP/submit.json")
  syllabus=$(python3 -c '
import json, sys, uuid
name = json.load(open(sys.argv[1]))["syllabus"]
print(uuid.uuid5(uuid.NAMESPACE_URL, "examq:syllabus:" + name))' "$labels")
  printf '%s\t%s\t%s\n' "$name" "$syllabus" "$paper" >>"$TMP/papers.tsv"
  echo "extracted $name: $(psql -Atq -c "SELECT count(*) FROM questions WHERE exam_paper_id = '$paper'") questions" >&2
done
stop_worker

# ---- per setting: retag every paper, save the predictions, score
first=1
for setting in $SETTINGS; do
  max=${setting%%:*}; min=${setting#*:}
  pred="$OUT/pred/$max-$min"; mkdir -p "$pred"
  start_worker EXAMQ_RETAG_MAX_TOPICS="$max" EXAMQ_RETAG_MIN_SCORE="$min"
  while IFS=$'\t' read -r name syllabus paper; do
    "$EXAMQ" retag "$paper" --db "$DB" --syllabus "$syllabus" --wait >/dev/null 2>"$TMP/retag.err" ||
      { echo "run.sh: retag of $name failed:" >&2; cat "$TMP/retag.err" >&2; tail -n 20 "$TMP/worker.log" >&2; exit 1; }
    "$EXAMQ" questions "$paper" --db "$DB" --json >"$pred/$name.json"
  done <"$TMP/papers.tsv"
  stop_worker
  echo "== EXAMQ_RETAG_MAX_TOPICS=$max EXAMQ_RETAG_MIN_SCORE=$min: tune"
  python3 "$BENCH/score.py" --labels "$BENCH/labels" --predictions "$pred" --split tune | tee "$OUT/score-$max-$min-tune.txt"
  if [ "$first" = 1 ]; then
    echo "== EXAMQ_RETAG_MAX_TOPICS=$max EXAMQ_RETAG_MIN_SCORE=$min: check"
    python3 "$BENCH/score.py" --labels "$BENCH/labels" --predictions "$pred" --split check | tee "$OUT/score-$max-$min-check.txt"
    first=0
  fi
done
echo "predictions and scores in $OUT" >&2
