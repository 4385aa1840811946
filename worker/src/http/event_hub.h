#pragma once
// Live job events for HTTP clients (GET /api/events): one LISTEN processing_jobs_changes
// connection for the whole server, however many clients. A notification only says which job
// changed; the hub reads the job's current row (so it works with examq.notify_payload =
// 'minimal' too) and hands each subscriber the rows its caller may see: an admin all of them,
// anyone else what a query under their own claims returns (row-level security decides).
//
// With full notification payloads (sql/0005) each notification is passed on as it came, so a
// client sees every change; with minimal ones the hub reads the job's row (changes in between
// may be coalesced). An event's id is the row's updated_at as the database printed it. A client
// that reconnects with Last-Event-ID is sent, from the table, every job it may see that changed
// since then (less a safety margin for transactions that committed late), then the live stream:
// nothing is lost, some states may come twice.
//
// It also LISTENs on processing_job_batches_changes (sql/0010): when a batch settles or reopens,
// each subscriber who may see the batch (RLS again: admins) gets an `event: batch`. Those are
// live only: a resume does not replay them.

#include "http/caller_db.h"
#include "http/jwt.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace examq::http {

// One client's stream. deliver() is called from the hub's thread and must not block.
class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  virtual const Claims& caller() const = 0;
  virtual void deliver(std::string event_text) = 0;
  virtual bool closed() const = 0;
};

// The SSE text of one change: compact JSON, and its id (the row's updated_at).
std::string format_job_event(const std::string& json, const std::string& event_id);
// The SSE text of deleted jobs: {"op": "DELETE", "count", "ids"} ("ids" null past 1000 rows).
std::string format_delete_event(const std::string& json);
// A batch notification (sql/0010: {"op": SETTLED|REOPENED, "batch_id", "total", "completed",
// "failed", "cancelled"}) as the batch id and the SSE text of an `event: batch`, whose data is
// {"batchId", "op": settled|reopened, "state", "total", "completed", "failed", "cancelled"};
// nullopt for a payload that is not one.
std::optional<std::pair<std::string, std::string>> format_batch_event(const std::string& payload);
// Whether text looks like an event id this server sends (a timestamp), before it reaches SQL.
bool is_event_id(const std::string& text);

struct Change;

class EventHub {
 public:
  // reader_role: a role that sees every job (the admin role); the hub reads rows as it.
  EventHub(std::string conninfo, std::string reader_role, CallerDb& db);
  ~EventHub();

  void start();
  void stop();

  void subscribe(const std::shared_ptr<EventSubscriber>& s);
  // The SSE texts of every job `caller` may see that changed at or after since_micros minus the
  // safety margin, oldest first, at most `limit`. Runs on the calling thread (a DB worker).
  std::vector<std::string> replay(const Claims& caller, const std::string& since_event_id, int limit);

  std::size_t subscribers() const;
  bool listening() const { return listening_.load(); }

 private:
  void loop();
  void dispatch(pg::Connection& conn, std::vector<Change> changes, const std::vector<std::string>& read_ids);
  void deliver_to_admins(const std::vector<std::string>& texts);
  // Batch events (id, SSE text) to the subscribers who may see each batch.
  void dispatch_batches(const std::vector<std::pair<std::string, std::string>>& batches);
  // The open subscribers (closed ones are dropped from the list).
  std::vector<std::shared_ptr<EventSubscriber>> live_subscribers();
  // Delivers texts[i], the event about row ids[i], to each of `live` that may see that row.
  void deliver_visible(const std::vector<std::shared_ptr<EventSubscriber>>& live, const pg::Statement& visible,
                       const std::vector<std::string>& ids, const std::vector<std::string>& texts);

  const std::string conninfo_;
  const std::string reader_role_;
  CallerDb& db_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<EventSubscriber>> subscribers_;
  std::string last_event_id_;  // the latest event passed on, to catch up after a reconnect
};

}  // namespace examq::http
