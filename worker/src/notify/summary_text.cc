#include "notify/summary_text.h"

namespace examq::notify {
namespace {

std::string outcome_words(const std::string& outcome) {
  if (outcome == "completed_with_errors") return "completed with errors";
  return outcome;
}

std::string plural(int n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

std::string paper_name(const PaperLine& p) {
  if (!p.title.empty() && !p.file_name.empty()) return "\"" + p.title + "\" (" + p.file_name + ")";
  if (!p.title.empty()) return "\"" + p.title + "\"";
  if (!p.file_name.empty()) return p.file_name;
  return p.job_type + " job " + p.job_id;
}

std::string paper_summary(const PaperLine& p) {
  if (p.status == "failed") return "failed: " + p.error_message;
  if (p.status != "completed") return p.status;
  std::string s = plural(p.question_count, "question");
  if (p.review_needed) s += *p.review_needed ? ", review needed" : ", no review needed";
  return s;
}

std::string headline(const Notification& n) {
  if (n.event == "job") {
    const std::string what = n.papers.empty() ? "Job " + n.subject_id
                             : n.papers[0].paper_id ? "Paper " + paper_name(n.papers[0])
                                                    : "Job " + paper_name(n.papers[0]);
    return what + " " + outcome_words(n.outcome);
  }
  std::string s = "Batch " + (n.batch_label.empty() ? n.subject_id : "\"" + n.batch_label + "\"") + " " +
                  outcome_words(n.outcome) + ": " + std::to_string(n.count("completed")) + " of " +
                  plural(static_cast<int>(n.papers.size()), "job") + " completed";
  if (int failed = n.count("failed")) s += ", " + std::to_string(failed) + " failed";
  if (int cancelled = n.count("cancelled")) s += ", " + std::to_string(cancelled) + " cancelled";
  return s;
}

std::string web_link(const std::string& public_url) {
  if (public_url.empty()) return "";
  std::string s = public_url;
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s + "/";
}

}  // namespace examq::notify
