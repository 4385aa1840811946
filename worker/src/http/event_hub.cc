#include "http/event_hub.h"

#include "pg/array.h"
#include "pg/listener.h"
#include "queue/backoff.h"
#include "util/log.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <map>
#include <optional>
#include <regex>
#include <unordered_set>

namespace examq::http {

struct Change {
  std::string id;
  std::string json;       // compact, one line
  std::string event_id;   // the row's updated_at as the database printed it
};

namespace {

// Transactions stamp updated_at with their start time, so one that started before the client's
// last event may commit after it: a replay reaches back this far.
#define EXAMQ_REPLAY_MARGIN "interval '60 seconds'"

// The same keys as processing_job_change_payload (sql/0010), for rows read from the table.
#define EXAMQ_JOB_EVENT_JSON                                                                           \
  "jsonb_build_object('id', j.id, 'job_type', j.job_type, 'status', j.status, 'priority', j.priority, 'progress_percentage',"  \
  " j.progress_percentage, 'current_step', left(j.current_step, 200), 'exam_paper_id', j.exam_paper_id," \
  " 'retry_count', j.retry_count, 'cancel_requested', j.cancel_requested, 'updated_at', j.updated_at,"  \
  " 'batch_id', j.batch_id)::text"

const pg::Statement kBecomeReader{"examq_http_hub_role", "SELECT set_config('role', $1, false)"};
const pg::Statement kRows{"examq_http_hub_rows",
                          "SELECT " EXAMQ_JOB_EVENT_JSON " FROM processing_jobs j WHERE j.id = ANY ($1::uuid[])"
                          " ORDER BY j.updated_at, j.id"};
const pg::Statement kVisible{"examq_http_hub_visible", "SELECT j.id::text FROM processing_jobs j WHERE j.id = ANY ($1::uuid[])"};
const pg::Statement kVisibleBatches{"examq_http_hub_visible_batches",
                                    "SELECT b.id::text FROM processing_job_batches b WHERE b.id = ANY ($1::uuid[])"};
const pg::Statement kSince{"examq_http_hub_since",
                           "SELECT " EXAMQ_JOB_EVENT_JSON " FROM processing_jobs j"
                           " WHERE j.updated_at >= $1::timestamptz - " EXAMQ_REPLAY_MARGIN
                           " ORDER BY j.updated_at, j.id LIMIT $2::integer"};
const pg::Statement kChangedIds{"examq_http_hub_changed",
                                "SELECT j.id::text FROM processing_jobs j"
                                " WHERE j.updated_at >= $1::timestamptz - " EXAMQ_REPLAY_MARGIN " LIMIT 10000"};

// A change from a JSON object with "id" and "updated_at"; nullopt when it lacks them.
std::optional<Change> change_of(const tao::json::value& v) {
  if (!v.is_object()) return std::nullopt;
  const auto* id = v.find("id");
  const auto* at = v.find("updated_at");
  if (id == nullptr || !id->is_string() || at == nullptr || !at->is_string()) return std::nullopt;
  return Change{id->get_string(), tao::json::to_string(v), at->get_string()};
}

}  // namespace

bool is_event_id(const std::string& text) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:\d{2})?)?$)");
  return text.size() < 64 && std::regex_match(text, re);
}

std::string format_job_event(const std::string& json, const std::string& event_id) {
  return "id: " + event_id + "\nevent: job\ndata: " + json + "\n\n";
}

