#include "notify/notify_handler.h"

#include "notify/email_message.h"
#include "notify/notification.h"
#include "notify/signature.h"
#include "notify/smtp_sender.h"
#include "notify/webhook_body.h"
#include "notify/webhook_sender.h"
#include "pipeline/url_fetcher.h"

#include <chrono>

namespace examq::notify {
namespace {

using handlers::JobError;

void send_by_email(const NotifyConfig& config, const Notification& n) {
  if (config.smtp_url.empty()) throw JobError("EXAMQ_SMTP_URL is not set", true);
  const std::string message =
      compose_email(n, Envelope{config.smtp_from, n.to, std::chrono::system_clock::now()}, config.public_url);
  send_email(SmtpServer{config.smtp_url, config.smtp_user, config.smtp_password, config.timeout}, config.smtp_from, n.to,
             message);
}

void send_by_webhook(const NotifyConfig& config, const Notification& n) {
  if (config.webhook_secret.empty()) throw JobError("EXAMQ_WEBHOOK_SECRET is not set: webhooks are never sent unsigned", true);
  WebhookRequest request;
  request.url = n.to;
  request.body = webhook_body(n, config.public_url);
  // A fresh timestamp per attempt: receivers reject old ones, and a retry is a new delivery.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  request.headers = {"X-Examq-Timestamp: " + std::to_string(now),
                     "X-Examq-Signature: " + webhook_signature(config.webhook_secret, now, request.body),
                     "X-Examq-Event: " + n.event};
  post_webhook(request, config.allow, config.timeout);
}

}  // namespace

handlers::JobOutcome NotifyHandler::run(handlers::JobContext& ctx) {
  Notification n = parse_notification(ctx.job());
  ctx.progress(10, "Reading the " + n.event);
  {
    auto lease = ctx.database();
    load_subject(*lease, n);
  }
  ctx.progress(50, n.channel == "email" ? "Sending the email" : "Posting the webhook");
  if (n.channel == "email") {
    send_by_email(config_, n);
  } else {
    send_by_webhook(config_, n);
  }
  handlers::JobOutcome outcome;
  outcome.result = {{"channel", n.channel},
                    {"to", n.channel == "webhook" ? pipeline::redact_url(n.to) : n.to},
                    {"event", n.event},
                    {n.event + "_id", n.subject_id},
                    {"papers", static_cast<int>(n.papers.size())}};
  return outcome;
}

void register_notify_handlers(handlers::Registry& registry, bool run) {
  NotifyConfig config = NotifyConfig::from_env();
  if (!run) {
    registry.add_not_run("notify");
    return;
  }
  registry.add("notify", std::make_unique<NotifyHandler>(std::move(config)));
}

}  // namespace examq::notify
