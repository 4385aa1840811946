#include "notify/webhook_body.h"

#include "notify/summary_text.h"

#include <tao/json.hpp>

namespace examq::notify {
namespace {

tao::json::value paper_json(const PaperLine& p) {
  tao::json::value v = {
      {"job_id", p.job_id},
      {"job_type", p.job_type},
      {"status", p.status},
      {"exam_paper_id", p.paper_id ? tao::json::value(*p.paper_id) : tao::json::value(tao::json::null)},
      {"title", p.title},
      {"file_name", p.file_name},
      {"question_count", p.question_count},
      {"review_needed", p.review_needed ? tao::json::value(*p.review_needed) : tao::json::value(tao::json::null)},
      {"error_message", p.error_message.empty() ? tao::json::value(tao::json::null) : tao::json::value(p.error_message)},
  };
  return v;
}

}  // namespace

std::string webhook_body(const Notification& n, const std::string& public_url) {
  tao::json::value body = {{"id", n.notify_job_id}, {"event", n.event}, {"outcome", n.outcome}};
  if (const std::string link = web_link(public_url); !link.empty()) body["url"] = link;
  if (n.event == "job") {
    body["job"] = n.papers.empty() ? tao::json::value({{"job_id", n.subject_id}}) : paper_json(n.papers.front());
  } else {
    tao::json::value papers = tao::json::empty_array;
    for (const PaperLine& p : n.papers) papers.push_back(paper_json(p));
    body["batch"] = {
        {"id", n.subject_id},
        {"label", n.batch_label.empty() ? tao::json::value(tao::json::null) : tao::json::value(n.batch_label)},
        {"total", static_cast<int>(n.papers.size())},
        {"completed", n.count("completed")},
        {"failed", n.count("failed")},
        {"cancelled", n.count("cancelled")},
        {"papers", std::move(papers)},
    };
  }
  return tao::json::to_string(body);
}

}  // namespace examq::notify