std::optional<std::pair<std::string, std::string>> format_batch_event(const std::string& payload) {
  try {
    const tao::json::value v = tao::json::from_string(payload);
    const std::string& op = v.at("op").get_string();
    const std::string& id = v.at("batch_id").get_string();
    const auto n = [&](const char* key) { return v.at(key).as<std::int64_t>(); };
    const bool settled = op == "SETTLED";
    if (!settled && op != "REOPENED") return std::nullopt;
    const tao::json::value data{{"batchId", id},
                                {"op", settled ? "settled" : "reopened"},
                                {"state", !settled ? "running" : n("failed") + n("cancelled") == 0 ? "completed" : "completed_with_errors"},
                                {"total", n("total")},
                                {"completed", n("completed")},
                                {"failed", n("failed")},
                                {"cancelled", n("cancelled")}};
    // No id: a batch's state is not replayed on resume (GET /api/batches/{id} reads it).
    return std::make_pair(id, "event: batch\ndata: " + tao::json::to_string(data) + "\n\n");
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string format_delete_event(const std::string& json) {
  // No id: a deleted row has no updated_at to resume from; the stream keeps its last id.
  return "event: delete\ndata: " + json + "\n\n";
}

EventHub::EventHub(std::string conninfo, std::string reader_role, CallerDb& db)
    : conninfo_(std::move(conninfo)), reader_role_(std::move(reader_role)), db_(db) {}

EventHub::~EventHub() { stop(); }

void EventHub::start() { thread_ = std::thread([this] { loop(); }); }

void EventHub::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void EventHub::subscribe(const std::shared_ptr<EventSubscriber>& s) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(s);
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& w : subscribers_) {
    if (auto s = w.lock(); s && !s->closed()) ++n;
  }
  return n;
}

std::vector<std::string> EventHub::replay(const Claims& caller, const std::string& since, int limit) {
  return db_.run(caller, [&](pg::Connection& c) {
    std::vector<std::string> out;
    pg::Result r = c.exec(kSince, since, limit);
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      if (auto ch = change_of(tao::json::from_string(r.get<std::string>(i, 0)))) out.push_back(format_job_event(ch->json, ch->event_id));
    }
    return out;
  });
}

