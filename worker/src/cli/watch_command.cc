#include "cli/watch_command.h"

#include "cli/common_options.h"
#include "cli/id_lookup.h"
#include "cli/output.h"
#include "cli/worker_registry.h"
#include "pg/array.h"
#include "pg/connection.h"
#include "pg/error.h"
#include "pg/listener.h"
#include "util/shutdown_signals.h"

#include <poll.h>
#include <unistd.h>

#include <tao/json/from_string.hpp>
#include <tao/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace examq::cli {

namespace {

using Clock = std::chrono::steady_clock;

// What a watch shows of a job, the same columns for each query below: the row's state, and the
// title and file name of its paper (null for a job without one).
const std::string kWatchJobs =
    "SELECT j.id::text, j.job_type, j.status, j.progress_percentage, coalesce(j.current_step, ''), j.retry_count, "
    "j.max_retries, j.error_message, j.started_at IS NOT NULL, "
    "extract(epoch FROM coalesce(j.completed_at, now()) - coalesce(j.started_at, j.created_at))::float8, "
    "j.exam_paper_id::text, p.title, "
    "(SELECT f.filename FROM exam_paper_files f WHERE f.exam_paper_id = j.exam_paper_id AND f.kind = 'paper') "
    "FROM processing_jobs j LEFT JOIN exam_papers p ON p.id = j.exam_paper_id ";
const std::string kJobsByIdSql = kWatchJobs + "WHERE j.id = ANY($1::uuid[]) ORDER BY j.created_at, j.id";
const std::string kRecentJobsSql = kWatchJobs +
                                   "WHERE j.status IN ('pending', 'processing') "
                                   "OR j.completed_at > now() - interval '10 minutes' "
                                   "ORDER BY j.created_at DESC, j.id LIMIT 50";
const pg::Statement kJobsById{"examq_watch_jobs_by_id", kJobsByIdSql.c_str()};
// --batch: the batch an id or prefix names (as `examq jobs --batch` matches it), at most 11 to
// list when several do; its jobs; and at the end its state (sql/0010's view).
const pg::Statement kResolveBatch{
    "examq_watch_resolve_batch",
    "SELECT b.id::text FROM processing_job_batches b WHERE b.id::text = lower($1) OR starts_with(b.id::text, lower($1))"
    " ORDER BY b.created_at DESC, b.id LIMIT 11"};
const pg::Statement kBatchJobs{"examq_watch_batch_jobs",
                               "SELECT j.id::text FROM processing_jobs j WHERE j.batch_id = $1::uuid ORDER BY j.created_at, j.id"};
const pg::Statement kBatchStatus{"examq_watch_batch_status",
                                 "SELECT coalesce(s.label, ''), s.state, s.total, s.completed, s.failed, s.cancelled"
                                 " FROM processing_job_batch_status s WHERE s.batch_id = $1::uuid"};
const pg::Statement kRecentJobs{"examq_watch_recent_jobs", kRecentJobsSql.c_str()};

// The fields hold what the database holds: text output escapes them (printable()) as it is
// built, so the bars' own escape sequences are the only ones reaching the terminal; JSON
// escapes for itself.
struct JobView {
  std::string id, job_type, status, step;
  std::optional<std::string> error, exam_paper_id, title, filename;
  int progress = 0, retries = 0, max_retries = 0;
  bool started = false;
  double elapsed = 0;        // seconds, as of `fetched`
  Clock::time_point fetched;
  std::string last_printed;  // the change key last printed (lines, json)

