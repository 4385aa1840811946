#include "notify/notify_config.h"

#include <cstdlib>
#include <stdexcept>

namespace examq::notify {

NotifyConfig NotifyConfig::from_env() {
  // Unset and empty mean the same: a variable cleared in a service file is not a value.
  auto set = [](const char* name, std::string& into) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') into = v;
  };
  NotifyConfig c;
  set("EXAMQ_SMTP_URL", c.smtp_url);
  set("EXAMQ_SMTP_USER", c.smtp_user);
  set("EXAMQ_SMTP_PASSWORD", c.smtp_password);
  set("EXAMQ_SMTP_FROM", c.smtp_from);
  set("EXAMQ_PUBLIC_URL", c.public_url);
  set("EXAMQ_WEBHOOK_SECRET", c.webhook_secret);
  std::string allow;
  set("EXAMQ_FETCH_ALLOW", allow);
  c.allow = pipeline::AddressPolicy::parse(allow);  // its errors name the variable
  if (!c.smtp_url.empty() && c.smtp_url.rfind("smtp://", 0) != 0 && c.smtp_url.rfind("smtps://", 0) != 0) {
    throw std::invalid_argument("EXAMQ_SMTP_URL must start with smtp:// or smtps://");
  }
  if (c.smtp_from.find_first_of("\r\n<>") != std::string::npos || c.smtp_from.find('@') == std::string::npos) {
    throw std::invalid_argument("EXAMQ_SMTP_FROM must be a plain address such as examq@example.org");
  }
  return c;
}

}  // namespace examq::notify