void EventHub::loop() {
  pg::Listener listener({"processing_jobs_changes", "processing_job_batches_changes"});
  queue::Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
  std::unique_ptr<pg::Connection> conn;
  std::vector<pg::Notification> notes;
  bool was_connected = false;
  while (!stop_.load()) {
    try {
      if (!conn) {
        conn = std::make_unique<pg::Connection>(conninfo_, "examq serve events");
        conn->exec(kBecomeReader, reader_role_);
        listener.subscribe(*conn);
        listening_.store(true);
        backoff.reset();
        std::string since;
        {
          std::lock_guard lock(mu_);
          since = last_event_id_;
        }
        if (was_connected && !since.empty()) {
          util::log_event(spdlog::level::info, "db.reconnected", {{"component", "events"}});
          // Notifications sent while we were away are lost: catch up from the table.
          std::vector<std::string> ids;
          pg::Result r = conn->exec(kChangedIds, since);
          for (int i = 0; i < r.rows(); ++i) ids.push_back(r.get<std::string>(i, 0));
          if (!ids.empty()) dispatch(*conn, {}, ids);
        }
        was_connected = true;
      }
      notes.clear();
      listener.wait(*conn, nullptr, std::chrono::steady_clock::now() + std::chrono::milliseconds(500), notes);
      if (notes.empty()) continue;
      // A full payload (sql/0005) is the event itself, so every change is passed on as it
      // happened; a minimal one (examq.notify_payload = 'minimal') only names the job: read it.
      std::vector<Change> ready;
      std::vector<std::string> to_read, deletes;
      std::vector<std::pair<std::string, std::string>> batches;
      std::unordered_set<std::string> reading;
      for (const pg::Notification& n : notes) {
        if (n.channel == "processing_job_batches_changes") {
          if (auto b = format_batch_event(n.payload)) batches.push_back(std::move(*b));
          continue;
        }
        try {
          tao::json::value v = tao::json::from_string(n.payload);
          if (auto ch = change_of(v)) {
            ready.push_back(std::move(*ch));
          } else if (const auto* op = v.is_object() ? v.find("op") : nullptr; op != nullptr && op->is_string() && op->get_string() == "DELETE") {
            deletes.push_back(format_delete_event(tao::json::to_string(v)));
          } else if (const auto* id = v.is_object() ? v.find("id") : nullptr; id != nullptr && id->is_string()) {
            if (reading.insert(id->get_string()).second) to_read.push_back(id->get_string());
          }
        } catch (const std::exception&) {
          // Not ours (someone else's NOTIFY on the channel): ignore.
        }
      }
      if (!ready.empty() || !to_read.empty()) dispatch(*conn, std::move(ready), to_read);
      if (!deletes.empty()) deliver_to_admins(deletes);
      if (!batches.empty()) dispatch_batches(batches);
    } catch (const pg::Error& e) {
      listening_.store(false);
      util::log_event(spdlog::level::warn, "db.connection_lost", {{"component", "events"}, {"error", e.what()}});
      conn.reset();
      const auto pause = backoff.next();
      for (auto until = std::chrono::steady_clock::now() + pause; !stop_.load() && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  listening_.store(false);
}

void EventHub::deliver_to_admins(const std::vector<std::string>& texts) {
  // Who may have seen a deleted row cannot be asked of row-level security any more (the row is
  // gone): only admins, who see every job, are told.
  std::vector<std::shared_ptr<EventSubscriber>> admins;
  {
    std::lock_guard lock(mu_);
    for (const auto& w : subscribers_) {
      if (auto s = w.lock(); s && !s->closed() && s->caller().admin) admins.push_back(std::move(s));
    }
  }
  for (const auto& s : admins) {
    for (const std::string& t : texts) s->deliver(t);
  }
}

std::vector<std::shared_ptr<EventSubscriber>> EventHub::live_subscribers() {
  std::vector<std::shared_ptr<EventSubscriber>> live;
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [&](const std::weak_ptr<EventSubscriber>& w) {
    auto s = w.lock();
    if (!s || s->closed()) return true;
    live.push_back(std::move(s));
    return false;
  });
  return live;
}

void EventHub::deliver_visible(const std::vector<std::shared_ptr<EventSubscriber>>& live, const pg::Statement& visible,
                               const std::vector<std::string>& ids, const std::vector<std::string>& texts) {
  // Admins see every row. Anyone else gets what `visible` returns under their own claims (row-level
  // security decides), asked once per distinct set of claims, not once per subscriber.
  std::map<std::string, std::unordered_set<std::string>> visible_by_claims;
  for (const auto& s : live) {
    if (s->caller().admin) {
      for (const std::string& t : texts) s->deliver(t);
      continue;
    }
    const std::string key = tao::json::to_string(s->caller().json);
    auto it = visible_by_claims.find(key);
    if (it == visible_by_claims.end()) {
      std::unordered_set<std::string> seen;
      try {
        seen = db_.run(s->caller(), [&](pg::Connection& c) {
          std::unordered_set<std::string> out;
          pg::Result r = c.exec(visible, pg::array_literal(ids));
          for (int i = 0; i < r.rows(); ++i) out.insert(r.get<std::string>(i, 0));
          return out;
        });
      } catch (const ApiError&) {
        // No role for this caller, or the database refused: it sees nothing.
      }
      it = visible_by_claims.emplace(key, std::move(seen)).first;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (it->second.count(ids[i]) != 0) s->deliver(texts[i]);
    }
  }
}

void EventHub::dispatch_batches(const std::vector<std::pair<std::string, std::string>>& batches) {
  const auto live = live_subscribers();
  if (live.empty()) return;
  std::vector<std::string> ids, texts;
  for (const auto& b : batches) {
    ids.push_back(b.first);
    texts.push_back(b.second);
  }
  // Non-admins see none today (batches are admins'), but ask row-level security, not a rule here.
  deliver_visible(live, kVisibleBatches, ids, texts);
}

void EventHub::dispatch(pg::Connection& conn, std::vector<Change> changes, const std::vector<std::string>& read_ids) {
  if (!read_ids.empty()) {
    pg::Result r = conn.exec(kRows, pg::array_literal(read_ids));
    for (int i = 0; i < r.rows(); ++i) {
      if (auto ch = change_of(tao::json::from_string(r.get<std::string>(i, 0)))) changes.push_back(std::move(*ch));
    }
  }
  if (changes.empty()) return;
  {
    std::lock_guard lock(mu_);
    last_event_id_ = changes.back().event_id;
  }
  const auto live = live_subscribers();
  if (live.empty()) return;

  std::vector<std::string> ids, texts;
  ids.reserve(changes.size());
  texts.reserve(changes.size());
  for (const Change& ch : changes) {
    ids.push_back(ch.id);
    texts.push_back(format_job_event(ch.json, ch.event_id));
  }
  deliver_visible(live, kVisible, ids, texts);
}

}  // namespace examq::http
