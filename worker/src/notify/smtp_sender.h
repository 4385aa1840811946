#pragma once
// Sending one message over SMTP with libcurl. smtps:// is TLS from the first byte; smtp://
// must upgrade with STARTTLS, except to a loopback host (a local relay or a test server),
// where STARTTLS is used when offered and plain SMTP otherwise: the traffic never leaves the
// machine. TLS peer and host verification are always on. Credentials (in the URL, or
// EXAMQ_SMTP_USER / EXAMQ_SMTP_PASSWORD) never reach a log or an error message.

#include "util/duration.h"

#include <string>

namespace examq::notify {

struct SmtpServer {
  std::string url;  // smtp://host[:port] or smtps://host[:port], maybe with user info
  std::string user;
  std::string password;
  util::Duration timeout = std::chrono::seconds(30);
};

// Whether smtp:// to `host` may stay unencrypted when the server offers no STARTTLS.
bool loopback_host(const std::string& host);

// Sends `message` (CRLF lines, headers included) from `from` to `to`. Throws
// handlers::JobError naming the server (its URL without credentials): critical for what a
// retry cannot fix (a malformed URL, login denied, no STARTTLS where it is required, a
// certificate that does not verify), non-critical for the rest (a server down or slow, or
// answering with an SMTP error: a full mailbox or a greylisting relay recovers).
void send_email(const SmtpServer& server, const std::string& from, const std::string& to, const std::string& message);

}  // namespace examq::notify
