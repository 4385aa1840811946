#!/usr/bin/env bash
# tests/install/install_test.sh BUILD_DIR SOURCE_DIR (run by ctest; see CMakeLists.txt).
# Needs the PG* variables of a cluster where it may create a database and a role (ci/test's).
set -uo pipefail
build=$1
src=$2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/examq-install.XXXXXX")
db=examq_install_$$
role=examq_install_worker_$$
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  dropdb --if-exists --force "$db" >/dev/null 2>&1
  psql -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
check() {  # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}
contains() { [[ "$1" == *"$2"* ]]; }

# --- install ------------------------------------------------------------------------------------
root=$tmp/root
if ! DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAILED: cmake --install"
  exit 1
fi
bin=$root/usr/bin/examq
check "examq in bin" test -x "$bin"
check "examq-render in libexec/examq" test -x "$root/usr/libexec/examq/examq-render"
check "no examq-render beside examq (it must be found in libexec)" test ! -e "$root/usr/bin/examq-render"
check "examq-ocr.so in lib/examq" test -n "$(find "$root/usr/lib" -path '*/examq/examq-ocr.so')"
for f in "$src"/sql/*.sql; do
  check "share/examq/sql/$(basename "$f")" cmp -s "$f" "$root/usr/share/examq/sql/$(basename "$f")"
done
if pg_config=$(command -v pg_config); then
  check "the extension's library under DESTDIR in pg_config --pkglibdir" test -f "$root$("$pg_config" --pkglibdir)/examq_cleanup.so"
  check "the extension's control file under DESTDIR in pg_config --sharedir" \
    test -f "$root$("$pg_config" --sharedir)/extension/examq_cleanup.control"
fi

# --- --version: the newest sql/NNNN_*.sql, whatever it is ----------------------------------------
newest=$(ls "$src"/sql | sed -n 's/^\([0-9]\{4\}\)_.*\.sql$/\1/p' | sort | tail -n 1)
newest=$((10#$newest))
version=$("$bin" --version)
check "--version names schema version $newest (said: $version)" contains "$version" "(schema version $newest)"

# --- the installed SQL ----------------------------------------------------------------------------
createdb "$db" || exit 1
check "psql -f the installed install.sql" \
  psql -q -d "$db" -v ON_ERROR_STOP=1 -f "$root/usr/share/examq/sql/install.sql" -o /dev/null
installed=$(psql -qAt -d "$db" -c "SELECT max(version) FROM examq_migrations")
check "the installed SQL brings the schema to version $newest (it is at $installed)" test "$installed" = "$newest"

# --- the installed worker, as a login that is only a member of examq_worker -----------------------
psql -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE ROLE $role LOGIN IN ROLE examq_worker" || exit 1
"$bin" worker --db "dbname=$db user=$role" --concurrency 1 --metrics-listen 127.0.0.1:0 >"$tmp/worker.log" 2>&1 &
worker_pid=$!
# submit checks each PDF in the installed render child, then follows the job live (LISTEN) until
# it settles; the worker renders it in its render child, which reads the scan's pages with the
# installed OCR module.
"$build/tests/fixtures/make-exam-paper" --layout simple-q --scan --out "$tmp/scan.pdf" >/dev/null || exit 1
for paper in "$src/docs/samples/sample-exam-paper.pdf" "$tmp/scan.pdf"; do
  if timeout 120 "$bin" submit --db "dbname=$db" "$paper" --title "$(basename "$paper")" --wait >"$tmp/submit.log" 2>&1; then
    echo "ok: the installed worker processed $(basename "$paper")"
  else
    echo "FAILED: the installed worker did not process $(basename "$paper")"
    cat "$tmp/submit.log" "$tmp/worker.log"
    failures=$((failures + 1))
  fi
done
questions=$(psql -qAt -d "$db" -c "SELECT count(*) FROM questions q JOIN exam_papers p ON p.id = q.exam_paper_id WHERE p.title = 'scan.pdf'")
check "questions were read from the scan by OCR ($questions)" test "$questions" -gt 0

# Its metrics: every page rendered, the scan's pages read by OCR. The worker counts a job just
# after the database records it, so a scrape may trail `submit --wait` by a moment: scrape again
# until the completions show (bounded). HTTP/1.0 by hand: the server closes after answering.
port=$(sed -n 's|.*metrics\.listening url=http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/worker.log")
scrape() {
  metrics=
  [ -n "$port" ] && exec 3<>"/dev/tcp/127.0.0.1/$port" || return
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  metrics=$(cat <&3)
  exec 3<&-
}
series() { printf '%s\n' "$metrics" | sed -n "s/^$1 //p" | tr -d '\r'; }
completed='examq_jobs_completed_total{job_type="process-exam-paper"}'
for _ in $(seq 50); do
  scrape
  [ "$(series "$completed")" = 2 ] && break
  sleep 0.1
done
pages=$(psql -qAt -d "$db" -c "SELECT sum(page_count) FROM exam_papers")
scan_pages=$(psql -qAt -d "$db" -c "SELECT page_count FROM exam_papers WHERE title = 'scan.pdf'")
check "metrics: 2 jobs completed" test "$(series "$completed")" = 2
check "metrics: $pages pages rendered" test "$(series examq_render_page_seconds_count)" = "$pages"
check "metrics: $scan_pages pages read by OCR" test "$(series examq_ocr_page_seconds_count)" = "$scan_pages"
kill "$worker_pid"
wait "$worker_pid"
check "the worker stopped cleanly on SIGTERM" test $? -eq 0
worker_pid=

# --- refusing a schema that lacks a migration it needs --------------------------------------------
psql -q -d "$db" -v ON_ERROR_STOP=1 -c "DELETE FROM examq_migrations WHERE version = (SELECT max(version) FROM examq_migrations)"
timeout 60 "$bin" worker --db "dbname=$db user=$role" >"$tmp/refused.log" 2>&1
status=$?
check "the worker exits 1 on an older schema (exit $status)" test "$status" -eq 1
refusal=$(cat "$tmp/refused.log")
check "the refusal names examq migrate" contains "$refusal" 'run `examq migrate` with the same --db'
check "the refusal names the installed install.sql" contains "$refusal" "-f $root/usr/share/examq/sql/install.sql"
[ "$failures" -eq 0 ] || { echo "refusal log:"; echo "$refusal"; }

# --- the example systemd unit, pointed at this installed tree ------------------------------------
if command -v systemd-analyze >/dev/null; then
  sed -e "s|/usr/bin/examq|$bin|" -e "s|/etc/examq/worker.env|$src/docs/examples/examq-worker.env|" \
    "$src/docs/examples/examq-worker.service" >"$tmp/examq-worker.service"
  # It exits 0 on an unknown or misspelt directive (only a warning): any output is a failure.
  verify=$(systemd-analyze verify "$tmp/examq-worker.service" 2>&1)
  check "systemd-analyze verify docs/examples/examq-worker.service: exit 0, no warnings${verify:+ ($verify)}" \
    test $? -eq 0 -a -z "$verify"
else
  echo "skipped: systemd-analyze verify (no systemd-analyze)"
fi

echo "install: $failures failed"
[ "$failures" -eq 0 ]
