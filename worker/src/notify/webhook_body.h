#pragma once
// A notification as a webhook's JSON body (docs/notifications.md#webhooks):
//   {"id": <the notify job's id: the same on every retry, so receivers can drop duplicates>,
//    "event": "job"|"batch", "outcome": ..., "url": <web page, when EXAMQ_PUBLIC_URL is set>,
//    "job": {paper fields} | "batch": {"id", "label", "total", "completed", "failed",
//                                      "cancelled", "papers": [{paper fields}...]}}

#include "notify/notification.h"

#include <string>

namespace examq::notify {

std::string webhook_body(const Notification& n, const std::string& public_url);

}  // namespace examq::notify
