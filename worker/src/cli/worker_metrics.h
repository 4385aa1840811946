#pragma once
// `examq worker --metrics-listen HOST:PORT`: the Prometheus endpoint, off unless asked for.
//
// Loopback addresses only, unless --metrics-allow-remote: the page has no authentication, and
// says which job types run, how many and how fast, and how long the queue is. A scraper on
// another machine is allowed explicitly (and then belongs behind a firewall).

#include "cli/listen_address.h"
#include "cli/worker_command.h"
#include "queue/config.h"

#include <memory>
#include <optional>

namespace examq::cli {

// Where to serve, or nullopt when --metrics-listen is not given. Throws std::invalid_argument
// for a malformed address, or a non-loopback one without --metrics-allow-remote.
std::optional<ListenAddress> metrics_address(const WorkerOptions& options);

class MetricsEndpoint;

// Binds and serves until the returned object is destroyed; logs metrics.listening with the
// address bound (port 0 picks one). Throws std::system_error when it cannot bind.
std::shared_ptr<MetricsEndpoint> start_metrics_endpoint(const ListenAddress& address, const queue::WorkerConfig& config);

}  // namespace examq::cli
