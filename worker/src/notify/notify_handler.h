#pragma once
// The `notify` job type: delivers one notification that sql/0012's settle triggers enqueued,
// by email (SMTP) or webhook (signed POST). docs/notifications.md tells the whole story.

#include "handlers/handler.h"
#include "handlers/registry.h"
#include "notify/notify_config.h"

namespace examq::notify {

class NotifyHandler : public handlers::Handler {
 public:
  explicit NotifyHandler(NotifyConfig config) : config_(std::move(config)) {}
  handlers::JobOutcome run(handlers::JobContext& ctx) override;

 private:
  NotifyConfig config_;
};

// Reads the settings (throws std::invalid_argument for a malformed one, whether or not this
// worker runs notify jobs) and registers the handler, or only the type's name when `run` is false.
void register_notify_handlers(handlers::Registry& registry, bool run);

}  // namespace examq::notify
