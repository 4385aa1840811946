#include "notify/email_message.h"

#include "ai/base64.h"
#include "handlers/handler.h"
#include "notify/summary_text.h"

#include <ctime>

namespace examq::notify {
namespace {

using handlers::JobError;

// A header line; values come partly from the database, so CR and LF are refused outright
// rather than stripped: a value that holds them is not what anyone meant to send.
const std::string& checked(const std::string& name, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos) {
    throw JobError("notify: the " + name + " header would contain a line break; not sent", true);
  }
  return value;
}

std::string header(const std::string& name, const std::string& value) { return name + ": " + checked(name, value) + "\r\n"; }

bool ascii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded words (UTF-8, base64) for a non-ASCII Subject, each line under 78 characters,
// cut between UTF-8 sequences and folded onto continuation lines.
std::string encode_words(const std::string& text) {
  if (ascii(text)) return text;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(start + 39, text.size());
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + ai::base64_encode(std::string_view(text).substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// Base64 in 76-character lines (RFC 2045).
std::string base64_lines(const std::string& body) {
  const std::string encoded = ai::base64_encode(body);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

// RFC 5322 date, always UTC and in English whatever the locale.
std::string rfc5322_date(std::chrono::system_clock::time_point when) {
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string text_part(const Notification& n, const std::string& link) {
  std::string s = headline(n) + ".\r\n\r\n";
  for (const PaperLine& p : n.papers) s += "- " + paper_name(p) + ": " + paper_summary(p) + "\r\n";
  if (!link.empty()) s += "\r\nSee them at " + link + "\r\n";
  s += "\r\n-- \r\nexamq (notify job " + n.notify_job_id + ")\r\n";
  return s;
}

std::string html_part(const Notification& n, const std::string& link) {
  std::string s = "<!DOCTYPE html>\r\n<html><body>\r\n<p>" + html_escape(headline(n)) + ".</p>\r\n<ul>\r\n";
  for (const PaperLine& p : n.papers) {
    s += "<li><strong>" + html_escape(paper_name(p)) + "</strong>: " + html_escape(paper_summary(p)) + "</li>\r\n";
  }
  s += "</ul>\r\n";
  if (!link.empty()) s += "<p><a href=\"" + html_escape(link) + "\">See them in examq</a></p>\r\n";
  s += "<p style=\"color:#666\">examq (notify job " + html_escape(n.notify_job_id) + ")</p>\r\n</body></html>\r\n";
  return s;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string email_subject(const Notification& n) { return "examq: " + headline(n); }

std::string compose_email(const Notification& n, const Envelope& envelope, const std::string& public_url) {
  const std::string link = web_link(public_url);
  const std::string domain = envelope.from.substr(envelope.from.find('@') + 1);
  // Base64 never contains '-', so this boundary cannot occur inside a part.
  const std::string boundary = "examq-" + n.notify_job_id;
  std::string m;
  m += header("From", envelope.from);
  m += header("To", envelope.to);
  // Checked before encoding: the encoded form folds onto continuation lines on purpose.
  m += "Subject: " + encode_words(checked("Subject", email_subject(n))) + "\r\n";
  m += header("Date", rfc5322_date(envelope.date));
  m += header("Message-ID", "<" + n.notify_job_id + "@" + domain + ">");
  m += header("MIME-Version", "1.0");
  m += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  for (const auto& [type, body] : {std::pair{"text/plain", text_part(n, link)}, std::pair{"text/html", html_part(n, link)}}) {
    m += "--" + boundary + "\r\n";
    m += std::string("Content-Type: ") + type + "; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(body);
  }
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace examq::notify