  bool settled() const { return status == "completed" || status == "failed" || status == "cancelled"; }
  double elapsed_now() const {
    if (settled()) return elapsed;
    return elapsed + std::chrono::duration<double>(Clock::now() - fetched).count();
  }
  // The paper in a few words: its title, and its file name unless the title is that name
  // without ".pdf" (submit's default); "" for a job without a paper.
  std::string paper() const {
    std::string s = title.value_or("");
    if (filename && std::filesystem::path(*filename).stem().string() != s && *filename != s) {
      s += (s.empty() ? "" : " ") + ("(" + *filename + ")");
    }
    return printable(s);
  }
};

tao::json::value optional_json(const std::optional<std::string>& v) {
  return v ? tao::json::value(*v) : tao::json::value(tao::json::null);
}

class JobBoard {
 public:
  JobBoard(std::ostream& out, WatchStyle style, int columns) : out_(out), style_(style), columns_(std::max(columns, 40)) {}

  // Reads the rows of `ids` and records them; returns the ids that were found.
  std::set<std::string> refresh(pg::Connection& conn, const std::vector<std::string>& ids) {
    std::set<std::string> found;
    if (ids.empty()) return found;
    pg::Result r = conn.exec(kJobsById, pg::array_literal(ids));
    store(r, found);
    return found;
  }
  // Reads the active and recently finished jobs.
  void load_recent(pg::Connection& conn) {
    pg::Result r = conn.exec(kRecentJobs);
    std::set<std::string> found;
    store(r, found);
    std::reverse(order_.begin(), order_.end());  // oldest first, as new ones are appended
  }

  bool all_settled() const {
    return std::all_of(jobs_.begin(), jobs_.end(), [](const auto& kv) { return kv.second.settled(); });
  }
  bool all_completed() const {
    return std::all_of(jobs_.begin(), jobs_.end(), [](const auto& kv) { return kv.second.status == "completed"; });
  }
  bool has(const std::string& id) const { return jobs_.count(id) > 0; }
  // The types of the jobs still waiting to be claimed.
  std::set<std::string> waiting_types() const {
    std::set<std::string> types;
    for (const auto& [id, j] : jobs_) {
      if (j.status == "pending") types.insert(j.job_type);
    }
    return types;
  }
  // Something else wrote to the terminal (a warning on stderr): draw the bars afresh below it.
  void interrupted() { drawn_lines_ = 0; }
  const std::vector<std::string>& ids() const { return order_; }

  // An event between the job lines (text: `message`; on a TTY the bars are then drawn afresh
  // below it; json: {"event": event, "time", "message"}).
  void note(const std::string& event, const std::string& message) {
    if (style_ == WatchStyle::json) {
      print_json_line(out_, {{"event", event}, {"time", utc_now()}, {"message", message}});
    } else {
      out_ << printable(message) << "\n";
      out_.flush();
    }
    drawn_lines_ = 0;
  }
  std::size_t size() const { return jobs_.size(); }

  // bars: redraws every bar in place. Otherwise: one line or object for each job whose state changed.
  void draw() {
    if (style_ != WatchStyle::bars) {
      for (const std::string& id : order_) {
        JobView& j = jobs_.at(id);
        std::string key = j.status + "|" + std::to_string(j.progress) + "|" + j.step + "|" + std::to_string(j.retries);
        if (key == j.last_printed) continue;
        j.last_printed = key;
        if (style_ == WatchStyle::json) {
          print_json_line(out_, job_event(j));
        } else {
          out_ << plain_line(j) << "\n";
        }
      }
      out_.flush();
      return;
    }
    // At most kMaxBars bars: every active job first, then the most recently listed settled ones.
    std::vector<bool> shown(order_.size(), false);
    std::size_t budget = kMaxBars;
    for (std::size_t i = 0; i < order_.size() && budget > 0; ++i) {
      if (!jobs_.at(order_[i]).settled()) {
        shown[i] = true;
        --budget;
      }
    }
    for (std::size_t i = order_.size(); i-- > 0 && budget > 0;) {
      if (!shown[i]) {
        shown[i] = true;
        --budget;
      }
    }
    std::string frame;
    if (drawn_lines_ > 0) frame += "\x1b[" + std::to_string(drawn_lines_) + "A";
    int lines = 0;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      if (!shown[i]) continue;
      frame += "\r\x1b[2K" + bar_line(jobs_.at(order_[i])) + "\n";
      ++lines;
    }
    if (order_.size() > static_cast<std::size_t>(lines)) {
      frame += "\r\x1b[2K(" + std::to_string(order_.size() - lines) + " more settled jobs not shown)\n";
      ++lines;
    }
    if (order_.empty()) {
      frame += "\r\x1b[2Kwaiting for jobs (Ctrl-C to stop)\n";
      ++lines;
    }
    // Lines left over from a taller frame are cleared.
    for (int i = lines; i < drawn_lines_; ++i) frame += "\r\x1b[2K\n";
    drawn_lines_ = std::max(lines, drawn_lines_);
    out_ << frame;
    out_.flush();
  }

