#include "cli/worker_metrics.h"

#include "metrics/exporter.h"
#include "metrics/exposition.h"
#include "metrics/queue_sampler.h"
#include "schema/compatibility.h"
#include "util/log.h"

#include <stdexcept>

namespace examq::cli {

namespace {
// The queue gauges cost a query over the pending jobs: at most this often, however many scrape.
constexpr std::chrono::seconds kQueueReadInterval{5};
}  // namespace

class MetricsEndpoint {
 public:
  MetricsEndpoint(const ListenAddress& address, const queue::WorkerConfig& config)
      : info_{EXAMQ_VERSION, schema::required_version(), config.concurrency},
        sampler_(config.conninfo, kQueueReadInterval),
        exporter_(address.host, address.port,
                  [this] { return metrics::exposition(metrics::registry(), sampler_.latest(), info_); }) {}

  void start() {
    exporter_.start();
    sampler_.start();
  }
  unsigned short port() const { return exporter_.port(); }

 private:
  const metrics::WorkerInfo info_;
  metrics::QueueSampler sampler_;
  metrics::Exporter exporter_;  // declared last: stopped first, while the sampler still exists
};

std::optional<ListenAddress> metrics_address(const WorkerOptions& o) {
  if (o.metrics_listen.empty()) return std::nullopt;
  ListenAddress a = parse_listen_address(o.metrics_listen, "--metrics-listen");
  if (!is_loopback(a.host) && !o.metrics_allow_remote) {
    throw std::invalid_argument("--metrics-listen " + o.metrics_listen +
                                " is not a loopback address: the metrics page has no authentication; add "
                                "--metrics-allow-remote (EXAMQ_METRICS_ALLOW_REMOTE=1) to serve it to other machines");
  }
  return a;
}

std::shared_ptr<MetricsEndpoint> start_metrics_endpoint(const ListenAddress& address, const queue::WorkerConfig& config) {
  auto endpoint = std::make_shared<MetricsEndpoint>(address, config);
  endpoint->start();
  const std::string host = address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
  util::log_event(spdlog::level::info, "metrics.listening",
                  {{"url", "http://" + host + ":" + std::to_string(endpoint->port()) + "/metrics"}});
  return endpoint;
}

}  // namespace examq::cli
