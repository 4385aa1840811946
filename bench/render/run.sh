#!/usr/bin/env bash
# Render throughput: examq's sandboxed render pool against pdftoppm, on the same PDFs, in the
# same run, so both see the same machine load.
#
# Usage:   bench/render/run.sh [BUILD_DIR]          (default BUILD_DIR: build)
# Builds:  cmake --build BUILD_DIR --target examq-render-bench   (done here if missing)
# Needs:   hyperfine, pdftoppm (poppler-utils), jq
# Env:     RUNS=10 WARMUP=2 PAGES=50 CORPUS=<repo>/../shared/corpus
#
# For each PDF -- the corpus's valid/tracemonkey.pdf (14 real pages with figures) and a
# generated PAGES-page exam-like paper (Helvetica text, dotted answer lines) -- hyperfine times:
#   pdftoppm -r 150 -jpeg IN OUT/p                     the reference: one process, files out
#   examq-render-bench render IN --words=0             the pool, JPEG only (like for like)
#   examq-render-bench render IN                       the pool as the worker runs it: JPEG
#                                                      plus every page's words
# The pool runs with its defaults: 150 DPI, JPEG quality 85 (pdftoppm's default is 75),
# one examq-render child per CPU, validation and the PoDoFo metadata child included; the JPEGs
# stay in memory. pages/s = pages / median wall time; "vs pdftoppm" = pdftoppm's time / this
# command's time, from the medians and from the minimums (the run least disturbed by other
# work); "cpu" = mean user+system time of the command and its children, what the work costs
# whatever else the machine is doing. A 2-process pool only beats a 1-process tool when both
# CPUs are free: read the ratios together with the load-average line.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build}
runs=${RUNS:-10}
warmup=${WARMUP:-2}
pages=${PAGES:-50}
corpus=${CORPUS:-$repo/../shared/corpus}
bench=$build/bench/render/examq-render-bench

[[ -x $bench ]] || cmake --build "$build" --target examq-render-bench -j2 >/dev/null
for tool in hyperfine pdftoppm jq; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" fixture "$work/exam$pages.pdf" "$pages"
pdfs=("$work/exam$pages.pdf")
[[ -f $corpus/valid/tracemonkey.pdf ]] && pdfs=("$corpus/valid/tracemonkey.pdf" "${pdfs[@]}")

echo "# render throughput, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| PDF | pages | command | median wall | pages/s | vs pdftoppm | min wall | vs pdftoppm (min) | cpu |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for pdf in "${pdfs[@]}"; do
  n=$("$bench" render "$pdf" --words=0 | sed -E 's/.*pages=([0-9]+).*/\1/')
  mkdir -p "$work/out"
  hyperfine --style none --warmup "$warmup" --runs "$runs" --export-json "$work/result.json" \
    -n "pdftoppm -r 150 -jpeg" "pdftoppm -r 150 -jpeg '$pdf' '$work/out/p'" \
    -n "pool, JPEG only" "'$bench' render '$pdf' --words=0" \
    -n "pool, JPEG + words" "'$bench' render '$pdf'" >/dev/null
  jq -r --argjson n "$n" --arg pdf "$(basename "$pdf")" '
    .results[0] as $ref
    | .results[]
    | "| \($pdf) | \($n) | \(.command) | \(.median * 1000 | round) ms"
      + " | \(($n / .median) * 10 | round / 10)"
      + " | \(($ref.median / .median) * 100 | round / 100)x"
      + " | \(.min * 1000 | round) ms"
      + " | \(($ref.min / .min) * 100 | round / 100)x"
      + " | \((.user + .system) * 1000 | round) ms |"' "$work/result.json"
done
echo
echo "$runs runs after $warmup warm-up runs each (hyperfine $(hyperfine --version | cut -d' ' -f2)); load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