  // Forgets the oldest settled jobs once more than kMaxRemembered are known (a watch without
  // ids runs for days).
  void forget_old_settled() {
    if (order_.size() <= kMaxRemembered) return;
    std::vector<std::string> kept;
    std::size_t excess = order_.size() - kMaxRemembered / 2;
    for (const std::string& id : order_) {
      if (excess > 0 && jobs_.at(id).settled()) {
        jobs_.erase(id);
        --excess;
      } else {
        kept.push_back(id);
      }
    }
    order_ = std::move(kept);
  }

  // The end: text "2 completed, 1 failed" and each failure's error; json a "summary" event
  // (`settled` false when a signal stopped the watch first).
  void summary(bool settled) {
    std::map<std::string, int> counts;
    for (const auto& [id, j] : jobs_) counts[j.status]++;
    if (style_ == WatchStyle::json) {
      tao::json::value by_status = tao::json::empty_object, failed = tao::json::empty_array;
      for (const auto& [status, n] : counts) by_status[status] = n;
      for (const std::string& id : order_) {
        const JobView& j = jobs_.at(id);
        if (j.status == "failed") failed.push_back({{"id", j.id}, {"error_message", optional_json(j.error)}});
      }
      print_json_line(out_, {{"event", "summary"}, {"time", utc_now()}, {"settled", settled}, {"counts", by_status},
                             {"failed", failed}});
      return;
    }
    if (!settled) {
      out_ << "stopped before the jobs settled\n";
      out_.flush();
      return;
    }
    std::string s;
    for (const auto& [status, n] : counts) s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + status;
    out_ << s << "\n";
    for (const std::string& id : order_) {
      const JobView& j = jobs_.at(id);
      if (j.status == "failed" && j.error && !j.error->empty()) {
        out_ << "job " << j.id << " failed: " << printable(*j.error) << "\n";
      }
    }
    out_.flush();
  }

 private:
  void store(const pg::Result& r, std::set<std::string>& found) {
    for (int i = 0; i < r.rows(); ++i) {
      std::string id(r.text(i, 0));
      found.insert(id);
      auto [it, inserted] = jobs_.try_emplace(id);
      if (inserted) order_.push_back(id);
      JobView& j = it->second;
      j.id = id;
      j.job_type = r.get<std::string>(i, 1);
      j.status = r.get<std::string>(i, 2);
      j.progress = r.get<int>(i, 3);
      j.step = r.get<std::string>(i, 4);
      j.retries = r.get<int>(i, 5);
      j.max_retries = r.get<int>(i, 6);
      const auto text_or_null = [&](int column) {
        return r.is_null(i, column) ? std::nullopt : std::optional<std::string>(r.get<std::string>(i, column));
      };
      j.error = text_or_null(7);
      j.started = r.get<bool>(i, 8);
      j.elapsed = r.get<double>(i, 9);
      j.exam_paper_id = text_or_null(10);
      j.title = text_or_null(11);
      j.filename = text_or_null(12);
      j.fetched = Clock::now();
    }
  }

