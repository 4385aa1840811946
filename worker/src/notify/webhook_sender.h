#pragma once
// Delivering a webhook: one JSON POST, under the PDF fetcher's address policy (every connection
// checked, proxies included: pipeline/connection_guard.h), TLS verification on, no redirects
// (the signed body would follow them anywhere).

#include "pipeline/address_policy.h"
#include "util/duration.h"

#include <string>
#include <vector>

namespace examq::notify {

struct WebhookRequest {
  std::string url;
  std::string body;                  // JSON
  std::vector<std::string> headers;  // "Name: value"
};

// Throws handlers::JobError naming the URL as redact_url() shows it: non-critical for what a
// retry may fix (connection refused, timeouts, HTTP 408, 429, 5xx), critical for the rest (an
// address the policy refuses, a redirect, other 4xx).
void post_webhook(const WebhookRequest& request, const pipeline::AddressPolicy& allow, util::Duration timeout);

}  // namespace examq::notify
