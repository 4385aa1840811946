# Sourced by every example run_examples.py runs (docs/testing.md, "Documented examples").
# Defines `examq` as a function in front of the real binary so that the commands that run until
# stopped stay runnable in a script, `curl` with retries for a server an example has just started,
# and the doc_* helpers the examples' hidden directives use. Variables from run_examples.py:
# EXAMQ_DOC_BIN (the real examq), EXAMQ_DOC_TMP (scratch), EXAMQ_DOC_READY_SECONDS.

# Commands that run until a signal: `worker`, `serve`, and `watch` without job ids (a word of
# hex digits and dashes, 8 or more: an id or an id prefix; other words are option values).
doc_runs_until_stopped() {
  case "$1" in
    worker | serve) return 0 ;;
    watch)
      shift
      local a
      for a in "$@"; do [[ "$a" =~ ^[0-9a-fA-F][0-9a-fA-F-]{7,}$ ]] && return 1; done
      return 0 ;;
  esac
  return 1
}

# Runs "$@" (an examq command that runs until stopped) until it has printed its first line, then
# stops it as Ctrl-C would and returns its exit status: it must stop cleanly (0).
doc_bounded() {
  local out="$EXAMQ_DOC_TMP/bounded.$$.$RANDOM"
  "$EXAMQ_DOC_BIN" "$@" >"$out" 2>&1 </dev/null &
  local pid=$! waited=0
  # Its first output says it started (a worker's or server's first log line, watch's first job).
  while [ ! -s "$out" ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    waited=$((waited + 1))
    if [ "$waited" -ge $((EXAMQ_DOC_READY_SECONDS * 10)) ]; then
      echo "examples: \`examq $*\` printed nothing in ${EXAMQ_DOC_READY_SECONDS} s" >&2
      break
    fi
  done
  kill -INT "$pid" 2>/dev/null || true  # (it may have ended by itself: a usage error)
  local rc=0
  wait "$pid" || rc=$?
  cat "$out"
  rm -f "$out"
  if [ "$rc" != 0 ]; then echo "examples: \`examq $*\` exited $rc" >&2; fi
  return "$rc"
}

examq() {
  # In the script's own shell a command that runs until stopped is bounded; in a background job
  # (`examq serve ... &`, a subshell) it runs until the example ends, which stops it.
  if doc_runs_until_stopped "$@" && [ "$BASHPID" = "$$" ]; then
    doc_bounded "$@" || return $?
  else
    # `|| return`: a failure is the function's, so the block's ERR trap names the doc's line.
    "$EXAMQ_DOC_BIN" "$@" || return $?
  fi
}

# A server an example started with `&` may not listen yet: retry refused connections. A stream
# (`curl -N`) is cut after a few seconds; that is its success.
curl() {
  local stream=0 a
  for a in "$@"; do if [ "$a" = -N ]; then stream=1; fi; done
  local rc=0
  if [ "$stream" = 1 ]; then
    command curl --silent --show-error --max-time 3 "$@" || rc=$?
    if [ "$rc" = 28 ]; then rc=0; fi
  else
    command curl --silent --show-error --fail --retry-connrefused --retry 30 --retry-delay 1 --max-time 30 "$@" || rc=$?
  fi
  echo
  return "$rc"
}

# The background worker run_examples.py started (pid in $EXAMQ_DOC_TMP/worker.pid).
doc_worker_stop() {
  local pid
  pid=$(cat "$EXAMQ_DOC_TMP/worker.pid" 2>/dev/null) || return 0
  if kill -TERM "$pid" 2>/dev/null; then tail --pid="$pid" -f /dev/null; fi
  rm -f "$EXAMQ_DOC_TMP/worker.pid"
}
doc_worker_start() {
  # Its own session: it outlives the example that started it, which ends with its process group.
  local log="$EXAMQ_DOC_TMP/worker.log" from waited=0
  from=$(($(wc -l <"$log" 2>/dev/null || echo 0) + 1))
  setsid "$EXAMQ_DOC_BIN" worker >>"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$EXAMQ_DOC_TMP/worker.pid"
  # Ready once registered: the examples that follow may count on a live worker.
  until tail -n "+$from" "$log" | grep -q 'worker.registered'; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge $((EXAMQ_DOC_READY_SECONDS * 10)) ]; then
      echo "examples: the background worker did not register (log $log):" >&2
      tail -n "+$from" "$log" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# doc_then_worker REGEX CMD...: runs CMD with no worker running until its output has a line
# matching REGEX, then starts the worker, and prints everything CMD printed once it has ended.
doc_then_worker() {
  local regex=$1
  shift
  doc_worker_stop
  local out="$EXAMQ_DOC_TMP/then-worker.$$.$RANDOM"
  : >"$out"
  "$@" >"$out" 2>&1 </dev/null &
  local pid=$!
  doc_wait_for "$out" "$regex" "$pid" || true  # (what it printed instead is shown below)
  doc_worker_start || return 1
  local rc=0
  wait "$pid" || rc=$?
  cat "$out"
  rm -f "$out"
  return "$rc"
}

# The warning of `submit --wait` and `watch` when no worker runs the type, and what they say when
# one starts.
doc_with_late_worker() { doc_then_worker 'warning:' "$@"; }

# `examq watch --plain JOB` of a new paper's job, the worker started once watch has shown the job
# pending: every step of the job is then seen.
doc_watch_new_paper() {
  doc_worker_stop
  local job
  job=$("$EXAMQ_DOC_BIN" submit "$1" --json | jq -r '.[0] | (.jobId // .job_id)') || return 1
  doc_then_worker pending "$EXAMQ_DOC_BIN" watch --plain "$job"
}

# Runs `examq watch --plain` across a restart of the private cluster (`examq down`, `examq up`) and
# prints what it said: it reconnects rather than ending.
doc_watch_across_restart() {
  local out="$EXAMQ_DOC_TMP/restart.$$.$RANDOM"
  : >"$out"
  "$EXAMQ_DOC_BIN" watch --plain >"$out" 2>&1 </dev/null &
  local pid=$!
  doc_wait_for "$out" . "$pid" || { cat "$out"; return 1; }
  "$EXAMQ_DOC_BIN" down >/dev/null || return 1
  doc_wait_for "$out" 'connection lost' "$pid"
  "$EXAMQ_DOC_BIN" up >/dev/null || return 1
  doc_wait_for "$out" 'reconnected' "$pid"
  kill -INT "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" || rc=$?
  cat "$out"
  rm -f "$out"
  return "$rc"
}

# doc_wait_for FILE REGEX PID: until FILE has a line matching REGEX, PID has exited, or
# EXAMQ_DOC_READY_SECONDS have passed (then 1).
doc_wait_for() {
  local waited=0
  until grep -q -- "$2" "$1"; do
    kill -0 "$3" 2>/dev/null || return 1
    if [ "$waited" -ge $((EXAMQ_DOC_READY_SECONDS * 10)) ]; then return 1; fi
    sleep 0.1
    waited=$((waited + 1))
  done
}
