#include "http/event_hub.h"

#include "pg/array.h"
#include "pg/listener.h"
#include "queue/backoff.h"
#include "util/log.h"

#include <tao/json/from_string.hpp>
#include <tao/json/to_string.hpp>

#include <map>
#include <unordered_set>

namespace examq::http {
namespace {

// Transactions stamp updated_at with their start time, so one that started before the client's
// last event may commit after it: a replay reaches back this far.
constexpr std::int64_t kReplayMarginMicros = 60LL * 1000 * 1000;

#define EXAMQ_JOB_EVENT_COLUMNS                                                                         \
  "jsonb_build_object('id', j.id, 'job_type', j.job_type, 'status', j.status, 'progress_percentage',"  \
  " j.progress_percentage, 'current_step', j.current_step, 'exam_paper_id', j.exam_paper_id,"         \
  " 'retry_count', j.retry_count, 'cancel_requested', j.cancel_requested, 'updated_at', j.updated_at)::text," \
  " (extract(epoch FROM j.updated_at) * 1000000)::bigint"

const pg::Statement kBecomeReader{"examq_http_hub_role", "SELECT set_config('role', $1, false)"};
const pg::Statement kRows{"examq_http_hub_rows",
                          "SELECT " EXAMQ_JOB_EVENT_COLUMNS " FROM processing_jobs j WHERE j.id = ANY ($1::uuid[])"
                          " ORDER BY j.updated_at, j.id"};
const pg::Statement kVisible{"examq_http_hub_visible", "SELECT j.id::text FROM processing_jobs j WHERE j.id = ANY ($1::uuid[])"};
const pg::Statement kSince{"examq_http_hub_since",
                           "SELECT " EXAMQ_JOB_EVENT_COLUMNS " FROM processing_jobs j"
                           " WHERE j.updated_at >= to_timestamp($1::float8 / 1000000) ORDER BY j.updated_at, j.id LIMIT $2::integer"};
const pg::Statement kChangedIds{"examq_http_hub_changed",
                                "SELECT j.id::text FROM processing_jobs j WHERE j.updated_at >= to_timestamp($1::float8 / 1000000)"
                                " LIMIT 10000"};

struct Row {
  std::string id;
  std::string json;
  std::int64_t micros;
};

}  // namespace

std::string format_job_event(const std::string& row_json, std::int64_t micros) {
  // Compact, one line (so one data: field), whatever spacing the database printed.
  return "id: " + std::to_string(micros) + "\nevent: job\ndata: " + tao::json::to_string(tao::json::from_string(row_json)) + "\n\n";
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

std::vector<std::string> EventHub::replay(const Claims& caller, std::int64_t since_micros, int limit) {
  return db_.run(caller, [&](pg::Connection& c) {
    std::vector<std::string> out;
    pg::Result r = c.exec(kSince, std::to_string(std::max<std::int64_t>(0, since_micros - kReplayMarginMicros)), limit);
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) out.push_back(format_job_event(r.get<std::string>(i, 0), r.get<std::int64_t>(i, 1)));
    return out;
  });
}

void EventHub::loop() {
  pg::Listener listener({"processing_jobs_changes"});
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
        if (was_connected) {
          util::log_event(spdlog::level::info, "db.reconnected", {{"component", "events"}});
          // Notifications sent while we were away are lost: catch up from the table.
          std::vector<std::string> ids;
          std::int64_t since;
          {
            std::lock_guard lock(mu_);
            since = last_micros_ - kReplayMarginMicros;
          }
          pg::Result r = conn->exec(kChangedIds, std::to_string(std::max<std::int64_t>(0, since)));
          for (int i = 0; i < r.rows(); ++i) ids.push_back(r.get<std::string>(i, 0));
          if (!ids.empty()) dispatch(*conn, ids);
        }
        was_connected = true;
      }
      notes.clear();
      listener.wait(*conn, nullptr, std::chrono::steady_clock::now() + std::chrono::milliseconds(500), notes);
      if (notes.empty()) continue;
      std::vector<std::string> ids;
      std::unordered_set<std::string> seen;
      for (const pg::Notification& n : notes) {
        try {
          tao::json::value v = tao::json::from_string(n.payload);
          const tao::json::value* id = v.is_object() ? v.find("id") : nullptr;
          if (id != nullptr && id->is_string() && seen.insert(id->get_string()).second) ids.push_back(id->get_string());
        } catch (const std::exception&) {
          // Not ours (someone else's NOTIFY on the channel): ignore.
        }
      }
      if (!ids.empty()) dispatch(*conn, ids);
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

void EventHub::dispatch(pg::Connection& conn, const std::vector<std::string>& ids) {
  std::vector<Row> rows;
  {
    pg::Result r = conn.exec(kRows, pg::array_literal(ids));
    rows.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      tao::json::value v = tao::json::from_string(r.get<std::string>(i, 0));
      rows.push_back({v.at("id").get_string(), r.get<std::string>(i, 0), r.get<std::int64_t>(i, 1)});
    }
  }
  if (rows.empty()) return;

  std::vector<std::shared_ptr<EventSubscriber>> live;
  {
    std::lock_guard lock(mu_);
    for (const Row& row : rows) last_micros_ = std::max(last_micros_, row.micros);
    std::erase_if(subscribers_, [&](const std::weak_ptr<EventSubscriber>& w) {
      auto s = w.lock();
      if (!s || s->closed()) return true;
      live.push_back(std::move(s));
      return false;
    });
  }
  if (live.empty()) return;

  std::vector<std::string> texts;
  texts.reserve(rows.size());
  for (const Row& row : rows) texts.push_back(format_job_event(row.json, row.micros));

  // Non-admins: one visibility query per distinct set of claims, under those claims.
  std::map<std::string, std::unordered_set<std::string>> visible_by_claims;
  std::vector<std::string> row_ids;
  for (const Row& row : rows) row_ids.push_back(row.id);
  for (const auto& s : live) {
    if (s->caller().admin) {
      for (const std::string& t : texts) s->deliver(t);
      continue;
    }
    const std::string key = tao::json::to_string(s->caller().json);
    auto it = visible_by_claims.find(key);
    if (it == visible_by_claims.end()) {
      std::unordered_set<std::string> visible;
      try {
        visible = db_.run(s->caller(), [&](pg::Connection& c) {
          std::unordered_set<std::string> out;
          pg::Result r = c.exec(kVisible, pg::array_literal(row_ids));
          for (int i = 0; i < r.rows(); ++i) out.insert(r.get<std::string>(i, 0));
          return out;
        });
      } catch (const ApiError&) {
        // No role for this caller, or the database refused: it sees nothing.
      }
      it = visible_by_claims.emplace(key, std::move(visible)).first;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (it->second.count(rows[i].id) != 0) s->deliver(texts[i]);
    }
  }
}

}  // namespace examq::http
