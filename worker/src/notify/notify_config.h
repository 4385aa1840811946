#pragma once
// The notify handler's settings, read once at start-up from EXAMQ_* variables
// (docs/configuration.md#notifications). What a job needs but is missing (no SMTP server for an
// email, no secret for a webhook) fails that job, not the worker: a worker that never sends
// notifications needs none of it.

#include "pipeline/address_policy.h"
#include "util/duration.h"

#include <string>

namespace examq::notify {

struct NotifyConfig {
  // EXAMQ_SMTP_URL: smtp://host[:port] (STARTTLS) or smtps://host[:port] (implicit TLS); user
  // and password may be in it, or in EXAMQ_SMTP_USER / EXAMQ_SMTP_PASSWORD. Never logged.
  std::string smtp_url;
  std::string smtp_user;
  std::string smtp_password;
  // EXAMQ_SMTP_FROM: the sender address (From and the envelope).
  std::string smtp_from = "examq@localhost";
  // EXAMQ_PUBLIC_URL: where people reach the web page; messages link to it when set.
  std::string public_url;
  // EXAMQ_WEBHOOK_SECRET: the HMAC-SHA256 key webhook bodies are signed with.
  std::string webhook_secret;
  // EXAMQ_FETCH_ALLOW: webhooks obey the PDF fetcher's address policy.
  pipeline::AddressPolicy allow;
  // The longest one delivery (an SMTP session or a POST) may take.
  util::Duration timeout = std::chrono::seconds(30);

  // Throws std::invalid_argument naming the variable when one is malformed.
  static NotifyConfig from_env();
};

}  // namespace examq::notify
