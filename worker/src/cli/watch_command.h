#pragma once
// `examq watch`: a live view of jobs, driven by LISTEN processing_jobs_changes (no polling loop).

#include "cli/command.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace examq::cli {

Command add_watch_command(CLI::App& app);

// Follows jobs on the database at `conninfo` until they settle: `job_ids`, or (when empty)
// the active jobs, those finished in the last 10 minutes and every job created while watching,
// until SIGINT/SIGTERM. With `tty`, one progress bar per job (step, percentage, elapsed time,
// retries) redrawn in place, `columns` wide; otherwise one line per change. The rows are read
// once at the start and again only for jobs a notification names.
// Warns on stderr at once (`examq <command>: warning: ...`) when no live worker runs the type
// of a job still waiting to be claimed, keeps waiting, and says when one appears.
// Returns 0 when every watched job completed (or, without ids, on a signal), 1 when any failed
// or was cancelled, or a signal stopped the watch first. Throws pg::Error, and
// std::runtime_error for an unknown job id.
int watch_jobs(const std::string& conninfo, const std::vector<std::string>& job_ids, std::ostream& out, bool tty,
               int columns, const std::string& command = "watch");

}  // namespace examq::cli
