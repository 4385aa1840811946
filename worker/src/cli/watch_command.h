#pragma once
// `examq watch`: a live view of jobs, driven by LISTEN processing_jobs_changes (no polling loop).

#include "cli/command.h"
#include "pg/connection.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace examq::cli {

Command add_watch_command(CLI::App& app);

// How watch_jobs shows the jobs: progress bars redrawn in place (a terminal), one line of text
// per change, or one JSON object per line per change (--json; docs/schemas/watch.schema.json).
enum class WatchStyle { bars, lines, json };

// Follows jobs on the database at `conninfo` until they settle: `job_ids`, or (when empty)
// the active jobs, those finished in the last 10 minutes and every job created while watching,
// until SIGINT/SIGTERM. With `bars`, one progress bar per job (title, step, percentage, elapsed
// time, retries) redrawn in place, `columns` wide; otherwise one line or JSON object per change.
// The rows are read once at the start and again only for jobs a notification names.
// Warns at once (text: on stderr, `examq <command>: warning: ...`; json: an event on `out`) when
// no live worker runs the type of a job still waiting to be claimed, keeps waiting, and says
// when one appears.
// Returns 0 when every watched job completed (or, without ids, on a signal), 1 when any failed
// or was cancelled, or a signal stopped the watch first. Throws pg::Error, and
// std::runtime_error for an unknown job id.
// With `batch_id` (and no job_ids): every job of that batch, and any that joins it while
// watching; at the end a line (json: a "batch" event) with the batch's state. Throws
// std::runtime_error for a batch without jobs.
int watch_jobs(const std::string& conninfo, const std::vector<std::string>& job_ids, std::ostream& out,
               WatchStyle style, int columns, const std::string& command = "watch", const std::string& batch_id = "");

// The whole id of the batch an id or unique prefix names (the database matches it, as `examq
// jobs --batch` does). Throws std::runtime_error when none or several match.
std::string resolve_batch_id(pg::Connection& conn, const std::string& id_or_prefix);

}  // namespace examq::cli
