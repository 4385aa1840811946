#include "cli/command.h"
#include "cli/worker_command.h"
#include "cli/up_command.h"
#include "cli/down_command.h"
#include "cli/status_command.h"
#include "cli/workers_command.h"
#include "cli/migrate_command.h"
#include "cli/submit_command.h"
#include "cli/watch_command.h"
#include "cli/jobs_command.h"
#include "cli/show_command.h"
#include "cli/retry_command.h"
#include "cli/cancel_command.h"
#include "cli/stats_command.h"
#include "cli/questions_command.h"
#include "cli/pages_command.h"
#include "cli/retag_command.h"
#include "cli/serve_command.h"
#include "cli/token_command.h"

namespace examq::cli {

const std::vector<AddCommand>& all_commands() {
  static const std::vector<AddCommand> commands = {
      add_worker_command,
      add_up_command,
      add_down_command,
      add_status_command,
      add_workers_command,
      add_migrate_command,
      add_submit_command,
      add_watch_command,
      add_jobs_command,
      add_show_command,
      add_retry_command,
      add_cancel_command,
      add_stats_command,
      add_questions_command,
      add_pages_command,
      add_retag_command,
      add_serve_command,
      add_token_command,
  };
  return commands;
}

}  // namespace examq::cli