  static std::string timestamp() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    return buf;
  }

  static std::string retries(const JobView& j) {
    return "retry " + std::to_string(j.retries) + "/" + std::to_string(j.max_retries);
  }

  // docs/schemas/watch.schema.json, event "job".
  static tao::json::value job_event(const JobView& j) {
    return {{"event", "job"},
            {"time", utc_now()},
            {"id", j.id},
            {"job_type", j.job_type},
            {"status", j.status},
            {"progress_percentage", j.progress},
            {"current_step", j.step},
            {"retry_count", j.retries},
            {"max_retries", j.max_retries},
            {"error_message", optional_json(j.error)},
            {"started", j.started},
            {"elapsed_seconds", j.elapsed_now()},
            {"exam_paper_id", optional_json(j.exam_paper_id)},
            {"title", optional_json(j.title)},
            {"filename", optional_json(j.filename)}};
  }

  std::string plain_line(const JobView& j) const {
    std::string s = timestamp() + "  " + j.id + "  " + j.status + "  " + std::to_string(j.progress) + "%  " +
                    printable(j.step);
    s += "  " + std::string(j.started ? "elapsed " : "queued ") + format_age(j.elapsed_now());
    if (j.retries > 0) s += "  " + retries(j);
    if (!j.paper().empty()) s += "  paper: " + j.paper();
    if (j.status == "failed" && j.error && !j.error->empty()) s += "  error: " + printable(*j.error);
    return s;
  }

  std::string bar_line(const JobView& j) const {
    constexpr int kWidth = 20;
    const int filled = j.progress * kWidth / 100;
    std::string bar = "[" + std::string(filled, '=') + (filled < kWidth ? ">" : "") +
                      std::string(std::max(0, kWidth - filled - 1), ' ') + "]";
    char pct[8];
    std::snprintf(pct, sizeof pct, "%3d%%", j.progress);
    std::string s = j.id.substr(0, 8) + "  " + bar + " " + pct + "  " + format_clock(j.elapsed_now()) + "  ";
    if (!j.paper().empty()) s += j.paper() + "  ";
    if (j.retries > 0) s += retries(j) + "  ";
    if (j.settled()) {
      s += j.status;
      if (j.status == "failed" && j.error && !j.error->empty()) s += ": " + printable(*j.error);
    } else {
      s += j.started ? printable(j.step) : "queued: " + printable(j.step);
    }
    if (static_cast<int>(s.size()) >= columns_) s = s.substr(0, columns_ - 2) + "…";
    return s;
  }

  static constexpr std::size_t kMaxBars = 30;
  static constexpr std::size_t kMaxRemembered = 1000;

  std::ostream& out_;
  const WatchStyle style_;
  const int columns_;
  std::map<std::string, JobView> jobs_;
  std::vector<std::string> order_;
  int drawn_lines_ = 0;
};

struct WatchOptions {
  std::string db;
  std::string batch;
  std::vector<std::string> ids;
  bool plain = false;
  bool json = false;
};

}  // namespace

std::string resolve_batch_id(pg::Connection& conn, const std::string& id_or_prefix) {
  pg::Result r = conn.exec(kResolveBatch, id_or_prefix);
  if (r.rows() == 0) throw std::runtime_error("no batch " + id_or_prefix);
  if (r.rows() > 1) {
    std::string ids;
    for (int i = 0; i < r.rows() && i < 10; ++i) ids += (ids.empty() ? "" : ", ") + r.get<std::string>(i, 0);
    throw std::runtime_error("batch prefix " + id_or_prefix + " is ambiguous (" + ids + (r.rows() > 10 ? ", ..." : "") + ")");
  }
  return r.get<std::string>(0, 0);
}

