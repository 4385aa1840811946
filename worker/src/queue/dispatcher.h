#pragma once
// Claims work. On its own connection it LISTENs on processing_jobs_available and claims with
// get_next_processing_jobs as soon as a notification arrives, when executors free up, or when
// the poll interval passes without news (notifications are hints and can be missed). Claims
// never wait for running jobs: a slow job only holds its own executor.
//
// While claim after claim comes back full it stops listening (the notifications could only
// say what it already knows, and reading them costs the server), and listens again, then
// claims once more, before it next waits.
//
// With --listen-db apart from --db, LISTEN has a session of its own (direct to PostgreSQL) and
// the claims go through --db (a transaction-mode pooler); either reconnecting means a claim.
//
// After every (re)connect it LISTENs again, hands back orphans (jobs the database says this
// worker holds but the worker does not know: a claim whose reply was lost when the
// connection broke) and claims at once.

#include "pg/listener.h"
#include "queue/session.h"
#include "queue/worker_state.h"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

namespace examq::queue {

class Dispatcher {
 public:
  // on_fatal is called (from the dispatcher thread) when claiming cannot work at all, e.g.
  // the schema is not installed; the worker then shuts down.
  Dispatcher(WorkerState& state, std::function<void(const std::string&)> on_fatal);
  ~Dispatcher();

  void start();
  // Stops claiming, joins the thread and closes the dispatcher's session.
  void stop();

 private:
  void loop();
  // A new claim session: checks the schema, hands back orphans; LISTENs too unless
  // listen_session_ does.
  void on_connect(pg::Connection& conn);
  // A new LISTEN session (only with --listen-db apart from --db): LISTENs.
  void on_listen_connect(pg::Connection& conn);
  void release_orphans(pg::Connection& conn);
  // `fresh` is a new attempt of a job `stale` (an older attempt) still runs here: stop the
  // stale run and make the fresh one start only after it has finished.
  void supersede(const std::shared_ptr<JobRun>& stale, JobRun& fresh);
  // Claims up to n jobs and queues them; returns how many it got.
  int claim(pg::Connection& conn, int n);
  // True when any notification in `notes` may concern our job types.
  bool relevant(const std::vector<pg::Notification>& notes) const;
  bool sleep(util::Duration d);

  WorkerState& state_;
  std::function<void(const std::string&)> on_fatal_;
  pg::Listener listener_;
  Session session_;
  // With --listen-db apart from --db (a transaction-mode pooler): the direct session that
  // LISTENs; claims then go through session_. Null: session_ does both.
  std::unique_ptr<Session> listen_session_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool need_claim_ = true;
  bool listening_ = false;
  bool ready_told_ = false;  // WorkerState::ready_part_done called (first connection made)
  int full_batches_ = 0;
};

}  // namespace examq::queue
