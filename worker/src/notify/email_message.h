#pragma once
// A notification as an Internet message (RFC 5322, MIME): multipart/alternative with a plain-text
// and an HTML part (both UTF-8, base64 so no line is ever too long), one message per notify job.

#include "notify/notification.h"

#include <chrono>
#include <string>

namespace examq::notify {

struct Envelope {
  std::string from;  // a plain address (EXAMQ_SMTP_FROM)
  std::string to;    // a plain address (the preference row's email)
  std::chrono::system_clock::time_point date;
};

// The whole message, CRLF line ends. Message-ID is derived from the notify job's id, so a retry
// that resends after a lost reply carries the same id and mail clients can drop the duplicate.
// Throws handlers::JobError (critical) when a header value holds CR or LF (no header injection).
std::string compose_email(const Notification& n, const Envelope& envelope, const std::string& public_url);

// The Subject's text before encoding: "examq: " and the headline (summary_text.h).
std::string email_subject(const Notification& n);

// & < > " ' as entities.
std::string html_escape(const std::string& text);

}  // namespace examq::notify