int watch_jobs(const std::string& conninfo, const std::vector<std::string>& ids_given, std::ostream& out,
               WatchStyle style, int columns, const std::string& command, const std::string& batch_id) {
  const bool tty = style == WatchStyle::bars;
  util::ShutdownSignals& signals = util::ShutdownSignals::install();
  auto conn = std::make_unique<pg::Connection>(conninfo, "examq watch");
  // Workers registering or stopping (sql/0008) too: that may change who claims the jobs.
  const pg::Listener listener({"processing_jobs_changes", "examq_workers_changes"});
  // Subscribe before the first read, so no change between the two is missed.
  listener.subscribe(*conn);

  // A batch's jobs are read after subscribing: a job added to it after this read is picked up
  // from its notification (which names the batch).
  std::vector<std::string> job_ids = ids_given;
  if (!batch_id.empty()) {
    pg::Result r = conn->exec(kBatchJobs, batch_id);
    for (int i = 0; i < r.rows(); ++i) job_ids.push_back(r.get<std::string>(i, 0));
    if (job_ids.empty()) throw std::runtime_error("batch " + batch_id + " has no jobs");
  }
  const bool follow_all = job_ids.empty();
  JobBoard board(out, style, columns);
  if (follow_all) {
    board.load_recent(*conn);
  } else {
    std::set<std::string> found = board.refresh(*conn, job_ids);
    for (const std::string& id : job_ids) {
      if (found.count(id) == 0) throw std::runtime_error("no job " + id);
    }
  }
  // At once: jobs of a type no live worker runs would wait in silence.
  // Text: on stderr, between the bars' redraws; json: events in the stream like the jobs'.
  const bool json = style == WatchStyle::json;
  WorkerCoverage coverage(command, json ? out : std::cerr, json);
  coverage.check(*conn, board.waiting_types(), false);
  board.draw();

  std::vector<pg::Notification> notes;
  bool reported_loss = false;
  while (follow_all || !board.all_settled()) {
    if (signals.requested()) break;
    try {
      if (!conn) {
        // Back after an outage: notifications sent meanwhile are lost, so read every row again.
        conn = std::make_unique<pg::Connection>(conninfo, "examq watch");
        listener.subscribe(*conn);
        board.refresh(*conn, board.ids());
        if (follow_all) board.load_recent(*conn);
        board.note("reconnected", "reconnected");
        reported_loss = false;
        if (coverage.check(*conn, board.waiting_types(), true)) board.interrupted();
        board.draw();
        continue;
      }
      notes.clear();
      // Notifications may already be buffered by libpq from the last query: take those first.
      if (listener.drain(*conn, notes) == 0) {
        // A TTY redraws elapsed times every second; otherwise only a notification wakes us.
        pollfd fds[2] = {{conn->socket(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
        int rc = ::poll(fds, 2, tty ? 1000 : -1);
        if (rc < 0 && errno != EINTR) throw std::runtime_error("waiting for notifications: poll failed");
        if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          conn->consume_input();  // throws pg::Error when the server has gone
          listener.drain(*conn, notes);
        }
      }
      std::set<std::string> touched;
      bool workers_changed = false;
      for (const pg::Notification& n : notes) {
        if (n.channel == "examq_workers_changes") {
          workers_changed = true;
          continue;
        }
        try {
          tao::json::value payload = tao::json::from_string(n.payload);
          const std::string id = payload.at("id").get_string();
          const tao::json::value* in_batch = payload.find("batch_id");
          const bool joins = !batch_id.empty() && in_batch != nullptr && in_batch->is_string() && in_batch->get_string() == batch_id;
          if (board.has(id) || follow_all || joins) touched.insert(id);
        } catch (const std::exception&) {
          // Not a payload we know; the rows are the truth, so a malformed hint is skipped.
        }
      }
      if (!touched.empty()) board.refresh(*conn, std::vector<std::string>(touched.begin(), touched.end()));
      if (coverage.check(*conn, board.waiting_types(), workers_changed)) board.interrupted();
      if (follow_all) board.forget_old_settled();
      if (!touched.empty() || tty) board.draw();
    } catch (const pg::Error& e) {
      if (!e.connection_lost()) throw;
      conn.reset();
      if (!reported_loss) {
        board.note("connection_lost", "connection lost (" + e.primary() + "); reconnecting every 2 s, Ctrl-C to stop");
      }
      reported_loss = true;
      // Pause before the next attempt; a signal ends the pause (and the watch) at once.
      pollfd sig{signals.fd(), POLLIN, 0};
      ::poll(&sig, 1, 2000);
    }
  }
  if (follow_all) return kExitOk;
  const bool settled = board.all_settled();
  board.summary(settled);
  if (!batch_id.empty()) {
    // The batch's own state, as the database keeps it (settled in the last job's transaction).
    pg::Connection c(conninfo, "examq watch");
    pg::Result r = c.exec(kBatchStatus, batch_id);
    if (r.rows() == 1) {
      const std::string label = r.get<std::string>(0, 0), state = r.get<std::string>(0, 1);
      if (style == WatchStyle::json) {
        print_json_line(out, {{"event", "batch"}, {"time", utc_now()}, {"id", batch_id}, {"label", label},
                              {"state", state}, {"settled", settled}, {"total", r.get<int>(0, 2)},
                              {"completed", r.get<int>(0, 3)}, {"failed", r.get<int>(0, 4)}, {"cancelled", r.get<int>(0, 5)}});
      } else {
        out << "batch " << batch_id << " (" << printable(label) << "): " << state << "\n";
        out.flush();
      }
    }
  }
  return settled && board.all_completed() ? kExitOk : kExitFailure;
}

Command add_watch_command(CLI::App& app) {
  auto o = std::make_shared<WatchOptions>();
  CLI::App* sub = app.add_subcommand("watch", "Follow jobs live (LISTEN processing_jobs_changes) until they settle");
  sub->add_option("JOB_ID", o->ids,
                 "Jobs to follow, by id or unique prefix (default: active and recent jobs, and new ones, until Ctrl-C)")
      ->check(id_prefix_validator());
  sub->add_option("--batch", o->batch,
                  "Follow every job of a batch (its id or a unique prefix, as `examq submit` printed it) until the batch settles")
      ->check(id_prefix_validator())
      ->excludes("JOB_ID");
  add_database_option(*sub, o->db);
  sub->add_flag("--plain", o->plain, "One line per change even on a terminal");
  sub->add_flag("--json", o->json, "One JSON object per line per change (newline-delimited JSON)")->excludes("--plain");
  sub->footer(
      "On a terminal: a progress bar per job with its paper, step, percentage, elapsed time and retries, redrawn\n"
      "in place. Otherwise (or with --plain): one line per change. --json: one object per line for each change\n"
      "(event \"job\"), warning and reconnection, and a \"summary\" at the end (docs/schemas/watch.schema.json).\n"
      "With job ids, ends when they have all settled: exit 0 when all completed, 1 when any failed or was cancelled.\n"
      "--batch: the same for every job of the batch (jobs added to it meanwhile too), then a line with the\n"
      "batch's state (--json: a \"batch\" event after the summary).");
  return {sub, [o]() {
            return run_reporting("watch", o->json, [&]() {
              const WatchStyle style = o->json                                     ? WatchStyle::json
                                       : !o->plain && is_terminal(STDOUT_FILENO) ? WatchStyle::bars
                                                                                 : WatchStyle::lines;
              const std::string conninfo = resolve_database(o->db);
              std::vector<std::string> ids;
              std::string batch;
              if (!o->ids.empty() || !o->batch.empty()) {
                pg::Connection conn(conninfo, "examq watch");
                for (const std::string& id : o->ids) ids.push_back(resolve_job_id(conn, id));
                if (!o->batch.empty()) batch = resolve_batch_id(conn, o->batch);
              }
              return watch_jobs(conninfo, ids, std::cout, style, terminal_columns(STDOUT_FILENO), "watch", batch);
            });
          }};
}

}  // namespace examq::cli
