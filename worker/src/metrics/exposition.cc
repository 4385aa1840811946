#include "metrics/exposition.h"

#include <charconv>
#include <cmath>

namespace examq::metrics {
namespace {

// A label value, quoted, with \, " and newlines escaped as the format asks.
std::string label(std::string_view key, std::string_view value) {
  std::string out(key);
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;  // the shortest text that reads back as v
  return std::string(buf, end);
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, const std::string& labels, const std::string& value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(value).append("\n");
  }
  void histogram(std::string_view name, const std::string& labels, const Histogram& h) {
    const Histogram::Snapshot s = h.snapshot();
    const std::string prefix = labels.empty() ? "" : labels + ",";
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
      const double le = i < h.bounds().size() ? h.bounds()[i] : INFINITY;
      sample(std::string(name) + "_bucket", prefix + label("le", number(le)), std::to_string(s.cumulative[i]));
    }
    sample(std::string(name) + "_sum", labels, number(s.sum));
    sample(std::string(name) + "_count", labels, std::to_string(s.cumulative.back()));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

const char* help(JobEvent e) {
  switch (e) {
    case JobEvent::claimed: return "Jobs this worker claimed (every attempt), by job type.";
    case JobEvent::completed: return "Jobs this worker completed, by job type.";
    case JobEvent::failed: return "Jobs that failed for good in this worker (critical, or out of retries), by job type.";
    case JobEvent::retried: return "Failed attempts in this worker that left the job pending for a retry, by job type.";
    case JobEvent::snoozed: return "Jobs this worker put back for later without using an attempt, by job type.";
    case JobEvent::cancelled: return "Cancellations this worker confirmed, by job type.";
    case JobEvent::released: return "Jobs this worker handed back unfinished (shutdown), by job type.";
    case JobEvent::lease_lost: return "Jobs whose lease this worker lost (another worker took them over), by job type.";
  }
  return "";
}

}  // namespace

std::string exposition(const Registry& registry, const QueueSample& queue, const WorkerInfo& info) {
  Writer w;
  w.family("examq_worker_info", "gauge", "The worker's version and the schema version it needs (always 1).");
  w.sample("examq_worker_info", label("version", info.version) + "," + label("schema_version", std::to_string(info.schema_version)), "1");
  w.family("examq_worker_concurrency", "gauge", "Jobs the worker runs at once at most (--concurrency).");
  w.sample("examq_worker_concurrency", "", std::to_string(info.concurrency));
  w.family("examq_worker_jobs_running", "gauge", "Handlers running in this worker now.");
  w.sample("examq_worker_jobs_running", "", std::to_string(registry.jobs_running.load(std::memory_order_relaxed)));

  for (std::size_t e = 0; e < kJobEvents; ++e) {
    const std::string metric = "examq_jobs_" + std::string(name(static_cast<JobEvent>(e))) + "_total";
    w.family(metric, "counter", help(static_cast<JobEvent>(e)));
    registry.for_each_type([&](const std::string& type, const JobTypeMetrics& m) {
      w.sample(metric, label("job_type", type), std::to_string(m.events[e].load(std::memory_order_relaxed)));
    });
  }
  w.family("examq_job_run_seconds", "histogram", "Time a handler ran in this worker, whatever its outcome, by job type.");
  registry.for_each_type([&](const std::string& type, const JobTypeMetrics& m) {
    w.histogram("examq_job_run_seconds", label("job_type", type), m.run_seconds);
  });
  w.family("examq_lease_renewals_total", "counter", "Job leases this worker's heartbeats extended.");
  w.sample("examq_lease_renewals_total", "", std::to_string(registry.lease_renewals.load(std::memory_order_relaxed)));
  w.family("examq_render_page_seconds", "histogram", "Time a render child took for one page (rendering and its text layer; OCR not included).");
  w.histogram("examq_render_page_seconds", "", registry.render_page_seconds);
  w.family("examq_ocr_page_seconds", "histogram", "Time a render child took to read one scanned page by OCR.");
  w.histogram("examq_ocr_page_seconds", "", registry.ocr_page_seconds);

  w.family("examq_queue_read_ok", "gauge", "1 when the latest reading of the queue from the database succeeded.");
  w.sample("examq_queue_read_ok", "", queue.ok ? "1" : "0");
  if (queue.ok) {
    w.family("examq_queue_depth", "gauge", "Pending jobs whose run_at has come (the whole queue, not only this worker's types), by job type.");
    for (const auto& [type, d] : queue.by_type) w.sample("examq_queue_depth", label("job_type", type), std::to_string(d.due));
    w.family("examq_queue_delayed", "gauge", "Pending jobs whose run_at is still ahead (retry backoff, snooze, scheduled), by job type.");
    for (const auto& [type, d] : queue.by_type) w.sample("examq_queue_delayed", label("job_type", type), std::to_string(d.delayed));
    w.family("examq_queue_oldest_pending_age_seconds", "gauge",
             "How long the oldest due pending job has waited since its run_at (0 when none), by job type.");
    for (const auto& [type, d] : queue.by_type) {
      w.sample("examq_queue_oldest_pending_age_seconds", label("job_type", type), number(d.oldest_due_seconds));
    }
  }
  return w.take();
}

}  // namespace examq::metrics
